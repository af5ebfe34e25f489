"""Template filters that make stored values readable, in English and French."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from customs_ecom.platform.templatetags.human import label, money, number, percent, readable, when


@pytest.mark.parametrize(
    ("language", "value", "currency", "shown"),
    [
        ("en", "46.0500", "EUR", "46.05\u00a0EUR"),
        ("fr", "46.0500", "EUR", "46,05\u00a0EUR"),
        ("en", Decimal("1234567.5"), "JPY", "1,234,568\u00a0JPY"),
        ("en", "0.1235", "KWD", "0.124\u00a0KWD"),
        ("en", None, "EUR", ""),
    ],
)
def test_money_uses_the_currency_places_and_the_reader_separators(language, value, currency, shown):
    with translation.override(language):
        assert money(value, currency) == shown


@pytest.mark.parametrize(
    ("language", "rate", "shown"),
    [("en", "0.200000", "20\u00a0%"), ("fr", "0.055", "5,5\u00a0%"), ("en", None, "")],
)
def test_rates_are_percentages(language, rate, shown):
    with translation.override(language):
        assert percent(rate) == shown


def test_reconciliation_figures_are_rounded_not_raw():
    assert number(Decimal("8.80000000000000")) == "8.80"


def test_codes_become_words_and_dicts_never_show_as_reprs():
    assert label("sale_of_goods") == "Sale of goods"
    assert label("house_waybill") == "House waybill"
    assert label("some_new_code") == "Some new code"
    assert readable({"entry": 383, "amount": "19.16"}) == "Entry: 383, Amount: 19.16"
    with translation.override("fr"):
        assert label("sale_of_goods") == "Vente de marchandises"
        assert label("house_waybill") == "Lettre de transport (house)"


def test_dates_in_the_officer_time_zone_without_microseconds():
    moment = datetime(2026, 11, 25, 23, 30, 5, 123456, tzinfo=UTC)
    with timezone.override("Europe/Paris"), translation.override("fr"):
        assert when(moment) == "26/11/2026 00:30"
    with timezone.override("UTC"), translation.override("en"):
        shown = when(moment)
        assert "123456" not in shown and "11/25/2026" in shown
        assert readable("2026-11-25T23:30:05.123456Z") == shown


def test_days_and_link_kinds_in_audit_values_read_as_words_and_local_dates():
    """An operator link's audit row read "Nature: carries_for, Depuis: 2025-11-02" in French."""
    after = {"target": "example-market", "kind": "carries_for", "since": "2025-11-02"}
    with translation.override("en"):
        assert (
            readable(after)
            == "Linked operator: example-market, Kind: carries for, Since: 11/02/2025"
        )
    with translation.override("fr"):
        shown = readable(after)
        assert "transporte pour" in shown and "02/11/2025" in shown
        assert "carries_for" not in shown and "2025-11-02" not in shown
    assert readable({"reference": "2025-11-02"}) == "Reference: 2025-11-02"  # kept as written


def test_months_read_as_words_in_the_readers_language():
    from customs_ecom.platform.templatetags.human import yearmonth

    with translation.override("en"):
        assert yearmonth("2026-11") == "November 2026"
    with translation.override("fr"):
        assert yearmonth("2026-11") == "novembre 2026"
    assert yearmonth("not a month") == "not a month" and yearmonth(None) == ""


def test_audit_actions_and_keys_read_as_words_in_both_languages():
    from django.utils import translation

    from customs_ecom.platform.templatetags.human import action, readable

    assert action("ledger.payment") == "Payment recorded"
    assert action("declaration.released") == "Declaration: Released"
    assert action("case.seizure.open") == "Case opened: Seizure"
    assert action("made.up_action") == "Made up action"  # unknown: its words
    with translation.override("fr"):
        assert action("ledger.payment") == "Paiement enregistré"
        assert action("declaration.assessed") == "Déclaration : Évaluée"
        assert action("case.revaluation.close") == "Dossier clos : Réévaluation"
        assert readable({"entry": 7, "outstanding": "0.00"}) == (
            "Écriture\u00a0: 7, Reste dû\u00a0: 0,00"
        )


def test_dashboard_names_rules_by_their_title_in_the_readers_language():
    from django.utils import translation

    from customs_ecom.dashboard import _rule_title

    assert _rule_title("lithium_battery_post") == "Lithium batteries sent by post"
    assert _rule_title("retired_rule") == "retired_rule"  # a rule no longer shipped: its code
    with translation.override("fr"):
        assert _rule_title("lithium_battery_post") == "Batteries au lithium envoyées par la poste"
        assert _rule_title("random_selection") == "Sélection aléatoire"
