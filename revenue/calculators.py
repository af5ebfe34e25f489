"""Duty, VAT/GST and fee assessment of one consignment under a dated regime (pure engine).

Decimal in, tax lines out; rates, thresholds and the exchange rate are passed in, nothing is read
from a database or a clock. Every amount is rounded by the regime's rule through
:func:`revenue.money.round_money`: each converted value, each transport share and each tax line
once, or, where the regime rounds per total (``rounding_scope``), the consignment's amount of each
tax type once, spread over its lines; totals are plain sums of the rounded lines and are never
rounded again.

How collection models are represented
-------------------------------------
``AssessmentResult.collection_model`` is the model under which the consignment's **VAT/GST** is
collected: ``vendor_point_of_sale`` or ``marketplace_deemed_supplier`` when a valid vendor-scheme
number (IOSS, VOEC, UK_VAT, AU_GST, NZ_GST) covers it, otherwise the *border model*:
``intermediary_deferred`` when the presenting carrier, post or broker is authorised to collect at
delivery and pay monthly, else ``consignee_border``.

Each :class:`TaxLine` carries its own ``collection_model``, because one consignment can mix them:

* VAT lines: the model for that item. With a per-item threshold (Norway's VOEC) an item below the
  ceiling is vendor-collected while its neighbour above it is taxed at the border; goods excluded
  from low-value simplifications (excise goods, foodstuffs under VOEC) are always taxed at the
  border model.
* Duty lines: ``flat_rate_duty`` for a flat duty per distinct HS subheading (EU from 1 July 2026).
  The flat duty follows the consignment's VAT model for *who pays*: the IOSS seller charges it at
  checkout with the VAT, an authorised intermediary collects it at delivery, otherwise it is due at
  the border. Ad valorem duty and duty reliefs use the border model (vendor schemes collect VAT,
  not duty).
* Fee lines: the border model.

``payer`` says who is liable (``consignee``, ``vendor``, ``marketplace``, ``intermediary``) and
``collected_at_border`` whether customs takes the amount before release. A vendor-collected VAT line
still shows the VAT the seller should have charged, so customs can verify self-assessed amounts,
but it is not due at the border: that is how "border VAT is zero under IOSS" reads here.

Reliefs appear as lines with amount zero, ``rate`` ``None`` and a legal reason, so the officer
and the consumer see why nothing is due. Fee lines use a count as basis (one declaration, or the
number of item lines) and the fee as rate.

Category: vendor schemes cover distance sales only, so a consignment whose ``category`` is not
``sale_of_goods`` (a gift between private persons, a commercial sample...) is taxed at the border
model. Gift reliefs (duty and tax ceilings, a flat duty rate on gifts above the duty relief) are
dated figures of the regime.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal

from revenue.money import (
    LEGAL_REASON_MAX,
    CrossRate,
    apportion,
    convert,
    format_money,
    format_rate,
    rate_text,
    to_decimal,
)
from revenue.regimes import RegimeSpec, duty_free_territory, not_an_import

COLLECTION_MODELS = (
    "consignee_border",
    "vendor_point_of_sale",
    "marketplace_deemed_supplier",
    "intermediary_deferred",
    "flat_rate_duty",
)
(
    CONSIGNEE_BORDER,
    VENDOR_POINT_OF_SALE,
    MARKETPLACE_DEEMED_SUPPLIER,
    INTERMEDIARY_DEFERRED,
    FLAT_RATE_DUTY,
) = COLLECTION_MODELS
TAX_TYPES = ("duty", "vat", "fee")
# Who is liable for a line: the consignee (at the border), the seller or marketplace (scheme
# return), the intermediary (monthly deferred statement) or the declarant (the carrier or post
# presenting the goods: customs debtor of an amount no scheme return carries).
PAYERS = ("consignee", "vendor", "marketplace", "intermediary", "declarant")
# Through which channel customs receives a line's amount: every assessed amount has one.
CHANNELS = ("border", "deferred_statement", "scheme_return")
BORDER, DEFERRED_STATEMENT, SCHEME_RETURN = CHANNELS
BUYERS = ("consumer", "business")
TRANSPORTS = ("postal", "express", "other")
POSTAL_DUTY_METHODS = ("ad_valorem", "specific")
OPERATOR_ROLES = (
    "marketplace",
    "vendor",
    "express_carrier",
    "postal_operator",
    "customs_broker",
    "fulfilment_centre",
)
CATEGORIES = (
    "sale_of_goods",
    "gift",
    "documents",
    "commercial_sample",
    "returned_goods",
    "other",
)
PRE_COLLECTING_MODELS = frozenset({VENDOR_POINT_OF_SALE, MARKETPLACE_DEEMED_SUPPLIER})
PAYER_BY_MODEL = {
    CONSIGNEE_BORDER: "consignee",
    VENDOR_POINT_OF_SALE: "vendor",
    MARKETPLACE_DEEMED_SUPPLIER: "marketplace",
    INTERMEDIARY_DEFERRED: "intermediary",
}
CHANNEL_BY_MODEL = {
    CONSIGNEE_BORDER: BORDER,
    VENDOR_POINT_OF_SALE: SCHEME_RETURN,
    MARKETPLACE_DEEMED_SUPPLIER: SCHEME_RETURN,
    INTERMEDIARY_DEFERRED: DEFERRED_STATEMENT,
}
ZERO = Decimal(0)


@dataclass(frozen=True)
class ItemIn:
    """One goods item: its declared line number, HS code (6-10 digits, or empty when the goods
    were declared without one) and whole-line value.

    ``value`` is in the consignment currency; ``quantity`` is the number of units in the line
    (used for per-item thresholds, which look at the value of one unit).
    """

    line: int
    hs_code: str
    value: Decimal
    quantity: Decimal = Decimal(1)
    # False when the code was inferred (a chapter guessed from a description, as the estimator
    # does): such goods count as a tariff code of their own each for a flat duty per code.
    classified: bool = True
    # ISO country of origin of these goods; empty: the consignment's ``origin_country``.
    origin_country: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.line, bool) or not isinstance(self.line, int) or self.line < 1:
            raise ValueError(f"item line must be a positive integer, got {self.line!r}")
        hs_code = str(self.hs_code)
        # An empty code is accepted for goods declared without one (non-commercial CN23 items):
        # they take the default duty rate and the standard VAT rate.
        if hs_code and (not hs_code.isdigit() or not 6 <= len(hs_code) <= 10):
            raise ValueError(f"line {self.line}: hs_code must be 6 to 10 digits, got {hs_code!r}")
        object.__setattr__(self, "hs_code", hs_code)
        value = to_decimal(self.value, field=f"line {self.line} value")
        quantity = to_decimal(self.quantity, field=f"line {self.line} quantity")
        if value < 0:
            raise ValueError(f"line {self.line}: value must not be negative")
        if quantity <= 0:
            raise ValueError(f"line {self.line}: quantity must be positive")
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "quantity", quantity)
        object.__setattr__(self, "origin_country", (self.origin_country or "").upper())

    @property
    def hs6(self) -> str:
        """The HS 2022 subheading (first six digits)."""
        return self.hs_code[:6]


@dataclass(frozen=True)
class ConsignmentIn:
    """The facts of one consignment the engine needs, in the declaration ``currency``.

    ``tax_scheme`` names the vendor scheme whose number the declaration carries and
    ``tax_scheme_number_valid`` whether that number was found valid (checked upstream).
    ``operator_role`` is the role of the operator presenting the declaration.
    ``consignee_prior_value_today`` (regime currency) is what the same consignee already imported
    on the same day, for regimes whose threshold is per consignee per day.
    ``self_assessed`` holds ``(tax_type, amount)`` pairs the submitter computed or collected.
    """

    currency: str
    items: tuple[ItemIn, ...]
    transport_cost: Decimal = Decimal(0)
    insurance_cost: Decimal = Decimal(0)
    category: str = "sale_of_goods"
    tax_scheme: str | None = None
    tax_scheme_number_valid: bool = False
    operator_role: str = "express_carrier"
    deferred_payment_authorised: bool = False
    consignee_prior_value_today: Decimal = Decimal(0)
    self_assessed: tuple[tuple[str, Decimal], ...] = ()
    # Who buys: a consumer, or a business (``buyer_number``: its VAT, ABN or GST number).
    buyer: str = "consumer"
    buyer_number: str = ""
    # How the goods travel: postal, express or other (fees and postal duty alternatives).
    transport: str = "other"
    # ISO country of origin of the goods (duty by origin where the law makes it so): the origin
    # of every item that does not declare its own (``ItemIn.origin_country``).
    origin_country: str = ""
    # The post's choice where the regime offers a specific duty per postal item.
    postal_duty_method: str = "ad_valorem"
    # ISO country the goods are sent from: a territory inside the destination's customs
    # territory but outside its VAT territory owes import VAT and no duty (regimes.json,
    # ``duty_free_territories``).
    dispatch_country: str = ""
    # Where the goods are delivered, for regimes with regional tax rates (Canada's HST): the
    # region (ISO 3166-2 subdivision without the country, "ON") or else the delivery postcode.
    region: str = ""
    postcode: str = ""

    def __post_init__(self) -> None:
        items = tuple(self.items)
        if not items:
            raise ValueError("a consignment has at least one item")
        lines = [item.line for item in items]
        if len(set(lines)) != len(lines):
            raise ValueError("item line numbers must be unique")
        object.__setattr__(self, "items", items)
        for name in ("transport_cost", "insurance_cost", "consignee_prior_value_today"):
            amount = to_decimal(getattr(self, name), field=name)
            if amount < 0:
                raise ValueError(f"{name} must not be negative")
            object.__setattr__(self, name, amount)
        if self.category not in CATEGORIES:
            raise ValueError(f"category must be one of {CATEGORIES}")
        if self.operator_role not in OPERATOR_ROLES:
            raise ValueError(f"operator_role must be one of {OPERATOR_ROLES}")
        if self.buyer not in BUYERS:
            raise ValueError(f"buyer must be one of {BUYERS}")
        if self.transport not in TRANSPORTS:
            raise ValueError(f"transport must be one of {TRANSPORTS}")
        if self.postal_duty_method not in POSTAL_DUTY_METHODS:
            raise ValueError(f"postal_duty_method must be one of {POSTAL_DUTY_METHODS}")
        object.__setattr__(self, "origin_country", (self.origin_country or "").upper())
        object.__setattr__(self, "dispatch_country", (self.dispatch_country or "").upper())
        self_assessed = []
        for tax_type, amount in self.self_assessed:
            if tax_type not in TAX_TYPES:
                raise ValueError(f"self-assessed tax type must be one of {TAX_TYPES}")
            self_assessed.append((tax_type, to_decimal(amount, field=f"self-assessed {tax_type}")))
        object.__setattr__(self, "self_assessed", tuple(self_assessed))

    def origin_of(self, item: ItemIn) -> str:
        """The country of origin of ``item``: its own, else the consignment's ('' when neither is
        known)."""
        return item.origin_country or self.origin_country


POSTAL_SPECIFIC_NOT_OFFERED = (
    "No specific duty per postal item is offered on this date: the ad valorem duty applies."
)


@dataclass(frozen=True)
class TaxLine:
    """One assessed duty, VAT/GST or fee amount with its basis, payer, model and legal reason.

    Amounts and bases are in the regime currency (``currency``), unless ``basis_unit`` names
    what the basis counts (``tariff_code``, ``postal_item``, ``entry``, ``declaration``, ``line``,
    ``consignment``, ``item``): then ``rate`` is the amount per unit of it, else a fraction of the
    basis. Every line has a rate (a relief's is zero), so amount = basis x rate, rounded.
    """

    tax_type: str
    item_line: int | None
    basis: Decimal
    rate: Decimal | None
    amount: Decimal
    currency: str
    payer: str
    collection_model: str
    legal_reason: str
    collected_at_border: bool
    collection_channel: str = BORDER
    basis_unit: str = ""


@dataclass(frozen=True)
class Discrepancy:
    """A self-assessed amount that differs from the assessed one.

    ``declared`` is the self-assessed amount converted to the regime currency (the original is in
    ``declared_original``, in the declaration currency); ``difference`` is
    ``assessed - declared``: positive when the submitter under-declared.
    """

    tax_type: str
    declared: Decimal
    assessed: Decimal
    difference: Decimal
    declared_original: Decimal | None = None


@dataclass(frozen=True)
class AssessmentResult:
    """The assessment of one consignment. Amounts in ``currency`` (the regime currency).

    ``totals`` has one entry per tax type (``duty``, ``vat``, ``fee``) and ``total``;
    ``due_at_border + pre_collected + deferred == totals["total"]``.
    ``exchange_rate`` is the rate of the day used: regime currency per unit of declaration currency
    (a ``CrossRate`` when the caller gave the official figures it is crossed from).
    """

    regime_code: str
    collection_model: str
    currency: str
    exchange_rate: Decimal | CrossRate
    lines: tuple[TaxLine, ...]
    totals: dict[str, Decimal]
    due_at_border: Decimal
    pre_collected: Decimal
    deferred: Decimal
    discrepancies: tuple[Discrepancy, ...]
    explanation: tuple[str, ...]
    declaration_currency: str = ""
    threshold_value: Decimal = field(default=ZERO)
    # channel -> tax type -> amount; every line's amount is in exactly one channel.
    by_channel: dict[str, dict[str, Decimal]] = field(default_factory=dict)


@dataclass(frozen=True)
class _ValuedItem:
    item: ItemIn
    value: Decimal
    transport: Decimal
    insurance: Decimal
    threshold_value: Decimal
    excluded: bool
    vendor_value: Decimal = ZERO

    @property
    def customs_value(self) -> Decimal:
        return self.value + self.transport + self.insurance


def _cite(regime: RegimeSpec, key: str) -> str:
    reference = regime.legal_ref(key)
    return f" ({reference})" if reference else ""


def _value_word(regime: RegimeSpec) -> str:
    return "intrinsic value" if regime.value_basis == "intrinsic" else "customs value"


def _lines_text(items: Iterable[_ValuedItem]) -> str:
    numbers = [str(valued.item.line) for valued in items]
    return ("line " if len(numbers) == 1 else "lines ") + ", ".join(numbers)


def _within_vendor_ceiling(regime: RegimeSpec, ceiling: Decimal, value: Decimal) -> bool:
    return value <= ceiling if regime.vendor_ceiling_inclusive else value < ceiling


def consignment_threshold_value(
    c: ConsignmentIn, regime: RegimeSpec, *, fx_rate: Decimal | CrossRate
) -> Decimal:
    """The consignment-level value compared with the regime's thresholds, in regime currency.

    Item values (and, on a customs basis, transport and insurance) are converted and rounded one
    by one, then summed; for a per-consignee-per-day scope the consignee's earlier imports of the
    day are added.
    """
    rate = fx_rate if isinstance(fx_rate, CrossRate) else to_decimal(fx_rate, field="fx_rate")
    _, value = _value_items(c, regime, rate)
    return value


def _value_items(
    c: ConsignmentIn, regime: RegimeSpec, fx_rate: Decimal | CrossRate
) -> tuple[tuple[_ValuedItem, ...], Decimal]:
    rounding = {"quantum": regime.rounding_quantum, "mode": regime.rounding_mode}
    values = [convert(item.value, fx_rate, **rounding) for item in c.items]
    transport = convert(c.transport_cost, fx_rate, **rounding)
    insurance = convert(c.insurance_cost, fx_rate, **rounding)
    # Transport and insurance are spread over the items by value, as for a customs declaration
    # where the consignment's costs are added to each goods item's customs value.
    transport_shares = apportion(transport, values, **rounding)
    insurance_shares = apportion(insurance, values, **rounding)
    customs_basis = regime.value_basis == "customs"
    consignment_value = sum(values, ZERO)
    if customs_basis:
        consignment_value += transport + insurance
    if regime.threshold_scope == "consignee_day":
        consignment_value += regime.round(c.consignee_prior_value_today)
    valued = []
    for item, value, transport_share, insurance_share in zip(
        c.items, values, transport_shares, insurance_shares, strict=True
    ):
        if regime.threshold_scope == "item":
            line_value = value + (transport_share + insurance_share if customs_basis else ZERO)
            # Per-item thresholds look at one article: the line value divided by its quantity.
            threshold_value = line_value / item.quantity
        else:
            threshold_value = consignment_value
        if regime.effective_vendor_scope == "item":
            vendor_line = value + (transport_share + insurance_share if customs_basis else ZERO)
            vendor_value = vendor_line / item.quantity
        else:
            vendor_value = consignment_value
        valued.append(
            _ValuedItem(
                item=item,
                value=value,
                transport=transport_share,
                insurance=insurance_share,
                threshold_value=threshold_value,
                excluded=regime.excluded_from_low_value(item.hs_code),
                vendor_value=vendor_value,
            )
        )
    return tuple(valued), consignment_value


def _scheme_refusal(c: ConsignmentIn, regime: RegimeSpec, basis_value: Decimal) -> str | None:
    """Why the declared vendor scheme cannot take the VAT, or None when it can (or none declared)."""
    scheme = c.tax_scheme
    if not scheme:
        return None
    if scheme not in regime.vendor_schemes:
        return (
            f"{scheme} is not a scheme of regime {regime.code}: "
            f"{regime.tax_name} is taken at the border"
        )
    if c.category != "sale_of_goods":
        return f"{scheme} covers distance sales only, not category {c.category}"
    if c.buyer not in regime.vendor_buyers:
        number = f" {c.buyer_number}" if c.buyer_number else ""
        return (
            f"{scheme} covers sales to consumers: the buyer is a business{number}"
            f"{_cite(regime, 'business_buyer')}"
        )
    if not c.tax_scheme_number_valid:
        return f"{scheme} number not valid: {regime.tax_name} is taken at the border"
    ceiling = regime.vendor_schemes[scheme]
    if not _within_vendor_ceiling(regime, ceiling, basis_value):
        relation = "exceeds" if regime.vendor_ceiling_inclusive else "is not below"
        return (
            f"{_value_word(regime)} {format_money(regime.round(basis_value), regime.currency)} "
            f"{relation} the {scheme} ceiling {format_money(ceiling, regime.currency)}"
        )
    return None


def _scheme_model(c: ConsignmentIn, regime: RegimeSpec, basis_value: Decimal) -> str | None:
    if not c.tax_scheme or _scheme_refusal(c, regime, basis_value) is not None:
        return None
    if c.operator_role in regime.deemed_supplier_roles:
        return MARKETPLACE_DEEMED_SUPPLIER
    return VENDOR_POINT_OF_SALE


def _border_model(
    c: ConsignmentIn, regime: RegimeSpec, basis_value: Decimal, hs_codes: Iterable[str]
) -> str:
    deferral_allowed = (
        c.deferred_payment_authorised
        and c.operator_role in regime.deferred_roles
        and (regime.deferred_ceiling is None or basis_value <= regime.deferred_ceiling)
        and not any(regime.excluded_from_low_value(hs_code) for hs_code in hs_codes)
    )
    return INTERMEDIARY_DEFERRED if deferral_allowed else CONSIGNEE_BORDER


def choose_collection_model(
    c: ConsignmentIn, regime: RegimeSpec, *, basis_value: Decimal, hs_code: str | None = None
) -> str:
    """The VAT collection model for a consignment (or, with ``hs_code``, for one item of it).

    ``basis_value`` is the threshold value in regime currency (see
    :func:`consignment_threshold_value`; the unit value of the item for per-item regimes).

    1. A valid number of a scheme the regime accepts, on a sale of goods within the scheme's
       ceiling and not excluded goods: ``marketplace_deemed_supplier`` when the presenting
       operator's role is a deemed-supplier role of the regime, else ``vendor_point_of_sale``.
    2. Otherwise an intermediary of a deferred role, authorised to defer, within the regime's
       deferred ceiling and with no excluded goods: ``intermediary_deferred``.
    3. Otherwise ``consignee_border``.

    Without ``hs_code`` the consignment counts as scheme-eligible when at least one of its items is
    not excluded goods, and as deferral-eligible only when none is.
    """
    basis_value = to_decimal(basis_value, field="basis_value")
    hs_codes = [hs_code] if hs_code is not None else [item.hs_code for item in c.items]
    some_item_admissible = any(not regime.excluded_from_low_value(code) for code in hs_codes)
    if some_item_admissible:
        scheme_model = _scheme_model(c, regime, basis_value)
        if scheme_model is not None:
            return scheme_model
    return _border_model(c, regime, basis_value, hs_codes)


def _check_fx_rate(
    c: ConsignmentIn, regime: RegimeSpec, fx_rate: Decimal | CrossRate
) -> Decimal | CrossRate:
    if isinstance(fx_rate, CrossRate):  # positive by construction
        one = fx_rate.is_one()
    else:
        fx_rate = to_decimal(fx_rate, field="fx_rate")
        if fx_rate <= 0:
            raise ValueError("fx_rate must be positive")
        one = fx_rate == 1
    if c.currency == regime.currency and not one:
        raise ValueError(f"fx_rate must be 1 for a declaration already in {regime.currency}")
    return fx_rate


def _rate_of_the_day(fx_rate: Decimal | CrossRate, source: str, target: str) -> str:
    """The rate as the explanation states it; a cross rate with the official figures it is
    crossed from (what the amounts are converted with, unrounded)."""
    text = f"Exchange rate of the day: 1 {source} = {rate_text(fx_rate)} {target}"
    # From the euro, the rate is the target's official figure itself.
    if isinstance(fx_rate, CrossRate) and source != "EUR" and not fx_rate.is_one():
        figures = [
            f"{rate_text(per_eur, digits=18)} {code}"
            for per_eur, code in ((fx_rate.per_eur_from, source), (fx_rate.per_eur_to, target))
            if code != "EUR"
        ]
        text += f" (1 EUR = {' = '.join(figures)})"
    return text + "."


def assess(
    c: ConsignmentIn,
    regime: RegimeSpec,
    *,
    fx_rate: Decimal | CrossRate,
    tolerance: Decimal = ZERO,
) -> AssessmentResult:
    """Assess duty, VAT/GST and fees of consignment ``c`` under ``regime``.

    ``fx_rate`` is the official rate of the day: the value of ONE unit of ``c.currency`` in
    ``regime.currency`` (``Decimal("1")`` when they are equal); it is recorded on the result.
    A ``CrossRate`` (the official figures per euro of both currencies) converts exactly: each
    value is ``value * per_eur_to / per_eur_from`` rounded once, to the regime's quantum.
    Self-assessed amounts are converted at the same rate and compared with the assessment per
    tax type; a difference larger than ``tolerance`` (regime currency) is a discrepancy.
    """
    fx_rate = _check_fx_rate(c, regime, fx_rate)
    tolerance = to_decimal(tolerance, field="tolerance")
    if regime.converts_law_amounts:
        raise ValueError(
            f"{regime.code}: its amounts are in {regime.threshold_currency}; convert them with "
            "in_regime_currency before assessing"
        )
    if (
        c.category == "returned_goods"
        and regime.returned_goods_relief
        and not not_an_import(c.dispatch_country, regime.jurisdiction)
    ):
        # A relief is claimed only for what would otherwise be owed: goods that a threshold, a
        # minimum or a zero rate already frees of a tax are not held for an officer over it.
        unrelieved = assess(
            c, replace(regime, returned_goods_relief=()), fx_rate=fx_rate, tolerance=tolerance
        )
        owed = tuple(t for t in regime.returned_goods_relief if unrelieved.totals[t] > ZERO)
        if not owed:
            return replace(
                unrelieved, explanation=(*unrelieved.explanation, RETURNED_GOODS_NOT_NEEDED)
            )
        if owed != regime.returned_goods_relief:
            regime = replace(regime, returned_goods_relief=owed)
    regime = regime.for_region(c.region.upper() or regime.region_of_postcode(c.postcode))
    currency = regime.currency
    valued, consignment_value = _value_items(c, regime, fx_rate)
    shipment = _shipment_regimes(c, regime, valued)
    hs_codes = [v.item.hs_code for v in valued]
    border_model = _border_model(c, regime, consignment_value, hs_codes)
    item_models = {
        v.item.line: (
            border_model
            if v.excluded
            else (_scheme_model(c, regime, v.vendor_value) or border_model)
        )
        for v in valued
    }
    pre_collecting = [m for m in item_models.values() if m in PRE_COLLECTING_MODELS]
    consignment_model = pre_collecting[0] if pre_collecting else border_model

    explanation = [
        f"Regime {regime.code}: {regime.name}.",
        (
            _rate_of_the_day(fx_rate, c.currency, currency)
            if c.currency != currency
            else f"Declared in {currency}; no conversion."
        ),
        _threshold_explanation(c, regime, valued, consignment_value),
        f"{regime.tax_name} collection model: {consignment_model}.",
    ]
    if regime.threshold_rate is not None:
        explanation.insert(2, _law_amounts_explanation(regime))
    if regime.regions:
        explanation.insert(2, _region_explanation(regime))
    explanation.extend(_scheme_explanation(c, regime, valued, consignment_value))
    excluded = [v for v in valued if v.excluded]
    if excluded:
        explanation.append(
            f"{_lines_text(excluded).capitalize()}: goods excluded from low-value reliefs and "
            "schemes, taxed in full."
        )
    if regime.sample_rates:
        explanation.append("Duty rates of this regime are illustrative samples.")
    if (
        c.transport == "postal"
        and c.postal_duty_method == "specific"
        and all(regime.postal_specific_duty(c.origin_of(v.item)) is None for v in valued)
    ):
        explanation.append(POSTAL_SPECIFIC_NOT_OFFERED)

    if not_an_import(c.dispatch_country, regime.jurisdiction):
        # Sent from inside the destination's own customs and VAT territory (Monaco to France):
        # nothing is due at import; the lines say why.
        lines = tuple(_not_an_import_lines(c, regime, consignment_value, border_model))
    else:
        duty_lines, duty_by_line, all_duty_relieved = _duty_lines(
            c,
            regime,
            valued,
            consignment_value,
            item_models,
            border_model,
            consignment_model,
            shipment,
        )
        # Duty first: with rounding per total, the VAT basis of each item takes its share of the
        # consignment's rounded duty, so the VAT is computed on the duty that is charged.
        duty_lines = _round_per_total(regime, duty_lines, duty_by_line)
        vat_lines = _vat_lines(c, regime, valued, item_models, border_model, duty_by_line, shipment)
        fee_lines = _fee_lines(
            regime, valued, border_model, all_duty_relieved, c.transport, consignment_value
        )
        fee_tax_lines = _fee_tax_lines(regime, fee_lines, border_model)
        # The minimum not levied compares the amounts as rounded: per total, the consignment's.
        lines = _minimum_not_levied(
            regime,
            [*duty_lines, *_round_per_total(regime, [*vat_lines, *fee_lines, *fee_tax_lines])],
            explanation,
        )
        # National fees and levies are owed whatever the minimum for duty and tax says.
        lines += tuple(
            _national_fee_lines(
                c, regime, valued, consignment_value, border_model, consignment_model
            )
        )

    if any(line.legal_reason.startswith(RETURNED_GOODS_RELIEF) for line in lines):
        explanation.append(RETURNED_GOODS_EXPLANATION)
    zero = regime.round(ZERO)
    totals = {
        tax_type: sum((line.amount for line in lines if line.tax_type == tax_type), zero)
        for tax_type in TAX_TYPES
    }
    totals["total"] = sum((line.amount for line in lines), zero)
    due_at_border = sum((line.amount for line in lines if line.collected_at_border), zero)
    pre_collected = sum(
        (line.amount for line in lines if line.payer in ("vendor", "marketplace")), zero
    )
    # On the intermediary's (or the declarant's) account, paid with its monthly statement.
    deferred = sum(
        (line.amount for line in lines if line.collection_channel == DEFERRED_STATEMENT), zero
    )
    by_channel: dict[str, dict[str, Decimal]] = {}
    for line in lines:
        per_type = by_channel.setdefault(line.collection_channel, {})
        per_type[line.tax_type] = per_type.get(line.tax_type, zero) + line.amount

    discrepancies = _discrepancies(c, regime, fx_rate, totals, tolerance)
    for discrepancy in discrepancies:
        explanation.append(
            f"Self-assessed {discrepancy.tax_type} "
            f"{format_money(discrepancy.declared, currency)} differs from the assessed "
            f"{format_money(discrepancy.assessed, currency)} by "
            f"{format_money(discrepancy.difference, currency)}."
        )
    return AssessmentResult(
        regime_code=regime.code,
        collection_model=consignment_model,
        currency=currency,
        exchange_rate=fx_rate,
        lines=lines,
        totals=totals,
        due_at_border=due_at_border,
        pre_collected=pre_collected,
        deferred=deferred,
        discrepancies=discrepancies,
        explanation=tuple(explanation),
        declaration_currency=c.currency,
        threshold_value=consignment_value,
        by_channel=by_channel,
    )


def _shipment_regimes(
    c: ConsignmentIn, regime: RegimeSpec, valued: tuple[_ValuedItem, ...]
) -> dict[int, RegimeSpec]:
    """The regime whose thresholds apply to each item (by line): its threshold override by
    origin and transport, if any (``RegimeSpec.for_shipment``). An override is read per item, by
    the item's own origin: in a consignment of mixed origins the goods of an origin that loses
    the de minimis (China and Hong Kong from 2 May 2025 in the United States) owe duty while the
    others keep it, and only goods of the origins a relief names (CUSMA: the United States and
    Mexico) take that relief. The threshold value is still the consignment's."""
    by_origin: dict[str, RegimeSpec] = {}
    shipment = {}
    for v in valued:
        origin = c.origin_of(v.item)
        if origin not in by_origin:
            by_origin[origin] = regime.for_shipment(origin, c.transport)
        shipment[v.item.line] = by_origin[origin]
    return shipment


def _by_threshold(
    items: Iterable[_ValuedItem],
    thresholds: Callable[[_ValuedItem], RegimeSpec],
    tax_type: str,
) -> list[tuple[RegimeSpec, list[_ValuedItem]]]:
    """``items`` grouped by the ``tax_type`` threshold (and its legal reference) that relieved
    them, in the order of their first item."""
    groups: dict[tuple, tuple[RegimeSpec, list[_ValuedItem]]] = {}
    for v in items:
        spec = thresholds(v)
        key = (
            (spec.duty_threshold, spec.legal_ref("duty_relief"))
            if tax_type == "duty"
            else (spec.tax_threshold, spec.legal_ref("tax_relief"))
        )
        groups.setdefault(key, (spec, []))[1].append(v)
    return list(groups.values())


def _minimum_not_levied(
    regime: RegimeSpec, lines: list[TaxLine], explanation: list[str]
) -> tuple[TaxLine, ...]:
    """Lines of a tax type whose total is below the regime's minimum become zero lines that say
    why (``total``: the whole consignment). Only amounts due to customs (border and deferred)
    are waived; what a seller charged under its scheme is not."""
    if not regime.minimum_collected:
        return tuple(lines)
    waived_types: set[str] = set()
    owed = [line for line in lines if line.collection_channel != SCHEME_RETURN]
    for tax_type, minimum in regime.minimum_collected.items():
        scope = [line for line in owed if tax_type == "total" or line.tax_type == tax_type]
        total = sum((line.amount for line in scope), ZERO)
        if scope and ZERO < total < minimum:
            waived_types |= {line.tax_type for line in scope} if tax_type == "total" else {tax_type}
            explanation.append(
                f"{'Duties, taxes and fees' if tax_type == 'total' else tax_type.upper()} "
                f"{format_money(total, regime.currency)} below the minimum "
                f"{format_money(regime.round(minimum), regime.currency)}: not levied"
                f"{_cite(regime, 'minimum')}."
            )
    if not waived_types:
        return tuple(lines)
    result = []
    for line in lines:
        if (
            line.tax_type in waived_types
            and line.collection_channel != SCHEME_RETURN
            and line.amount
        ):
            line = replace(
                line,
                amount=regime.round(ZERO),
                # The waiver first: a long citation of the rate must not cut it off.
                legal_reason=(
                    f"Below the minimum amount, not levied{_cite(regime, 'minimum')}; "
                    f"{line.legal_reason}"
                )[:LEGAL_REASON_MAX],
            )
        result.append(line)
    return tuple(result)


def _scheme_explanation(
    c: ConsignmentIn,
    regime: RegimeSpec,
    valued: tuple[_ValuedItem, ...],
    consignment_value: Decimal,
) -> list[str]:
    if not c.tax_scheme:
        return []
    if regime.effective_vendor_scope != "item":
        refusal = _scheme_refusal(c, regime, consignment_value)
        return [] if refusal is None else [refusal + "."]
    refusals = {
        v.item.line: _scheme_refusal(c, regime, v.vendor_value) for v in valued if not v.excluded
    }
    texts = {text for text in refusals.values() if text is not None}
    if len(texts) == 1 and all(text is not None for text in refusals.values()):
        return [texts.pop() + "."]
    return [f"Line {line}: {text}." for line, text in refusals.items() if text is not None]


def _threshold_explanation(
    c: ConsignmentIn,
    regime: RegimeSpec,
    valued: tuple[_ValuedItem, ...],
    consignment_value: Decimal,
) -> str:
    word = _value_word(regime).capitalize()
    if regime.threshold_scope == "item":
        per_item = ", ".join(
            f"line {v.item.line} {format_money(regime.round(v.threshold_value), regime.currency)}"
            for v in valued
        )
        return f"{word} per item: {per_item}."
    if regime.threshold_scope == "consignee_day":
        prior = regime.round(c.consignee_prior_value_today)
        return (
            f"{word} for the consignee today: "
            f"{format_money(consignment_value, regime.currency)} "
            f"(of which {format_money(prior, regime.currency)} imported earlier today)."
        )
    return f"{word} of the consignment: {format_money(consignment_value, regime.currency)}."


def _round_amount(regime: RegimeSpec, amount: Decimal, model: str) -> Decimal:
    """An amount customs assesses is rounded to the regime's amount quantum (whole kroner in
    Norway); one a seller or marketplace collects at checkout keeps the value quantum."""
    if model in PRE_COLLECTING_MODELS:
        return regime.round(amount)
    return regime.round_amount(amount)


def _region_explanation(regime: RegimeSpec) -> str:
    if regime.region in regime.regional_tax_rates:
        return (
            f"Delivered in {regime.region}: {regime.tax_name} at "
            f"{format_rate(regime.vat_standard_rate)} instead of the standard rate"
            f"{_cite(regime, 'regional_tax')}."
        )
    others = ", ".join(
        f"{region} {format_rate(rate)}"
        for region, rate in sorted(regime.regional_tax_rates.items())
    )
    where = (
        f"Delivered in {regime.region}"
        if regime.region
        else f"No {regime.regional_tax_name} region of delivery known"
    )
    return (
        f"{where}: {regime.tax_name} at the standard rate "
        f"{format_rate(regime.vat_standard_rate)}; {regime.regional_tax_name} regions pay "
        f"their own rate ({others})."
    )


def _law_amounts_explanation(regime: RegimeSpec) -> str:
    unit, currency = regime.threshold_currency, regime.currency
    customs = format(Decimal(regime.threshold_rate or 0).normalize(), "f")
    tax = format(Decimal(regime.tax_threshold_rate or 0).normalize(), "f")
    return (
        f"Amounts the law fixes in {unit} are in {currency}: customs amounts at "
        f"1 {unit} = {customs} {currency} ({regime.exchange_rate_rule}), "
        f"{regime.tax_name} ceilings and reliefs at 1 {unit} = {tax} {currency} "
        f"({regime.effective_tax_threshold_rate_rule})."
    )


def _line(
    regime: RegimeSpec,
    *,
    tax_type: str,
    item_line: int | None,
    basis: Decimal,
    rate: Decimal | None,
    amount: Decimal,
    model: str,
    payer_model: str,
    legal_reason: str,
    payer: str | None = None,
    basis_unit: str = "",
) -> TaxLine:
    if rate is None and amount == 0:
        rate = ZERO  # a relief or an exemption: nothing at a rate of zero
    return TaxLine(
        basis_unit=basis_unit,
        tax_type=tax_type,
        item_line=item_line,
        basis=basis,
        rate=rate,
        amount=_round_amount(regime, amount, payer_model),
        currency=regime.currency,
        payer=payer or PAYER_BY_MODEL[payer_model],
        collection_model=model,
        legal_reason=legal_reason,
        collected_at_border=payer_model == CONSIGNEE_BORDER,
        collection_channel=CHANNEL_BY_MODEL[payer_model],
    )


def _duty_lines(
    c: ConsignmentIn,
    regime: RegimeSpec,
    valued: tuple[_ValuedItem, ...],
    consignment_value: Decimal,
    item_models: dict[int, str],
    border_model: str,
    consignment_model: str,
    shipment: dict[int, RegimeSpec] | None = None,
) -> tuple[list[TaxLine], dict[int, Decimal], bool]:
    """Duty lines, the duty attributed to each item (for the VAT basis), and whether all was
    relieved. ``shipment`` gives the regime whose thresholds apply to each item (its origin's
    override, see ``_shipment_regimes``); every item takes ``regime``'s own without it."""
    shipment = shipment or {}
    territory = duty_free_territory(c.dispatch_country, regime.jurisdiction)
    if territory is not None:
        return (
            [
                _line(
                    regime,
                    tax_type="duty",
                    item_line=None,
                    basis=consignment_value,
                    rate=None,
                    amount=ZERO,
                    model=border_model,
                    payer_model=border_model,
                    legal_reason=(
                        f"No customs duty on goods sent from {c.dispatch_country}: inside the "
                        f"customs territory of {regime.jurisdiction} or in customs union with it"
                        f"{f' ({territory})' if territory else ''}"
                    )[:LEGAL_REASON_MAX],
                )
            ],
            {v.item.line: regime.round(ZERO) for v in valued},
            True,
        )
    if returned_goods_relieved(c, regime, "duty"):
        # Not the low-value relief: the goods are entered under the relief, so a fee spared
        # with that relief (the US processing fee of a de minimis release) is still owed.
        return (
            [_returned_goods_line(regime, "duty", consignment_value, border_model)],
            {v.item.line: regime.round(ZERO) for v in valued},
            False,
        )
    deducted = _gift_deduction(c, regime, valued, "duty", consignment_value)
    currency = regime.currency
    rounding = {"quantum": regime.rounding_quantum, "mode": regime.rounding_mode}
    lines: list[TaxLine] = []
    duty_by_line = {v.item.line: regime.round(ZERO) for v in valued}
    relieved_by_threshold: list[_ValuedItem] = []
    relieved_count = 0

    def duty_basis(v: _ValuedItem) -> Decimal:
        return v.customs_value if regime.duty_value_includes_transport else v.value

    # A gift between private persons is not an e-commerce sale: above its relief it takes the
    # flat rate for gifts (or the tariff rate where lower), never the flat duty per tariff code.
    flat_applies = (
        regime.flat_duty_per_hs6 is not None
        and (regime.flat_duty_max_value is None or consignment_value <= regime.flat_duty_max_value)
        and _gift_duty_rate(c, regime, consignment_value) is None
    )
    gift_relieved = _gift_relief_applies(c, regime, "duty", consignment_value)
    # The specific duty each item's origin offers, where the post chose it (None: not offered).
    specific_offer = {
        v.item.line: (
            regime.postal_specific_duty(c.origin_of(v.item))
            if c.transport == "postal" and c.postal_duty_method == "specific"
            else None
        )
        for v in valued
    }
    postal_specific_chosen = any(amount is not None for amount in specific_offer.values())

    def specific_spares(v: _ValuedItem) -> bool:
        # The specific duty is the duty by origin in another form: informational materials,
        # which the duty by origin cannot reach, keep their own (nil) line.
        return regime.origin_duty_excluded(v.item.hs_code)

    def under_specific(v: _ValuedItem) -> bool:
        return specific_offer[v.item.line] is not None and not v.excluded and not specific_spares(v)

    def thresholds(v: _ValuedItem) -> RegimeSpec:
        return shipment.get(v.item.line, regime)

    flat_groups: dict[str, list[_ValuedItem]] = {}
    ad_valorem: list[_ValuedItem] = []
    gifts: list[_ValuedItem] = []
    for v in valued:
        if gift_relieved and not v.excluded:
            relieved_count += 1
            gifts.append(v)
        elif under_specific(v):
            relieved_count += 1  # replaced by the specific duty of the postal item below
        elif flat_applies and not v.excluded:
            # Goods without an HS code count as a subheading of their own each; a regime that
            # counts declaration lines makes every line its own group.
            code = v.item.hs_code[: regime.flat_duty_digits]
            own = regime.flat_duty_per_line or not code or not v.item.classified
            key = f"line {v.item.line}" if own else code
            flat_groups.setdefault(key, []).append(v)
        elif (
            not v.excluded
            and regime.vendor_scheme_relieves_duty
            and item_models[v.item.line] in PRE_COLLECTING_MODELS
        ):
            relieved_count += 1
            lines.append(
                _line(
                    regime,
                    tax_type="duty",
                    item_line=v.item.line,
                    basis=duty_basis(v),
                    rate=None,
                    amount=ZERO,
                    model=border_model,
                    payer_model=border_model,
                    legal_reason=(
                        f"Duty relief: item sold under {c.tax_scheme}"
                        f"{_cite(regime, 'vendor_duty_relief')}"
                    ),
                )
            )
        elif (
            not v.excluded
            and thresholds(v).duty_threshold is not None
            and v.threshold_value <= thresholds(v).duty_threshold
        ):
            relieved_count += 1
            relieved_by_threshold.append(v)
        else:
            ad_valorem.append(v)

    if relieved_by_threshold:
        if regime.threshold_scope == "item":
            for v in relieved_by_threshold:
                lines.append(
                    _relief_line(
                        thresholds(v), "duty", v.item.line, v.threshold_value, border_model
                    )
                )
        else:
            # One line per threshold that relieved (goods of mixed origins may take different
            # ones), in the order of the lines.
            for threshold_regime, group in reversed(
                _by_threshold(relieved_by_threshold, thresholds, "duty")
            ):
                reason_scope = f" for {_lines_text(group)}" if len(group) != len(valued) else ""
                lines.insert(
                    0,
                    _relief_line(
                        threshold_regime,
                        "duty",
                        None,
                        consignment_value,
                        border_model,
                        suffix=reason_scope,
                    ),
                )

    if gifts:
        lines.append(
            _line(
                regime,
                tax_type="duty",
                item_line=None,
                basis=consignment_value,
                rate=None,
                amount=ZERO,
                model=border_model,
                payer_model=border_model,
                legal_reason=(
                    f"Duty relief for a gift between private persons: {_value_word(regime)} "
                    f"{format_money(consignment_value, currency)} <= "
                    f"{format_money(regime.gift_duty_relief, currency)}"
                    f"{_cite(regime, 'gift_relief')}"
                ),
            )
        )
    specific_items = [v for v in valued if under_specific(v)]
    if specific_items:
        # One specific duty per postal item (the parcel, not its goods lines): with goods of
        # several origins, the highest amount their origins' bands give.
        postal_specific = max(specific_offer[v.item.line] or ZERO for v in specific_items)
        origins = {c.origin_of(v.item) for v in specific_items}
        top = [v for v in specific_items if specific_offer[v.item.line] == postal_specific]
        origin = ", ".join(sorted({c.origin_of(v.item) or "not declared" for v in top}))
        # With several origins the line names the one that set the amount and its goods lines
        # (composed of phrases pages translate: declarations.generated_text.LEGAL_PHRASES).
        mixed = f" ({_lines_text(top)})" if len(origins) > 1 else ""
        lines.append(
            _line(
                regime,
                tax_type="duty",
                item_line=None,
                basis=Decimal(1),
                rate=regime.round(postal_specific),
                amount=postal_specific,
                basis_unit="postal_item",
                model=border_model,
                payer_model=border_model,
                legal_reason=(
                    f"Specific duty {format_money(regime.round(postal_specific), currency)} per "
                    f"postal item, origin {origin}{mixed}, chosen by the post instead of the ad "
                    f"valorem duty{_cite(regime, 'postal_duty')}"
                )[:LEGAL_REASON_MAX],
            )
        )
    flat_payer_model, flat_payer, flat_note = _owed_beside_the_scheme(
        c, regime, "duty", border_model, consignment_model
    )
    if flat_note:
        flat_note += f", so the duty is owed by the declarant{_cite(regime, 'declarant_debt')}"
    for group in flat_groups.values():
        first = group[0].item
        if not first.hs_code:
            subheading = "not declared"
        elif not first.classified:
            subheading = f"of chapter {first.hs_code[:2]}, inferred"
        else:
            subheading = first.hs_code[: regime.flat_duty_digits]
        flat_amount = regime.round(regime.flat_duty_per_hs6)
        # The VAT basis of each item includes its share of the flat duty of its subheading.
        shares = apportion(flat_amount, [duty_basis(v) for v in group], **rounding)
        for v, share in zip(group, shares, strict=True):
            duty_by_line[v.item.line] = share
        lines.append(
            _line(
                regime,
                tax_type="duty",
                item_line=group[0].item.line,
                basis=Decimal(1),
                rate=flat_amount,
                amount=flat_amount,
                basis_unit="line" if regime.flat_duty_per_line else "tariff_code",
                model=FLAT_RATE_DUTY,
                payer_model=flat_payer_model,
                payer=flat_payer,
                legal_reason=(
                    f"Flat-rate duty {format_money(flat_amount, currency)} for "
                    f"{_flat_unit(regime)} {subheading} ({_lines_text(group)}): "
                    f"{_value_word(regime)} "
                    f"{format_money(consignment_value, currency)} <= "
                    f"{format_money(regime.flat_duty_max_value, currency)}"
                    f"{_cite(regime, 'flat_duty')}{flat_note}"
                    if regime.flat_duty_max_value is not None
                    else f"Flat-rate duty {format_money(flat_amount, currency)} for "
                    f"{_flat_unit(regime)} {subheading} ({_lines_text(group)})"
                    f"{_cite(regime, 'flat_duty')}"
                    f"{flat_note}"
                ),
            )
        )

    if deducted and ad_valorem:
        lines.append(
            _gift_deduction_line(regime, "duty", deducted, consignment_value, border_model)
        )
    gift_rate = _gift_duty_rate(c, regime, consignment_value)
    for v in ad_valorem:
        # Duty by origin is per item: each goods item by its own country of origin.
        origin = c.origin_of(v.item)
        origin_rate = regime.origin_duty_rate(origin) if origin else None
        postal_origin_only = (
            c.transport == "postal" and regime.postal_origin_duty_only and origin_rate is not None
        )
        tariff_rate = regime.duty_rate_for(v.item.hs_code)
        basis = duty_basis(v) - deducted.get(v.item.line, ZERO)
        value_text = "customs value" if regime.duty_value_includes_transport else "goods value"
        sample = " (sample rate)" if regime.sample_rates else ""
        outside_origin_duty = origin_rate is not None and regime.origin_duty_excluded(
            v.item.hs_code
        )
        if postal_origin_only and outside_origin_duty:
            rate = ZERO
            legal_reason = (
                f"No duty on a postal item of origin {origin} for HS "
                f"{v.item.hs_code}: the duty by origin replaces the tariff duty and does not "
                f"apply to these goods, {value_text} {format_money(basis, currency)}"
                f"{_cite(regime, 'origin_duty_excluded')}"
            )[:LEGAL_REASON_MAX]
        elif postal_origin_only:
            rate = ZERO
            legal_reason = (
                f"No tariff duty on a postal item of origin {origin}: the duty by "
                f"origin replaces it, {value_text} {format_money(basis, currency)}"
                f"{_cite(regime, 'postal_ad_valorem')}"
            )[:LEGAL_REASON_MAX]
        elif gift_rate is not None and not v.excluded and gift_rate <= tariff_rate:
            # The flat gift rate, unless the tariff rate of the goods is lower.
            rate = gift_rate
            above = (
                f"> {format_money(regime.gift_duty_relief, currency)} and "
                if regime.gift_duty_relief is not None
                else ""
            )
            legal_reason = (
                f"Duty at the flat rate of {format_rate(rate)} for a gift between private "
                f"persons: {_value_word(regime)} {format_money(consignment_value, currency)} "
                f"{above}<= {format_money(regime.gift_duty_rate_max_value, currency)}, on "
                f"{value_text} {format_money(basis, currency)}{_cite(regime, 'gift_duty')}"
            )[:LEGAL_REASON_MAX]
        else:
            rate = tariff_rate
            lower = (
                f"; lower than the flat rate of {format_rate(gift_rate)} for gifts"
                if gift_rate is not None and not v.excluded
                else ""
            )
            legal_reason = (
                f"Duty at {format_rate(rate)}{sample} on {value_text} "
                f"{format_money(basis, currency)} for HS {v.item.hs_code or 'not declared'}"
                f"{_cite(regime, 'duty')}{lower}"
            )[:LEGAL_REASON_MAX]
        amount = _round_amount(regime, basis * rate, border_model)
        duty_by_line[v.item.line] = amount
        lines.append(
            _line(
                regime,
                tax_type="duty",
                item_line=v.item.line,
                basis=basis,
                rate=rate,
                amount=amount,
                model=border_model,
                payer_model=border_model,
                legal_reason=legal_reason,
            )
        )
        if outside_origin_duty and postal_origin_only:
            pass  # the zero line above says why
        elif outside_origin_duty:
            lines.append(
                _line(
                    regime,
                    tax_type="duty",
                    item_line=v.item.line,
                    basis=basis,
                    rate=ZERO,
                    amount=ZERO,
                    model=border_model,
                    payer_model=border_model,
                    legal_reason=(
                        f"No additional duty on goods of origin {origin} for HS "
                        f"{v.item.hs_code}, {value_text} {format_money(basis, currency)}"
                        f"{_cite(regime, 'origin_duty_excluded')}"
                    )[:LEGAL_REASON_MAX],
                )
            )
        elif origin_rate:
            extra = _round_amount(regime, basis * origin_rate, border_model)
            duty_by_line[v.item.line] += extra
            lines.append(
                _line(
                    regime,
                    tax_type="duty",
                    item_line=v.item.line,
                    basis=basis,
                    rate=origin_rate,
                    amount=extra,
                    model=border_model,
                    payer_model=border_model,
                    legal_reason=(
                        f"Duty by origin at {format_rate(origin_rate)}{sample} on a postal item "
                        f"of origin {origin}, {value_text} "
                        f"{format_money(basis, currency)}{_cite(regime, 'postal_ad_valorem')}"
                        if postal_origin_only
                        else f"Additional duty at {format_rate(origin_rate)}{sample} on goods of "
                        f"origin {origin}, {value_text} {format_money(basis, currency)}"
                        f"{_cite(regime, 'origin_duty')}"
                    ),
                )
            )
    lines.sort(key=lambda line: (line.item_line is not None, line.item_line or 0))
    all_relieved = relieved_count == len(valued) and not postal_specific_chosen
    return lines, duty_by_line, all_relieved


def _not_an_import_lines(
    c: ConsignmentIn, regime: RegimeSpec, consignment_value: Decimal, border_model: str
) -> list[TaxLine]:
    reason = (
        f"Not an import: goods sent from {c.dispatch_country} stay inside one customs and VAT "
        f"territory with {regime.jurisdiction}"
    )
    tax_types = ["duty", "vat"] if regime.has_border_tax else ["duty"]
    return [
        _line(
            regime,
            tax_type=tax_type,
            item_line=None,
            basis=consignment_value,
            rate=None,
            amount=ZERO,
            model=border_model,
            payer_model=border_model,
            legal_reason=reason,
        )
        for tax_type in tax_types
    ]


# Every zero line of the returned goods relief starts with these words: the release guard
# `relief_unverified` finds the claim by them (stored lines are in English; pages translate them).
RETURNED_GOODS_RELIEF = "Returned goods relief"
RETURNED_GOODS_EXPLANATION = (
    "Returned goods: relief claimed; an officer grants or refuses it on the evidence of their "
    "export before the goods are released."
)
RETURNED_GOODS_NOT_NEEDED = (
    "Returned goods: none of the duty or tax the relief covers would be owed without it, so no "
    "relief is claimed and no officer's decision is needed."
)


def returned_goods_relieved(c: ConsignmentIn, regime: RegimeSpec, tax_type: str) -> bool:
    """Goods declared as returned, where the regime relieves ``tax_type`` on them."""
    return c.category == "returned_goods" and tax_type in regime.returned_goods_relief


def _returned_goods_line(
    regime: RegimeSpec, tax_type: str, basis: Decimal, border_model: str
) -> TaxLine:
    tax = "duty" if tax_type == "duty" else regime.tax_name
    # No parenthesis before the citation: pages quote parenthesised groups as written.
    return _line(
        regime,
        tax_type=tax_type,
        item_line=None,
        basis=basis,
        rate=None,
        amount=ZERO,
        model=border_model,
        payer_model=border_model,
        legal_reason=(
            f"{RETURNED_GOODS_RELIEF}, {tax}, claimed: goods exported from the customs "
            "territory and returned unaltered, on evidence of their export that an officer "
            f"checks before release{_cite(regime, 'returned_goods')}"
        )[:LEGAL_REASON_MAX],
    )


def _flat_unit(regime: RegimeSpec) -> str:
    if regime.flat_duty_per_line:
        return "declaration line, HS"
    return {6: "HS subheading", 8: "CN code", 10: "TARIC code"}[regime.flat_duty_digits]


def _owed_beside_the_scheme(
    c: ConsignmentIn,
    regime: RegimeSpec,
    tax_type: str,
    border_model: str,
    consignment_model: str,
) -> tuple[str, str | None, str]:
    """Who owes an amount of ``tax_type`` and through which model: the consignment's model, unless
    a vendor scheme covers the consignment and its return does not carry that tax type (the IOSS
    return carries VAT only): then the border model (at the border, or on the intermediary's
    deferred statement when authorised), the declarant being the debtor at the border. Returns
    (payer model, payer or None for the model's own, a note for the legal reason)."""
    if consignment_model in PRE_COLLECTING_MODELS and tax_type not in regime.scheme_return_carries:
        return (
            border_model,
            "declarant" if border_model == CONSIGNEE_BORDER else None,
            f"; the {c.tax_scheme} return carries {regime.tax_name} only",
        )
    return consignment_model, None, ""


def _private_gift_relief(c: ConsignmentIn, regime: RegimeSpec, tax_type: str) -> Decimal | None:
    """The regime's gift relief for ``tax_type`` when ``c`` is a gift between private persons, or
    None (not such a gift, or no relief)."""
    if c.category != "gift" or c.buyer != "consumer":
        return None
    return regime.gift_duty_relief if tax_type == "duty" else regime.gift_tax_relief


def _gift_relief_applies(
    c: ConsignmentIn, regime: RegimeSpec, tax_type: str, consignment_value: Decimal
) -> bool:
    """A gift between private persons within the regime's gift relief for ``tax_type``."""
    ceiling = _private_gift_relief(c, regime, tax_type)
    return ceiling is not None and consignment_value <= ceiling


def _gift_deduction(
    c: ConsignmentIn,
    regime: RegimeSpec,
    valued: tuple[_ValuedItem, ...],
    tax_type: str,
    consignment_value: Decimal,
) -> dict[int, Decimal]:
    """Where the regime deducts the gift relief from a larger gift (``gift_relief_deducted``):
    the relief spread over the gift's goods by value, per line; empty otherwise. Goods excluded
    from low-value reliefs (alcohol, tobacco) take no share and are taxed in full."""
    ceiling = _private_gift_relief(c, regime, tax_type)
    if not regime.gift_relief_deducted or ceiling is None or consignment_value <= ceiling:
        return {}
    eligible = [v for v in valued if not v.excluded]
    if not eligible:
        return {}
    values = [v.value for v in eligible]
    relief = min(ceiling, sum(values, ZERO))
    shares = apportion(relief, values, quantum=regime.rounding_quantum, mode=regime.rounding_mode)
    return {v.item.line: share for v, share in zip(eligible, shares, strict=True)}


def _gift_deduction_line(
    regime: RegimeSpec,
    tax_type: str,
    deducted: dict[int, Decimal],
    consignment_value: Decimal,
    border_model: str,
) -> TaxLine:
    """The zero line that says how much gift relief (``_gift_deduction``) was deducted before duty
    or tax was computed."""
    relief = sum(deducted.values(), ZERO)
    label = "Duty" if tax_type == "duty" else regime.tax_name
    return _line(
        regime,
        tax_type=tax_type,
        item_line=None,
        basis=relief,
        rate=None,
        amount=ZERO,
        model=border_model,
        payer_model=border_model,
        legal_reason=(
            f"{label} on the value exceeding the gift exemption: "
            f"{format_money(relief, regime.currency)} deducted from the "
            f"gift's {_value_word(regime)} {format_money(consignment_value, regime.currency)}"
            f"{_cite(regime, 'gift_relief')}"
        )[:LEGAL_REASON_MAX],
    )


def _gift_duty_rate(
    c: ConsignmentIn, regime: RegimeSpec, consignment_value: Decimal
) -> Decimal | None:
    """The flat duty rate of a gift between private persons above the gift duty relief and up to
    the regime's ceiling for that rate (UK: 2.5% up to GBP 630), or None."""
    if (
        regime.gift_duty_rate is None
        or regime.gift_duty_rate_max_value is None
        or c.category != "gift"
        or c.buyer != "consumer"
        or consignment_value > regime.gift_duty_rate_max_value
        or _gift_relief_applies(c, regime, "duty", consignment_value)
    ):
        return None
    return regime.gift_duty_rate


def _relief_line(
    regime: RegimeSpec,
    tax_type: str,
    item_line: int | None,
    threshold_value: Decimal,
    border_model: str,
    *,
    suffix: str = "",
) -> TaxLine:
    threshold = regime.duty_threshold if tax_type == "duty" else regime.tax_threshold
    label = "Duty relief" if tax_type == "duty" else f"{regime.tax_name} relief"
    scope = " per item" if regime.threshold_scope == "item" else ""
    shown_value = regime.round(threshold_value)
    return _line(
        regime,
        tax_type=tax_type,
        item_line=item_line,
        basis=shown_value,
        rate=None,
        amount=ZERO,
        model=border_model,
        payer_model=border_model,
        legal_reason=(
            f"{label}{suffix}: {_value_word(regime)}{scope} "
            f"{format_money(shown_value, regime.currency)} <= "
            f"{format_money(threshold, regime.currency)}"
            f"{_cite(regime, 'duty_relief' if tax_type == 'duty' else 'tax_relief')}"
        ),
    )


def _vat_lines(
    c: ConsignmentIn,
    regime: RegimeSpec,
    valued: tuple[_ValuedItem, ...],
    item_models: dict[int, str],
    border_model: str,
    duty_by_line: dict[int, Decimal],
    shipment: dict[int, RegimeSpec] | None = None,
) -> list[TaxLine]:
    if not regime.has_border_tax:
        return []
    shipment = shipment or {}

    def thresholds(v: _ValuedItem) -> RegimeSpec:
        return shipment.get(v.item.line, regime)

    currency = regime.currency
    lines: list[TaxLine] = []
    relieved: list[_ValuedItem] = []
    consignment_value = valued[0].threshold_value if valued else ZERO
    if regime.threshold_scope != "consignment":
        consignment_value = sum((v.value for v in valued), ZERO)
    if returned_goods_relieved(c, regime, "vat"):
        basis = sum(
            (v.customs_value if regime.tax_value_includes_transport else v.value for v in valued),
            ZERO,
        )
        return [_returned_goods_line(regime, "vat", regime.round(basis), border_model)]
    if _gift_relief_applies(c, regime, "vat", consignment_value) and not any(
        v.excluded for v in valued
    ):
        return [
            _line(
                regime,
                tax_type="vat",
                item_line=None,
                basis=consignment_value,
                rate=None,
                amount=ZERO,
                model=border_model,
                payer_model=border_model,
                legal_reason=(
                    f"{regime.tax_name} relief for a gift between private persons: "
                    f"{_value_word(regime)} {format_money(consignment_value, currency)} <= "
                    f"{format_money(regime.gift_tax_relief, currency)}"
                    f"{_cite(regime, 'gift_relief')}"
                ),
            )
        ]
    relief_category = not regime.tax_relief_categories or c.category in regime.tax_relief_categories
    deducted = _gift_deduction(c, regime, valued, "vat", consignment_value)
    if deducted:
        lines.append(_gift_deduction_line(regime, "vat", deducted, consignment_value, border_model))
    for v in valued:
        model = item_models[v.item.line]
        duty = duty_by_line[v.item.line]
        basis = v.value - deducted.get(v.item.line, ZERO)
        parts = ["goods value"]
        if regime.tax_value_includes_transport:
            basis += v.transport + v.insurance
            parts = ["customs value"] if (v.transport or v.insurance) else parts
        if (
            regime.vat_on_duty
            and duty
            and (model not in PRE_COLLECTING_MODELS or regime.vendor_tax_on_duty)
        ):
            basis += duty
            parts.append("duty")
        if (
            model not in PRE_COLLECTING_MODELS
            and not v.excluded
            and relief_category
            and thresholds(v).tax_threshold is not None
            and v.threshold_value <= thresholds(v).tax_threshold
        ):
            relieved.append(v)
            continue
        rate = regime.vat_rate_for(v.item.hs_code)
        amount = _round_amount(regime, basis * rate, model)
        reduced = rate != regime.vat_standard_rate
        reduced_text = (
            f"; rate for HS {v.item.hs_code}{_cite(regime, 'vat_reduced')}" if reduced else ""
        )
        what = f"{regime.tax_name} at {format_rate(rate)} on {' plus '.join(parts)} {format_money(basis, currency)}"
        if model == VENDOR_POINT_OF_SALE:
            reason = (
                f"{what}, charged by the seller at checkout under {c.tax_scheme}"
                f"{_cite(regime, 'vendor_scheme')}{reduced_text}"
            )
        elif model == MARKETPLACE_DEEMED_SUPPLIER:
            reason = (
                f"{what}, charged by the marketplace as deemed supplier under {c.tax_scheme}"
                f"{_cite(regime, 'deemed_supplier')}{reduced_text}"
            )
        elif model == INTERMEDIARY_DEFERRED:
            reason = (
                f"{what}, collected at delivery by the intermediary and paid monthly"
                f"{_cite(regime, 'deferred')}{reduced_text}"
            )
        else:
            reason = f"{what}{_cite(regime, 'vat')}{reduced_text}"
        lines.append(
            _line(
                regime,
                tax_type="vat",
                item_line=v.item.line,
                basis=basis,
                rate=rate,
                amount=amount,
                model=model,
                payer_model=model,
                legal_reason=reason,
            )
        )
    if relieved:
        if regime.threshold_scope == "item":
            relief_lines = [
                _relief_line(thresholds(v), "vat", v.item.line, v.threshold_value, border_model)
                for v in relieved
            ]
        else:
            relief_lines = [
                _relief_line(
                    threshold_regime,
                    "vat",
                    None,
                    group[0].threshold_value,
                    border_model,
                    suffix=f" for {_lines_text(group)}" if len(group) != len(valued) else "",
                )
                for threshold_regime, group in _by_threshold(relieved, thresholds, "vat")
            ]
        lines = relief_lines + lines
        lines.sort(key=lambda line: (line.item_line is not None, line.item_line or 0))
    return lines


def _fee_lines(
    regime: RegimeSpec,
    valued: tuple[_ValuedItem, ...],
    border_model: str,
    all_duty_relieved: bool,
    transport: str = "other",
    consignment_value: Decimal = ZERO,
) -> list[TaxLine]:
    if regime.fee_relief_with_duty_relief and all_duty_relieved:
        return []
    if transport in regime.fee_exempt_transports:
        return []
    lines = []
    if regime.formal_entry_threshold is not None and consignment_value > (
        regime.formal_entry_threshold
    ):
        rate = regime.formal_fee_rate or ZERO
        low, high = regime.formal_fee_min or ZERO, regime.formal_fee_max or ZERO
        ad_valorem = consignment_value * rate
        amount = regime.round(min(max(ad_valorem, low), high))
        # At the minimum or the maximum the fee is that amount per entry.
        within = low <= ad_valorem <= high
        currency = regime.currency
        lines.append(
            _line(
                regime,
                tax_type="fee",
                item_line=None,
                basis=regime.round(consignment_value) if within else Decimal(1),
                rate=rate if within else amount,
                amount=amount,
                basis_unit="" if within else "entry",
                model=border_model,
                payer_model=border_model,
                legal_reason=(
                    f"Fee of a formal entry: {_value_word(regime)} "
                    f"{format_money(consignment_value, currency)} > "
                    f"{format_money(regime.formal_entry_threshold, currency)}, "
                    f"{format_rate(rate)} of it, at least {format_money(low, currency)} and at "
                    f"most {format_money(high, currency)}{_cite(regime, 'fee_formal')}"
                )[:LEGAL_REASON_MAX],
            )
        )
    elif regime.fee_per_declaration > 0:
        lines.append(
            _line(
                regime,
                tax_type="fee",
                item_line=None,
                basis=Decimal(1),
                rate=regime.fee_per_declaration,
                amount=regime.fee_per_declaration,
                basis_unit="declaration",
                model=border_model,
                payer_model=border_model,
                legal_reason=(
                    f"Fee per declaration "
                    f"{format_money(regime.round(regime.fee_per_declaration), regime.currency)}"
                    f"{_cite(regime, 'fee_declaration')}"
                ),
            )
        )
    if regime.fee_per_line > 0:
        count = Decimal(len(valued))
        lines.append(
            _line(
                regime,
                tax_type="fee",
                item_line=None,
                basis=count,
                rate=regime.fee_per_line,
                amount=count * regime.fee_per_line,
                basis_unit="line",
                model=border_model,
                payer_model=border_model,
                legal_reason=(
                    f"Fee per goods line: {count} x "
                    f"{format_money(regime.round(regime.fee_per_line), regime.currency)}"
                    f"{_cite(regime, 'fee_line')}"
                ),
            )
        )
    return lines


def _national_fee_lines(
    c: ConsignmentIn,
    regime: RegimeSpec,
    valued: tuple[_ValuedItem, ...],
    consignment_value: Decimal,
    border_model: str,
    consignment_model: str,
) -> list[TaxLine]:
    """Lines of the regime's national fees (``RegimeSpec.national_fees``), each followed by the
    VAT/GST it bears, if any. A fee owed ``border`` follows the import taxes: at the border, on
    the intermediary's deferred statement, or by the declarant when a scheme return (which carries
    VAT only) covers the consignment; a ``declarant_account`` fee is billed to the declarant's
    account and paid with its monthly statement."""
    if not regime.national_fees:
        return []
    currency = regime.currency
    goods_value = sum((v.value for v in valued), ZERO)
    lines: list[TaxLine] = []
    for fee in regime.national_fees:
        if fee.get("transports") and c.transport not in fee["transports"]:
            continue
        max_value = fee.get("max_value")
        if max_value is not None:
            max_value = to_decimal(max_value, field="max_value")
            if goods_value > max_value:
                continue
        if fee.get("not_with_gift_tax_relief") and _gift_relief_applies(
            c, regime, "vat", consignment_value
        ):
            continue
        each = regime.round(to_decimal(fee["amount"], field="amount"))
        if fee["per"] == "subheading":
            # As for the flat duty: goods classified from a description count one code each.
            count = len(
                {
                    v.item.hs6 if v.item.hs6 and v.item.classified else f"line {v.item.line}"
                    for v in valued
                }
            )
            unit = "HS subheading" if count == 1 else "HS subheadings"
            unit_code = "tariff_code"
        else:
            count, unit, unit_code = 1, "consignment", "consignment"
        if fee["payer"] == "declarant_account":
            payer_model, payer = INTERMEDIARY_DEFERRED, "declarant"
            note = "; billed to the declarant's account"
        else:
            payer_model, payer, note = _owed_beside_the_scheme(
                c, regime, "fee", border_model, consignment_model
            )
            note = note if payer else ""
        ceiling = (
            f", goods {format_money(goods_value, currency)} <= "
            f"{format_money(regime.round(max_value), currency)}"
            if max_value is not None
            else ""
        )
        amount = regime.round(count * each)
        lines.append(
            _line(
                regime,
                tax_type="fee",
                item_line=None,
                basis=Decimal(count),
                rate=each,
                amount=amount,
                basis_unit=unit_code,
                model=payer_model,
                payer_model=payer_model,
                payer=payer,
                legal_reason=(
                    f"{fee['name']}: {count} {unit} x {format_money(each, currency)}"
                    f"{ceiling} ({fee['legal_ref']}){note}"
                )[:LEGAL_REASON_MAX],
            )
        )
        if fee.get("bears_tax") and regime.vat_standard_rate > 0:
            lines.append(
                _tax_on_fees(
                    regime,
                    amount,
                    model=payer_model,
                    payer=payer,
                    what=fee["name"],
                    citation=f", charged with it ({fee['legal_ref']})",
                )
            )
    return lines


def _round_per_total(
    regime: RegimeSpec, lines: list[TaxLine], duty_by_line: dict[int, Decimal] | None = None
) -> list[TaxLine]:
    """With ``rounding_scope="total"``: the amounts customs assesses are rounded once per tax type,
    on the consignment's total. The ad valorem lines of a tax type owed by one payer through one
    channel are summed exactly (basis x rate), that sum is rounded to the regime's amount quantum
    (Switzerland's 5 centimes, Norway's whole kroner) and spread back over the lines by largest
    remainder, in that quantum: the lines add up to what is charged, each keeping its basis,
    rate, payer, channel and legal reason. What a seller or marketplace charges under its scheme
    keeps its rounding per line (``_round_amount``). Per-line rounding (the default) leaves the
    lines as they are.

    ``duty_by_line`` (the duty of each item, the VAT basis) is updated with the duty lines'
    new amounts."""
    if regime.rounding_scope != "total":
        return lines
    groups: dict[tuple[str, str, str], list[int]] = {}
    for i, line in enumerate(lines):
        if (
            line.tax_type == "fee"
            or not line.rate  # a relief or an exemption: nothing to round
            or line.basis_unit  # a flat or specific amount per unit is not ad valorem
            or line.basis < 0
            or line.collection_channel == SCHEME_RETURN
        ):
            continue
        groups.setdefault((line.tax_type, line.collection_channel, line.payer), []).append(i)
    result = list(lines)
    for indexes in groups.values():
        if len(indexes) < 2:
            continue  # one line: already rounded on its own amount, which is the total
        exact = [lines[i].basis * lines[i].rate for i in indexes]
        shares = apportion(
            sum(exact, ZERO), exact, quantum=regime.amount_quantum, mode=regime.rounding_mode
        )
        for i, share in zip(indexes, shares, strict=True):
            line = lines[i]
            amount = regime.round(share)  # written with the places of the values: NOK 26.00
            result[i] = replace(line, amount=amount)
            if duty_by_line is not None and line.tax_type == "duty" and line.item_line is not None:
                duty_by_line[line.item_line] += amount - line.amount
    return result


def _fee_tax_lines(
    regime: RegimeSpec, fee_lines: list[TaxLine], border_model: str
) -> list[TaxLine]:
    """VAT/GST on national fees that bear it (``fees_bear_tax``), at the standard rate."""
    if not regime.fees_bear_tax or not regime.has_border_tax:
        return []
    fees = sum((line.amount for line in fee_lines), ZERO)
    if not fees:
        return []
    return [
        _tax_on_fees(
            regime,
            fees,
            model=border_model,
            what="national fees",
            citation=_cite(regime, "fee_tax"),
        )
    ]


def _tax_on_fees(
    regime: RegimeSpec,
    fees: Decimal,
    *,
    model: str,
    what: str,
    citation: str,
    payer: str | None = None,
) -> TaxLine:
    """VAT/GST at the standard rate on fees that bear it, owed as the fees are."""
    rate = regime.vat_standard_rate
    return _line(
        regime,
        tax_type="vat",
        item_line=None,
        basis=fees,
        rate=rate,
        amount=fees * rate,
        model=model,
        payer_model=model,
        payer=payer,
        legal_reason=(
            f"{regime.tax_name} at {format_rate(rate)} on {what} "
            f"{format_money(fees, regime.currency)}{citation}"
        )[:LEGAL_REASON_MAX],
    )


def _discrepancies(
    c: ConsignmentIn,
    regime: RegimeSpec,
    fx_rate: Decimal | CrossRate,
    totals: dict[str, Decimal],
    tolerance: Decimal,
) -> tuple[Discrepancy, ...]:
    declared_original: dict[str, Decimal] = {}
    for tax_type, amount in c.self_assessed:
        declared_original[tax_type] = declared_original.get(tax_type, ZERO) + amount
    found = []
    for tax_type in TAX_TYPES:
        if tax_type not in declared_original:
            continue
        original = declared_original[tax_type]
        declared = convert(
            original, fx_rate, quantum=regime.rounding_quantum, mode=regime.rounding_mode
        )
        assessed = totals[tax_type]
        difference = assessed - declared
        if abs(difference) > tolerance:
            found.append(
                Discrepancy(
                    tax_type=tax_type,
                    declared=declared,
                    assessed=assessed,
                    difference=difference,
                    declared_original=original,
                )
            )
    return tuple(found)


__all__ = [
    "COLLECTION_MODELS",
    "AssessmentResult",
    "ConsignmentIn",
    "Discrepancy",
    "ItemIn",
    "TaxLine",
    "assess",
    "choose_collection_model",
    "consignment_threshold_value",
]
