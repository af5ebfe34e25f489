"""Realistic fraud patterns run through the default rule set and channel policy end to end:
each is caught with explanations an officer can act on, while ordinary parcels go green."""

from datetime import timedelta
from decimal import Decimal

import pytest

from risk.channels import ChannelPolicy, Outcome, evaluate
from risk.facts import PriorConsignment, consignee_key
from risk.rules import DEFAULT_RULESET
from risk.watchlist import WatchlistIndex
from tests.risk import (
    SUBMITTED_AT,
    WATCHLIST,
    make_context,
    make_facts,
    make_item,
    make_party,
    make_seller,
)

# No random floor here: each scenario must be caught (or released) on its merits.
POLICY = ChannelPolicy(random_rates={"yellow": 0.0, "red": 0.0})


@pytest.fixture(scope="module")
def ctx():
    return make_context(watchlist=WatchlistIndex(WATCHLIST))


def assess(facts, ctx) -> Outcome:
    return evaluate(facts, DEFAULT_RULESET, ctx, POLICY)


def codes(outcome: Outcome) -> set[str]:
    return {hit.rule_code for hit in outcome.hits}


@pytest.mark.parametrize(
    "items",
    [
        (make_item(),),
        (
            make_item("Women's cotton T-shirt, knitted", "610910", "24.00"),
            make_item(
                "Phone case, silicone, for smartphone", "392690", "15.80", line=2, mass="0.1"
            ),
        ),
        (make_item("Running shoes, textile upper", "640411", "59.00", quantity="1", mass="0.8"),),
        (make_item("Libro de cocina, tapa dura", "490199", "18.00", quantity="1", mass="0.6"),),
        (make_item("Lippenstift, matt", "330410", "12.00", quantity="1", mass="0.05"),),
    ],
)
def test_ordinary_parcels_go_green(ctx, items):
    outcome = assess(make_facts(*items), ctx)
    assert (outcome.channel, outcome.score, outcome.hits) == ("green", 0, ())


def test_ordinary_gift_between_relatives_goes_green(ctx):
    facts = make_facts(
        make_item("Hand-knitted wool scarf", "611710", "30.00", quantity="1", mass="0.2"),
        category="gift",
        dataset="upu-cn23",
        transport_mode="post",
        seller=None,
        sender=make_party("Anna Kowalska", street="ul. Lipowa 5", city="Krakow", country="US"),
        tax_scheme=None,
        tax_scheme_number=None,
        seller_prior_count=0,
    )
    assert assess(facts, ctx).channel == "green"


def test_branded_watch_declared_at_eur_15(ctx):
    facts = make_facts(
        make_item(
            "Rolex Submariner men's wrist watch", "910211", "15.00", quantity="1", mass="0.15"
        ),
        seller=make_seller("Lucky Time Store", country="HK"),
        seller_prior_count=1,
        tax_scheme_number=None,
    )
    outcome = assess(facts, ctx)
    assert outcome.channel == "red"
    assert {"luxury_brand_low_value", "undervaluation"} <= codes(outcome)
    text = " ".join(h.explanation for h in outcome.hits)
    assert "declared EUR 100/kg; learned median for 910211 is EUR 1,500/kg" in text
    assert "'rolex' at EUR 15.00 each" in text


def test_five_parcels_to_one_consignee_in_two_days_each_just_under_the_ceiling(ctx):
    consignee = make_party(
        "Jean-Luc Moreau", street="18 avenue Foch", city="Paris", postcode="75016"
    )
    key = consignee_key(make_party("MOREAU Jean Luc", street="18, Avenue Foch", postcode="75 016"))
    values = ("149.00", "145.50", "148.90", "147.00")
    recent = tuple(
        PriorConsignment(500 + n, key, Decimal(v), SUBMITTED_AT - timedelta(hours=12 * (n + 1)))
        for n, v in enumerate(values)
    )
    facts = make_facts(
        make_item("Wireless earbuds", "851830", "149.50", quantity="1", mass="0.1"),
        consignee=consignee,
        consignee_recent=recent,
    )
    outcome = assess(facts, ctx)
    assert outcome.channel == "yellow"
    (hit,) = [h for h in outcome.hits if h.rule_code == "splitting"]
    assert "5 consignments to the same consignee within 48 hours" in hit.explanation
    assert "together EUR 739.90, above the EUR 150.00 ceiling" in hit.explanation


@pytest.mark.parametrize(
    ("description", "dataset", "transport_mode"),
    [
        ("Lithium battery pack 18650, 3.7V", "upu-cn23", None),
        ("Batterie externe power bank 10000 mAh", "eu-h7", "post"),
    ],
)
def test_lithium_batteries_by_post(ctx, description, dataset, transport_mode):
    facts = make_facts(
        make_item(description, "850760", "22.00", quantity="1", mass="0.3"),
        dataset=dataset,
        transport_mode=transport_mode,
    )
    outcome = assess(facts, ctx)
    assert outcome.channel in ("yellow", "red")
    assert "lithium_battery_post" in codes(outcome)


def test_gift_sent_by_a_company(ctx):
    facts = make_facts(
        make_item("Bluetooth speaker", "851822", "35.00", quantity="1", mass="0.5"),
        category="gift",
        dataset="upu-cn23",
        transport_mode="post",
        seller=None,
        sender=make_seller(
            "Guangzhou Sunny Electronics Co., Ltd.", is_business=False, identifiers=()
        ),  # fmt: skip
        tax_scheme=None,
        tax_scheme_number=None,
    )
    outcome = assess(facts, ctx)
    assert outcome.channel == "yellow"
    (hit,) = [h for h in outcome.hits if h.rule_code == "gift_by_business"]
    assert (
        "the sender 'Guangzhou Sunny Electronics Co., Ltd.' has a commercial name"
        in hit.explanation
    )


def test_watchlisted_seller_with_a_spelling_variation(ctx):
    facts = make_facts(seller=make_seller("Shenzen Brigth Star Trading Company Limited"))
    outcome = assess(facts, ctx)
    assert outcome.channel == "red"
    (hit,) = [h for h in outcome.hits if h.rule_code == "watchlist_screening"]
    assert "watchlist entry WL-1 'Shenzhen Bright Star Trading Co., Ltd.'" in hit.explanation


@pytest.mark.parametrize(
    ("facts_overrides", "code"),
    [
        ({"seller": make_seller("Shenzen Brigth Star Trading")}, "watchlist_screening"),
        ({"items": (make_item("Replica designer handbag", "420221"),)}, "prohibited_goods_keyword"),
        ({"items": (make_item("Starter pistol", "930200"),)}, "prohibited_goods_hs"),
    ],
)
def test_aeo_status_never_cancels_watchlist_or_prohibited_goods(ctx, facts_overrides, code):
    plain = assess(make_facts(**facts_overrides), ctx)
    aeo = assess(make_facts(operator_is_aeo=True, **facts_overrides), ctx)
    assert code in codes(aeo)
    assert plain.channel == aeo.channel == "red"
    assert aeo.score >= 80


def test_aeo_status_softens_ordinary_risk_signals(ctx):
    overrides = {
        "items": (make_item("Men's wrist watch", "910211", "25.00", quantity="1", mass="0.15"),),
        "seller_prior_count": 0,
    }
    plain = assess(make_facts(**overrides), ctx)
    aeo = assess(make_facts(operator_is_aeo=True, **overrides), ctx)
    assert (plain.score, plain.channel) == (50, "yellow")  # undervaluation 40 + unknown seller 10
    assert (aeo.score, aeo.channel) == (25, "blue")


def test_ioss_number_borrowed_from_another_seller(ctx):
    facts = make_facts(seller=make_seller("Quick Deals Online Shop"))
    outcome = assess(facts, ctx)
    assert "tax_scheme_misuse" in codes(outcome)
    assert outcome.channel == "yellow"


def test_misdescribed_phone_under_plastics(ctx):
    facts = make_facts(
        make_item("Smartphone 256GB unlocked", "392690", "12.00", quantity="1", mass="0.2")
    )
    outcome = assess(facts, ctx)
    assert "hs_description_mismatch" in codes(outcome)
    assert outcome.channel != "green"
