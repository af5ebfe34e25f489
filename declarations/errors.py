"""The one error shape of the intake contract and the catalogue of its stable codes.

Every rejection names the offending element by an RFC 6901 JSON Pointer into the body the
submitter sent, a stable machine ``code`` integrators can program against, and a ``detail``
sentence for humans (dataset.md, "Errors").
"""

from typing import NamedTuple


class Problem(NamedTuple):
    """One validation failure: where (JSON Pointer), what (stable code) and why (a sentence)."""

    pointer: str
    code: str
    detail: str


# Every code the intake engine can emit, grouped by validation layer (dataset.md
# "Validation layers"). Codes are a public contract: add new ones, never rename.
ERROR_CODES: dict[str, str] = {
    # Layer 1: shape
    "not_an_object": "The body, or an element that must be an object, is not a JSON object.",
    "type_invalid": "The element has the wrong JSON type (e.g. a number where a string is expected).",
    "required": "A mandatory element (of the contract or of the selected profile) is missing or null.",
    "unknown_element": "The element is not part of the declaration contract.",
    "string_too_short": "The string is shorter than the contract allows.",
    "string_too_long": "The string is longer than the contract allows.",
    "pattern_mismatch": "The string does not have the required format (e.g. two capital letters).",
    "enum_invalid": "The value is not one of the values the contract lists for this element.",
    "number_too_small": "The number is below the allowed minimum (e.g. a negative amount).",
    "number_too_large": "The number has more than 11 digits before the decimal point (or, for a "
    "count, is above its maximum).",
    "total_too_large": "The item values, transport and insurance add up to more than one amount "
    "may hold (99,999,999,999.9999).",
    "control_character": "The text holds NUL or another control character (tab and line breaks "
    "are allowed).",
    "decimal_invalid": "The amount is not a finite decimal number (string or JSON number).",
    "decimal_too_many_places": "The amount has more decimal places than the contract allows.",
    "date_invalid": "The value is not an ISO 8601 calendar date (YYYY-MM-DD).",
    "datetime_invalid": "The value is not an ISO 8601 date-time string.",
    "datetime_timezone_required": "The ISO 8601 date-time has no time zone.",
    "datetime_offset_invalid": "The date-time's UTC offset is beyond +/-14:00.",
    "datetime_out_of_range": "The date-time's year is not between 1900 and 2999.",
    "datetime_in_future": "The date-time is in the future (an arrival that has not happened yet).",
    "datetime_too_old": "The date-time is more than 30 days ago (an arrival is reported when the goods are presented).",
    "list_too_short": "The list has fewer entries than the contract requires.",
    "list_too_long": "The list has more entries than the contract or the endpoint allows.",
    "dataset_unknown": "The `dataset` value does not name a profile known to this administration.",
    "invalid": "The element is invalid for a reason not covered by a more specific code.",
    # Layer 2: code lists
    "country_unknown": "Not an ISO 3166-1 alpha-2 country code.",
    "currency_unknown": "Not an ISO 4217 currency code.",
    "hs_code_unknown": "The first six digits are not an HS 2022 subheading.",
    "unit_unknown": "Not a UN/ECE Recommendation 20 unit of measure code.",
    "s10_invalid": "Not a valid UPU S10 postal item identifier (format or check digit).",
    "document_number_invalid": (
        "Not a transport document number: Latin letters and digits, separated by spaces, '-', "
        "'/' or '.'."
    ),
    "tax_scheme_number_invalid": "The number is not valid for its tax scheme (IOSS, VOEC, ...).",
    "email_invalid": "Not a syntactically valid e-mail address.",
    "phone_invalid": "Not a possible phone number in E.164 format (+ and 8-15 digits).",
    # Layer 3: business rules of the profile
    "value_ceiling_exceeded": "The total intrinsic value exceeds the profile's ceiling in EUR.",
    "exchange_rate_unavailable": "No customs exchange rate is known for the currency on that day.",
    "excise_goods_not_admissible": "Excise goods (alcohol, tobacco, mineral oils) are not admissible.",
    "line_duplicate": "The item line number is used by an earlier item.",
    "line_out_of_range": "The item line number is not between 1 and the number of items.",
    "net_mass_exceeds_gross": "The items' net masses add up to more than the total gross mass.",
    "payment_amount_inconsistent": "The amount paid does not match the declared values.",
    "hs_code_required_commercial": "A commercial item needs an HS code in this profile.",
    "origin_required_commercial": "A commercial item needs a country of origin in this profile.",
    "transport_document_type_invalid": "The profile requires another transport document type.",
}


# The codes of reading a JSON body, before any contract (400 ``malformed_json`` problems, on
# every JSON endpoint; in a batch, the result of the one declaration they are found in).
BODY_CODES: dict[str, str] = {
    "malformed_json": "The body is not JSON (syntax, encoding, NaN/Infinity, nesting too deep), "
    "or a string holds half of a UTF-16 surrogate pair.",
    "duplicate_member": "The object names this member more than once; send each element once "
    "(JSON readers differ on which value counts).",
}
