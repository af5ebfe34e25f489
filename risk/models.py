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
    # The version this one was made from (an analyst's edit starts from the working base): the
    # drafts of that chain are all approved together, so none of their authors may approve it.
    based_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"rule set v{self.version} ({self.state})"


class RiskAssessment(models.Model):
    """The risk assessment of one revision of a declaration under one rule-set version; the unique
    constraint makes the Celery task idempotent."""

    # Indexed by the unique constraint and risk_assessment_latest_idx, both led by declaration.
    declaration = models.ForeignKey(
        Declaration, on_delete=models.CASCADE, related_name="risk_assessments", db_index=False
    )
    revision = models.PositiveIntegerField()
    ruleset = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="assessments")
    score = models.PositiveSmallIntegerField()
    channel = models.CharField(max_length=8)
    random_selected = models.BooleanField(default=False)
    model_probability = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    model_version = models.PositiveIntegerField(null=True, blank=True)
    model_features = models.JSONField(
        default=list, blank=True, help_text=_("Top contributing features of the learned model")
    )
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
    # Provenance (issue 17): the publisher's format and its own id of the entry, so an update of
    # the list finds the same row again (and the false positives cleared on it).
    source = models.CharField(max_length=20, blank=True, default="csv")
    external_id = models.CharField(max_length=120, blank=True, default="")
    updated_at = models.DateTimeField(default=timezone.now)
    # An update of a published list that drops a name, alias or identifier of an entry (or
    # changes its country) does not change it in place: the entry keeps matching, unchanged,
    # until a second person confirms its withdrawal, and the new content is this newer row of
    # the same party (the one later updates change). Null: the party's current row.
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            # One current row per publisher's id (superseded rows awaiting withdrawal aside).
            models.UniqueConstraint(
                fields=["list_name", "external_id"],
                condition=~models.Q(external_id="") & models.Q(superseded_by__isnull=True),
                name="watchlist_entry_current_external_id_per_list",
            )
        ]

    def __str__(self) -> str:
        return self.name


class InspectionOutcome(models.Model):
    """What an officer found when checking a consignment: the feedback that measures hit rates and
    trains the learned model (Standard 4: dynamic risk management)."""

    class Result(models.TextChoices):
        COMPLIANT = "compliant", _("Compliant")
        UNDERVALUATION = "undervaluation", _("Undervaluation")
        MISDESCRIPTION = "misdescription", _("Misdescription")
        PROHIBITED = "prohibited", _("Prohibited or restricted goods")
        COUNTERFEIT = "counterfeit", _("Counterfeit")
        OTHER = "other", _("Other finding")

    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="outcomes")
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    result = models.CharField(max_length=20, choices=Result.choices)
    revised_value_eur = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    note = models.TextField(blank=True, default="")
    at = models.DateTimeField(default=timezone.now)
    # The revision the officer checked: an outcome clears that revision only, never a later
    # amendment (which may add goods nobody inspected).
    revision = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["declaration", "-at"], name="risk_outcome_decl_idx")]

    @property
    def is_non_compliant(self) -> bool:
        return self.result != self.Result.COMPLIANT


# Findings that lead to a seizure (goods taken out of circulation) for the seizure rate.
SEIZURE_RESULTS = (InspectionOutcome.Result.PROHIBITED, InspectionOutcome.Result.COUNTERFEIT)


# Hits that make a release a decision for two people.
FOUR_EYES_RULES = frozenset(
    {"prohibited_goods_keyword", "prohibited_goods_hs", "watchlist_screening"}
)


class FourEyesFlag(models.Model):
    """A four-eyes rule (prohibited goods, a watchlist match) hit this revision of a consignment.
    Kept for good: an amendment that removes the goods' words or a match cleared as a false
    positive later never lets one person release what once needed two."""

    declaration = models.ForeignKey(
        Declaration, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    revision = models.PositiveIntegerField()
    rule_code = models.CharField(max_length=40)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["declaration", "revision", "rule_code"], name="four_eyes_flag_unique"
            )
        ]


class WatchlistFalsePositive(models.Model):
    """A watchlist match cleared for one party: proposed by one person from a consignment that
    carries the match, confirmed by a second; only then does the pair stop firing."""

    entry = models.ForeignKey(
        WatchlistEntry, on_delete=models.CASCADE, related_name="false_positives"
    )
    party_key = models.CharField(max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    # The second person: until then the match keeps firing (null: a proposal).
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entry", "party_key"], name="watchlist_fp_unique_pair")
        ]


class RiskModel(models.Model):
    """A learned model of non-compliance trained on inspection outcomes (gradient boosting), kept
    with its metrics; the newest row is used at assessment time."""

    version = models.PositiveIntegerField(unique=True)
    trained_at = models.DateTimeField(default=timezone.now)
    samples = models.PositiveIntegerField(default=0)
    metrics = models.JSONField(default=dict, blank=True)
    features = models.JSONField(default=list, blank=True)
    blob = models.BinaryField()

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"risk model v{self.version}"


class TaxNumberSeller(models.Model):
    """A (vendor tax-scheme number, seller) pair seen on an assessed consignment.

    The tax-scheme misuse rule asks "which sellers has this number been used by?" for every
    consignment; answered from this table it is one index lookup per number, where scanning the
    declarations would read every consignment that ever carried a busy marketplace's number.
    Written by the risk batch in the transaction that stores its assessments."""

    number = models.CharField(max_length=40)
    party_key = models.CharField(max_length=300)
    first_declaration_id = models.BigIntegerField()
    first_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["number", "party_key"], name="risk_tax_number_seller")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.party_key}"


class ReferenceValue(models.Model):
    """A usual value of goods known without history: EUR per kg of an HS code, or EUR per unit
    (for a named model when ``keywords`` are given), with its public source and date.

    Shipped in ``risk/data/reference_values.csv`` and loaded by ``migrate``; an administrator may
    replace the whole table with a file of the same shape (audited)."""

    class Basis(models.TextChoices):
        PER_KG = "per_kg", _("EUR per kg")
        PER_UNIT = "per_unit", _("EUR per unit")

    hs_code = models.CharField(max_length=6)
    basis = models.CharField(max_length=8, choices=Basis.choices)
    keywords = models.JSONField(default=list, blank=True)
    value_eur = models.DecimalField(max_digits=14, decimal_places=2)
    source = models.CharField(max_length=200)
    as_of = models.DateField()
    note = models.CharField(max_length=200, blank=True, default="")
    loaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["hs_code", "basis", "id"]

    def __str__(self) -> str:
        return f"{self.hs_code} {self.basis} EUR {self.value_eur}"


class LearnedValueMedian(models.Model):
    """The median EUR per kg of accepted declarations for an HS prefix (hs6, hs4, hs2), computed
    by a beat task once for all processes; every process reads this small table."""

    prefix = models.CharField(max_length=6, unique=True)
    level = models.CharField(max_length=3)
    median_eur_per_kg = models.DecimalField(max_digits=18, decimal_places=2)
    samples = models.PositiveIntegerField()
    computed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.prefix}: EUR {self.median_eur_per_kg}/kg ({self.samples})"


class TargetingRun(models.Model):
    """A run of the labelled scenario corpus through the engine (``manage.py risk_scenarios``):
    overall and per-rule precision and recall, shown on the analyst page."""

    run_at = models.DateTimeField(default=timezone.now)
    ruleset_version = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    summary = models.JSONField(default=dict)

    class Meta:
        ordering = ["-run_at", "-id"]


def watchlist_format_label(code: str) -> str:
    """A published list's format (``ftm``, ``eu_xml``, ``un_xml``) in words of the active
    language, as the upload form names it; any other code as stored."""
    from django.utils.translation import gettext

    from .watchlist_formats import FORMAT_LABELS

    english = FORMAT_LABELS.get(str(code))
    return gettext(english) if english else code


class WatchlistUpdate(models.Model):
    """One import of a published screening list: where it came from, when it was published and
    loaded, and what it changed (the list's update history)."""

    list_name = models.CharField(max_length=60)
    source = models.CharField(max_length=20)
    publisher_date = models.CharField(max_length=40, blank=True, default="")
    source_url = models.CharField(max_length=300, blank=True, default="")
    sha256 = models.CharField(max_length=64)
    entries = models.PositiveIntegerField(default=0)
    added = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    withdrawn = models.PositiveIntegerField(default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["-imported_at", "-id"]

    @property
    def format_label(self) -> str:
        """The file's format (``source``) in words of the reader's language."""
        return watchlist_format_label(self.source)


class WatchlistWithdrawal(models.Model):
    """Entries an update of a published list no longer lists: proposed by whoever loaded the
    update, withdrawn only when a second person (a supervisor or administrator) confirms. Until
    then the entries stay active and keep matching."""

    class State(models.TextChoices):
        PENDING = "pending", _("Awaiting a second person")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Rejected")
        SUPERSEDED = "superseded", _("Superseded by a later update")

    update = models.OneToOneField(
        WatchlistUpdate, on_delete=models.CASCADE, related_name="withdrawal"
    )
    list_name = models.CharField(max_length=60)
    # [{"entry_id": ..., "external_id": ..., "name": ...}] as proposed.
    entries = models.JSONField(default=list)
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["list_name"],
                condition=models.Q(state="pending"),
                name="watchlist_one_pending_withdrawal_per_list",
            )
        ]
