"""Reads for revenue: the taxes an operator or an officer sees, the verification queue, the
ledger, statements and the reconciliation per tax-scheme number; the registry's verdict on a
tax-scheme number, and the ledger balances the release guard reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, Exists, F, OuterRef, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils.translation import gettext as _

from declarations.models import Declaration
from declarations.statuses import CLOSED

from .calculators import (
    BORDER,
    CONSIGNEE_BORDER,
    DEFERRED_STATEMENT,
    INTERMEDIARY_DEFERRED,
    MARKETPLACE_DEEMED_SUPPLIER,
    SCHEME_RETURN,
    VENDOR_POINT_OF_SALE,
)
from .models import (
    DeferredStatement,
    LedgerEntry,
    Regime,
    TaxAssessment,
    TaxAssessmentProblem,
    TaxLine,
    TaxSchemeRegistration,
)
from .money import plain, round_money


def current_tax_assessment(*, declaration_id: int) -> TaxAssessment | None:
    return (
        TaxAssessment.objects.filter(declaration_id=declaration_id, is_current=True)
        .select_related("regime")
        .prefetch_related("lines")
        .order_by("-created_at")
        .first()
    )


def taxes_for_operator(*, declaration_id: int) -> dict[str, Any] | None:
    """Assessed duties, taxes and fees with their basis, amounts due and by whom (api.md)."""
    assessment = current_tax_assessment(declaration_id=declaration_id)
    if assessment is None:
        return None
    return {
        "regime": assessment.regime.code,
        "collection_model": assessment.collection_model,
        "currency": assessment.currency,
        "exchange_rate": assessment.exchange_rate_text,
        "lines": [
            {
                "tax_type": line.tax_type,
                "item_line": line.item_line,
                "basis": str(line.basis),
                "basis_unit": line.basis_unit or None,
                "rate": None if line.rate is None else plain(line.rate),
                "amount": str(line.amount),
                "currency": line.currency,
                "payer": line.payer,
                "collection_model": line.collection_model,
                "legal_reason": line.legal_reason,
                "collected_at_border": line.collected_at_border,
                "collection_channel": line.collection_channel,
            }
            for line in assessment.lines.all()
        ],
        "totals": assessment.totals,
        "due_at_border": str(assessment.due_at_border),
        "pre_collected": str(assessment.pre_collected),
        "deferred": str(assessment.deferred),
        "assessed_at": assessment.created_at.isoformat(),
        "revision": assessment.revision,
        "exchange_rate_rule": assessment.rate_rule,
        "exchange_rate_stale": assessment.rate_stale,
        **_paid_and_refunded(declaration_id),
    }


def _paid_and_refunded(declaration_id: int) -> dict[str, Any]:
    """What was paid at the border and what was refunded (returns, invalidations, an excess after
    a reassessment), entry by entry and to whom, and what is still owed there, debtor by debtor:
    the operator sees its refund where it sees its taxes (docs/api.md)."""
    entries = list(
        LedgerEntry.objects.filter(
            declaration_id=declaration_id,
            kind__in=(LedgerEntry.Kind.PAYMENT, LedgerEntry.Kind.REFUND),
        ).values_list("kind", "amount", "currency", "at", "reference", "payer")
    )
    paid = sum((e[1] for e in entries if e[0] == LedgerEntry.Kind.PAYMENT), Decimal(0))
    refunds = [e for e in entries if e[0] == LedgerEntry.Kind.REFUND]
    return {
        "paid": str(paid.quantize(Decimal("0.01"))),
        "refunded": str(sum((e[1] for e in refunds), Decimal(0)).quantize(Decimal("0.01"))),
        "refunds": [
            {
                "amount": str(amount),
                "currency": currency,
                "at": at.isoformat(),
                "reason": reason,
                "payer": payer,
            }
            for _, amount, currency, at, reason, payer in refunds
        ],
        "outstanding": str(border_outstanding(declaration_id)),
    }


def discrepancy_for(*, declaration_id: int) -> list[dict[str, Any]]:
    """The discrepancies of a declaration's current assessment: self-assessed amounts that differ
    from the recomputed ones (`code` `self_assessed_mismatch`, with `tax_type`, `declared`,
    `assessed`, `difference` as decimal strings, regime currency) and tax-scheme numbers missing
    from the registry (`tax_scheme_number_unknown`). Empty when none or not assessed."""
    row = (
        TaxAssessment.objects.filter(declaration_id=declaration_id, is_current=True)
        .values_list("discrepancies", "currency")
        .first()
    )
    if row is None:
        return []
    discrepancies, currency = row
    return [
        {"code": d.get("code", "self_assessed_mismatch"), "currency": currency, **d}
        for d in discrepancies
    ]


def verification_queue(*, limit: int = 100, before_id: int | None = None) -> list[TaxAssessment]:
    """Current assessments with discrepancies, newest first, for the officers' verification."""
    qs = (
        TaxAssessment.objects.filter(has_discrepancies=True, is_current=True)
        .select_related("declaration__operator", "regime")
        .order_by("-id")
    )
    if before_id:
        qs = qs.filter(pk__lt=before_id)
    return list(qs[:limit])


def open_assessment_problems(*, limit: int = 100) -> list[TaxAssessmentProblem]:
    """Declarations whose current revision could not be assessed (no regime in force, no exchange
    rate), newest first: the visible error that replaces a silent skip."""
    assessed = TaxAssessment.objects.filter(
        declaration_id=OuterRef("declaration_id"), revision=OuterRef("revision")
    )
    return list(
        TaxAssessmentProblem.objects.filter(revision=F("declaration__revision"))
        .exclude(Exists(assessed))
        .select_related("declaration__operator")
        .order_by("-id")[:limit]
    )


def stale_rate_assessments(*, limit: int = 100) -> tuple[int, list[TaxAssessment]]:
    """Current assessments made with an exchange rate older than their regime's rule allows:
    how many, and the newest of them."""
    qs = TaxAssessment.objects.filter(is_current=True, rate_stale=True)
    return qs.count(), list(qs.select_related("declaration").order_by("-id")[:limit])


def regimes_overview() -> list[dict[str, Any]]:
    """Every regime version, grouped by code (newest version first), with its validity."""
    rows = Regime.objects.select_related("created_by").order_by("jurisdiction", "code", "-version")
    groups: dict[str, dict[str, Any]] = {}
    for row in rows:
        group = groups.setdefault(
            row.code,
            {"code": row.code, "jurisdiction": row.jurisdiction, "versions": []},
        )
        group["versions"].append(row)
    return list(groups.values())


def ledger_for_declaration(*, declaration_id: int) -> list[LedgerEntry]:
    return list(
        LedgerEntry.objects.filter(declaration_id=declaration_id)
        .select_related("actor")
        .order_by("id")
    )


def deferred_statements(*, operator_id: int | None = None) -> list[dict[str, Any]]:
    """Closed statements with what was paid against each."""
    qs = DeferredStatement.objects.select_related("operator").annotate(
        paid=Coalesce(
            Sum("entries__amount", filter=Q(entries__kind=LedgerEntry.Kind.PAYMENT)),
            Value(Decimal(0)),
            output_field=DecimalField(max_digits=16, decimal_places=2),
        )
    )
    if operator_id is not None:
        qs = qs.filter(operator_id=operator_id)
    statements = list(qs.order_by("-period", "operator__name"))
    # A credit carried into a later statement is no longer outstanding on its own.
    carried = {
        row["carried_from"]: row
        for row in DeferredStatement.objects.filter(
            carried_from__in=[s.pk for s in statements]
        ).values("carried_from", "brought_forward", "period")
    }
    rows = []
    for s in statements:
        into = carried.get(s.pk)
        rows.append(
            {
                "statement": s,
                "paid": s.paid,
                "outstanding": round_money(
                    s.total - s.paid - (into["brought_forward"] if into else Decimal(0))
                ),
                "carried_to": into["period"] if into else None,
            }
        )
    return rows


def reconciliation(*, month: date | None = None) -> list[dict[str, Any]]:
    """Per tax-scheme number and month of receipt (in the jurisdiction's time zone):
    declarations, what the submitters declared (self-assessed, regime currency), what the
    scheme's return must carry (``assessed``) and the difference (assessed - declared: positive
    when under-declared); and, so that no amount of the scheme's consignments goes unseen, the
    duty and VAT assessed by collection channel (a duty the return does not carry is owed at the
    border or on a deferred statement). Every tax type (duty, VAT, national fees) is split by
    channel: for each, ``<type>_scheme_return + <type>_border + <type>_deferred_statement`` is
    ``<type>``, ``assessed + at_border + deferred`` is ``total`` (what the consignments were
    assessed) and ``vat + duty + fee`` is ``total`` too. ``border_paid`` and
    ``border_outstanding`` are what the ledger says of ``at_border``, debtor by debtor. Current
    assessments of consignments not invalidated nor returned."""
    from .localtime import jurisdiction_zone, month_bounds

    zone = jurisdiction_zone()
    # Invalidated and returned consignments are corrected in the return (the ledger reverses
    # them): they are not counted in what it must carry.
    qs = (
        TaxAssessment.objects.filter(is_current=True)
        .exclude(declaration__tax_scheme_number="")
        .exclude(declaration__status__in=CLOSED)
    )
    if month is not None:
        start, end = month_bounds(month, zone)
        qs = qs.filter(declaration__received_at__gte=start, declaration__received_at__lt=end)
    keys = ("declaration__tax_scheme", "declaration__tax_scheme_number", "month", "currency")
    rows = (
        qs.annotate(month=TruncMonth("declaration__received_at", tzinfo=zone))
        .values(*keys)
        .annotate(
            declarations=Count("id"),
            declared=Sum("declared_total"),
            assessed=Sum("pre_collected"),
            at_border=Sum("due_at_border"),
            deferred=Sum("deferred"),
            total=Sum("total"),
            flagged=Count("id", filter=Q(has_discrepancies=True)),
        )
        .order_by("-month", "declaration__tax_scheme", "declaration__tax_scheme_number")
    )
    by_channel: dict[tuple, dict[str, Decimal]] = {}
    for line in (
        TaxLine.objects.filter(assessment__in=qs)
        .annotate(month=TruncMonth("assessment__declaration__received_at", tzinfo=zone))
        .values(
            "assessment__declaration__tax_scheme",
            "assessment__declaration__tax_scheme_number",
            "month",
            "currency",
            "tax_type",
            "collection_channel",
        )
        .annotate(total=Sum("amount"))
    ):
        key = (
            line["assessment__declaration__tax_scheme"],
            line["assessment__declaration__tax_scheme_number"],
            line["month"],
            line["currency"],
        )
        amounts = by_channel.setdefault(key, {})
        total = round_money(line["total"] or Decimal(0))
        name = f"{line['tax_type']}_{line['collection_channel']}"
        amounts[name] = amounts.get(name, Decimal("0.00")) + total
        amounts[line["tax_type"]] = amounts.get(line["tax_type"], Decimal("0.00")) + total
    # What the ledger says of the border channel: each debtor's account of each consignment,
    # what was collected toward its debt (an excess awaiting its refund is not counted) and
    # what it still owes. Deferred amounts are paid by statement, per intermediary and month,
    # not per consignment: their payment is read on the statements page.
    border: dict[tuple, dict[str, Decimal]] = {}
    accounts: dict[tuple, dict[str, Decimal]] = {}
    for entry in (
        LedgerEntry.objects.filter(
            declaration_id__in=qs.values("declaration_id"), collection_model=CONSIGNEE_BORDER
        )
        .annotate(month=TruncMonth("declaration__received_at", tzinfo=zone))
        .values(
            "declaration__tax_scheme",
            "declaration__tax_scheme_number",
            "month",
            "currency",
            "declaration_id",
            "kind",
            "payer",
            "debtor",
        )
        .annotate(total=Sum("amount"))
    ):
        debt = entry["kind"] in (LedgerEntry.Kind.ASSESSED, LedgerEntry.Kind.ADJUSTMENT)
        name = entry["payer"] if debt else entry["debtor"] or entry["payer"]
        key = (
            entry["declaration__tax_scheme"],
            entry["declaration__tax_scheme_number"],
            entry["month"],
            entry["currency"],
        )
        totals = accounts.setdefault((key, entry["declaration_id"], name), {})
        kind = "owed" if debt else entry["kind"]
        totals[kind] = totals.get(kind, Decimal(0)) + (entry["total"] or Decimal(0))
    for (key, _declaration_id, name), totals in accounts.items():
        account = BorderAccount(
            debtor=name,
            owed=round_money(totals.get("owed", Decimal(0))),
            paid=round_money(totals.get(LedgerEntry.Kind.PAYMENT, Decimal(0))),
            refunded=round_money(totals.get(LedgerEntry.Kind.REFUND, Decimal(0))),
        )
        sums = border.setdefault(key, {"paid": Decimal("0.00"), "outstanding": Decimal("0.00")})
        sums["paid"] += min(account.collected, max(account.owed, Decimal("0.00")))
        sums["outstanding"] += account.outstanding
    result = []
    for row in rows:
        declared = round_money(row["declared"] or Decimal(0))
        assessed = round_money(row["assessed"] or Decimal(0))
        month_value = row["month"]
        key = tuple(row[k] for k in keys)
        amounts = by_channel.get(key, {})
        zero = Decimal("0.00")
        paid_at_border = border.get(key, {})
        result.append(
            {
                "scheme": row["declaration__tax_scheme"],
                "number": row["declaration__tax_scheme_number"],
                "month": month_value.strftime("%Y-%m") if month_value else "",
                "currency": row["currency"],
                "declarations": row["declarations"],
                "declared": declared,
                "assessed": assessed,
                "at_border": round_money(row["at_border"] or Decimal(0)),
                "deferred": round_money(row["deferred"] or Decimal(0)),
                "difference": assessed - declared,
                "flagged": row["flagged"],
                "vat": amounts.get("vat", zero),
                "vat_scheme_return": amounts.get("vat_scheme_return", zero),
                "duty": amounts.get("duty", zero),
                "duty_border": amounts.get("duty_border", zero),
                "duty_deferred_statement": amounts.get("duty_deferred_statement", zero),
                "duty_scheme_return": amounts.get("duty_scheme_return", zero),
                "fee": amounts.get("fee", zero),
                # Added after the columns above (exports keep their order): every channel of
                # every tax type, so that the scheme return, the border and the deferred
                # statements add up to the total assessed on the scheme's consignments.
                "total": round_money(row["total"] or Decimal(0)),
                "vat_border": amounts.get("vat_border", zero),
                "vat_deferred_statement": amounts.get("vat_deferred_statement", zero),
                "fee_border": amounts.get("fee_border", zero),
                "fee_deferred_statement": amounts.get("fee_deferred_statement", zero),
                "fee_scheme_return": amounts.get("fee_scheme_return", zero),
                "border_paid": paid_at_border.get("paid", zero),
                "border_outstanding": paid_at_border.get("outstanding", zero),
            }
        )
    return result


# --- Tax-scheme registry verdicts ------------------------------------------------------------


SCHEME_VALID, SCHEME_UNKNOWN, SCHEME_UNCHECKED = "valid", "unknown", "unchecked"


def tax_scheme_number_status(scheme: str, number: str, on: date) -> str:
    """`valid` when the registry of `scheme` lists `number` on `on`, `unknown` when the registry
    exists and does not, `unchecked` when no registry of that scheme was loaded (then the check
    digits validated at intake are all there is)."""
    registry = TaxSchemeRegistration.objects.filter(scheme=scheme)
    if not registry.exists():
        return SCHEME_UNCHECKED
    listed = (
        registry.filter(number=number.strip().upper(), valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .exists()
    )
    return SCHEME_VALID if listed else SCHEME_UNKNOWN


def tax_scheme_number_statuses(
    keys: set[tuple[str, str, date]],
) -> dict[tuple[str, str, date], str]:
    """`tax_scheme_number_status` for many (scheme, number, date) at once: two queries whatever
    the number of declarations."""
    if not keys:
        return {}
    schemes = {scheme for scheme, _, _ in keys}
    with_registry = set(
        TaxSchemeRegistration.objects.filter(scheme__in=schemes)
        .values_list("scheme", flat=True)
        .distinct()
    )
    listed: dict[tuple[str, str], list[tuple[date, date | None]]] = {}
    checked = {(s, n.strip().upper()) for s, n, _ in keys if s in with_registry}
    if checked:
        for scheme, number, valid_from, valid_to in TaxSchemeRegistration.objects.filter(
            scheme__in={s for s, _ in checked}, number__in={n for _, n in checked}
        ).values_list("scheme", "number", "valid_from", "valid_to"):
            listed.setdefault((scheme, number), []).append((valid_from, valid_to))
    verdicts = {}
    for scheme, number, on in keys:
        if scheme not in with_registry:
            verdicts[(scheme, number, on)] = SCHEME_UNCHECKED
            continue
        periods = listed.get((scheme, number.strip().upper()), [])
        valid = any(start <= on and (end is None or end >= on) for start, end in periods)
        verdicts[(scheme, number, on)] = SCHEME_VALID if valid else SCHEME_UNKNOWN
    return verdicts


# --- Ledger balances and release guard facts -------------------------------------------------


def border_balance(declaration_id: int) -> tuple[Decimal, Decimal, Decimal]:
    """(owed, paid, refunded) at the border for one declaration, from the ledger, all debtors
    together. What is still owed is read debtor by debtor (:func:`border_outstanding`), never as
    owed - (paid - refunded): one debtor's payment does not settle another's debt."""
    # Ledger amounts have two decimals; SQLite sums them as floating point, so the total is brought
    # back to the cent (exact for any realistic sum) before it is compared or shown.
    sums = {
        row["kind"]: round_money(row["total"] or Decimal(0))
        for row in LedgerEntry.objects.filter(
            declaration_id=declaration_id, collection_model=CONSIGNEE_BORDER
        )
        .values("kind")
        .annotate(total=Sum("amount"))
    }
    owed = sums.get("assessed", Decimal(0)) + sums.get("adjustment", Decimal(0))
    return owed, sums.get("payment", Decimal(0)), sums.get("refund", Decimal(0))


@dataclass(frozen=True)
class BorderAccount:
    """One debtor's account at the border for a declaration: what it owes (assessed plus
    adjustments in its name), what was paid toward its debt and what of that was refunded. Who
    paid does not change whose account a payment is in (a carrier may pay the consignee's taxes);
    a reassessment that moves a debt to another debtor never moves the payments with it."""

    debtor: str
    owed: Decimal
    paid: Decimal
    refunded: Decimal

    @property
    def collected(self) -> Decimal:
        return self.paid - self.refunded

    @property
    def outstanding(self) -> Decimal:
        """What the debtor still owes at the border; never negative."""
        return max(self.owed - self.collected, Decimal("0.00"))

    @property
    def excess(self) -> Decimal:
        """What was paid toward the debtor's debt beyond what it now owes: refundable."""
        return max(self.collected - max(self.owed, Decimal("0.00")), Decimal("0.00"))


def border_accounts(declaration_id: int) -> list[BorderAccount]:
    """Each border debtor's account for a declaration, from the ledger, in the order of the
    debtors' names: a debtor's debts are the assessed and adjustment entries in its name, its
    payments and refunds those that name it as `debtor` (docs/revenue.md)."""
    sums: dict[str, dict[str, Decimal]] = {}
    for row in (
        LedgerEntry.objects.filter(declaration_id=declaration_id, collection_model=CONSIGNEE_BORDER)
        .values("kind", "payer", "debtor")
        .annotate(total=Sum("amount"))
    ):
        debt = row["kind"] in (LedgerEntry.Kind.ASSESSED, LedgerEntry.Kind.ADJUSTMENT)
        name = row["payer"] if debt else row["debtor"] or row["payer"]
        kind = "owed" if debt else row["kind"]
        totals = sums.setdefault(name, {})
        totals[kind] = totals.get(kind, Decimal(0)) + (row["total"] or Decimal(0))
    zero = Decimal("0.00")
    # SQLite sums as floating point: every figure back to the cent.
    return [
        BorderAccount(
            debtor=name,
            owed=round_money(totals.get("owed", zero)),
            paid=round_money(totals.get(LedgerEntry.Kind.PAYMENT, zero)),
            refunded=round_money(totals.get(LedgerEntry.Kind.REFUND, zero)),
        )
        for name, totals in sorted(sums.items())
    ]


def border_outstanding(declaration_id: int) -> Decimal:
    """What is still owed at the border for a declaration: each debtor's debt less what was
    paid toward it net of refunds, summed; one debtor's payments never make another's debt look
    paid."""
    return sum(
        (account.outstanding for account in border_accounts(declaration_id)), Decimal("0.00")
    )


def border_due_unpaid(declaration: Declaration) -> Decimal | None:
    """Release guard fact "amount due at the border still unpaid": what the current assessment
    puts on the border channel (the consignee's duties and taxes, and a declarant's duty that no
    scheme return carries) less what was paid toward it net of refunds, debtor by debtor
    (:func:`border_outstanding`); never negative. None when the declaration has not been assessed
    yet."""
    if not TaxAssessment.objects.filter(declaration_id=declaration.pk, is_current=True).exists():
        return None
    return border_outstanding(declaration.pk)


def model_balances(declaration_id: int) -> dict[str, Decimal]:
    """What the ledger says each collection model is owed for a declaration (assessed plus
    adjustments), by model, to the cent (SQLite sums as floating point: a model whose entries
    cancel out owes 0.00, not a residue that would be reversed or reported as owed)."""
    return {
        row["collection_model"]: round_money(row["total"] or Decimal(0))
        for row in LedgerEntry.objects.filter(
            declaration_id=declaration_id,
            kind__in=(LedgerEntry.Kind.ASSESSED, LedgerEntry.Kind.ADJUSTMENT),
        )
        .values("collection_model")
        .annotate(total=Sum("amount"))
    }


def channel_balances(declaration_id: int) -> dict[str, Decimal]:
    """What the ledger says each collection channel owes for a declaration (assessed plus
    adjustments): ``border``, ``deferred_statement`` and ``scheme_return``."""
    channel_of = {
        CONSIGNEE_BORDER: BORDER,
        INTERMEDIARY_DEFERRED: DEFERRED_STATEMENT,
        VENDOR_POINT_OF_SALE: SCHEME_RETURN,
        MARKETPLACE_DEEMED_SUPPLIER: SCHEME_RETURN,
    }
    owed = {
        BORDER: Decimal("0.00"),
        DEFERRED_STATEMENT: Decimal("0.00"),
        SCHEME_RETURN: Decimal("0.00"),
    }
    for model, total in model_balances(declaration_id).items():
        channel = channel_of.get(model)
        if channel is not None:
            owed[channel] += round_money(total)
    return owed


def collection_gaps(declaration: Declaration) -> list[str]:
    """Release guard fact "IOSS/deferred amount recorded": empty when every amount of the
    current assessment is on the ledger under its channel (scheme return, deferred statement,
    border); otherwise one message per channel whose ledger total differs from the assessment.
    An assessed amount that no channel carries would be lost revenue."""
    assessment = (
        TaxAssessment.objects.filter(declaration_id=declaration.pk, is_current=True)
        .only("currency", "due_at_border", "deferred", "pre_collected")
        .first()
    )
    if assessment is None:
        return [_("Duties and taxes have not been assessed yet.")]
    recorded = channel_balances(declaration.pk)
    expected = {
        BORDER: assessment.due_at_border,
        DEFERRED_STATEMENT: assessment.deferred,
        SCHEME_RETURN: assessment.pre_collected,
    }
    labels = {
        BORDER: _("the border"),
        DEFERRED_STATEMENT: _("the deferred statement"),
        SCHEME_RETURN: _("the scheme return"),
    }
    return [
        _("%(amount)s %(currency)s assessed for %(channel)s is not recorded on the ledger.")
        % {
            "amount": _amount(expected[channel] - recorded[channel], assessment.currency),
            "currency": assessment.currency,
            "channel": labels[channel],
        }
        for channel in (BORDER, DEFERRED_STATEMENT, SCHEME_RETURN)
        if recorded[channel] != expected[channel]
    ]


def _amount(value: Decimal, currency: str) -> str:
    """An amount in a sentence for an officer: the currency's places, the reader's separators."""
    from customs_ecom.platform.templatetags.human import currency_places, number

    return number(value, currency_places(currency))


def release_blockers(declaration: Declaration) -> list[str]:
    """Why customs may not release the goods yet, for the revenue side (empty: release allowed).
    Under the consignee-at-the-border model, duties and taxes due must be collected first
    (Standard 8), including a duty owed by the declarant that no scheme return carries;
    pre-collected and deferred amounts do not hold the goods, but each must be recorded on the
    ledger under its channel (:func:`collection_gaps`). An invalidated or returned declaration
    has no release to hold: the ledger cancels what it owed and refunds what was paid
    (``revenue.reconcile_refunds``), so the amounts its assessment once put on each channel are
    no longer expected there."""
    if declaration.status in CLOSED:
        return []
    currency = (
        TaxAssessment.objects.filter(declaration_id=declaration.pk, is_current=True)
        .values_list("currency", flat=True)
        .first()
    )
    if currency is None:
        return [_("Duties and taxes have not been assessed yet.")]
    blockers = collection_gaps(declaration)
    # Debtor by debtor: what one paid never covers what another owes.
    unpaid = [a for a in border_accounts(declaration.pk) if a.outstanding > 0]
    for account in reversed(unpaid):
        blockers.insert(
            0,
            _(
                "%(amount)s %(currency)s of duties and taxes due at the border from %(debtor)s "
                "is not collected."
            )
            % {
                "amount": _amount(account.outstanding, currency),
                "currency": currency,
                "debtor": account.debtor,
            },
        )
    return blockers


def statement_paid(statement: DeferredStatement) -> Decimal:
    """What has been paid against a statement, to the cent."""
    paid = LedgerEntry.objects.filter(statement=statement, kind=LedgerEntry.Kind.PAYMENT).aggregate(
        total=Sum("amount")
    )["total"] or Decimal(0)
    return round_money(paid)


def statement_outstanding(statement: DeferredStatement) -> Decimal:
    """What a statement still owes: its total less what was paid and less a credit of its own
    that a later statement carried (negative: a credit not yet carried)."""
    paid = statement_paid(statement)
    # A credit carried into the next statement is counted there, no longer here.
    carried = DeferredStatement.objects.filter(carried_from=statement).values_list(
        "brought_forward", flat=True
    ).first() or Decimal(0)
    # SQLite sums amounts as floating point: brought back to the cent like every ledger balance.
    return round_money(statement.total - paid - carried)
