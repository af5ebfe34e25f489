"""Valid declarations of each profile and a corpus of malformed ones, for engine and API tests.

``MALFORMED_CASES`` lists bodies that the intake must reject with status 422, each with the exact
(JSON Pointer, code) pairs expected. Each body is a valid declaration with a small mutation, so
the table reads as "what is wrong" rather than as whole documents. The API tests post the same
bodies to the HTTP endpoint.
"""

import copy
import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from declarations.ratedays import eu_customs_rate_day
from tests.examples import DATASET_EXAMPLE

TODAY = datetime.date(2026, 11, 25)
# The EU customs rate of November 2026 is the rate of 21 October (the penultimate Wednesday of
# October); that of October 2026 the rate of 23 September.
FIXING_DAY = eu_customs_rate_day(TODAY)
OCTOBER_FIXING_DAY = datetime.date(2026, 9, 23)

# Customs rates used by the tests: units of currency per 1 EUR (ECB convention), by fixing day.
RATES: dict[tuple[str, datetime.date], Decimal] = {
    ("USD", FIXING_DAY): Decimal("1.10"),
    ("GBP", FIXING_DAY): Decimal("0.85"),
    ("USD", OCTOBER_FIXING_DAY): Decimal("1.05"),
}


def rate_lookup(currency: str, on: datetime.date) -> Decimal | None:
    """Test rate table: a few dated rates, None for everything else."""
    return RATES.get((currency, on))


_EU_H7 = DATASET_EXAMPLE

_WCO_CORE = {
    "lrn": "SHOP/2026/0042",
    "dataset": "wco-core",
    "category": "sale_of_goods",
    "transport_document": {"type": "house_waybill", "number": "HWB-889900"},
    "master_transport_document": {"type": "master_waybill", "number": "176-12345675"},
    "transport_mode": "air",
    "country_of_dispatch": "US",
    "order": {
        "number": "ORD-55120",
        "date": "2026-11-20T09:15:00-05:00",
        "platform": "Example Store",
        "url": "https://store.example.com/orders/55120",
        "payment": {"transaction_id": "TX-1", "provider": "ExampleCard", "amount": "212.50"},
    },
    "seller": {
        "name": "Example Outdoor Inc.",
        "address": {"street": "100 Main St", "city": "Portland", "country": "US"},
        "phone": "+15035550123",
        "identifiers": [{"scheme": "TIN", "value": "12-3456789"}],
    },
    "consignee": {
        "name": "Jan Jansen",
        "address": {
            "street": "Kerkstraat 1",
            "city": "Utrecht",
            "postcode": "3511 AB",
            "country": "NL",
        },
        "email": "jan@example.nl",
        "phone": "+31612345678",
    },
    "buyer": {"name": "Jan Jansen", "address": {"country": "NL"}},
    "currency": "USD",
    "transport_cost": "12.50",
    "insurance_cost": "2.00",
    "total_gross_mass_kg": "3.2",
    "packages": 2,
    "documents": [{"type": "invoice", "number": "INV-55120"}],
    "items": [
        {
            "line": 1,
            "description": "Hiking boots, leather uppers, rubber soles",
            "hs_code": "640391",
            "quantity": 1,
            "unit": "PR",
            "net_mass_kg": "1.4",
            "value": "149.00",
            "origin_country": "VN",
            "product_url": "https://store.example.com/p/boots-1",
            "seller_sku": "BOOT-1-42",
        },
        {
            "line": 2,
            "description": "Merino wool socks",
            "hs_code": "611510",
            "quantity": 3,
            "unit": "PR",
            "net_mass_kg": "0.3",
            "value": 49,
            "origin_country": "US",
        },
    ],
}

_UPU_CN23 = {
    "lrn": "POST-UK-778812",
    "dataset": "upu-cn23",
    "category": "sale_of_goods",
    "transport_document": {"type": "postal_item", "number": "RR123456785DE"},
    "transport_mode": "post",
    "country_of_dispatch": "GB",
    "sender": {
        "name": "Example Crafts Ltd",
        "address": {"street": "1 High Street", "city": "York", "country": "GB"},
        "email": "shop@example.co.uk",
    },
    "consignee": {
        "name": "Hans Muster",
        "address": {
            "street": "Hauptstrasse 5",
            "city": "Berlin",
            "postcode": "10115",
            "country": "DE",
        },
    },
    "vendor_tax_scheme": {"scheme": "UK_VAT", "number": "GB980780684"},
    "currency": "GBP",
    "transport_cost": "3.40",
    "total_gross_mass_kg": "0.9",
    "items": [
        {
            "line": 1,
            "description": "Hand-knitted wool scarf",
            "hs_code": "611710",
            "quantity": 1,
            "net_mass_kg": "0.25",
            "value": "35.00",
            "origin_country": "GB",
        },
        {
            "line": 2,
            "description": "Ceramic mug, stoneware",
            "hs_code": "691200",
            "quantity": 2,
            "unit": "H87",
            "net_mass_kg": "0.5",
            "value": "18.00",
            "origin_country": "GB",
        },
    ],
}

VALID_DECLARATIONS = {"eu-h7": _EU_H7, "wco-core": _WCO_CORE, "upu-cn23": _UPU_CN23}


def valid_declaration(profile: str) -> dict:
    """A fresh, valid declaration of ``profile`` (eu-h7 is the example of dataset.md)."""
    return copy.deepcopy(VALID_DECLARATIONS[profile])


_DELETE = object()


def _parse(pointer: str) -> list[str | int]:
    parts: list[str | int] = []
    for raw in pointer.split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        parts.append(int(part) if part.isdigit() else part)
    return parts


def with_changes(body: Any, *changes: tuple[str, Any]) -> Any:
    """A deep copy of ``body`` with each (JSON Pointer, value) set, or removed for DELETE.

    Setting a pointer whose last segment is one past the end of a list appends to it.
    """
    result = copy.deepcopy(body)
    for pointer, value in changes:
        *parents, last = _parse(pointer)
        target = result
        for part in parents:
            target = target[part]
        if value is _DELETE:
            del target[last]
        elif isinstance(target, list) and last == len(target):
            target.append(value)
        else:
            target[last] = value
    return result


DELETE = _DELETE


class MalformedCase(NamedTuple):
    """A body the intake must reject, the HTTP status, and the exact (pointer, code) pairs."""

    id: str
    body: Any
    status: int
    expected: tuple[tuple[str, str], ...]

    @property
    def pointer(self) -> str:
        """The pointer of the first expected problem."""
        return self.expected[0][0]

    @property
    def code(self) -> str:
        """The code of the first expected problem."""
        return self.expected[0][1]


def _case(
    case_id: str, profile: str, changes: list[tuple[str, Any]], *expected: tuple[str, str]
) -> MalformedCase:
    return MalformedCase(
        case_id, with_changes(VALID_DECLARATIONS[profile], *changes), 422, tuple(expected)
    )


def bad(case_id: str, profile: str, pointer: str, value: Any, code: str) -> MalformedCase:
    """A case that sets one element (or removes it, for DELETE) and expects one problem there."""
    return _case(case_id, profile, [(pointer, value)], (pointer, code))


def _many_items(count: int) -> list[dict]:
    item = {"description": "Sticker, paper", "hs_code": "491199", "quantity": 1, "value": "0.10"}
    return [{"line": n, **item} for n in range(1, count + 1)]


H7, WCO, CN23 = "eu-h7", "wco-core", "upu-cn23"

MALFORMED_CASES: list[MalformedCase] = [
    # ---- Layer 1: the body is not an object -------------------------------------------------
    MalformedCase("body_is_list", [], 422, (("", "not_an_object"),)),
    MalformedCase("body_is_string", "declaration", 422, (("", "not_an_object"),)),
    MalformedCase("body_is_null", None, 422, (("", "not_an_object"),)),
    MalformedCase("body_is_number", 42, 422, (("", "not_an_object"),)),
    MalformedCase(
        "body_is_empty_object",
        {},
        422,
        (
            ("/category", "required"),
            ("/currency", "required"),
            ("/dataset", "required"),
            ("/items", "required"),
            ("/lrn", "required"),
        ),
    ),
    # ---- Layer 1: unknown elements at every level -------------------------------------------
    bad("unknown_root", H7, "/incoterm", "DAP", "unknown_element"),
    bad("unknown_transport_document", H7, "/transport_document/carrier", "X", "unknown_element"),
    bad(
        "unknown_master_transport_document",
        WCO,
        "/master_transport_document/date",
        "x",
        "unknown_element",
    ),
    bad("unknown_order", H7, "/order/status", "paid", "unknown_element"),
    bad("unknown_payment", H7, "/order/payment/card", "4111", "unknown_element"),
    bad("unknown_party", H7, "/seller/vat", "CN1", "unknown_element"),
    bad("unknown_address", H7, "/consignee/address/floor", "2", "unknown_element"),
    bad("unknown_identifier", H7, "/seller/identifiers/0/issuer", "CN", "unknown_element"),
    bad("unknown_tax_scheme", H7, "/vendor_tax_scheme/country", "FR", "unknown_element"),
    bad("unknown_self_assessed_tax", H7, "/self_assessed_taxes/0/rate", "20", "unknown_element"),
    bad("unknown_document", WCO, "/documents/0/date", "2026-11-20", "unknown_element"),
    bad("unknown_item", H7, "/items/1/colour", "red", "unknown_element"),
    # ---- Layer 1: types, lengths, patterns, enumerations ------------------------------------
    bad("lrn_number", H7, "/lrn", 123, "type_invalid"),
    bad("lrn_too_long", H7, "/lrn", "A" * 36, "string_too_long"),
    bad("lrn_empty", H7, "/lrn", "", "string_too_short"),
    bad("lrn_space", H7, "/lrn", "MKT 2026", "pattern_mismatch"),
    bad("dataset_unknown", H7, "/dataset", "eu-h8", "dataset_unknown"),
    bad("dataset_number", H7, "/dataset", 7, "type_invalid"),
    bad("dataset_missing", H7, "/dataset", DELETE, "required"),
    bad("category_invalid", H7, "/category", "present", "enum_invalid"),
    bad("category_missing", H7, "/category", DELETE, "required"),
    bad("transport_document_type_enum", H7, "/transport_document/type", "bill", "enum_invalid"),
    bad("transport_document_number_missing", H7, "/transport_document/number", DELETE, "required"),
    bad(
        "transport_document_number_too_long",
        H7,
        "/transport_document/number",
        "9" * 36,
        "string_too_long",
    ),
    bad("transport_document_not_object", H7, "/transport_document", "1234567890", "not_an_object"),
    bad("transport_mode_enum", H7, "/transport_mode", "plane", "enum_invalid"),
    bad("dispatch_country_lowercase", H7, "/country_of_dispatch", "cn", "pattern_mismatch"),
    bad("dispatch_country_number", H7, "/country_of_dispatch", 156, "type_invalid"),
    bad(
        "arrival_without_timezone",
        H7,
        "/expected_arrival",
        "2026-11-30T06:00:00",
        "datetime_timezone_required",
    ),
    bad("arrival_not_a_date", H7, "/expected_arrival", "next tuesday", "datetime_invalid"),
    bad("arrival_timestamp_number", H7, "/expected_arrival", 1796018400, "datetime_invalid"),
    bad(
        "order_date_without_timezone",
        H7,
        "/order/date",
        "2026-11-24T18:03:00",
        "datetime_timezone_required",
    ),
    bad("order_url_not_url", WCO, "/order/url", "store.example.com/orders/1", "pattern_mismatch"),
    # A URL must also parse: a host, a closed IPv6 bracket, a port in range.
    bad("order_url_unclosed_ipv6", WCO, "/order/url", "http://[::1", "pattern_mismatch"),
    bad("order_url_without_host", WCO, "/order/url", "https://:443/orders/1", "pattern_mismatch"),
    bad(
        "product_url_port_out_of_range",
        WCO,
        "/items/0/product_url",
        "https://store.example.com:99999/p/1",
        "pattern_mismatch",
    ),
    bad(
        "product_url_port_zero",
        WCO,
        "/items/0/product_url",
        "https://store.example.com:0/p/1",
        "pattern_mismatch",
    ),
    bad(
        "product_url_port_not_a_number",
        WCO,
        "/items/0/product_url",
        "https://store.example.com:https/p/1",
        "pattern_mismatch",
    ),
    bad("order_not_object", H7, "/order", ["A-99812"], "not_an_object"),
    bad("payment_amount_negative", H7, "/order/payment/amount", "-47.80", "number_too_small"),
    bad("payment_currency_lowercase", H7, "/order/payment/currency", "eur", "pattern_mismatch"),
    bad("currency_lowercase", H7, "/currency", "eur", "pattern_mismatch"),
    bad("currency_missing", H7, "/currency", DELETE, "required"),
    bad("transport_cost_negative", H7, "/transport_cost", "-4.00", "number_too_small"),
    bad("transport_cost_text", H7, "/transport_cost", "four", "decimal_invalid"),
    bad("transport_cost_bool", H7, "/transport_cost", True, "type_invalid"),
    bad("transport_cost_nan", H7, "/transport_cost", "NaN", "decimal_invalid"),
    bad("transport_cost_infinity", H7, "/transport_cost", "Infinity", "decimal_invalid"),
    bad("insurance_cost_too_precise", WCO, "/insurance_cost", "2.00001", "decimal_too_many_places"),
    bad("gross_mass_zero", H7, "/total_gross_mass_kg", "0", "number_too_small"),
    bad("gross_mass_absurd", H7, "/total_gross_mass_kg", "10000000000000", "number_too_large"),
    bad("packages_zero", H7, "/packages", 0, "number_too_small"),
    bad("packages_string", H7, "/packages", "1", "type_invalid"),
    bad("packages_fraction", H7, "/packages", 1.5, "type_invalid"),
    bad("packages_bool", H7, "/packages", True, "type_invalid"),
    bad("tax_type_enum", H7, "/self_assessed_taxes/0/type", "excise", "enum_invalid"),
    bad(
        "taxes_not_list",
        H7,
        "/self_assessed_taxes",
        {"type": "vat", "amount": "8.80"},
        "type_invalid",
    ),
    bad("tax_amount_missing", H7, "/self_assessed_taxes/0/amount", DELETE, "required"),
    bad("document_type_enum", WCO, "/documents/0/type", "receipt", "enum_invalid"),
    bad("items_empty", H7, "/items", [], "list_too_short"),
    bad("items_object", H7, "/items", {"line": 1}, "type_invalid"),
    bad("items_missing", H7, "/items", DELETE, "required"),
    bad("item_not_object", H7, "/items/1", "phone case", "not_an_object"),
    bad("line_zero", H7, "/items/0/line", 0, "number_too_small"),
    bad("line_string", H7, "/items/0/line", "1", "type_invalid"),
    bad("description_too_short", H7, "/items/1/description", "ok", "string_too_short"),
    bad("description_too_long", H7, "/items/1/description", "x" * 513, "string_too_long"),
    bad("hs_code_five_digits", H7, "/items/0/hs_code", "61091", "pattern_mismatch"),
    bad("hs_code_eleven_digits", H7, "/items/0/hs_code", "61091000101", "pattern_mismatch"),
    bad("hs_code_dotted", H7, "/items/0/hs_code", "6109.10", "pattern_mismatch"),
    bad("hs_code_number", H7, "/items/0/hs_code", 610910, "type_invalid"),
    bad("quantity_zero", WCO, "/items/0/quantity", 0, "number_too_small"),
    bad("quantity_negative", H7, "/items/0/quantity", -2, "number_too_small"),
    bad("unit_lowercase", WCO, "/items/0/unit", "pr", "pattern_mismatch"),
    bad("net_mass_negative", CN23, "/items/0/net_mass_kg", "-0.25", "number_too_small"),
    bad("value_negative", H7, "/items/1/value", "-15.80", "number_too_small"),
    bad("value_list", H7, "/items/1/value", ["15.80"], "type_invalid"),
    bad("origin_country_name", H7, "/items/0/origin_country", "China", "pattern_mismatch"),
    bad("product_url_not_url", WCO, "/items/0/product_url", "boots-1", "pattern_mismatch"),
    bad("seller_sku_too_long", WCO, "/items/0/seller_sku", "S" * 71, "string_too_long"),
    bad("party_name_too_long", H7, "/consignee/name", "M" * 141, "string_too_long"),
    bad("party_name_empty", H7, "/seller/name", "", "string_too_short"),
    bad("party_not_object", H7, "/consignee", "Marie Dupont", "not_an_object"),
    bad("email_number", H7, "/consignee/email", 42, "type_invalid"),
    bad("identifier_scheme_enum", H7, "/seller/identifiers/0/scheme", "DUNS", "enum_invalid"),
    bad("tax_scheme_enum", H7, "/vendor_tax_scheme/scheme", "GST", "enum_invalid"),
    bad("tax_scheme_not_object", H7, "/vendor_tax_scheme", "IM2500000015", "not_an_object"),
    bad("too_many_items", H7, "/items", _many_items(1000), "list_too_long"),
    _case(
        "several_shape_errors",
        H7,
        [("/lrn", 5), ("/items/0/value", "-1"), ("/consignee/address/floor", 2)],
        ("/consignee/address/floor", "unknown_element"),
        ("/items/0/value", "number_too_small"),
        ("/lrn", "type_invalid"),
    ),
    # ---- Layer 1: mandatory and conditional elements of each profile ------------------------
    bad("h7_lrn_missing", H7, "/lrn", DELETE, "required"),
    bad("h7_seller_missing", H7, "/seller", DELETE, "required"),
    bad("h7_seller_name_missing", H7, "/seller/name", DELETE, "required"),
    bad("h7_seller_country_missing", H7, "/seller/address/country", DELETE, "required"),
    bad("h7_consignee_missing", H7, "/consignee", DELETE, "required"),
    bad("h7_consignee_address_missing", H7, "/consignee/address", DELETE, "required"),
    bad("h7_consignee_street_missing", H7, "/consignee/address/street", DELETE, "required"),
    bad("h7_consignee_city_null", H7, "/consignee/address/city", None, "required"),
    bad("h7_transport_document_missing", H7, "/transport_document", DELETE, "required"),
    bad("h7_dispatch_country_missing", H7, "/country_of_dispatch", DELETE, "required"),
    bad("h7_gross_mass_missing", H7, "/total_gross_mass_kg", DELETE, "required"),
    bad("h7_packages_missing", H7, "/packages", DELETE, "required"),
    bad("h7_hs_code_missing", H7, "/items/1/hs_code", DELETE, "required"),
    bad("h7_value_null", H7, "/items/0/value", None, "required"),
    bad("h7_line_missing", H7, "/items/0/line", DELETE, "required"),
    bad("h7_description_missing", H7, "/items/1/description", DELETE, "required"),
    bad("wco_order_missing_for_sale", WCO, "/order", DELETE, "required"),
    bad("wco_seller_missing_for_sale", WCO, "/seller", DELETE, "required"),
    bad("wco_quantity_missing", WCO, "/items/0/quantity", DELETE, "required"),
    bad("wco_origin_missing", WCO, "/items/1/origin_country", DELETE, "required"),
    bad("wco_hs_code_missing", WCO, "/items/0/hs_code", DELETE, "required"),
    bad("wco_buyer_without_name", WCO, "/buyer/name", DELETE, "required"),
    bad("cn23_sender_missing", CN23, "/sender", DELETE, "required"),
    bad("cn23_sender_country_missing", CN23, "/sender/address/country", DELETE, "required"),
    bad("cn23_net_mass_missing", CN23, "/items/1/net_mass_kg", DELETE, "required"),
    bad("cn23_quantity_missing", CN23, "/items/0/quantity", DELETE, "required"),
    bad("cn23_consignee_street_missing", CN23, "/consignee/address/street", DELETE, "required"),
    _case(
        "shape_and_profile_errors_together",
        H7,
        [("/seller", DELETE), ("/packages", "2")],
        ("/packages", "type_invalid"),
        ("/seller", "required"),
    ),
    # ---- Layer 2: code lists ----------------------------------------------------------------
    bad("dispatch_country_unknown", H7, "/country_of_dispatch", "XX", "country_unknown"),
    bad("seller_country_unknown", H7, "/seller/address/country", "ZZ", "country_unknown"),
    bad("sender_country_unknown", CN23, "/sender/address/country", "UK", "country_unknown"),
    bad("consignee_country_unknown", H7, "/consignee/address/country", "XX", "country_unknown"),
    bad("buyer_country_unknown", WCO, "/buyer/address/country", "EU", "country_unknown"),
    bad("origin_country_unknown", H7, "/items/1/origin_country", "XX", "country_unknown"),
    bad("currency_unknown", H7, "/currency", "ABC", "currency_unknown"),
    bad("currency_no_currency_code", WCO, "/currency", "XXX", "currency_unknown"),
    bad("payment_currency_unknown", H7, "/order/payment/currency", "EUX", "currency_unknown"),
    bad("hs_code_unknown", H7, "/items/1/hs_code", "999999", "hs_code_unknown"),
    bad("hs_code_unknown_ten_digits", H7, "/items/0/hs_code", "9999990000", "hs_code_unknown"),
    bad("hs_code_heading_only", WCO, "/items/0/hs_code", "640300", "hs_code_unknown"),
    bad("unit_unknown", WCO, "/items/1/unit", "ZZZ", "unit_unknown"),
    bad(
        "s10_check_digit_wrong", CN23, "/transport_document/number", "RR123456789DE", "s10_invalid"
    ),
    bad("s10_too_short", CN23, "/transport_document/number", "RR12345678DE", "s10_invalid"),
    bad(
        "document_number_cyrillic",
        H7,
        "/transport_document/number",
        "12345\u041067890",
        "document_number_invalid",
    ),
    bad(
        "document_number_en_dash",
        WCO,
        "/transport_document/number",
        "176\u201312345675",
        "document_number_invalid",
    ),
    bad("s10_country_unknown", CN23, "/transport_document/number", "RR123456785XX", "s10_invalid"),
    _case(
        "s10_in_other_profile",
        H7,
        [("/transport_document", {"type": "postal_item", "number": "LX123456780CN"})],
        ("/transport_document/number", "s10_invalid"),
    ),
    bad(
        "ioss_wrong_prefix",
        H7,
        "/vendor_tax_scheme/number",
        "IN2500000015",
        "tax_scheme_number_invalid",
    ),
    bad(
        "ioss_too_short",
        H7,
        "/vendor_tax_scheme/number",
        "IM250000001",
        "tax_scheme_number_invalid",
    ),
    bad(
        "ioss_not_member_state",
        H7,
        "/vendor_tax_scheme/number",
        "IM8400000015",
        "tax_scheme_number_invalid",
    ),
    bad(
        "ioss_with_spaces",
        H7,
        "/vendor_tax_scheme/number",
        "IM 250 0000015",
        "tax_scheme_number_invalid",
    ),
    _case(
        "voec_wrong_length",
        H7,
        [("/vendor_tax_scheme", {"scheme": "VOEC", "number": "VOEC123"})],
        ("/vendor_tax_scheme/number", "tax_scheme_number_invalid"),
    ),
    bad(
        "uk_vat_bad_checksum",
        CN23,
        "/vendor_tax_scheme/number",
        "GB802311781",
        "tax_scheme_number_invalid",
    ),
    _case(
        "au_gst_bad_abn",
        WCO,
        [("/vendor_tax_scheme", {"scheme": "AU_GST", "number": "12345678901"})],
        ("/vendor_tax_scheme/number", "tax_scheme_number_invalid"),
    ),
    _case(
        "nz_gst_bad_ird",
        WCO,
        [("/vendor_tax_scheme", {"scheme": "NZ_GST", "number": "49091851"})],
        ("/vendor_tax_scheme/number", "tax_scheme_number_invalid"),
    ),
    bad("email_without_domain", H7, "/consignee/email", "marie.dupont@", "email_invalid"),
    bad("email_without_at", CN23, "/sender/email", "shop.example.co.uk", "email_invalid"),
    bad("phone_national_format", WCO, "/consignee/phone", "0612345678", "phone_invalid"),
    bad("phone_too_short", WCO, "/seller/phone", "+1503", "phone_invalid"),
    bad("phone_no_such_country_code", WCO, "/consignee/phone", "+999123456789", "phone_invalid"),
    _case(
        "several_code_list_errors",
        H7,
        [("/country_of_dispatch", "XX"), ("/currency", "ABC"), ("/items/1/hs_code", "999999")],
        ("/country_of_dispatch", "country_unknown"),
        ("/currency", "currency_unknown"),
        ("/items/1/hs_code", "hs_code_unknown"),
    ),
    # ---- Layer 3: business rules ------------------------------------------------------------
    _case(
        "h7_ceiling_exceeded_eur",
        H7,
        [("/items/0/value", "100.00"), ("/items/1/value", "50.01"), ("/order/payment", DELETE)],
        ("/items", "value_ceiling_exceeded"),
    ),
    _case(
        "h7_ceiling_exceeded_usd_at_dated_rate",
        H7,
        [("/currency", "USD"), ("/items/0/value", "100.00"), ("/items/1/value", "70.00")],
        ("/items", "value_ceiling_exceeded"),
    ),
    bad("h7_exchange_rate_unknown", H7, "/currency", "JPY", "exchange_rate_unavailable"),
    bad("h7_excise_wine", H7, "/items/1/hs_code", "220421", "excise_goods_not_admissible"),
    bad(
        "h7_excise_cigarettes", H7, "/items/0/hs_code", "2402200000", "excise_goods_not_admissible"
    ),
    bad("h7_excise_mineral_oil", H7, "/items/1/hs_code", "271019", "excise_goods_not_admissible"),
    bad("h7_line_duplicate", H7, "/items/1/line", 1, "line_duplicate"),
    _case("wco_line_duplicate", WCO, [("/items/0/line", 2)], ("/items/1/line", "line_duplicate")),
    bad("cn23_line_out_of_range", CN23, "/items/1/line", 5, "line_out_of_range"),
    _case(
        "h7_net_mass_exceeds_gross",
        H7,
        [("/items/0/net_mass_kg", "0.7")],
        ("/total_gross_mass_kg", "net_mass_exceeds_gross"),
    ),
    bad(
        "cn23_net_mass_exceeds_gross", CN23, "/total_gross_mass_kg", "0.7", "net_mass_exceeds_gross"
    ),
    bad(
        "h7_payment_too_high", H7, "/order/payment/amount", "100.00", "payment_amount_inconsistent"
    ),
    bad("h7_payment_too_low", H7, "/order/payment/amount", "30.00", "payment_amount_inconsistent"),
    bad(
        "wco_payment_without_currency_too_high",
        WCO,
        "/order/payment/amount",
        "300",
        "payment_amount_inconsistent",
    ),
    _case(
        "cn23_not_postal_item",
        CN23,
        [("/transport_document", {"type": "house_waybill", "number": "RR123456785DE"})],
        ("/transport_document/type", "transport_document_type_invalid"),
    ),
    bad(
        "cn23_commercial_without_hs",
        CN23,
        "/items/1/hs_code",
        DELETE,
        "hs_code_required_commercial",
    ),
    bad(
        "cn23_commercial_without_origin",
        CN23,
        "/items/0/origin_country",
        DELETE,
        "origin_required_commercial",
    ),
    _case(
        "cn23_sample_unclassified",
        CN23,
        [
            ("/category", "commercial_sample"),
            ("/items/0/hs_code", DELETE),
            ("/items/0/origin_country", DELETE),
        ],
        ("/items/0/hs_code", "hs_code_required_commercial"),
        ("/items/0/origin_country", "origin_required_commercial"),
    ),
    # ---- Poison rows: every bound the columns hold, enforced by the contract ----------------
    bad("gross_mass_12_digits", H7, "/total_gross_mass_kg", "999999999999", "number_too_large"),
    _case(
        "net_mass_12_digits",
        H7,
        [("/items/0/net_mass_kg", "999999999999"), ("/total_gross_mass_kg", "99999999999")],
        ("/items/0/net_mass_kg", "number_too_large"),
    ),
    bad("net_mass_4_places", H7, "/items/0/net_mass_kg", "0.1234", "decimal_too_many_places"),
    bad("quantity_12_digits", WCO, "/items/0/quantity", "999999999999", "number_too_large"),
    bad("quantity_4_places", WCO, "/items/0/quantity", "1.0001", "decimal_too_many_places"),
    bad("item_value_12_digits", WCO, "/items/0/value", "999999999999", "number_too_large"),
    # Amounts are plain decimals: an exponent form is not one, whatever its size.
    bad("item_value_huge_exponent", WCO, "/items/0/value", "1e30", "decimal_invalid"),
    bad("item_value_tiny_exponent", WCO, "/items/0/value", "1e-30", "decimal_invalid"),
    bad("payment_huge_exponent", H7, "/order/payment/amount", "1E+30", "decimal_invalid"),
    bad("item_value_underscore", WCO, "/items/0/value", "4_0", "decimal_invalid"),
    bad("item_value_arabic_digit", WCO, "/items/0/value", "\u0664.00", "decimal_invalid"),
    bad("item_value_plus_sign", WCO, "/items/0/value", "+4.00", "decimal_invalid"),
    bad("item_value_leading_zeros", WCO, "/items/0/value", "0004.00", "decimal_invalid"),
    bad("item_value_spaces", WCO, "/items/0/value", " 4.00 ", "decimal_invalid"),
    bad("item_value_negative_zero", WCO, "/items/0/value", "-0.00", "number_too_small"),
    bad("item_value_trailing_zeros", WCO, "/items/0/value", "24.00000", "decimal_too_many_places"),
    bad("mass_trailing_zeros", H7, "/total_gross_mass_kg", "0.6500", "decimal_too_many_places"),
    bad("transport_cost_12_digits", WCO, "/transport_cost", "999999999999", "number_too_large"),
    _case(
        "total_value_beyond_one_amount",
        WCO,
        [
            ("/items/0/value", "99999999999"),
            ("/items/1/value", "99999999999"),
            ("/order/payment", DELETE),
        ],
        ("/items", "total_too_large"),
    ),
    _case(
        "total_with_transport_beyond_one_amount",
        WCO,
        [
            ("/items/0/value", "99999999999"),
            ("/items/1/value", "0"),
            ("/transport_cost", "1"),
            ("/order/payment", DELETE),
        ],
        ("/items", "total_too_large"),
    ),
    bad("nul_in_seller_name", H7, "/seller/name", "Shenzhen\u0000Trading", "control_character"),
    bad("nul_in_description", H7, "/items/0/description", "Phone\u0000case", "control_character"),
    bad(
        "nul_in_transport_document",
        H7,
        "/transport_document/number",
        "12345\u00006789",
        "control_character",
    ),
    bad("nul_in_lrn", H7, "/lrn", "MKT\u0000-1", "pattern_mismatch"),
    bad("nul_in_order_url", WCO, "/order/url", "https://a.example/\u0000", "control_character"),
    bad("bell_in_city", H7, "/consignee/address/city", "Lyon\u0007", "control_character"),
    bad("escape_in_phone", WCO, "/seller/phone", "+1503\u001b5550123", "control_character"),
    bad(
        "delete_in_identifier", WCO, "/seller/identifiers/0/value", "12-\u007f", "control_character"
    ),
    bad(
        "offset_beyond_plus_14",
        H7,
        "/expected_arrival",
        "2026-11-30T06:00:00+14:01",
        "datetime_offset_invalid",
    ),
    bad(
        "offset_beyond_minus_14",
        H7,
        "/order/date",
        "2026-11-24T18:03:00-15:00",
        "datetime_offset_invalid",
    ),
    bad(
        "offset_absurd",
        H7,
        "/expected_arrival",
        "2026-11-30T06:00:00+23:59",
        "datetime_offset_invalid",
    ),
    bad(
        "datetime_first_day_of_calendar",
        H7,
        "/order/date",
        "0001-01-01T00:00:00+14:00",
        "datetime_out_of_range",
    ),
    bad(
        "datetime_last_day_of_calendar",
        H7,
        "/expected_arrival",
        "9999-12-31T23:59:59-14:00",
        "datetime_out_of_range",
    ),
    # The year is that of the instant in UTC: an offset must not carry it out of 1900-2999.
    bad(
        "datetime_before_1900_in_utc",
        H7,
        "/order/date",
        "1900-01-01T00:00:00+14:00",
        "datetime_out_of_range",
    ),
    bad(
        "datetime_after_2999_in_utc",
        H7,
        "/expected_arrival",
        "2999-12-31T23:00:00-05:00",
        "datetime_out_of_range",
    ),
    # Date-times are kept to the microsecond: more digits would be cut, not kept as sent.
    bad(
        "datetime_nanoseconds",
        H7,
        "/expected_arrival",
        "2026-11-30T06:00:00.123456789Z",
        "datetime_invalid",
    ),
    bad(
        "datetime_seven_fraction_digits",
        H7,
        "/order/date",
        "2026-11-24T18:03:00,1234567+01:00",
        "datetime_invalid",
    ),
    _case(
        "several_rule_errors",
        H7,
        [("/items/1/line", 1), ("/items/1/hs_code", "220421"), ("/items/0/net_mass_kg", "1")],
        ("/items/1/hs_code", "excise_goods_not_admissible"),
        ("/items/1/line", "line_duplicate"),
        ("/total_gross_mass_kg", "net_mass_exceeds_gross"),
    ),
]
