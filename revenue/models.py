"""Regimes as dated data, tax assessments with their lines (Standard 8, Annex V)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from declarations.models import Declaration


class Regime(models.Model):
    """A jurisdiction's rules for low-value consignments, valid over a period. Editing makes a new
    row (a new version); assessments keep the version they used."""

    code = models.CharField(max_length=40)
    version = models.PositiveIntegerField(default=1)
    jurisdiction = models.CharField(max_length=8)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    spec = models.JSONField()
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="regime_code_version_unique")
        ]
        indexes = [
            models.Index(fields=["jurisdiction", "valid_from"], name="regime_jurisdiction_idx")
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"


class TaxAssessment(models.Model):
    """Duties, taxes and fees computed for one revision of a declaration. A later assessment (amendment,
    revaluation) supersedes it; rows are never deleted."""

    declaration = models.ForeignKey(
        Declaration, on_delete=models.CASCADE, related_name="tax_assessments"
    )
    revision = models.PositiveIntegerField()
    regime = models.ForeignKey(Regime, on_delete=models.PROTECT, related_name="+")
    collection_model = models.CharField(max_length=40)
    currency = models.CharField(max_length=3)
    exchange_rate = models.DecimalField(max_digits=18, decimal_places=6)
    rate_date = models.DateField()
    total = models.DecimalField(max_digits=14, decimal_places=2)
    due_at_border = models.DecimalField(max_digits=14, decimal_places=2)
    pre_collected = models.DecimalField(max_digits=14, decimal_places=2)
    deferred = models.DecimalField(max_digits=14, decimal_places=2)
    totals = models.JSONField(default=dict)
    discrepancies = models.JSONField(default=list, blank=True)
    explanation = models.JSONField(default=list, blank=True)
    is_current = models.BooleanField(default=True)
    reason = models.CharField(max_length=60, default="initial")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["declaration", "revision", "reason"],
                name="one_tax_assessment_per_revision_and_reason",
            )
        ]
        indexes = [models.Index(fields=["declaration", "is_current"], name="tax_current_idx")]


class TaxLine(models.Model):
    """One duty, tax or fee line: its basis, rate, amount, payer, collection model and legal reason."""

    assessment = models.ForeignKey(TaxAssessment, on_delete=models.CASCADE, related_name="lines")
    tax_type = models.CharField(max_length=10)
    item_line = models.PositiveIntegerField(null=True, blank=True)
    basis = models.DecimalField(max_digits=14, decimal_places=2)
    rate = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    payer = models.CharField(max_length=20)
    collection_model = models.CharField(max_length=40)
    legal_reason = models.CharField(max_length=400)
    collected_at_border = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]
