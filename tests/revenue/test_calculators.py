"""Worked examples of the revenue engine, one per shipped regime and collection model.

Every figure below is computed by hand from the regime fixtures (duty rates are samples) and
checked to the cent with exact Decimals, including the threshold edges.
"""

from dataclasses import replace
from datetime import date
from decimal import Decimal as D

import pytest

from revenue.calculators import (
    COLLECTION_MODELS,
    ConsignmentIn,
    ItemIn,
    assess,
    choose_collection_model,
    consignment_threshold_value,
)
from revenue.regimes import RegimeSpec, load_shipped_regimes, regime_for

REGIMES = {regime.code: regime for regime in load_shipped_regimes()}
EU_2021 = REGIMES["EU-FR-2021"]
# The EU rules of July 2026, as France applies them but without France's own small-parcel tax
# (its national fee, tested on its own below).
FR_2026 = REGIMES["EU-FR-2026"]
EU_2026 = replace(FR_2026, national_fees=())
UK = REGIMES["GB-2021"]
NORWAY = REGIMES["NO-VOEC-2024"]
CANADA = REGIMES["CA-2020"]
AUSTRALIA = REGIMES["AU-2018"]
US_2016 = REGIMES["US-2016"]
US_2025 = REGIMES["US-2025"]


def consignment(*items, currency="EUR", **kwargs):
    return ConsignmentIn(
        currency=currency,
        items=tuple(ItemIn(line, hs, D(value), D(qty)) for line, hs, value, qty in items),
        **kwargs,
    )


def one_item(value, hs="610910", currency="EUR", **kwargs):
    return consignment((1, hs, value, 1), currency=currency, **kwargs)


def lines_of(result, tax_type):
    return [line for line in result.lines if line.tax_type == tax_type]


def amounts(result, tax_type):
    return [line.amount for line in lines_of(result, tax_type)]


# --- EU 2021-2026: duty relief up to EUR 150, VAT from the first euro -----------------------


def test_dataset_example_under_2021_regime_is_vendor_collected_with_duty_relief():
    c = consignment(
        (1, "610910", "24.00", 2),
        (2, "392690", "15.80", 1),
        transport_cost=D("4.00"),
        tax_scheme="IOSS",
        tax_scheme_number_valid=True,
        self_assessed=(("vat", D("8.80")),),
    )
    result = assess(c, EU_2021, fx_rate=D("1"))

    assert result.regime_code == "EU-FR-2021"
    assert result.collection_model == "vendor_point_of_sale"
    (duty,) = lines_of(result, "duty")
    assert (duty.item_line, duty.amount, duty.rate) == (None, D("0.00"), D(0))
    assert duty.legal_reason == (
        "Duty relief: intrinsic value EUR 39.80 <= EUR 150 (Reg. (EC) 1186/2009 art. 23: "
        "negligible value, consignments up to EUR 150)"
    )
    vat = lines_of(result, "vat")
    # Transport EUR 4.00 is spread by value: 2.41 to line 1, 1.59 to line 2.
    assert [line.basis for line in vat] == [D("26.41"), D("17.39")]
    assert [line.amount for line in vat] == [D("5.28"), D("3.48")]
    assert all(line.payer == "vendor" and not line.collected_at_border for line in vat)
    assert result.totals == {
        "duty": D("0.00"),
        "vat": D("8.76"),
        "fee": D("0.00"),
        "total": D("8.76"),
    }
    assert (result.due_at_border, result.pre_collected, result.deferred) == (
        D("0.00"),
        D("8.76"),
        D("0.00"),
    )
    (discrepancy,) = result.discrepancies
    assert (discrepancy.declared, discrepancy.assessed, discrepancy.difference) == (
        D("8.80"),
        D("8.76"),
        D("-0.04"),
    )


@pytest.mark.parametrize(
    ("value", "model", "duty", "vat", "due_at_border", "pre_collected"),
    [
        ("150.00", "vendor_point_of_sale", "0.00", "30.00", "0.00", "30.00"),
        # 12% sample duty on 150.01 = 18.0012 -> 18.00; VAT 20% on 168.01 = 33.602 -> 33.60.
        ("150.01", "consignee_border", "18.00", "33.60", "51.60", "0.00"),
    ],
)
def test_eu2021_ioss_threshold_edge(value, model, duty, vat, due_at_border, pre_collected):
    c = one_item(value, tax_scheme="IOSS", tax_scheme_number_valid=True)
    result = assess(c, EU_2021, fx_rate=D("1"))

    assert result.collection_model == model
    assert result.totals["duty"] == D(duty)
    assert result.totals["vat"] == D(vat)
    assert result.due_at_border == D(due_at_border)
    assert result.pre_collected == D(pre_collected)


def test_eu2021_ioss_above_ceiling_is_explained():
    result = assess(
        one_item("150.01", tax_scheme="IOSS", tax_scheme_number_valid=True),
        EU_2021,
        fx_rate=D("1"),
    )
    assert "intrinsic value EUR 150.01 exceeds the IOSS ceiling EUR 150." in result.explanation
    (duty,) = lines_of(result, "duty")
    assert duty.legal_reason == (
        "Duty at 12% (sample rate) on customs value EUR 150.01 for HS 610910 "
        "(Common Customs Tariff, Reg. (EEC) 2658/87 Annex I)"
    )
    (vat,) = lines_of(result, "vat")
    assert vat.legal_reason == (
        "VAT at 20% on goods value plus duty EUR 168.01 (Code général des impôts art. 278; "
        "Directive 2006/112/EC art. 30, 60-61 and 85-86 (importation, taxable amount))"
    )


def test_eu2021_without_scheme_vat_is_due_at_border_from_the_first_euro():
    c = one_item("45.00", hs="392690", transport_cost=D("5.00"))
    result = assess(c, EU_2021, fx_rate=D("1"))

    assert result.collection_model == "consignee_border"
    (vat,) = lines_of(result, "vat")
    assert (vat.basis, vat.rate, vat.amount, vat.payer) == (
        D("50.00"),
        D("0.20"),
        D("10.00"),
        "consignee",
    )
    assert vat.collected_at_border
    assert vat.legal_reason == (
        "VAT at 20% on customs value EUR 50.00 (Code général des impôts art. 278; "
        "Directive 2006/112/EC art. 30, 60-61 and 85-86 (importation, taxable amount))"
    )
    assert result.due_at_border == D("10.00")


def test_eu2021_marketplace_with_ioss_is_deemed_supplier():
    c = one_item(
        "45.00", operator_role="marketplace", tax_scheme="IOSS", tax_scheme_number_valid=True
    )
    result = assess(c, EU_2021, fx_rate=D("1"))

    assert result.collection_model == "marketplace_deemed_supplier"
    (vat,) = lines_of(result, "vat")
    assert (vat.amount, vat.payer, vat.collected_at_border) == (D("9.00"), "marketplace", False)
    assert "deemed supplier" in vat.legal_reason
    assert "art. 14a(1)" in vat.legal_reason
    assert result.pre_collected == D("9.00")


@pytest.mark.parametrize(
    ("value", "model", "deferred", "due_at_border"),
    [
        ("45.00", "intermediary_deferred", "9.00", "0.00"),
        ("150.00", "intermediary_deferred", "30.00", "0.00"),
        ("150.01", "consignee_border", "0.00", "51.60"),
    ],
)
def test_eu2021_postal_operator_defers_up_to_150(value, model, deferred, due_at_border):
    c = one_item(value, operator_role="postal_operator", deferred_payment_authorised=True)
    result = assess(c, EU_2021, fx_rate=D("1"))

    assert result.collection_model == model
    assert result.deferred == D(deferred)
    assert result.due_at_border == D(due_at_border)


def test_eu2021_deferral_needs_authorisation():
    c = one_item("45.00", operator_role="postal_operator", deferred_payment_authorised=False)
    assert assess(c, EU_2021, fx_rate=D("1")).collection_model == "consignee_border"


def test_eu2021_deferred_vat_line_names_the_intermediary():
    c = one_item("45.00", operator_role="express_carrier", deferred_payment_authorised=True)
    (vat,) = lines_of(assess(c, EU_2021, fx_rate=D("1")), "vat")
    assert (vat.payer, vat.collection_model, vat.collected_at_border) == (
        "intermediary",
        "intermediary_deferred",
        False,
    )
    assert "paid monthly" in vat.legal_reason


def test_eu2021_books_and_newspapers_take_reduced_rates_longest_prefix_first():
    c = consignment((1, "490199", "20.00", 1), (2, "490290", "10.00", 1))
    result = assess(c, EU_2021, fx_rate=D("1"))

    vat = lines_of(result, "vat")
    assert [line.rate for line in vat] == [D("0.055"), D("0.021")]
    assert [line.amount for line in vat] == [D("1.10"), D("0.21")]
    assert "Code général des impôts" in vat[0].legal_reason


def test_eu2021_excise_goods_leave_ioss_and_duty_relief():
    c = consignment(
        (1, "220421", "30.00", 1),
        (2, "610910", "20.00", 1),
        tax_scheme="IOSS",
        tax_scheme_number_valid=True,
    )
    result = assess(c, EU_2021, fx_rate=D("1"))

    relief, wine_duty = lines_of(result, "duty")
    assert relief.item_line is None
    assert relief.legal_reason.startswith("Duty relief for line 2: intrinsic value EUR 50.00")
    # 4% sample default on 30.00 = 1.20; VAT 20% on 31.20 = 6.24 at the border.
    assert (wine_duty.item_line, wine_duty.amount) == (1, D("1.20"))
    wine_vat, shirt_vat = lines_of(result, "vat")
    assert (wine_vat.amount, wine_vat.payer, wine_vat.collected_at_border) == (
        D("6.24"),
        "consignee",
        True,
    )
    assert (shirt_vat.amount, shirt_vat.payer) == (D("4.00"), "vendor")
    assert result.collection_model == "vendor_point_of_sale"
    assert (result.due_at_border, result.pre_collected) == (D("7.44"), D("4.00"))


@pytest.mark.parametrize(
    ("changes", "explained", "due"),
    [
        (
            {"tax_scheme_number_valid": False},
            "IOSS number not valid: VAT is taken at the border.",
            "9.00",
        ),
        # A gift between private persons is no distance sale; up to EUR 45 it is relieved.
        ({"category": "gift"}, "IOSS covers distance sales only, not category gift.", "0.00"),
        ({"tax_scheme": "VOEC"}, "VOEC is not a scheme of regime EU-FR-2021", "9.00"),
    ],
)
def test_eu2021_ioss_refused_cases_fall_back_to_border(changes, explained, due):
    c = replace(one_item("45.00", tax_scheme="IOSS", tax_scheme_number_valid=True), **changes)
    result = assess(c, EU_2021, fx_rate=D("1"))

    assert result.collection_model == "consignee_border"
    assert result.due_at_border == D(due)
    assert any(line.startswith(explained) for line in result.explanation)


# --- EU from 1 July 2026: EUR 3 per distinct HS subheading up to EUR 150 ---------------------


def test_dataset_example_under_2026_regime_charges_flat_duty_per_subheading():
    c = consignment(
        (1, "610910", "24.00", 2),
        (2, "392690", "15.80", 1),
        transport_cost=D("4.00"),
        tax_scheme="IOSS",
        tax_scheme_number_valid=True,
        self_assessed=(("vat", D("8.80")),),
    )
    result = assess(c, EU_2026, fx_rate=D("1"))

    duty = lines_of(result, "duty")
    # One tariff code at EUR 3 each: basis x rate, like any other line.
    assert [
        (line.item_line, line.amount, line.basis, line.basis_unit, line.rate) for line in duty
    ] == [
        (1, D("3.00"), D("1"), "tariff_code", D("3.00")),
        (2, D("3.00"), D("1"), "tariff_code", D("3.00")),
    ]
    assert all(line.collection_model == "flat_rate_duty" for line in duty)
    # The IOSS return carries VAT only: the flat duty is a customs debt of the declarant, paid
    # at import (never left to the scheme, where nobody would collect it).
    assert all(line.payer == "declarant" and line.collected_at_border for line in duty)
    assert all(line.collection_channel == "border" for line in duty)
    assert duty[0].legal_reason.startswith(
        "Flat-rate duty EUR 3.00 for HS subheading 610910 (line 1): intrinsic value EUR 39.80 "
        "<= EUR 150 (Council Regulation (EU) 2026/382 and Commission Delegated Regulation (EU) "
        "2026/1022, temporary flat-rate customs duty of EUR 3 per item (tariff code) in "
        "consignments up to EUR 150, 1 July 2026 to 1 July 2028); the IOSS return carries VAT "
        "only, so the duty is owed by the declarant"
    )
    # VAT on goods + transport share + flat duty: 20% of 29.41 and 20.39.
    assert amounts(result, "vat") == [D("5.88"), D("4.08")]
    assert all(line.collection_channel == "scheme_return" for line in lines_of(result, "vat"))
    assert result.collection_model == "vendor_point_of_sale"
    assert result.totals["total"] == D("15.96")
    assert result.pre_collected == D("9.96")
    assert result.due_at_border == D("6.00")
    assert result.by_channel == {
        "border": {"duty": D("6.00")},
        "scheme_return": {"vat": D("9.96")},
    }
    assert result.discrepancies[0].difference == D("1.16")


def test_eu2026_two_lines_of_one_subheading_pay_one_flat_duty():
    c = consignment((1, "61091000", "10.00", 1), (2, "610910", "20.00", 3))
    result = assess(c, EU_2026, fx_rate=D("1"))

    (duty,) = lines_of(result, "duty")
    assert (duty.item_line, duty.basis, duty.rate, duty.amount) == (1, 1, D("3.00"), D("3.00"))
    assert "lines 1, 2" in duty.legal_reason
    assert "(lines 1, 2)" in duty.legal_reason
    # The 3.00 is shared 1.00 / 2.00 for the VAT basis.
    assert [line.basis for line in lines_of(result, "vat")] == [D("11.00"), D("22.00")]
    assert amounts(result, "vat") == [D("2.20"), D("4.40")]
    assert result.due_at_border == D("9.60")


@pytest.mark.parametrize(
    ("value", "duty_model", "duty", "vat", "total"),
    [
        ("150.00", "flat_rate_duty", "3.00", "30.60", "33.60"),
        ("150.01", "consignee_border", "18.00", "33.60", "51.60"),
    ],
)
def test_eu2026_flat_duty_threshold_edge(value, duty_model, duty, vat, total):
    result = assess(one_item(value), EU_2026, fx_rate=D("1"))

    (duty_line,) = lines_of(result, "duty")
    assert duty_line.collection_model == duty_model
    assert duty_line.payer == "consignee"
    assert duty_line.collected_at_border
    assert result.totals["duty"] == D(duty)
    assert result.totals["vat"] == D(vat)
    assert result.due_at_border == D(total)


def test_eu2026_flat_duty_follows_a_deferring_intermediary():
    c = one_item("45.00", operator_role="express_carrier", deferred_payment_authorised=True)
    result = assess(c, EU_2026, fx_rate=D("1"))

    (duty,) = lines_of(result, "duty")
    assert (duty.collection_model, duty.payer, duty.amount) == (
        "flat_rate_duty",
        "intermediary",
        D("3.00"),
    )
    assert result.collection_model == "intermediary_deferred"
    assert result.deferred == D("12.60")
    assert result.due_at_border == D("0.00")


# --- United Kingdom: GBP 135 -------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "model", "duty", "vat", "due_at_border"),
    [
        ("135.00", "vendor_point_of_sale", "0.00", "27.00", "0.00"),
        # 12% sample on 135.01 = 16.2012 -> 16.20; VAT 20% on 151.21 = 30.242 -> 30.24.
        ("135.01", "consignee_border", "16.20", "30.24", "46.44"),
    ],
)
def test_uk_threshold_edge(value, model, duty, vat, due_at_border):
    c = one_item(value, currency="GBP", tax_scheme="UK_VAT", tax_scheme_number_valid=True)
    result = assess(c, UK, fx_rate=D("1"))

    assert result.collection_model == model
    assert result.totals["duty"] == D(duty)
    assert result.totals["vat"] == D(vat)
    assert result.due_at_border == D(due_at_border)


def test_uk_low_value_without_seller_registration_has_no_import_vat():
    result = assess(one_item("100.00", currency="GBP"), UK, fx_rate=D("1"))

    duty, vat = result.lines
    assert (duty.tax_type, duty.amount) == ("duty", D("0.00"))
    assert (vat.tax_type, vat.amount) == ("vat", D("0.00"))
    assert vat.legal_reason.startswith("VAT relief: intrinsic value GBP 100.00 <= GBP 135")
    assert result.totals["total"] == D("0.00")


def test_uk_marketplace_is_deemed_supplier():
    c = one_item(
        "60.00",
        currency="GBP",
        operator_role="marketplace",
        tax_scheme="UK_VAT",
        tax_scheme_number_valid=True,
    )
    result = assess(c, UK, fx_rate=D("1"))
    assert result.collection_model == "marketplace_deemed_supplier"
    assert result.pre_collected == D("12.00")


def test_uk_books_above_135_are_zero_rated():
    result = assess(one_item("200.00", hs="490199", currency="GBP"), UK, fx_rate=D("1"))

    (duty,) = lines_of(result, "duty")
    (vat,) = lines_of(result, "vat")
    assert (duty.rate, duty.amount) == (D("0"), D("0.00"))
    assert (vat.rate, vat.amount) == (D("0"), D("0.00"))
    assert "Sch. 8 Group 3" in vat.legal_reason


# --- Norway: VOEC for items below NOK 3,000 ---------------------------------------------------


def test_norway_voec_is_per_item_and_excludes_3000():
    c = consignment(
        (1, "851830", "2999.00", 1),
        (2, "851830", "3000.00", 1),
        currency="NOK",
        tax_scheme="VOEC",
        tax_scheme_number_valid=True,
    )
    result = assess(c, NORWAY, fx_rate=D("1"))

    relief, duty_at_border = lines_of(result, "duty")
    assert (relief.item_line, relief.amount, relief.rate) == (1, D("0.00"), D(0))
    assert "VOEC" in relief.legal_reason
    assert (duty_at_border.item_line, duty_at_border.rate, duty_at_border.amount) == (
        2,
        D("0"),
        D("0.00"),
    )
    vendor_vat, border_vat = lines_of(result, "vat")
    assert (vendor_vat.amount, vendor_vat.payer, vendor_vat.collection_model) == (
        D("749.75"),
        "vendor",
        "vendor_point_of_sale",
    )
    assert (border_vat.amount, border_vat.payer, border_vat.collection_model) == (
        D("750.00"),
        "consignee",
        "consignee_border",
    )
    assert result.collection_model == "vendor_point_of_sale"
    assert (result.due_at_border, result.pre_collected) == (D("750.00"), D("749.75"))
    assert (
        "Line 2: intrinsic value NOK 3,000.00 is not below the VOEC ceiling NOK 3,000."
        in result.explanation
    )


def test_norway_voec_looks_at_the_unit_value_of_a_line():
    c = consignment(
        (1, "851830", "5998.00", 2), currency="NOK", tax_scheme="VOEC", tax_scheme_number_valid=True
    )
    result = assess(c, NORWAY, fx_rate=D("1"))
    assert result.pre_collected == D("1499.50")
    assert result.due_at_border == D("0.00")


def test_norway_without_voec_pays_duty_and_vat_from_the_first_krone():
    c = one_item("500.00", currency="NOK", transport_cost=D("100.00"))
    result = assess(c, NORWAY, fx_rate=D("1"))

    # 10.7% sample duty on 600.00 = 64.20, stated as NOK 64; VAT 25% on 664.00 = 166.00.
    assert amounts(result, "duty") == [D("64.00")]
    assert amounts(result, "vat") == [D("166.00")]
    assert result.due_at_border == D("230.00")


def test_norway_states_border_amounts_in_whole_kroner_and_leaves_checkout_amounts_alone():
    # Half up: 25% of 2,001.50 = 500.375 -> NOK 500 at the border; under VOEC the seller's
    # 25% of 1,999.90 = 499.975 keeps its øre (499.98). Values keep theirs (basis 2,001.50).
    border = assess(one_item("2001.50", hs="851830", currency="NOK"), NORWAY, fx_rate=D(1))
    (vat,) = lines_of(border, "vat")
    assert (vat.basis, vat.amount) == (D("2001.50"), D("500.00"))
    assert border.totals["vat"] == D("500.00") and border.due_at_border == D("500.00")
    voec = assess(
        one_item(
            "1999.90", hs="851830", currency="NOK", tax_scheme="VOEC", tax_scheme_number_valid=True
        ),
        NORWAY,
        fx_rate=D(1),
    )
    (vendor_vat,) = lines_of(voec, "vat")
    assert (vendor_vat.amount, vendor_vat.payer) == (D("499.98"), "vendor")
    # 5,337.50 rounds half up to 5,338 (Norwegian Customs' building-materials example).
    half = assess(one_item("21350.00", hs="690890", currency="NOK"), NORWAY, fx_rate=D(1))
    assert half.totals["vat"] == D("5338.00")


def test_norway_foodstuffs_are_outside_voec_and_take_15_percent():
    c = one_item(
        "200.00", hs="190531", currency="NOK", tax_scheme="VOEC", tax_scheme_number_valid=True
    )
    result = assess(c, NORWAY, fx_rate=D("1"))

    (vat,) = lines_of(result, "vat")
    assert (vat.rate, vat.amount, vat.payer) == (D("0.15"), D("30.00"), "consignee")
    assert result.collection_model == "consignee_border"


# --- Australia: AUD 1,000 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "duty", "gst", "fee", "total"),
    [
        ("1000.00", "0.00", "0.00", "0.00", "0.00"),
        # Duty 5% sample on FOB 1000.01 = 50.00; GST 10% on 1000.01 + 20.00 transport + 50.00
        # = 107.001 -> 107.00; import processing charge 88.00 (sample).
        ("1000.01", "50.00", "107.00", "88.00", "245.00"),
    ],
)
def test_australia_threshold_edge_on_intrinsic_value(value, duty, gst, fee, total):
    c = one_item(value, hs="950300", currency="AUD", transport_cost=D("20.00"))
    result = assess(c, AUSTRALIA, fx_rate=D("1"))

    assert result.totals == {"duty": D(duty), "vat": D(gst), "fee": D(fee), "total": D(total)}
    assert result.due_at_border == D(total)


def test_australia_registered_vendor_collects_gst_up_to_1000():
    c = one_item(
        "1000.00",
        hs="950300",
        currency="AUD",
        transport_cost=D("20.00"),
        tax_scheme="AU_GST",
        tax_scheme_number_valid=True,
    )
    result = assess(c, AUSTRALIA, fx_rate=D("1"))

    assert result.collection_model == "vendor_point_of_sale"
    assert amounts(result, "vat") == [D("102.00")]
    assert result.pre_collected == D("102.00")
    assert result.due_at_border == D("0.00")
    assert not lines_of(result, "fee")


def test_australia_platform_is_deemed_supplier():
    c = one_item(
        "80.00",
        currency="AUD",
        operator_role="marketplace",
        tax_scheme="AU_GST",
        tax_scheme_number_valid=True,
    )
    result = assess(c, AUSTRALIA, fx_rate=D("1"))
    assert result.collection_model == "marketplace_deemed_supplier"
    assert result.pre_collected == D("8.00")


# --- United States ---------------------------------------------------------------------------


def test_us_2025_has_no_de_minimis_and_no_border_vat():
    result = assess(one_item("10.00", currency="USD"), US_2025, fx_rate=D("1"))

    assert not lines_of(result, "vat")
    assert amounts(result, "duty") == [D("1.60")]
    (fee,) = lines_of(result, "fee")
    assert (fee.basis, fee.rate, fee.amount) == (D("1"), D("2.62"), D("2.62"))
    assert "fiscal year 2025" in fee.legal_reason
    assert result.collection_model == "consignee_border"
    assert result.due_at_border == D("4.22")


@pytest.mark.parametrize(
    ("value", "prior", "total"),
    [
        ("800.00", "0", "0.00"),
        ("500.00", "300.00", "0.00"),
        # 800.01 for the day: 5% sample duty on 500.00 = 25.00 plus the 2.62 sample fee.
        ("500.00", "300.01", "27.62"),
    ],
)
def test_us_2016_de_minimis_per_person_per_day(value, prior, total):
    c = one_item(value, hs="950300", currency="USD", consignee_prior_value_today=D(prior))
    result = assess(c, US_2016, fx_rate=D("1"))
    assert result.totals["total"] == D(total)


def test_us_suspension_date_selects_the_regime():
    regimes = list(REGIMES.values())
    c = one_item("10.00", currency="USD")
    before = assess(c, regime_for(regimes, "US", date(2025, 8, 28)), fx_rate=D("1"))
    after = assess(c, regime_for(regimes, "US", date(2025, 8, 29)), fx_rate=D("1"))
    assert before.totals["total"] == D("0.00")
    assert after.totals["total"] == D("4.22")


# --- Currency conversion at the dated rate ---------------------------------------------------


def test_usd_consignment_converted_below_eur_150_keeps_duty_relief():
    c = consignment(
        (1, "610910", "100.00", 1),
        (2, "392690", "62.50", 1),
        currency="USD",
        self_assessed=(("vat", D("32.50")),),
    )
    result = assess(c, EU_2021, fx_rate=D("0.92"))

    assert result.exchange_rate == D("0.92")
    assert result.currency == "EUR"
    assert result.threshold_value == D("149.50")
    assert result.totals["duty"] == D("0.00")
    assert amounts(result, "vat") == [D("18.40"), D("11.50")]
    assert "Exchange rate of the day: 1 USD = 0.92 EUR." in result.explanation
    # USD 32.50 self-assessed = EUR 29.90: no discrepancy.
    assert result.discrepancies == ()


def test_usd_consignment_converted_above_eur_150_pays_duty():
    c = consignment((1, "610910", "100.00", 1), (2, "392690", "62.50", 1), currency="USD")
    result = assess(c, EU_2021, fx_rate=D("0.93"))

    # 62.50 x 0.93 = 58.125 -> 58.13; 93.00 + 58.13 = 151.13 > 150.
    assert result.threshold_value == D("151.13")
    # 12% of 93.00 = 11.16; 6.5% of 58.13 = 3.77845 -> 3.78.
    assert amounts(result, "duty") == [D("11.16"), D("3.78")]
    # 20% of 104.16 = 20.832 -> 20.83; 20% of 61.91 = 12.382 -> 12.38.
    assert amounts(result, "vat") == [D("20.83"), D("12.38")]
    assert result.totals["total"] == D("48.15")


def test_fx_rate_must_be_one_for_the_regime_currency():
    with pytest.raises(ValueError, match="fx_rate must be 1"):
        assess(one_item("10.00"), EU_2021, fx_rate=D("1.1"))


def test_fx_rate_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        assess(one_item("10.00", currency="USD"), EU_2021, fx_rate=D("0"))


def test_threshold_value_helper_matches_the_assessment():
    c = consignment((1, "610910", "100.00", 1), (2, "392690", "62.50", 1), currency="USD")
    assert consignment_threshold_value(c, EU_2021, fx_rate=D("0.93")) == D("151.13")


# --- Self-assessed amounts, fees, model choice ------------------------------------------------


def test_discrepancy_tolerance_absorbs_small_differences():
    c = one_item(
        "45.00",
        hs="392690",
        tax_scheme="IOSS",
        tax_scheme_number_valid=True,
        self_assessed=(("vat", D("9.01")), ("duty", D("0"))),
    )
    assert assess(c, EU_2021, fx_rate=D("1")).discrepancies[0].difference == D("-0.01")
    assert assess(c, EU_2021, fx_rate=D("1"), tolerance=D("0.01")).discrepancies == ()


def test_under_declared_duty_is_a_positive_difference():
    c = one_item("200.00", self_assessed=(("duty", D("10.00")),))
    (discrepancy,) = assess(c, EU_2021, fx_rate=D("1")).discrepancies
    assert (discrepancy.tax_type, discrepancy.assessed, discrepancy.difference) == (
        "duty",
        D("24.00"),
        D("14.00"),
    )


def test_fees_per_declaration_and_per_line():
    regime = replace(EU_2021, fee_per_declaration=D("1.50"), fee_per_line=D("0.25"))
    c = consignment((1, "610910", "10.00", 1), (2, "392690", "10.00", 1), (3, "490199", "5", 1))
    fees = lines_of(assess(c, regime, fx_rate=D("1")), "fee")
    assert [(line.basis, line.rate, line.amount) for line in fees] == [
        (D("1"), D("1.50"), D("1.50")),
        (D("3"), D("0.25"), D("0.75")),
    ]


@pytest.mark.parametrize(
    ("regime", "changes", "basis", "expected"),
    [
        (EU_2021, {"tax_scheme": "IOSS", "tax_scheme_number_valid": True}, "150", 1),
        (EU_2021, {"tax_scheme": "IOSS", "tax_scheme_number_valid": True}, "150.01", 0),
        (
            EU_2021,
            {"tax_scheme": "IOSS", "tax_scheme_number_valid": True, "operator_role": "marketplace"},
            "20",
            2,
        ),
        (
            EU_2021,
            {"operator_role": "customs_broker", "deferred_payment_authorised": True},
            "20",
            3,
        ),
        (
            EU_2021,
            {"operator_role": "fulfilment_centre", "deferred_payment_authorised": True},
            "20",
            0,
        ),
        (NORWAY, {"tax_scheme": "VOEC", "tax_scheme_number_valid": True}, "2999", 1),
        (NORWAY, {"tax_scheme": "VOEC", "tax_scheme_number_valid": True}, "3000", 0),
        (UK, {"tax_scheme": "UK_VAT", "tax_scheme_number_valid": True}, "135", 1),
        (AUSTRALIA, {"tax_scheme": "AU_GST", "tax_scheme_number_valid": True}, "1000", 1),
        (US_2025, {"tax_scheme": "IOSS", "tax_scheme_number_valid": True}, "10", 0),
    ],
)
def test_choose_collection_model(regime, changes, basis, expected):
    c = replace(one_item("1.00"), **changes)
    model = choose_collection_model(c, regime, basis_value=D(basis))
    assert model == COLLECTION_MODELS[expected]


def test_items_validate_money_and_codes():
    with pytest.raises(TypeError):
        ItemIn(1, "610910", 1.5)
    with pytest.raises(ValueError):
        ItemIn(1, "6109", D("1"))
    with pytest.raises(ValueError):
        ItemIn(1, "610910", D("-1"))
    with pytest.raises(ValueError, match="unique"):
        consignment((1, "610910", "1", 1), (1, "392690", "1", 1))
    with pytest.raises(ValueError, match="operator_role"):
        one_item("1", operator_role="airline")


def test_synthetic_regime_uses_customs_value_basis():
    regime = RegimeSpec.from_dict(
        {**EU_2021.to_dict(), "code": "TEST-CIF", "value_basis": "customs"}
    )
    # 140.00 goods + 10.01 transport = 150.01 > 150 on a customs-value basis: duty is due.
    c = one_item("140.00", transport_cost=D("10.01"))
    result = assess(c, regime, fx_rate=D("1"))
    assert result.threshold_value == D("150.01")
    assert result.totals["duty"] == D("18.00")


def test_australia_names_the_tax_gst():
    result = assess(one_item("1000.01", hs="950300", currency="AUD"), AUSTRALIA, fx_rate=D("1"))
    (gst,) = lines_of(result, "vat")
    assert gst.legal_reason == (
        "GST at 10% on goods value plus duty AUD 1,050.01 "
        "(A New Tax System (Goods and Services Tax) Act 1999 s.13-20)"
    )
    assert "GST collection model: consignee_border." in result.explanation


def test_goods_declared_without_hs_code_count_as_their_own_subheading():
    c = consignment((1, "", "100.00", 1), (2, "", "20.00", 1))
    result = assess(c, EU_2026, fx_rate=D("1"))

    duty = lines_of(result, "duty")
    assert [line.amount for line in duty] == [D("3.00"), D("3.00")]
    assert "HS subheading not declared (line 1)" in duty[0].legal_reason
    assert amounts(result, "vat") == [D("20.60"), D("4.60")]


# --- Per-line counting, CN/TARIC granularity, fees that bear VAT ------------------------------


@pytest.mark.parametrize(
    ("changes", "duty"),
    [
        ({}, "3.00"),  # one 6-digit subheading
        ({"flat_duty_digits": 10}, "6.00"),  # two TARIC codes (H1 granularity)
        ({"flat_duty_per_line": True}, "6.00"),  # two declaration lines
    ],
)
def test_eu2026_flat_duty_counts_items_as_the_regime_says(changes, duty):
    regime = replace(EU_2026, **changes)
    c = consignment((1, "6109100010", "10.00", 1), (2, "6109100090", "20.00", 1))
    result = assess(c, regime, fx_rate=D("1"))
    assert result.totals["duty"] == D(duty)


def test_a_national_fee_that_bears_vat_is_taxed_at_the_standard_rate():
    regime = replace(EU_2026, fee_per_declaration=D("2.00"), fees_bear_tax=True)
    result = assess(one_item("40.00"), regime, fx_rate=D("1"))
    fee_vat = [line for line in lines_of(result, "vat") if "national fees" in line.legal_reason]
    assert [(line.basis, line.amount) for line in fee_vat] == [(D("2.00"), D("0.40"))]
    assert result.totals["fee"] == D("2.00")


def test_rounding_per_total_rounds_the_sum_once_and_spreads_it_over_the_lines():
    # Three lines of EUR 0.63 (0.625 rounded on entry): VAT 0.126 each. Per line 0.13 x 3 = 0.39;
    # per total round(0.378) = 0.38.
    items = [(n, "392690", "0.625", 1) for n in (1, 2, 3)]
    per_line = assess(consignment(*items), EU_2021, fx_rate=D("1"))
    per_total = assess(
        consignment(*items), replace(EU_2021, rounding_scope="total"), fx_rate=D("1")
    )
    assert amounts(per_line, "vat") == [D("0.13")] * 3
    assert per_line.totals["vat"] == D("0.39")
    assert per_total.totals["vat"] == D("0.38")
    assert sorted(amounts(per_total, "vat")) == [D("0.12"), D("0.13"), D("0.13")]


# --- National fees: France's small-parcel tax, New Zealand's low-value goods levy --------------


def test_france_small_parcel_tax_is_per_subheading_and_follows_the_import_taxes():
    c = consignment(
        (1, "6109100010", "10.00", 1), (2, "6109100090", "20.00", 1), (3, "420232", "5.00", 1)
    )
    result = assess(c, FR_2026, fx_rate=D("1"))
    (fee,) = lines_of(result, "fee")
    assert (fee.basis, fee.rate, fee.amount) == (D("2"), D("2.00"), D("4.00"))
    assert (fee.payer, fee.collection_channel, fee.collected_at_border) == (
        "consignee",
        "border",
        True,
    )
    assert "Loi n° 2026-103" in fee.legal_reason and "2 HS subheadings" in fee.legal_reason
    # No VAT on the tax: it is not a fee that bears VAT in the shipped figures.
    assert not [line for line in lines_of(result, "vat") if "petits colis" in line.legal_reason]
    assert result.due_at_border == result.totals["total"]


def test_france_small_parcel_tax_under_ioss_is_owed_by_the_declarant():
    c = one_item("40.00", tax_scheme="IOSS", tax_scheme_number_valid=True, operator_role="vendor")
    result = assess(c, FR_2026, fx_rate=D("1"))
    (fee,) = lines_of(result, "fee")
    assert (fee.payer, fee.collection_channel, fee.amount) == ("declarant", "border", D("2.00"))
    assert result.due_at_border == D("5.00")  # EUR 3 flat duty + EUR 2 tax
    assert result.due_at_border + result.pre_collected + result.deferred == result.totals["total"]


def test_france_small_parcel_tax_spares_high_values_and_gifts_within_the_vat_relief():
    assert lines_of(assess(one_item("150.01"), FR_2026, fx_rate=D("1")), "fee") == []
    gift = one_item("45.00", category="gift")
    assert lines_of(assess(gift, FR_2026, fx_rate=D("1")), "fee") == []
    assert amounts(assess(one_item("45.01", category="gift"), FR_2026, fx_rate=D("1")), "fee") == [
        D("2.00")
    ]


def test_new_zealand_levy_is_billed_to_the_declarant_with_gst_and_survives_the_minimum():
    nz = REGIMES["NZ-2026-04"]
    result = assess(one_item("100.00", currency="NZD", transport="express"), nz, fx_rate=D("1"))
    fee, gst = [line for line in result.lines if "levy" in line.legal_reason]
    assert (fee.tax_type, fee.amount, fee.payer, fee.collection_channel) == (
        "fee",
        D("2.21"),
        "declarant",
        "deferred_statement",
    )
    assert (gst.tax_type, gst.basis, gst.rate, gst.amount) == (
        "vat",
        D("2.21"),
        D("0.15"),
        D("0.33"),
    )
    assert gst.payer == "declarant" and not gst.collected_at_border
    assert result.deferred == result.totals["total"] == D("2.54")
    postal = assess(one_item("100.00", currency="NZD", transport="postal"), nz, fx_rate=D("1"))
    assert postal.totals["total"] == D("0.00")


_FEE = {
    "code": "X",
    "name": "X",
    "amount": "1",
    "per": "consignment",
    "payer": "border",
    "legal_ref": "L",
}


@pytest.mark.parametrize(
    ("fee", "message"),
    [
        ({**_FEE, "per": "parcel"}, "per"),
        ({**_FEE, "payer": "buyer"}, "payer"),
        ({**_FEE, "amount": "-1"}, "negative"),
        ({k: v for k, v in _FEE.items() if k != "legal_ref"}, "legal_ref"),
        ({**_FEE, "transports": ["rail"]}, "transports"),
        ({**_FEE, "colour": "red"}, "unknown"),
        ({**_FEE, "bears_tax": "yes"}, "true or false"),
    ],
)
def test_a_malformed_national_fee_is_refused(fee, message):
    with pytest.raises(ValueError, match=message):
        replace(EU_2026, national_fees=(fee,))


def test_eu_gift_above_the_duty_relief_pays_the_flat_non_commercial_rate_up_to_eur_700():
    # Under the 2021 rules a EUR 200 gift is above the EUR 150 duty relief: 2.5% flat rate on the
    # customs value instead of the tariff rate (12% sample for T-shirts).
    gift = assess(
        one_item("200.00", category="gift", transport_cost=D("25.00"), insurance_cost=D("10.00")),
        EU_2021,
        fx_rate=D("1"),
    )
    (duty,) = lines_of(gift, "duty")
    assert (duty.rate, duty.basis, duty.amount) == (D("0.025"), D("235.00"), D("5.88"))
    assert "Section II D(1)" in duty.legal_reason
    above = assess(one_item("700.01", category="gift"), EU_2021, fx_rate=D("1"))
    sale = assess(one_item("200.00"), EU_2021, fx_rate=D("1"))
    # Above EUR 700, and for a sale, the tariff rate (sample 12%).
    assert amounts(above, "duty") == [D("84.00")]
    assert amounts(sale, "duty") == [D("24.00")]


# --- Canada: the CAD 60 gift exemption is deducted from a larger gift ------------------------


def canadian_gift_by_post(*items):
    return assess(
        consignment(*items, currency="CAD", category="gift", transport="postal"),
        CANADA,
        fx_rate=D(1),
    )


def test_canada_taxes_a_gift_on_the_value_over_60_spread_over_its_goods():
    # CAD 150 + 50: the CAD 60 relief is spread by value (45 and 15); GST 5% on 105 and 35.
    result = canadian_gift_by_post((1, "490199", "150.00", 1), (2, "490199", "50.00", 1))
    deduction, *gst = lines_of(result, "vat")
    assert (deduction.amount, deduction.basis) == (D("0.00"), D("60.00"))
    assert "gift exemption" in deduction.legal_reason and "9816.00.00" in deduction.legal_reason
    assert [(line.basis, line.amount) for line in gst] == [
        (D("105.00"), D("5.25")),
        (D("35.00"), D("1.75")),
    ]
    assert result.totals["vat"] == D("7.00")


def test_canada_gift_deduction_skips_goods_excluded_from_reliefs_and_sales():
    # Alcohol takes no share of the relief; the sweater takes it all.
    result = canadian_gift_by_post((1, "220421", "100.00", 1), (2, "611020", "100.00", 1))
    by_line = {line.item_line: line for line in lines_of(result, "duty") if line.rate}
    assert by_line[1].basis == D("100.00") and by_line[2].basis == D("40.00")
    sale = assess(one_item("200.00", currency="CAD", transport="postal"), CANADA, fx_rate=D(1))
    assert not any("gift exemption" in line.legal_reason for line in sale.lines)
    assert [line.basis for line in lines_of(sale, "duty")] == [D("200.00")]


def test_a_waived_line_says_so_first_even_under_a_long_rate_citation():
    # Found by the money properties: Switzerland's reduced-rate citation is long enough that a
    # "not levied" appended to it was cut off at 400 characters.
    swiss = REGIMES["CH-2018"]
    c = ConsignmentIn(currency="CHF", items=(ItemIn(line=1, hs_code="490199", value=D("1.00")),))
    (vat,) = lines_of(assess(c, swiss, fx_rate=D(1)), "vat")
    assert vat.amount == D("0.00")
    assert vat.legal_reason.startswith("Below the minimum amount, not levied")
