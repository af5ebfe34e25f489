"""Reference values: undervaluation targeted from the first day, without history (pure engine),
and the calibration that makes single strong signals at least yellow on their own."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from risk.channels import ChannelPolicy, evaluate
from risk.reference import (
    ReferenceBook,
    ReferenceValue,
    parse_reference_csv,
    shipped_reference_values,
)
from risk.rules import RULES, default_ruleset
from tests.risk import hits_of, make_context, make_facts, make_item, make_seller

BOOK = ReferenceBook(shipped_reference_values())


def fresh(**overrides):
    """A new installation: no learned medians at all, only the shipped reference table."""
    overrides.setdefault("value_benchmarks", {})
    return make_context(reference=BOOK, **overrides)


def test_flagship_smartphone_at_eur_8_is_held_on_a_new_installation_by_its_list_price():
    facts = make_facts(
        make_item("Apple iPhone 16 Pro 256GB, new", "851713", "8.00", quantity="1", mass=None)
    )
    (hit,) = hits_of("undervaluation", facts, fresh())
    assert "reference value for 'iphone 16' is EUR 869 each" in hit.explanation
    assert "Apple France list price" in hit.explanation and "2026-03-03" in hit.explanation
    outcome = evaluate(facts, default_ruleset(), fresh(), ChannelPolicy(random_rates={}))
    assert outcome.channel in ("yellow", "red")


def test_any_smartphone_far_below_the_usual_unit_value_is_flagged_per_unit():
    (hit,) = hits_of(
        "undervaluation",
        make_facts(
            make_item("Smartphone 6.5 inch 128GB", "851713", "9.00", quantity="1", mass="0.2")
        ),
        fresh(),
    )
    assert "reference value for HS 851713 is EUR 90.00 each" in hit.explanation


def test_ordinary_budget_smartphone_is_not_flagged():
    facts = make_facts(
        make_item("Smartphone 6.5 inch 64GB", "851713", "79.00", quantity="1", mass="0.2")
    )
    assert hits_of("undervaluation", facts, fresh()) == []


def test_per_kg_reference_answers_when_no_learned_median_is_trusted():
    facts = make_facts(
        make_item("Women's cotton T-shirt", "610910", "0.50", quantity="2", mass="0.4")
    )
    few = {"610910": Decimal("60"), "6109": Decimal("55"), "61": Decimal("50")}
    ctx = fresh(value_benchmarks=few, value_benchmark_samples={"610910": 3, "6109": 5, "61": 8})
    (hit,) = hits_of("undervaluation", facts, ctx)
    assert "reference value for 610910 is EUR 15.00/kg" in hit.explanation
    assert "no trusted learned median" in hit.explanation
    assert "Eurostat Comext" in hit.explanation


def test_trusted_learned_median_is_preferred_and_named_as_learned():
    facts = make_facts(
        make_item("Women's cotton T-shirt", "610910", "0.50", quantity="2", mass="0.4")
    )
    ctx = fresh(value_benchmarks={"610910": Decimal("60")}, value_benchmark_samples={"610910": 20})
    (hit,) = hits_of("undervaluation", facts, ctx)
    assert (
        "learned median of 20 accepted declarations for 610910 is EUR 60.00/kg" in hit.explanation
    )
    assert "reference" not in hit.explanation


def test_reference_can_be_switched_off_by_the_analyst():
    facts = make_facts(make_item("Apple iPhone 16", "851713", "8.00", quantity="1", mass=None))
    assert hits_of("undervaluation", facts, fresh(), use_reference=False) == []


def test_luxury_watch_at_a_give_away_price_is_at_least_yellow_on_its_own():
    facts = make_facts(
        make_item("Men's wrist watch Rolex style", "910211", "15.00", quantity="1", mass="0.15"),
        seller=make_seller("Time Store"),
    )
    ctx = make_context(value_benchmarks={})  # no history and no reference: only the brand rule
    ruleset = [r for r in default_ruleset() if r["code"] == "luxury_brand_low_value"]
    outcome = evaluate(facts, ruleset, ctx, ChannelPolicy(random_rates={}))
    assert [h.rule_code for h in outcome.hits] == ["luxury_brand_low_value"]
    assert outcome.channel == "yellow"


@pytest.mark.parametrize(
    "code",
    [
        "prohibited_goods_keyword",
        "prohibited_goods_hs",
        "watchlist_screening",
        "luxury_brand_low_value",
    ],
)
def test_strong_signals_state_a_minimum_channel_of_at_least_yellow(code):
    params = RULES[code].params_model()
    assert params.min_channel in ("yellow", "red")


def test_every_rule_states_its_minimum_channel():
    for entry in default_ruleset():
        assert entry["params"]["min_channel"] in ("green", "blue", "yellow", "red"), entry["code"]


def test_reference_file_errors_name_row_and_column():
    text = (
        "hs_code,basis,keywords,value_eur,source,as_of,note\n"
        "61091,per_kg,,15,Comext,2023-12-31,\n"
        "610910,per_box,,15,Comext,2023-12-31,\n"
        "610910,per_kg,,-3,Comext,2023-12-31,\n"
        "610910,per_kg,,3,,2023-12-31,\n"
        "610910,per_kg,,3,Comext,31/12/2023,\n"
        "610910,per_kg,tee,3,Comext,2023-12-31,\n"
        # Beyond what the table holds (euro and cents under 10^12): SQLite stored such a value
        # and every later read of the table, every assessment, failed.
        "610910,per_kg,,1e20,Comext,2023-12-31,\n"
        "610910,per_kg,,0.001,Comext,2023-12-31,\n"
        # Digits of another script are digits to Python, never to an HS code on a declaration.
        "٦١٠٩١٠,per_kg,,3,Comext,2023-12-31,\n"
    )
    parsed = parse_reference_csv(text)
    assert [(row, column) for row, column, _ in parsed.errors] == [
        (2, "hs_code"),
        (3, "basis"),
        (4, "value_eur"),
        (5, "source"),
        (6, "as_of"),
        (7, "keywords"),
        (8, "value_eur"),
        (9, "value_eur"),
        (10, "hs_code"),
    ]
    assert (
        parse_reference_csv(
            "hs_code,basis,keywords,value_eur,source,as_of,note\n"
            "610910,per_kg,,999999999999.990,Comext,2023-12-31,\n"
        ).errors
        == []
    )


def test_shipped_reference_rows_each_carry_source_and_date():
    rows = shipped_reference_values()
    assert len(rows) >= 40
    assert {r.basis for r in rows} == {"per_kg", "per_unit"}
    assert all(r.source and r.as_of > date(2018, 1, 1) for r in rows)


def test_named_model_rows_are_tried_before_the_generic_row():
    book = ReferenceBook(
        [
            ReferenceValue("851713", "per_unit", Decimal("90"), "stats", date(2023, 12, 31)),
            ReferenceValue(
                "851713", "per_unit", Decimal("969"), "list", date(2024, 9, 9), ("iphone 16",)
            ),
        ]
    )
    assert book.per_unit("851713", "iPhone 16")[0].value_eur == Decimal("969")
    assert book.per_unit("851713", "Android phone")[0].value_eur == Decimal("90")


@pytest.mark.usefixtures("csv_default_field_limit")
def test_a_cell_too_long_to_read_is_an_error_by_line_not_a_crash():
    """A cell over the csv module's limit (128 KiB) raised out of the parser: a 500 on the page."""
    header = "hs_code,basis,keywords,value_eur,source,as_of,note\n"
    good = "610910,per_kg,,3,Comext,2023-12-31,\n"
    parsed = parse_reference_csv(header + good + '610910,per_kg,,3,"' + "x" * 200_000 + '"\n')
    assert [(row, column) for row, column, _ in parsed.errors] == [(3, "")]
    assert "cannot be read" in parsed.errors[0][2]
    parsed = parse_reference_csv('"' + "x" * 200_000 + '"\n' + good)
    assert [(row, column) for row, column, _ in parsed.errors] == [(1, "")]


@pytest.mark.usefixtures("csv_default_field_limit")
@pytest.mark.django_db
def test_a_watchlist_cell_too_long_to_read_is_an_error_by_line_not_a_crash():
    from risk.models import WatchlistEntry
    from risk.services.watchlists import watchlist_import_csv

    text = 'name,country\nJohn Smith,GB\n"' + "x" * 200_000 + '",GB\n'
    result = watchlist_import_csv(text=text, actor="command:test")
    assert [(row, column) for row, column, _ in result.errors] == [(3, "")]
    assert not WatchlistEntry.objects.exists()  # all or nothing
    result = watchlist_import_csv(text='"' + "x" * 200_000 + '"\n', actor="command:test")
    assert [(row, column) for row, column, _ in result.errors] == [(1, "")]
