"""The tax assessment of accepted declarations in batches: the engine run once per declaration
revision, the assessments, tax lines and ledger entries of what each collection channel owes
written in bulk, and revenue's stamp on the declarations it has assessed."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum

from aeo.benefits import benefits_for_operators
from aeo.models import Operator
from customs_ecom.platform.bulk import insert_rows, values_in
from declarations.models import Declaration, Status
from declarations.rates import RateBook
from declarations.selectors import declaration_rows
from declarations.services import declarations_complete_assessment_bulk, declarations_record_tax
from revenue.calculators import (
    BORDER,
    CONSIGNEE_BORDER,
    DEFERRED_STATEMENT,
    INTERMEDIARY_DEFERRED,
    SCHEME_RETURN,
    VENDOR_POINT_OF_SALE,
    assess,
)
from revenue.models import LedgerEntry, Regime, TaxAssessment, TaxAssessmentProblem, TaxLine
from revenue.money import round_money
from revenue.rates import RateResolver, in_regime_currency
from revenue.regimes import RegimeSpec, jurisdiction_timezone
from revenue.selectors import tax_scheme_number_statuses
from revenue.services._common import (
    _assessment_values,
    _line_values,
    _store_result,
    consignment_input,
)
from revenue.services.refunds import refund_overpayments_after_commit
from revenue.services.regimes import active_regimes, regime_at_instant
from revenue.services.reliefs import relief_refused

logger = logging.getLogger(__name__)


def _ledger_values(
    declaration: Any, assessment_id: int, lines: Sequence[Any], currency: str
) -> list[dict[str, Any]]:
    """What each collection channel owes for an assessment, as ledger rows by column: every
    assessed amount is on exactly one row (issue: no amount without a collector).

    * ``border``: the consignee's part, and apart from it the declarant's (a duty the scheme
      return does not carry, such as the EU flat duty on IOSS consignments);
    * ``deferred_statement``: the intermediary's account, paid with its monthly statement;
    * ``scheme_return``: the seller's or marketplace's scheme return (IOSS, VOEC, ...), recorded
      under the scheme number so that reconciliation can hold the return against it."""
    owed: dict[str, Decimal] = {}
    scheme_model = VENDOR_POINT_OF_SALE
    for line in lines:
        key = (
            "border-declarant"
            if line.payer == "declarant" and line.collection_channel == BORDER
            else line.collection_channel
        )
        owed[key] = owed.get(key, Decimal(0)) + line.amount
        if line.collection_channel == SCHEME_RETURN:
            scheme_model = line.collection_model
    base = {
        "declaration_id": declaration.pk,
        "kind": LedgerEntry.Kind.ASSESSED,
        "currency": currency,
        "reference": f"assessment {assessment_id}",
    }
    entries = []
    if owed.get(BORDER, 0) > 0:
        entries.append(
            {
                **base,
                "amount": owed[BORDER],
                "collection_model": CONSIGNEE_BORDER,
                "payer": declaration.consignee_name[:200],
                "source_key": f"assessment:{assessment_id}:border",
            }
        )
    if owed.get("border-declarant", 0) > 0:
        entries.append(
            {
                **base,
                "amount": owed["border-declarant"],
                "collection_model": CONSIGNEE_BORDER,
                "payer": declaration.operator.name[:200],
                "reference": f"assessment {assessment_id}: owed by the declarant",
                "source_key": f"assessment:{assessment_id}:border-declarant",
            }
        )
    if owed.get(DEFERRED_STATEMENT, 0) > 0:
        entries.append(
            {
                **base,
                "account_id": declaration.operator_id,
                "amount": owed[DEFERRED_STATEMENT],
                "collection_model": INTERMEDIARY_DEFERRED,
                "payer": declaration.operator.name[:200],
                "source_key": f"assessment:{assessment_id}:deferred",
            }
        )
    if owed.get(SCHEME_RETURN, 0) > 0:
        entries.append(
            {
                **base,
                "amount": owed[SCHEME_RETURN],
                "collection_model": scheme_model,
                "payer": f"{declaration.tax_scheme} {declaration.tax_scheme_number}".strip()[:200],
                "reference": f"assessment {assessment_id}: {declaration.tax_scheme} return",
                "source_key": f"assessment:{assessment_id}:scheme",
            }
        )
    return entries


def _ledger_rows(declaration: Declaration, assessment: TaxAssessment) -> list[LedgerEntry]:
    return [
        LedgerEntry(**values)
        for values in _ledger_values(
            declaration, assessment.pk, list(assessment.lines.all()), assessment.currency
        )
    ]


def _ledger_assessed(declaration: Declaration, assessment: TaxAssessment) -> None:
    LedgerEntry.objects.bulk_create(_ledger_rows(declaration, assessment))


def _ledger_superseded(revisions: dict[int, int]) -> list[dict[str, Any]]:
    """Adjustments that cancel what earlier assessments of these declarations still owe on the
    ledger ({declaration id: the revision now assessed}): an amendment replaces the assessment, so
    the amounts of the one it replaces are reversed (the ledger is append-only) before the new
    assessment's entries are written, channel by channel, payer by payer. Keyed by the revision,
    so an assessment stored twice reverses once."""
    if not revisions:
        return []
    owed = (
        LedgerEntry.objects.filter(
            declaration_id__in=list(revisions),
            kind__in=(LedgerEntry.Kind.ASSESSED, LedgerEntry.Kind.ADJUSTMENT),
        )
        .values("declaration_id", "account_id", "collection_model", "payer", "currency")
        .annotate(total=Sum("amount"))
        .order_by("declaration_id", "collection_model", "account_id", "payer", "currency")
    )
    entries = []
    for n, row in enumerate(owed):
        total = round_money(row["total"] or Decimal(0))
        if not total:
            continue
        revision = revisions[row["declaration_id"]]
        entries.append(
            {
                "declaration_id": row["declaration_id"],
                "account_id": row["account_id"],
                "kind": LedgerEntry.Kind.ADJUSTMENT,
                "amount": -total,
                "currency": row["currency"],
                "collection_model": row["collection_model"],
                "payer": row["payer"],
                "reference": f"revision {revision} replaces the earlier assessment",
                "source_key": f"superseded:{row['declaration_id']}:{revision}:{n}",
            }
        )
    return entries


class _Consignment(NamedTuple):
    """A declaration as the tax batch reads it: the columns and payload parts the engine and the
    rows it writes need, with its operator (role and name)."""

    pk: int
    revision: int
    status: str
    operator_id: int
    received_at: datetime
    currency: str
    category: str
    tax_scheme: str
    tax_scheme_number: str
    consignee_name: str
    payload: dict[str, Any]
    operator: Any


_CONSIGNMENT_FIELDS = (
    "pk",
    "revision",
    "status",
    "operator_id",
    "received_at",
    "currency",
    "category",
    "tax_scheme",
    "tax_scheme_number",
    "consignee_name",
)


_PAYLOAD_PARTS = (
    "items",
    "vendor_tax_scheme",
    "transport_cost",
    "insurance_cost",
    "self_assessed_taxes",
    "country_of_dispatch",
    # Who buys (a VAT number makes a business) and where the goods are delivered (a postcode
    # gives Canada's province): consignment_input reads both.
    "buyer",
    "consignee",
    # How the goods travel (declared_transport): a postal item is postal whoever declares it.
    "transport_document",
    "transport_mode",
)


def _consignments(declaration_ids: Sequence[int]) -> list[Any]:
    """The batch's declarations in id order. On PostgreSQL one statement read in binary, with
    only the payload parts the engine reads: loading model instances (their whole payload
    decoded by the standard library, every column converted) cost more than the tax engine."""
    if connection.vendor != "postgresql":
        return list(
            Declaration.objects.filter(pk__in=declaration_ids)
            .select_related("operator")
            .order_by("pk")
        )
    rows = declaration_rows(declaration_ids, _CONSIGNMENT_FIELDS, _PAYLOAD_PARTS)
    operators = Operator.objects.only("id", "role", "name").in_bulk({row[3] for row in rows})
    return [_Consignment(*row, operators[row[3]]) for row in rows]


@dataclass
class _Computed:
    declaration: Any  # a Declaration or a _Consignment
    regime: Regime
    spec: RegimeSpec
    result: Any
    rate_date: date
    scheme_status: str | None
    rate_fact: Any = None


def taxes_assess_batch(*, declaration_ids: Sequence[int]) -> int:
    """Compute taxes for each declaration whose current revision has none yet. Safe to run twice:
    the unique (declaration, revision) initial row decides, and a second run finds nothing to do.

    The collection model follows the declaration's tax-scheme number (checked against the
    registry when one is loaded), the operator's role (marketplace as deemed supplier) and, for
    carriers and posts, their AEO deferred-payment benefit (intermediary deferred).

    The hot path: regimes, rates, benefits and registry verdicts are read once per batch, and
    the results are written with bulk statements in one transaction; a redelivered or racing
    batch collides with the unique constraint and falls back to one declaration at a time."""
    regimes = active_regimes()
    resolver = RateResolver(RateBook())
    computed: list[_Computed] = []
    problems: list[tuple[Any, str, str]] = []
    declarations = _consignments(declaration_ids)
    deferral = {
        operator_id: benefit.deferred_payment
        for operator_id, benefit in benefits_for_operators(
            {d.operator_id for d in declarations}
        ).items()
    }
    # Revenue writes nothing on the declaration row (completion does, once): an assessed
    # revision is recognised by its initial tax assessment.
    taxed = {
        (declaration_id, revision)
        for declaration_id, revision, reason in values_in(
            TaxAssessment,
            ("declaration_id", "revision", "reason"),
            "declaration_id",
            [d.pk for d in declarations if d.status == Status.ACCEPTED],
        )
        if reason == "initial"
    }
    zone = jurisdiction_timezone([spec for _row, spec in regimes], settings.CUSTOMS_JURISDICTION)
    scheme_statuses = tax_scheme_number_statuses(
        {
            (d.tax_scheme, d.tax_scheme_number, d.received_at.astimezone(zone).date())
            for d in declarations
            if d.tax_scheme_number
        }
    )

    # Declarations claiming returned goods whose relief an officer refused (one query, only when
    # the batch holds such a claim).
    returned = [d.pk for d in declarations if d.category == "returned_goods"]
    relief_refused_ids = relief_refused(returned) if returned else set()

    # The regime's amounts fixed in another currency, converted once per regime and day.
    converted_on: dict[tuple[str, date], Any] = {}

    def cannot_assess(declaration: Any, code: str, detail: str) -> None:
        """Record why a declaration is not assessed: a visible problem in the queue, logged."""
        logger.error("declaration %s: %s", declaration.pk, detail)
        problems.append((declaration, code, detail))

    for declaration in declarations:
        if declaration.status != Status.ACCEPTED or (declaration.pk, declaration.revision) in taxed:
            continue
        # The day of receipt in the jurisdiction's own time zone decides the regime and the rate.
        on = declaration.received_at.astimezone(zone).date()
        found = regime_at_instant(settings.CUSTOMS_JURISDICTION, declaration.received_at, regimes)
        if found is None:
            detail = (
                f"no {settings.CUSTOMS_JURISDICTION} regime in force on {on.isoformat()} "
                f"(local day of receipt): the declaration cannot be assessed"
            )
            cannot_assess(declaration, "regime_missing", detail)
            continue
        regime, spec = found
        rate_fact = resolver.resolve(declaration.currency, spec.currency, on, spec)
        if rate_fact is None:
            detail = (
                f"no exchange rate {declaration.currency}->{spec.currency} for "
                f"{on.isoformat()} under rule {spec.exchange_rate_rule}"
            )
            cannot_assess(declaration, "exchange_rate_missing", detail)
            continue
        if (spec.code, on) not in converted_on:
            converted_on[(spec.code, on)] = in_regime_currency(resolver, spec, on)
        converted = converted_on[(spec.code, on)]
        if converted is None:
            detail = (
                f"no exchange rate {spec.threshold_currency}->{spec.currency} for "
                f"{on.isoformat()} to convert the amounts regime {spec.code} fixes in "
                f"{spec.threshold_currency}"
            )
            cannot_assess(declaration, "exchange_rate_missing", detail)
            continue
        spec, law_facts = converted
        rate_fact = rate_fact.with_law_amounts(law_facts)
        fx_rate = rate_fact.rate
        scheme_status = None
        if declaration.tax_scheme_number:
            scheme_status = scheme_statuses[
                (declaration.tax_scheme, declaration.tax_scheme_number, on)
            ]
        consignment = consignment_input(
            declaration,
            deferred_payment_authorised=deferral[declaration.operator_id],
            scheme_status=scheme_status,
            # A returned goods relief an officer refused stays refused in later revisions.
            category="other" if declaration.pk in relief_refused_ids else None,
        )
        result = assess(consignment, spec, fx_rate=fx_rate)
        computed.append(_Computed(declaration, regime, spec, result, on, scheme_status, rate_fact))
    if problems:
        TaxAssessmentProblem.objects.bulk_create(
            [
                TaxAssessmentProblem(
                    declaration_id=d.pk, revision=d.revision, code=code, detail=detail[:400]
                )
                for d, code, detail in problems
            ],
            ignore_conflicts=True,
        )
    if computed:
        try:
            _store_batch(computed)
        except IntegrityError:
            logger.info("taxes of this batch partly stored already; storing one at a time")
            for item in computed:
                _store_single(item)
    # Revenue's stamp: the revisions it has assessed (this batch's, and those a redelivered batch
    # finds stored already); completion reads the stamps, never revenue's tables.
    declarations_record_tax(
        revisions=[
            *((c.declaration.pk, c.declaration.revision) for c in computed),
            *((d.pk, d.revision) for d in declarations if (d.pk, d.revision) in taxed),
        ]
    )
    declarations_complete_assessment_bulk(declaration_ids=[d.pk for d in declarations])
    return len(computed)


def _store_batch(computed: Sequence[_Computed]) -> None:
    """Assessments, tax lines and ledger entries of a batch as plain rows (COPY on PostgreSQL)."""
    with transaction.atomic():
        # Only an amended declaration can have an assessment of an earlier revision to retire:
        # the first revision has none before its initial one.
        amended = [c.declaration.pk for c in computed if c.declaration.revision > 1]
        # An amendment may leave less due than was already paid: the excess is refunded.
        refund_overpayments_after_commit(
            {
                c.declaration.pk: f"{c.declaration.pk}:revision:{c.declaration.revision}"
                for c in computed
                if c.declaration.revision > 1
            }
        )
        if amended:
            TaxAssessment.objects.filter(declaration_id__in=amended, is_current=True).update(
                is_current=False
            )
            insert_rows(
                LedgerEntry,
                _ledger_superseded(
                    {
                        c.declaration.pk: c.declaration.revision
                        for c in computed
                        if c.declaration.revision > 1
                    }
                ),
                ids=False,
            )
        rows = [
            _assessment_values(
                c.declaration,
                c.regime,
                c.result,
                c.rate_date,
                "initial",
                scheme_status=c.scheme_status,
                spec=c.spec,
                rate_fact=c.rate_fact,
            )
            for c in computed
        ]
        ids = insert_rows(TaxAssessment, rows)
        insert_rows(
            TaxLine,
            [
                values
                for c, assessment_id in zip(computed, ids, strict=True)
                for values in _line_values(assessment_id, c.result)
            ],
            ids=False,
        )
        insert_rows(
            LedgerEntry,
            [
                entry
                for c, assessment_id, row in zip(computed, ids, rows, strict=True)
                for entry in _ledger_values(
                    c.declaration, assessment_id, c.result.lines, row["currency"]
                )
            ],
            ids=False,
        )


def _store_single(item: _Computed) -> None:
    declaration = item.declaration
    if not isinstance(declaration, Declaration):  # the row a batch read: the model, to save
        declaration = Declaration.objects.select_related("operator").get(pk=declaration.pk)
    try:
        with transaction.atomic():
            assessment = _store_result(
                declaration,
                item.regime,
                item.result,
                item.rate_date,
                "initial",
                scheme_status=item.scheme_status,
                rate_fact=item.rate_fact,
            )
            LedgerEntry.objects.bulk_create(
                LedgerEntry(**values)
                for values in _ledger_superseded({declaration.pk: declaration.revision})
            )
            _ledger_assessed(declaration, assessment)
            if declaration.revision > 1:
                refund_overpayments_after_commit(
                    {declaration.pk: f"{declaration.pk}:revision:{declaration.revision}"}
                )
    except IntegrityError:
        logger.info(
            "taxes for declaration %s revision %s already stored",
            declaration.pk,
            declaration.revision,
        )
