"""The intake contract engine: valid declarations, layering, rules, canonical form, profiles."""

import datetime
import hashlib
import json
import types
import typing
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customs_ecom.platform.bounds import NO_CONTROL_PATTERN
from declarations.errors import ERROR_CODES
from declarations.profiles import (
    DEFAULT_PROFILES,
    ELEMENT_PATHS,
    TEXT_ELEMENTS,
    ProfileSpec,
    default_profile_specs,
)
from declarations.ratedays import eu_customs_rate_day
from declarations.schemas import (
    _PYDANTIC_CODES,
    Address,
    DeclarationIn,
    Item,
    Order,
    Party,
    Payment,
    body_fingerprint,
    canonical_dict,
    declaration_fingerprint,
    validate_declaration,
)
from tests.declarations.corpus import (
    DELETE,
    TODAY,
    VALID_DECLARATIONS,
    rate_lookup,
    valid_declaration,
    with_changes,
)

PROFILES = default_profile_specs()


def validate(body, **overrides):
    options = {"profiles": PROFILES, "rate_lookup": rate_lookup, "today": TODAY} | overrides
    return validate_declaration(body, **options)


def problems(result):
    return [(p.pointer, p.code) for p in result.errors]


# ---- valid declarations ----------------------------------------------------------------------


@pytest.mark.parametrize("profile", sorted(VALID_DECLARATIONS))
def test_valid_declaration_of_each_profile_is_accepted(profile):
    result = validate(valid_declaration(profile))

    assert result.errors == []
    assert isinstance(result.declaration, DeclarationIn)
    assert result.profile is PROFILES[profile]


def test_upu_example_uses_a_real_s10_identifier():
    from declarations.codelists import s10_valid

    number = valid_declaration("upu-cn23")["transport_document"]["number"]
    assert number == "RR123456785DE"
    assert s10_valid(number)


def test_wco_core_gift_needs_neither_order_nor_seller():
    body = with_changes(
        valid_declaration("wco-core"),
        ("/category", "gift"),
        ("/order", DELETE),
        ("/seller", DELETE),
    )

    assert validate(body).errors == []


def test_cn23_gift_may_omit_hs_code_and_origin():
    body = with_changes(
        valid_declaration("upu-cn23"),
        ("/category", "gift"),
        ("/items/0/hs_code", DELETE),
        ("/items/0/origin_country", DELETE),
    )

    assert validate(body).errors == []


def test_eu_h7_accepts_ten_digit_codes_and_uses_the_first_six():
    body = with_changes(valid_declaration("eu-h7"), ("/items/0/hs_code", "6109100010"))

    result = validate(body)

    assert result.errors == []
    assert result.declaration.items[0].hs6 == "610910"


def test_amounts_accepted_as_strings_and_numbers():
    body = with_changes(
        valid_declaration("eu-h7"), ("/items/0/value", 24), ("/items/1/value", 15.8)
    )

    result = validate(body)

    assert result.errors == []
    assert result.declaration.items[1].value == Decimal("15.8")


def test_explicit_null_of_an_optional_element_is_accepted():
    body = with_changes(valid_declaration("eu-h7"), ("/transport_mode", None))

    assert validate(body).errors == []


# ---- layering --------------------------------------------------------------------------------


def test_code_lists_are_not_checked_while_the_shape_is_wrong():
    body = with_changes(valid_declaration("eu-h7"), ("/lrn", 5), ("/country_of_dispatch", "XX"))

    assert problems(validate(body)) == [("/lrn", "type_invalid")]


def test_rules_are_not_checked_while_a_code_is_unknown():
    body = with_changes(
        valid_declaration("eu-h7"), ("/items/1/line", 1), ("/items/0/hs_code", "999999")
    )

    assert problems(validate(body)) == [("/items/0/hs_code", "hs_code_unknown")]


def test_unknown_dataset_still_reports_the_other_shape_errors():
    body = with_changes(valid_declaration("eu-h7"), ("/dataset", "h7"), ("/packages", 0))

    result = validate(body)

    assert problems(result) == [("/dataset", "dataset_unknown"), ("/packages", "number_too_small")]
    assert result.profile is None


def test_errors_are_in_document_order_with_numeric_indexes():
    items = [
        {"line": n, "description": "Sticker", "hs_code": "491199", "quantity": 1, "value": "1"}
        for n in range(1, 12)
    ]
    items[2]["value"] = "-1"
    items[10]["value"] = "-1"
    body = with_changes(valid_declaration("eu-h7"), ("/items", items), ("/order", DELETE))

    assert problems(validate(body)) == [
        ("/items/2/value", "number_too_small"),
        ("/items/10/value", "number_too_small"),
    ]


def test_max_items_is_a_parameter():
    result = validate(valid_declaration("eu-h7"), max_items=1)

    assert problems(result) == [("/items", "list_too_long")]


def test_details_name_the_values_as_in_the_contract():
    body = with_changes(
        valid_declaration("eu-h7"),
        ("/items/1/hs_code", "999999"),
        ("/consignee/address/country", "XX"),
    )

    details = {p.pointer: p.detail for p in validate(body).errors}

    assert details == {
        "/items/1/hs_code": "999999 is not an HS 2022 subheading",
        "/consignee/address/country": "'XX' is not an ISO 3166-1 alpha-2 code",
    }


def test_a_url_that_does_not_parse_is_named_as_such():
    body = with_changes(valid_declaration("wco-core"), ("/order/url", "http://[::1"))

    (problem,) = validate(body).errors

    assert (problem.pointer, problem.code) == ("/order/url", "pattern_mismatch")
    assert problem.detail == '"http://[::1" is not an http:// or https:// URL with a host'


@pytest.mark.parametrize("url", ["HTTPS://SHOP.EXAMPLE/", "Http://shop.example/basket?id=1"])
def test_a_url_scheme_in_capitals_is_a_url(url):
    """RFC 3986: the scheme is case-insensitive; the URL is kept as written."""
    body = with_changes(valid_declaration("wco-core"), ("/order/url", url))

    assert validate(body).errors == []


@pytest.mark.parametrize("url", ["ftp://shop.example/", "HTTPX://shop.example/", "https//x"])
def test_other_schemes_stay_refused(url):
    body = with_changes(valid_declaration("wco-core"), ("/order/url", url))

    assert problems(validate(body)) == [("/order/url", "pattern_mismatch")]


def test_pointer_escapes_slash_and_tilde_in_unknown_keys():
    body = with_changes(valid_declaration("eu-h7"), ("/a~1b~0c", 1))

    assert problems(validate(body)) == [("/a~1b~0c", "unknown_element")]


# ---- business rules --------------------------------------------------------------------------


def test_value_exactly_at_the_ceiling_is_accepted():
    body = with_changes(
        valid_declaration("eu-h7"),
        ("/items/0/value", "100.00"),
        ("/items/1/value", "50.00"),
        ("/order/payment", DELETE),
    )

    assert validate(body).errors == []


def test_foreign_currency_below_the_ceiling_at_the_rate_of_today_is_accepted():
    # 160 USD at 1.10 USD per EUR = EUR 145.45
    body = with_changes(
        valid_declaration("eu-h7"),
        ("/currency", "USD"),
        ("/items/0/value", "100"),
        ("/items/1/value", "60"),
    )

    assert validate(body).errors == []


def test_without_today_the_rate_of_the_order_date_applies():
    # Ordered on 30 October 2026: the customs rate of October, fixed on 23 September, 1.05 USD
    # per EUR: 160 USD = EUR 152.38
    body = with_changes(
        valid_declaration("eu-h7"),
        ("/currency", "USD"),
        ("/items/0/value", "100"),
        ("/items/1/value", "60"),
        ("/order/date", "2026-10-30T10:00:00Z"),
    )

    result = validate(body, today=None)

    assert problems(result) == [("/items", "value_ceiling_exceeded")]
    assert (
        "EUR 152.38 at 1.05 USD per EUR (the customs rate of the month, fixed on 2026-09-23)"
        in result.errors[0].detail
    )


def test_the_customs_rate_of_the_month_applies_not_the_rate_of_the_day():
    asked = []

    def recording_lookup(currency, on):
        asked.append((currency, on))
        return Decimal("1.10")

    body = with_changes(valid_declaration("eu-h7"), ("/currency", "USD"))
    for today in (datetime.date(2026, 11, 1), datetime.date(2026, 11, 30)):
        assert validate(body, today=today, rate_lookup=recording_lookup).errors == []
    # The penultimate Wednesday of October 2026, for every day of November.
    assert asked == [("USD", datetime.date(2026, 10, 21))] * 2


def test_without_today_or_order_date_the_rate_of_the_system_date_applies():
    asked = []

    def recording_lookup(currency, on):
        asked.append((currency, on))
        return Decimal("1.10")

    body = with_changes(valid_declaration("eu-h7"), ("/currency", "USD"), ("/order", DELETE))

    assert validate(body, today=None, rate_lookup=recording_lookup).errors == []
    assert asked == [("USD", eu_customs_rate_day(datetime.date.today()))]


def test_ceiling_not_checked_in_profiles_without_it():
    body = with_changes(valid_declaration("wco-core"), ("/items/0/value", "5000"))
    body = with_changes(body, ("/order/payment/amount", "5063.50"))

    assert validate(body).errors == []


def test_payment_in_another_currency_is_not_compared():
    body = with_changes(
        valid_declaration("eu-h7"),
        ("/order/payment/amount", "9999"),
        ("/order/payment/currency", "CNY"),
    )

    assert validate(body).errors == []


@pytest.mark.parametrize("amount", ["39.80", "39.30", "43.80", "52.60", "53.10"])
def test_payment_between_goods_and_goods_with_costs_and_taxes_within_tolerance(amount):
    # goods 39.80; with transport 4.00 and VAT 8.80: 52.60; tolerance max(1% of 52.60, 0.05)
    body = with_changes(valid_declaration("eu-h7"), ("/order/payment/amount", amount))

    assert validate(body).errors == []


@pytest.mark.parametrize("amount", ["39.20", "53.20"])
def test_payment_just_outside_tolerance_is_inconsistent(amount):
    body = with_changes(valid_declaration("eu-h7"), ("/order/payment/amount", amount))

    assert problems(validate(body)) == [("/order/payment/amount", "payment_amount_inconsistent")]


def test_excise_prefixes_are_profile_parameters():
    spec = PROFILES["eu-h7"].to_dict()
    spec["params"] = spec["params"] | {"excise_hs_prefixes": ["6109"]}
    tightened = {"eu-h7": ProfileSpec.from_dict(spec)}

    result = validate(valid_declaration("eu-h7"), profiles=tightened)

    assert problems(result) == [("/items/0/hs_code", "excise_goods_not_admissible")]


# ---- canonical form and fingerprints ---------------------------------------------------------


def test_canonical_form_applies_defaults():
    canonical = canonical_dict(validate(valid_declaration("eu-h7")).declaration)

    assert canonical["sender"] == canonical["seller"]
    assert canonical["buyer"] == canonical["consignee"]
    assert [item["unit"] for item in canonical["items"]] == ["H87", "H87"]
    # Decimals as the submitter wrote them.
    assert canonical["items"][0]["value"] == "24.00"
    assert canonical["total_gross_mass_kg"] == "0.650"
    assert canonical["expected_arrival"] == "2026-11-30T06:00:00Z"
    assert "master_transport_document" not in canonical


def test_canonical_form_defaults_packages_for_postal_items():
    canonical = canonical_dict(validate(valid_declaration("upu-cn23")).declaration)

    assert canonical["packages"] == 1
    assert "seller" not in canonical and "sender" in canonical
    assert canonical["items"][1]["unit"] == "H87"


def test_canonical_form_keeps_given_buyer_and_offsets():
    canonical = canonical_dict(validate(valid_declaration("wco-core")).declaration)

    assert canonical["buyer"] == {"name": "Jan Jansen", "address": {"country": "NL"}}
    assert canonical["order"]["date"] == "2026-11-20T09:15:00-05:00"
    assert canonical["items"][0]["unit"] == "PR"


def test_a_fraction_of_a_second_is_kept_to_the_microsecond_or_refused():
    body = with_changes(
        valid_declaration("eu-h7"), ("/expected_arrival", "2026-11-30T06:00:00.123456Z")
    )
    canonical = canonical_dict(validate(body).declaration)
    assert canonical["expected_arrival"] == "2026-11-30T06:00:00.123456Z"

    body = with_changes(
        valid_declaration("eu-h7"), ("/expected_arrival", "2026-11-30T06:00:00.123456789Z")
    )
    (problem,) = validate(body).errors
    assert (problem.pointer, problem.code) == ("/expected_arrival", "datetime_invalid")
    assert "6 digits" in problem.detail and "123456789" in problem.detail


@pytest.mark.parametrize("sent", ["0", "-0", "0.00", "+1795590000", "1795590000.5", "000000"])
@pytest.mark.parametrize("pointer", ["/expected_arrival", "/order/date"])
def test_digits_in_a_string_are_not_a_date_time(pointer, sent):
    # Not a Unix time read as 1970-01-01T00:00:00Z and stored so: ISO 8601 text only.
    body = with_changes(valid_declaration("wco-core"), (pointer, sent))
    (problem,) = validate(body).errors
    assert (problem.pointer, problem.code) == (pointer, "datetime_invalid")


def test_fingerprint_does_not_depend_on_how_amounts_were_written():
    first = with_changes(valid_declaration("eu-h7"), ("/items/0/value", "24.00"))
    second = with_changes(valid_declaration("eu-h7"), ("/items/0/value", 24))
    third = with_changes(valid_declaration("eu-h7"), ("/items/0/value", Decimal("2.4E+1")))
    other = with_changes(valid_declaration("eu-h7"), ("/items/0/value", "24.01"))

    declarations = [validate(body).declaration for body in (first, second, third, other)]
    prints = [declaration_fingerprint(d) for d in declarations]

    assert prints[0] == prints[1] == prints[2] != prints[3]
    # The canonical form keeps each spelling, and is plain JSON.
    forms = [canonical_dict(d) for d in declarations[:3]]
    assert [f["items"][0]["value"] for f in forms] == ["24.00", "24", "24"]
    assert json.loads(json.dumps(forms[0])) == forms[0]


def test_canonical_form_does_not_mutate_the_declaration():
    declaration = validate(valid_declaration("eu-h7")).declaration

    canonical_dict(declaration)

    assert declaration.sender is None and declaration.items[0].unit is None


def test_fingerprint_ignores_key_order_but_not_values():
    body = valid_declaration("eu-h7")
    reordered = dict(reversed(list(body.items())))
    changed = with_changes(body, ("/items/0/value", "24.01"))

    assert body_fingerprint(body) == body_fingerprint(reordered)
    assert body_fingerprint(body) != body_fingerprint(changed)
    assert len(body_fingerprint(body)) == 64


# ---- profiles --------------------------------------------------------------------------------


def test_default_profiles_round_trip_through_their_json_form():
    for data in DEFAULT_PROFILES:
        spec = ProfileSpec.from_dict(data)
        assert ProfileSpec.from_dict(spec.to_dict()) == spec
        assert json.loads(json.dumps(spec.to_dict())) == spec.to_dict()
    assert sorted(PROFILES) == ["eu-h7", "upu-cn23", "wco-core"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"elements": {"/items/*/colour": "M"}}, "unknown element"),
        ({"elements": {"/order": "C:weekend"}}, "requirement"),
        ({"elements": {"/order": "X"}}, "requirement"),
        ({"elements": {"/currency": "O"}}, "mandatory in every profile"),
        ({"rules": ["no_socks"]}, "unknown rule"),
    ],
)
def test_profile_naming_unknown_things_is_refused(change, message):
    data = {"code": "x", "version": 1, "elements": {}, "rules": [], "params": {}} | change

    with pytest.raises(ValueError, match=message):
        ProfileSpec.from_dict(data)


def test_an_administration_can_add_a_profile_as_data():
    data = PROFILES["wco-core"].to_dict() | {"code": "strict-units", "version": 3}
    data["elements"] = data["elements"] | {"/items/*/unit": "M", "/consignee/phone": "M"}
    body = with_changes(valid_declaration("wco-core"), ("/dataset", "strict-units"))
    profiles = {"strict-units": ProfileSpec.from_dict(data)}

    assert validate(body, profiles=profiles).errors == []
    body = with_changes(body, ("/items/1/unit", DELETE), ("/consignee/phone", DELETE))
    assert problems(validate(body, profiles=profiles)) == [
        ("/consignee/phone", "required"),
        ("/items/1/unit", "required"),
    ]


def _model_paths(model, prefix):
    descend = {Order, Payment, Party, Address, Item}
    paths = set()
    for name, info in model.model_fields.items():
        path = f"{prefix}/{name}"
        paths.add(path)
        annotation = info.annotation
        if isinstance(annotation, types.UnionType):  # X | None
            (annotation,) = (a for a in typing.get_args(annotation) if a is not type(None))
        if typing.get_origin(annotation) is list:
            (entry,) = typing.get_args(annotation)
            if entry in descend:
                paths |= _model_paths(entry, f"{path}/*")
        elif annotation in descend:
            paths |= _model_paths(annotation, path)
    return paths


def test_profile_element_table_matches_the_contract_models():
    assert _model_paths(DeclarationIn, "") == ELEMENT_PATHS


def test_every_profile_classifies_every_element():
    for spec in PROFILES.values():
        assert set(spec.elements) == ELEMENT_PATHS


def test_every_pydantic_code_is_documented():
    assert set(_PYDANTIC_CODES.values()) <= set(ERROR_CODES)


# ---- robustness ------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["lrn", "dataset", "items", "line", "value", "x", "seller"])
            | st.text(),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)


def _all_pointers(value, prefix=""):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _all_pointers(child, f"{prefix}/{key}")
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _all_pointers(child, f"{prefix}/{index}")


def _assert_well_formed(result):
    if result.declaration is None:
        assert result.errors
    for problem in result.errors:
        assert problem.code in ERROR_CODES
        assert problem.pointer == "" or problem.pointer.startswith("/")
        assert problem.detail


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_any_json_value_gives_a_result_never_an_exception(value):
    _assert_well_formed(validate(value))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(VALID_DECLARATIONS)), st.data())
def test_mutated_declarations_give_a_result_never_an_exception(profile, data):
    body = valid_declaration(profile)
    pointers = [p for p in _all_pointers(body) if p]
    pointer = data.draw(st.sampled_from(pointers))
    replacement = data.draw(st.just(DELETE) | json_values)

    result = validate(with_changes(body, (pointer, replacement)))

    _assert_well_formed(result)
    if result.declaration is not None:
        json.dumps(canonical_dict(result.declaration))


# --- the idempotency fingerprint never changes its bytes --------------------------------------

_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(_json_values)
def test_fingerprint_hashes_the_same_bytes_as_the_standard_library(value):
    """Stored fingerprints are compared with those of later retries: the fast path (orjson) must
    hash exactly the bytes the standard library writes, for anything JSON parsing can produce."""
    from declarations.schemas import _canonical_json_stdlib

    expected = hashlib.sha256(_canonical_json_stdlib(value)).hexdigest()
    assert body_fingerprint(value) == expected


# ---- a currency without a customs rate, blank texts, null for a mandatory element ---------


@pytest.mark.parametrize("profile", sorted(VALID_DECLARATIONS))
@pytest.mark.parametrize("currency", ["KWD", "BHD", "VND"])
def test_every_profile_refuses_a_currency_without_a_customs_rate(profile, currency):
    # The assessment converts every declaration to EUR: a currency without a rate for its
    # rate day could never be assessed, whatever the profile.
    body = with_changes(valid_declaration(profile), ("/currency", currency))

    result = validate(body)

    assert problems(result) == [("/currency", "exchange_rate_unavailable")]
    assert f"{currency} to EUR" in result.errors[0].detail
    assert str(eu_customs_rate_day(TODAY)) in result.errors[0].detail


def test_the_rate_check_asks_for_the_customs_rate_of_the_month_once():
    asked = []

    def recording_lookup(currency, on):
        asked.append((currency, on))
        return None

    body = with_changes(valid_declaration("eu-h7"), ("/currency", "KWD"))

    assert problems(validate(body, rate_lookup=recording_lookup)) == [
        ("/currency", "exchange_rate_unavailable")
    ]
    assert asked == [("KWD", datetime.date(2026, 10, 21))]


def test_a_currency_without_a_rate_is_reported_with_the_other_rule_failures():
    body = with_changes(
        valid_declaration("eu-h7"), ("/currency", "KWD"), ("/items/0/hs_code", "220300")
    )

    assert problems(validate(body)) == [
        ("/currency", "exchange_rate_unavailable"),
        ("/items/0/hs_code", "excise_goods_not_admissible"),
    ]


def test_euro_needs_no_rate():
    body = with_changes(valid_declaration("wco-core"), ("/currency", "EUR"))
    body["order"]["payment"]["currency"] = "EUR"

    assert validate(body, rate_lookup=lambda currency, on: None).errors == []


BLANKS = ["   ", "\u00a0", " \t\n", "\u2003\u3000", "\u00a0\u00a0\u00a0\u00a0"]


# A CN23's transport document number is an S10 identifier, checked by its own pattern.
BLANK_CASES = [
    (profile, pointer)
    for profile in sorted(VALID_DECLARATIONS)
    for pointer in ("/items/0/description", "/consignee/name", "/transport_document/number")
    if not (pointer == "/transport_document/number" and profile == "upu-cn23")
]


@pytest.mark.parametrize(("profile", "pointer"), BLANK_CASES)
@pytest.mark.parametrize("blank", BLANKS)
def test_a_mandatory_text_of_only_whitespace_is_refused_like_an_empty_one(profile, blank, pointer):
    empty = validate(with_changes(valid_declaration(profile), (pointer, "")))
    result = validate(with_changes(valid_declaration(profile), (pointer, blank)))

    assert problems(empty) == [(pointer, "string_too_short")]
    assert problems(result) == [(pointer, "string_too_short")]
    assert "whitespace" in result.errors[0].detail


@pytest.mark.parametrize(
    ("pointer", "value"),
    [
        ("/seller/identifiers/0/value", "\u00a0"),
        ("/vendor_tax_scheme/number", "  "),
        ("/documents", [{"type": "invoice", "number": " "}]),
    ],
)
def test_a_text_the_contract_requires_of_only_whitespace_is_refused(pointer, value):
    body = with_changes(valid_declaration("eu-h7"), (pointer, value))
    where = pointer if pointer != "/documents" else "/documents/0/number"

    assert problems(validate(body)) == [(where, "string_too_short")]


@pytest.mark.parametrize("profile", sorted(VALID_DECLARATIONS))
def test_an_optional_text_of_only_whitespace_is_kept_as_sent(profile):
    body = with_changes(
        valid_declaration(profile),
        ("/items/0/seller_sku", "\u00a0"),
        ("/consignee/address/postcode", "   "),
    )

    result = validate(body)

    assert result.errors == []
    stored = canonical_dict(result.declaration)
    assert stored["items"][0]["seller_sku"] == "\u00a0"
    assert stored["consignee"]["address"]["postcode"] == "   "


def _is_free_text(path):
    model, annotation = DeclarationIn, None
    for segment in path[1:].split("/"):
        if segment == "*":
            continue
        annotation = model.model_fields[segment].annotation
        if typing.get_origin(annotation) in (typing.Union, types.UnionType):  # X | None
            (annotation,) = (a for a in typing.get_args(annotation) if a is not type(None))
        if typing.get_origin(annotation) is list:
            (annotation,) = typing.get_args(annotation)
        model = annotation
    # A free text (schemas._text): e-mail addresses and phone numbers have a format of their own.
    metadata = getattr(annotation, "__metadata__", ())
    return any(
        getattr(m, "json_schema_extra", None) == {"pattern": NO_CONTROL_PATTERN} for m in metadata
    ) and path.rsplit("/", 1)[-1] not in ("email", "phone")


def test_the_free_texts_a_profile_may_demand_are_those_of_the_models():
    assert {path for path in ELEMENT_PATHS if _is_free_text(path)} == TEXT_ELEMENTS


def test_a_text_with_some_letters_among_whitespace_is_accepted():
    body = with_changes(valid_declaration("eu-h7"), ("/consignee/name", "\u00a0Jo\u00a0"))

    assert validate(body).errors == []


@pytest.mark.parametrize("profile", sorted(VALID_DECLARATIONS))
@pytest.mark.parametrize(
    "pointer",
    [
        "/lrn",
        "/dataset",
        "/category",
        "/currency",
        "/items",
        "/transport_document",
        "/transport_document/type",
        "/transport_document/number",
        "/consignee",
        "/consignee/name",
        "/items/0/description",
        "/items/0/value",
    ],
)
def test_null_for_a_mandatory_element_is_one_error_required(profile, pointer):
    result = validate(with_changes(valid_declaration(profile), (pointer, None)))

    assert problems(result) == [(pointer, "required")]


@pytest.mark.parametrize(
    ("pointer", "value", "where"),
    [
        ("/seller/identifiers/0/value", None, "/seller/identifiers/0/value"),
        ("/vendor_tax_scheme/scheme", None, "/vendor_tax_scheme/scheme"),
        ("/self_assessed_taxes/0/amount", None, "/self_assessed_taxes/0/amount"),
        ("/self_assessed_taxes/0/type", None, "/self_assessed_taxes/0/type"),
    ],
)
def test_null_for_an_element_the_contract_requires_is_required(pointer, value, where):
    body = with_changes(valid_declaration("eu-h7"), (pointer, value))

    assert problems(validate(body)) == [(where, "required")]


def test_null_as_a_list_entry_is_still_the_wrong_type():
    body = with_changes(valid_declaration("eu-h7"), ("/items/1", None))

    assert problems(validate(body)) == [("/items/1", "not_an_object")]


def test_errors_are_sorted_by_pointer_not_in_the_order_of_the_body():
    # dataset.md: sorted by pointer, list indexes as numbers; /items/0/aaa comes before /zzz
    # although the body sends /zzz first.
    body = {"zzz": 1, **valid_declaration("eu-h7")}
    body["items"][0] = {"aaa": 1, **body["items"][0]}

    assert problems(validate(body)) == [
        ("/items/0/aaa", "unknown_element"),
        ("/zzz", "unknown_element"),
    ]
