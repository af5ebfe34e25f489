"""Revenue regimes as dated data.

A :class:`RegimeSpec` holds every figure a jurisdiction's import taxation of low-value goods
depends on: de minimis thresholds for duty and for tax (separately), the value they are measured
on, the scope of the threshold, flat-rate duty, fees, VAT/GST rates by HS code, a duty tariff by HS
code, the vendor-collection schemes accepted and the rounding rule. The figures change by decree,
so they live in ``revenue/data/regimes.json`` with validity dates, never in code.

Dates: ``valid_from`` and ``valid_to`` are both *inclusive* (``valid_to`` is the last day the
regime applies; ``None`` means open-ended).

HS tables: keys are HS prefixes of 2 (chapter), 4, 6, 8 or 10 digits; the longest prefix that
matches an item's code wins, so a chapter default can be overridden for one subheading or one
national tariff line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from customs_ecom.platform.currencies import currency_places
from revenue.money import (
    ROUNDING_MODES,
    CrossRate,
    convert,
    quantum_fault,
    rate_value,
    round_money,
    to_decimal,
)

VALUE_BASES = ("intrinsic", "customs")
THRESHOLD_SCOPES = ("consignment", "item", "consignee_day")
SHIPPED_REGIMES_FILE = "regimes.json"

_DECIMAL_FIELDS = (
    "duty_threshold",
    "tax_threshold",
    "flat_duty_per_hs6",
    "flat_duty_max_value",
    "fee_per_declaration",
    "fee_per_line",
    "vat_standard_rate",
    "duty_default_rate",
    "deferred_ceiling",
    "gift_duty_relief",
    "gift_tax_relief",
    "gift_duty_rate",
    "gift_duty_rate_max_value",
    "formal_entry_threshold",
    "formal_fee_rate",
    "formal_fee_min",
    "formal_fee_max",
    "threshold_rate",
    "tax_threshold_rate",
)
# Amounts a supranational law fixes in ``threshold_currency`` (the EU's euro: reliefs, ceilings,
# the flat duty), converted into the regime currency before use: customs amounts at the rate of
# ``exchange_rate_rule`` (Reg. (EU) 952/2013 art. 53(1)(b)), tax amounts at the rate of
# ``tax_threshold_rate_rule`` (Directive 2006/112/EC art. 369zc). National amounts (fees,
# minimums not levied) are set by the state itself and stay in the regime currency.
_CUSTOMS_LAW_AMOUNTS = (
    "duty_threshold",
    "flat_duty_per_hs6",
    "flat_duty_max_value",
    "gift_duty_relief",
    "gift_duty_rate_max_value",
)
_CUSTOMS_LAW_TABLES: tuple[str, ...] = ()
_TAX_LAW_AMOUNTS = ("tax_threshold", "deferred_ceiling", "gift_tax_relief")
_TAX_LAW_TABLES = ("vendor_schemes",)
_RATE_TABLE_FIELDS = (
    "vat_reduced_rates",
    "duty_rates",
    "vendor_schemes",
    "minimum_collected",
    "origin_duty_rates",
    "postal_duty_per_item",
    "regional_tax_rates",
)
_TUPLE_FIELDS = (
    "deemed_supplier_roles",
    "deferred_roles",
    "low_value_excluded_hs",
    "scheme_return_carries",
    "tax_relief_categories",
    "fee_exempt_transports",
    "vendor_buyers",
    "origin_duty_excluded_hs",
    "regions",
    "returned_goods_relief",
)
TAX_TYPES = ("duty", "vat", "fee")
TRANSPORTS = ("postal", "express", "other")
# The exchange-rate rules revenue.rates knows (kept here so that the pure regime data can be
# checked without importing the rate book).
EXCHANGE_RATE_RULES = (
    "eu_monthly_customs",
    "hmrc_monthly",
    "daily",
    "ecb_daily",
    "ecb_payment_date",
    "previous_business_day",
    "nz_fortnightly",
    "export_day",
    "eu_annual_october",
)
_DATE_FIELDS = ("valid_from", "valid_to")


# A national fee: what it is called and cites, how much per what, on which consignments, who owes
# it and through which channel.
NATIONAL_FEE_KEYS = {
    "code": "short code, unique in the regime (FR-TPC)",
    "name": "what the law calls it",
    "amount": "the fee per unit counted, regime currency",
    "per": "consignment | subheading (distinct HS subheadings of the consignment)",
    "max_value": "optional: charged only when the goods' intrinsic value is at most this",
    "transports": "optional: the transports it is charged on (all when absent)",
    "payer": "border (owed with the import taxes, at the border or on the intermediary's deferred "
    "statement; by the declarant when a scheme return covers the VAT) | declarant_account "
    "(billed to the declarant's account, paid with its monthly statement)",
    "bears_tax": "optional: VAT/GST at the standard rate is charged on the fee",
    "not_with_gift_tax_relief": "optional: not charged on a gift within the gift tax relief",
    "legal_ref": "the legal act and article",
}
NATIONAL_FEE_PER = ("consignment", "subheading")
NATIONAL_FEE_PAYERS = ("border", "declarant_account")


def check_national_fee(code: str, fee: Mapping[str, Any]) -> None:
    """Raise ``ValueError`` when a national fee entry of regime ``code`` is malformed."""
    if not isinstance(fee, Mapping):
        raise ValueError(f"{code}: each national fee is an object")
    unknown = set(fee) - set(NATIONAL_FEE_KEYS)
    if unknown:
        raise ValueError(f"{code}: unknown national fee keys {sorted(unknown)}")
    for key in ("code", "name", "amount", "per", "payer", "legal_ref"):
        if not fee.get(key):
            raise ValueError(f"{code}: national fee needs {key!r}")
    if fee["per"] not in NATIONAL_FEE_PER:
        raise ValueError(f"{code}: national fee 'per' must be one of {NATIONAL_FEE_PER}")
    if fee["payer"] not in NATIONAL_FEE_PAYERS:
        raise ValueError(f"{code}: national fee 'payer' must be one of {NATIONAL_FEE_PAYERS}")
    for key in ("amount", "max_value"):
        if fee.get(key) is not None and to_decimal(fee[key], field=key) < 0:
            raise ValueError(f"{code}: national fee {key} must not be negative")
    for key in ("bears_tax", "not_with_gift_tax_relief"):
        if key in fee and not isinstance(fee[key], bool):
            raise ValueError(f"{code}: national fee {key} must be true or false")
    if set(fee.get("transports") or ()) - set(TRANSPORTS):
        raise ValueError(f"{code}: national fee transports names unknown transports")


def longest_prefix_match(table: Mapping[str, Decimal], hs_code: str) -> Decimal | None:
    """Return the value of the longest key of ``table`` that ``hs_code`` starts with, if any."""
    best_key = None
    for key in table:
        if hs_code.startswith(key) and (best_key is None or len(key) > len(best_key)):
            best_key = key
    return None if best_key is None else table[best_key]


# The rounding steps a regime names: of its amounts, and of the duties and taxes it assesses.
QUANTUM_FIELDS = ("rounding_quantum", "tax_rounding_quantum")


@dataclass(frozen=True)
class RegimeSpec:
    """One jurisdiction's taxation of imported low-value consignments over one period.

    Thresholds (``duty_threshold``, ``tax_threshold``, ``vendor_schemes`` ceilings,
    ``flat_duty_max_value``, ``deferred_ceiling``) are in the regime ``currency`` and are compared
    with the *threshold value*: the sum of item values (``value_basis="intrinsic"``) or that sum
    plus transport and insurance (``"customs"``), measured per consignment, per item (unit value)
    or per consignee per day (``threshold_scope``). A relief applies when the value is
    ``<=`` the threshold; vendor-scheme ceilings are inclusive unless
    ``vendor_ceiling_inclusive`` is false (Norway's VOEC covers items *below* NOK 3,000).

    ``None`` for ``duty_threshold`` or ``tax_threshold`` means no relief: due from the first unit.
    A regime with no VAT/GST at the border (``vat_standard_rate`` 0 and no reduced rates, e.g. the
    United States) produces no VAT lines at all.

    ``sample_rates`` is true when the duty tariff holds illustrative sample rates, which every duty
    line then says in its legal reason.
    """

    code: str
    name: str
    jurisdiction: str
    currency: str
    valid_from: date
    valid_to: date | None
    value_basis: str
    threshold_scope: str
    duty_threshold: Decimal | None
    tax_threshold: Decimal | None
    flat_duty_per_hs6: Decimal | None
    flat_duty_max_value: Decimal | None
    fee_per_declaration: Decimal
    fee_per_line: Decimal
    vat_standard_rate: Decimal
    vat_reduced_rates: dict[str, Decimal]
    duty_default_rate: Decimal
    duty_rates: dict[str, Decimal]
    vat_on_duty: bool
    vendor_schemes: dict[str, Decimal]
    deemed_supplier_roles: tuple[str, ...]
    deferred_roles: tuple[str, ...]
    rounding_quantum: str
    rounding_mode: str
    sample_rates: bool
    legal_refs: dict[str, str]
    # Vendor-scheme ceilings compare with <= when true, with < when false (Norway VOEC).
    vendor_ceiling_inclusive: bool = True
    # HS prefixes excluded from every low-value simplification: de minimis reliefs, flat-rate
    # duty, vendor schemes and deferred payment (excise goods in the EU and the UK, alcohol and
    # tobacco in Australia, foodstuffs under VOEC); such items are taxed in full at the border.
    low_value_excluded_hs: tuple[str, ...] = ()
    # True where goods sold under a vendor scheme also carry no customs duty (Norway VOEC).
    vendor_scheme_relieves_duty: bool = False
    # Highest threshold value for which an intermediary may defer payment (EU: EUR 150).
    deferred_ceiling: Decimal | None = None
    # Duty on customs value including transport and insurance (CIF: EU, UK, Norway) or on the
    # goods value alone (FOB: United States, Australia).
    duty_value_includes_transport: bool = True
    # VAT/GST basis includes transport and insurance to the destination.
    tax_value_includes_transport: bool = True
    # No customs fees on a consignment relieved of duty under the de minimis (US section 321).
    fee_relief_with_duty_relief: bool = False
    # What the consumption tax is called in legal reasons and explanations ("VAT", "GST").
    tax_name: str = "VAT"
    notes: str = ""
    # Descriptions of tariff lines loaded from a CSV tariff (HS prefix -> text), for the officer.
    duty_rate_descriptions: dict[str, str] = field(default_factory=dict)
    # Where the duty tariff comes from when it is not the shipped sample (e.g. a CSV import).
    tariff_source: str = ""
    # --- Local time (issue: regimes a finance ministry can sign off) ---------------------------
    # The jurisdiction's IANA time zone: effective dates, day boundaries, deferred statements and
    # due dates are read in it, never in UTC.
    timezone: str = "UTC"
    # Local time of day ("HH:MM") at which the first day starts, when the law says so (the US
    # suspension of de minimis began at 00:01 Eastern time); before it the previous regime applies.
    starts_at: str = ""
    # Day of the month after the period by which a deferred statement is due.
    deferred_due_day: int = 16
    # --- Collection ---------------------------------------------------------------------------
    # Tax types that the vendor scheme's return carries (the IOSS return carries VAT only): an
    # amount of another type on a scheme consignment is due through the border model instead.
    scheme_return_carries: tuple[str, ...] = ("vat",)
    # Scope of the vendor-scheme ceiling when it differs from ``threshold_scope`` (Australia:
    # per item at the point of sale, per consignment at the border); empty: ``threshold_scope``.
    vendor_scope: str = ""
    # Buyers a vendor scheme serves: a business buyer giving its number accounts for the tax
    # itself (reverse charge) where the law says so.
    vendor_buyers: tuple[str, ...] = ("consumer",)
    # Categories the low-value tax relief applies to (empty: all). The UK GBP 135 relief moves
    # VAT to the point of sale and so covers sales only, not gifts.
    tax_relief_categories: tuple[str, ...] = ()
    # --- Reliefs, fees and minimum amounts ----------------------------------------------------
    # Gifts between private persons: duty and tax relieved up to these values (None: no relief).
    gift_duty_relief: Decimal | None = None
    gift_tax_relief: Decimal | None = None
    # Gifts above the duty relief and up to ``gift_duty_rate_max_value``: a flat ad valorem duty
    # instead of the tariff rate, or the tariff rate where it is lower (UK: 2.5% up to GBP 630).
    gift_duty_rate: Decimal | None = None
    gift_duty_rate_max_value: Decimal | None = None
    # True where a gift above the relief pays on the value exceeding it, the relief being deducted
    # (Canada: CAD 60, "duty and taxes on any amount over CAD 60"); false where a gift above the
    # relief is taxed on its whole value (EU, UK).
    gift_relief_deducted: bool = False
    # Tax types relieved on goods declared as returned (category ``returned_goods``): goods that
    # left the territory and come back unaltered (EU: duty under Reg. (EU) 952/2013 art. 203,
    # VAT under Directive 2006/112/EC art. 143(1)(e)), cited under ``legal_refs["returned_goods"]``.
    # The relief is claimed: the engine applies it and an officer checks the evidence of export
    # before release (guard ``relief_unverified``). Empty: returned goods are taxed like others.
    returned_goods_relief: tuple[str, ...] = ()
    # A tax type whose total for the consignment is below this amount is not levied.
    minimum_collected: dict[str, Decimal] = field(default_factory=dict)
    # Transport channels on which the fees are not charged (US: no processing fee on postal).
    fee_exempt_transports: tuple[str, ...] = ()
    # Above this consignment value the entry is formal and its fee is ad valorem, between a
    # minimum and a maximum, instead of ``fee_per_declaration`` (United States: informal entries
    # up to USD 2,500, 19 CFR 143.21(a); the merchandise processing fee of a formal entry is
    # 0.3464 % of the value, 19 CFR 24.23(b)(1)(i)(A), with its yearly adjusted minimum and maximum).
    formal_entry_threshold: Decimal | None = None
    formal_fee_rate: Decimal | None = None
    formal_fee_min: Decimal | None = None
    formal_fee_max: Decimal | None = None
    # Additional ad valorem duty by country of origin (``"*"``: every other origin).
    origin_duty_rates: dict[str, Decimal] = field(default_factory=dict)
    # Specific duty per postal item by country of origin, the alternative a post may choose
    # instead of the ad valorem duty during a transition (``"*"``: every other origin).
    postal_duty_per_item: dict[str, Decimal] = field(default_factory=dict)
    # Postal items pay the duty by origin alone, instead of the tariff duty and the duty by
    # origin on top of it (United States from 29 August 2025: Executive Order 14324 sec. 3(a),
    # "a duty equal to the effective IEEPA duty rate applicable to the country of origin",
    # applied to the value of each postal item; CBP's International Mail Duty Worksheet computes
    # the duty owed as declared value times that one rate).
    postal_origin_duty_only: bool = False
    # HS prefixes the duty by origin never applies to (United States: informational materials,
    # chapter 49, are outside the IEEPA duties, 50 U.S.C. 1702(b)(3)).
    origin_duty_excluded_hs: tuple[str, ...] = ()
    # Thresholds that differ by origin and transport (Canada: CAD 150 duty / CAD 40 tax for
    # courier shipments from the US and Mexico under CUSMA, CAD 20 otherwise). Each entry:
    # {"origins": [...], "transports": [...], "duty_threshold": "150", "tax_threshold": "40",
    #  "legal_ref": "..."}; the first that matches replaces the regime's thresholds.
    threshold_overrides: tuple[dict[str, Any], ...] = ()
    # How the exchange rate of the day is fixed (see revenue.rates) and how old the published
    # rate may be before an assessment says it is stale.
    exchange_rate_rule: str = "ecb_daily"
    exchange_rate_max_age_days: int = 4
    # How the flat duty counts "items": distinct tariff codes of this many digits (6: HS
    # subheading, the H7 dataset; 8: CN; 10: TARIC, the H1 dataset), or every declaration line.
    flat_duty_digits: int = 6
    flat_duty_per_line: bool = False
    # Whether a vendor-collected tax is charged on the duty too (EU: the flat duty is part of the
    # taxable amount); false where the seller taxes its sale price only (New Zealand).
    vendor_tax_on_duty: bool = True
    # National fees that themselves bear VAT/GST at the standard rate (a fee that is part of the
    # taxable amount on importation, Directive 2006/112/EC art. 86(1)(a)).
    fees_bear_tax: bool = False
    # Where the rounding rule applies: to each tax line ("line") or once to the consignment's
    # total of each tax type customs assesses, per payer and channel ("total": Switzerland's
    # 5 centimes and minimum, Norway's whole kroner), that total then spread over the lines by
    # largest remainder. What a seller charges under its scheme is rounded per line.
    rounding_scope: str = "line"
    # Quantum of the amounts of duty, tax and fee lines when it differs from the quantum of the
    # values they are computed on (Norway's customs states duty and VAT in whole kroner, "1",
    # while values keep their øre). None: the amounts are rounded like the values.
    tax_rounding_quantum: str | None = None
    # National fees and levies beside duty and VAT/GST, each a dict (see NATIONAL_FEE_KEYS):
    # the French small-parcel tax (EUR 2 per distinct HS subheading of a low-value consignment,
    # owed with the import VAT) or the New Zealand low-value goods levy (NZD 2.21 per consignment,
    # billed to the declarant, GST on top). They are not waived by ``minimum_collected``.
    national_fees: tuple[dict[str, Any], ...] = ()
    # The currency in which the law fixes the regime's thresholds when it is not the regime
    # currency: the EU's EUR 150 and EUR 3 in a member state outside the euro area (Poland
    # assesses in zloty). Empty: they are in ``currency``. Customs amounts (duty relief, flat
    # duty and its ceiling, gift duty relief and gift-rate ceiling) are converted at the rate of
    # ``exchange_rate_rule``; tax amounts (scheme ceilings, the deferral ceiling, the tax
    # threshold, the VAT gift relief) at the rate of ``tax_threshold_rate_rule`` (empty: the
    # same rule; the EU fixes them once a year, ``eu_annual_october``). ``threshold_rate`` and
    # ``tax_threshold_rate`` record the rates once converted (see ``in_regime_currency``).
    threshold_currency: str = ""
    tax_threshold_rate_rule: str = ""
    threshold_rate: Decimal | None = None
    tax_threshold_rate: Decimal | None = None
    # Regions (ISO 3166-2 subdivision codes without the country) whose import tax replaces the
    # standard rate: Canada's harmonized sales tax, federal and provincial parts together, in
    # the participating provinces (13 % in Ontario). ``regional_tax_name`` names that tax,
    # ``regions`` lists every region a request may name, and ``postcode_regions`` maps the first
    # character of a postcode to its region (Canada: K, L, M, N and P are Ontario).
    regional_tax_rates: dict[str, Decimal] = field(default_factory=dict)
    regional_tax_name: str = ""
    regions: tuple[str, ...] = ()
    postcode_regions: dict[str, str] = field(default_factory=dict)
    # The region the regime was narrowed to (see ``for_region``); empty when none is known.
    region: str = ""

    def __post_init__(self) -> None:
        if self.value_basis not in VALUE_BASES:
            raise ValueError(f"{self.code}: value_basis must be one of {VALUE_BASES}")
        if self.threshold_scope not in THRESHOLD_SCOPES:
            raise ValueError(f"{self.code}: threshold_scope must be one of {THRESHOLD_SCOPES}")
        if self.rounding_mode not in ROUNDING_MODES:
            raise ValueError(f"{self.code}: unknown rounding mode {self.rounding_mode!r}")
        round_money(Decimal(0), quantum=self.rounding_quantum, mode=self.rounding_mode)
        for flag in fields(self):
            if flag.type == "bool" and not isinstance(getattr(self, flag.name), bool):
                raise ValueError(f"{self.code}: {flag.name} must be true or false")
        if self.tax_rounding_quantum is not None:
            round_money(Decimal(0), quantum=self.tax_rounding_quantum, mode=self.rounding_mode)
            if Decimal(self.tax_rounding_quantum) < Decimal(self.rounding_quantum):
                raise ValueError(
                    f"{self.code}: tax_rounding_quantum is finer than rounding_quantum"
                )
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise ValueError(f"{self.code}: currency must be an ISO 4217 code")
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError(f"{self.code}: valid_to is before valid_from")
        if self.threshold_currency:
            code = self.threshold_currency
            if len(code) != 3 or not code.isalpha() or not code.isupper():
                raise ValueError(f"{self.code}: threshold_currency must be an ISO 4217 code")
            if code == self.currency:
                raise ValueError(f"{self.code}: threshold_currency is the regime currency")
            if self.threshold_overrides or self.formal_entry_threshold is not None:
                raise ValueError(
                    f"{self.code}: threshold overrides and formal-entry thresholds are in the "
                    "regime currency; a regime with a threshold_currency cannot hold them"
                )
        elif (
            self.threshold_rate is not None
            or self.tax_threshold_rate is not None
            or self.tax_threshold_rate_rule
        ):
            raise ValueError(f"{self.code}: threshold rates need a threshold_currency")
        if self.tax_threshold_rate_rule and self.tax_threshold_rate_rule not in (
            EXCHANGE_RATE_RULES
        ):
            raise ValueError(
                f"{self.code}: tax_threshold_rate_rule must be one of {EXCHANGE_RATE_RULES}"
            )
        if (self.threshold_rate is None) != (self.tax_threshold_rate is None):
            raise ValueError(f"{self.code}: both threshold rates or neither")
        unknown_regions = (
            set(self.regional_tax_rates) | set(self.postcode_regions.values())
        ) - set(self.regions)
        if unknown_regions:
            raise ValueError(
                f"{self.code}: regions not listed in regions: {sorted(unknown_regions)}"
            )
        if any(not Decimal(0) <= rate <= Decimal(1) for rate in self.regional_tax_rates.values()):
            raise ValueError(f"{self.code}: regional tax rates are fractions between 0 and 1")
        if self.regional_tax_rates and not self.regional_tax_name:
            raise ValueError(f"{self.code}: regional tax rates need a regional_tax_name")
        if any(len(key) != 1 for key in self.postcode_regions):
            raise ValueError(f"{self.code}: postcode_regions keys are single characters")
        if self.region and self.region not in self.regions:
            raise ValueError(f"{self.code}: region {self.region!r} is not one of its regions")
        law_rates = (self.threshold_rate, self.tax_threshold_rate)
        if any(rate is not None and rate <= 0 for rate in law_rates):
            raise ValueError(f"{self.code}: threshold rates must be positive")
        rates = [self.vat_standard_rate, self.duty_default_rate]
        rates += [self.gift_duty_rate] if self.gift_duty_rate is not None else []
        rates += list(self.vat_reduced_rates.values()) + list(self.duty_rates.values())
        if any(not Decimal(0) <= rate <= Decimal(1) for rate in rates):
            raise ValueError(f"{self.code}: rates are fractions between 0 and 1")
        for table_name in ("vat_reduced_rates", "duty_rates"):
            for prefix in getattr(self, table_name):
                if not prefix.isdigit() or len(prefix) not in (2, 4, 6, 8, 10):
                    raise ValueError(
                        f"{self.code}: {table_name} key {prefix!r} is not an HS prefix"
                    )
        amounts = [self.fee_per_declaration, self.fee_per_line, *self.vendor_schemes.values()]
        amounts += [
            value
            for value in (
                self.duty_threshold,
                self.tax_threshold,
                self.flat_duty_per_hs6,
                self.flat_duty_max_value,
                self.deferred_ceiling,
                self.gift_duty_rate_max_value,
            )
            if value is not None
        ]
        if any(amount < 0 for amount in amounts):
            raise ValueError(f"{self.code}: thresholds and fees must not be negative")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{self.code}: unknown time zone {self.timezone!r}") from exc
        if self.starts_at:
            time.fromisoformat(self.starts_at)
        if self.exchange_rate_rule not in EXCHANGE_RATE_RULES:
            raise ValueError(
                f"{self.code}: exchange_rate_rule must be one of {EXCHANGE_RATE_RULES}"
            )
        if self.rounding_scope not in ("line", "total"):
            raise ValueError(f"{self.code}: rounding_scope must be line or total")
        if self.flat_duty_digits not in (6, 8, 10):
            raise ValueError(f"{self.code}: flat_duty_digits must be 6, 8 or 10")
        if not 1 <= self.deferred_due_day <= 28:
            raise ValueError(f"{self.code}: deferred_due_day must be between 1 and 28")
        if set(self.scheme_return_carries) - set(TAX_TYPES):
            raise ValueError(f"{self.code}: scheme_return_carries names unknown tax types")
        formal = (
            self.formal_entry_threshold,
            self.formal_fee_rate,
            self.formal_fee_min,
            self.formal_fee_max,
        )
        if any(v is not None for v in formal) and any(v is None for v in formal):
            raise ValueError(
                f"{self.code}: formal_entry_threshold needs formal_fee_rate, formal_fee_min and "
                "formal_fee_max"
            )
        if any(v is not None and v < 0 for v in formal) or (
            self.formal_fee_min is not None
            and self.formal_fee_max is not None
            and self.formal_fee_min > self.formal_fee_max
        ):
            raise ValueError(f"{self.code}: formal entry figures must be >= 0, minimum <= maximum")
        if (self.gift_duty_rate is None) != (self.gift_duty_rate_max_value is None):
            raise ValueError(f"{self.code}: gift_duty_rate needs gift_duty_rate_max_value")
        if set(self.minimum_collected) - {*TAX_TYPES, "total"}:
            raise ValueError(f"{self.code}: minimum_collected names unknown tax types")
        if self.vendor_scope and self.vendor_scope not in ("item", "consignment"):
            raise ValueError(f"{self.code}: vendor_scope must be item or consignment")
        if set(self.fee_exempt_transports) - set(TRANSPORTS):
            raise ValueError(f"{self.code}: fee_exempt_transports names unknown transports")
        if any(not Decimal(0) <= rate <= Decimal(2) for rate in self.origin_duty_rates.values()):
            raise ValueError(f"{self.code}: origin duty rates are fractions between 0 and 2")
        for fee in self.national_fees:
            check_national_fee(self.code, fee)
        if set(self.returned_goods_relief) - {"duty", "vat"}:
            raise ValueError(f"{self.code}: returned_goods_relief names duty and vat only")
        if self.returned_goods_relief and not self.legal_refs.get("returned_goods"):
            raise ValueError(f"{self.code}: returned_goods_relief needs legal_refs.returned_goods")

    def __hash__(self) -> int:
        # dict fields make the generated hash fail; the code and dates identify a regime.
        return hash((self.code, self.valid_from, self.valid_to))

    def for_shipment(self, origin: str, transport: str) -> RegimeSpec:
        """The regime with the thresholds that apply to goods of ``origin`` sent by
        ``transport`` (itself when no override matches)."""
        for override in self.threshold_overrides:
            origins = override.get("origins") or []
            transports = override.get("transports") or []
            if (not origins or origin.upper() in origins) and (
                not transports or transport in transports
            ):
                changes: dict[str, Any] = {}
                for name in ("duty_threshold", "tax_threshold"):
                    if name in override:
                        value = override[name]
                        changes[name] = None if value is None else to_decimal(value, field=name)
                if override.get("legal_ref"):
                    refs = dict(self.legal_refs)
                    refs["duty_relief"] = refs["tax_relief"] = override["legal_ref"]
                    changes["legal_refs"] = refs
                return replace(self, **changes)
        return self

    def region_of_postcode(self, postcode: str) -> str:
        """The region a postcode lies in, by its first character ('' when not known)."""
        text = (postcode or "").strip().upper()
        return self.postcode_regions.get(text[:1], "") if text else ""

    def for_region(self, region: str) -> RegimeSpec:
        """The regime for goods delivered in ``region``: its regional tax rate replaces the
        standard rate there (Ontario's HST of 13 % instead of the GST of 5 %). Itself when the
        regime has no regions or none is given."""
        if not self.regions or not region or self.region:
            return self
        if region not in self.regions:
            raise ValueError(f"{self.code}: unknown region {region!r}")
        if region not in self.regional_tax_rates:
            return replace(self, region=region)
        refs = dict(self.legal_refs)
        if refs.get("regional_tax"):
            refs["vat"] = refs["regional_tax"]
        return replace(
            self,
            region=region,
            vat_standard_rate=self.regional_tax_rates[region],
            tax_name=self.regional_tax_name,
            legal_refs=refs,
        )

    @property
    def converts_law_amounts(self) -> bool:
        """Whether the law's amounts are in another currency and not converted yet."""
        return bool(self.threshold_currency) and self.threshold_rate is None

    @property
    def effective_tax_threshold_rate_rule(self) -> str:
        return self.tax_threshold_rate_rule or self.exchange_rate_rule

    def in_regime_currency(
        self, customs_rate: Decimal | CrossRate, tax_rate: Decimal | CrossRate
    ) -> RegimeSpec:
        """The regime with the amounts its law fixes in ``threshold_currency`` converted to the
        regime currency (``customs_rate`` for customs amounts, ``tax_rate`` for tax amounts:
        regime currency per unit of ``threshold_currency``, a ``CrossRate`` converting exactly)
        and rounded like values; itself when there is nothing to convert or it was converted
        already."""
        if not self.converts_law_amounts:
            return self
        rates: list[Decimal | CrossRate] = []
        for rate, name in ((customs_rate, "threshold_rate"), (tax_rate, "tax_threshold_rate")):
            if not isinstance(rate, CrossRate):  # a cross rate is positive by construction
                rate = to_decimal(rate, field=name)
                if rate <= 0:
                    raise ValueError("threshold rates must be positive")
            rates.append(rate)
        customs_rate, tax_rate = rates
        changes: dict[str, Any] = {
            "threshold_rate": rate_value(customs_rate),
            "tax_threshold_rate": rate_value(tax_rate),
        }
        rounding = {"quantum": self.rounding_quantum, "mode": self.rounding_mode}
        for names, tables, rate in (
            (_CUSTOMS_LAW_AMOUNTS, _CUSTOMS_LAW_TABLES, customs_rate),
            (_TAX_LAW_AMOUNTS, _TAX_LAW_TABLES, tax_rate),
        ):
            for name in names:
                value = getattr(self, name)
                changes[name] = None if value is None else convert(value, rate, **rounding)
            for name in tables:
                changes[name] = {
                    key: convert(value, rate, **rounding)
                    for key, value in getattr(self, name).items()
                }
        return replace(self, **changes)

    @property
    def tzinfo(self) -> ZoneInfo:
        """The jurisdiction's time zone."""
        return ZoneInfo(self.timezone)

    def local_date(self, instant: datetime) -> date:
        """The calendar day of ``instant`` (aware) in the jurisdiction."""
        return instant.astimezone(self.tzinfo).date()

    def starts_after(self, instant: datetime) -> bool:
        """True when ``instant`` falls on the first day but before the local start time."""
        if not self.starts_at:
            return False
        local = instant.astimezone(self.tzinfo)
        return local.date() == self.valid_from and local.time() < time.fromisoformat(self.starts_at)

    @property
    def effective_vendor_scope(self) -> str:
        return self.vendor_scope or ("item" if self.threshold_scope == "item" else "consignment")

    def origin_duty_rate(self, origin: str) -> Decimal | None:
        """Additional ad valorem duty for goods of ``origin`` (None: none)."""
        if not self.origin_duty_rates:
            return None
        return self.origin_duty_rates.get(origin.upper(), self.origin_duty_rates.get("*"))

    def origin_duty_excluded(self, hs_code: str) -> bool:
        """Goods of ``hs_code`` owe no duty by origin (informational materials)."""
        return bool(hs_code) and any(
            hs_code.startswith(prefix) for prefix in self.origin_duty_excluded_hs
        )

    def postal_specific_duty(self, origin: str) -> Decimal | None:
        """Specific duty per postal item for goods of ``origin`` (None: not offered)."""
        if not self.postal_duty_per_item:
            return None
        return self.postal_duty_per_item.get(origin.upper(), self.postal_duty_per_item.get("*"))

    def is_valid_on(self, on: date) -> bool:
        """True when ``on`` falls within the regime's (inclusive) validity period."""
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)

    @property
    def has_border_tax(self) -> bool:
        """True when the jurisdiction levies VAT/GST on imports at all."""
        return self.vat_standard_rate > 0 or any(
            rate > 0 for rate in self.vat_reduced_rates.values()
        )

    def duty_rate_for(self, hs_code: str) -> Decimal:
        """Ad valorem duty rate for ``hs_code``: the longest matching tariff prefix, else the default."""
        rate = longest_prefix_match(self.duty_rates, hs_code)
        return self.duty_default_rate if rate is None else rate

    def vat_rate_for(self, hs_code: str) -> Decimal:
        """VAT/GST rate for ``hs_code``: the longest matching reduced-rate prefix, else standard."""
        rate = longest_prefix_match(self.vat_reduced_rates, hs_code)
        return self.vat_standard_rate if rate is None else rate

    def excluded_from_low_value(self, hs_code: str) -> bool:
        """True when goods of ``hs_code`` get none of the low-value reliefs and simplifications."""
        return any(hs_code.startswith(prefix) for prefix in self.low_value_excluded_hs)

    def legal_ref(self, key: str) -> str:
        """The citation stored for ``key``, or an empty string when the regime has none."""
        return self.legal_refs.get(key, "")

    def round(self, amount: Decimal) -> Decimal:
        """Round ``amount`` with this regime's rounding rule (through the one money helper)."""
        return round_money(amount, quantum=self.rounding_quantum, mode=self.rounding_mode)

    @property
    def amount_quantum(self) -> str:
        """The quantum of duty, tax and fee amounts (``tax_rounding_quantum`` or the value one)."""
        return self.tax_rounding_quantum or self.rounding_quantum

    def round_amount(self, amount: Decimal) -> Decimal:
        """Round a duty, tax or fee amount to ``amount_quantum`` with the regime's mode, written
        with the places of the values (NOK 134.00, not NOK 134)."""
        if self.tax_rounding_quantum is None:
            return self.round(amount)
        whole = round_money(amount, quantum=self.tax_rounding_quantum, mode=self.rounding_mode)
        return self.round(whole)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RegimeSpec:
        """Build a regime from its JSON form (amounts as strings, dates ISO 8601)."""
        known = {f.name for f in fields(cls) if f.init}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown regime fields: {sorted(unknown)}")
        values: dict[str, Any] = dict(data)
        for name in _DECIMAL_FIELDS:
            if values.get(name) is not None:
                values[name] = to_decimal(values[name], field=name)
        for name in _RATE_TABLE_FIELDS:
            values[name] = {
                str(key): to_decimal(value, field=f"{name}[{key}]")
                for key, value in (values.get(name) or {}).items()
            }
        for name in _TUPLE_FIELDS:
            if name in values:
                values[name] = tuple(values[name])
        for name in _DATE_FIELDS:
            if isinstance(values.get(name), str):
                values[name] = date.fromisoformat(values[name])
        values["legal_refs"] = dict(values.get("legal_refs") or {})
        values["postcode_regions"] = {
            str(key): str(value) for key, value in (values.get("postcode_regions") or {}).items()
        }
        for name in ("threshold_overrides", "national_fees"):
            if name in values:
                values[name] = tuple(dict(entry) for entry in values[name] or ())
        return cls(**values)

    def check_rounding_steps(self) -> None:
        """Raise ``ValueError`` unless each rounding quantum is a step an administration rounds to
        (``revenue.money.quantum_fault``): 1 or 5 times a power of ten of the currency, from its
        minor unit to 100, written plainly. Checked where a regime is set (a regimes file, the
        shipped regimes, a new version), not when a stored version is read back, so a version
        saved before the rule keeps assessing as it did."""
        for name in QUANTUM_FIELDS:
            quantum = getattr(self, name)
            fault = (
                None if quantum is None else quantum_fault(quantum, currency_places(self.currency))
            )
            if fault is not None:
                raise ValueError(
                    f"{self.code}: {name} {quantum!r} is not a rounding step of {self.currency} "
                    f"({fault}): 1 or 5 times a power of ten, from the minor unit to 100, "
                    "written plainly"
                )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the regime; ``from_dict(to_dict())`` gives an equal regime."""
        result: dict[str, Any] = {}
        for f in fields(self):
            if not f.init:
                continue
            value = getattr(self, f.name)
            if isinstance(value, Decimal):
                value = str(value)
            elif isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, dict):
                value = {
                    key: str(item) if isinstance(item, Decimal) else item
                    for key, item in value.items()
                }
            result[f.name] = value
        return result


def load_regimes(path: Path | str) -> list[RegimeSpec]:
    """Read regimes from a JSON file of the shipped form ``{"regimes": [...]}``."""
    with open(path, encoding="utf-8") as handle:
        document = json.load(handle)
    regimes = [RegimeSpec.from_dict(entry) for entry in document["regimes"]]
    for regime in regimes:
        regime.check_rounding_steps()
    return regimes


@lru_cache(maxsize=1)
def _shipped_regimes() -> tuple[RegimeSpec, ...]:
    source = resources.files("revenue").joinpath("data", SHIPPED_REGIMES_FILE)
    document = json.loads(source.read_text(encoding="utf-8"))
    regimes = tuple(RegimeSpec.from_dict(entry) for entry in document["regimes"])
    for regime in regimes:
        regime.check_rounding_steps()
    check_no_overlaps(regimes)
    return regimes


def load_shipped_regimes() -> list[RegimeSpec]:
    """The regimes shipped with the product (``revenue/data/regimes.json``), validated."""
    return list(_shipped_regimes())


def check_no_overlaps(regimes: Iterable[RegimeSpec]) -> None:
    """Raise ``ValueError`` when two regimes of one jurisdiction overlap in time or share a code."""
    regimes = list(regimes)
    codes = [regime.code for regime in regimes]
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        raise ValueError(f"duplicate regime codes: {duplicates}")
    by_jurisdiction: dict[str, list[RegimeSpec]] = {}
    for regime in regimes:
        by_jurisdiction.setdefault(regime.jurisdiction, []).append(regime)
    for jurisdiction, periods in by_jurisdiction.items():
        periods.sort(key=lambda regime: regime.valid_from)
        for earlier, later in zip(periods, periods[1:], strict=False):
            if earlier.valid_to is None or earlier.valid_to >= later.valid_from:
                raise ValueError(f"{jurisdiction}: regimes {earlier.code} and {later.code} overlap")


def regime_for(regimes: Iterable[RegimeSpec], jurisdiction: str, on: date) -> RegimeSpec | None:
    """The regime of ``jurisdiction`` (ISO 3166 alpha-2, case-insensitive) in force on ``on``.

    When several match (overlapping data that escaped :func:`check_no_overlaps`) the one that
    started last wins, because a newer decree supersedes an older one.
    """
    wanted = jurisdiction.upper()
    matches = [r for r in regimes if r.jurisdiction.upper() == wanted and r.is_valid_on(on)]
    if not matches:
        return None
    return max(matches, key=lambda regime: regime.valid_from)


def regime_at(
    regimes: Iterable[RegimeSpec], jurisdiction: str, instant: datetime
) -> RegimeSpec | None:
    """The regime of ``jurisdiction`` in force at ``instant`` (an aware datetime), read in the
    jurisdiction's own time zone: a parcel received at 01:30 Paris time on 1 July is assessed
    under the rules that start on 1 July, whatever the UTC date. A regime whose first day starts
    at a local time of day (``starts_at``) leaves the minutes before it to its predecessor."""
    regimes = [r for r in regimes if r.jurisdiction.upper() == jurisdiction.upper()]
    if not regimes:
        return None
    zone = jurisdiction_timezone(regimes, jurisdiction)
    local_day = instant.astimezone(zone).date()
    found = regime_for(regimes, jurisdiction, local_day)
    if found is not None and found.starts_after(instant):
        return regime_for(regimes, jurisdiction, local_day - timedelta(days=1))
    return found


@lru_cache(maxsize=1)
def _territories_document() -> dict[str, Any]:
    source = resources.files("revenue").joinpath("data", SHIPPED_REGIMES_FILE)
    document = json.loads(source.read_text(encoding="utf-8"))
    return {
        "customs_unions": document.get("customs_unions") or {},
        "duty_free_territories": document.get("duty_free_territories") or {},
    }


@lru_cache(maxsize=1)
def customs_unions() -> dict[str, frozenset[str]]:
    """Customs and VAT territories whose members do not import from one another (the EU with
    Monaco; the United Kingdom with the Isle of Man; Switzerland with Liechtenstein; the United
    States with Puerto Rico), from the shipped regimes file."""
    return {
        name: frozenset(members)
        for name, members in _territories_document()["customs_unions"].items()
    }


def customs_union_of(country: str) -> str | None:
    """The union ``country`` belongs to, or None."""
    for name, members in customs_unions().items():
        if country.upper() in members:
            return name
    return None


def not_an_import(country: str, jurisdiction: str) -> bool:
    """Goods sent from ``country`` to ``jurisdiction`` stay inside one customs and VAT
    territory: no import duty or import VAT is due."""
    if not country:
        return False
    if country.upper() == jurisdiction.upper():
        return True
    union = customs_union_of(jurisdiction)
    return union is not None and customs_union_of(country) == union


def duty_free_territory(country: str, jurisdiction: str) -> str | None:
    """The legal reason why goods sent from ``country`` owe ``jurisdiction`` no customs duty
    but import VAT (a territory inside its customs territory or customs union and outside its
    VAT territory: the French outermost regions, the Aland Islands, San Marino for the EU;
    Jersey and Guernsey for the United Kingdom), or None."""
    if not country:
        return None
    territories = _territories_document()["duty_free_territories"]
    for key in (jurisdiction.upper(), customs_union_of(jurisdiction)):
        entry = territories.get(key) if key else None
        if isinstance(entry, dict) and country.upper() in entry.get("countries", ()):
            return str(entry.get("legal_ref") or "")
    return None


def jurisdiction_timezone(regimes: Iterable[RegimeSpec], jurisdiction: str) -> ZoneInfo:
    """The time zone of ``jurisdiction``: that of its newest regime (UTC when none is known)."""
    own = [r for r in regimes if r.jurisdiction.upper() == jurisdiction.upper()]
    if not own:
        return ZoneInfo("UTC")
    return max(own, key=lambda r: r.valid_from).tzinfo
