"""Writes for revenue: shipped regimes after migrate, and the tax assessment of declarations."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from declarations.models import Declaration, Status
from declarations.rates import RateBook
from declarations.services import declaration_complete_assessment, declaration_set_taxes_done

from .calculators import ConsignmentIn, ItemIn, assess
from .models import Regime, TaxAssessment, TaxLine
from .regimes import RegimeSpec, load_shipped_regimes, regime_for

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


def active_regimes() -> list[tuple[Regime, RegimeSpec]]:
    """Newest version of each regime code."""
    newest: dict[str, Regime] = {}
    for row in Regime.objects.filter(is_active=True).order_by("code", "-version"):
        newest.setdefault(row.code, row)
    return [(row, RegimeSpec.from_dict(row.spec)) for row in newest.values()]


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


def fx_rate_between(
    rates: RateBook, from_currency: str, to_currency: str, on: date
) -> Decimal | None:
    """Value of one unit of `from_currency` in `to_currency`, crossed through the EUR rates of the day."""
    if from_currency == to_currency:
        return Decimal(1)
    per_eur_from = rates(from_currency, on)
    per_eur_to = rates(to_currency, on)
    if not per_eur_from or not per_eur_to:
        return None
    return (per_eur_to / per_eur_from).quantize(Decimal("0.000001"))


def consignment_input(
    declaration: Declaration, *, deferred_payment_authorised: bool = False
) -> ConsignmentIn:
    payload = declaration.payload
    scheme = payload.get("vendor_tax_scheme") or {}
    return ConsignmentIn(
        currency=declaration.currency,
        items=tuple(
            ItemIn(
                line=int(item["line"]),
                hs_code=item.get("hs_code") or "",
                value=Decimal(str(item["value"])),
                quantity=Decimal(str(item.get("quantity") or 1)),
            )
            for item in payload["items"]
        ),
        transport_cost=Decimal(str(payload.get("transport_cost") or 0)),
        insurance_cost=Decimal(str(payload.get("insurance_cost") or 0)),
        category=declaration.category,
        tax_scheme=scheme.get("scheme") or None,
        # The number passed the check-digit validation at intake; registry checks come from risk.
        tax_scheme_number_valid=bool(scheme.get("number")),
        operator_role=declaration.operator.role,
        deferred_payment_authorised=deferred_payment_authorised,
        self_assessed=tuple(
            (t["type"], Decimal(str(t["amount"]))) for t in payload.get("self_assessed_taxes") or ()
        ),
    )


def _store_result(
    declaration: Declaration, regime: Regime, result: Any, rate_date: date, reason: str
) -> TaxAssessment:
    TaxAssessment.objects.filter(declaration=declaration, is_current=True).update(is_current=False)
    assessment = TaxAssessment.objects.create(
        declaration=declaration,
        revision=declaration.revision,
        regime=regime,
        collection_model=result.collection_model,
        currency=result.currency,
        exchange_rate=result.exchange_rate,
        rate_date=rate_date,
        total=result.totals.get("total", Decimal(0)),
        due_at_border=result.due_at_border,
        pre_collected=result.pre_collected,
        deferred=result.deferred,
        totals={k: str(v) for k, v in result.totals.items()},
        discrepancies=[
            {
                "tax_type": d.tax_type,
                "declared": str(d.declared),
                "assessed": str(d.assessed),
                "difference": str(d.difference),
            }
            for d in result.discrepancies
        ],
        explanation=list(result.explanation),
        reason=reason,
    )
    TaxLine.objects.bulk_create(
        TaxLine(
            assessment=assessment,
            tax_type=line.tax_type,
            item_line=line.item_line,
            basis=line.basis,
            rate=line.rate,
            amount=line.amount,
            currency=line.currency,
            payer=line.payer,
            collection_model=line.collection_model,
            legal_reason=line.legal_reason[:400],
            collected_at_border=line.collected_at_border,
        )
        for line in result.lines
    )
    return assessment


def taxes_assess_batch(*, declaration_ids: Sequence[int]) -> int:
    """Compute taxes for each declaration whose current revision has none yet. Safe to run twice:
    the unique (declaration, revision, reason) row decides, and a second run finds nothing to do."""
    regimes = active_regimes()
    rates = RateBook()
    done = 0
    declarations = Declaration.objects.filter(pk__in=declaration_ids).select_related("operator")
    for declaration in declarations:
        if (
            declaration.status not in (Status.ACCEPTED,)
            or declaration.tax_revision >= declaration.revision
        ):
            declaration_complete_assessment(declaration_id=declaration.pk)
            continue
        on = declaration.received_at.date()
        found = regime_on(settings.CUSTOMS_JURISDICTION, on, regimes)
        if found is None:
            logger.error(
                "no %s regime in force on %s for declaration %s",
                settings.CUSTOMS_JURISDICTION,
                on,
                declaration.pk,
            )
            continue
        regime, spec = found
        fx_rate = fx_rate_between(rates, declaration.currency, spec.currency, on)
        if fx_rate is None:
            logger.error(
                "no exchange rate %s->%s on %s for declaration %s",
                declaration.currency,
                spec.currency,
                on,
                declaration.pk,
            )
            continue
        result = assess(consignment_input(declaration), spec, fx_rate=fx_rate)
        try:
            with transaction.atomic():
                _store_result(declaration, regime, result, on, "initial")
                declaration_set_taxes_done(
                    declaration_id=declaration.pk, revision=declaration.revision
                )
        except IntegrityError:
            logger.info(
                "taxes for declaration %s revision %s already stored",
                declaration.pk,
                declaration.revision,
            )
        declaration_complete_assessment(declaration_id=declaration.pk)
        done += 1
    return done
