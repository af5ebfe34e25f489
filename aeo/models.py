"""The registry of e-commerce operators, their API keys, AEO authorisations, and the audit trail."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey, BaseAPIKeyManager


class OperatorRole(models.TextChoices):
    MARKETPLACE = "marketplace", _("Marketplace")
    VENDOR = "vendor", _("Vendor")
    EXPRESS_CARRIER = "express_carrier", _("Express carrier")
    POSTAL_OPERATOR = "postal_operator", _("Postal operator")
    CUSTOMS_BROKER = "customs_broker", _("Customs broker")
    FREIGHT_FORWARDER = "freight_forwarder", _("Freight forwarder")
    FULFILMENT_CENTRE = "fulfilment_centre", _("Fulfilment centre")
    PAYMENT_PROVIDER = "payment_provider", _("Payment provider")


class Operator(models.Model):
    """An e-commerce operator that deals with customs (Standard 7): it submits data through its API keys."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=30, choices=OperatorRole.choices)
    country = models.CharField(max_length=2, blank=True, default="")
    eori = models.CharField(max_length=17, blank=True, default="")
    vat_number = models.CharField(max_length=20, blank=True, default="")
    is_active = models.BooleanField(default=True)
    throttle_rate = models.CharField(
        max_length=20, blank=True, default="", help_text=_("e.g. 600/min; empty = platform default")
    )
    webhook_url = models.URLField(blank=True, default="")
    webhook_secret = models.CharField(max_length=128, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def is_aeo(self) -> bool:
        today = timezone.localdate()
        return (
            self.authorisations.filter(
                status=AEOAuthorisation.Status.AUTHORISED, valid_from__lte=today
            )
            .filter(models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=today))
            .exists()
        )


class OperatorAPIKeyManager(BaseAPIKeyManager):
    def get_usable_keys(self):
        return super().get_usable_keys().select_related("operator")


class OperatorAPIKey(AbstractAPIKey):
    """An operator's API key: shown once, stored as a hash, revocable, with its last use."""

    objects = OperatorAPIKeyManager()

    operator = models.ForeignKey(Operator, on_delete=models.CASCADE, related_name="api_keys")
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "operator API key"


class AEOAuthorisation(models.Model):
    """An AEO authorisation of an operator; its status drives risk and revenue benefits."""

    class Kind(models.TextChoices):
        CUSTOMS_SIMPLIFICATIONS = "AEOC", _("Customs simplifications")
        SECURITY_SAFETY = "AEOS", _("Security and safety")
        FULL = "AEOF", _("Customs simplifications and security")

    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        UNDER_REVIEW = "under_review", _("Under review")
        AUTHORISED = "authorised", _("Authorised")
        SUSPENDED = "suspended", _("Suspended")
        REVOKED = "revoked", _("Revoked")
        EXPIRED = "expired", _("Expired")

    operator = models.ForeignKey(Operator, on_delete=models.CASCADE, related_name="authorisations")
    kind = models.CharField(max_length=4, choices=Kind.choices)
    certificate_number = models.CharField(max_length=40, blank=True, default="")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.APPLIED)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    recognised_from = models.CharField(
        max_length=2, blank=True, default="", help_text=_("Partner administration (MRA), if any")
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["operator", "status"])]


class AuditEvent(models.Model):
    """Who did what, when, with the state before and after and the reason: officer actions,
    rule changes and configuration changes all land here. Rows are never updated or deleted."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True, default="")
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=64)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}#{self.object_id}"
