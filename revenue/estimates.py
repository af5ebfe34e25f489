"""The public estimator (Standard 14): what a consumer would pay on a basket, and why.

Same engine as the assessment of declarations, the regime in force today and the customs exchange
rate of the day; nothing is stored. The API and the public page both call :func:`estimate`."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

import pydantic
from django.conf import settings
from django.utils import timezone
from pydantic_core import PydanticCustomError

from declarations.lexicon import hs_chapters_for_description
from declarations.messages import Message, Seq
from declarations.schemas import _text, plain_decimal

from .calculators import ConsignmentIn, ItemIn, assess
from .money import plain, rate_text
from .regimes import RegimeSpec

Money = Annotated[Decimal, plain_decimal(2), pydantic.Field(ge=0, max_digits=14, decimal_places=2)]
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _date_from_string(value: Any) -> Any:
    # pydantic would read a JSON number (or a string of digits) as a Unix timestamp; the contract
    # says an ISO 8601 calendar date, YYYY-MM-DD.
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value  # Python callers (the page's form) pass dates
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value
    raise PydanticCustomError("date_type", "Input should be an ISO 8601 date (YYYY-MM-DD)")


IsoDate = Annotated[datetime.date, pydantic.BeforeValidator(_date_from_string)]


class EstimateItemIn(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    hs_code: str | None = pydantic.Field(default=None, pattern=r"^[0-9]{6,10}$")
    # Texts as in declarations: no NUL or other control character (control_character).
    description: _text(2, 300) | None = None
    value: Money
    quantity: Annotated[
        Decimal, plain_decimal(3), pydantic.Field(gt=0, max_digits=10, decimal_places=3)
    ] = Decimal(1)
    # The item's own country of origin, in a basket of goods of several origins (duty by origin
    # is per item); without it the item is of the basket's ``origin_country``.
    origin_country: str | None = pydantic.Field(default=None, pattern=r"^[A-Z]{2}$")

    @pydantic.model_validator(mode="after")
    def _classified(self) -> EstimateItemIn:
        # A description of whitespace only describes nothing: as if none were given.
        if not self.hs_code and not (self.description or "").strip():
            raise ValueError("give hs_code or description")
        return self


class EstimateIn(pydantic.BaseModel):
    """A basket: origin country, currency, items, shipping; optionally the seller's tax scheme
    (the seller says it charges the VAT at checkout, e.g. IOSS), the destination, the date of
    import (default: today in the destination's time zone), the category of the movement, the
    buyer and the transport channel."""

    model_config = pydantic.ConfigDict(extra="forbid")

    date: IsoDate | None = None
    # The day the goods left the country of export (or were posted): the day whose exchange rate
    # the regimes of Australia and Canada apply (rule ``export_day``).
    export_date: IsoDate | None = None
    category: Literal[
        "sale_of_goods", "gift", "documents", "commercial_sample", "returned_goods", "other"
    ] = "sale_of_goods"
    buyer: Literal["consumer", "business"] = "consumer"
    buyer_number: _text(2, 40) | None = None
    transport: Literal["postal", "express", "other"] = "other"
    postal_duty_method: Literal["ad_valorem", "specific"] = "ad_valorem"

    origin_country: str = pydantic.Field(pattern=r"^[A-Z]{2}$")
    currency: str = pydantic.Field(pattern=r"^[A-Z]{3}$")
    items: list[EstimateItemIn] = pydantic.Field(min_length=1, max_length=50)
    shipping_cost: Money = Decimal(0)
    insurance_cost: Money = Decimal(0)
    tax_scheme: str | None = pydantic.Field(default=None, pattern=r"^[A-Z_]{2,8}$")
    destination: str | None = pydantic.Field(default=None, pattern=r"^[A-Z]{2}$")
    # Where in the destination the goods are delivered, for regional tax rates (Canada's HST):
    # the ISO 3166-2 subdivision without the country ("ON" for Ontario).
    region: str | None = pydantic.Field(default=None, pattern=r"^[A-Z0-9]{1,3}$")


# The bounds of the basket's dates (docs/revenue.md, "The public estimator"): an import at most
# five years after today in the destination's time zone (the regimes published run a few years
# ahead, the rates to today), goods exported at most a year before their import (a parcel in
# transit; the day whose rate Australia, Canada and the United States apply).
ESTIMATE_YEARS_AHEAD = 5
EXPORT_YEARS_BEFORE_IMPORT = 1


def _years_after(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year
        return day.replace(year=day.year + years, day=28)


class EstimateProblem(ValueError):
    """The basket failed validation; `errors` are {pointer, code, detail} rows."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("estimate request invalid")
        self.errors = errors

    @classmethod
    def at(cls, pointer: str, code: str, detail: str) -> EstimateProblem:
        """The problem of one element."""
        return cls([{"pointer": pointer, "code": code, "detail": detail}])


def _pydantic_rows(exc: pydantic.ValidationError) -> list[dict[str, str]]:
    from declarations.schemas import _problem_from_pydantic  # the intake's messages and codes

    rows = []
    for error in exc.errors():
        if error["type"] == "value_error" and "hs_code or description" in error["msg"]:
            pointer = "".join(f"/{part}" for part in error["loc"])
            rows.append(
                {
                    "pointer": pointer + "/hs_code",
                    "code": "hs_code_or_description_required",
                    "detail": "give an HS code or a description of the goods",
                }
            )
            continue
        problem = _problem_from_pydantic(error, contract="the estimate request")
        rows.append({"pointer": problem.pointer, "code": problem.code, "detail": problem.detail})
    return rows


def _classify(item: EstimateItemIn, spec: RegimeSpec) -> tuple[str, str]:
    """The HS code the engine uses and a note on where it came from. Without a code, the chapter
    is inferred from the description; among several plausible chapters the one with the highest
    duty rate is used, so the estimate errs on the side of paying more, never less."""
    if item.hs_code:
        return item.hs_code, ""
    chapters = sorted(hs_chapters_for_description(item.description or ""))
    if not chapters:
        return "", "no HS code: default duty rate and standard tax rate"
    best = max(chapters, key=lambda ch: (spec.duty_rate_for(ch + "0000"), ch))
    note = f"HS chapter {best} inferred from the description"
    if len(chapters) > 1:
        note += f" (highest duty of chapters {', '.join(chapters)})"
    return best + "0000", note


def _presenting_role(basket: EstimateIn) -> str:
    """Who presents the goods in the estimate: the seller under its scheme, else the post for a
    postal item and an express carrier otherwise."""
    if basket.tax_scheme:
        return "vendor"
    return "postal_operator" if basket.transport == "postal" else "express_carrier"


def estimate(body: Any) -> dict[str, Any]:
    """Validate a basket and estimate duties, taxes and fees under today's regime of the
    destination (the installation's jurisdiction by default). Raises :class:`EstimateProblem`."""
    from declarations.codelists import hs_description, is_country, is_currency
    from declarations.rates import RateBook

    from .rates import RateResolver, in_regime_currency
    from .regimes import customs_union_of, jurisdiction_timezone, not_an_import
    from .services.regimes import active_regimes, regime_on

    try:
        basket = EstimateIn.model_validate(body)
    except pydantic.ValidationError as exc:
        raise EstimateProblem(_pydantic_rows(exc)) from None
    errors = []
    if not is_country(basket.origin_country):
        errors.append(
            {
                "pointer": "/origin_country",
                "code": "country_unknown",
                "detail": "not an ISO 3166 country",
            }
        )
    if not is_currency(basket.currency):
        errors.append(
            {
                "pointer": "/currency",
                "code": "currency_unknown",
                "detail": "not an ISO 4217 currency",
            }
        )
    if basket.destination is not None and not is_country(basket.destination):
        errors.append(
            {
                "pointer": "/destination",
                "code": "country_unknown",
                "detail": "not an ISO 3166 country",
            }
        )
    for index, item in enumerate(basket.items):
        if item.origin_country and not is_country(item.origin_country):
            errors.append(
                {
                    "pointer": f"/items/{index}/origin_country",
                    "code": "country_unknown",
                    "detail": "not an ISO 3166 country",
                }
            )
        if item.hs_code and hs_description(item.hs_code[:6]) is None:
            errors.append(
                {
                    "pointer": f"/items/{index}/hs_code",
                    "code": "hs_code_unknown",
                    "detail": f"{item.hs_code[:6]} is not an HS 2022 subheading",
                }
            )
    if basket.buyer == "business" and not (basket.buyer_number or "").strip():
        errors.append(
            {
                "pointer": "/buyer_number",
                "code": "required",
                "detail": "a business buyer gives its VAT, ABN or GST number",
            }
        )
    if errors:
        raise EstimateProblem(errors)
    jurisdiction = basket.destination or settings.CUSTOMS_JURISDICTION
    if not_an_import(basket.origin_country, jurisdiction):
        # Messages (English text that keeps its id and parameters), so the public page shows
        # them in the reader's language; the API answers the English text.
        detail = (
            Message(
                "%(origin)s and %(destination)s are both in the %(union)s customs and VAT "
                "territory: goods moving between them are not imports, so no import duty or "
                "import VAT is due",
                origin=basket.origin_country,
                destination=jurisdiction,
                union=customs_union_of(jurisdiction),
            )
            if basket.origin_country != jurisdiction
            else Message(
                "goods sent from %(destination)s to %(destination)s are not imports, so no "
                "import duty or import VAT is due",
                destination=jurisdiction,
            )
        )
        raise EstimateProblem.at("/origin_country", "not_an_import", detail)
    regimes = active_regimes()
    zone = jurisdiction_timezone([spec for _row, spec in regimes], jurisdiction)
    local_today = timezone.now().astimezone(zone).date()
    today = basket.date or local_today
    latest = _years_after(local_today, ESTIMATE_YEARS_AHEAD)
    if today > latest:
        # Regimes in force "until changed" would answer any year: beyond a few years no law or
        # rate is known, and the answer would only look like one.
        raise EstimateProblem.at(
            "/date",
            "date_too_far_ahead",
            Message(
                "the date of import %(date)s is more than five years ahead (after %(latest)s): "
                "the estimator answers with the law and the rates known today",
                date=today.isoformat(),
                latest=latest.isoformat(),
            ),
        )
    found = regime_on(jurisdiction, today, regimes)
    if found is None:
        # A destination with regimes at other dates: the date is the element at fault.
        known = any(spec.jurisdiction.upper() == jurisdiction.upper() for _row, spec in regimes)
        raise EstimateProblem.at(
            "/date" if basket.date and known else "/destination",
            "regime_unknown",
            (
                Message(
                    "no regime for %(destination)s in force on %(date)s",
                    destination=jurisdiction,
                    date=today.isoformat(),
                )
                if known
                else Message(
                    "no regime for %(destination)s: this installation does not estimate imports "
                    "into it",
                    destination=jurisdiction,
                )
            ),
        )
    row, spec = found
    if basket.export_date is not None and basket.export_date > today:
        raise EstimateProblem.at(
            "/export_date",
            "export_after_import",
            Message(
                "export_date %(export_date)s is after the date of import %(date)s",
                export_date=basket.export_date.isoformat(),
                date=today.isoformat(),
            ),
        )
    if basket.tax_scheme and basket.tax_scheme not in spec.vendor_schemes:
        raise EstimateProblem.at(
            "/tax_scheme",
            "tax_scheme_unknown",
            Message(
                "%(scheme)s is not a scheme of regime %(regime)s; known: %(known)s",
                scheme=basket.tax_scheme,
                regime=spec.code,
                known=Seq(sorted(spec.vendor_schemes), ", "),
            )
            if spec.vendor_schemes
            else Message(
                "%(scheme)s is not a scheme of regime %(regime)s, which has no vendor schemes",
                scheme=basket.tax_scheme,
                regime=spec.code,
            ),
        )
    if not is_currency(basket.currency, today):
        raise EstimateProblem.at(
            "/currency",
            "currency_unknown",
            Message(
                "%(currency)s was withdrawn before %(date)s",
                currency=basket.currency,
                date=today.isoformat(),
            ),
        )
    if basket.region and basket.region not in spec.regions:
        raise EstimateProblem.at(
            "/region",
            "region_unknown",
            Message(
                "%(region)s is not a region of regime %(regime)s; known: %(known)s",
                region=basket.region,
                regime=spec.code,
                known=Seq(sorted(spec.regions), ", "),
            )
            if spec.regions
            else Message(
                "%(region)s is not a region of regime %(regime)s, which has no regions",
                region=basket.region,
                regime=spec.code,
            ),
        )
    resolver = RateResolver(RateBook())
    rate_fact = resolver.resolve(
        basket.currency, spec.currency, today, spec, exported_on=basket.export_date
    )
    if rate_fact is None:
        # Under the rule of the day of export the rate asked for is that day's.
        on_export = basket.export_date is not None and spec.exchange_rate_rule == "export_day"
        fixing_day = basket.export_date if on_export else today
        raise EstimateProblem.at(
            "/export_date" if on_export else "/currency",
            "exchange_rate_unknown",
            Message(
                "no customs exchange rate %(source)s->%(target)s for %(date)s",
                source=basket.currency,
                target=spec.currency,
                date=fixing_day.isoformat(),
            ),
        )
    earliest_export = _years_after(today, -EXPORT_YEARS_BEFORE_IMPORT)
    if basket.export_date is not None and basket.export_date < earliest_export:
        # After the rate: an export day whose rate no data holds is said as such first.
        raise EstimateProblem.at(
            "/export_date",
            "export_too_early",
            Message(
                "export_date %(export_date)s is more than a year before the date of import "
                "%(date)s: give the day the goods were posted or left the country of export",
                export_date=basket.export_date.isoformat(),
                date=today.isoformat(),
            ),
        )
    converted = in_regime_currency(resolver, spec, today)
    if converted is None:
        raise EstimateProblem.at(
            "/date",
            "exchange_rate_unknown",
            Message(
                "no exchange rate %(source)s->%(target)s for %(date)s to convert the amounts "
                "regime %(regime)s fixes in %(source)s",
                source=spec.threshold_currency,
                target=spec.currency,
                date=today.isoformat(),
                regime=spec.code,
            ),
        )
    spec, law_facts = converted
    rate_fact = rate_fact.with_law_amounts(law_facts)
    classified = [_classify(item, spec) for item in basket.items]
    consignment = ConsignmentIn(
        currency=basket.currency,
        items=tuple(
            ItemIn(
                line=n,
                hs_code=code,
                value=item.value,
                quantity=item.quantity,
                classified=bool(item.hs_code),
                origin_country=item.origin_country or "",
            )
            for n, (item, (code, _note)) in enumerate(zip(basket.items, classified, strict=True), 1)
        ),
        transport_cost=basket.shipping_cost,
        insurance_cost=basket.insurance_cost,
        tax_scheme=basket.tax_scheme,
        tax_scheme_number_valid=bool(basket.tax_scheme),
        operator_role=_presenting_role(basket),
        category=basket.category,
        buyer=basket.buyer,
        buyer_number=basket.buyer_number or "",
        transport=basket.transport,
        origin_country=basket.origin_country,
        dispatch_country=basket.origin_country,
        postal_duty_method=basket.postal_duty_method,
        region=basket.region or "",
    )
    result = assess(consignment, spec, fx_rate=rate_fact.rate)
    inferred = {n: code for n, (code, note) in enumerate(classified, 1) if note and code}

    def reason(line_no: int | None, text: str) -> str:
        code = inferred.get(line_no or 0)
        if code:
            text = re.sub(rf"\bHS {code}\b", f"HS chapter {code[:2]}", text)
        return text

    you_pay = sum(
        (line.amount for line in result.lines if line.payer == "consignee"), Decimal("0.00")
    )
    declarant = sum(
        (line.amount for line in result.lines if line.payer == "declarant"), Decimal("0.00")
    )
    return {
        "regime": {
            "code": spec.code,
            "version": row.version,
            "name": spec.name,
            "jurisdiction": spec.jurisdiction,
            "sample_rates": spec.sample_rates,
            "valid_from": spec.valid_from.isoformat(),
            "valid_to": spec.valid_to.isoformat() if spec.valid_to else None,
            "timezone": spec.timezone,
        },
        "category": basket.category,
        "buyer": basket.buyer,
        "transport": basket.transport,
        "origin_country": basket.origin_country,
        "region": basket.region,
        "date": today.isoformat(),
        "export_date": basket.export_date.isoformat() if basket.export_date else None,
        "currency": spec.currency,
        "exchange_rate": rate_text(rate_fact.rate),
        "exchange_rate_rule": rate_fact.rule,
        "exchange_rate_fixed_on": rate_fact.fixed_on.isoformat(),
        "exchange_rate_published_on": rate_fact.published_on.isoformat(),
        "exchange_rate_stale": rate_fact.any_stale,
        "collection_model": result.collection_model,
        "items": [
            {
                "line": n,
                "hs_code_used": code or None,
                "classification": note or "as given",
                "origin_country": item.origin_country or basket.origin_country,
            }
            for n, (item, (code, note)) in enumerate(zip(basket.items, classified, strict=True), 1)
        ],
        "lines": [
            {
                "tax_type": line.tax_type,
                "item_line": line.item_line,
                # Written as a declaration's stored line reads them (two decimals: "1.00" for a
                # count, "25.00" for Norway's whole kroner), so the two compare as text too.
                "basis": _stored_text(line.basis),
                "basis_unit": line.basis_unit or None,
                "rate": None if line.rate is None else plain(line.rate),
                "amount": _stored_text(line.amount),
                "payer": line.payer,
                "collection_model": line.collection_model,
                "collection_channel": line.collection_channel,
                "reason": reason(line.item_line, line.legal_reason),
            }
            for line in result.lines
        ],
        "totals": {k: str(v) for k, v in result.totals.items()},
        "you_pay_on_delivery": str(you_pay),
        "charged_at_checkout": str(result.pre_collected),
        "due_from_declarant": str(declarant),
        "explanation": [reason(None, text) for text in result.explanation]
        + [rate_fact.explanation()],
        "stored": False,
    }


def _stored_text(value: Decimal) -> str:
    """A tax line's basis or amount as the stored line gives it back (`TaxLine` keeps two
    decimals)."""
    return str(value.quantize(Decimal("0.01")))
