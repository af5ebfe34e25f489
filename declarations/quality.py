"""Data-quality engine: layer 4 of declaration intake, never a rejection.

WCO Framework of Standards on Cross-Border E-Commerce (2022), Standard 3 asks administrations to
measure the quality of advance electronic data on four dimensions: timeliness, accuracy,
completeness and consistency, and to cross-check several sources. ``assess_quality`` turns one
validated declaration (the canonical dict of docs/dataset.md) and the facts around it (when it was
received, actual arrival, exchange rate, value benchmarks learned from accepted history, a carrier
manifest) into a 0-100 score and findings that officers read and KPIs count.

Pure: no Django, no database, no clock. Every number a check uses comes in through
``QualityContext`` so the engine is reproducible and fast.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from declarations.lexicon import (
    comparable_terms,
    hs_chapters_for_description,
    is_vague,
)
from declarations.messages import Message, Seq

__all__ = [
    "DEFAULT_PENALTIES",
    "DIMENSIONS",
    "Finding",
    "ManifestFacts",
    "QualityContext",
    "QualityReport",
    "ValueBenchmark",
    "assess_quality",
    "benchmark_for",
    "hs_chapters_for_description",
    "is_vague",
    "operator_findings",
]

DIMENSIONS: tuple[str, ...] = ("timeliness", "accuracy", "completeness", "consistency")

# Points removed from 100 per finding. Data, so an administration can retune them through
# ``QualityContext.penalties`` without a code change. Arrival after the goods defeats the purpose
# of advance data (Standard 1), hence the heaviest weight.
DEFAULT_PENALTIES: Mapping[str, int] = MappingProxyType(
    {
        "submitted_after_arrival": 40,
        "late_submission": 15,
        "description_vague": 20,
        "value_implausible_zero": 25,
        "value_implausible_one": 20,
        "value_per_kg_low": 15,
        "description_hs_mismatch": 15,
        "gift_commercial_seller": 15,
        "missing_useful_element": 2,
        "address_incomplete": 5,
        "manifest_packages_mismatch": 10,
        "manifest_mass_mismatch": 10,
        "manifest_value_mismatch": 15,
        "manifest_description_mismatch": 10,
    }
)

_DIMENSION_OF: Mapping[str, str] = MappingProxyType(
    {
        "submitted_after_arrival": "timeliness",
        "late_submission": "timeliness",
        "description_vague": "accuracy",
        "value_implausible_zero": "accuracy",
        "value_implausible_one": "accuracy",
        "value_per_kg_low": "accuracy",
        "description_hs_mismatch": "consistency",
        "gift_commercial_seller": "consistency",
        "missing_useful_element": "completeness",
        "address_incomplete": "completeness",
        "manifest_packages_mismatch": "consistency",
        "manifest_mass_mismatch": "consistency",
        "manifest_value_mismatch": "consistency",
        "manifest_description_mismatch": "consistency",
    }
)

# Findings measured against customs' own confidential figures (medians learned from every
# operator's declarations): officers read them; the operator API neither lists them nor counts
# their points in the score it shows. Told "far below what is usual", an operator amending one
# value up and down would trace the median, and the undervaluation rule that shares it, to the
# cent (docs/risk.md, "What operators see").
CONFIDENTIAL_FINDINGS: frozenset[str] = frozenset({"value_per_kg_low"})

# What an operator is told about a finding whose detail quotes a source the operator may not read:
# a carrier manifest line is the carrier's statement, which may be about another operator's
# parcel under the same number; the declarant learns which element disagrees, never what the
# manifest says. English here; the operator API translates them (Accept-Language).
OPERATOR_DETAILS: Mapping[str, str] = MappingProxyType(
    {
        "manifest_packages_mismatch": "the number of packages differs from the carrier manifest",
        "manifest_mass_mismatch": "the gross mass differs from the carrier manifest",
        "manifest_value_mismatch": "the value differs from the carrier manifest",
        "manifest_description_mismatch": "the description differs from the carrier manifest",
    }
)


def operator_findings(score: int | None, findings: Iterable[Any]) -> tuple[int | None, list]:
    """The score and findings an operator is shown: without the confidential findings, and the
    score without their points (the points each finding charged, as stored)."""
    findings = list(findings)
    shown = [f for f in findings if f.code not in CONFIDENTIAL_FINDINGS]
    if score is None or len(shown) == len(findings):
        return score, shown
    return _clamp_score(100 - sum(int(f.penalty) for f in shown)), shown


COMMERCIAL_CATEGORIES = frozenset({"sale_of_goods", "commercial_sample", "returned_goods"})

# Countries without a postal-code system (UPU addressing data): a missing postcode there is
# normal, not an incomplete address.
_COUNTRIES_WITHOUT_POSTCODE_TEXT = (
    "AE AG AO AW BF BI BJ BO BS BW BZ CD CF CG CI CK CM DJ DM ER FJ GA GD GH GM GQ GY HK KI KM KN "
    "KP ML MO MR MW NR NU QA RW SB SC SL SR ST SY TD TF TG TK TL TO TV UG VU YE ZW"
)
COUNTRIES_WITHOUT_POSTCODE = frozenset(_COUNTRIES_WITHOUT_POSTCODE_TEXT.split())

# Legal-form and trade words that show a party is a business, not a private sender of a gift.
_BUSINESS_NAME = re.compile(
    r"\b(?:ltd|limited|llc|inc|corp|corporation|company|gmbh|sarl|srl|plc|pty|pte|trading|"
    r"store|shop|boutique|e-?commerce|enterprises?|industr(?:y|ial|ies)|technolog(?:y|ies)|"
    r"import|export|wholesale|logistics|manufactur\w*)\b",
    re.IGNORECASE,
)
# Two-letter legal forms only in capitals (or "Co."): in lower case they are parts of names.
_BUSINESS_SHORT_FORM = re.compile(
    r"\b(?:AB|AG|AS|BV|KG|KK|NV|OY|SA|SAS|SL|SPA|UG)\b|\bCo\.|(?i:\bS\.\s?(?:A|L|r\.l|p\.A)\.)"
)
_SELLER_ID_SCHEMES = frozenset({"platform_seller_id", "VAT", "EORI"})

_MASS_TOLERANCE = Decimal("0.10")  # carrier scales and packaging: 10% is normal noise
_VALUE_TOLERANCE = Decimal("0.05")  # rounding and conversion on the manifest: 5%


@dataclass(frozen=True)
class Finding:
    """One data-quality observation on one element of a declaration."""

    dimension: str  # "timeliness" | "accuracy" | "completeness" | "consistency"
    code: str  # stable identifier, e.g. "description_vague"
    pointer: str  # JSON Pointer of the element concerned ("" for the whole declaration)
    detail: str  # human sentence with the numbers
    penalty: int  # points removed from 100


@dataclass(frozen=True)
class ValueBenchmark:
    """Usual value per kilogram for an HS code, learned from accepted declarations."""

    median_eur_per_kg: Decimal
    sample_size: int
    level: str  # "hs6" | "hs4" | "hs2"


@dataclass(frozen=True)
class ManifestFacts:
    """What a carrier manifest (a second source) says about the same transport document."""

    packages: int | None = None
    gross_mass_kg: Decimal | None = None
    declared_value: Decimal | None = None
    currency: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class QualityContext:
    """Everything around a declaration that the checks need, passed in so the engine is pure."""

    received_at: datetime
    arrived_at: datetime | None = None
    eur_per_unit: Decimal = Decimal(1)
    benchmarks: Mapping[str, ValueBenchmark] = field(default_factory=dict)
    manifest: ManifestFacts | None = None
    min_lead_time: timedelta = timedelta(hours=2)
    # Added knobs, all data: samples a benchmark needs to be trusted, how far below the median a
    # value per kg must fall to be implausible, and per-code penalty overrides.
    min_benchmark_samples: int = 20
    value_per_kg_low_ratio: Decimal = Decimal("0.2")
    penalties: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class QualityReport:
    """Score 0-100 (100 minus the penalties, clamped), findings and a score per dimension."""

    score: int
    findings: tuple[Finding, ...]
    dimension_scores: dict[str, int]


_LEVEL_DIGITS = (("hs6", 6), ("hs4", 4), ("hs2", 2))


def benchmark_for(
    hs_code: str, benchmarks: Mapping[str, ValueBenchmark], min_samples: int = 20
) -> ValueBenchmark | None:
    """The most specific trustworthy value benchmark for an HS code.

    Looks up the 6-digit subheading, then the 4-digit heading, then the 2-digit chapter, skipping
    any level learned from fewer than ``min_samples`` accepted declarations. None if no level
    qualifies.
    """
    digits = "".join(ch for ch in str(hs_code or "") if ch.isdigit())
    for _level, length in _LEVEL_DIGITS:
        if len(digits) < length:
            continue
        benchmark = benchmarks.get(digits[:length])
        if benchmark is not None and benchmark.sample_size >= min_samples:
            return benchmark
    return None


def assess_quality(decl: Mapping, ctx: QualityContext) -> QualityReport:
    """Score the data quality of one validated declaration (0-100) and list the findings.

    Never rejects and never raises on a validated declaration; missing or malformed optional
    elements simply skip the checks that need them. The score is 100 minus the sum of the
    finding penalties, clamped to 0..100; each dimension is scored the same way on its own
    findings.
    """
    audit = _Audit(ctx)
    _check_timeliness(decl, ctx, audit)
    _check_completeness(decl, audit)
    _check_gift_from_business(decl, audit)
    _check_items(decl, ctx, audit)
    if ctx.manifest is not None:
        _check_manifest(decl, ctx.manifest, audit)
    return audit.report()


# --- Accumulation -------------------------------------------------------------------------------


class _Audit:
    __slots__ = ("penalties", "findings", "charged_once")

    def __init__(self, ctx: QualityContext) -> None:
        self.penalties = ctx.penalties
        self.findings: list[Finding] = []
        self.charged_once: set[str] = set()

    def add(
        self, code: str, pointer: str, detail: Message, *, charge_key: str | None = None
    ) -> None:
        penalty = self.penalties.get(code, DEFAULT_PENALTIES[code])
        # A recurring gap (the same element missing on every item) is one habit of the
        # submitter's system: every item is pointed out, but the score is charged once.
        if charge_key is not None:
            if charge_key in self.charged_once:
                penalty = 0
            self.charged_once.add(charge_key)
        self.findings.append(
            Finding(
                dimension=_DIMENSION_OF[code],
                code=code,
                pointer=pointer,
                detail=detail,
                penalty=max(0, int(penalty)),
            )
        )

    def report(self) -> QualityReport:
        lost = dict.fromkeys(DIMENSIONS, 0)
        for finding in self.findings:
            lost[finding.dimension] += finding.penalty
        total = sum(lost.values())
        return QualityReport(
            score=_clamp_score(100 - total),
            findings=tuple(self.findings),
            dimension_scores={dim: _clamp_score(100 - lost[dim]) for dim in DIMENSIONS},
        )


def _clamp_score(value: int) -> int:
    return max(0, min(100, value))


# --- Timeliness ---------------------------------------------------------------------------------


def _check_timeliness(decl: Mapping, ctx: QualityContext, audit: _Audit) -> None:
    """Standard 1: advance data must reach customs before the goods, with time to assess risk."""
    received = _aware(ctx.received_at)
    if received is None:
        return
    arrived = _aware(ctx.arrived_at)
    if arrived is not None:
        if received > arrived:
            audit.add(
                "submitted_after_arrival",
                "",
                Message(
                    "received %(received)s, %(late)s after the goods arrived (%(arrived)s)",
                    received=_fmt_time(received),
                    late=_fmt_duration(received - arrived),
                    arrived=_fmt_time(arrived),
                ),
            )
            return
        reference, actual, pointer = arrived, True, ""
    else:
        expected = _parse_datetime(decl.get("expected_arrival"))
        if expected is None:
            return
        reference, actual, pointer = expected, False, "/expected_arrival"
    lead = reference - received
    if lead >= ctx.min_lead_time:
        return
    if lead < timedelta(0):
        timing = (
            "%(span)s after the actual arrival (%(moment)s)"
            if actual
            else "%(span)s after the expected arrival (%(moment)s)"
        )
    else:
        timing = (
            "%(span)s before the actual arrival (%(moment)s)"
            if actual
            else "%(span)s before the expected arrival (%(moment)s)"
        )
    audit.add(
        "late_submission",
        pointer,
        Message(
            "received %(received)s, %(timing)s; at least %(lead)s ahead is expected",
            received=_fmt_time(received),
            timing=Message(timing, span=_fmt_duration(abs(lead)), moment=_fmt_time(reference)),
            lead=_fmt_duration(ctx.min_lead_time),
        ),
    )


# --- Completeness -------------------------------------------------------------------------------


def _check_completeness(decl: Mapping, audit: _Audit) -> None:
    """Optional elements that risk assessment and delivery rely on."""
    category = decl.get("category")
    commercial = category in COMMERCIAL_CATEGORIES

    consignee = _mapping(decl.get("consignee"))
    for element in ("email", "phone"):
        if not _present(consignee.get(element)):
            audit.add(
                "missing_useful_element",
                f"/consignee/{element}",
                Message(
                    "consignee email is missing: the consignee cannot be contacted for "
                    "documents or payment"
                    if element == "email"
                    else "consignee phone is missing: the consignee cannot be contacted for "
                    "documents or payment"
                ),
            )
    if consignee:
        _check_address(consignee, "/consignee", "consignee", audit)

    seller = _mapping(decl.get("seller"))
    if commercial:
        if not seller:
            audit.add(
                "missing_useful_element",
                "/seller",
                Message(
                    "no seller given for a %(category)s consignment: the seller cannot be profiled",
                    category=category,
                ),
            )
        elif not _list(seller.get("identifiers")):
            audit.add(
                "missing_useful_element",
                "/seller/identifiers",
                Message(
                    "seller has no identifier (EORI, VAT, TIN or platform seller id): the seller "
                    "cannot be matched with history"
                ),
            )
        if seller:
            _check_address(seller, "/seller", "seller", audit)

    if category == "sale_of_goods" and not _mapping(decl.get("order")):
        audit.add(
            "missing_useful_element",
            "/order",
            Message(
                "no order data for a sale of goods: value cannot be checked against the payment"
            ),
        )
    if not _present(decl.get("expected_arrival")):
        audit.add(
            "missing_useful_element",
            "/expected_arrival",
            Message("expected arrival is missing: timeliness cannot be measured before arrival"),
        )

    item_elements = [
        ("hs_code", "HS code"),
        ("net_mass_kg", "net mass"),
        ("origin_country", "country of origin"),
    ]
    if category == "sale_of_goods":
        item_elements.append(("product_url", "product URL"))
    for index, item in enumerate(_list(decl.get("items"))):
        item = _mapping(item)
        for element, label in item_elements:
            if not _present(item.get(element)):
                audit.add(
                    "missing_useful_element",
                    f"/items/{index}/{element}",
                    Message(
                        "item %(line)s: %(element)s is missing",
                        line=item.get("line", index + 1),
                        element=Message(label),
                    ),
                    charge_key=f"items/{element}",
                )


def _check_address(party: Mapping, pointer: str, role: str, audit: _Audit) -> None:
    address = _mapping(party.get("address"))
    country = str(address.get("country") or "").upper()
    missing = [
        element
        for element in ("street", "city", "postcode")
        if not _present(address.get(element))
        and not (element == "postcode" and country in COUNTRIES_WITHOUT_POSTCODE)
    ]
    street = str(address.get("street") or "")
    if "street" not in missing and len(re.sub(r"\W", "", street)) < 3:
        missing.append("street (too short to deliver)")
    missing = [Message(element) for element in missing]
    if missing:
        audit.add(
            "address_incomplete",
            f"{pointer}/address",
            Message(
                "consignee address lacks %(missing)s"
                if role == "consignee"
                else "seller address lacks %(missing)s",
                missing=Seq(missing, ", "),
            ),
        )


# --- Consistency: gift from a business -----------------------------------------------------------


def _check_gift_from_business(decl: Mapping, audit: _Audit) -> None:
    """A gift is sent by a private person for free; signs of a sale contradict the category."""
    if decl.get("category") != "gift":
        return
    signs = []
    if _mapping(decl.get("order")):
        signs.append(Message("an order is given"))
    tax_scheme = _mapping(decl.get("vendor_tax_scheme"))
    if tax_scheme:
        signs.append(
            Message(
                "a %(scheme)s tax-scheme number is given",
                scheme=tax_scheme.get("scheme", "vendor"),
            )
        )
    for role in ("seller", "sender"):
        party = _mapping(decl.get(role))
        name = str(party.get("name") or "")
        if name and (_BUSINESS_NAME.search(name) or _BUSINESS_SHORT_FORM.search(name)):
            signs.append(
                Message(
                    "seller %(name)s is a business name"
                    if role == "seller"
                    else "sender %(name)s is a business name",
                    name=_quote(name),
                )
            )
        schemes = sorted(
            {
                str(_mapping(ident).get("scheme"))
                for ident in _list(party.get("identifiers"))
                if _mapping(ident).get("scheme") in _SELLER_ID_SCHEMES
            }
        )
        if schemes:
            signs.append(
                Message(
                    "seller has a %(schemes)s identifier"
                    if role == "seller"
                    else "sender has a %(schemes)s identifier",
                    schemes="/".join(schemes),
                )
            )
    if any(_present(_mapping(item).get("product_url")) for item in _list(decl.get("items"))):
        signs.append(Message("items carry a product URL"))
    if signs:
        audit.add(
            "gift_commercial_seller",
            "/category",
            Message("declared as a gift but %(signs)s", signs=Seq(signs)),
        )


# --- Items: vague, implausible value, HS consistency ---------------------------------------------


def _check_items(decl: Mapping, ctx: QualityContext, audit: _Audit) -> None:
    items = _list(decl.get("items"))
    currency = str(decl.get("currency") or "")
    category = decl.get("category")
    eur_per_unit = _decimal(ctx.eur_per_unit)
    gross_mass = _decimal(decl.get("total_gross_mass_kg"))
    for index, raw_item in enumerate(items):
        item = _mapping(raw_item)
        line = item.get("line", index + 1)
        description = str(item.get("description") or "")
        hs_code = "".join(ch for ch in str(item.get("hs_code") or "") if ch.isdigit())

        vague = is_vague(description)
        if vague is not None:
            audit.add(
                "description_vague",
                f"/items/{index}/description",
                Message(
                    "item %(line)s: description %(description)s does not identify the goods "
                    "(only %(vague)s)",
                    line=line,
                    description=_quote(description),
                    vague=_quote(vague),
                ),
            )
        elif len(hs_code) >= 2:
            chapters = hs_chapters_for_description(description)
            if chapters and hs_code[:2] not in chapters:
                audit.add(
                    "description_hs_mismatch",
                    f"/items/{index}/hs_code",
                    Message(
                        "item %(line)s: %(description)s suggests HS chapter %(chapters)s, "
                        "but %(hs_code)s is in chapter %(chapter)s",
                        line=line,
                        description=_quote(description),
                        chapters="/".join(sorted(chapters)),
                        hs_code=hs_code,
                        chapter=hs_code[:2],
                    ),
                )

        value = _decimal(item.get("value"))
        if value is None:
            continue
        # Documents legitimately travel at no value; anything else at 0 or 1 is a placeholder.
        if value == 0 and category != "documents":
            audit.add(
                "value_implausible_zero",
                f"/items/{index}/value",
                Message(
                    "item %(line)s: value %(currency)s 0 is not plausible for goods",
                    line=line,
                    currency=currency,
                ),
            )
            continue
        if value == 1:
            audit.add(
                "value_implausible_one",
                f"/items/{index}/value",
                Message(
                    "item %(line)s: value %(currency)s 1 looks like a placeholder",
                    line=line,
                    currency=currency,
                ),
            )
            continue
        mass, mass_label = _decimal(item.get("net_mass_kg")), "net"
        if (mass is None or mass <= 0) and len(items) == 1:
            # One-line consignment: the gross mass is the best available; it only lowers the
            # value per kg by the packaging, which the tolerance ratio absorbs.
            mass, mass_label = gross_mass, "gross"
        if eur_per_unit is not None and mass is not None and mass > 0:
            _check_value_per_kg(
                f"/items/{index}/value",
                line,
                value * eur_per_unit,
                mass,
                mass_label,
                hs_code,
                ctx,
                audit,
            )


def _check_value_per_kg(
    pointer: str,
    line: Any,
    value_eur: Decimal,
    mass: Decimal,
    mass_label: str,
    hs_code: str,
    ctx: QualityContext,
    audit: _Audit,
) -> None:
    """Undervaluation signal (Standard 10): value per kg far below accepted declarations."""
    if not hs_code or value_eur <= 0 or not ctx.benchmarks:
        return
    benchmark = benchmark_for(hs_code, ctx.benchmarks, ctx.min_benchmark_samples)
    if benchmark is None:
        return
    median = _decimal(benchmark.median_eur_per_kg)
    if median is None or median <= 0:
        return
    eur_per_kg = value_eur / mass
    if eur_per_kg >= median * ctx.value_per_kg_low_ratio:
        return
    level_code = hs_code[: dict(_LEVEL_DIGITS).get(benchmark.level, 6)]
    audit.add(
        "value_per_kg_low",
        pointer,
        Message(
            "item %(line)s: declared EUR %(per_kg)s/kg (EUR %(value)s for %(mass)s kg net); "
            "usual for %(code)s is EUR %(median)s/kg (median of %(samples)s accepted)"
            if mass_label == "net"
            else "item %(line)s: declared EUR %(per_kg)s/kg (EUR %(value)s for %(mass)s kg "
            "gross); usual for %(code)s is EUR %(median)s/kg (median of %(samples)s accepted)",
            line=line,
            per_kg=_fmt_money(eur_per_kg),
            value=_fmt_money(value_eur),
            mass=_fmt_mass(mass),
            code=level_code,
            median=_fmt_money(median),
            samples=benchmark.sample_size,
        ),
    )


# --- Consistency with a carrier manifest (second source) ----------------------------------------


def _check_manifest(decl: Mapping, manifest: ManifestFacts, audit: _Audit) -> None:
    if manifest.packages is not None:
        declared_packages = decl.get("packages") or 1
        if _decimal(declared_packages) != _decimal(manifest.packages):
            audit.add(
                "manifest_packages_mismatch",
                "/packages",
                Message(
                    "declared %(declared)s package(s); the carrier manifest says %(manifest)s",
                    declared=declared_packages,
                    manifest=manifest.packages,
                ),
            )

    manifest_mass = _decimal(manifest.gross_mass_kg)
    declared_mass = _decimal(decl.get("total_gross_mass_kg"))
    if manifest_mass is not None and declared_mass is not None and manifest_mass > 0:
        gap = abs(declared_mass - manifest_mass) / manifest_mass
        if gap > _MASS_TOLERANCE:
            audit.add(
                "manifest_mass_mismatch",
                "/total_gross_mass_kg",
                Message(
                    "declared %(declared)s kg gross; the carrier manifest says %(manifest)s kg "
                    "(%(gap)s%% apart, tolerance %(tolerance)s%%)",
                    declared=_fmt_mass(declared_mass),
                    manifest=_fmt_mass(manifest_mass),
                    gap=_fmt_percent(gap),
                    tolerance=_fmt_percent(_MASS_TOLERANCE),
                ),
            )

    currency = str(decl.get("currency") or "").upper()
    manifest_value = _decimal(manifest.declared_value)
    same_currency = str(manifest.currency or "").upper() == currency and currency != ""
    if manifest_value is not None and same_currency:
        values = [_decimal(_mapping(item).get("value")) for item in _list(decl.get("items"))]
        if all(value is not None for value in values):
            declared_value = sum(values, Decimal(0))
            if manifest_value > 0:
                gap = abs(declared_value - manifest_value) / manifest_value
                differs = gap > _VALUE_TOLERANCE
            else:
                gap, differs = None, declared_value != 0
            if differs:
                audit.add(
                    "manifest_value_mismatch",
                    "/items",
                    Message(
                        "items total %(currency)s %(declared)s; the carrier manifest says "
                        "%(currency)s %(manifest)s (%(gap)s%% apart)"
                        if gap is not None
                        else "items total %(currency)s %(declared)s; the carrier manifest says "
                        "%(currency)s %(manifest)s",
                        currency=currency,
                        declared=_fmt_money(declared_value),
                        manifest=_fmt_money(manifest_value),
                        **({"gap": _fmt_percent(gap)} if gap is not None else {}),
                    ),
                )

    manifest_description = (manifest.description or "").strip()
    if manifest_description and is_vague(manifest_description) is None:
        items = [_mapping(item) for item in _list(decl.get("items"))]
        descriptions = [str(item.get("description") or "") for item in items]
        declared_terms: set[str] = set()
        declared_chapters: set[str] = set()
        for description in descriptions:
            declared_terms |= comparable_terms(description)
            declared_chapters |= hs_chapters_for_description(description)
        manifest_terms = comparable_terms(manifest_description)
        # Overlap in words, or in HS chapters when the two sources use different languages
        # ("sneakers" on the manifest, "chaussures" in the declaration).
        if (
            declared_terms
            and manifest_terms
            and not declared_terms & manifest_terms
            and not declared_chapters & hs_chapters_for_description(manifest_description)
        ):
            pointer = "/items/0/description" if len(items) == 1 else "/items"
            audit.add(
                "manifest_description_mismatch",
                pointer,
                Message(
                    "the carrier manifest describes %(manifest)s, which shares no word with the "
                    "declared description(s): %(declared)s",
                    manifest=_quote(manifest_description),
                    declared="; ".join(_quote(text, 40) for text in descriptions[:3])
                    + ("; ..." if len(descriptions) > 3 else ""),
                ),
            )


# --- Small helpers ------------------------------------------------------------------------------


def _mapping(value: Any) -> Mapping:
    # The exact-type tests first: the canonical form holds plain dicts, lists and strings, and an
    # ABC isinstance costs several times more; these helpers run about 30 times per declaration.
    if type(value) is dict or isinstance(value, Mapping):
        return value
    return {}


def _list(value: Any) -> list:
    return value if isinstance(value, list | tuple) else []


def _present(value: Any) -> bool:
    if value is None:
        return False
    if type(value) is str:
        return bool(value.strip())
    if isinstance(value, list | tuple | dict | Mapping):
        return bool(value)
    return True


def _decimal(value: Any) -> Decimal | None:
    """Decimal from a Decimal, int or decimal string; None for anything else or non-finite."""
    if value is None or isinstance(value, bool):
        return None
    try:
        if type(value) is str:
            result = Decimal(value.strip())
        elif isinstance(value, Decimal):
            result = value
        elif isinstance(value, int):
            result = Decimal(value)
        elif isinstance(value, float):
            result = Decimal(str(value))
        elif isinstance(value, str):
            result = Decimal(value.strip())
        else:
            return None
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


def _aware(moment: datetime | None) -> datetime | None:
    """Naive datetimes are taken as UTC, so aware and naive inputs compare."""
    if not isinstance(moment, datetime):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _parse_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return _aware(value)
    if isinstance(value, str) and value.strip():
        try:
            return _aware(datetime.fromisoformat(value.strip()))
        except ValueError:
            return None
    return None


def _quote(text: str, limit: int = 60) -> str:
    """A description quoted in a finding, shortened so details stay one readable sentence."""
    text = " ".join(text.split())
    return f'"{text if len(text) <= limit else text[: limit - 3] + "..."}"'


def _fmt_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _fmt_duration(span: timedelta) -> Seq:
    """A span as days, hours and minutes ("7 d 4 h 51 min"); the day's unit is a message of its
    own, so it reads in the reader's language ("7 j 4 h 51 min" in French)."""
    minutes = int(span.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts: list[Any] = []
    if days:
        parts.append(Message("%(count)s d", count=days))
    if hours:
        parts.append(f"{hours} h")
    if minutes or not parts:
        parts.append(f"{minutes} min")
    return Seq(parts, " ")


def _fmt_money(amount: Decimal) -> str:
    # Readable in a sentence: cents below 100, whole units above.
    return f"{amount:.2f}" if abs(amount) < 100 else f"{amount:.0f}"


def _fmt_mass(mass: Decimal) -> str:
    return f"{mass:.3f}"


def _fmt_percent(ratio: Decimal) -> str:
    return f"{ratio * 100:.1f}".removesuffix(".0")
