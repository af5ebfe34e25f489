"""The registry of e-commerce operators, their API keys, AEO authorisations, and the audit trail."""

from decimal import Decimal
from functools import lru_cache

from django.db import connections, models
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
    # After a rotation, deliveries are also signed with the secret it replaced until this moment
    # (settings.WEBHOOK_SECRET_GRACE), so a receiver still holding it keeps accepting them.
    webhook_previous_secret = models.CharField(max_length=128, blank=True, default="")
    webhook_previous_secret_until = models.DateTimeField(null=True, blank=True)
    # Set when the receiver answered 410 Gone: nothing is sent until the webhook is registered again.
    webhook_disabled_at = models.DateTimeField(null=True, blank=True)
    webhook_disabled_reason = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class OperatorAPIKeyManager(BaseAPIKeyManager):
    def get_usable_keys(self):
        return super().get_usable_keys().select_related("operator")

    def get_from_key(self, key: str) -> "OperatorAPIKey":
        """The unrevoked key of this prefix with its operator, if the secret matches (expiry is
        the caller's check, as in the library). On PostgreSQL one statement written once: every
        API call asks it, and building it through the ORM cost a tenth of a single POST's CPU."""
        if connections[self.db].vendor != "postgresql":
            return super().get_from_key(key)
        prefix, _, _ = key.partition(".")
        key_fields, operator_fields, sql = _key_lookup_sql()
        with connections[self.db].cursor() as cursor:
            cursor.execute(sql, [prefix])
            row = cursor.fetchone()
        if row is None:
            raise self.model.DoesNotExist("No usable API key with this prefix.")
        api_key = self.model.from_db(self.db, key_fields, row[: len(key_fields)])
        api_key.operator = Operator.from_db(self.db, operator_fields, row[len(key_fields) :])
        if not api_key.is_valid(key):
            raise self.model.DoesNotExist("Key is not valid.")
        return api_key


class OperatorAPIKey(AbstractAPIKey):
    """An operator's API key: shown once, stored as a hash, revocable, with its last use."""

    objects = OperatorAPIKeyManager()

    operator = models.ForeignKey(Operator, on_delete=models.CASCADE, related_name="api_keys")
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "operator API key"


@lru_cache(maxsize=1)
def _key_lookup_sql() -> tuple[list[str], list[str], str]:
    key_columns = [(f.attname, f.column) for f in OperatorAPIKey._meta.concrete_fields]
    operator_columns = [(f.attname, f.column) for f in Operator._meta.concrete_fields]
    select = [f'k."{column}"' for _, column in key_columns]
    select += [f'o."{column}"' for _, column in operator_columns]
    sql = (
        f"SELECT {', '.join(select)} FROM {OperatorAPIKey._meta.db_table} k "  # noqa: S608 -- model names
        f"INNER JOIN {Operator._meta.db_table} o ON o.id = k.operator_id "
        "WHERE k.prefix = %s AND NOT k.revoked"
    )
    return [a for a, _ in key_columns], [a for a, _ in operator_columns], sql


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
        REJECTED = "rejected", _("Rejected")

    operator = models.ForeignKey(Operator, on_delete=models.CASCADE, related_name="authorisations")
    kind = models.CharField(max_length=4, choices=Kind.choices)
    certificate_number = models.CharField(max_length=40, blank=True, default="")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.APPLIED)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    recognised_from = models.CharField(
        max_length=2, blank=True, default="", help_text=_("Partner administration (MRA), if any")
    )
    application_note = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    status_changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["operator", "status"])]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.certificate_number or '#' + str(self.pk)} ({self.status})"


class OperatorIdentifier(models.Model):
    """An identifier of an operator: EORI, VAT, national TIN, IOSS, or its id on a platform."""

    class Scheme(models.TextChoices):
        EORI = "eori", _("EORI")
        VAT = "vat", _("VAT number")
        TIN = "tin", _("National TIN")
        IOSS = "ioss", _("IOSS number")
        PLATFORM = "platform_id", _("Platform id")
        OTHER = "other", _("Other")

    operator = models.ForeignKey(Operator, on_delete=models.CASCADE, related_name="identifiers")
    scheme = models.CharField(max_length=16, choices=Scheme.choices)
    value = models.CharField(max_length=64)
    issuer = models.CharField(
        max_length=80,
        blank=True,
        default="",
        help_text=_("Issuing country, or the platform for a platform id"),
    )

    class Meta:
        ordering = ["scheme", "value"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "issuer", "value"], name="operator_identifier_unique"
            )
        ]
        indexes = [models.Index(fields=["value"], name="operator_identifier_value_idx")]

    def __str__(self) -> str:
        return f"{self.get_scheme_display()} {self.value}"


class OperatorContact(models.Model):
    """A person or desk customs can reach at an operator."""

    operator = models.ForeignKey(Operator, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=120)
    function = models.CharField(max_length=80, blank=True, default="")
    email = models.EmailField(blank=True, default="")
    phone = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OperatorLink(models.Model):
    """A business relation between two operators, read as "source <kind> target": a vendor sells on
    a marketplace, a broker acts for a carrier."""

    class Kind(models.TextChoices):
        SELLS_ON = "sells_on", _("sells on")
        ACTS_FOR = "acts_for", _("acts for")
        CARRIES_FOR = "carries_for", _("carries for")
        FULFILS_FOR = "fulfils_for", _("fulfils for")
        PROCESSES_PAYMENTS_FOR = "pays_for", _("processes payments for")

    source = models.ForeignKey(Operator, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Operator, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    since = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "target", "kind"], name="operator_link_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")), name="operator_link_not_self"
            ),
        ]


class MutualRecognition(models.Model):
    """A mutual recognition arrangement with a partner administration: its AEO authorisations of the
    listed kinds are recognised here while the arrangement is in force."""

    partner_country = models.CharField(max_length=2, unique=True)
    partner_name = models.CharField(max_length=120)
    kinds = models.JSONField(default=list, help_text=_("Authorisation kinds recognised"))
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["partner_country"]

    def __str__(self) -> str:
        return f"{self.partner_name} ({self.partner_country})"


class BenefitPolicy(models.Model):
    """What an authorisation kind gives its holder, read by risk, revenue and intake on every
    assessment. Edited by administrators; every change is audited."""

    kind = models.CharField(max_length=4, choices=AEOAuthorisation.Kind.choices, unique=True)
    risk_score_factor = models.DecimalField(max_digits=4, decimal_places=3, default=Decimal("0.5"))
    random_rate_factor = models.DecimalField(max_digits=4, decimal_places=3, default=Decimal("0.2"))
    deferred_payment = models.BooleanField(default=True)
    max_batch = models.PositiveIntegerField(default=1000)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(risk_score_factor__gte=0, risk_score_factor__lte=1),
                name="benefit_risk_factor_0_1",
            ),
            models.CheckConstraint(
                condition=models.Q(random_rate_factor__gte=0, random_rate_factor__lte=1),
                name="benefit_random_factor_0_1",
            ),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()
