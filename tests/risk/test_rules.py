"""Each rule of the library: when it fires, when it stays silent, and what it tells the officer."""

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from risk.facts import PriorConsignment, consignee_key, party_key
from risk.rules import (
    DEFAULT_RULESET,
    RULES,
    compile_ruleset,
    default_ruleset,
    format_eur,
    format_eur_rate,
    validate_params,
)
from risk.watchlist import WatchlistEntry, WatchlistIndex
from tests.risk import (
    SUBMITTED_AT,
    WATCHLIST,
    hits_of,
    make_context,
    make_facts,
    make_item,
    make_party,
    make_seller,
)

# --- the library and its parameters --------------------------------------------------------------


def test_default_ruleset_json_matches_the_parameter_defaults():
    assert default_ruleset() == DEFAULT_RULESET
    assert [entry["code"] for entry in DEFAULT_RULESET] == list(RULES)


def test_every_rule_documents_itself():
    for rule in RULES.values():
        assert rule.title and len(rule.description) > 30, rule.code


@pytest.mark.parametrize(
    ("code", "params", "field"),
    [
        ("splitting", {"ceiling_eur": "-1"}, "ceiling_eur"),
        ("splitting", {"window_hours": 0}, "window_hours"),
        ("undervaluation", {"ratio": "1.5"}, "ratio"),
        ("watchlist_screening", {"roles": ["buyer"]}, "roles"),
        ("watchlist_screening", {"min_channel": "purple"}, "min_channel"),
        ("prohibited_goods_keyword", {"categories": ["weapons", "sweets"]}, "categories"),
        ("prohibited_goods_hs", {"hs_prefixes": {"93a": "arms"}}, "hs_prefixes"),
        (
            "high_risk_origin",
            {"rules": [{"hs_prefix": "8712", "countries": ["china"], "reason": "x y z"}]},
            "countries",
        ),
        ("hs_description_mismatch", {"extra_hints": {"drone": ["8806"]}}, "extra_hints"),
        ("unknown_seller", {"score": 101}, "score"),
        ("low_data_quality", {"unexpected": 1}, "unexpected"),
    ],
)
def test_validate_params_names_the_bad_field(code, params, field):
    with pytest.raises(ValueError, match=field):
        validate_params(code, params)


def test_validate_params_fills_defaults_and_is_json_ready():
    params = validate_params("splitting", {"window_hours": 48})
    assert params == {
        "score": 45,
        "min_channel": "yellow",
        "window_hours": 48,
        "ceiling_eur": "150",
        "min_consignments": 2,
    }


def test_validate_params_rejects_unknown_rule():
    with pytest.raises(ValueError, match="unknown rule code 'nope'"):
        validate_params("nope", {})


def test_compile_ruleset_skips_disabled_and_rejects_duplicates_and_unknown_codes():
    assert compile_ruleset([{"code": "splitting", "enabled": False, "params": {}}]) == ()
    with pytest.raises(ValueError, match="appears twice"):
        compile_ruleset([{"code": "splitting"}, {"code": "splitting"}])
    with pytest.raises(ValueError, match="unknown rule code"):
        compile_ruleset([{"code": "astrology"}])
    with pytest.raises(ValueError, match="ceiling_eur"):
        compile_ruleset([{"code": "splitting", "params": {"ceiling_eur": "zero"}}])


@pytest.mark.parametrize(
    ("amount", "plain", "rate"),
    [
        ("3.2", "3.20", "3.20"),
        ("210", "210.00", "210"),
        ("1234.567", "1,234.57", "1,235"),
        ("0.005", "0.01", "0.01"),
    ],
)
def test_money_formats(amount, plain, rate):
    assert format_eur(Decimal(amount)) == plain
    assert format_eur_rate(Decimal(amount)) == rate


def test_an_ordinary_parcel_hits_no_rule():
    ctx = make_context(watchlist=WatchlistIndex(WATCHLIST))
    assert [h for code in RULES for h in hits_of(code, make_facts(), ctx)] == []


# --- prohibited and restricted goods ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("description", "category", "keyword"),
    [
        ("Replica Rolex Submariner watch", "counterfeit", "replica"),
        ("Montre contrefaçon de marque", "counterfeit", "contrefacon"),
        ("Bolso falsificado de marca", "counterfeit", "falsificado"),
        ("Gefälschte Markenuhr", "counterfeit", "gefalschte"),
        ("Airsoft pistol spare magazine", "weapons", "pistol"),
        ("Munitions calibre 9mm", "weapons", "munitions"),
        ("Pfefferspray zur Selbstverteidigung", "weapons", "pfefferspray"),
        ("Arma de fuego decorativa", "weapons", "arma de fuego"),
        ("CBD cannabis flowers 10g", "drugs", "cannabis"),
        ("Hongos alucinógenos secos", "drugs", "hongos alucinogenos"),
        ("Carved elephant ivory figurine", "cites", "elephant ivory"),
        ("Bracelet en ivoire sculpté", "cites", "ivoire"),
        ("Feuerwerk Batterie 25 Schuss", "explosives", "feuerwerk"),
    ],
)
def test_prohibited_keyword_fires_in_several_languages(description, category, keyword):
    hits = hits_of("prohibited_goods_keyword", make_facts(make_item(description, "960190")))
    assert len(hits) == 1
    hit = hits[0]
    assert hit.confidential_data == {"category": category}
    assert f"'{keyword}'" in hit.explanation and "line 1" in hit.explanation
    assert hit.min_channel == "red" and hit.overridable_by_aeo is False and hit.score == 90


@pytest.mark.parametrize(
    ("description", "keyword"),
    [
        ("Airsoft рistol spare magazine", "pistol"),  # Cyrillic "р"
        ("Аirsoft ріѕtоl", "pistol"),
        ("𝐏𝐈𝐒𝐓𝐎𝐋 spare magazine", "pistol"),  # mathematical capitals
        ("Ⓟⓘⓢⓣⓞⓛ", "pistol"),
        ("pis\u200btol grip", "pistol"),
        ("CBD\u200bcannabis\u00adflowers", "cannabis"),
    ],
)
def test_prohibited_keyword_sees_through_look_alike_letters_and_invisible_characters(
    description, keyword
):
    hits = hits_of("prohibited_goods_keyword", make_facts(make_item(description, "960190")))
    assert len(hits) == 1
    assert f"'{keyword}'" in hits[0].explanation


@pytest.mark.parametrize(
    "description",
    [
        "Hot glue gun 20W",
        "Water gun toy for kids",
        "Massage gun with 6 heads",
        "Pistolet à colle chaude",
        "Ivory white wedding dress",
        "Robe couleur ivoire",
        "Fake plants for decoration",
        "Faux leather jacket",
        "Women's cotton T-shirt, knitted",
        "Imitation jewellery earrings",
    ],
)
def test_prohibited_keyword_ignores_harmless_uses(description):
    assert hits_of("prohibited_goods_keyword", make_facts(make_item(description, "960190"))) == []


def test_prohibited_keyword_accepts_extra_keywords_per_category():
    facts = make_facts(make_item("Nunchaku training set", "950691"))
    assert hits_of("prohibited_goods_keyword", facts) == []
    hits = hits_of("prohibited_goods_keyword", facts, extra_keywords={"weapons": ["Nunchaku"]})
    assert "'nunchaku'" in hits[0].explanation


def test_hs_codes_written_in_other_digits_are_read_as_the_declarations_digits():
    """Full-width and Arabic-Indic digits are digits to Python: such a code was accepted and
    never matched a declaration (which carries ASCII digits). Stored versions load the same."""
    item = make_item("Replica parts", "930120")
    hits = hits_of("prohibited_goods_hs", make_facts(item), hs_prefixes={"٩٣٠١": "arms"})
    assert len(hits) == 1 and "under 9301 (arms)" in hits[0].explanation
    bike = make_item("Electric bicycle", "871160", origin="CN")
    origin_rules = [{"hs_prefix": "８７１１", "countries": ["CN"], "reason": "bicycles"}]
    assert len(hits_of("high_risk_origin", make_facts(bike), rules=origin_rules)) == 1
    assert validate_params("lithium_battery_post", {"hs_codes": ["٨٥٠٦٥٠"]})["hs_codes"] == [
        "850650"
    ]
    chapters = validate_params("luxury_brand_low_value", {"hs_chapters": ["٩١"]})["hs_chapters"]
    assert chapters == ["91"]


@pytest.mark.parametrize(
    ("hs_code", "fires", "reason"),
    [
        ("930200", True, "revolvers and pistols"),
        ("9306300000", True, "ammunition"),
        ("360410", True, "fireworks"),
        ("050710", True, "ivory"),
        ("610910", False, None),
        ("930190", True, "military weapons"),
    ],
)
def test_prohibited_hs_code(hs_code, fires, reason):
    hits = hits_of("prohibited_goods_hs", make_facts(make_item("Item", hs_code)))
    assert bool(hits) is fires
    if fires:
        assert hs_code in hits[0].explanation and reason in hits[0].explanation
        assert hits[0].overridable_by_aeo is False


@pytest.mark.parametrize(
    ("description", "hs_code", "transport_mode", "dataset", "fires"),
    [
        ("Power bank 20000mAh", "850760", "post", "eu-h7", True),
        ("Batterie au lithium 18650", "850650", "air", "upu-cn23", True),
        ("Batería de litio para bicicleta", "850760", None, "upu-cn23", True),
        ("Lithium-Akku für Werkzeug", "850760", "post", "eu-h7", True),
        ("Rechargeable cell", "850760", "post", "eu-h7", True),
        ("Power bank 20000mAh", "850760", "air", "eu-h7", False),
        ("Wool scarf", "611710", "post", "upu-cn23", False),
        ("Phone case without battery", "392690", "post", "upu-cn23", False),
    ],
)
def test_lithium_batteries_by_post(description, hs_code, transport_mode, dataset, fires):
    facts = make_facts(
        make_item(description, hs_code), transport_mode=transport_mode, dataset=dataset
    )
    hits = hits_of("lithium_battery_post", facts)
    assert bool(hits) is fires
    if fires:
        assert "lithium batteries sent" in hits[0].explanation
        assert hits[0].min_channel == "yellow" and hits[0].overridable_by_aeo is False


@pytest.mark.parametrize(
    ("description", "hs_code", "value", "quantity", "fires"),
    [
        ("Rolex Submariner men's watch", "910211", "15.00", "1", True),
        ("Sac Louis Vuitton Neverfull", "420221", "39.90", "1", True),
        ("Ray-Ban sunglasses", "900410", "180.00", "10", True),
        ("Rolex Submariner men's watch", "910211", "8500.00", "1", False),
        ("Omega 3 fish oil capsules", "210690", "9.00", "1", False),
        ("Cotton T-shirt", "610910", "9.00", "1", False),
    ],
)
def test_luxury_brand_at_give_away_price(description, hs_code, value, quantity, fires):
    facts = make_facts(make_item(description, hs_code, value, quantity=quantity))
    hits = hits_of("luxury_brand_low_value", facts)
    assert bool(hits) is fires
    if fires:
        unit = Decimal(value) / Decimal(quantity)
        assert f"EUR {format_eur(unit)} each" in hits[0].explanation
        assert "below EUR 100.00" in hits[0].explanation


# --- valuation and splitting ---------------------------------------------------------------------


def test_undervaluation_explains_declared_rate_against_the_median():
    facts = make_facts(make_item("Smartphone 128 GB", "851713", "0.64", quantity="1", mass="0.2"))
    (hit,) = hits_of("undervaluation", facts)
    assert "declared EUR 3.20/kg; learned median for 851713 is EUR 210/kg" in hit.explanation
    assert "(2% of it)" in hit.explanation and "below 20% of the usual value" in hit.explanation
    assert hit.confidential_data == {"lowest_share_pct": "1.52"}


@pytest.mark.parametrize(
    ("hs_code", "value", "mass", "level"),
    [
        ("610910", "2.00", "0.5", "median for 610910 is EUR 60.00/kg"),
        ("610990", "2.00", "0.5", "median for 6109 is EUR 55.00/kg"),
        ("611030", "2.00", "0.5", "median for 61 is EUR 50.00/kg"),
    ],
)
def test_undervaluation_falls_back_from_hs6_to_heading_to_chapter(hs_code, value, mass, level):
    (hit,) = hits_of("undervaluation", make_facts(make_item("Sweater", hs_code, value, mass=mass)))
    assert level in hit.explanation


@pytest.mark.parametrize(
    ("value", "mass", "hs_code", "fires"),
    [
        ("24.00", "0.40", "610910", False),  # EUR 60/kg, on the median
        ("4.80", "0.40", "610910", False),  # EUR 12/kg, exactly 20%
        ("4.00", "0.40", "610910", True),  # EUR 10/kg
        ("0.00", "0.40", "610910", True),
        ("1.00", "0.40", "010121", False),  # no benchmark at any level
        ("1.00", "0.001", "610910", False),  # mass too small to judge
    ],
)
def test_undervaluation_threshold(value, mass, hs_code, fires):
    facts = make_facts(make_item("Item", hs_code, value, mass=mass))
    assert bool(hits_of("undervaluation", facts)) is fires


def test_undervaluation_uses_gross_mass_for_a_single_item_without_net_mass():
    facts = make_facts(make_item("Smartphone", "851713", "1.00", mass=None))
    (hit,) = hits_of("undervaluation", facts)
    assert "declared EUR 1.54/kg" in hit.explanation  # EUR 1 / 0.65 kg gross


def test_undervaluation_silent_without_benchmarks():
    facts = make_facts(make_item("Smartphone", "851713", "1.00"))
    assert hits_of("undervaluation", facts, make_context(value_benchmarks={})) == []


def _prior(facts, value, hours_before, declaration_id, key=None):
    return PriorConsignment(
        declaration_id,
        key or consignee_key(facts.consignee),
        Decimal(value),
        facts.submitted_at - timedelta(hours=hours_before),
    )


def test_splitting_fires_when_parcels_together_cross_the_ceiling():
    base = make_facts(make_item("Jacket", "620193", "140.00"))
    recent = (_prior(base, "145.00", 20, 1), _prior(base, "130.00", 40, 2))
    (hit,) = hits_of("splitting", make_facts(*base.items, consignee_recent=recent))
    assert "3 consignments to the same consignee within 40 hours" in hit.explanation
    assert "this one EUR 140.00 and EUR 130.00, EUR 145.00" in hit.explanation
    assert "together EUR 415.00, above the EUR 150.00 ceiling" in hit.explanation
    assert hit.confidential_data["declaration_ids"] == [2, 1]


@pytest.mark.parametrize(
    ("priors", "this_value", "params", "fires"),
    [
        ([("100.00", 10)], "60.00", {}, True),
        ([("50.00", 10)], "60.00", {}, False),  # together under the ceiling
        ([("100.00", 100)], "60.00", {}, False),  # outside the 72 h window
        ([("100.00", 100)], "60.00", {"window_hours": 120}, True),
        ([("400.00", 10)], "60.00", {}, False),  # the other one is above the ceiling anyway
        ([("100.00", 10)], "160.00", {}, False),  # this one is above the ceiling anyway
        ([("100.00", 10)], "60.00", {"min_consignments": 3}, False),
        ([("100.00", 10)], "60.00", {"ceiling_eur": "200"}, False),
    ],
)
def test_splitting_conditions(priors, this_value, params, fires):
    base = make_facts(make_item("Jacket", "620193", this_value))
    recent = tuple(_prior(base, v, h, n) for n, (v, h) in enumerate(priors, start=1))
    facts = make_facts(*base.items, consignee_recent=recent)
    assert bool(hits_of("splitting", facts, **params)) is fires


def test_splitting_ignores_other_consignees_and_the_declaration_itself():
    base = make_facts(make_item("Jacket", "620193", "100.00"))
    recent = (
        _prior(base, "100.00", 5, 1, key="someone else|x|1|FR"),
        _prior(base, "100.00", 0, base.declaration_id),
    )
    assert hits_of("splitting", make_facts(*base.items, consignee_recent=recent)) == []


def test_consignee_key_ignores_case_accents_punctuation_and_word_order():
    one = make_party("DUPONT Marie", street="3, Rue des Lilas", postcode="69 003")
    other = make_party("Marie Dupont", street="3 rue des lilas", postcode="69003")
    assert consignee_key(one) == consignee_key(other)
    assert consignee_key(one) != consignee_key(make_party("Marie Dupont", street="5 rue des Lilas"))


# --- parties ------------------------------------------------------------------------------------


def test_watchlist_screening_hits_each_role_with_an_explanation():
    ctx = make_context(watchlist=WatchlistIndex(WATCHLIST))
    facts = make_facts(
        seller=make_seller("Shenzen Brigth Star Trading Company"),
        consignee=make_party("Aleksandr Petrov", country="RU"),
    )
    hits = hits_of("watchlist_screening", facts, ctx)
    assert {h.confidential_data["entry_id"] for h in hits} == {"WL-1", "WL-2"}
    seller_hit = next(h for h in hits if h.confidential_data["role"] == "seller")
    assert seller_hit.explanation.startswith("seller 'Shenzen Brigth Star Trading Company' matches")
    assert "WL-1" in seller_hit.explanation and "score" in seller_hit.explanation
    assert all(h.min_channel == "red" and not h.overridable_by_aeo for h in hits)


def test_watchlist_screening_matches_identifiers_and_screens_the_sender_once():
    ctx = make_context(watchlist=WatchlistIndex(WATCHLIST))
    seller = make_seller("Unrelated Name Ltd", identifiers=(("VAT", "DE123456789"),))
    hits = hits_of("watchlist_screening", make_facts(seller=seller, sender=seller), ctx)
    assert len(hits) == 1
    assert "identifier DE123456789 is listed for watchlist entry WL-3" in hits[0].explanation


def test_watchlist_false_positive_stops_firing_for_that_party_only():
    ctx = make_context(watchlist=WatchlistIndex(WATCHLIST))
    facts = make_facts(seller=make_seller("Shenzhen Bright Star Trading"))
    assert len(hits_of("watchlist_screening", facts, ctx)) == 1
    cleared = make_context(
        watchlist=ctx.watchlist, false_positives=frozenset({("WL-1", party_key(facts.seller))})
    )
    assert hits_of("watchlist_screening", facts, cleared) == []
    other_party = make_facts(seller=make_seller("Shenzhen Bright Star Trading", country="HK"))
    assert len(hits_of("watchlist_screening", other_party, cleared)) == 1


def test_a_cleared_name_does_not_clear_the_listed_identifier():
    """The clearance said this name is not the listed party; a consignment under the same name
    carrying the entry's own identifier is the listed party after all."""
    ctx = make_context(watchlist=WatchlistIndex(WATCHLIST))
    named = make_facts(seller=make_seller("Golden Dragon Export", identifiers=()))
    assert len(hits_of("watchlist_screening", named, ctx)) == 1
    cleared = make_context(
        watchlist=ctx.watchlist, false_positives=frozenset({("WL-3", party_key(named.seller))})
    )
    assert hits_of("watchlist_screening", named, cleared) == []
    with_identifier = make_facts(
        seller=make_seller("Golden Dragon Export", identifiers=(("VAT", "DE123456789"),))
    )
    hits = hits_of("watchlist_screening", with_identifier, cleared)
    assert len(hits) == 1
    assert "identifier DE123456789 is listed for watchlist entry WL-3" in hits[0].explanation


def test_watchlist_screening_roles_are_configurable():
    ctx = make_context(watchlist=WatchlistIndex(WATCHLIST))
    facts = make_facts(consignee=make_party("Alexander Petroff"))
    assert hits_of("watchlist_screening", facts, ctx, roles=["seller"]) == []
    assert len(hits_of("watchlist_screening", facts, ctx)) == 1


@pytest.mark.parametrize(
    ("overrides", "context", "fragment"),
    [
        (
            {"total_value_eur": Decimal("180.00")},
            {},
            "IOSS number IM2500000015 used for a consignment of EUR 180.00, above the IOSS "
            "ceiling of EUR 150.00",
        ),
        (
            {"tax_scheme_number": "IM2509999999"},
            {"known_tax_numbers": {}},
            "IOSS number IM2509999999 is not in the register of valid numbers",
        ),
        (
            {"seller": make_seller("Another Shop Ltd")},
            {},
            "IOSS number IM2500000015 belongs to 1 other seller(s), not to 'Another Shop Ltd' (CN)",
        ),
    ],
)
def test_tax_scheme_misuse(overrides, context, fragment):
    hits = hits_of("tax_scheme_misuse", make_facts(**overrides), make_context(**context))
    assert len(hits) == 1
    assert fragment in hits[0].explanation


@pytest.mark.parametrize(
    ("overrides", "context"),
    [
        ({}, {}),
        ({"tax_scheme_number": None, "total_value_eur": Decimal("500")}, {}),
        ({"tax_scheme": "VOEC", "total_value_eur": Decimal("200")}, {}),
        ({"tax_scheme_number": "IM2509999999"}, {"valid_tax_numbers": None}),
    ],
)
def test_tax_scheme_misuse_silent(overrides, context):
    assert hits_of("tax_scheme_misuse", make_facts(**overrides), make_context(**context)) == []


@pytest.mark.parametrize(
    ("sender", "fires", "evidence"),
    [
        (make_party("Jean Martin", country="US"), False, None),
        (make_party("Jean Martin", is_business=True), True, "is registered as a business"),
        (
            make_party(
                "Jean Martin",
                identifiers=(
                    (
                        "EORI",
                        "GB123",
                    ),
                ),
            ),
            True,
            "has EORI number GB123",
        ),
        (make_party("Happy Gadgets Store"), True, "has a commercial name ('store')"),
        (make_party("Müller Handel GmbH"), True, "has a commercial name ('gmbh', 'handel')"),
    ],
)
def test_gift_by_business(sender, fires, evidence):
    facts = make_facts(category="gift", seller=None, sender=sender)
    hits = hits_of("gift_by_business", facts)
    assert bool(hits) is fires
    if fires:
        assert evidence in hits[0].explanation
        assert hits[0].explanation.startswith(f"declared as a gift, but the sender '{sender.name}'")


def test_gift_rule_ignores_sales():
    assert hits_of("gift_by_business", make_facts(category="sale_of_goods")) == []


@pytest.mark.parametrize(("prior", "fires"), [(0, True), (2, True), (3, False), (400, False)])
def test_unknown_seller(prior, fires):
    hits = hits_of("unknown_seller", make_facts(seller_prior_count=prior))
    assert bool(hits) is fires
    if fires:
        assert f"has {prior} earlier consignment(s), fewer than 3" in hits[0].explanation


# --- descriptions and data quality ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("description", "fires"),
    [
        ("Gift", True),
        ("clothes and accessories", True),
        ("Spare parts", True),
        ("Cadeau", True),
        ("Ropa y accesorios", True),
        ("Geschenk", True),
        ("2 pcs goods", True),
        ("Women's cotton T-shirt, knitted", False),
        ("Spare parts for Bosch dishwasher", False),
        ("Gift box of green tea", False),
    ],
)
def test_vague_description(description, fires):
    hits = hits_of("vague_description", make_facts(make_item(description)))
    assert bool(hits) is fires
    if fires:
        assert f"line 1 '{description}'" in hits[0].explanation


@pytest.mark.parametrize(("dq", "fires"), [(10, True), (49, True), (50, False), (None, False)])
def test_low_data_quality(dq, fires):
    hits = hits_of("low_data_quality", make_facts(dq_score=dq))
    assert bool(hits) is fires
    if fires:
        assert f"data-quality score {dq}/100 is below the minimum of 50" in hits[0].explanation


@pytest.mark.parametrize(
    ("description", "hs_code", "fires"),
    [
        ("Smartphone 128 GB", "851713", False),
        ("Smartphone 128 GB", "392690", True),
        ("Phone case, silicone, for smartphone", "392690", False),
        ("Women's cotton T-shirt", "610910", False),
        ("Women's cotton T-shirt", "490199", True),
        ("Running shoes", "640411", False),
        ("Chaussures de sport", "950300", True),
        ("Men's wrist watch", "910211", False),
        ("Men's wrist watch", "610910", True),
        ("Watch strap, leather", "420330", False),
        ("Toy phone for toddlers", "950300", False),
        ("Libro de cocina", "490199", False),
        ("Libro de cocina", "850760", True),
        ("Lipstick, matte", "330410", False),
        ("Plastic storage bin", "392490", False),
    ],
)
def test_hs_description_mismatch(description, hs_code, fires):
    hits = hits_of("hs_description_mismatch", make_facts(make_item(description, hs_code)))
    assert bool(hits) is fires
    if fires:
        assert f"declared under HS {hs_code} (chapter {hs_code[:2]})" in hits[0].explanation


def test_hs_description_mismatch_points_to_the_expected_chapter():
    facts = make_facts(make_item("Smartphone 128 GB", "392690"))
    (hit,) = hits_of("hs_description_mismatch", facts)
    assert "'smartphone' points to chapter 85" in hit.explanation


@pytest.mark.parametrize(
    ("hs_code", "origin", "dispatch", "fires"),
    [
        ("871160", "CN", "CN", True),
        ("871160", None, "CN", True),
        ("871160", "TW", "CN", False),
        ("871200", "CN", "CN", True),
        ("610910", "CN", "CN", False),
    ],
)
def test_high_risk_origin(hs_code, origin, dispatch, fires):
    facts = make_facts(
        make_item("Electric bicycle", hs_code, origin=origin), country_of_dispatch=dispatch
    )
    hits = hits_of("high_risk_origin", facts)
    assert bool(hits) is fires
    if fires:
        assert f"(HS {hs_code}) originates in CN: EU anti-dumping" in hits[0].explanation


def test_high_risk_origin_rules_are_parameters():
    facts = make_facts(make_item("Honey", "040900", origin="XK"))
    rules = [{"hs_prefix": "0409", "countries": ["XK"], "reason": "residue alert on honey"}]
    (hit,) = hits_of("high_risk_origin", facts, rules=rules)
    assert "originates in XK: residue alert on honey" in hit.explanation


# --- properties -----------------------------------------------------------------------------------

_descriptions = st.text(min_size=3, max_size=80)


@given(
    description=_descriptions,
    value=st.decimals("0", "5000", places=2),
    mass=st.decimals("0.01", "50", places=2),
)
def test_rules_never_fail_and_explain_every_hit(description, value, mass):
    facts = make_facts(
        make_item(description, "851713", str(value), mass=str(mass)),
        transport_mode="post",
        category="gift",
        seller_prior_count=0,
    )
    ctx = make_context(watchlist=WatchlistIndex(WATCHLIST))
    for code in RULES:
        for hit in hits_of(code, facts, ctx):
            assert hit.rule_code == code
            assert 0 <= hit.score <= 100 and len(hit.explanation) > 10


def test_rules_do_not_mutate_inputs():
    ctx = make_context(watchlist=WatchlistIndex([WatchlistEntry("X", "Marie Dupont")]))
    facts = make_facts(consignee_recent=(_prior(make_facts(), "120", 3, 9),))
    snapshot = (facts, dict(ctx.value_benchmarks), SUBMITTED_AT)
    first = [hits_of(code, facts, ctx) for code in RULES]
    assert [hits_of(code, facts, ctx) for code in RULES] == first
    assert (facts, dict(ctx.value_benchmarks), SUBMITTED_AT) == snapshot
