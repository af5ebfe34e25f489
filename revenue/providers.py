"""What revenue provides to the layers below it, registered at start-up (`RevenueConfig.ready`)."""

from __future__ import annotations

import time
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from customs_ecom.platform.extensions import provide


def _consignment_taxes(declaration_id: int) -> Any:
    from .selectors import current_tax_assessment

    return current_tax_assessment(declaration_id=declaration_id)


def _relief_state(declaration: Any, user: Any = None) -> str:
    from .services.reliefs import relief_state

    return relief_state(declaration, user)


def _taxes_for_operator(*args: Any, **kwargs: Any) -> Any:
    from .selectors import taxes_for_operator

    return taxes_for_operator(*args, **kwargs)


# (jurisdiction, local day) -> (expiry on the monotonic clock, factor): rates and regimes may be
# changed by an administrator, so a factor is kept one minute.
_IOSS_FACTORS: dict[tuple[str, date], tuple[float, Decimal]] = {}
_IOSS_FACTOR_TTL = 60.0
_ZONES: dict[str, tuple[float, Any]] = {}


def ioss_ceiling_factor(instant: datetime) -> Decimal:
    """What the IOSS ceiling of EUR 150 is worth, in euro at the customs rate of the month, for a
    consignment received at ``instant`` by this installation, as a factor of the ceiling: 1 in
    the euro area; in a member state outside it, the October rate that converts the ceiling
    (Directive 2006/112/EC art. 369zc) over the customs rate of the month that converts the
    goods' value (Reg. (EU) 952/2013 art. 53). Risk multiplies its ceiling by it so that it
    flags what the assessment keeps out of the IOSS (up to a cent of rounding in the value's
    conversion). 1 when no regime or rate is known."""
    from django.conf import settings

    from .rates import RateResolver, in_regime_currency
    from .regimes import jurisdiction_timezone
    from .services.regimes import active_regimes, regime_at_instant

    jurisdiction = settings.CUSTOMS_JURISDICTION
    now = time.monotonic()
    zone_cached = _ZONES.get(jurisdiction)
    if zone_cached is not None and zone_cached[0] > now:
        zone = zone_cached[1]
        cached = _IOSS_FACTORS.get((jurisdiction, instant.astimezone(zone).date()))
        if cached is not None and cached[0] > now:
            return cached[1]
    # A miss: read the regimes (one query when their figures are unchanged).
    regimes = active_regimes()
    zone = jurisdiction_timezone([spec for _row, spec in regimes], jurisdiction)
    _ZONES[jurisdiction] = (now + _IOSS_FACTOR_TTL, zone)
    day = instant.astimezone(zone).date()
    factor = Decimal(1)
    found = regime_at_instant(jurisdiction, instant, regimes)
    if found is not None and found[1].converts_law_amounts:
        converted = in_regime_currency(RateResolver(), found[1], day)
        law_ceiling = found[1].vendor_schemes.get("IOSS")
        if converted is not None and law_ceiling and converted[0].threshold_rate:
            # The ceiling as the assessment compares it (converted and rounded), in euro at the
            # month's customs rate, over the law's EUR 150.
            ceiling = converted[0].vendor_schemes.get("IOSS", law_ceiling)
            factor = ceiling / (law_ceiling * converted[0].threshold_rate)
    if len(_IOSS_FACTORS) > 366:
        _IOSS_FACTORS.clear()
    _IOSS_FACTORS[(jurisdiction, day)] = (time.monotonic() + _IOSS_FACTOR_TTL, factor)
    return factor


def _values_revised(declaration_id: int) -> bool:
    """Whether an officer reassessed the declaration's taxes with values found (the revalue form):
    customs found its particulars incorrect, and the declarant no longer amends it."""
    from .models import TaxAssessment

    return (
        TaxAssessment.objects.filter(declaration_id=declaration_id, reason="revaluation")
        .exclude(revised_values={})
        .exists()
    )


def _border_payments_recorded(declaration_id: int) -> bool:
    """Whether money was paid at the border for the declaration: the ledger holds it in the
    debtors' names as assessed, which an amendment renaming the consignee must not split."""
    from .models import LedgerEntry

    return LedgerEntry.objects.filter(
        declaration_id=declaration_id, kind=LedgerEntry.Kind.PAYMENT
    ).exists()


def _rate_rule_words(rule: str) -> Any:
    """An exchange-rate rule in words (the regime page's words), None for an unknown rule."""
    from .views import RATE_RULE_WORDS

    return RATE_RULE_WORDS.get(rule)


def register() -> None:
    provide("consignment.taxes", _consignment_taxes)
    provide("declaration.taxes_for_operator", _taxes_for_operator)
    provide("revenue.ioss_ceiling_factor", ioss_ceiling_factor)
    provide("consignment.relief_state", _relief_state)
    provide("revenue.rate_rule_words", _rate_rule_words)
    provide("revenue.values_revised", _values_revised)
    provide("revenue.border_payments_recorded", _border_payments_recorded)
