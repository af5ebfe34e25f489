"""Exchange-rate rules per regime: which day's rate an assessment uses, where it comes from and
whether it is stale.

Each regime names its rule (``exchange_rate_rule``):

* ``eu_monthly_customs``: the EU customs rate, fixed from the rate of the penultimate Wednesday
  of the previous month and applied for the whole month (Reg. (EU) 2015/2447 art. 146;
  Reg. (EU) 952/2013 art. 53);
* ``hmrc_monthly``: HMRC's monthly rates, one file a month valid from its first day;
* ``daily`` / ``ecb_daily``: the rate of the day of importation (the national daily rates of
  Australia, Norway, Canada, New Zealand and the United States, loaded as official files);
* ``ecb_payment_date``: the ECB rate of the day itself (as for the IOSS return);
* ``previous_business_day``: the rate of the last trading day before the day of importation
  (Switzerland: the forex sell rate of the last trading day before the tax liability arises);
* ``nz_fortnightly``: New Zealand Customs' rates, set for fortnights (Monday to the second Sunday,
  counted from the fortnight of 17 July 2017) and published 11 days before each starts: the
  rate fixed on that publication day applies to the whole fortnight (Customs and Excise Act 2018
  s. 434);
* ``export_day``: the rate of the day of exportation (Australia: Customs Act 1901 s. 161J, the day
  the goods left the place of export or were posted; Canada: Customs Act s. 55 and the Currency
  Exchange for Customs Valuation Regulations, the day of direct shipment to Canada). The
  estimator takes that day as ``export_date``; a declaration carries no such date, so its
  assessment uses the day of importation and says so in its explanation, never silently;
* ``eu_annual_october``: the rate of the first working day of October, applied from 1 January of
  the following year for the whole year (the EU's amounts fixed in euro converted into the
  currencies of member states outside the euro area: Directive 2006/112/EC art. 369zc for the
  EUR 150 ceiling of the import scheme and the special arrangements, Directive 2006/79/EC art. 4
  for the gift relief).

Official rates loaded by an administrator (``declarations.ExchangeRate``, CSV of
currency/valid_from/units_per_eur) win; otherwise the ECB daily reference series shipped offline
is the fallback. A rate published more than ``exchange_rate_max_age_days`` before the rule's
fixing day is *stale*: the assessment says so and the dashboard counts it; it is never used
silently.

A rate between two currencies is crossed from their figures per euro and kept as those two
figures (``revenue.money.CrossRate``): an amount converts as ``amount * per_eur_to /
per_eur_from`` and is rounded once, where the law rounds it (each converted value to the cent),
never with a quotient rounded beforehand."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from declarations.models import ExchangeRate
from declarations.ratedays import eu_customs_rate_day
from declarations.rates import RateBook

from .money import CrossRate
from .regimes import RegimeSpec

# A fortnight of New Zealand Customs' rates (17 to 30 July 2017), and how long before each
# fortnight its rates are published.
NZ_FORTNIGHT_ANCHOR = date(2017, 7, 17)
NZ_PUBLISHED_DAYS_BEFORE = 11


def fixing_date(rule: str, on: date, exported_on: date | None = None) -> date:
    """The day whose published rate the rule applies to an importation on ``on`` (of goods
    exported on ``exported_on``, when known)."""
    if rule == "eu_monthly_customs":
        return eu_customs_rate_day(on)
    if rule == "hmrc_monthly":
        return on.replace(day=1)
    if rule in ("daily", "ecb_daily", "ecb_payment_date"):
        return on
    if rule == "previous_business_day":
        day = on - timedelta(days=1)
        while day.weekday() >= 5:  # Saturday, Sunday
            day -= timedelta(days=1)
        return day
    if rule == "export_day":
        return exported_on or on
    if rule == "eu_annual_october":
        day = date(on.year - 1, 10, 1)
        while day.weekday() >= 5:  # Saturday, Sunday
            day += timedelta(days=1)
        return day
    if rule == "nz_fortnightly":
        start = on - timedelta(days=(on - NZ_FORTNIGHT_ANCHOR).days % 14)
        return start - timedelta(days=NZ_PUBLISHED_DAYS_BEFORE)
    raise ValueError(f"unknown exchange-rate rule {rule!r}")


@dataclass(frozen=True)
class RateFact:
    """The rate an assessment uses (regime currency per unit of declaration currency, as the
    two official figures per euro it is crossed from), the day the rule fixes, the oldest
    publication day of the rates it was crossed from, its source and whether it is stale under
    the regime's rule."""

    rate: CrossRate
    rule: str
    fixed_on: date
    published_on: date
    source: str
    stale: bool
    # The rule fixes the rate on the day of export, which was not given: the import day was used.
    export_day_unknown: bool = False
    # The rates that converted the amounts the law fixes in another currency (see
    # ``in_regime_currency``); one stale among them makes this fact stale.
    law_amounts: tuple[RateFact, ...] = ()

    def with_law_amounts(self, facts: tuple[RateFact, ...]) -> RateFact:
        return replace(self, law_amounts=facts) if facts else self

    @property
    def any_stale(self) -> bool:
        """Whether this rate or one that converted the law's amounts is stale."""
        return self.stale or any(fact.stale for fact in self.law_amounts)

    def explanation(self) -> str:
        text = (
            f"Exchange rate rule {self.rule}: rate fixed for {self.fixed_on.isoformat()}, "
            f"published {self.published_on.isoformat()} ({self.source})."
        )
        if self.export_day_unknown:
            text += (
                " The rule takes the rate of the day of export, which was not given:"
                " the rate of the day of importation is used."
            )
        if self.stale:
            text += " STALE: no rate of the fixing day was published; the last known rate is used."
        for fact in self.law_amounts:
            text += (
                f" Amounts fixed in law, rule {fact.rule}: rate fixed for "
                f"{fact.fixed_on.isoformat()}, published {fact.published_on.isoformat()} "
                f"({fact.source})."
            )
            if fact.stale:
                text += " STALE: the last known rate is used."
        return text


class RateResolver:
    """Rate facts for one batch or request: each (currency, day) is looked up once."""

    def __init__(self, book: RateBook | None = None) -> None:
        self.book = book or RateBook()
        self._published: dict[tuple[str, date], tuple[date, str] | None] = {}

    def _publication(self, currency: str, day: date) -> tuple[date, str] | None:
        if currency == "EUR":
            return day, "identity"
        key = (currency, day)
        if key not in self._published:
            official = (
                ExchangeRate.objects.filter(currency=currency, valid_from__lte=day)
                .order_by("-valid_from")
                .values_list("valid_from", "source")
                .first()
            )
            if official is not None:
                self._published[key] = (official[0], f"official {official[1]}")
            else:
                self._published[key] = _ecb_publication(currency, day)
        return self._published[key]

    def resolve(
        self,
        from_currency: str,
        to_currency: str,
        on: date,
        regime: RegimeSpec,
        *,
        exported_on: date | None = None,
        rule: str | None = None,
    ) -> RateFact | None:
        """The rate fact for converting ``from_currency`` into ``to_currency`` on ``on`` (goods
        exported on ``exported_on``, when known) under ``regime``'s rule (or ``rule``), or None
        when no rate is known at all."""
        rule = rule or regime.exchange_rate_rule
        fixed_on = fixing_date(rule, on, exported_on)
        unknown = rule == "export_day" and exported_on is None
        if from_currency == to_currency:
            return RateFact(CrossRate(Decimal(1)), rule, fixed_on, fixed_on, "identity", False)
        per_eur_from = self.book(from_currency, fixed_on)
        per_eur_to = self.book(to_currency, fixed_on)
        if not per_eur_from or not per_eur_to:
            return None
        legs = [self._publication(c, fixed_on) for c in (from_currency, to_currency)]
        if any(leg is None for leg in legs):
            return None
        published_on = min(leg[0] for leg in legs if leg is not None)
        sources = sorted({leg[1] for leg in legs if leg is not None and leg[1] != "identity"})
        return RateFact(
            # Never rounded: amounts convert exactly (CrossRate.times), then round to the cent.
            rate=CrossRate(per_eur_to=per_eur_to, per_eur_from=per_eur_from),
            rule=rule,
            fixed_on=fixed_on,
            published_on=published_on,
            source=", ".join(sources) or "identity",
            stale=(fixed_on - published_on).days > regime.exchange_rate_max_age_days,
            export_day_unknown=unknown,
        )


def _ecb_publication(currency: str, day: date) -> tuple[date, str] | None:
    from declarations.rates import ecb_published_on

    published = ecb_published_on(currency, day)
    if published is None:
        return None
    return published, "ECB daily reference rate"


def in_regime_currency(
    resolver: RateResolver, regime: RegimeSpec, on: date
) -> tuple[RegimeSpec, tuple[RateFact, ...]] | None:
    """``regime`` with the amounts its law fixes in another currency converted for an
    importation on ``on``, and the rate facts used (none when nothing needs converting); None
    when a rate is not known."""
    if not regime.converts_law_amounts:
        return regime, ()
    customs = resolver.resolve(regime.threshold_currency, regime.currency, on, regime)
    tax = resolver.resolve(
        regime.threshold_currency,
        regime.currency,
        on,
        regime,
        rule=regime.effective_tax_threshold_rate_rule,
    )
    if customs is None or tax is None:
        return None
    return regime.in_regime_currency(customs.rate, tax.rate), (customs, tax)
