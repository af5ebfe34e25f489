"""Writes for revenue: shipped regimes after migrate, regime versions edited by administrators,
the tax assessment and revaluation of declarations, and the ledger (payments, refunds, deferred
statements)."""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from aeo.benefits import benefits_for_operators, operator_benefits
from aeo.models import Operator
from customs_ecom.platform.audit import audit_record
from customs_ecom.platform.bulk import insert_rows, values_in
from declarations.events import events_after, late_events
from declarations.models import Declaration, Status, StatusEvent
from declarations.rates import RateBook
from declarations.selectors import declaration_rows
from declarations.services import (
    declaration_release_if_cleared,
    declarations_complete_assessment_bulk,
    declarations_record_tax,
)
from declarations.statuses import REFUNDABLE

from .calculators import (
    BORDER,
    CONSIGNEE_BORDER,
    DEFERRED_STATEMENT,
    INTERMEDIARY_DEFERRED,
    MARKETPLACE_DEEMED_SUPPLIER,
    SCHEME_RETURN,
    VENDOR_POINT_OF_SALE,
    ConsignmentIn,
    ItemIn,
    assess,
)
from .ledger_math import refundable
from .localtime import jurisdiction_zone, local_date
from .models import (
    DeferredStatement,
    LedgerEntry,
    Regime,
    RevenueCursor,
    TaxAssessment,
    TaxAssessmentProblem,
    TaxLine,
    TaxSchemeRegistration,
)
from .money import round_money
from .rates import RateResolver
from .regimes import (
    RegimeSpec,
    jurisdiction_timezone,
    load_shipped_regimes,
    regime_at,
    regime_for,
)
from .selectors import (  # noqa: F401  (moved reads, still importable from here)
    SCHEME_UNCHECKED,
    SCHEME_UNKNOWN,
    SCHEME_VALID,
    border_balance,
    border_due_unpaid,
    channel_balances,
    collection_gaps,
    release_blockers,
    statement_outstanding,
    tax_scheme_number_status,
    tax_scheme_number_statuses,
)

logger = logging.getLogger(__name__)


def ensure_shipped_regimes() -> None:
    """Load the shipped regimes as version 1 rows if missing (idempotent; runs after migrate)."""
    with transaction.atomic():
        for spec in load_shipped_regimes():
            Regime.objects.get_or_create(
                code=spec.code,
                version=1,
                defaults={
                    "jurisdiction": spec.jurisdiction,
                    "valid_from": spec.valid_from,
                    "valid_to": spec.valid_to,
                    "spec": spec.to_dict(),
                },
            )


# Parsed figures by row, validity and content: parsing the 70-odd shipped regimes on every
# estimate cost about 30 ms, comparing their JSON a tenth of that.
_SPEC_CACHE: dict[tuple[Any, ...], RegimeSpec] = {}


def spec_of(row: Regime) -> RegimeSpec:
    """The regime figures of one version row, with the row's own validity dates."""
    key = (row.pk, row.version, row.valid_from, row.valid_to, _fingerprint(row.spec))
    if row.pk is not None and key in _SPEC_CACHE:
        return _SPEC_CACHE[key]
    spec = _parse_spec(row)
    if row.pk is not None:
        if len(_SPEC_CACHE) > 4096:
            _SPEC_CACHE.clear()
        _SPEC_CACHE[key] = spec
    return spec


def _fingerprint(spec: Any) -> str:
    return json.dumps(spec, sort_keys=True, separators=(",", ":"))


def _parse_spec(row: Regime) -> RegimeSpec:
    data = dict(row.spec)
    data["valid_from"] = row.valid_from.isoformat()
    data["valid_to"] = row.valid_to.isoformat() if row.valid_to else None
    return RegimeSpec.from_dict(data)


def active_regimes() -> list[tuple[Regime, RegimeSpec]]:
    """Every active version row: each covers its own dated period (a new version ends the
    previous one the day before it starts), so the date alone picks the version in force."""
    return [
        (row, spec_of(row))
        for row in Regime.objects.filter(is_active=True).order_by("code", "version")
    ]


def regime_at_instant(
    jurisdiction: str, instant: datetime, regimes: list[tuple[Regime, RegimeSpec]]
) -> tuple[Regime, RegimeSpec] | None:
    """The version row and figures in force at ``instant``, read in the jurisdiction's time zone
    (see :func:`revenue.regimes.regime_at`)."""
    spec = regime_at([s for _, s in regimes], jurisdiction, instant)
    if spec is None:
        return None
    for row, candidate in regimes:
        if candidate is spec:
            return row, spec
    return None


def regime_on(
    jurisdiction: str, on: date, regimes: list[tuple[Regime, RegimeSpec]]
) -> tuple[Regime, RegimeSpec] | None:
    spec = regime_for([s for _, s in regimes], jurisdiction, on)
    if spec is None:
        return None
    for row, candidate in regimes:
        if candidate is spec:
            return row, spec
    return None


TRANSPORT_BY_ROLE = {"postal_operator": "postal", "express_carrier": "express"}


def consignment_input(
    declaration: Declaration,
    *,
    deferred_payment_authorised: bool = False,
    scheme_status: str | None = None,
    values_by_line: Mapping[int, Decimal] | None = None,
) -> ConsignmentIn:
    """The engine's input for a declaration. `scheme_status` is the registry verdict on its
    tax-scheme number (an unknown number sends the VAT to the border); `values_by_line`
    replaces declared item values (revaluation after inspection)."""
    payload = declaration.payload
    scheme = payload.get("vendor_tax_scheme") or {}
    values_by_line = values_by_line or {}
    number_valid = bool(scheme.get("number")) and scheme_status != SCHEME_UNKNOWN
    origins = [
        item.get("origin_country") for item in payload["items"] if item.get("origin_country")
    ]
    role = declaration.operator.role
    return ConsignmentIn(
        currency=declaration.currency,
        items=tuple(
            ItemIn(
                line=int(item["line"]),
                hs_code=item.get("hs_code") or "",
                value=values_by_line.get(int(item["line"]), Decimal(str(item["value"]))),
                quantity=Decimal(str(item.get("quantity") or 1)),
            )
            for item in payload["items"]
        ),
        transport_cost=Decimal(str(payload.get("transport_cost") or 0)),
        insurance_cost=Decimal(str(payload.get("insurance_cost") or 0)),
        category=declaration.category,
        tax_scheme=scheme.get("scheme") or None,
        tax_scheme_number_valid=number_valid,
        operator_role=role,
        deferred_payment_authorised=deferred_payment_authorised,
        # Origin of the goods (duty by origin): the first declared, else the dispatch country.
        origin_country=(origins[0] if origins else payload.get("country_of_dispatch") or ""),
        transport=TRANSPORT_BY_ROLE.get(role, "other"),
        self_assessed=tuple(
            (t["type"], Decimal(str(t["amount"]))) for t in payload.get("self_assessed_taxes") or ()
        ),
    )


def _discrepancy_rows(result: Any, scheme_status: str | None, declaration: Declaration) -> list:
    rows: list[dict[str, Any]] = [
        {
            "code": "self_assessed_mismatch",
            "tax_type": d.tax_type,
            "declared": str(d.declared),
            "assessed": str(d.assessed),
            "difference": str(d.difference),
        }
        for d in result.discrepancies
    ]
    if scheme_status == SCHEME_UNKNOWN:
        rows.append(
            {
                "code": "tax_scheme_number_unknown",
                "tax_type": "vat",
                "detail": (
                    f"{declaration.tax_scheme} number {declaration.tax_scheme_number} is not in "
                    "the registry of valid numbers: VAT is collected at the border"
                ),
            }
        )
    return rows


def _declared_total(declaration: Declaration, result: Any, regime: RegimeSpec) -> Decimal | None:
    declared = declaration.payload.get("self_assessed_taxes") or []
    if not declared:
        return None
    original = sum((Decimal(str(t["amount"])) for t in declared), Decimal(0))
    return regime.round(original * result.exchange_rate)


def _assessment_values(
    declaration: Any,
    regime: Regime,
    result: Any,
    rate_date: date,
    reason: str,
    *,
    scheme_status: str | None = None,
    actor: Any = None,
    note: str = "",
    spec: RegimeSpec | None = None,
    rate_fact: Any = None,
) -> dict[str, Any]:
    """The assessment row for an engine result, as plain values by column (`spec`: the regime's
    parsed figures, when the caller has them already). `declaration` is a Declaration or the
    row the batch read (``_Consignment``)."""
    discrepancies = _discrepancy_rows(result, scheme_status, declaration)
    return {
        "declaration_id": declaration.pk,
        "revision": declaration.revision,
        "regime_id": regime.pk,
        "collection_model": result.collection_model,
        "currency": result.currency,
        "exchange_rate": result.exchange_rate,
        "rate_date": rate_date,
        "total": result.totals.get("total", Decimal(0)),
        "due_at_border": result.due_at_border,
        "pre_collected": result.pre_collected,
        "deferred": result.deferred,
        "totals": {k: str(v) for k, v in result.totals.items()},
        "discrepancies": discrepancies,
        "has_discrepancies": bool(discrepancies),
        "declared_total": _declared_total(declaration, result, spec or spec_of(regime)),
        "explanation": list(result.explanation)
        + ([rate_fact.explanation()] if rate_fact is not None else []),
        "rate_rule": rate_fact.rule if rate_fact is not None else "",
        "rate_fixed_on": rate_fact.fixed_on if rate_fact is not None else None,
        "rate_published_on": rate_fact.published_on if rate_fact is not None else None,
        "rate_stale": bool(rate_fact is not None and rate_fact.stale),
        "reason": reason,
        "actor_id": actor.pk if getattr(actor, "pk", None) else None,
        "note": note[:400],
    }


def _assessment_row(
    declaration: Declaration,
    regime: Regime,
    result: Any,
    rate_date: date,
    reason: str,
    **options: Any,
) -> TaxAssessment:
    """The unsaved assessment for an engine result, related objects attached; `options` are
    those of ``_assessment_values`` (scheme_status, actor, note, spec)."""
    assessment = TaxAssessment(
        **_assessment_values(declaration, regime, result, rate_date, reason, **options)
    )
    assessment.declaration = declaration
    assessment.regime = regime
    return assessment


def _line_values(assessment_id: int, result: Any) -> list[dict[str, Any]]:
    """The tax lines of an engine result as plain rows of a stored assessment."""
    return [
        {
            "assessment_id": assessment_id,
            "tax_type": line.tax_type,
            "item_line": line.item_line,
            "basis": line.basis,
            "rate": line.rate,
            "amount": line.amount,
            "currency": line.currency,
            "payer": line.payer,
            "collection_model": line.collection_model,
            "legal_reason": line.legal_reason[:400],
            "collected_at_border": line.collected_at_border,
            "collection_channel": line.collection_channel,
        }
        for line in result.lines
    ]


def _line_rows(assessment: TaxAssessment, result: Any) -> list[TaxLine]:
    return [TaxLine(**values) for values in _line_values(assessment.pk, result)]


def _store_result(
    declaration: Declaration,
    regime: Regime,
    result: Any,
    rate_date: date,
    reason: str,
    *,
    scheme_status: str | None = None,
    actor: Any = None,
    note: str = "",
    rate_fact: Any = None,
) -> TaxAssessment:
    TaxAssessment.objects.filter(declaration=declaration, is_current=True).update(is_current=False)
    assessment = _assessment_row(
        declaration,
        regime,
        result,
        rate_date,
        reason,
        scheme_status=scheme_status,
        actor=actor,
        note=note,
        rate_fact=rate_fact,
    )
    assessment.save()
    TaxLine.objects.bulk_create(_line_rows(assessment, result))
    return assessment


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
        key = "border-declarant" if line.payer == "declarant" else line.collection_channel
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
            logger.error("declaration %s: %s", declaration.pk, detail)
            problems.append((declaration, "regime_missing", detail))
            continue
        regime, spec = found
        rate_fact = resolver.resolve(declaration.currency, spec.currency, on, spec)
        if rate_fact is None:
            detail = (
                f"no exchange rate {declaration.currency}->{spec.currency} for "
                f"{on.isoformat()} under rule {spec.exchange_rate_rule}"
            )
            logger.error("declaration %s: %s", declaration.pk, detail)
            problems.append((declaration, "exchange_rate_missing", detail))
            continue
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
        if amended:
            TaxAssessment.objects.filter(declaration_id__in=amended, is_current=True).update(
                is_current=False
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
            _ledger_assessed(declaration, assessment)
    except IntegrityError:
        logger.info(
            "taxes for declaration %s revision %s already stored",
            declaration.pk,
            declaration.revision,
        )


# --- Regime versions ---------------------------------------------------------------------------


class RegimeChangeError(ValueError):
    """A regime change that cannot be made; `field` names the form field at fault (or "")."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class CsvRowError:
    row: int
    column: str
    message: str


def _changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[dict, dict]:
    keys = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def regime_new_version(
    *,
    regime_id: int,
    changes: Mapping[str, Any],
    effective_from: date,
    actor: Any,
    reason: str,
) -> Regime:
    """Change a regime's figures from `effective_from`: a new version row starts that day and the
    version it replaces ends the day before. Assessments keep the version they used, and
    declarations received before that day keep being assessed under the old figures.

    `changes` holds spec fields in their JSON form (decimal strings, rate tables as dicts). The
    version edited must be the newest of its code, and the date must fall within its validity,
    after its first day and not in the past (what was assessed is never rewritten)."""
    if not reason.strip():
        raise RegimeChangeError(_("Say why the regime changes."), field="reason")
    with transaction.atomic():
        current = Regime.objects.select_for_update().get(pk=regime_id)
        newest = Regime.objects.filter(code=current.code).order_by("-version").first()
        if newest is None or newest.pk != current.pk:
            raise RegimeChangeError(_("Only the newest version of a regime can be changed."))
        if effective_from < local_date(jurisdiction=current.jurisdiction):
            raise RegimeChangeError(
                _("The effective date cannot be in the past."), field="effective_from"
            )
        if effective_from <= current.valid_from:
            raise RegimeChangeError(
                _("The effective date must be after %(day)s, the first day of this version.")
                % {"day": current.valid_from.isoformat()},
                field="effective_from",
            )
        if current.valid_to is not None and effective_from > current.valid_to:
            raise RegimeChangeError(
                _("The effective date must be on or before %(day)s, the last day of this regime.")
                % {"day": current.valid_to.isoformat()},
                field="effective_from",
            )
        old_spec = spec_of(current).to_dict()
        unknown = set(changes) - set(old_spec) - {"valid_from", "valid_to"}
        if unknown:
            raise RegimeChangeError(f"unknown regime fields: {sorted(unknown)}")
        data = {**old_spec, **changes}
        data["valid_from"] = effective_from.isoformat()
        data["valid_to"] = current.valid_to.isoformat() if current.valid_to else None
        try:
            new_spec = RegimeSpec.from_dict(data)
        except (ValueError, TypeError) as exc:
            raise RegimeChangeError(str(exc)) from exc
        before, after = _changed(
            {k: v for k, v in old_spec.items() if k not in ("valid_from", "valid_to")},
            {k: v for k, v in new_spec.to_dict().items() if k not in ("valid_from", "valid_to")},
        )
        if not after:
            raise RegimeChangeError(_("Nothing changed."))
        previous_end = effective_from - timedelta(days=1)
        spec_json = dict(current.spec)
        spec_json["valid_to"] = previous_end.isoformat()
        Regime.objects.filter(pk=current.pk).update(valid_to=previous_end, spec=spec_json)
        new = Regime.objects.create(
            code=current.code,
            version=current.version + 1,
            jurisdiction=current.jurisdiction,
            valid_from=effective_from,
            valid_to=current.valid_to,
            spec=new_spec.to_dict(),
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        audit_record(
            actor=actor,
            action="regime.new_version",
            object_type="regime",
            object_id=new.pk,
            before={
                "code": current.code,
                "version": current.version,
                "valid_to": current.valid_to.isoformat() if current.valid_to else None,
                **before,
            },
            after={
                "code": new.code,
                "version": new.version,
                "valid_from": effective_from.isoformat(),
                "previous_valid_to": previous_end.isoformat(),
                **after,
            },
            reason=reason,
        )
        return new


def parse_rate(text: str) -> Decimal:
    """A rate typed by a person: a fraction (`0.12`) or a percentage (`12%`)."""
    raw = (text or "").strip().replace(",", ".")
    percent = raw.endswith("%")
    try:
        value = Decimal(raw.rstrip("%").strip())
    except InvalidOperation:
        raise ValueError(_("%(value)r is not a rate") % {"value": text}) from None
    if not value.is_finite():
        raise ValueError(_("%(value)r is not a rate") % {"value": text})
    if percent:
        value = value / 100
    if not Decimal(0) <= value <= Decimal(1):
        raise ValueError(
            _("%(value)r is not between 0 and 1 (write 12%% or 0.12)") % {"value": text}
        )
    return value.normalize() if value else Decimal(0)


def _hs_prefix_problem(prefix: str) -> str | None:
    if not prefix.isdigit() or len(prefix) not in (2, 4, 6, 8, 10):
        return _("%(value)r is not an HS prefix of 2, 4, 6, 8 or 10 digits") % {"value": prefix}
    return None


def parse_tariff_csv(text: str) -> tuple[dict[str, tuple[Decimal, str]], list[CsvRowError]]:
    """Rows `hs_prefix,rate[,description]` (header required) -> {prefix: (rate, description)};
    every faulty row is reported with its line number and column, nothing is half-loaded."""
    errors: list[CsvRowError] = []
    rows: dict[str, tuple[Decimal, str]] = {}
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "hs_prefix" not in header or "rate" not in header:
        return {}, [CsvRowError(1, "", _("The header must name the columns hs_prefix and rate."))]
    reader.fieldnames = header
    for line_number, row in enumerate(reader, start=2):
        prefix = (row.get("hs_prefix") or "").strip().replace(".", "").replace(" ", "")
        problem = _hs_prefix_problem(prefix)
        if problem:
            errors.append(CsvRowError(line_number, "hs_prefix", problem))
            continue
        try:
            rate = parse_rate(row.get("rate") or "")
        except ValueError as exc:
            errors.append(CsvRowError(line_number, "rate", str(exc)))
            continue
        if prefix in rows:
            errors.append(
                CsvRowError(
                    line_number,
                    "hs_prefix",
                    _("%(prefix)s appears twice") % {"prefix": prefix},
                )
            )
            continue
        rows[prefix] = (rate, (row.get("description") or "").strip()[:300])
    if not rows and not errors:
        errors.append(CsvRowError(2, "", _("The file has no tariff lines.")))
    return rows, errors


def regime_import_tariff(
    *,
    regime_id: int,
    csv_text: str,
    effective_from: date,
    replace: bool,
    source_name: str,
    actor: Any,
    reason: str,
) -> tuple[Regime | None, list[CsvRowError]]:
    """Load a duty tariff from CSV into a new version of the regime. `replace` swaps the whole
    tariff (the version no longer holds sample rates); otherwise the rows override the prefixes
    they name. Any faulty row: nothing is stored and every error is returned."""
    rows, errors = parse_tariff_csv(csv_text)
    if errors:
        return None, errors
    current = Regime.objects.get(pk=regime_id)
    spec = spec_of(current).to_dict()
    duty_rates = {} if replace else dict(spec["duty_rates"])
    descriptions = {} if replace else dict(spec.get("duty_rate_descriptions") or {})
    for prefix, (rate, description) in rows.items():
        duty_rates[prefix] = str(rate)
        if description:
            descriptions[prefix] = description
    changes: dict[str, Any] = {
        "duty_rates": duty_rates,
        "duty_rate_descriptions": descriptions,
        "tariff_source": f"{source_name} ({len(rows)} lines, {timezone.localdate().isoformat()})",
    }
    if replace:
        changes["sample_rates"] = False
    regime = regime_new_version(
        regime_id=regime_id,
        changes=changes,
        effective_from=effective_from,
        actor=actor,
        reason=reason,
    )
    return regime, []


def tax_scheme_registrations_import(
    *, csv_text: str, actor: Any, reason: str = ""
) -> tuple[int, list[CsvRowError]]:
    """Load valid scheme numbers: `scheme,number,valid_from[,valid_to][,holder]` with a header.
    All rows or none; a row already loaded (same scheme, number, first day) is left as it is."""
    errors: list[CsvRowError] = []
    reader = csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if not {"scheme", "number", "valid_from"} <= set(header):
        return 0, [CsvRowError(1, "", _("The header must name scheme, number and valid_from."))]
    reader.fieldnames = header
    pending: list[TaxSchemeRegistration] = []
    for line_number, row in enumerate(reader, start=2):
        scheme = (row.get("scheme") or "").strip().upper()
        number = (row.get("number") or "").strip().upper()
        if not scheme or len(scheme) > 8:
            errors.append(CsvRowError(line_number, "scheme", _("a scheme name is required")))
            continue
        if not number or len(number) > 40 or not number.isalnum():
            errors.append(CsvRowError(line_number, "number", _("not a scheme number")))
            continue
        dates: dict[str, date | None] = {}
        for column in ("valid_from", "valid_to"):
            text = (row.get(column) or "").strip()
            if not text:
                dates[column] = None
                continue
            try:
                dates[column] = date.fromisoformat(text)
            except ValueError:
                errors.append(
                    CsvRowError(
                        line_number, column, _("%(v)r is not a date YYYY-MM-DD") % {"v": text}
                    )
                )
        if len(dates) < 2:
            continue
        if dates["valid_from"] is None:
            errors.append(CsvRowError(line_number, "valid_from", _("a first day is required")))
            continue
        if dates["valid_to"] is not None and dates["valid_to"] < dates["valid_from"]:
            errors.append(CsvRowError(line_number, "valid_to", _("ends before it starts")))
            continue
        pending.append(
            TaxSchemeRegistration(
                scheme=scheme,
                number=number,
                holder=(row.get("holder") or "").strip()[:200],
                valid_from=dates["valid_from"],
                valid_to=dates["valid_to"],
            )
        )
    if errors:
        return 0, errors
    with transaction.atomic():
        before = TaxSchemeRegistration.objects.count()
        TaxSchemeRegistration.objects.bulk_create(pending, ignore_conflicts=True)
        created = TaxSchemeRegistration.objects.count() - before
        audit_record(
            actor=actor,
            action="tax_scheme_registry.import",
            object_type="tax_scheme_registry",
            object_id="",
            before={"rows": before},
            after={"rows": before + created, "imported": len(pending), "new": created},
            reason=reason,
        )
    return created, []


# --- Revaluation and release ------------------------------------------------------------------


class RevaluationError(ValueError):
    pass


def taxes_revalue(
    *,
    declaration_id: int,
    revised_values_by_line: Mapping[int, Decimal],
    actor: Any,
    reason: str,
) -> TaxAssessment:
    """Reassess a declaration with the values found at inspection (declaration currency, whole
    line), under the regime version and exchange rate of its current assessment. The new
    assessment (reason `revaluation`) becomes current; the ledger records the difference as
    adjustments and the audit trail the totals before and after."""
    if not reason.strip():
        raise RevaluationError(_("Say why the values are revised."))
    with transaction.atomic():
        declaration = (
            Declaration.objects.select_for_update()
            .select_related("operator")
            .get(pk=declaration_id)
        )
        if declaration.status in (Status.INVALIDATED, Status.RETURNED):
            raise RevaluationError(_("An invalidated or returned declaration is not revalued."))
        previous = (
            TaxAssessment.objects.filter(declaration=declaration, is_current=True)
            .select_related("regime")
            .first()
        )
        if previous is None:
            raise RevaluationError(_("The declaration has not been assessed yet."))
        lines = {int(item["line"]) for item in declaration.payload["items"]}
        values: dict[int, Decimal] = {}
        for line, value in revised_values_by_line.items():
            if int(line) not in lines:
                raise RevaluationError(
                    _("Line %(line)s is not on the declaration.") % {"line": line}
                )
            value = Decimal(value)
            if not value.is_finite() or value < 0:
                raise RevaluationError(_("Values must be positive amounts."))
            values[int(line)] = value
        if not values:
            raise RevaluationError(_("Give at least one revised value."))
        spec = spec_of(previous.regime)
        scheme_status = (
            tax_scheme_number_status(
                declaration.tax_scheme, declaration.tax_scheme_number, previous.rate_date
            )
            if declaration.tax_scheme_number
            else None
        )
        consignment = consignment_input(
            declaration,
            deferred_payment_authorised=previous.collection_model == INTERMEDIARY_DEFERRED
            or operator_benefits(declaration.operator).deferred_payment,
            scheme_status=scheme_status,
            values_by_line=values,
        )
        result = assess(consignment, spec, fx_rate=previous.exchange_rate)
        assessment = _store_result(
            declaration,
            previous.regime,
            result,
            previous.rate_date,
            "revaluation",
            scheme_status=scheme_status,
            actor=actor,
            note=reason,
        )
        difference = assessment.total - previous.total
        assessment.explanation = [
            *assessment.explanation,
            f"Revaluation after inspection: total {previous.total} -> {assessment.total} "
            f"{assessment.currency} (difference {difference}).",
        ]
        assessment.save(update_fields=["explanation"])
        adjustments = []
        scheme_model = (
            assessment.collection_model
            if assessment.collection_model in (VENDOR_POINT_OF_SALE, MARKETPLACE_DEEMED_SUPPLIER)
            else VENDOR_POINT_OF_SALE
        )
        for model, attr in (
            (CONSIGNEE_BORDER, "due_at_border"),
            (INTERMEDIARY_DEFERRED, "deferred"),
            (scheme_model, "pre_collected"),
        ):
            delta = getattr(assessment, attr) - getattr(previous, attr)
            if delta:
                adjustments.append(
                    LedgerEntry(
                        declaration=declaration,
                        account_id=declaration.operator_id
                        if model == INTERMEDIARY_DEFERRED
                        else None,
                        kind=LedgerEntry.Kind.ADJUSTMENT,
                        amount=delta,
                        currency=assessment.currency,
                        collection_model=model,
                        payer=(
                            declaration.operator.name
                            if model == INTERMEDIARY_DEFERRED
                            else f"{declaration.tax_scheme} {declaration.tax_scheme_number}"
                            if attr == "pre_collected"
                            else declaration.consignee_name
                        )[:200],
                        actor=actor if getattr(actor, "pk", None) else None,
                        reference=f"revaluation {assessment.pk}",
                        source_key=f"assessment:{assessment.pk}:{model}",
                    )
                )
        LedgerEntry.objects.bulk_create(adjustments)
        audit_record(
            actor=actor,
            action="taxes.revalue",
            object_type="declaration",
            object_id=declaration.pk,
            before={
                "assessment": previous.pk,
                "values": {str(k): str(v) for k, v in _declared_values(declaration).items()},
                "total": str(previous.total),
                "due_at_border": str(previous.due_at_border),
            },
            after={
                "assessment": assessment.pk,
                "values": {str(k): str(v) for k, v in values.items()},
                "total": str(assessment.total),
                "due_at_border": str(assessment.due_at_border),
                "difference": str(difference),
            },
            reason=reason,
        )
        return assessment


def _declared_values(declaration: Declaration) -> dict[int, Decimal]:
    return {int(i["line"]): Decimal(str(i["value"])) for i in declaration.payload["items"]}


# --- Ledger: payments, refunds, statements ----------------------------------------------------


class LedgerError(ValueError):
    """A ledger write refused; `code` is stable, `pointer` names the element (API) or field."""

    def __init__(self, code: str, pointer: str, detail: str, *, status: int = 422) -> None:
        super().__init__(detail)
        self.code = code
        self.pointer = pointer
        self.detail = detail
        self.status = status


def _money_amount(amount: Any, pointer: str = "/amount") -> Decimal:
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        raise LedgerError("amount_invalid", pointer, _("not an amount")) from None
    if not value.is_finite() or value <= 0:
        raise LedgerError("amount_invalid", pointer, _("the amount must be positive"))
    if value != round_money(value):
        raise LedgerError("amount_invalid", pointer, _("at most two decimals"))
    return round_money(value)


def ledger_payment_record(
    *,
    amount: Any,
    currency: str,
    reference: str = "",
    payer: str = "",
    declaration_id: int | None = None,
    statement_id: int | None = None,
    operator: Operator | None = None,
    actor: Any = None,
) -> LedgerEntry:
    """Record a payment of a declaration's border duties and taxes, or of a deferred monthly
    statement. With `operator` (the API), the declaration or statement must be that operator's:
    anything else is `not_found`, exactly like a missing one. A payment never exceeds what is
    outstanding; overpayments are refused rather than turned into credits."""
    if (declaration_id is None) == (statement_id is None):
        raise LedgerError(
            "payment_target_required",
            "",
            _("Give exactly one of declaration_id and statement_id."),
        )
    value = _money_amount(amount)
    currency = (currency or "").upper()
    with transaction.atomic():
        if declaration_id is not None:
            found = Declaration.objects.select_for_update().filter(pk=declaration_id)
            if operator is not None:
                found = found.filter(operator=operator)
            declaration = found.first()
            if declaration is None:
                raise LedgerError(
                    "not_found", "/declaration_id", _("No such declaration."), status=404
                )
            assessment = TaxAssessment.objects.filter(
                declaration=declaration, is_current=True
            ).first()
            if assessment is None:
                raise LedgerError(
                    "not_assessed", "/declaration_id", _("The declaration is not assessed yet.")
                )
            if currency != assessment.currency:
                raise LedgerError(
                    "currency_mismatch",
                    "/currency",
                    _("Pay in %(currency)s, the currency of the assessment.")
                    % {"currency": assessment.currency},
                )
            owed, paid, refunded = border_balance(declaration.pk)
            outstanding = owed - (paid - refunded)
            if value > outstanding:
                raise LedgerError(
                    "payment_exceeds_due",
                    "/amount",
                    _("%(amount)s exceeds the %(outstanding)s %(currency)s outstanding.")
                    % {"amount": value, "outstanding": outstanding, "currency": currency},
                )
            entry = LedgerEntry.objects.create(
                declaration=declaration,
                kind=LedgerEntry.Kind.PAYMENT,
                amount=value,
                currency=currency,
                collection_model=CONSIGNEE_BORDER,
                payer=(payer or (operator.name if operator else declaration.consignee_name))[:200],
                actor=actor if getattr(actor, "pk", None) else None,
                reference=reference[:120],
            )
            object_type, object_id = "declaration", declaration.pk
        else:
            found = DeferredStatement.objects.select_for_update().filter(pk=statement_id)
            if operator is not None:
                found = found.filter(operator=operator)
            statement = found.first()
            if statement is None:
                raise LedgerError("not_found", "/statement_id", _("No such statement."), status=404)
            if currency != statement.currency:
                raise LedgerError(
                    "currency_mismatch",
                    "/currency",
                    _("Pay in %(currency)s, the currency of the statement.")
                    % {"currency": statement.currency},
                )
            outstanding = statement_outstanding(statement)
            if value > outstanding:
                raise LedgerError(
                    "payment_exceeds_due",
                    "/amount",
                    _("%(amount)s exceeds the %(outstanding)s %(currency)s outstanding.")
                    % {"amount": value, "outstanding": outstanding, "currency": currency},
                )
            entry = LedgerEntry.objects.create(
                account_id=statement.operator_id,
                statement=statement,
                kind=LedgerEntry.Kind.PAYMENT,
                amount=value,
                currency=currency,
                collection_model=INTERMEDIARY_DEFERRED,
                payer=(payer or statement.operator.name)[:200],
                actor=actor if getattr(actor, "pk", None) else None,
                reference=reference[:120],
            )
            object_type, object_id = "deferred_statement", statement.pk
        audit_record(
            actor=actor,
            action="ledger.payment",
            object_type=object_type,
            object_id=object_id,
            before={"outstanding": str(outstanding)},
            after={
                "entry": entry.pk,
                "amount": str(value),
                "currency": currency,
                "outstanding": str(outstanding - value),
                "reference": reference[:120],
                "operator": operator.code if operator is not None else None,
            },
            reason=f"paid through the API by operator {operator.code}" if operator else "",
        )
        if object_type == "declaration":
            declaration_release_if_cleared(declaration_id=object_id)
        return entry


def ledger_refund(
    *,
    declaration_id: int,
    requested: Decimal,
    actor: Any = None,
    reason: str = "",
    source_key: str | None = None,
) -> LedgerEntry | None:
    """Refund up to `requested` of what was collected at the border for a declaration, never
    more than collected less already refunded (`ledger_math.refundable`). None when nothing may
    be refunded."""
    with transaction.atomic():
        declaration = Declaration.objects.select_for_update().get(pk=declaration_id)
        _, paid, refunded = border_balance(declaration.pk)
        amount = refundable(paid, refunded, Decimal(requested))
        if amount <= 0:
            return None
        currency = (
            LedgerEntry.objects.filter(declaration=declaration, kind=LedgerEntry.Kind.PAYMENT)
            .values_list("currency", flat=True)
            .first()
        )
        entry = LedgerEntry.objects.create(
            declaration=declaration,
            kind=LedgerEntry.Kind.REFUND,
            amount=amount,
            currency=currency or "EUR",
            collection_model=CONSIGNEE_BORDER,
            payer=declaration.consignee_name[:200],
            actor=actor if getattr(actor, "pk", None) else None,
            reference=reason[:120],
            source_key=source_key,
        )
        audit_record(
            actor=actor,
            action="ledger.refund",
            object_type="declaration",
            object_id=declaration.pk,
            before={"collected": str(paid - refunded)},
            after={"refund": str(amount), "collected": str(paid - refunded - amount)},
            reason=reason,
        )
        return entry


REFUND_CURSOR = "refunds"


def _settle_cancelled(event: StatusEvent) -> None:
    """Cancel what a declaration still owes and refund what was collected (invalidation or
    return): a negative adjustment per model, then a refund. Keys make a rerun a no-op."""
    declaration = Declaration.objects.select_related("operator").get(pk=event.declaration_id)
    owed, paid, refunded = border_balance(declaration.pk)
    entries = []
    if owed > 0:
        entries.append(
            LedgerEntry(
                declaration=declaration,
                kind=LedgerEntry.Kind.ADJUSTMENT,
                amount=-owed,
                currency=_ledger_currency(declaration.pk),
                collection_model=CONSIGNEE_BORDER,
                payer=declaration.consignee_name[:200],
                reference=f"{event.to_status}: nothing more is due",
                source_key=f"event:{event.pk}:border",
            )
        )
    deferred = LedgerEntry.objects.filter(
        declaration=declaration, collection_model=INTERMEDIARY_DEFERRED
    ).exclude(kind=LedgerEntry.Kind.PAYMENT).aggregate(total=Sum("amount"))["total"] or Decimal(0)
    if deferred > 0:
        entries.append(
            LedgerEntry(
                declaration=declaration,
                account_id=declaration.operator_id,
                kind=LedgerEntry.Kind.ADJUSTMENT,
                amount=-deferred,
                currency=_ledger_currency(declaration.pk),
                collection_model=INTERMEDIARY_DEFERRED,
                payer=declaration.operator.name[:200],
                reference=f"{event.to_status}: credited on the next statement",
                source_key=f"event:{event.pk}:deferred",
            )
        )
    scheme_owed = channel_balances(declaration.pk)[SCHEME_RETURN]
    if scheme_owed > 0:
        entries.append(
            LedgerEntry(
                declaration=declaration,
                kind=LedgerEntry.Kind.ADJUSTMENT,
                amount=-scheme_owed,
                currency=_ledger_currency(declaration.pk),
                collection_model=VENDOR_POINT_OF_SALE,
                payer=f"{declaration.tax_scheme} {declaration.tax_scheme_number}"[:200],
                reference=f"{event.to_status}: corrected in the scheme return",
                source_key=f"event:{event.pk}:scheme",
            )
        )
    LedgerEntry.objects.bulk_create(entries)
    if paid - refunded > 0:
        ledger_refund(
            declaration_id=declaration.pk,
            requested=paid - refunded,
            reason=f"refund on {event.to_status}",
            source_key=f"event:{event.pk}:refund",
        )


def _ledger_currency(declaration_id: int) -> str:
    return (
        LedgerEntry.objects.filter(declaration_id=declaration_id)
        .values_list("currency", flat=True)
        .first()
        or "EUR"
    )


def refunds_reconcile(*, limit: int = 1000) -> int:
    """Scan status events since the last run for invalidations and returns, and settle the
    ledger of each (declarations need not know revenue exists). Returns the events settled.
    The cursor moves in the same transaction as the entries, so a crash replays, never skips."""
    settled = 0
    with transaction.atomic():
        cursor, _created = RevenueCursor.objects.select_for_update().get_or_create(
            name=REFUND_CURSOR
        )
        # The one reader of status events: the cursor rule, and the look-back for events
        # committed below the cursor (settling is idempotent by the event's source key).
        events = events_after(cursor=cursor.last_id, limit=limit, to_statuses=REFUNDABLE)
        late = late_events(cursor=cursor.last_id, to_statuses=REFUNDABLE)
        for event in late + events:
            if not LedgerEntry.objects.filter(source_key__startswith=f"event:{event.pk}:").exists():
                _settle_cancelled(event)
                settled += 1
        if events:
            cursor.last_id = events[-1].pk
            cursor.updated_at = timezone.now()
            cursor.save(update_fields=["last_id", "updated_at"])
    return settled


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _deferred_due_day(period: date) -> int:
    """The day of the following month by which the statement of ``period`` is due, from the
    regime in force at the end of the period (EU special arrangements: the 16th)."""
    end = _next_month(period) - timedelta(days=1)
    found = regime_on(settings.CUSTOMS_JURISDICTION, end, active_regimes())
    return found[1].deferred_due_day if found else 16


def deferred_statements_close(*, today: date | None = None) -> int:
    """Close the monthly statements of intermediaries under the deferred model for every month
    that has ended: the sum of their deferred entries of the month, due by the 16th of the
    following month (EU special arrangements, Directive 2006/112/EC art. 369y-369zb).
    Idempotent: a closed (operator, month, currency) is never closed again."""
    # Months, their boundaries and the due day are those of the jurisdiction (its time zone, its
    # regime's due day), never UTC's.
    zone = jurisdiction_zone()
    today = today or local_date()
    current_month = _month_start(today)
    cutoff = datetime(current_month.year, current_month.month, 1, tzinfo=zone)
    entries = (
        LedgerEntry.objects.filter(
            collection_model=INTERMEDIARY_DEFERRED, account__isnull=False, at__lt=cutoff
        )
        .exclude(kind=LedgerEntry.Kind.PAYMENT)
        .values_list("account_id", "currency", "at", "amount")
    )
    groups: dict[tuple[int, str, date], list[Decimal]] = {}
    for account_id, currency, at, amount in entries:
        period = _month_start(at.astimezone(zone).date())
        groups.setdefault((account_id, currency, period), []).append(amount)
    closed = 0
    existing = set(DeferredStatement.objects.values_list("operator_id", "currency", "period"))
    for (account_id, currency, period), amounts in sorted(groups.items()):
        if (account_id, currency, period) in existing:
            continue
        try:
            with transaction.atomic():
                statement = DeferredStatement.objects.create(
                    operator_id=account_id,
                    period=period,
                    currency=currency,
                    total=sum(amounts, Decimal(0)),
                    entry_count=len(amounts),
                    due_date=_next_month(period).replace(day=_deferred_due_day(period)),
                )
                audit_record(
                    actor=None,
                    action="deferred_statement.close",
                    object_type="deferred_statement",
                    object_id=statement.pk,
                    after={
                        "operator": account_id,
                        "period": period.isoformat(),
                        "total": str(statement.total),
                        "due_date": statement.due_date.isoformat(),
                    },
                )
            closed += 1
        except IntegrityError:
            logger.info("statement %s %s %s already closed", account_id, period, currency)
    return closed
