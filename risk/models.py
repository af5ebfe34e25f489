"""Rule sets, assessments with their hits, and watchlists (Standards 4, 5, 10)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from declarations.models import Declaration


class RuleSet(models.Model):
    """A version of the whole rule library: rules with parameters, channel thresholds and random rates.
    Every change makes a new version; exactly one is active at a time."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        RETIRED = "retired", _("Retired")

    version = models.PositiveIntegerField(unique=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    rules = models.JSONField(help_text=_('[{"code": ..., "enabled": true, "params": {...}}]'))
    policy = models.JSONField(help_text=_("Channel thresholds, random rates, AEO factors"))
    effective_from = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"rule set v{self.version} ({self.state})"


class RiskAssessment(models.Model):
    """The risk assessment of one revision of a declaration under one rule-set version; the unique
    constraint makes the Celery task idempotent."""

    declaration = models.ForeignKey(
        Declaration, on_delete=models.CASCADE, related_name="risk_assessments"
    )
    revision = models.PositiveIntegerField()
    ruleset = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="assessments")
    score = models.PositiveSmallIntegerField()
    channel = models.CharField(max_length=8)
    random_selected = models.BooleanField(default=False)
    model_probability = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["declaration", "revision", "ruleset"],
                name="one_assessment_per_revision_and_ruleset",
            )
        ]
        indexes = [
            models.Index(fields=["declaration", "-created_at"], name="risk_assessment_latest_idx")
        ]


class RiskHit(models.Model):
    """A rule that fired, with the human explanation shown to officers (never to operators)."""

    assessment = models.ForeignKey(RiskAssessment, on_delete=models.CASCADE, related_name="hits")
    rule_code = models.CharField(max_length=40)
    score = models.SmallIntegerField()
    explanation = models.CharField(max_length=500)
    min_channel = models.CharField(max_length=8, blank=True, default="")
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["rule_code"], name="risk_hit_rule_idx")]


class WatchlistEntry(models.Model):
    """A watchlisted party (seller, sender or consignee) with aliases and identifiers."""

    list_name = models.CharField(max_length=60, default="national")
    name = models.CharField(max_length=200)
    aliases = models.JSONField(default=list, blank=True)
    country = models.CharField(max_length=2, blank=True, default="")
    address = models.CharField(max_length=300, blank=True, default="")
    identifiers = models.JSONField(default=list, blank=True)
    reason = models.CharField(max_length=300, blank=True, default="")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name
