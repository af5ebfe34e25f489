"""Regimes are dated data: the shipped fixtures, their validity periods and their validation."""

import json
from datetime import date, timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest

import revenue
from revenue.regimes import (
    RegimeSpec,
    check_no_overlaps,
    load_regimes,
    load_shipped_regimes,
    longest_prefix_match,
    regime_for,
)

SHIPPED = load_shipped_regimes()
BY_CODE = {regime.code: regime for regime in SHIPPED}
FIXTURE = Path(revenue.__file__).parent / "data" / "regimes.json"


EU_MEMBERS = {
    "AT",
    "BE",
    "BG",
    "HR",
    "CY",
    "CZ",
    "DK",
    "EE",
    "FI",
    "FR",
    "DE",
    "GR",
    "HU",
    "IE",
    "IT",
    "LV",
    "LT",
    "LU",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SK",
    "SI",
    "ES",
    "SE",
}


def test_every_regime_of_the_issue_is_shipped():
    assert {
        "EU-FR-2021",
        "EU-FR-2026",
        "GB-2021",
        "NO-VOEC-2024",
        "AU-2018",
        "US-2016",
        "US-2025",
        "US-2026",
        "US-2026-10",
        "US-2027",
        "CH-2024",
        "NZ-2019",
        "CA-2020",
    } <= set(BY_CODE)
    jurisdictions = {regime.jurisdiction for regime in SHIPPED}
    assert EU_MEMBERS | {"GB", "NO", "CH", "AU", "NZ", "CA", "US"} == jurisdictions


@pytest.mark.parametrize("member", sorted(EU_MEMBERS))
def test_every_member_state_has_both_eu_rules_without_a_gap(member):
    periods = sorted(
        (regime for regime in SHIPPED if regime.jurisdiction == member),
        key=lambda regime: regime.valid_from,
    )
    assert periods[0].valid_from == date(2021, 7, 1)
    # Open-ended: the VAT rules do not end; only the flat duty ends on 30 June 2028.
    assert periods[-1].valid_to is None
    for earlier, later in zip(periods, periods[1:], strict=False):
        assert later.valid_from - earlier.valid_to == timedelta(days=1)
    assert regime_for(SHIPPED, member, date(2026, 6, 30)).flat_duty_per_hs6 is None
    assert regime_for(SHIPPED, member, date(2026, 7, 1)).flat_duty_per_hs6 == D("3.00")
    assert regime_for(SHIPPED, member, date(2028, 6, 30)).flat_duty_per_hs6 == D("3.00")
    after = regime_for(SHIPPED, member, date(2028, 7, 1))
    assert after.code == f"EU-{member}-2028-07"
    assert (after.flat_duty_per_hs6, after.duty_threshold) == (None, None)
    assert all(regime.timezone.startswith(("Europe/", "Asia/Nicosia")) for regime in periods)
    assert all(regime.legal_ref("vat") for regime in periods)


@pytest.mark.parametrize(
    ("member", "on", "standard"),
    [
        ("DE", date(2026, 11, 25), D("0.19")),
        ("IE", date(2026, 11, 25), D("0.23")),
        ("HU", date(2026, 11, 25), D("0.27")),
        ("LU", date(2023, 6, 1), D("0.16")),
        ("LU", date(2024, 1, 1), D("0.17")),
        ("EE", date(2025, 6, 30), D("0.22")),
        ("EE", date(2025, 7, 1), D("0.24")),
        ("FI", date(2024, 9, 1), D("0.255")),
        ("SK", date(2025, 1, 1), D("0.23")),
        ("RO", date(2025, 8, 1), D("0.21")),
    ],
)
def test_member_state_standard_rates_follow_their_dated_changes(member, on, standard):
    assert regime_for(SHIPPED, member, on).vat_standard_rate == standard


@pytest.mark.parametrize(
    ("code", "currency", "duty_threshold", "tax_threshold", "scope", "schemes"),
    [
        ("EU-FR-2021", "EUR", D("150"), None, "consignment", {"IOSS": D("150")}),
        ("EU-FR-2026", "EUR", None, None, "consignment", {"IOSS": D("150")}),
        ("GB-2021", "GBP", D("135"), D("135"), "consignment", {"UK_VAT": D("135")}),
        ("NO-VOEC-2024", "NOK", None, None, "item", {"VOEC": D("3000")}),
        ("AU-2018", "AUD", D("1000"), D("1000"), "consignment", {"AU_GST": D("1000")}),
        ("US-2016", "USD", D("800"), None, "consignee_day", {}),
        ("US-2025", "USD", None, None, "consignment", {}),
    ],
)
def test_shipped_thresholds(code, currency, duty_threshold, tax_threshold, scope, schemes):
    regime = BY_CODE[code]
    assert regime.currency == currency
    assert regime.duty_threshold == duty_threshold
    assert regime.tax_threshold == tax_threshold
    assert regime.threshold_scope == scope
    assert regime.vendor_schemes == schemes


def test_eu_2026_flat_duty_figures():
    regime = BY_CODE["EU-FR-2026"]
    assert (regime.flat_duty_per_hs6, regime.flat_duty_max_value) == (D("3.00"), D("150"))
    # France's 2026 version ends with its small-parcel tax; the EU rules go on in EU-FR-2027.
    assert (regime.valid_from, regime.valid_to) == (date(2026, 7, 1), date(2026, 12, 31))
    following = BY_CODE["EU-FR-2027"]
    assert (following.flat_duty_per_hs6, following.national_fees) == (D("3.00"), ())
    assert (following.valid_from, following.valid_to) == (date(2027, 1, 1), date(2028, 6, 30))
    assert BY_CODE["EU-DE-2026"].valid_to == date(2028, 6, 30)


def test_voec_ceiling_is_exclusive_and_others_inclusive():
    assert BY_CODE["NO-VOEC-2024"].vendor_ceiling_inclusive is False
    others = [r for r in SHIPPED if r.code != "NO-VOEC-2024"]
    assert all(regime.vendor_ceiling_inclusive for regime in others)


def test_shipped_duty_rates_are_labelled_samples():
    # A tariff is either labelled sample or holds no rate but a statutory zero (Switzerland's
    # industrial goods since 2024).
    for regime in SHIPPED:
        assert regime.sample_rates or (not regime.duty_rates and regime.duty_default_rate == 0), (
            regime.code
        )


@pytest.mark.parametrize(
    ("code", "standard"),
    [
        ("EU-FR-2021", D("0.20")),
        ("GB-2021", D("0.20")),
        ("NO-VOEC-2024", D("0.25")),
        ("AU-2018", D("0.10")),
        ("US-2025", D("0")),
    ],
)
def test_standard_vat_rates(code, standard):
    assert BY_CODE[code].vat_standard_rate == standard


def test_every_regime_cites_its_duty_and_value_rules():
    for regime in SHIPPED:
        assert regime.legal_ref("duty"), regime.code
        assert regime.legal_ref("customs_value"), regime.code
        if regime.has_border_tax:
            assert regime.legal_ref("vat"), regime.code
        if regime.vendor_schemes:
            assert regime.legal_ref("vendor_scheme"), regime.code
            assert regime.legal_ref("deemed_supplier"), regime.code


@pytest.mark.parametrize(
    ("jurisdiction", "on", "code"),
    [
        ("FR", date(2021, 6, 30), None),
        ("FR", date(2021, 7, 1), "EU-FR-2021"),
        ("FR", date(2026, 2, 28), "EU-FR-2021"),
        ("FR", date(2026, 3, 1), "EU-FR-2026-03"),
        ("FR", date(2026, 6, 30), "EU-FR-2026-03"),
        ("FR", date(2026, 7, 1), "EU-FR-2026"),
        ("FR", date(2026, 12, 31), "EU-FR-2026"),
        ("fr", date(2028, 6, 30), "EU-FR-2027"),
        ("FR", date(2028, 7, 1), "EU-FR-2028-07"),
        ("GB", date(2020, 12, 31), None),
        ("GB", date(2021, 1, 1), "GB-2021"),
        ("NO", date(2023, 12, 31), None),
        ("NO", date(2024, 1, 1), "NO-VOEC-2024"),
        ("AU", date(2018, 7, 1), "AU-2018"),
        ("US", date(2016, 3, 9), None),
        ("US", date(2016, 3, 10), "US-2016"),
        ("US", date(2025, 5, 1), "US-2016"),
        ("US", date(2025, 5, 2), "US-2025-05"),
        ("US", date(2025, 5, 13), "US-2025-05"),
        ("US", date(2025, 5, 14), "US-2025-05-14"),
        ("US", date(2025, 8, 28), "US-2025-05-14"),
        ("US", date(2025, 11, 9), "US-2025-10"),
        ("US", date(2025, 11, 10), "US-2025-11"),
        ("US", date(2025, 8, 29), "US-2025"),
        ("CA", date(2020, 6, 30), None),
        ("CA", date(2025, 3, 31), "CA-2020"),
        ("CA", date(2025, 4, 1), "CA-2025-04"),
        ("CA", date(2025, 8, 29), "CA-2025-04"),
        ("US", date(2026, 3, 1), "US-2026"),
        ("US", date(2026, 9, 30), "US-2026"),
        ("US", date(2026, 10, 1), "US-2026-10"),
        ("US", date(2027, 6, 30), "US-2026-10"),
        ("US", date(2027, 7, 1), "US-2027"),
    ],
)
def test_regime_for_respects_inclusive_validity(jurisdiction, on, code):
    found = regime_for(SHIPPED, jurisdiction, on)
    assert (found.code if found else None) == code


def test_shipped_regimes_do_not_overlap():
    check_no_overlaps(SHIPPED)


def test_overlapping_regimes_are_refused_and_the_newest_wins():
    eu_2021 = BY_CODE["EU-FR-2021"]
    longer = RegimeSpec.from_dict({**eu_2021.to_dict(), "code": "X", "valid_to": "2026-07-01"})
    with pytest.raises(ValueError, match="overlap"):
        check_no_overlaps([longer, BY_CODE["EU-FR-2026"]])
    with pytest.raises(ValueError, match="duplicate"):
        check_no_overlaps([eu_2021, eu_2021])
    assert regime_for([longer, BY_CODE["EU-FR-2026"]], "FR", date(2026, 7, 1)).code == "EU-FR-2026"


def test_to_dict_from_dict_round_trip_through_json():
    for regime in SHIPPED:
        again = RegimeSpec.from_dict(json.loads(json.dumps(regime.to_dict())))
        assert again == regime
        assert again.to_dict() == regime.to_dict()


def test_load_regimes_reads_the_fixture_file():
    assert load_regimes(FIXTURE) == SHIPPED


def test_regimes_are_hashable():
    assert len(set(SHIPPED)) == len(SHIPPED)


@pytest.mark.parametrize(
    ("hs_code", "rate"),
    [
        ("610910", D("0.12")),  # chapter 61
        ("61091000", D("0.12")),  # 8-digit entry
        ("640411", D("0.169")),  # 6-digit override of chapter 64
        ("6404110000", D("0.169")),
        ("640419", D("0.08")),  # chapter 64
        ("8518300000", D("0.02")),  # 8-digit override of chapter 85
        ("852872", D("0.027")),  # chapter 85
        ("851762", D("0")),  # 4-digit heading
        ("8471300000", D("0")),  # 10-digit line
        ("010121", D("0.04")),  # MFN default
    ],
)
def test_duty_tariff_longest_prefix_wins(hs_code, rate):
    assert BY_CODE["EU-FR-2021"].duty_rate_for(hs_code) == rate


def test_vat_reduced_rates_longest_prefix_wins():
    regime = BY_CODE["EU-FR-2021"]
    assert regime.vat_rate_for("490199") == D("0.055")
    assert regime.vat_rate_for("490290") == D("0.021")
    assert regime.vat_rate_for("610910") == D("0.20")


def test_longest_prefix_match_without_match():
    assert longest_prefix_match({"61": D("1")}, "620000") is None


def test_us_regimes_have_no_border_vat():
    assert not BY_CODE["US-2025"].has_border_tax
    assert BY_CODE["GB-2021"].has_border_tax


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"value_basis": "retail"}, "value_basis"),
        ({"threshold_scope": "household"}, "threshold_scope"),
        ({"rounding_mode": "ROUND_NICELY"}, "rounding mode"),
        ({"currency": "eur"}, "currency"),
        ({"valid_to": "2020-01-01"}, "before valid_from"),
        ({"vat_standard_rate": "20"}, "fractions"),
        ({"duty_rates": {"6109X": "0.1"}}, "HS prefix"),
        ({"duty_threshold": "-1"}, "negative"),
        ({"surprise": True}, "unknown regime fields"),
        ({"gift_duty_rate": "0.025", "gift_duty_rate_max_value": None}, "gift_duty_rate_max_value"),
        ({"gift_duty_rate": "2.5", "gift_duty_rate_max_value": "630"}, "fractions"),
        ({"tax_rounding_quantum": "0.001"}, "finer than rounding_quantum"),
        ({"tax_rounding_quantum": "one"}, "quantum"),
        ({"gift_relief_deducted": "yes"}, "gift_relief_deducted must be true or false"),
        ({"vat_on_duty": 1}, "vat_on_duty must be true or false"),
    ],
)
def test_invalid_regime_data_is_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        RegimeSpec.from_dict({**BY_CODE["EU-FR-2021"].to_dict(), **changes})


def test_fixture_amounts_are_strings_not_floats():
    document = json.loads(FIXTURE.read_text(encoding="utf-8"))
    for entry in document["regimes"]:
        for key, value in entry.items():
            assert not isinstance(value, float), (entry["code"], key)


def test_minimum_amounts_and_uk_gift_duty_are_shipped():
    for code in ("EU-DE-2021", "EU-DE-2026"):
        assert BY_CODE[code].minimum_collected == {"total": D("1")}
        assert "ZollV) § 23 Abs. 1 Nr. 1" in BY_CODE[code].legal_refs["minimum"]
    gb = BY_CODE["GB-2021"]
    assert (gb.gift_duty_relief, gb.gift_duty_rate, gb.gift_duty_rate_max_value) == (
        D("135"),
        D("0.025"),
        D("630"),
    )
    assert "Tax and customs for goods sent from abroad" in gb.legal_refs["gift_duty"]


@pytest.mark.parametrize(
    ("jurisdiction", "on", "rate"),
    [
        ("CZ", date(2023, 12, 31), "0.10"),
        ("CZ", date(2024, 1, 1), "0"),
        ("CZ", date(2026, 7, 1), "0"),
        ("RO", date(2025, 7, 31), "0.05"),
        ("RO", date(2025, 8, 1), "0.11"),
        ("RO", date(2026, 7, 1), "0.11"),
    ],
)
def test_book_rates_of_czechia_and_romania_follow_their_dated_changes(jurisdiction, on, rate):
    regime = regime_for(SHIPPED, jurisdiction, on)
    assert regime.vat_reduced_rates["4901"] == D(rate)
    assert regime.legal_refs["vat_reduced"]


@pytest.mark.parametrize(
    ("jurisdiction", "on", "rate"),
    [
        ("GB", date(2021, 1, 1), "0"),
        ("GB", date(2026, 11, 25), "0"),
        ("IE", date(2021, 7, 1), "0"),
        ("IE", date(2026, 7, 1), "0"),
        ("IE", date(2028, 7, 1), "0"),
        ("LU", date(2023, 6, 1), "0.03"),
        ("LU", date(2026, 11, 25), "0.03"),
    ],
)
def test_babies_garments_take_the_childrens_clothing_rate_where_the_law_has_one(
    jurisdiction, on, rate
):
    """Children's clothing is zero-rated in the UK and Ireland and at 3 % in Luxembourg; babies'
    garments (HS 6111 knitted, 6209 not knitted) are the headings that are children's clothing by
    definition. Adults' T-shirts stay at the standard rate, and so do babies' garments elsewhere."""
    regime = regime_for(SHIPPED, jurisdiction, on)
    for hs in ("611120", "620930"):
        assert regime.vat_rate_for(hs) == D(rate), (regime.code, hs)
    assert regime.vat_rate_for("610910") == regime.vat_standard_rate
    assert "children's clothing" in regime.legal_refs["vat_reduced"].replace(
        "clothing and footwear for young children", "children's clothing"
    )
    germany = regime_for(SHIPPED, "DE", on if on.year > 2021 else date(2021, 7, 1))
    assert germany.vat_rate_for("611120") == D("0.19")


@pytest.mark.parametrize(
    ("on", "code", "food"),
    [
        (date(2026, 3, 31), "EU-SE-2021", "0.12"),
        (date(2026, 4, 1), "EU-SE-2026-04", "0.06"),
        (date(2026, 6, 30), "EU-SE-2026-04", "0.06"),
        (date(2026, 7, 1), "EU-SE-2026", "0.06"),
        (date(2027, 12, 31), "EU-SE-2026", "0.06"),
        (date(2028, 1, 1), "EU-SE-2028-01", "0.12"),
        (date(2028, 7, 1), "EU-SE-2028-07", "0.12"),
    ],
)
def test_swedish_food_rate_is_cut_to_six_percent_from_april_2026_to_december_2027(on, code, food):
    """Food and non-alcoholic drinks at 12 %, temporarily 6 % from 1 April 2026 to
    31 December 2027 (prop. 2025/26:55); beer and other goods stay at 25 %, books at 6 %."""
    regime = regime_for(SHIPPED, "SE", on)
    assert regime.code == code
    assert regime.vat_rate_for("090121") == D(food)  # roasted coffee
    assert regime.vat_rate_for("220210") == D(food)  # soft drinks
    assert regime.vat_rate_for("220300") == D("0.25")  # beer
    assert regime.vat_rate_for("610910") == D("0.25")
    assert regime.vat_rate_for("490199") == D("0.06")
    assert "2025/26:55" in regime.legal_refs["vat_reduced"]


@pytest.mark.parametrize(
    ("jurisdiction", "on", "food"),
    [
        ("CZ", date(2023, 12, 31), "0.15"),
        ("CZ", date(2024, 1, 1), "0.12"),
        ("CZ", date(2028, 7, 1), "0.12"),
        ("FI", date(2025, 12, 31), "0.14"),
        ("FI", date(2026, 1, 1), "0.135"),
        ("FI", date(2028, 7, 1), "0.135"),
    ],
)
def test_food_rates_of_czechia_and_finland_follow_their_dated_changes(jurisdiction, on, food):
    regime = regime_for(SHIPPED, jurisdiction, on)
    assert regime.vat_rate_for("040690") == D(food)  # cheese
    assert regime.vat_rate_for("220300") == regime.vat_standard_rate  # beer


@pytest.mark.parametrize("on", [date(2021, 7, 1), date(2026, 6, 30), date(2026, 11, 25)])
def test_food_exceptions_stay_at_the_standard_rate_in_germany_and_france(on):
    germany, france = regime_for(SHIPPED, "DE", on), regime_for(SHIPPED, "FR", on)
    assert germany.vat_rate_for("090121") == D("0.07")  # roasted coffee
    assert germany.vat_rate_for("180632") == D("0.07")  # chocolate (Anlage 2)
    for excepted in ("200912", "030612", "160431", "220210"):  # juice, lobster, caviar, drinks
        assert germany.vat_rate_for(excepted) == D("0.19"), excepted
    assert france.vat_rate_for("090121") == D("0.055")
    assert france.vat_rate_for("220210") == D("0.055")  # non-alcoholic drinks
    for excepted in ("180632", "170490", "160431", "220300"):  # chocolate, sweets, caviar, beer
        assert france.vat_rate_for(excepted) == D("0.20"), excepted
    assert france.vat_rate_for("490199") == D("0.055")


@pytest.mark.parametrize(
    ("on", "food"),
    [
        (date(2021, 7, 1), "0.10"),
        (date(2026, 6, 30), "0.10"),
        # From 1 July 2026 a 4.9% rate covers a list of basic foods that is not entered: food
        # goes back to the standard rate rather than to a 10% that is wrong for that list.
        (date(2026, 7, 1), "0.20"),
    ],
)
def test_austrian_food_takes_ten_percent_until_the_basic_food_rate_begins(on, food):
    austria = regime_for(SHIPPED, "AT", on)
    for code in ("040690", "090121", "180632", "190590", "210690"):  # cheese to food preparations
        assert austria.vat_rate_for(code) == D(food), (code, on)
    for excepted in ("200912", "030612", "160431", "220210", "030111"):
        assert austria.vat_rate_for(excepted) == D("0.20"), (excepted, on)
    assert austria.vat_rate_for("490199") == D("0.10")  # books, every version


def test_states_without_a_shipped_food_rate_tax_food_at_the_standard_rate():
    left = ("AT", "BG", "CY", "DK", "EE", "GR", "HR", "HU", "IT", "LT", "LV", "PT", "RO", "SK")
    for member in left:
        for on in (date(2021, 7, 1), date(2023, 6, 15), date(2026, 11, 25), date(2028, 7, 1)):
            regime = regime_for(SHIPPED, member, on)
            if member == "AT" and on < date(2026, 7, 1):
                continue  # Austria's 10% until 30 June 2026, tested above
            assert regime.vat_rate_for("040690") == regime.vat_standard_rate, (member, on)
            assert regime.vat_rate_for("090121") == regime.vat_standard_rate, (member, on)
    # Each says so in its notes, not by silence.
    for member in left[1:]:
        for regime in (r for r in SHIPPED if r.jurisdiction == member):
            assert "food" in regime.notes.lower(), regime.code


@pytest.mark.parametrize(
    ("on", "code", "basic", "pasta"),
    [
        (date(2021, 7, 1), "EU-ES-2021", "0.04", "0.10"),
        (date(2022, 12, 31), "EU-ES-2021", "0.04", "0.10"),
        (date(2023, 1, 1), "EU-ES-2023-01", "0", "0.05"),
        (date(2024, 9, 30), "EU-ES-2023-01", "0", "0.05"),
        (date(2024, 10, 1), "EU-ES-2024-10", "0.02", "0.075"),
        (date(2024, 12, 31), "EU-ES-2024-10", "0.02", "0.075"),
        (date(2025, 1, 1), "EU-ES-2025-01", "0.04", "0.10"),
        (date(2026, 7, 1), "EU-ES-2026", "0.04", "0.10"),
        (date(2028, 7, 1), "EU-ES-2028-07", "0.04", "0.10"),
    ],
)
def test_spanish_basic_foods_take_four_percent_with_the_temporary_cuts_of_2023_and_2024(
    on, code, basic, pasta
):
    """Ley 37/1992 art. 91: basic foods at 4 % and other food at 10 %; Real Decreto-ley 20/2022
    (extended) cut them to 0 % and pasta to 5 % until 30 September 2024, Real Decreto-ley 4/2024
    to 2 % and 7.5 % for the last quarter of 2024."""
    spain = regime_for(SHIPPED, "ES", on)
    assert spain.code == code
    for code_ in ("040690", "040110", "040711", "080810", "070200", "100630", "110100"):
        assert spain.vat_rate_for(code_) == D(basic), (code_, on)  # cheese to wheat flour
    assert spain.vat_rate_for("19059030") == D(basic)  # common bread, at eight digits
    assert spain.vat_rate_for("190219") == D(pasta)
    for code_ in ("020130", "030211", "040390", "090121", "180632", "170490", "190590", "210690"):
        assert spain.vat_rate_for(code_) == D("0.10"), (code_, on)  # meat to food supplements
    for code_ in ("220210", "220300", "030111", "610910"):  # soft drinks, beer, ornamental fish
        assert spain.vat_rate_for(code_) == D("0.21"), (code_, on)
    assert spain.vat_rate_for("490199") == D("0.04")
    assert "91.Dos.1.1" in spain.legal_refs["vat_reduced"]


@pytest.mark.parametrize(
    ("on", "code", "food"),
    [
        (date(2021, 7, 1), "EU-PL-2021", "0.05"),
        (date(2022, 1, 31), "EU-PL-2021", "0.05"),
        (date(2022, 2, 1), "EU-PL-2022-02", "0"),
        (date(2024, 3, 31), "EU-PL-2022-02", "0"),
        (date(2024, 4, 1), "EU-PL-2024-04", "0.05"),
        (date(2026, 7, 1), "EU-PL-2026", "0.05"),
        (date(2028, 7, 1), "EU-PL-2028-07", "0.05"),
    ],
)
def test_polish_basic_foods_take_five_percent_and_zero_from_february_2022_to_march_2024(
    on, code, food
):
    poland = regime_for(SHIPPED, "PL", on)
    assert poland.code == code
    for code_ in ("020130", "030211", "040110", "040690", "040711", "040900", "070200", "080810",
                  "100199", "110100"):  # fmt: skip
        assert poland.vat_rate_for(code_) == D(food), (code_, on)
    # Coffee and tea at 23 % in law; shellfish and the other foods of the annex are not mapped.
    for code_ in ("090121", "090230", "190590", "180632", "030111", "030617", "610910"):
        assert poland.vat_rate_for(code_) == D("0.23"), (code_, on)
    assert poland.vat_rate_for("490199") == D("0.05")
    assert "załącznik nr 10" in poland.legal_refs["vat_reduced"]


@pytest.mark.parametrize("on", [date(2021, 7, 1), date(2026, 6, 30), date(2028, 7, 1)])
def test_irish_food_is_zero_rated_and_maltese_food_exempt_with_credit(on):
    ireland, malta = regime_for(SHIPPED, "IE", on), regime_for(SHIPPED, "MT", on)
    for code in ("020130", "040690", "080810", "090121", "190219", "190590", "200570", "210390"):
        assert ireland.vat_rate_for(code) == D("0"), code
    for bakery in ("190531", "190532", "190520"):  # biscuits, wafers, gingerbread
        assert ireland.vat_rate_for(bakery) == D("0.135"), bakery
    for excepted in ("180632", "170490", "200520", "200911", "210500", "220210", "030111"):
        assert ireland.vat_rate_for(excepted) == D("0.23"), excepted
    for code in ("020130", "040690", "080810", "190219", "190590", "210390", "091010"):
        assert malta.vat_rate_for(code) == D("0"), code
    assert malta.vat_rate_for("180632") == malta.vat_rate_for("170490") == D("0.05")
    for standard in ("090121", "200520", "200911", "210500", "220210", "030111"):
        assert malta.vat_rate_for(standard) == D("0.18"), standard
    assert ireland.vat_rate_for("490199") == D("0") and malta.vat_rate_for("490199") == D("0.05")
    assert "paragraph 8(1)" in ireland.legal_refs["vat_reduced"]
    assert "Fifth Schedule, Part One, item 9" in malta.legal_refs["vat_reduced"]


def test_uk_fruit_juices_are_standard_rated_beverages_not_zero_rated_food():
    """VATA 1994 Sch. 8 Group 1 excepted item 4: beverages, fruit juices included, are
    standard-rated; the food around them (jams of 2007, coffee extracts of 2101) stays zero."""
    gb = regime_for(SHIPPED, "GB", date(2026, 11, 25))
    for juice in ("200911", "200989", "200990"):
        assert gb.vat_rate_for(juice) == D("0.20"), juice
    for food in ("200799", "200819", "210111"):
        assert gb.vat_rate_for(food) == D("0"), food
