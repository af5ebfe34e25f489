"""Realistic synthetic declarations for the demo, benchmarks and tests: mixed origins, HS codes,
platforms and profiles, with a few risky patterns on purpose."""

from __future__ import annotations

import random
import zlib
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

# (description, HS 2022 subheading, usual EUR value range, net kg range)
GOODS: list[tuple[str, str, tuple[int, int], tuple[float, float]]] = [
    ("Women's cotton T-shirt, knitted", "610910", (6, 25), (0.15, 0.3)),
    ("Men's sports shoes, rubber soles", "640411", (25, 90), (0.6, 1.2)),
    ("Phone case, silicone, for smartphone", "392690", (3, 18), (0.03, 0.08)),
    ("Bluetooth wireless earphones", "851830", (12, 60), (0.05, 0.15)),
    ("Smartphone, 128 GB, unlocked", "851713", (120, 149), (0.18, 0.25)),
    ("Children's building blocks toy set", "950300", (10, 45), (0.3, 1.0)),
    ("Paperback novel, English", "490199", (6, 20), (0.2, 0.5)),
    ("Lipstick, cosmetic", "330410", (4, 25), (0.02, 0.05)),
    ("Stainless steel kitchen knife", "821192", (8, 40), (0.1, 0.3)),
    ("LED desk lamp with USB cable", "940521", (12, 45), (0.4, 0.9)),
    ("Women's handbag, synthetic leather", "420222", (15, 60), (0.4, 0.9)),
    ("Yoga mat, foam", "950691", (10, 30), (0.8, 1.5)),
    ("Wool knitted scarf", "611710", (10, 35), (0.1, 0.25)),
    ("Ceramic coffee mug", "691200", (5, 15), (0.3, 0.5)),
    ("USB-C charging cable, 1 m", "854442", (3, 12), (0.03, 0.08)),
]
RISKY_GOODS = [
    ("Replica luxury wristwatch, automatic", "910221", (8, 15), (0.1, 0.2)),
    ("Lithium ion battery pack 20000 mAh", "850760", (10, 30), (0.3, 0.5)),
    ("Folding knife, switchblade", "821193", (10, 30), (0.1, 0.3)),
]
ORIGINS = ["CN", "CN", "CN", "CN", "US", "GB", "TR", "IN", "VN", "HK", "KR", "JP"]
PLATFORMS = ["Example Market", "GlobalBazaar", "ShopWorld", "QuickCart"]
FIRST_NAMES = [
    "Marie",
    "Jean",
    "Sophie",
    "Lucas",
    "Camille",
    "Hugo",
    "Léa",
    "Nathan",
    "Chloé",
    "Louis",
    "Emma",
    "Gabriel",
    "Inès",
    "Jules",
    "Manon",
    "Arthur",
    "Zoé",
    "Raphaël",
    "Lina",
    "Adam",
]
LAST_NAMES = [
    "Dupont",
    "Martin",
    "Bernard",
    "Petit",
    "Laurent",
    "Moreau",
    "Fournier",
    "Girard",
    "Lefebvre",
    "Mercier",
    "Garnier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guerin",
    "Muller",
]
STREETS = [
    "rue des Lilas",
    "avenue Victor Hugo",
    "place Bellecour",
    "boulevard de la Liberté",
    "rue du Port",
    "chemin des Vignes",
    "rue Nationale",
    "allée des Pins",
]
CITIES = [
    ("Lyon", "69003"),
    ("Paris", "75016"),
    ("Lille", "59000"),
    ("Marseille", "13002"),
    ("Bordeaux", "33000"),
    ("Tours", "37000"),
    ("Nantes", "44000"),
    ("Toulouse", "31000"),
]


# A few buyers order again and again within days: the traffic the splitting rule looks for.
REPEAT_BUYERS = 50
REPEAT_SHARE = 0.03


def random_consignee(rng: random.Random) -> tuple[str, str, str, str]:
    """About 2.5 million name and postcode combinations (the consignee identity intake keys on is
    name + postcode + country), so that repeated parcels to the same person are the exception
    they are in real traffic; 3 % of parcels go to a pool of 50 repeat buyers."""
    if rng.random() < REPEAT_SHARE:
        n = rng.randrange(REPEAT_BUYERS)
        city, postcode = CITIES[n % len(CITIES)]
        name = f"{FIRST_NAMES[n % len(FIRST_NAMES)]} {LAST_NAMES[n % len(LAST_NAMES)]}"
        return (name, f"{n + 1} {STREETS[n % len(STREETS)]}", city, postcode)
    city, postcode = rng.choice(CITIES)
    return (
        f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
        f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
        city,
        f"{postcode[:2]}{rng.randrange(1000):03d}",
    )


SELLERS = [
    ("Shenzhen Example Trading Co., Ltd.", "CN", "Shenzhen", "518000"),
    ("Yiwu Happy Goods Co., Ltd.", "CN", "Yiwu", "322000"),
    ("Guangzhou Bright Electronics Ltd.", "CN", "Guangzhou", "510000"),
    ("Istanbul Textile Export A.S.", "TR", "Istanbul", "34000"),
    ("Brooklyn Crafts LLC", "US", "New York", "11201"),
    ("London Book Traders Ltd", "GB", "London", "EC1A 1BB"),
]
S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def s10_check_digit(serial: str) -> int:
    total = sum(int(d) * w for d, w in zip(serial, S10_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: 0, 11: 5}.get(check, check)


_S10_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def parcel_serial(lrn_prefix: str, index: int, space: int) -> int:
    """The parcel's own number among ``space``: one per (prefix, index), never drawn at random,
    since an operator declares a parcel once at a time (a second open declaration of the same
    transport document is refused) and a million random draws would repeat some."""
    return (zlib.crc32(lrn_prefix.encode()) * 7_919 + index) % space


def s10_number(serial_index: int, country: str = "CN") -> str:
    """A well-formed S10 item number (UPU S10: two letters, eight digits, check digit, country)."""
    letter, serial_number = divmod(serial_index % (len(_S10_LETTERS) * 10**8), 10**8)
    serial = f"{serial_number:08d}"
    return f"R{_S10_LETTERS[letter]}{serial}{s10_check_digit(serial)}{country}"


# A seller registered under IOSS quotes its one number (IM + 250 for France + 7 digits) on every
# parcel, as real sellers do; a new number per parcel made every parcel look like a first use.
SELLER_IOSS = {seller[0]: f"IM250{7340011 + 97 * n:07d}" for n, seller in enumerate(SELLERS)}


def make_declaration(
    rng: random.Random,
    index: int,
    *,
    lrn_prefix: str = "DEMO",
    received: datetime | None = None,
    risky: bool = False,
    profile: str | None = None,
    items: int | None = None,
) -> dict[str, Any]:
    """One valid declaration as an operator would post it."""
    received = received or datetime.now().astimezone()
    profile = profile or rng.choice(["eu-h7", "eu-h7", "eu-h7", "wco-core", "upu-cn23"])
    n_items = items or rng.choice([1, 1, 2, 2, 2, 3])
    origin = rng.choice(ORIGINS)
    seller_name, seller_country, seller_city, seller_pc = rng.choice(SELLERS)
    consignee = random_consignee(rng)
    lines = []
    total = Decimal(0)
    net = Decimal(0)
    for line in range(1, n_items + 1):
        desc, hs, (lo, hi), (mlo, mhi) = rng.choice(RISKY_GOODS if risky and line == 1 else GOODS)
        value = Decimal(rng.randint(lo * 100, hi * 100)) / 100
        if total + value > Decimal("140"):
            value = Decimal("5.00")
        qty = rng.choice([1, 1, 1, 2])
        mass = Decimal(str(round(rng.uniform(mlo, mhi) * qty, 3)))
        total += value
        net += mass
        lines.append(
            {
                "line": line,
                "description": desc,
                "hs_code": hs,
                "quantity": qty,
                "net_mass_kg": str(mass),
                "value": str(value),
                "origin_country": origin,
            }
        )
    gross = (net * Decimal("1.15") + Decimal("0.05")).quantize(Decimal("0.001"))
    postal = profile == "upu-cn23"
    body: dict[str, Any] = {
        "lrn": f"{lrn_prefix}-{index:08d}",
        "dataset": profile,
        "category": "sale_of_goods",
        "transport_document": (
            {
                "type": "postal_item",
                "number": s10_number(
                    parcel_serial(lrn_prefix, index, len(_S10_LETTERS) * 10**8),
                    seller_country if seller_country != "TR" else "CN",
                ),
            }
            if postal
            else {
                "type": "house_waybill",
                "number": f"{10**9 + parcel_serial(lrn_prefix, index, 9 * 10**9)}",
            }
        ),
        "transport_mode": "post" if postal else "air",
        "country_of_dispatch": seller_country,
        "expected_arrival": (received + timedelta(days=rng.randint(1, 6))).isoformat(),
        "order": {
            "number": f"O-{index:08d}",
            "date": (received - timedelta(hours=rng.randint(2, 72))).isoformat(),
            "platform": rng.choice(PLATFORMS),
        },
        "seller": {
            "name": seller_name,
            "address": {
                "street": "1 Trade Road",
                "city": seller_city,
                "postcode": seller_pc,
                "country": seller_country,
            },
            "identifiers": [
                {"scheme": "platform_seller_id", "value": f"S-{rng.randrange(1000, 9999)}"}
            ],
        },
        "consignee": {
            "name": consignee[0],
            "address": {
                "street": consignee[1],
                "city": consignee[2],
                "postcode": consignee[3],
                "country": "FR",
            },
            "email": f"{consignee[0].split()[0].lower()}.{index}@example.org",
        },
        "currency": "EUR",
        "transport_cost": str(Decimal(rng.randint(0, 900)) / 100),
        "total_gross_mass_kg": str(gross),
        "packages": 1,
        "items": lines,
    }
    if postal:
        body["sender"] = body["seller"]
    if not postal and rng.random() < 0.6:
        body["vendor_tax_scheme"] = {"scheme": "IOSS", "number": SELLER_IOSS[seller_name]}
    return body
