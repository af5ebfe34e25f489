"""Regimes as dated data, tax assessments with their lines (Standard 8, Annex V)."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from aeo.models import Operator
from declarations.models import Declaration
from revenue.money import LEGAL_REASON_MAX, CrossRate, rate_text


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

    # Indexed by tax_current_idx (declaration, is_current).
    declaration = models.ForeignKey(
        Declaration, on_delete=models.CASCADE, related_name="tax_assessments", db_index=False
    )
    revision = models.PositiveIntegerField()
    regime = models.ForeignKey(Regime, on_delete=models.PROTECT, related_name="+")
    collection_model = models.CharField(max_length=40)
    currency = models.CharField(max_length=3)
    # The rate's quotient to six decimals, kept for reading; amounts are converted with the
    # official figures per euro it was crossed from (declaration currency, regime currency), so
    # a revaluation converts as the first assessment did. Null on assessments stored before.
    exchange_rate = models.DecimalField(max_digits=18, decimal_places=6)
    rate_from_per_eur = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    rate_to_per_eur = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    rate_date = models.DateField()
    total = models.DecimalField(max_digits=14, decimal_places=2)
    due_at_border = models.DecimalField(max_digits=14, decimal_places=2)
    pre_collected = models.DecimalField(max_digits=14, decimal_places=2)
    deferred = models.DecimalField(max_digits=14, decimal_places=2)
    totals = models.JSONField(default=dict)
    discrepancies = models.JSONField(default=list, blank=True)
    # Indexed mirror of `bool(discrepancies)`: the officers' verification queue filters on it.
    has_discrepancies = models.BooleanField(default=False)
    # What the submitter self-assessed, converted to the regime currency (None: nothing declared).
    declared_total = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # tax_actor_idx, partial: most assessments are the system's
    )
    note = models.CharField(max_length=400, blank=True, default="")
    explanation = models.JSONField(default=list, blank=True)
    # A revaluation's values found at inspection, by line ({"1": "400.00"}), in the declaration
    # currency: a later revaluation of the same revision starts from them.
    revised_values = models.JSONField(default=dict, blank=True)
    # The regime's exchange-rate rule, the day it fixes, when the rate used was published and
    # whether that is older than the rule allows (shown on the assessment and the dashboard).
    rate_rule = models.CharField(max_length=30, blank=True, default="")
    rate_fixed_on = models.DateField(null=True, blank=True)
    rate_published_on = models.DateField(null=True, blank=True)
    rate_stale = models.BooleanField(default=False)
    is_current = models.BooleanField(default=True)
    reason = models.CharField(max_length=60, default="initial")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # The task's result is unique per revision (safe redelivery); revaluations may repeat.
            models.UniqueConstraint(
                fields=["declaration", "revision"],
                condition=Q(reason="initial"),
                name="one_initial_tax_assessment_per_revision",
            ),
            # One current assessment per declaration: every writer retires the previous one in
            # the transaction that stores the next, and two writers racing on one declaration
            # fail here instead of leaving two (the ledger and the KPIs join the current one).
            models.UniqueConstraint(
                fields=["declaration"],
                condition=Q(is_current=True),
                name="one_current_tax_assessment",
            ),
        ]
        indexes = [
            models.Index(fields=["declaration", "is_current"], name="tax_current_idx"),
            models.Index(
                fields=["has_discrepancies", "is_current", "-created_at"],
                name="tax_discrepancy_queue_idx",
            ),
            models.Index(fields=["actor"], name="tax_actor_idx", condition=Q(actor__isnull=False)),
        ]

    @property
    def cross_rate(self) -> CrossRate | Decimal:
        """The rate the amounts were converted with: the official figures when stored, else the
        stored quotient (assessments stored before the figures were kept)."""
        if self.rate_from_per_eur and self.rate_to_per_eur:
            return CrossRate(per_eur_to=self.rate_to_per_eur, per_eur_from=self.rate_from_per_eur)
        return self.exchange_rate

    @property
    def exchange_rate_text(self) -> str:
        """The rate as shown (significant digits, plain notation: IDR to EUR "0.00004924696466"
        where six decimals would read 0.000049)."""
        return rate_text(self.cross_rate)


class ReliefDecision(models.Model):
    """An officer's decision on the returned goods relief a declaration claims: granted for one
    revision (the evidence of export was seen; an amendment needs a new decision), or refused
    (no evidence: the declaration is taxed as an import that is not a sale from then on, whatever
    its later revisions claim), or a refusal reopened by a supervisor (the claim is open again).
    Rows are never deleted; the latest decides."""

    class Decision(models.TextChoices):
        GRANTED = "granted", "granted"
        REFUSED = "refused", "refused"
        REOPENED = "reopened", "reopened"

    declaration = models.ForeignKey(
        Declaration, on_delete=models.CASCADE, related_name="relief_decisions"
    )
    revision = models.PositiveIntegerField()
    decision = models.CharField(max_length=10, choices=Decision.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    reason = models.CharField(max_length=300)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]


class TaxAssessmentProblem(models.Model):
    """Why a declaration's revision could not be assessed (no regime in force on its local day of
    receipt, no exchange rate): a visible error in the officers' queue, never a silent skip.
    One row per (declaration, revision, code); resolved when an assessment is stored."""

    declaration = models.ForeignKey(
        Declaration, on_delete=models.CASCADE, related_name="tax_problems"
    )
    revision = models.PositiveIntegerField()
    code = models.CharField(max_length=40)
    detail = models.CharField(max_length=400)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["declaration", "revision", "code"], name="tax_problem_unique"
            )
        ]


class TaxLine(models.Model):
    """One duty, tax or fee line: its basis, rate, amount, payer, collection model and legal reason."""

    assessment = models.ForeignKey(TaxAssessment, on_delete=models.CASCADE, related_name="lines")
    tax_type = models.CharField(max_length=10)
    item_line = models.PositiveIntegerField(null=True, blank=True)
    basis = models.DecimalField(max_digits=14, decimal_places=2)
    # What the basis counts (tariff_code, postal_item, entry, declaration, line, consignment):
    # the rate is then an amount per unit; empty: the basis is money and the rate a fraction.
    basis_unit = models.CharField(max_length=16, blank=True, default="")
    rate = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    payer = models.CharField(max_length=20)
    collection_model = models.CharField(max_length=40)
    legal_reason = models.CharField(max_length=LEGAL_REASON_MAX)
    collected_at_border = models.BooleanField(default=True)
    # Through which channel customs receives the amount: border, deferred_statement or
    # scheme_return (the vendor's or marketplace's scheme return). Every amount has one.
    collection_channel = models.CharField(max_length=20, default="border")

    class Meta:
        ordering = ["id"]


class TaxSchemeRegistration(models.Model):
    """A vendor-scheme number (IOSS, VOEC, ...) known to be valid over a period, loaded from the
    registry the tax administration publishes. When a scheme has rows here, a declared number of
    that scheme must be one of them; otherwise the intake check digits are all we can check."""

    scheme = models.CharField(max_length=8)
    number = models.CharField(max_length=40)
    holder = models.CharField(max_length=200, blank=True, default="")
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    loaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "number", "valid_from"], name="tax_scheme_registration_unique"
            )
        ]
        indexes = [models.Index(fields=["scheme", "number"], name="tax_scheme_number_idx")]

    def __str__(self) -> str:
        return f"{self.scheme} {self.number}"


class DeferredStatement(models.Model):
    """The monthly statement of an intermediary under the deferred model (EU special arrangements):
    what it collected at delivery in `period` (first day of the month), due by the 16th of the
    following month. Closed by a beat task; never edited afterwards (payments are ledger entries)."""

    operator = models.ForeignKey(Operator, on_delete=models.PROTECT, related_name="+")
    period = models.DateField()
    currency = models.CharField(max_length=3)
    total = models.DecimalField(max_digits=16, decimal_places=2)
    entry_count = models.PositiveIntegerField(default=0)
    due_date = models.DateField()
    closed_at = models.DateTimeField(default=timezone.now)
    # A credit (negative) left on the intermediary's previous statement in this currency, e.g. a
    # paid month whose declaration was invalidated later, carried into this one and included in
    # `total`; that statement then owes nothing more and this one counts the credit once.
    brought_forward = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    carried_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="carried_to"
    )
    # Of `entry_count`, the entries of earlier months whose statement was already closed when
    # they reached the ledger (a transaction committed after the close, an entry dated in the
    # past): they are billed on this statement, the first closed after their month.
    late_entries = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-period", "operator_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["operator", "period", "currency"], name="deferred_statement_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.operator_id} {self.period:%Y-%m} {self.total} {self.currency}"


class LedgerEntry(models.Model):
    """One movement of the revenue ledger. Append-only: rows are never updated (but for
    `billed_on`, set once by the statement close) nor deleted; a correction is a new entry. Amounts are positive for `assessed`, `payment` and `refund`; an
    `adjustment` is signed (a revaluation that lowers the taxes is negative).

    Owed = assessed + adjustments; collected = payments - refunds. Border entries carry the
    declaration and `collection_model="consignee_border"`; deferred entries carry the
    intermediary's `account` (and the declaration they come from). Closing a monthly statement
    sets `billed_on` on exactly the deferred entries it sums (those of its month, and those of
    earlier months closed before they were written): the one field ever set on an existing row,
    once, so an entry is billed on one statement and never on none. A payment of a statement
    names it in `statement`.

    At the border each debtor has an account of its own: an assessed or adjustment entry names
    its debtor in `payer` (the consignee, or the declarant for a duty no scheme return carries);
    a payment names who paid in `payer` and whose debt it settles in `debtor`, and a refund names
    whom it returns money to in `payer` and the account it comes from in `debtor`. A debtor's
    balance is its own debts less the payments toward them net of their refunds: one debtor's
    payments never settle another's debt, whatever a later reassessment moves."""

    class Kind(models.TextChoices):
        ASSESSED = "assessed"
        PAYMENT = "payment"
        REFUND = "refund"
        ADJUSTMENT = "adjustment"

    declaration = models.ForeignKey(
        Declaration, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    account = models.ForeignKey(
        Operator, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    statement = models.ForeignKey(
        DeferredStatement,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
    )
    # On a deferred entry other than a payment: the statement that bills it, set once
    # when that statement is closed (null: not billed yet).
    billed_on = models.ForeignKey(
        DeferredStatement,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="billed_entries",
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    amount = models.DecimalField(max_digits=16, decimal_places=2)
    currency = models.CharField(max_length=3)
    collection_model = models.CharField(max_length=40)
    payer = models.CharField(max_length=200, blank=True, default="")
    # On a border payment or refund: the debtor (named as in `payer` of its debts) whose account
    # the money was paid into or is refunded from. Empty on other entries.
    debtor = models.CharField(max_length=200, blank=True, default="")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reference = models.CharField(max_length=120, blank=True, default="")
    # Set on entries written by the system from an event (assessment id, status event id), so a
    # task that runs twice writes them once.
    source_key = models.CharField(max_length=80, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(declaration__isnull=False) | Q(account__isnull=False),
                name="ledger_entry_has_declaration_or_account",
            ),
            models.CheckConstraint(
                condition=Q(kind="adjustment") | Q(amount__gte=0),
                name="ledger_entry_amount_positive_unless_adjustment",
            ),
        ]
        indexes = [
            models.Index(fields=["declaration", "kind"], name="ledger_declaration_idx"),
            models.Index(
                fields=["account", "collection_model", "statement"], name="ledger_account_idx"
            ),
            models.Index(fields=["at"], name="ledger_at_idx"),
            # What the next close reads: the deferred entries no statement bills yet.
            models.Index(
                fields=["at"],
                name="ledger_unbilled_idx",
                condition=Q(collection_model="intermediary_deferred", billed_on__isnull=True),
            ),
        ]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("ledger entries are append-only; record a correction instead")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("ledger entries are never deleted; record a correction instead")


class RevenueCursor(models.Model):
    """How far a periodic task has read an append-only stream (e.g. status events for refunds)."""

    name = models.CharField(max_length=40, unique=True)
    last_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)
