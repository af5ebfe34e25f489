"""Throughput benchmark of the risk engine: default rule set, 10,000-entry watchlist.

Run ``python -m risk.bench_engine`` (``make bench``); prints declarations per second on one core.
The synthetic generators are also used by the tests.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from risk.channels import ChannelPolicy, evaluate_batch
from risk.facts import Facts, ItemFacts, PartyFacts, PriorConsignment, consignee_key
from risk.rules import DEFAULT_RULESET, BatchContext
from risk.watchlist import WatchlistEntry, WatchlistIndex

_SYLLABLES = (
    "an", "bel", "cor", "da", "el", "fan", "gor", "hai", "ion", "jun", "kal", "lin", "mar", "nor",
    "ost", "pen", "qui", "ras", "sol", "tan", "ul", "vor", "wei", "xin", "yan", "zor", "ber", "chen",
    "dor", "fis", "ger", "hol", "ka", "lo", "mi", "ne", "pa", "ri", "su", "to",
)  # fmt: skip
_COMPANY_WORDS = ("Trading", "Import", "Export", "Logistics", "Technology", "Industrial",
                  "Holdings", "Supply", "Group", "International", "Commerce", "Goods")  # fmt: skip
_SUFFIXES = ("Co., Ltd.", "GmbH", "LLC", "SARL", "S.L.", "Ltd", "Inc.", "")
_COUNTRIES = ("CN", "HK", "TR", "US", "GB", "IN", "VN", "AE", "RU", "BR")
_GOODS = (
    ("Women's cotton T-shirt, knitted", "610910", Decimal("0.2"), Decimal("12")),
    ("Phone case, silicone, for smartphone", "392690", Decimal("0.05"), Decimal("6")),
    ("Running shoes, textile upper", "640411", Decimal("0.8"), Decimal("45")),
    ("Bluetooth earphones", "851830", Decimal("0.1"), Decimal("25")),
    ("Paperback novel", "490199", Decimal("0.4"), Decimal("14")),
    ("Plastic building blocks toy set", "950300", Decimal("0.6"), Decimal("30")),
    ("Stainless steel kitchen knife", "821191", Decimal("0.3"), Decimal("18")),
    ("Lipstick, matte", "330410", Decimal("0.05"), Decimal("9")),
    ("LED desk lamp", "940520", Decimal("0.7"), Decimal("22")),
    ("Wool scarf", "611710", Decimal("0.2"), Decimal("20")),
)  # fmt: skip
_FIRST_NAMES = ("Marie", "Jan", "Lucia", "Pierre", "Anna", "Jose", "Sophie", "Lukas", "Elena",
                "Mehmet", "Olga", "Tomas", "Ines", "Paul", "Giulia", "Nikos")  # fmt: skip
_LAST_NAMES = ("Dupont", "Novak", "Garcia", "Muller", "Rossi", "Kowalski", "Jansen", "Silva",
               "Nielsen", "Papadopoulos", "Horvat", "Schmidt", "Lefebvre", "Moreno")  # fmt: skip

_STREET_KINDS = ("Road", "Street", "St.", "Avenue", "Lane", "Strasse")


def _word(rng: random.Random, syllables: int) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(syllables)).capitalize()


def synthetic_watchlist(size: int = 10_000, seed: int = 7) -> list[WatchlistEntry]:
    """``size`` varied companies and persons with aliases and identifiers, reproducible."""
    rng = random.Random(seed)
    # Addresses from their own sequence, so the names stay those of earlier measurements.
    places = random.Random(seed + 1)
    entries = []
    for number in range(size):
        address = (
            f"{places.randint(1, 300)} {_word(places, 2)} {places.choice(_STREET_KINDS)}, "
            f"{places.randint(10000, 99999)}, {_word(places, 2)}"
            if places.random() < 0.95
            else None
        )
        if rng.random() < 0.6:
            name = (
                f"{_word(rng, 2)} {_word(rng, 3)} {rng.choice(_COMPANY_WORDS)} "
                f"{rng.choice(_SUFFIXES)}"
            ).strip()
        else:
            name = f"{_word(rng, 2)} {_word(rng, 3)}"
        aliases = tuple(f"{_word(rng, 2)} {_word(rng, 2)}" for _ in range(rng.randint(0, 2)))
        entries.append(
            WatchlistEntry(
                id=f"WL-{number:05d}",
                name=name,
                aliases=aliases,
                country=rng.choice(_COUNTRIES),
                address=address,
                identifiers=(f"XX{rng.randrange(10**9):09d}",) if rng.random() < 0.3 else (),
            )
        )
    return entries


def synthetic_benchmarks() -> dict[str, Decimal]:
    """Median EUR/kg per HS code, as learned from history, for the synthetic goods."""
    benchmarks = {hs: value / mass for _d, hs, mass, value in _GOODS}
    benchmarks.update({hs[:4]: value / mass for _d, hs, mass, value in _GOODS})
    return benchmarks


def synthetic_facts(count: int, seed: int = 11, start_id: int = 1) -> list[Facts]:
    """``count`` ordinary declarations with varied sellers, consignees, goods and history."""
    rng = random.Random(seed)
    sellers = [
        PartyFacts(
            f"{_word(rng, 2)} {rng.choice(_COMPANY_WORDS)} {rng.choice(_SUFFIXES)}".strip(),
            f"{rng.randint(1, 300)} Industrial Road",
            "Shenzhen",
            "518000",
            rng.choice(_COUNTRIES),
            (("platform_seller_id", f"S-{n}"),),
            True,
        )
        for n in range(2_000)
    ]
    base_time = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    facts = []
    for number in range(count):
        consignee = PartyFacts(
            f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}",
            f"{rng.randint(1, 200)} rue {_word(rng, 2)}",
            "Lyon",
            f"{rng.randint(10000, 99999)}",
            "FR",
        )
        items = []
        for line in range(1, rng.choice((1, 1, 1, 2, 3)) + 1):
            description, hs_code, mass, value = rng.choice(_GOODS)
            quantity = Decimal(rng.randint(1, 3))
            items.append(
                ItemFacts(
                    line, description, hs_code, value * quantity, quantity, mass * quantity, "CN"
                )
            )
        total = sum((i.value_eur for i in items), Decimal(0))
        submitted = base_time + timedelta(minutes=number)
        recent = ()
        if rng.random() < 0.1:
            recent = (
                PriorConsignment(
                    10**9 + number,
                    consignee_key(consignee),
                    Decimal(rng.randint(5, 60)),
                    submitted - timedelta(hours=rng.randint(1, 200)),
                ),
            )
        facts.append(
            Facts(
                declaration_id=start_id + number,
                operator_id=rng.randint(1, 20),
                operator_role="marketplace",
                operator_is_aeo=rng.random() < 0.3,
                dataset=rng.choice(("eu-h7", "wco-core", "upu-cn23")),
                category="sale_of_goods",
                transport_mode=rng.choice(("air", "post", "road")),
                transport_document_type="house_waybill",
                country_of_dispatch="CN",
                total_value_eur=total,
                total_gross_mass_kg=sum((i.net_mass_kg for i in items), Decimal("0.1")),
                items=tuple(items),
                seller=rng.choice(sellers),
                sender=None,
                consignee=consignee,
                tax_scheme="IOSS" if total <= 150 else None,
                tax_scheme_number="IM2500000015" if total <= 150 else None,
                dq_score=rng.randint(60, 100),
                submitted_at=submitted,
                seller_prior_count=rng.randint(0, 500),
                consignee_recent=recent,
            )
        )
    return facts


def synthetic_context(watchlist_size: int = 10_000, *, reference: bool = True) -> BatchContext:
    """A batch context with a synthetic watchlist and benchmarks, and the shipped reference
    table (issue 17) unless ``reference`` is False."""
    from risk.reference import ReferenceBook, shipped_reference_values

    return BatchContext(
        value_benchmarks=synthetic_benchmarks(),
        reference=ReferenceBook(shipped_reference_values() if reference else ()),
        watchlist=WatchlistIndex(synthetic_watchlist(watchlist_size)),
        known_tax_numbers={},
        valid_tax_numbers=frozenset({"IM2500000015"}),
        false_positives=frozenset(),
        random_seed="bench",
    )


def measure(
    declarations: int = 20_000, watchlist_size: int = 10_000, *, reference: bool = True
) -> float:
    """Declarations per second of ``evaluate_batch`` over fresh synthetic declarations."""
    ctx = synthetic_context(watchlist_size, reference=reference)
    facts = synthetic_facts(declarations)
    policy = ChannelPolicy()
    started = time.perf_counter()
    evaluate_batch(facts, DEFAULT_RULESET, ctx, policy)
    return declarations / (time.perf_counter() - started)


def main() -> None:
    """Print the engine's throughput with the default rule set and a 10,000-entry watchlist."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--declarations", type=int, default=20_000)
    parser.add_argument("--watchlist", type=int, default=10_000)
    parser.add_argument("--no-reference", action="store_true", help="without the reference table")
    args = parser.parse_args()
    rate = measure(args.declarations, args.watchlist, reference=not args.no_reference)
    table = "no reference table" if args.no_reference else "shipped reference table"
    print(
        f"risk engine: {rate:,.0f} declarations/s "
        f"({args.declarations:,} declarations, default rule set, "
        f"{args.watchlist:,}-entry watchlist, {table}, one process)"
    )


if __name__ == "__main__":
    main()
