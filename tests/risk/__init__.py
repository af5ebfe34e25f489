"""Builders of facts snapshots shared by the risk engine tests: an ordinary parcel by default,
changed through keyword overrides so each test states only what matters to it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from risk.facts import Facts, ItemFacts, PartyFacts, party_key
from risk.rules import BatchContext, compile_ruleset, default_ruleset, run_rules
from risk.watchlist import WatchlistEntry, WatchlistIndex

SUBMITTED_AT = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)


def make_party(name: str = "Marie Dupont", **overrides) -> PartyFacts:
    values = {
        "name": name,
        "street": "3 rue des Lilas",
        "city": "Lyon",
        "postcode": "69003",
        "country": "FR",
        "identifiers": (),
        "is_business": False,
    }
    values.update(overrides)
    return PartyFacts(**values)


def make_seller(name: str = "Shenzhen Example Trading Co., Ltd.", **overrides) -> PartyFacts:
    values = {
        "street": "12 Example Road",
        "city": "Shenzhen",
        "postcode": "518000",
        "country": "CN",
        "identifiers": (("platform_seller_id", "S-5521"),),
        "is_business": True,
    }
    values.update(overrides)
    return make_party(name, **values)


def make_item(
    description: str = "Women's cotton T-shirt, knitted",
    hs_code: str = "610910",
    value: str = "24.00",
    *,
    line: int = 1,
    quantity: str = "2",
    mass: str | None = "0.40",
    origin: str | None = "CN",
) -> ItemFacts:
    return ItemFacts(
        line=line,
        description=description,
        hs_code=hs_code,
        value_eur=Decimal(value),
        quantity=Decimal(quantity),
        net_mass_kg=Decimal(mass) if mass is not None else None,
        origin_country=origin,
    )


def make_facts(*items: ItemFacts, **overrides) -> Facts:
    """An ordinary eu-h7 marketplace parcel from a known seller; ``items`` replace its lines."""
    items = items or (make_item(),)
    total = sum((i.value_eur for i in items), Decimal(0))
    values = {
        "declaration_id": 1001,
        "operator_id": 7,
        "operator_role": "marketplace",
        "operator_is_aeo": False,
        "dataset": "eu-h7",
        "category": "sale_of_goods",
        "transport_mode": "air",
        "transport_document_type": "house_waybill",
        "country_of_dispatch": "CN",
        "total_value_eur": total,
        "total_gross_mass_kg": Decimal("0.65"),
        "items": tuple(items),
        "seller": make_seller(),
        "sender": None,
        "consignee": make_party(),
        "tax_scheme": "IOSS",
        "tax_scheme_number": "IM2500000015",
        "dq_score": 92,
        "submitted_at": SUBMITTED_AT,
        "seller_prior_count": 250,
        "consignee_recent": (),
    }
    values.update(overrides)
    return Facts(**values)


BENCHMARKS = {
    "610910": Decimal("60"),
    "6109": Decimal("55"),
    "61": Decimal("50"),
    "851713": Decimal("210"),
    "910211": Decimal("1500"),
    "9102": Decimal("1200"),
    "392690": Decimal("40"),
}

WATCHLIST = (
    WatchlistEntry("WL-1", "Shenzhen Bright Star Trading Co., Ltd.", country="CN"),
    WatchlistEntry("WL-2", "Alexander Petroff", aliases=("Sasha Petrov",), country="RU"),
    WatchlistEntry("WL-3", "Golden Dragon Export GmbH", identifiers=("DE 123 456 789",)),
    WatchlistEntry("WL-4", "Fast Lucky Watches Limited", country="HK"),
)


def make_context(**overrides) -> BatchContext:
    values = {
        "value_benchmarks": dict(BENCHMARKS),
        "watchlist": WatchlistIndex(()),
        "known_tax_numbers": {"IM2500000015": frozenset({party_key(make_seller())})},
        "valid_tax_numbers": frozenset({"IM2500000015"}),
        "false_positives": frozenset(),
        "random_seed": "tests",
    }
    values.update(overrides)
    return BatchContext(**values)


def hits_of(code: str, facts: Facts, ctx: BatchContext | None = None, **params):
    """Hits of one rule with its default parameters, changed by ``params``."""
    ruleset = [
        {**entry, "params": {**entry["params"], **params}}
        for entry in default_ruleset()
        if entry["code"] == code
    ]
    return run_rules(facts, compile_ruleset(ruleset), ctx or make_context())


__all__ = [
    "BENCHMARKS",
    "SUBMITTED_AT",
    "WATCHLIST",
    "hits_of",
    "make_context",
    "make_facts",
    "make_item",
    "make_party",
    "make_seller",
    "replace",
]
