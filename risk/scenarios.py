"""The labelled scenario corpus: consignments written for the project to measure targeting.

Benign traffic of many kinds (clothing, shoes, accessories, electronics at their usual prices,
toys, books, cosmetics, jewellery, private gifts, returns, samples, postal items, multi-item
parcels, sellers from many countries) and each risk the rules target, every scenario with the
finding an inspection would make (``finding``: the ``InspectionOutcome`` result). No history is
assumed: the corpus is run on a fresh database, in order, so the only history the engine sees is
the corpus's own earlier consignments (what a new installation sees in its first days).

Pure data and builders (no ORM): ``risk/scenario_run.py`` runs it through the real engine.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

# Risk kind -> the rules that target it (recall of a rule is measured on its kinds).
RULE_TARGETS: dict[str, tuple[str, ...]] = {
    "prohibited_goods_keyword": ("prohibited_keyword", "counterfeit_keyword"),
    "prohibited_goods_hs": ("prohibited_hs",),
    "lithium_battery_post": ("lithium_post",),
    "luxury_brand_low_value": ("luxury_giveaway",),
    "undervaluation": ("undervaluation",),
    "splitting": ("splitting",),
    "watchlist_screening": ("watchlist",),
    "tax_scheme_misuse": ("tax_number_other_seller", "ioss_over_ceiling"),
    "gift_by_business": ("gift_by_business",),
    "hs_description_mismatch": ("misdescription",),
    "high_risk_origin": ("trade_defence_origin",),
}

CORPUS_OPERATORS = (
    ("corpus-marketplace", "marketplace"),
    ("corpus-express", "express_carrier"),
    ("corpus-post", "postal_operator"),
)

# The corpus's own watchlist (names invented for the project), in the CSV import's shape.
CORPUS_WATCHLIST: tuple[dict[str, Any], ...] = (
    {"name": "Shenzhen Bright Star Trading Co., Ltd.", "country": "CN", "list": "corpus",
     "reason": "repeated counterfeit seizures"},
    {"name": "Aleksandr Petrov", "aliases": ["Alexander Petroff"], "country": "RU",
     "list": "corpus", "reason": "sanctioned individual"},
    {"name": "Golden Dragon Export GmbH", "identifiers": ["DE 123 456 789"], "list": "corpus",
     "reason": "sanctions evasion network"},
    {"name": "Fast Lucky Watches Limited", "country": "HK", "list": "corpus",
     "reason": "counterfeit watches"},
    {"name": "Nordwind Handelshaus OOO", "country": "RU", "list": "corpus",
     "reason": "dual-use goods diversion"},
)  # fmt: skip


@dataclass(frozen=True)
class Scenario:
    """One consignment of the corpus with what an inspection would find."""

    key: str
    kind: str  # "benign:<what>" or a risk kind of RULE_TARGETS
    finding: str  # "compliant" or the InspectionOutcome result an inspection would record
    operator: str
    body: dict[str, Any] = field(repr=False)
    note: str = ""

    @property
    def risky(self) -> bool:
        return self.finding != "compliant"


# --- building blocks ------------------------------------------------------------------------------

_FIRST = (
    "Marie",
    "Jean",
    "Sophie",
    "Lukas",
    "Anna",
    "Pierre",
    "Elena",
    "Marco",
    "Julia",
    "Tomas",
    "Ines",
    "Karim",
    "Laura",
    "Pablo",
    "Eva",
    "Noah",
    "Chloe",
    "Hugo",
    "Lea",
    "Matteo",
    "Sara",
    "Jonas",
    "Clara",
    "Luis",
    "Nina",
    "Oskar",
    "Alice",
    "Milan",
    "Zoe",
    "Victor",
)
_LAST = (
    "Dupont",
    "Muller",
    "Rossi",
    "Garcia",
    "Janssen",
    "Novak",
    "Leroy",
    "Schmidt",
    "Bianchi",
    "Fernandez",
    "Peeters",
    "Kowalski",
    "Moreau",
    "Weber",
    "Romano",
    "Lopez",
    "Visser",
    "Dubois",
    "Fischer",
    "Ricci",
    "Martin",
    "Bauer",
    "Costa",
    "Simon",
    "Hofmann",
)
_PLACES = (("Lyon", "69003", "FR", "rue des Lilas"), ("Berlin", "10115", "DE", "Gartenstrasse"),
           ("Madrid", "28004", "ES", "Calle de Fuencarral"), ("Milano", "20121", "IT", "Via Dante"),
           ("Utrecht", "3511", "NL", "Oudegracht"), ("Gent", "9000", "BE", "Veldstraat"),
           ("Lisboa", "1100-148", "PT", "Rua Augusta"), ("Wien", "1010", "AT", "Kaerntner Strasse"),
           ("Praha", "11000", "CZ", "Vodickova"), ("Nantes", "44000", "FR", "rue Crebillon"))  # fmt: skip

# (name, country, city, postcode) of benign sellers; each has its own IOSS number.
_SELLERS = (
    ("Hangzhou Silk Road Apparel Co., Ltd.", "CN", "Hangzhou", "310000"),
    ("Shenzhen Brightway Electronics Co., Ltd.", "CN", "Shenzhen", "518000"),
    ("Yiwu Happy Toys Trading Co., Ltd.", "CN", "Yiwu", "322000"),
    ("Guangzhou Stepwell Footwear Co., Ltd.", "CN", "Guangzhou", "510000"),
    ("Istanbul Cotton Tekstil A.S.", "TR", "Istanbul", "34000"),
    ("Mumbai Craft House Pvt Ltd", "IN", "Mumbai", "400001"),
    ("Seoul Beauty Lab Co., Ltd.", "KR", "Seoul", "04524"),
    ("Tokyo Stationery Works K.K.", "JP", "Tokyo", "100-0001"),
    ("Brooklyn Book Outlet LLC", "US", "New York", "11201"),
    ("London Vintage Jewellery Ltd", "GB", "London", "EC1A 1BB"),
    ("Hanoi Bamboo Home Co., Ltd.", "VN", "Hanoi", "100000"),
    ("Geneva Time Accessories SA", "CH", "Geneva", "1201"),
    ("Hong Kong Gadget Hub Limited", "HK", "Hong Kong", "999077"),
    ("Ningbo Outdoor Gear Co., Ltd.", "CN", "Ningbo", "315000"),
)


def ioss_number(index: int) -> str:
    """A well-formed IOSS number (IM + 250 for Ireland + 7 digits) for the corpus's sellers."""
    return f"IM250{8100013 + 101 * index:07d}"


SELLER_IOSS = {seller[0]: ioss_number(n) for n, seller in enumerate(_SELLERS)}


def s10(serial: int, country: str = "CN", service: str = "RR") -> str:
    """A UPU S10 item identifier with its check digit (weights 8 6 4 2 3 5 9 7, mod 11)."""
    digits = f"{serial % 10**8:08d}"
    total = sum(int(d) * w for d, w in zip(digits, (8, 6, 4, 2, 3, 5, 9, 7), strict=True))
    check = 11 - total % 11
    check = 0 if check == 10 else 5 if check == 11 else check
    return f"{service}{digits}{check}{country}"


def _money(value: Decimal | float | str) -> str:
    return str(Decimal(str(value)).quantize(Decimal("0.01"), ROUND_HALF_UP))


def _party(name: str, country: str, city: str, postcode: str, street: str = "1 Main Road") -> dict:
    return {
        "name": name,
        "address": {"street": street, "city": city, "postcode": postcode, "country": country},
    }


class _Builder:
    """Writes the corpus in order; consignees are distinct unless a scenario reuses one."""

    def __init__(self) -> None:
        self.rng = random.Random(17)
        self.scenarios: list[Scenario] = []
        self._consignees = 0
        self._documents = 0

    def consignee(self) -> dict:
        n = self._consignees
        self._consignees += 1
        first = _FIRST[n % len(_FIRST)]
        last = _LAST[(n // len(_FIRST) + n) % len(_LAST)]
        city, postcode, country, street = _PLACES[n % len(_PLACES)]
        return _party(f"{first} {last}", country, city, postcode, f"{n % 97 + 1} {street}")

    def add(
        self,
        kind: str,
        finding: str,
        items: list[tuple[str, str, Any, Any, Any]],
        *,
        seller: tuple[str, str, str, str] | None = None,
        dataset: str = "eu-h7",
        category: str = "sale_of_goods",
        operator: str = "corpus-marketplace",
        consignee: dict | None = None,
        sender: dict | None = None,
        tax_number: str | None | bool = True,
        dispatch: str | None = None,
        origin: str | None = None,
        identifiers: list[dict] | None = None,
        note: str = "",
    ) -> Scenario:
        """``items``: (description, hs_code, line value EUR, quantity, net mass kg or None)."""
        self._documents += 1
        number = len(self.scenarios) + 1
        seller = seller or _SELLERS[number % len(_SELLERS)]
        seller_party = _party(seller[0], seller[1], seller[2], seller[3])
        if identifiers:
            seller_party["identifiers"] = identifiers
        dispatch = dispatch or seller[1]
        lines = []
        net = Decimal(0)
        for line, (description, hs_code, value, quantity, mass) in enumerate(items, start=1):
            entry = {
                "line": line,
                "description": description,
                "hs_code": hs_code,
                "quantity": quantity,
                "value": _money(value),
                "origin_country": origin or dispatch,
            }
            if mass is not None:
                entry["net_mass_kg"] = str(mass)
                net += Decimal(str(mass))
            lines.append(entry)
        postal = dataset == "upu-cn23"
        body: dict[str, Any] = {
            "lrn": f"CORPUS-{number:04d}",
            "dataset": dataset,
            "category": category,
            "transport_document": (
                {"type": "postal_item", "number": s10(41_000_000 + number, dispatch[:2])}
                if postal
                else {"type": "house_waybill", "number": f"77{number:08d}"}
            ),
            "transport_mode": "post" if postal else "air",
            "country_of_dispatch": dispatch,
            "consignee": consignee or self.consignee(),
            "currency": "EUR",
            "total_gross_mass_kg": str(
                (net * Decimal("1.15") + Decimal("0.15")).quantize(Decimal("0.001"))
            ),
            "packages": 1,
            "items": lines,
        }
        if category == "sale_of_goods" or dataset == "eu-h7" or not postal:
            body["seller"] = seller_party
        if sender is not None:
            body["sender"] = sender
        elif postal:
            body["sender"] = seller_party
        if category == "sale_of_goods" and dataset == "wco-core":
            body["order"] = {"number": f"ORD-{number:05d}", "platform": "Corpus Market"}
        if tax_number is True and category == "sale_of_goods" and not postal:
            body["vendor_tax_scheme"] = {
                "scheme": "IOSS",
                "number": SELLER_IOSS.get(seller[0], ioss_number(90)),
            }
        elif isinstance(tax_number, str):
            body["vendor_tax_scheme"] = {"scheme": "IOSS", "number": tax_number}
        scenario = Scenario(f"S{number:03d}", kind, finding, operator, body, note)
        self.scenarios.append(scenario)
        return scenario

    def price(self, low: float, high: float) -> Decimal:
        return Decimal(str(round(self.rng.uniform(low, high), 2)))


# (description, HS6, unit price range EUR, unit net mass kg) of ordinary goods at usual prices.
_BENIGN_GOODS = (
    ("Women's cotton T-shirt, knitted", "610910", (8, 20), 0.18),
    ("Men's cotton jeans, denim", "620342", (25, 45), 0.6),
    ("Women's cotton trousers", "620462", (20, 40), 0.45),
    ("Hooded sweatshirt, cotton knit", "611020", (18, 35), 0.5),
    ("Acrylic knitted pullover", "611030", (15, 30), 0.4),
    ("Running shoes, textile upper, rubber sole", "640411", (30, 80), 0.7),
    ("Men's leather loafers", "640399", (40, 90), 0.9),
    ("Beach flip-flops, rubber", "640220", (5, 12), 0.3),
    ("Phone case, silicone, for smartphone", "392690", (3, 15), 0.05),
    ("USB-C charging cable 1 m", "854442", (3, 10), 0.05),
    ("Bluetooth earbuds, wireless, with charging case", "851830", (15, 40), 0.1),
    ("Smartwatch fitness tracker", "851762", (25, 60), 0.08),
    ("Wireless keyboard and mouse", "847160", (15, 35), 0.5),
    ("Plush teddy bear toy", "950300", (8, 20), 0.3),
    ("Building bricks set, plastic toy", "950300", (15, 45), 0.8),
    ("Paperback novel, English edition", "490199", (8, 18), 0.35),
    ("Lipstick, matte finish", "330410", (5, 15), 0.03),
    ("Face moisturising cream 50 ml", "330499", (8, 25), 0.1),
    ("Eau de toilette 50 ml", "330300", (20, 45), 0.2),
    ("Ceramic coffee mug", "691200", (5, 12), 0.35),
    ("Stainless steel water bottle", "732393", (8, 20), 0.3),
    ("Yoga mat, TPE", "950691", (12, 25), 1.0),
    ("Sterling silver necklace", "711311", (20, 60), 0.02),
    ("Fashion earrings, base metal", "711719", (3, 10), 0.01),
    ("Men's quartz wrist watch, stainless steel", "910211", (15, 45), 0.1),
    ("Canvas backpack", "420292", (15, 35), 0.6),
    ("Sunglasses, polarised, plastic frame", "900410", (8, 25), 0.05),
    ("Green tea, loose leaf, 100 g", "090210", (5, 12), 0.12),
    ("Women's handbag, polyester", "420222", (15, 40), 0.5),
    ("Knitted wool scarf", "611710", (10, 25), 0.15),
)


def _benign(b: _Builder) -> None:
    goods = _BENIGN_GOODS
    # Single-item parcels of every kind of goods, from sellers of many countries, three rounds.
    for round_ in range(3):
        for n, (description, hs_code, (low, high), mass) in enumerate(goods):
            quantity = 1 + (n + round_) % 2 if high < 40 else 1
            value = b.price(low, high) * quantity
            seller = _SELLERS[(n + round_ * 5) % len(_SELLERS)]
            dataset = ("eu-h7", "eu-h7", "wco-core")[(n + round_) % 3]
            b.add(
                f"benign:{hs_code[:2]}",
                "compliant",
                [(description, hs_code, value, quantity, round(mass * quantity, 3))],
                seller=seller,
                dataset=dataset,
                operator=("corpus-marketplace", "corpus-express")[n % 2],
            )
    # Multi-item parcels under the EUR 150 ceiling.
    for n in range(30):
        picks = [goods[(n * 7 + k * 11) % len(goods)] for k in range(2 + n % 2)]
        items = []
        for description, hs_code, (low, high), mass in picks:
            items.append((description, hs_code, b.price(low, min(high, 45)), 1, mass))
        b.add("benign:multi", "compliant", items, seller=_SELLERS[n % len(_SELLERS)])
    # Postal items (CN23) from small sellers, with the net mass the CN23 asks for.
    for n in range(15):
        description, hs_code, (low, high), mass = goods[(n * 3) % len(goods)]
        b.add(
            "benign:postal",
            "compliant",
            [(description, hs_code, b.price(low, high), 1, mass)],
            seller=_SELLERS[(n + 3) % len(_SELLERS)],
            dataset="upu-cn23",
            operator="corpus-post",
        )
    # Higher-value goods at their usual prices (full customs declaration profile).
    for n, (description, hs_code, value, mass) in enumerate(
        (
            ("Laptop 14 inch, 8 GB RAM, 256 GB SSD", "847130", 389, 1.4),
            ("Smartphone 6.5 inch, 128 GB, Android", "851713", 179, 0.2),
            ("Apple iPhone 15, 128 GB, new", "851713", 869, 0.2),
            ("Video game console, handheld", "950450", 219, 0.4),
            ("Digital camera, mirrorless", "852589", 549, 0.5),
            ("Smartphone 6.1 inch, 256 GB", "851713", 299, 0.19),
            ("Laptop 15.6 inch, 16 GB RAM", "847130", 629, 1.8),
            ("Wireless noise-cancelling headphones", "851830", 199, 0.3),
            ("Gold ring, 18 carat", "711319", 420, 0.004),
            ("Tablet computer 10 inch", "847130", 239, 0.5),
            ("Nike Air Force 1 '07 trainers", "640411", 119, 1.0),
        )
    ):
        b.add(
            "benign:high_value",
            "compliant",
            [(description, hs_code, value, 1, mass)],
            seller=_SELLERS[(n * 5 + 1) % len(_SELLERS)],
            dataset="wco-core",
            operator="corpus-express",
            tax_number=None,  # above EUR 150: IOSS does not apply, VAT is paid at import
        )
    # Gifts between private persons, returned goods and commercial samples.
    for n in range(8):
        description, hs_code, (low, high), mass = goods[(n * 4 + 2) % len(goods)]
        person = _party(f"{_FIRST[(n + 7) % 30]} {_LAST[(n + 3) % 25]}", "US", "Boston", "02108")
        b.add(
            "benign:gift",
            "compliant",
            [(description, hs_code, b.price(low, high), 1, mass)],
            seller=("x", "US", "Boston", "02108"),
            dataset="upu-cn23",
            category="gift",
            operator="corpus-post",
            sender=person,
        )
    for n in range(5):
        description, hs_code, (low, high), mass = goods[(n * 5 + 1) % len(goods)]
        b.add(
            "benign:returned",
            "compliant",
            [(f"Returned goods: {description.lower()}", hs_code, b.price(low, high), 1, mass)],
            seller=_SELLERS[n],
            dataset="wco-core",
            category="returned_goods",
            operator="corpus-express",
            tax_number=None,
        )
    for n in range(4):
        description, hs_code, (low, high), mass = goods[(n * 6 + 4) % len(goods)]
        b.add(
            "benign:commercial_sample",
            "compliant",
            [(f"Commercial sample: {description.lower()}", hs_code, b.price(low, high), 1, mass)],
            seller=_SELLERS[(n + 6) % len(_SELLERS)],
            dataset="wco-core",
            category="commercial_sample",
            operator="corpus-express",
            tax_number=None,
        )
    # Private gifts described in a word: vague, but between private persons and of little value.
    for n, (description, hs_code, value, mass) in enumerate(
        (
            ("Gift", "610910", 15, 0.2),
            ("Clothes", "620462", 25, 0.5),
            ("Personal effects", "420292", 20, 0.6),
        )
    ):
        person = _party(f"{_FIRST[(n + 11) % 30]} {_LAST[(n + 9) % 25]}", "GB", "Leeds", "LS1 4AP")
        b.add(
            "benign:vague_private_gift",
            "compliant",
            [(description, hs_code, value, 1, mass)],
            seller=("x", "GB", "Leeds", "LS1 4AP"),
            dataset="upu-cn23",
            category="gift",
            operator="corpus-post",
            sender=person,
        )
    # Hard benign cases that a rule may stop: a genuine outlet-priced wallet of a brand on the
    # luxury list, and a marketplace acting as deemed supplier whose one IOSS number covers
    # several of its sellers (the tax-scheme rule sees "another seller").
    b.add(
        "benign:brand_outlet_price",
        "compliant",
        [("Michael Kors leather wallet, outlet", "420231", 79, 1, 0.2)],
        seller=("Outlet Brands Europe Direct Ltd", "GB", "London", "E1 6AN"),
        tax_number=None,
    )
    platform_number = ioss_number(77)
    for n in range(3):
        b.add(
            "benign:deemed_supplier_shared_ioss",
            "compliant",
            [("Ceramic coffee mug", "691200", 9 + n, 1, 0.35)],
            seller=(f"Corpus Market Seller {n + 1}", "CN", "Shanghai", "200000"),
            tax_number=platform_number,
        )
    # Names close to watchlisted ones but of other parties: screening must not stop them.
    for n, name in enumerate(
        ("Shenzhen Bright Future Toys Co., Ltd.", "Golden Harvest Export GmbH", "Peter Alexandrov")
    ):
        b.add(
            "benign:near_watchlist_name",
            "compliant",
            [("Plush teddy bear toy", "950300", 14, 1, 0.3)],
            seller=(name, "CN" if n == 0 else "DE", "Shenzhen" if n == 0 else "Hamburg", "518000"),
            tax_number=None if n else True,
            dataset="wco-core",
        )
    # One consignee, two ordinary parcels a day apart that stay together under the ceiling.
    shared = b.consignee()
    for value in (35, 42):
        b.add(
            "benign:repeat_consignee",
            "compliant",
            [("Paperback novel, English edition", "490199", value, 2, 0.7)],
            seller=_SELLERS[8],
            consignee=shared,
        )


def _risky(b: _Builder) -> None:
    # Undervaluation: goods declared far below what they cost, no history needed.
    for description, hs_code, value, quantity, mass in (
        ("Apple iPhone 16 Pro, 256 GB, new", "851713", 8, 1, None),
        ("Apple iPhone 15, 128 GB", "851713", 12, 1, 0.2),
        ("Samsung Galaxy S24, 128 GB", "851713", 15, 1, 0.17),
        ("Google Pixel 9 smartphone", "851713", 10, 1, None),
        ("Smartphone 6.7 inch, 256 GB", "851713", 9, 1, 0.2),
        ("Laptop 15.6 inch, 16 GB RAM", "847130", 25, 1, 1.8),
        ("PlayStation 5 console, digital edition", "950450", 20, 1, 3.4),
        ("Nintendo Switch Lite console", "950450", 12, 1, 0.3),
        ("Women's cotton T-shirts, 50 pieces", "610910", 5, 50, 9.0),
        ("Men's leather shoes, 10 pairs", "640399", 12, 10, 8.0),
        ("Nike Air Jordan 1 Retro High OG sneakers", "640411", 19, 1, 1.1),
        ("Nike Air Force 1 '07 trainers, 2 pairs", "640399", 30, 2, 2.0),
        ("Gold ring, 18 carat", "711319", 5, 1, 0.01),
    ):
        b.add(
            "undervaluation",
            "undervaluation",
            [(description, hs_code, value, quantity, mass)],
            seller=("Quick Deal Global Store", "HK", "Hong Kong", "999077"),
            tax_number=None,
            dataset="wco-core",
        )
    # Luxury brands at give-away prices: counterfeits.
    for description, hs_code, value, mass in (
        ("Rolex Submariner men's wrist watch", "910211", 15, 0.15),
        ("Omega Seamaster automatic watch", "910221", 20, 0.15),
        ("Louis Vuitton Neverfull handbag", "420221", 25, 0.6),
        ("Gucci leather belt", "420330", 12, 0.2),
        ("Chanel No 5 eau de parfum 100 ml", "330300", 8, 0.3),
        ("Ray-Ban Aviator sunglasses", "900410", 9, 0.05),
        ("Moncler down jacket, men's", "620140", 30, 1.1),
    ):
        b.add(
            "luxury_giveaway",
            "counterfeit",
            [(description, hs_code, value, 1, mass)],
            seller=("Lucky Time Store", "CN", "Guangzhou", "510000"),
            tax_number=None,
            dataset="wco-core",
        )
    for description, hs_code, value, mass in (
        ("Replica designer handbag, leather", "420221", 35, 0.7),
        ("AAA copy watch, automatic", "910221", 45, 0.2),
        ("Knockoff designer sneakers", "640411", 25, 0.9),
    ):
        b.add(
            "counterfeit_keyword",
            "counterfeit",
            [(description, hs_code, value, 1, mass)],
            seller=("Best Mirror Goods Shop", "CN", "Putian", "351100"),
            tax_number=None,
        )
    # Prohibited and restricted goods, by keyword and by HS code.
    for description, hs_code, value, mass in (
        ("Pepper spray 50 ml, self-defence", "330790", 12, 0.1),
        ("Switchblade knife, stainless steel", "821193", 18, 0.2),
        ("CBD cannabis flowers, 10 g", "121190", 25, 0.02),
        ("Carved elephant ivory pendant", "960200", 60, 0.03),
        ("Firecrackers, assorted, 100 pieces", "360410", 20, 1.0),
    ):
        b.add(
            "prohibited_keyword",
            "prohibited",
            [(description, hs_code, value, 1, mass)],
            seller=("Global Easy Buy Trading", "CN", "Shenzhen", "518000"),
            tax_number=None,
        )
    for description, hs_code, value, mass in (
        ("Sports shooting equipment, spring powered, 4.5 mm", "930400", 85, 2.5),
        ("Decorative pyrotechnic articles", "360490", 30, 1.2),
        ("Laboratory reagent, 99% purity, 100 g", "293941", 40, 0.1),
        ("Carved ornament, natural material", "050710", 70, 0.2),
    ):
        b.add(
            "prohibited_hs",
            "prohibited",
            [(description, hs_code, value, 1, mass)],
            seller=("Far East Sundries Co., Ltd.", "CN", "Xiamen", "361000"),
            tax_number=None,
        )
    # Lithium batteries in the post.
    for description, value, mass in (
        ("Power bank 20000 mAh", 18, 0.4),
        ("Li-ion battery pack, 18650 cells", 15, 0.3),
        ("Replacement battery, lithium polymer, for drone", 22, 0.2),
        ("Batterie externe 10000 mAh", 12, 0.25),
    ):
        b.add(
            "lithium_post",
            "prohibited",
            [(description, "850760", value, 1, mass)],
            seller=("Yiwu Power Gadgets Co., Ltd.", "CN", "Yiwu", "322000"),
            dataset="upu-cn23",
            operator="corpus-post",
        )
    # Parties on the watchlist, misspelled, transliterated or by identifier.
    for seller, identifiers in (
        (("Shenzen Bright Star Trading Company Limited", "CN", "Shenzhen", "518000"), None),
        (("Alexander Petroff", "RU", "Moskva", "101000"), None),
        (("GD Export Handels GmbH", "DE", "Hamburg", "20095"),
         [{"scheme": "VAT", "value": "DE123456789"}]),
        (("Fast Lucky Watch Ltd", "HK", "Hong Kong", "999077"), None),
        (("Nordwind Handelshaus", "RU", "Sankt-Peterburg", "190000"), None),
    ):  # fmt: skip
        b.add(
            "watchlist",
            "other",
            [("Men's quartz wrist watch, stainless steel", "910211", 35, 1, 0.1)],
            seller=seller,
            identifiers=identifiers,
            tax_number=None,
            dataset="wco-core",
        )
    # Splitting: one purchase in three parcels to the same consignee, each under the ceiling. An
    # inspection of the first parcel alone finds nothing: the fraud shows from the second on.
    for group in range(2):
        consignee = b.consignee()
        for part in range(3):
            b.add(
                "splitting" if part else "benign:split_first_part",
                "other" if part else "compliant",
                [("Wireless noise-cancelling headphones", "851830", 120 + 5 * part, 1, 0.3)],
                seller=_SELLERS[1 + group],
                consignee=consignee,
                note="first parcel of a split purchase: nothing to find on its own"
                if not part
                else "",
            )
    # A tax-scheme number used by a seller it does not belong to.
    for n, victim in enumerate((_SELLERS[0], _SELLERS[4], _SELLERS[6], _SELLERS[9])):
        b.add(
            "tax_number_other_seller",
            "other",
            [("Women's cotton T-shirt, knitted", "610910", 18, 1, 0.18)],
            seller=(f"Borrowed Number Shop {n + 1}", "CN", "Dongguan", "523000"),
            tax_number=SELLER_IOSS[victim[0]],
        )
    # IOSS used above its EUR 150 ceiling.
    for description, hs_code, value, mass in (
        ("Laptop 15.6 inch, 16 GB RAM", "847130", 629, 1.8),
        ("Smartphone 6.1 inch, 256 GB", "851713", 299, 0.19),
        ("Digital camera, mirrorless", "852589", 549, 0.5),
    ):
        b.add(
            "ioss_over_ceiling",
            "other",
            [(description, hs_code, value, 1, mass)],
            seller=_SELLERS[12],
            dataset="wco-core",
            operator="corpus-express",
        )
    # Gifts sent by businesses.
    for n, (description, hs_code, value, mass) in enumerate(
        (
            ("Women's cotton T-shirt, knitted", "610910", 30, 0.4),
            ("Bluetooth earbuds, wireless", "851830", 35, 0.1),
            ("Building bricks set, plastic toy", "950300", 40, 0.8),
            ("Face moisturising cream 50 ml", "330499", 25, 0.1),
        )
    ):
        b.add(
            "gift_by_business",
            "other",
            [(description, hs_code, value, 1, mass)],
            seller=_SELLERS[(n * 3) % len(_SELLERS)],
            category="gift",
            tax_number=None,
        )
    # Goods described as one thing and classified as another (lower duty).
    for description, hs_code, value, mass in (
        ("Smartphone 128 GB, Android", "392690", 140, 0.2),
        ("Men's leather shoes", "420292", 60, 0.9),
        ("Men's automatic wrist watch", "711719", 90, 0.15),
        ("Laptop 14 inch", "392690", 140, 1.4),
    ):
        b.add(
            "misdescription",
            "misdescription",
            [(description, hs_code, value, 1, mass)],
            seller=("Speedy Cross Border Store", "CN", "Shenzhen", "518000"),
            tax_number=None,
        )
    # Origins subject to EU trade-defence duties.
    for description, hs_code, value, mass in (
        ("Electric bicycle, 250 W, 27.5 inch", "871160", 690, 22.0),
        ("Mountain bicycle, 26 inch, steel frame", "871200", 180, 15.0),
        ("Folding electric bicycle, 20 inch", "871160", 540, 19.0),
    ):
        b.add(
            "trade_defence_origin",
            "other",
            [(description, hs_code, value, 1, mass)],
            seller=_SELLERS[13],
            dataset="wco-core",
            operator="corpus-express",
            tax_number=None,
        )


def corpus() -> list[Scenario]:
    """The whole corpus, in submission order: benign traffic first, then the risks interleaved
    with more benign traffic (so sellers become known as they would on a new installation)."""
    benign = _Builder()
    _benign(benign)
    risky = _Builder()
    risky._consignees = 500
    _risky(risky)
    ordered: list[Scenario] = []
    # Renumber in one sequence so keys, LRNs and transport documents stay unique.
    mixed = benign.scenarios[:120] + risky.scenarios + benign.scenarios[120:]
    for number, scenario in enumerate(mixed, start=1):
        body = dict(scenario.body)
        body["lrn"] = f"CORPUS-{number:04d}"
        document = dict(body["transport_document"])
        if document["type"] == "postal_item":
            document["number"] = s10(41_000_000 + number, body["country_of_dispatch"])
        else:
            document["number"] = f"77{number:08d}"
        body["transport_document"] = document
        ordered.append(
            Scenario(
                f"S{number:03d}",
                scenario.kind,
                scenario.finding,
                scenario.operator,
                body,
                scenario.note,
            )
        )
    return ordered
