"""Tables of the plumbing every app shares: the audit trail and idempotency records. They kept
their tables (`aeo_auditevent`, `declarations_idempotencyrecord`) when they moved here."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEvent(models.Model):
    """Who did what, when, with the state before and after and the reason: officer actions,
    rule changes and configuration changes all land here. Rows are never updated or deleted."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # audit_actor_idx, partial: most events are the system's
    )
    actor_label = models.CharField(max_length=150, blank=True, default="")
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=64)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True, default="")

    class Meta:
        db_table = "aeo_auditevent"
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(
                fields=["object_type", "object_id", "at"], name="aeo_auditev_object__1a579d_idx"
            ),
            models.Index(
                fields=["actor"], name="audit_actor_idx", condition=models.Q(actor__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}#{self.object_id}"


class IdempotencyRecord(models.Model):
    """A replayable response for an `Idempotency-Key` (docs/api.md): kept at least 24 hours."""

    # A reference by name: the platform imports no app, the database keeps the foreign key.
    operator = models.ForeignKey("aeo.Operator", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method_path = models.CharField(max_length=300)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        db_table = "declarations_idempotencyrecord"
        constraints = [
            models.UniqueConstraint(fields=["operator", "key"], name="idempotency_key_unique")
        ]
