"""What assessment and revaluation share: the tax engine's input for a declaration, and the
assessment and tax-line rows stored for an engine result."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings

from declarations.models import Declaration
from revenue.calculators import ConsignmentIn, ItemIn
from revenue.models import Regime, TaxAssessment, TaxLine
from revenue.money import LEGAL_REASON_MAX, CrossRate, convert, rate_value
from revenue.regimes import RegimeSpec
from revenue.selectors import SCHEME_UNKNOWN
from revenue.services.regimes import spec_of

TRANSPORT_BY_ROLE = {"postal_operator": "postal", "express_carrier": "express"}


def declared_transport(payload: Mapping[str, Any], role: str) -> str:
    """How the goods travel, for the engine (``postal``, ``express`` or ``other``), from what the
    declaration says rather than from who declares it: a postal item (a ``postal_item`` transport
    document, an S10 number, or ``transport_mode`` ``post``) is postal whoever declares it. Goods
    declared under a waybill or another mode of transport are not postal: an express carrier's
    are express, anyone else's other (the dataset has no field that says express). Only a
    declaration that names neither a transport document nor a mode falls back on the
    declarant's role (docs/revenue.md)."""
    document = payload.get("transport_document") or {}
    mode = payload.get("transport_mode") or ""
    if mode == "post" or document.get("type") == "postal_item":
        return "postal"
    if mode or document.get("type"):
        return "express" if role == "express_carrier" else "other"
    return TRANSPORT_BY_ROLE.get(role, "other")


def consignment_input(
    declaration: Declaration,
    *,
    deferred_payment_authorised: bool = False,
    scheme_status: str | None = None,
    values_by_line: Mapping[int, Decimal] | None = None,
    category: str | None = None,
) -> ConsignmentIn:
    """The engine's input for a declaration. `scheme_status` is the registry verdict on its
    tax-scheme number (an unknown number sends the VAT to the border); `values_by_line`
    replaces declared item values (revaluation after inspection); `category` replaces the declared
    category (a returned goods relief refused by an officer: taxed as an import that is not a
    sale)."""
    payload = declaration.payload
    scheme = payload.get("vendor_tax_scheme") or {}
    values_by_line = values_by_line or {}
    number_valid = bool(scheme.get("number")) and scheme_status != SCHEME_UNKNOWN
    origins = [
        item.get("origin_country") for item in payload["items"] if item.get("origin_country")
    ]
    role = declaration.operator.role
    # A buyer (else the consignee) identified by a VAT number is a business: no distance sale
    # to a consumer, so no vendor scheme or deemed supply covers it (docs/revenue.md).
    party = payload.get("buyer") or payload.get("consignee") or {}
    vat_numbers = [
        str(identifier.get("value") or "")
        for identifier in party.get("identifiers") or ()
        if identifier.get("scheme") == "VAT" and identifier.get("value")
    ]
    return ConsignmentIn(
        currency=declaration.currency,
        items=tuple(
            ItemIn(
                line=int(item["line"]),
                hs_code=item.get("hs_code") or "",
                value=values_by_line.get(int(item["line"]), Decimal(str(item["value"]))),
                quantity=Decimal(str(item.get("quantity") or 1)),
                # Duty by origin is per item: each item is taxed by its own declared origin.
                origin_country=item.get("origin_country") or "",
            )
            for item in payload["items"]
        ),
        transport_cost=Decimal(str(payload.get("transport_cost") or 0)),
        insurance_cost=Decimal(str(payload.get("insurance_cost") or 0)),
        category=category or declaration.category,
        tax_scheme=scheme.get("scheme") or None,
        tax_scheme_number_valid=number_valid,
        operator_role=role,
        deferred_payment_authorised=deferred_payment_authorised,
        # Origin of the items that declare none: the first declared, else the dispatch country.
        origin_country=(origins[0] if origins else payload.get("country_of_dispatch") or ""),
        dispatch_country=payload.get("country_of_dispatch") or "",
        buyer="business" if vat_numbers else "consumer",
        buyer_number=vat_numbers[0] if vat_numbers else "",
        transport=declared_transport(payload, role),
        # Where the goods are delivered: regional tax rates (Canada's HST) follow the postcode
        # of an address in the installation's country.
        postcode=_domestic_postcode(payload),
        self_assessed=tuple(
            (t["type"], Decimal(str(t["amount"]))) for t in payload.get("self_assessed_taxes") or ()
        ),
    )


def _domestic_postcode(payload: dict[str, Any]) -> str:
    address = (payload.get("consignee") or {}).get("address") or {}
    country = (address.get("country") or "").upper()
    if country and country != settings.CUSTOMS_JURISDICTION:
        return ""
    return address.get("postcode") or ""


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
    return convert(
        original, result.exchange_rate, quantum=regime.rounding_quantum, mode=regime.rounding_mode
    )


# The places of the stored rate (``TaxAssessment.exchange_rate``), a figure for reading.
_STORED_RATE = Decimal("0.000001")


def _rate_columns(rate: CrossRate | Decimal) -> dict[str, Any]:
    """The stored rate: its quotient for reading and, for a cross rate, the official figures it
    is crossed from, which a revaluation converts with again."""
    crossed = isinstance(rate, CrossRate)
    return {
        "exchange_rate": rate_value(rate).quantize(_STORED_RATE),
        "rate_from_per_eur": rate.per_eur_from if crossed else None,
        "rate_to_per_eur": rate.per_eur_to if crossed else None,
    }


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
        **_rate_columns(result.exchange_rate),
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
        "rate_stale": bool(rate_fact is not None and rate_fact.any_stale),
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
            "basis_unit": line.basis_unit,
            "rate": line.rate,
            "amount": line.amount,
            "currency": line.currency,
            "payer": line.payer,
            "collection_model": line.collection_model,
            "legal_reason": line.legal_reason[:LEGAL_REASON_MAX],
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
