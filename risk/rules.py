"""The rule library: each rule a pure function of a facts snapshot and validated parameters.

A rule returns hits; a hit carries a score, a human explanation with the numbers that made it
fire, optionally a minimum channel, and whether AEO benefits may reduce it. Watchlist and
prohibited-goods hits are never reduced for authorised operators (WCO SAFE / Standard 7: AEO
benefits lower routine controls, they do not switch off prohibitions and restrictions).

Parameters are pydantic models with defaults and validation, stored per rule-set version by the
Django side (``DEFAULT_RULESET`` is the shipped starting point, also in
``risk/data/default_ruleset.json``).
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from declarations.messages import Message, Seq
from risk import lexicons
from risk.facts import Facts, ItemFacts, PartyFacts, consignee_key, party_key, screening_key
from risk.reference import ReferenceBook
from risk.watchlist import WatchlistIndex

Channel = Literal["green", "blue", "yellow", "red"]

_CENT = Decimal("0.01")
_EURO = Decimal("1")
_HUNDRED = Decimal("100")


@dataclass(frozen=True)
class Hit:
    """One reason a declaration is risky, as an officer reads it."""

    rule_code: str
    score: int
    explanation: str  # a declarations.messages.Message: English text, id and parameters
    min_channel: str | None = None
    confidential_data: dict = field(default_factory=dict)
    overridable_by_aeo: bool = True


def _empty_watchlist() -> WatchlistIndex:
    return WatchlistIndex(())


@dataclass
class BatchContext:
    """Reference data loaded once per batch by the Django side and shared by every assessment.

    ``value_benchmarks`` maps HS6, HS4 and HS2 codes to the median declared EUR per kg learned
    from history (``value_benchmark_samples`` to how many declarations each rests on);
    ``reference`` holds the reference values known without history; ``known_tax_numbers`` maps a tax-scheme number to the ``party_key`` of every
    seller it was registered to or seen with; ``valid_tax_numbers`` (when not None) is the
    register of valid numbers; ``false_positives`` holds (watchlist entry id, party key)
    pairs cleared by two people: the key is ``screening_key`` (name and address) or, for
    clearances made before addresses were kept, ``party_key`` (name only).
    """

    value_benchmarks: dict[str, Decimal] = field(default_factory=dict)
    # Accepted declarations behind each learned median; a code missing here counts as trusted.
    value_benchmark_samples: dict[str, int] = field(default_factory=dict)
    reference: ReferenceBook = field(default_factory=ReferenceBook)
    watchlist: WatchlistIndex = field(default_factory=_empty_watchlist)
    known_tax_numbers: dict[str, frozenset[str]] = field(default_factory=dict)
    valid_tax_numbers: frozenset[str] | None = None
    false_positives: frozenset[tuple[str, str]] = frozenset()
    random_seed: str = "ruleset"


def ascii_digits(value: Any) -> Any:
    """HS codes in the ASCII digits of declarations: full-width ("９３０１"), superscript or
    another script's digits ("٩٣٠١") are digits to Python, so a code written with them was
    accepted and never matched a declaration. Applied before validation, so that versions stored
    with such codes load and match too; anything but text passes unchanged."""
    if isinstance(value, str):
        if value.isascii():
            return value
        text = unicodedata.normalize("NFKC", value)
        return "".join(
            str(unicodedata.decimal(c)) if unicodedata.decimal(c, None) is not None else c
            for c in text
        )
    if isinstance(value, dict):
        return {ascii_digits(k): v for k, v in value.items()}
    if isinstance(value, list):
        return [ascii_digits(v) for v in value]
    return value


class RuleParams(BaseModel):
    """Parameters every rule has: its score and an optional minimum channel."""

    model_config = ConfigDict(extra="forbid")

    score: int = Field(default=20, ge=0, le=100)
    min_channel: Channel | None = None


RuleFunc = Callable[[Facts, Any, BatchContext], list[Hit]]


@dataclass(frozen=True)
class RuleDef:
    """A rule of the library: stable code, titles for analysts, parameter model, function."""

    code: str
    title: str
    description: str
    params_model: type[RuleParams]
    func: RuleFunc


RULES: dict[str, RuleDef] = {}


def _rule(code: str, title: str, params_model: type[RuleParams]):
    def register(func: RuleFunc) -> RuleFunc:
        RULES[code] = RuleDef(code, title, (func.__doc__ or "").strip(), params_model, func)
        return func

    return register


# --- formatting helpers: explanations quote the numbers an officer needs to judge the hit ---


def format_eur(amount: Decimal) -> str:
    """Money with cents and thousands separators ("1,234.50"), rounded half up."""
    return f"{amount.quantize(_CENT, ROUND_HALF_UP):,}"


def format_eur_rate(amount: Decimal) -> str:
    """A per-kg rate: whole euros from 100 up ("210"), cents below ("3.20")."""
    if abs(amount) >= _HUNDRED:
        return f"{amount.quantize(_EURO, ROUND_HALF_UP):,}"
    return format_eur(amount)


def _quote(description: str, limit: int = 60) -> str:
    text = " ".join(description.split())
    return f"'{text}'" if len(text) <= limit else f"'{text[: limit - 1]}…'"


def _chapter(hs_code: str) -> str:
    return hs_code[:2]


# --- prohibited and restricted goods ---------------------------------------------------------


class ProhibitedKeywordParams(RuleParams):
    score: int = Field(default=90, ge=0, le=100)
    min_channel: Channel | None = "red"
    # Never empty: a rule that is never reduced is switched off by its `enabled` flag, visibly,
    # not by a list that leaves it nothing to look for.
    categories: list[str] = Field(
        default_factory=lambda: sorted(lexicons.PROHIBITED_CATEGORIES), min_length=1
    )
    extra_keywords: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(lexicons.PROHIBITED_CATEGORIES))
        if unknown:
            raise ValueError(
                Message(
                    "unknown categories: %(unknown)s (known: %(known)s)",
                    unknown=Seq(unknown, ", "),
                    known=Seq(sorted(lexicons.PROHIBITED_CATEGORIES), ", "),
                )
            )
        return value

    @field_validator("extra_keywords")
    @classmethod
    def _extra_for_known_categories(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = sorted(set(value) - set(lexicons.PROHIBITED_CATEGORIES))
        if unknown:
            raise ValueError(
                Message(
                    "keywords given for unknown categories: %(unknown)s",
                    unknown=Seq(unknown, ", "),
                )
            )
        return value

    @cached_property
    def lexicon(self) -> tuple[lexicons.KeywordCategory, ...]:
        built = []
        for name in self.categories:
            base = lexicons.PROHIBITED_CATEGORIES[name]
            extra = self.extra_keywords.get(name, [])
            keywords = set(base.keywords) | {" ".join(lexicons.tokens(k)) for k in extra}
            built.append(
                lexicons.KeywordCategory(name, base.reason, frozenset(keywords), base.exclude)
            )
        return tuple(built)


@_rule("prohibited_goods_keyword", "Prohibited goods by keyword", ProhibitedKeywordParams)
def prohibited_goods_keyword(facts: Facts, params: ProhibitedKeywordParams, ctx: BatchContext):
    """Item descriptions naming weapons, explosives, drugs, counterfeits or CITES species (EN,
    FR, ES, DE), one hit per category; never reduced for AEO operators."""
    lines_by_category: dict[str, list[str]] = {}
    for item in facts.items:
        terms = lexicons.description_terms(item.description)
        for category in params.lexicon:
            found = category.find(terms)
            if found:
                lines_by_category.setdefault(category.name, []).append(
                    Message(
                        "line %(line)s %(description)s contains %(keywords)s",
                        line=item.line,
                        description=_quote(item.description),
                        keywords=", ".join(f"'{k}'" for k in found),
                    )
                )
    hits = []
    for category in params.lexicon:
        details = lines_by_category.get(category.name)
        if details:
            hits.append(
                Hit(
                    "prohibited_goods_keyword",
                    params.score,
                    Message(
                        "%(details)s: %(goods)s are prohibited or restricted",
                        details=Seq(details),
                        goods=Message(category.reason),
                    ),
                    params.min_channel,
                    {"category": category.name},
                    overridable_by_aeo=False,
                )
            )
    return hits


def _default_prohibited_hs() -> dict[str, str]:
    return {
        "9301": "military weapons",
        "9302": "revolvers and pistols",
        "9303": "firearms",
        "9304": "air guns, gas guns and truncheons",
        "9305": "parts and accessories of firearms",
        "9306": "ammunition",
        "930700": "swords, bayonets and similar arms",
        "3601": "propellent powders",
        "3602": "prepared explosives",
        "3603": "detonators and fuses",
        "3604": "fireworks",
        "050710": "ivory",
        "050790": "tortoise-shell, horns and similar (CITES risk)",
        "121130": "coca leaf",
        "121140": "poppy straw",
        "293941": "ephedrine (drug precursor)",
        "293942": "pseudoephedrine (drug precursor)",
        "293971": "cocaine and its salts",
    }


class ProhibitedHsParams(RuleParams):
    score: int = Field(default=90, ge=0, le=100)
    min_channel: Channel | None = "red"
    hs_prefixes: dict[str, str] = Field(default_factory=_default_prohibited_hs, min_length=1)

    _ascii_prefixes = field_validator("hs_prefixes", mode="before")(ascii_digits)

    @field_validator("hs_prefixes")
    @classmethod
    def _digit_prefixes(cls, value: dict[str, str]) -> dict[str, str]:
        bad = sorted(p for p in value if not (p.isdigit() and 2 <= len(p) <= 10))
        if bad:
            raise ValueError(
                Message("HS prefixes must be 2 to 10 digits: %(bad)s", bad=Seq(bad, ", "))
            )
        return value

    @cached_property
    def prefix_tuple(self) -> tuple[str, ...]:
        return tuple(sorted(self.hs_prefixes, key=len, reverse=True))


@_rule("prohibited_goods_hs", "Prohibited goods by HS code", ProhibitedHsParams)
def prohibited_goods_hs(facts: Facts, params: ProhibitedHsParams, ctx: BatchContext):
    """Items classified under HS codes of prohibited or restricted goods (arms, explosives,
    ivory, narcotic plants and precursors); never reduced for AEO operators."""
    details = []
    for item in facts.items:
        if item.hs_code.startswith(params.prefix_tuple):
            prefix = next(p for p in params.prefix_tuple if item.hs_code.startswith(p))
            details.append(
                Message(
                    "line %(line)s %(description)s is classified %(hs_code)s, under %(prefix)s "
                    "(%(goods)s)",
                    line=item.line,
                    description=_quote(item.description),
                    hs_code=item.hs_code,
                    prefix=prefix,
                    goods=Message(params.hs_prefixes[prefix]),
                )
            )
    if not details:
        return []
    return [
        Hit(
            "prohibited_goods_hs",
            params.score,
            Message("%(details)s: prohibited or restricted goods", details=Seq(details)),
            params.min_channel,
            {"lines": len(details)},
            overridable_by_aeo=False,
        )
    ]


class LithiumParams(RuleParams):
    score: int = Field(default=50, ge=0, le=100)
    min_channel: Channel | None = "yellow"
    hs_codes: list[str] = Field(default_factory=lambda: ["850650", "850760"], min_length=1)
    postal_datasets: list[str] = Field(default_factory=lambda: ["upu-cn23"])
    postal_transport_modes: list[str] = Field(default_factory=lambda: ["post"])
    extra_keywords: list[str] = Field(default_factory=list)

    _ascii_codes = field_validator("hs_codes", mode="before")(ascii_digits)

    @field_validator("hs_codes")
    @classmethod
    def _six_digit_codes(cls, value: list[str]) -> list[str]:
        # Compared with each item's HS subheading (its first six digits).
        bad = sorted(code for code in value if not (code.isdigit() and len(code) == 6))
        if bad:
            raise ValueError(Message("HS codes must be 6 digits: %(bad)s", bad=Seq(bad, ", ")))
        return value

    @cached_property
    def category(self) -> lexicons.KeywordCategory:
        base = lexicons.LITHIUM_BATTERIES
        extra = {" ".join(lexicons.tokens(k)) for k in self.extra_keywords}
        return lexicons.KeywordCategory(
            base.name, base.reason, base.keywords | frozenset(extra), base.exclude
        )


@_rule("lithium_battery_post", "Lithium batteries sent by post", LithiumParams)
def lithium_battery_post(facts: Facts, params: LithiumParams, ctx: BatchContext):
    """Lithium batteries (by keyword or HS code) in a postal consignment: the UPU Convention
    restricts them in the post (dangerous goods, UN 3480/3090); never reduced for AEO."""
    if (
        facts.transport_mode not in params.postal_transport_modes
        and facts.dataset not in params.postal_datasets
    ):
        return []
    details = []
    for item in facts.items:
        found = params.category.find(lexicons.description_terms(item.description))
        if found:
            details.append(
                Message(
                    "line %(line)s %(description)s mentions %(keywords)s",
                    line=item.line,
                    description=_quote(item.description),
                    keywords=", ".join(f"'{k}'" for k in found),
                )
            )
        elif item.hs_code[:6] in params.hs_codes:
            details.append(
                Message(
                    "line %(line)s %(description)s is classified %(hs_code)s "
                    "(lithium cells or batteries)",
                    line=item.line,
                    description=_quote(item.description),
                    hs_code=item.hs_code,
                )
            )
    if not details:
        return []
    how = facts.transport_mode if facts.transport_mode in params.postal_transport_modes else None
    channel = (
        Message("by %(mode)s", mode=how)
        if how
        else Message("on a %(dataset)s postal declaration", dataset=facts.dataset)
    )
    return [
        Hit(
            "lithium_battery_post",
            params.score,
            Message(
                "%(details)s: lithium batteries sent %(channel)s are restricted dangerous goods",
                details=Seq(details),
                channel=channel,
            ),
            params.min_channel,
            {"lines": len(details)},
            overridable_by_aeo=False,
        )
    ]


class LuxuryBrandParams(RuleParams):
    # Alone enough for a documentary check: the brand's cheapest genuine article costs many
    # times the limit, so the parcel is a counterfeit or a heavy undervaluation either way.
    score: int = Field(default=40, ge=0, le=100)
    min_channel: Channel | None = "yellow"
    max_unit_value_eur: Decimal = Field(default=Decimal("100"), gt=0)
    hs_chapters: list[str] = Field(
        default_factory=lambda: ["33", "42", "61", "62", "64", "65", "71", "85", "90", "91"]
    )
    extra_brands: list[str] = Field(default_factory=list)

    _ascii_chapters = field_validator("hs_chapters", mode="before")(ascii_digits)

    @cached_property
    def brands(self) -> frozenset[str]:
        return lexicons.LUXURY_BRANDS | {" ".join(lexicons.tokens(b)) for b in self.extra_brands}


@_rule("luxury_brand_low_value", "Luxury brand at a give-away price", LuxuryBrandParams)
def luxury_brand_low_value(facts: Facts, params: LuxuryBrandParams, ctx: BatchContext):
    """A luxury brand named in the description with a unit value below the limit: the usual
    sign of a counterfeit, or of a genuine article heavily undervalued."""
    details = []
    for item in facts.items:
        if _chapter(item.hs_code) not in params.hs_chapters:
            continue
        found = lexicons.description_terms(item.description) & params.brands
        if not found:
            continue
        quantity = item.quantity if item.quantity > 0 else Decimal(1)
        unit_value = item.value_eur / quantity
        if unit_value < params.max_unit_value_eur:
            details.append(
                Message(
                    "line %(line)s %(description)s names %(brands)s at EUR %(unit_value)s each",
                    line=item.line,
                    description=_quote(item.description),
                    brands=", ".join(f"'{b}'" for b in sorted(found)),
                    unit_value=format_eur(unit_value),
                )
            )
    if not details:
        return []
    return [
        Hit(
            "luxury_brand_low_value",
            params.score,
            Message(
                "%(details)s (below EUR %(limit)s): possible counterfeit or undervaluation",
                details=Seq(details),
                limit=format_eur(params.max_unit_value_eur),
            ),
            params.min_channel,
            {"lines": len(details)},
        )
    ]


# --- valuation and splitting ------------------------------------------------------------------


class UndervaluationParams(RuleParams):
    score: int = Field(default=40, ge=0, le=100)
    min_channel: Channel | None = "yellow"
    ratio: Decimal = Field(default=Decimal("0.2"), gt=0, lt=1)
    min_mass_kg: Decimal = Field(default=Decimal("0.01"), gt=0)
    # A learned median is trusted from this many accepted declarations on; below it (a new
    # installation, a new HS code) the reference table answers instead.
    min_samples: int = Field(default=20, ge=1, le=1_000_000)
    use_reference: bool = True


def _trusted_median(
    hs_code: str, ctx: BatchContext, min_samples: int
) -> tuple[str, Decimal, int | None] | None:
    for length in (6, 4, 2):
        code = hs_code[:length]
        median = ctx.value_benchmarks.get(code)
        if median is None or median <= 0:
            continue
        samples = ctx.value_benchmark_samples.get(code)
        if samples is None or samples >= min_samples:
            return code, median, samples
    return None


def _item_mass(item: ItemFacts, facts: Facts) -> Decimal | None:
    if item.net_mass_kg is not None:
        return item.net_mass_kg
    if len(facts.items) == 1:
        return facts.total_gross_mass_kg
    return None


def _share(value: Decimal, reference: Decimal) -> Decimal:
    return value / reference * _HUNDRED


def _undervalued_item(
    item: ItemFacts, facts: Facts, params: UndervaluationParams, ctx: BatchContext
) -> tuple[Message, Decimal] | None:
    """(explanation, share of the usual value in %) when the item is far below it, else None.

    Goods sold by the unit are compared per unit with the reference (a named model's list price,
    else the usual unit value of the code); then the value per kg is compared with the learned
    median where it is trusted, else with the reference value per kg."""
    line = {"line": item.line, "description": _quote(item.description)}
    if params.use_reference and len(ctx.reference):
        found = ctx.reference.per_unit(item.hs_code, item.description)
        if found is not None:
            reference, keyword = found
            quantity = item.quantity if item.quantity > 0 else Decimal(1)
            unit_value = item.value_eur / quantity
            if unit_value < reference.value_eur * params.ratio:
                what = f"'{keyword}'" if keyword else f"HS {reference.hs_code}"
                share = _share(unit_value, reference.value_eur)
                return (
                    Message(
                        "line %(line)s %(description)s: declared EUR %(value)s each; reference "
                        "value for %(what)s is EUR %(reference)s each (%(source)s), "
                        "%(share)s%% of it",
                        **line,
                        value=format_eur(unit_value),
                        what=what,
                        reference=format_eur_rate(reference.value_eur),
                        source=reference.cited,
                        share=share.quantize(_EURO, ROUND_HALF_UP),
                    ),
                    share,
                )
    mass = _item_mass(item, facts)
    if mass is None or mass < params.min_mass_kg:
        return None
    per_kg = item.value_eur / mass
    learned = _trusted_median(item.hs_code, ctx, params.min_samples)
    if learned is not None:
        code, median, samples = learned
        if per_kg >= median * params.ratio:
            return None
        share = _share(per_kg, median)
        return (
            Message(
                "line %(line)s %(description)s: declared EUR %(per_kg)s/kg; learned median of "
                "%(samples)s accepted declarations for %(code)s is EUR %(median)s/kg "
                "(%(share)s%% of it)",
                **line,
                per_kg=format_eur_rate(per_kg),
                samples=samples,
                code=code,
                median=format_eur_rate(median),
                share=share.quantize(_EURO, ROUND_HALF_UP),
            )
            if samples is not None
            else Message(
                "line %(line)s %(description)s: declared EUR %(per_kg)s/kg; learned median for "
                "%(code)s is EUR %(median)s/kg (%(share)s%% of it)",
                **line,
                per_kg=format_eur_rate(per_kg),
                code=code,
                median=format_eur_rate(median),
                share=share.quantize(_EURO, ROUND_HALF_UP),
            ),
            share,
        )
    if not params.use_reference:
        return None
    reference = ctx.reference.per_kg(item.hs_code)
    if reference is None or per_kg >= reference.value_eur * params.ratio:
        return None
    share = _share(per_kg, reference.value_eur)
    return (
        Message(
            "line %(line)s %(description)s: declared EUR %(per_kg)s/kg; reference value for "
            "%(code)s is EUR %(reference)s/kg (%(source)s; no trusted learned median), "
            "%(share)s%% of it",
            **line,
            per_kg=format_eur_rate(per_kg),
            code=reference.hs_code,
            reference=format_eur_rate(reference.value_eur),
            source=reference.cited,
            share=share.quantize(_EURO, ROUND_HALF_UP),
        ),
        share,
    )


@_rule(
    "undervaluation",
    "Undervaluation against learned medians or reference values",
    UndervaluationParams,
)
def undervaluation(facts: Facts, params: UndervaluationParams, ctx: BatchContext):
    """Declared value far below what the goods usually cost: per unit against the reference table
    for goods sold by the unit (named models at their list price), per kg against the median
    learned from accepted declarations of the same HS6 code (then HS4, HS2) where it rests on
    enough samples, else against the reference value per kg; the explanation says which."""
    if not ctx.value_benchmarks and not len(ctx.reference):
        return []
    details = []
    worst: Decimal | None = None
    for item in facts.items:
        found = _undervalued_item(item, facts, params, ctx)
        if found is None:
            continue
        detail, share = found
        worst = share if worst is None else min(worst, share)
        details.append(detail)
    if not details:
        return []
    return [
        Hit(
            "undervaluation",
            params.score,
            Message(
                "%(details)s; flagged below %(ratio)s%% of the usual value",
                details=Seq(details),
                ratio=f"{(params.ratio * _HUNDRED).normalize():f}",
            ),
            params.min_channel,
            {"lowest_share_pct": str(worst.quantize(_CENT))} if worst is not None else {},
        )
    ]


class SplittingParams(RuleParams):
    score: int = Field(default=45, ge=0, le=100)
    min_channel: Channel | None = "yellow"
    window_hours: int = Field(default=72, ge=1, le=24 * 31)
    ceiling_eur: Decimal = Field(default=Decimal("150"), gt=0)
    min_consignments: int = Field(default=2, ge=2, le=100)


@_rule("splitting", "Splitting one purchase into several consignments", SplittingParams)
def splitting(facts: Facts, params: SplittingParams, ctx: BatchContext):
    """Several consignments to the same consignee (normalised name and address) within the
    window, each at or below the ceiling, that together exceed it: the pattern of a purchase
    split to stay under the relief threshold."""
    if not facts.consignee_recent or facts.total_value_eur > params.ceiling_eur:
        return []
    key = facts.consignee_key or consignee_key(facts.consignee)
    window = timedelta(hours=params.window_hours)
    related = [
        prior
        for prior in facts.consignee_recent
        if prior.consignee_key == key
        and prior.declaration_id != facts.declaration_id
        and prior.value_eur <= params.ceiling_eur
        and abs(facts.submitted_at - prior.submitted_at) <= window
    ]
    count = len(related) + 1
    if count < params.min_consignments:
        return []
    total = facts.total_value_eur + sum((p.value_eur for p in related), Decimal(0))
    if total <= params.ceiling_eur:
        return []
    related.sort(key=lambda p: p.submitted_at)
    times = [p.submitted_at for p in related] + [facts.submitted_at]
    span_hours = (max(times) - min(times)).total_seconds() / 3600
    values = ", ".join(f"EUR {format_eur(p.value_eur)}" for p in related)
    return [
        Hit(
            "splitting",
            params.score,
            Message(
                "%(count)s consignments to the same consignee within %(span)s hours (window "
                "%(window)s h): this one EUR %(value)s and %(values)s; together EUR %(total)s, "
                "above the EUR %(ceiling)s ceiling that each stays under",
                count=count,
                span=f"{span_hours:.0f}",
                window=params.window_hours,
                value=format_eur(facts.total_value_eur),
                values=values,
                total=format_eur(total),
                ceiling=format_eur(params.ceiling_eur),
            ),
            params.min_channel,
            {"declaration_ids": [p.declaration_id for p in related], "total_eur": str(total)},
        )
    ]


# --- parties ----------------------------------------------------------------------------------

_ROLES = ("seller", "sender", "consignee")


class WatchlistParams(RuleParams):
    score: int = Field(default=80, ge=0, le=100)
    min_channel: Channel | None = "red"
    threshold: float = Field(default=88.0, ge=50, le=100)
    # The rule page refuses an empty list (risk.forms.NEVER_EMPTY); versions stored with one
    # still load.
    roles: list[Literal["seller", "sender", "consignee"]] = Field(
        default_factory=lambda: list(_ROLES)
    )


@_rule(
    "watchlist_screening", "Watchlist screening of seller, sender and consignee", WatchlistParams
)
def watchlist_screening(facts: Facts, params: WatchlistParams, ctx: BatchContext):
    """Seller, sender and consignee screened against the watchlist (fuzzy, tolerant of
    spelling, transliteration and word order; exact on identifiers; a party at an entry's
    address matches it whatever the name); matches cleared as false positives for that name at
    that address (`screening_key`; older clearances: the name anywhere) are skipped (an
    identifier listed for the entry still fires); never reduced for AEO operators."""
    if not len(ctx.watchlist):
        return []
    hits = []
    seen: set[tuple[str, str]] = set()
    for role in params.roles:
        party: PartyFacts | None = getattr(facts, role)
        if party is None:
            continue
        matches = ctx.watchlist.match(
            party.name,
            country=party.country or None,
            identifiers=[value for _scheme, value in party.identifiers],
            threshold=params.threshold,
            street=party.street,
            postcode=party.postcode,
        )
        if not matches:
            continue
        key = screening_key(party)
        # Clearances made before addresses were kept are for the name wherever it is.
        name_only = party_key(party)
        for found in matches:
            pair = (found.entry_id, key)
            cleared = (
                pair in ctx.false_positives or (found.entry_id, name_only) in ctx.false_positives
            )
            # A cleared false positive is a name at an address that is not the listed party's;
            # the listed party's own identifier still matches under that name.
            if pair in seen or (cleared and not found.by_identifier):
                continue
            seen.add(pair)
            hits.append(
                Hit(
                    "watchlist_screening",
                    params.score,
                    Message("%(role)s %(match)s", role=Message(role), match=found.explanation),
                    params.min_channel,
                    {
                        "entry_id": found.entry_id,
                        "party_key": key,
                        "role": role,
                        "match_score": found.score,
                        **({"by_address": True} if found.by_address else {}),
                    },  # fmt: skip
                    overridable_by_aeo=False,
                )
            )
    return hits


class TaxSchemeParams(RuleParams):
    score_over_ceiling: int = Field(default=40, ge=0, le=100)
    score_unknown_number: int = Field(default=50, ge=0, le=100)
    score_other_seller: int = Field(default=50, ge=0, le=100)
    min_channel: Channel | None = "yellow"
    ioss_ceiling_eur: Decimal = Field(default=Decimal("150"), gt=0)


@_rule("tax_scheme_misuse", "Misuse of a vendor tax-scheme number", TaxSchemeParams)
def tax_scheme_misuse(facts: Facts, params: TaxSchemeParams, ctx: BatchContext):
    """IOSS used above its ceiling (Art. 143(1)(ca) VAT Directive limits IOSS to consignments
    of intrinsic value up to EUR 150), a number missing from the register, or a number seen
    with a seller unrelated to the one it belongs to."""
    number = facts.tax_scheme_number
    if not number:
        return []
    scheme = facts.tax_scheme or "tax-scheme"
    hits = []
    # Outside the euro area the ceiling is converted at the October rate, the value at the
    # month's: compared in the month's euro, the ceiling is worth its factor.
    ceiling = params.ioss_ceiling_eur * facts.ioss_ceiling_factor
    if scheme == "IOSS" and facts.total_value_eur > ceiling:
        hits.append(
            Hit(
                "tax_scheme_misuse",
                params.score_over_ceiling,
                Message(
                    "IOSS number %(number)s used for a consignment of EUR %(value)s, above the "
                    "IOSS ceiling of EUR %(ceiling)s",
                    number=number,
                    value=format_eur(facts.total_value_eur),
                    ceiling=format_eur(params.ioss_ceiling_eur),
                )
                if facts.ioss_ceiling_factor == 1
                else Message(
                    "IOSS number %(number)s used for a consignment of EUR %(value)s, above the "
                    "IOSS ceiling of EUR %(ceiling)s (EUR %(worth)s at this month's customs "
                    "rate: the ceiling is converted at the rate of the first working day of "
                    "October)",
                    number=number,
                    value=format_eur(facts.total_value_eur),
                    ceiling=format_eur(params.ioss_ceiling_eur),
                    worth=format_eur(ceiling),
                ),
                params.min_channel,
                {"reason": "over_ceiling"},
            )
        )
    if ctx.valid_tax_numbers is not None and number not in ctx.valid_tax_numbers:
        hits.append(
            Hit(
                "tax_scheme_misuse",
                params.score_unknown_number,
                Message(
                    "%(scheme)s number %(number)s is not in the register of valid numbers",
                    scheme=scheme,
                    number=number,
                ),
                params.min_channel,
                {"reason": "unknown_number"},
            )
        )
    seller = facts.seller or facts.sender
    known_sellers = ctx.known_tax_numbers.get(number)
    if seller is not None and known_sellers:
        key = party_key(seller)
        if key not in known_sellers:
            hits.append(
                Hit(
                    "tax_scheme_misuse",
                    params.score_other_seller,
                    Message(
                        "%(scheme)s number %(number)s belongs to %(count)s other seller(s), "
                        "not to '%(seller)s' (%(country)s)",
                        scheme=scheme,
                        number=number,
                        count=len(known_sellers),
                        seller=seller.name,
                        country=seller.country,
                    ),
                    params.min_channel,
                    {"reason": "other_seller", "known_sellers": sorted(known_sellers)},
                )
            )
    return hits


class GiftByBusinessParams(RuleParams):
    score: int = Field(default=40, ge=0, le=100)
    min_channel: Channel | None = "yellow"
    business_identifier_schemes: list[str] = Field(default_factory=lambda: ["EORI", "VAT"])
    check_name_markers: bool = True


def _business_evidence(party: PartyFacts, params: GiftByBusinessParams) -> str | None:
    if party.is_business:
        return Message("is registered as a business")
    for scheme, value in party.identifiers:
        if scheme in params.business_identifier_schemes:
            return Message("has %(scheme)s number %(value)s", scheme=scheme, value=value)
    if params.check_name_markers:
        words = lexicons.name_tokens(party.name)
        names = set(words) | {" ".join(words[i : i + 2]) for i in range(len(words) - 1)}
        markers = names & lexicons.COMMERCIAL_NAME_MARKERS
        if markers:
            return Message(
                "has a commercial name (%(markers)s)",
                markers=", ".join(f"'{m}'" for m in sorted(markers)),
            )
    return None


@_rule("gift_by_business", "Gift declared by a business", GiftByBusinessParams)
def gift_by_business(facts: Facts, params: GiftByBusinessParams, ctx: BatchContext):
    """Category 'gift' although the seller or sender is a business: gift relief is for
    consignments between private persons (Directive 2006/79/EC), so this is a sale in disguise."""
    if facts.category != "gift":
        return []
    for role in ("seller", "sender"):
        party: PartyFacts | None = getattr(facts, role)
        if party is None:
            continue
        evidence = _business_evidence(party, params)
        if evidence:
            return [
                Hit(
                    "gift_by_business",
                    params.score,
                    Message(
                        "declared as a gift, but the %(role)s '%(name)s' %(evidence)s; gifts "
                        "must be sent by private persons",
                        role=Message(role),
                        name=party.name,
                        evidence=evidence,
                    ),
                    params.min_channel,
                    {"role": role},
                )
            ]
    return []


class UnknownSellerParams(RuleParams):
    # Weak on its own (every seller is new on a new installation): it only adds to other hits.
    score: int = Field(default=10, ge=0, le=100)
    min_channel: Channel | None = "green"
    min_prior_consignments: int = Field(default=3, ge=1, le=10_000)


@_rule("unknown_seller", "Unknown seller (first consignments)", UnknownSellerParams)
def unknown_seller(facts: Facts, params: UnknownSellerParams, ctx: BatchContext):
    """A seller with fewer earlier consignments than the minimum: no history to trust yet."""
    seller = facts.seller or facts.sender
    if seller is None or facts.seller_prior_count >= params.min_prior_consignments:
        return []
    return [
        Hit(
            "unknown_seller",
            params.score,
            Message(
                "seller '%(seller)s' (%(country)s) has %(count)s earlier consignment(s), fewer "
                "than %(minimum)s",
                seller=seller.name,
                country=seller.country,
                count=facts.seller_prior_count,
                minimum=params.min_prior_consignments,
            ),
            params.min_channel,
        )
    ]


# --- descriptions and data quality ------------------------------------------------------------


class VagueDescriptionParams(RuleParams):
    score: int = Field(default=15, ge=0, le=100)
    min_channel: Channel | None = "green"
    extra_terms: list[str] = Field(default_factory=list)

    @cached_property
    def vague_terms(self) -> frozenset[str]:
        extra = {w for term in self.extra_terms for w in lexicons.tokens(term)}
        return lexicons.VAGUE_TERMS | extra


@_rule("vague_description", "Vague goods description", VagueDescriptionParams)
def vague_description(facts: Facts, params: VagueDescriptionParams, ctx: BatchContext):
    """Descriptions made only of vague words ("gift", "parts", "clothes", "goods",
    "accessories", "sample"...), which cannot be classified or checked."""
    vague_lines = []
    for item in facts.items:
        words = [
            w
            for w in lexicons.tokens(item.description)
            if w not in lexicons.STOPWORDS and not w.isdigit()
        ]
        if all(w in params.vague_terms for w in words):
            vague_lines.append(
                Message(
                    "line %(line)s %(description)s",
                    line=item.line,
                    description=_quote(item.description),
                )
            )
    if not vague_lines:
        return []
    return [
        Hit(
            "vague_description",
            params.score,
            Message(
                "%(details)s: description too vague to identify the goods",
                details=Seq(vague_lines),
            ),
            params.min_channel,
            {"lines": len(vague_lines)},
        )
    ]


class LowDataQualityParams(RuleParams):
    score: int = Field(default=15, ge=0, le=100)
    min_channel: Channel | None = "green"
    min_dq_score: int = Field(default=50, ge=0, le=100)


@_rule("low_data_quality", "Low data-quality score", LowDataQualityParams)
def low_data_quality(facts: Facts, params: LowDataQualityParams, ctx: BatchContext):
    """Data-quality score (WCO Standard 3: timeliness, accuracy, completeness, consistency)
    below the minimum."""
    if facts.dq_score is None or facts.dq_score >= params.min_dq_score:
        return []
    return [
        Hit(
            "low_data_quality",
            params.score,
            Message(
                "data-quality score %(score)s/100 is below the minimum of %(minimum)s",
                score=facts.dq_score,
                minimum=params.min_dq_score,
            ),
            params.min_channel,
        )
    ]


class HsMismatchParams(RuleParams):
    # A description naming goods of another chapter is a misclassification to check on the
    # invoice: a documentary check (yellow), whatever else the consignment scores.
    score: int = Field(default=20, ge=0, le=100)
    min_channel: Channel | None = "yellow"
    extra_hints: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("extra_hints")
    @classmethod
    def _two_digit_chapters(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        bad = sorted(
            k
            for k, chapters in value.items()
            for c in chapters
            if not (c.isdigit() and len(c) == 2)
        )
        if bad:
            raise ValueError(
                Message("chapters must be two digits, for the keywords %(bad)s", bad=Seq(bad, ", "))
            )
        return value

    @cached_property
    def hints(self) -> dict[str, frozenset[str]]:
        merged = dict(lexicons.HS_CHAPTER_HINTS)
        for keyword, chapters in self.extra_hints.items():
            phrase = " ".join(lexicons.tokens(keyword))
            merged[phrase] = merged.get(phrase, frozenset()) | frozenset(chapters)
        return merged

    @cached_property
    def hint_keys(self) -> frozenset[str]:
        return frozenset(self.hints)


@_rule("hs_description_mismatch", "HS code inconsistent with description", HsMismatchParams)
def hs_description_mismatch(facts: Facts, params: HsMismatchParams, ctx: BatchContext):
    """The description names goods ("phone", "t-shirt", "shoes", "watch"...) whose HS chapter
    differs from the declared code; every keyword found widens the accepted chapters, so a
    "phone case" may be plastics (39) and a "toy phone" a toy (95)."""
    details = []
    for item in facts.items:
        chapter = _chapter(item.hs_code)
        if len(chapter) < 2:
            continue
        found = lexicons.description_terms(item.description) & params.hint_keys
        if not found:
            continue
        accepted = frozenset().union(*(params.hints[k] for k in found))
        if chapter not in accepted:
            details.append(
                Message(
                    "line %(line)s %(description)s is declared under HS %(hs_code)s (chapter "
                    "%(chapter)s) but %(keywords)s points to chapter %(accepted)s",
                    line=item.line,
                    description=_quote(item.description),
                    hs_code=item.hs_code,
                    chapter=chapter,
                    keywords=", ".join(f"'{k}'" for k in sorted(found)),
                    accepted=Seq(sorted(accepted), " or "),
                )
            )
    if not details:
        return []
    return [
        Hit(
            "hs_description_mismatch",
            params.score,
            Message("%(details)s", details=Seq(details)),
            params.min_channel,
            {"lines": len(details)},
        )
    ]


class OriginRule(BaseModel):
    """An HS prefix whose goods are high-risk from the listed origin countries, and why."""

    model_config = ConfigDict(extra="forbid")

    hs_prefix: str = Field(pattern=r"^[0-9]{2,10}$")
    countries: list[str] = Field(min_length=1)
    reason: str = Field(min_length=3)

    _ascii_prefix = field_validator("hs_prefix", mode="before")(ascii_digits)

    @field_validator("countries")
    @classmethod
    def _alpha2(cls, value: list[str]) -> list[str]:
        bad = [c for c in value if not (len(c) == 2 and c.isalpha() and c.isupper())]
        if bad:
            raise ValueError(
                Message(
                    "countries must be ISO 3166-1 alpha-2 codes (two capital letters): %(bad)s",
                    bad=Seq(bad, ", "),
                )
            )
        return value


def _default_origin_rules() -> list[OriginRule]:
    return [
        OriginRule(
            hs_prefix="871160",
            countries=["CN"],
            reason="EU anti-dumping and countervailing duties on electric bicycles",
        ),
        OriginRule(
            hs_prefix="8712",
            countries=["CN"],
            reason="EU anti-dumping duty on bicycles",
        ),
    ]


class HighRiskOriginParams(RuleParams):
    # Each listed (HS prefix, origin) pair carries a trade-defence duty or an alert whose
    # origin must be proven by documents: a documentary check (yellow).
    score: int = Field(default=25, ge=0, le=100)
    min_channel: Channel | None = "yellow"
    rules: list[OriginRule] = Field(default_factory=_default_origin_rules)


@_rule("high_risk_origin", "High-risk origin for given HS codes", HighRiskOriginParams)
def high_risk_origin(facts: Facts, params: HighRiskOriginParams, ctx: BatchContext):
    """Goods of an HS prefix from an origin known for a specific risk (trade-defence duties,
    sanitary alerts); the item origin is used, else the country of dispatch."""
    details = []
    for item in facts.items:
        origin = item.origin_country or facts.country_of_dispatch
        for rule in params.rules:
            if item.hs_code.startswith(rule.hs_prefix) and origin in rule.countries:
                details.append(
                    Message(
                        "line %(line)s %(description)s (HS %(hs_code)s) originates in "
                        "%(origin)s: %(reason)s",
                        line=item.line,
                        description=_quote(item.description),
                        hs_code=item.hs_code,
                        origin=origin,
                        reason=Message(rule.reason),
                    )
                )
                break
    if not details:
        return []
    return [
        Hit(
            "high_risk_origin",
            params.score,
            Message("%(details)s", details=Seq(details)),
            params.min_channel,
            {"lines": len(details)},
        )
    ]


# --- rule sets ----------------------------------------------------------------------------------


def validate_params(code: str, params: dict) -> dict:
    """Validate parameters for a rule; return them complete with defaults, JSON-ready.

    Raises ValueError naming the rule and each offending field.
    """
    rule = RULES.get(code)
    if rule is None:
        raise ValueError(f"unknown rule code '{code}'; known: {sorted(RULES)}")
    return _validated_model(rule, params).model_dump(mode="json")


def _validated_model(rule: RuleDef, params: dict | None) -> RuleParams:
    try:
        return rule.params_model.model_validate(params or {})
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in problem['loc']) or 'params'}: {problem['msg']}"
            for problem in error.errors()
        )
        raise ValueError(f"invalid parameters for rule '{rule.code}': {problems}") from None


@dataclass(frozen=True)
class CompiledRule:
    """A rule with its parameters validated once, ready to run over a batch."""

    code: str
    func: RuleFunc
    params: RuleParams


def compile_ruleset(ruleset: list[dict]) -> tuple[CompiledRule, ...]:
    """Validate a rule set once: unknown codes, duplicates and bad parameters raise ValueError;
    disabled rules are left out."""
    compiled = []
    seen: set[str] = set()
    for position, entry in enumerate(ruleset):
        code = entry.get("code")
        if code not in RULES:
            raise ValueError(f"rule set entry {position}: unknown rule code {code!r}")
        if code in seen:
            raise ValueError(f"rule set entry {position}: rule '{code}' appears twice")
        seen.add(code)
        if not entry.get("enabled", True):
            continue
        rule = RULES[code]
        compiled.append(CompiledRule(code, rule.func, _validated_model(rule, entry.get("params"))))
    return tuple(compiled)


def run_rules(facts: Facts, compiled: tuple[CompiledRule, ...], ctx: BatchContext) -> list[Hit]:
    """Every hit of every compiled rule for one declaration, in rule-set order."""
    hits: list[Hit] = []
    for rule in compiled:
        hits.extend(rule.func(facts, rule.params, ctx))
    return hits


def default_ruleset() -> list[dict]:
    """Every rule enabled with its default parameters (what ``default_ruleset.json`` holds)."""
    return [
        {"code": code, "enabled": True, "params": rule.params_model().model_dump(mode="json")}
        for code, rule in RULES.items()
    ]


def _load_default_ruleset() -> list[dict]:
    path = lexicons.DATA_DIR / "default_ruleset.json"
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)["rules"]


DEFAULT_RULESET: list[dict] = _load_default_ruleset()
