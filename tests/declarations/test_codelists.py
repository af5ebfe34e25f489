"""Code lists and identifier checks of validation layer 2."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from declarations import codelists


@pytest.mark.parametrize(
    ("code", "known"),
    [("FR", True), ("CN", True), ("XK", True), ("XX", False), ("UK", False), ("fr", False)],
)
def test_countries_are_iso_3166_alpha_2(code, known):
    assert codelists.is_country(code) is known


@pytest.mark.parametrize(
    ("code", "known"),
    [("EUR", True), ("USD", True), ("CNY", True), ("XXX", False), ("XTS", False), ("ABC", False)],
)
def test_currencies_are_iso_4217_that_can_price_a_sale(code, known):
    assert codelists.is_currency(code) is known


def test_hs_2022_has_5612_subheadings():
    assert len(codelists._HS_SUBHEADINGS) == 5612
    assert codelists.hs_description("610910").startswith("T-shirts, singlets and other vests")
    assert codelists.hs_description("999999") is None
    assert codelists.hs_description("6109") is None


def test_hs_headings_and_chapters():
    assert codelists.hs_heading_description("61").startswith("Apparel and clothing")
    assert codelists.hs_heading_description("2710").startswith("Petroleum oils")
    assert codelists.hs_heading_description("610910") is None
    assert codelists.hs_heading_description("99") is None


def test_common_unece_units_are_known():
    for unit in (
        "H87",
        "KGM",
        "GRM",
        "LTR",
        "MTR",
        "MTK",
        "PR",
        "SET",
        "NPR",
        "C62",
        "PCE",
        "DZN",
        "BX",
        "MTQ",
        "KWH",
        "NAR",
    ):
        assert codelists.is_unece_unit(unit), unit
    assert len(codelists.UNECE_UNITS) >= 60
    assert not codelists.is_unece_unit("ZZZ")
    assert not codelists.is_unece_unit("kgm")


@pytest.mark.parametrize(
    ("serial", "digit"),
    [
        ("12345678", 5),  # 11 - 204 % 11 = 5
        ("00000000", 5),  # sum 0: 11 - 0 = 11, which becomes 5
        ("00000008", 0),  # 11 - 56 % 11 = 10, which becomes 0
        ("00000001", 4),  # 11 - 7 = 4
    ],
)
def test_s10_check_digit(serial, digit):
    assert codelists.s10_check_digit(serial) == digit


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("RR123456785DE", True),
        ("EE000000005CN", True),
        ("CP000000080FR", True),
        ("RR123456789DE", False),  # wrong check digit
        ("RR12345678DE", False),  # serial too short
        ("RR123456785XX", False),  # not a country
        ("rr123456785DE", False),  # lower case
        ("RR 123456785DE", False),  # separator
    ],
)
def test_s10_identifiers(number, valid):
    assert codelists.s10_valid(number) is valid


@pytest.mark.parametrize(
    ("scheme", "number", "valid"),
    [
        ("IOSS", "IM2500000015", True),
        ("IOSS", "IM2760000123", True),
        ("IOSS", "IM8400000015", False),  # 840 is not an EU member state
        ("IOSS", "EU372022452", False),  # non-union OSS, not import OSS
        ("IOSS", "IM250000001", False),
        ("IOSS", "im2500000015", False),
        ("VOEC", "VOEC2048743", True),
        ("VOEC", "VOEC204874", False),
        ("VOEC", "2048743", False),
        ("UK_VAT", "GB980780684", True),
        ("UK_VAT", "980780684", False),  # prefix required
        ("UK_VAT", "GB802311781", False),  # check sum
        ("AU_GST", "51824753556", True),  # ABN
        ("AU_GST", "51824753557", False),
        ("AU_GST", "300000000123", True),  # ARN: length only
        ("AU_GST", "3000000001", False),
        ("NZ_GST", "49091850", True),
        ("NZ_GST", "136410132", True),
        ("NZ_GST", "49091851", False),
        ("NZ_GST", "49-091-850", False),  # no separators
        ("GST", "49091850", False),  # unknown scheme
    ],
)
def test_tax_scheme_numbers(scheme, number, valid):
    assert codelists.tax_scheme_number_valid(scheme, number) is valid


@pytest.mark.parametrize(
    ("address", "valid"),
    [
        ("marie.dupont@example.org", True),
        ("jan+orders@example.nl", True),
        ("marie.dupont@", False),
        ("no-at-sign.example.org", False),
        ("two@@example.org", False),
        ("zoë.12@example.org", True),  # RFC 6531 letters, accepted without the library
        ("田中.太郎@example.jp", True),
        ("zoë..12@example.org", False),
        (".zoë@example.org", False),
        ("zo\u0308e@example.org", True),  # a combining mark: decided by the library
        ("a\u200bb@example.org", False),  # a zero-width space is not a letter
        ("a\ud800b@example.org", False),  # a lone surrogate: refused, not an encoding error
    ],
)
def test_email_syntax(address, valid):
    assert codelists.email_valid(address) is valid


@given(
    st.text(
        st.characters(codec="utf-8", exclude_categories=("Cs",)) | st.sampled_from(".-+_"),
        min_size=1,
        max_size=70,
    )
)
def test_the_fast_email_path_never_accepts_what_the_library_refuses(local):
    """The shortcut decides only addresses the full RFC 6531 check would accept as well."""
    address = f"{local}@example.org"
    if codelists._SIMPLE_LOCAL_PART.fullmatch(local) and len(address.encode()) <= 254:
        assert codelists._library_email_problem(address) is None


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("+33612345678", True),
        ("+15035550123", True),
        ("+8613812345678", True),
        ("0612345678", False),  # national format
        ("+33 6 12 34 56 78", False),  # spaces are not E.164
        ("+1503", False),  # too short
        ("+999123456789", False),  # no such country calling code
        ("+3361234567890123", False),  # more than 15 digits
    ],
)
def test_phone_numbers_are_e164_and_possible(number, valid):
    assert codelists.phone_valid(number) is valid
