"""The intake contract (dataset.md) as a pure validation engine.

``validate_declaration`` runs the validation layers of dataset.md in order, each only if the
previous one passed, and reports every failure of a layer at once:

1. shape: a JSON object, types, lengths, patterns, no unknown elements, and the mandatory and
   conditional elements of the profile that ``dataset`` selects;
2. code lists: countries, currencies, HS 2022 subheadings, UN/ECE units, S10 identifiers,
   tax-scheme numbers, e-mail addresses and phone numbers;
3. business rules named by the profile.

Layer 4 (data quality) never rejects and lives elsewhere. Every failure is a
:class:`~declarations.errors.Problem` whose pointer addresses the body as submitted.

The pydantic models are built once at import; validating a typical two-item declaration costs
a few tens of microseconds, which the batch endpoint depends on.
"""

import datetime
import hashlib
import json
import re
import typing
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Annotated, Any, Literal, NamedTuple
from urllib.parse import urlsplit

import orjson
import pydantic
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, StrictInt
from pydantic_core import PydanticCustomError

from customs_ecom.platform import bounds
from customs_ecom.platform.bounds import plain_decimal_problem
from declarations import codelists
from declarations.errors import Problem
from declarations.profiles import COMMERCIAL_CATEGORIES, RULES, ProfileSpec
from declarations.ratedays import eu_customs_rate_day

# --------------------------------------------------------------------------------------------
# Layer 1: the shape of the contract
# --------------------------------------------------------------------------------------------


_ISO_DATE_START = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _datetime_from_string(value: Any) -> Any:
    # pydantic would read a JSON number as a Unix timestamp; the contract says ISO 8601 text.
    if isinstance(value, str):
        # pydantic would also read digits in a string ("0", "1795590000.5") as a Unix timestamp
        # and store 1970-01-01T00:00:00Z: a date-time starts with its calendar date.
        if _ISO_DATE_START.match(value) is None:
            raise PydanticCustomError(
                "datetime_parsing", "Not an ISO 8601 date-time (YYYY-MM-DDThh:mm:ss and an offset)"
            )
        # pydantic would cut a fraction of a second beyond the microsecond: refused instead.
        problem = bounds.fraction_problem(value)
        if problem is not None:
            raise PydanticCustomError("datetime_parsing", problem[0].upper() + problem[1:])
        return value
    raise PydanticCustomError("datetime_type", "Input should be an ISO 8601 date-time string")


def _bounded_datetime(value: datetime.datetime) -> datetime.datetime:
    # customs_ecom.platform.bounds: an offset within +/-14:00 and a year the database and UTC both hold.
    problem = bounds.datetime_problem(value)
    if problem is not None:
        raise PydanticCustomError(problem[0], problem[1])
    return value


def _plain_text(value: str) -> str:
    # customs_ecom.platform.bounds: no NUL or other control character (tab and line breaks are text).
    found = bounds.control_character(value)
    if found is not None:
        raise PydanticCustomError(
            "control_character",
            "The text holds the control character {character}",
            {"character": found},
        )
    return value


_ZERO = Decimal(0)
_ONE = Decimal(1)


def _normalised(value: Decimal) -> Decimal:
    # One spelling per number ("12.50", "12.5" and 12.5 all become 12.5, "1E+3" becomes 1000) so
    # that fingerprints do not depend on how the submitter wrote it.
    if not value:
        return _ZERO
    value = value.normalize()
    return value.quantize(_ONE) if value.as_tuple().exponent > 0 else value


# Amounts, masses and quantities: the bounds of customs_ecom.platform.bounds, which the columns share.
# They are kept as the submitter wrote them ("47.80" stays "47.80"); fingerprints compare them
# in normal form, so "19.8" and "19.80" are the same amount (declaration_fingerprint).
def plain_decimal(places: int) -> BeforeValidator:
    """Plain decimals only ("12.50", 12.50): no sign, exponent, spaces, underscores, other
    digits or leading zeros, and at most ``places`` decimal places as written (trailing zeros
    count), so that what is accepted is stored and read back exactly as sent."""

    def check(value: Any) -> Any:
        problem = plain_decimal_problem(value, places)
        if problem is not None:
            kind, message = problem
            if kind == "decimal_max_places":
                raise PydanticCustomError(kind, message.replace("{", "{{").replace("}", "}}"))
            raise PydanticCustomError(kind, message)
        return value

    return BeforeValidator(check)


Money = Annotated[
    Decimal,
    plain_decimal(bounds.MONEY_DECIMAL_PLACES),
    Field(ge=0, max_digits=bounds.MONEY_MAX_DIGITS, decimal_places=bounds.MONEY_DECIMAL_PLACES),
]
Mass = Annotated[
    Decimal,
    plain_decimal(bounds.MASS_DECIMAL_PLACES),
    Field(gt=0, max_digits=bounds.MASS_MAX_DIGITS, decimal_places=bounds.MASS_DECIMAL_PLACES),
]
Quantity = Annotated[
    Decimal,
    plain_decimal(bounds.QUANTITY_DECIMAL_PLACES),
    Field(
        gt=0, max_digits=bounds.QUANTITY_MAX_DIGITS, decimal_places=bounds.QUANTITY_DECIMAL_PLACES
    ),
]
ZonedDateTime = Annotated[
    pydantic.AwareDatetime,
    BeforeValidator(_datetime_from_string),
    AfterValidator(_bounded_datetime),
]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
# The scheme is case-insensitive (RFC 3986 section 3.1): HTTPS://SHOP.EXAMPLE/ is a URL too. The
# pattern is published (OpenAPI, JSON Schema), which has no inline flags: hence the classes.
_URL_PATTERN = r"^[hH][tT][tT][pP][sS]?://[^\s/$.?#][^\s]*$"


def _parsed_url(value: str) -> str:
    # The pattern reads the start only: the URL must also parse, with a host and a usable port
    # ("http://[::1", "https://:443/", a port 0 or beyond 65535 do not).
    try:
        parts = urlsplit(value)
        port = parts.port  # ValueError for a port that is not a number or is beyond 65535
    except ValueError:  # or an unclosed "["
        parts, port = None, None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or port == 0:
        raise PydanticCustomError(
            "url_parsing", "Input should be a URL with a host", {"pattern": _URL_PATTERN}
        )
    return value


Url = Annotated[
    str,
    Field(max_length=2048, pattern=_URL_PATTERN),
    AfterValidator(_plain_text),
    AfterValidator(_parsed_url),
]


def _not_blank(value: str) -> str:
    # A text the contract requires may not be only whitespace (str.isspace: every Unicode space,
    # the no-break space included): refused as an empty text is. Texts a profile makes mandatory
    # are checked with the profile (ProfileSpec.missing_elements); optional ones are kept as sent.
    if value.isspace():
        raise PydanticCustomError(
            "string_too_short",
            "The text holds only whitespace, got {shown}: it needs some text",
            {"shown": json.dumps(value)[:40]},
        )
    return value


def _text(min_length: int, max_length: int, *, required: bool = False) -> Any:
    validators = [AfterValidator(_plain_text)]
    if required:
        validators.append(AfterValidator(_not_blank))
    return Annotated[
        str,
        Field(
            min_length=min_length,
            max_length=max_length,
            json_schema_extra={"pattern": bounds.NO_CONTROL_PATTERN},
        ),
        *validators,
    ]


# JSON has one number type: 12.0 (or 1.2e1) is the integer 12, as JSON Schema's `integer` says;
# 12.5 stays refused, and so do a string and a boolean (customs_ecom.platform.bounds).
json_integer = bounds.json_integer


class _Strict(pydantic.BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# A transport document number: Latin letters and digits, separated by spaces, '-', '/' or '.'.
_DOCUMENT_NUMBER = re.compile(r"[ ./-]*[A-Za-z0-9]+(?:[ ./-]+[A-Za-z0-9]+)*[ ./-]*")


class TransportDocument(_Strict):
    """A house or master waybill, or a postal item identified by its UPU S10 number."""

    type: Literal["house_waybill", "postal_item", "master_waybill"]
    # The pattern is published (OpenAPI); the code-list layer checks it (document_number_invalid).
    number: Annotated[
        _text(1, 35, required=True),
        Field(json_schema_extra={"pattern": f"^(?:{_DOCUMENT_NUMBER.pattern})$"}),
    ]


def is_document_number(text: str) -> bool:
    """Whether a text is written as a transport document number can be (what a declaration's
    number must be, so that an arrival or a manifest line naming another text names nothing)."""
    return bool(_DOCUMENT_NUMBER.fullmatch(text))


# What `is_document_number` accepts, in words.
DOCUMENT_NUMBER_RULE = "Latin letters and digits, which spaces, '-', '/' and '.' may separate"


def transport_document_problems(document: TransportDocument, pointer: str) -> list[Problem]:
    """The code-list checks of a transport document's number, wherever one is given (a
    declaration, its master waybill, the document that carries returned goods back)."""
    if not is_document_number(document.number):
        # What a carrier prints and a scanner reads: a number written in other scripts or
        # with look-alike characters would name other goods than the label does.
        return [
            Problem(
                f"{pointer}/number",
                "document_number_invalid",
                f"{document.number!r} is not a transport document number: {DOCUMENT_NUMBER_RULE}",
            )
        ]
    if document.type == "postal_item":
        reason = codelists.s10_problem(document.number)
        if reason:
            return [
                Problem(
                    f"{pointer}/number",
                    "s10_invalid",
                    f"{document.number!r} is not a UPU S10 item identifier: {reason}",
                )
            ]
    return []


class Address(_Strict):
    street: _text(1, 140) | None = None
    city: _text(1, 70) | None = None
    postcode: _text(1, 17) | None = None
    country: CountryCode | None = None


class PartyIdentifier(_Strict):
    scheme: Literal["EORI", "VAT", "TIN", "platform_seller_id", "other"]
    value: _text(1, 70, required=True)


class Party(_Strict):
    """A seller, sender, consignee or buyer."""

    name: _text(1, 140) | None = None
    address: Address | None = None
    email: _text(3, 254) | None = None
    phone: _text(1, 32) | None = None
    identifiers: Annotated[list[PartyIdentifier], Field(max_length=20)] | None = None


class Payment(_Strict):
    transaction_id: _text(1, 70) | None = None
    provider: _text(1, 70) | None = None
    amount: Money | None = None
    currency: CurrencyCode | None = None


class Order(_Strict):
    """The platform order the consignment fulfils."""

    number: _text(1, 70) | None = None
    date: ZonedDateTime | None = None
    platform: _text(1, 140) | None = None
    url: Url | None = None
    payment: Payment | None = None


class VendorTaxScheme(_Strict):
    """The seller's or platform's registration under a vendor collection scheme (IOSS, ...)."""

    scheme: Literal["IOSS", "VOEC", "UK_VAT", "AU_GST", "NZ_GST"]
    number: _text(1, 35, required=True)


class SelfAssessedTax(_Strict):
    type: Literal["duty", "vat", "fee"]
    amount: Money


class DocumentReference(_Strict):
    type: Literal["invoice", "licence", "certificate", "other"]
    number: _text(1, 70, required=True)


class Item(_Strict):
    """One goods item (EU goods item; CN23 line)."""

    # At most what its column holds (a positive integer): a number beyond it is number_too_large
    # as the number sent, not the stand-in json_integer reads an enormous one as.
    line: Annotated[StrictInt, BeforeValidator(json_integer), Field(ge=1, le=2**31 - 1)] | None = (
        None
    )
    description: _text(3, 512) | None = None
    hs_code: Annotated[str, Field(pattern=r"^[0-9]{6,10}$")] | None = None
    quantity: Quantity | None = None
    unit: Annotated[str, Field(pattern=r"^[A-Z0-9]{1,3}$")] | None = None
    net_mass_kg: Mass | None = None
    value: Money | None = None
    origin_country: CountryCode | None = None
    product_url: Url | None = None
    seller_sku: _text(1, 70) | None = None

    @property
    def hs6(self) -> str | None:
        """The HS 2022 subheading: the first six digits, the only ones the EU H7 set uses."""
        return self.hs_code[:6] if self.hs_code else None


class DeclarationIn(_Strict):
    """One advance electronic declaration of one consignment, as submitted (dataset.md v1).

    Elements that some profile may leave out are optional here; the selected profile decides
    what is mandatory (see :mod:`declarations.profiles`).
    """

    lrn: Annotated[str, Field(min_length=1, max_length=35, pattern=r"^[A-Za-z0-9._/-]+$")]
    dataset: _text(1, 35)
    category: Literal[
        "sale_of_goods", "gift", "documents", "commercial_sample", "returned_goods", "other"
    ]
    transport_document: TransportDocument | None = None
    master_transport_document: TransportDocument | None = None
    transport_mode: Literal["air", "road", "rail", "sea", "post"] | None = None
    country_of_dispatch: CountryCode | None = None
    expected_arrival: ZonedDateTime | None = None
    order: Order | None = None
    seller: Party | None = None
    sender: Party | None = None
    consignee: Party | None = None
    buyer: Party | None = None
    vendor_tax_scheme: VendorTaxScheme | None = None
    currency: CurrencyCode
    transport_cost: Money | None = None
    insurance_cost: Money | None = None
    total_gross_mass_kg: Mass | None = None
    packages: Annotated[StrictInt, BeforeValidator(json_integer), Field(ge=1, le=9999)] | None = (
        None
    )
    self_assessed_taxes: Annotated[list[SelfAssessedTax], Field(max_length=20)] | None = None
    documents: Annotated[list[DocumentReference], Field(max_length=20)] | None = None
    # No upper bound here: the limit is a parameter of validate_declaration (max_items).
    items: Annotated[list[Item], Field(min_length=1)]

    @property
    def is_commercial(self) -> bool:
        """True for sales, commercial samples and returned goods (dataset.md)."""
        return self.category in COMMERCIAL_CATEGORIES


class ValidationResult(NamedTuple):
    """The outcome: the declaration if every layer passed, else every problem of the failed layer."""

    declaration: DeclarationIn | None
    errors: list[Problem]
    profile: ProfileSpec | None


RateLookup = Callable[[str, datetime.date], Decimal | None]

# pydantic error type -> stable code (declarations.errors.ERROR_CODES).
_PYDANTIC_CODES = {
    "missing": "required",
    "extra_forbidden": "unknown_element",
    "model_type": "not_an_object",
    "model_attributes_type": "not_an_object",
    "dict_type": "not_an_object",
    "list_type": "type_invalid",
    "string_type": "type_invalid",
    "int_type": "type_invalid",
    "decimal_type": "type_invalid",
    "string_too_short": "string_too_short",
    "string_too_long": "string_too_long",
    "string_pattern_mismatch": "pattern_mismatch",
    "url_parsing": "pattern_mismatch",
    "literal_error": "enum_invalid",
    "too_short": "list_too_short",
    "too_long": "list_too_long",
    "greater_than": "number_too_small",
    "greater_than_equal": "number_too_small",
    "less_than": "number_too_large",
    "less_than_equal": "number_too_large",
    "decimal_parsing": "decimal_invalid",
    "finite_number": "decimal_invalid",
    "decimal_max_digits": "number_too_large",
    "decimal_whole_digits": "number_too_large",
    "decimal_max_places": "decimal_too_many_places",
    "date_type": "date_invalid",
    "date_parsing": "date_invalid",
    "date_from_datetime_parsing": "date_invalid",
    "date_from_datetime_inexact": "date_invalid",
    "datetime_type": "datetime_invalid",
    "datetime_parsing": "datetime_invalid",
    "datetime_from_date_parsing": "datetime_invalid",
    "datetime_object_invalid": "datetime_invalid",
    "timezone_aware": "datetime_timezone_required",
    "control_character": "control_character",
    "datetime_offset_invalid": "datetime_offset_invalid",
    "datetime_out_of_range": "datetime_out_of_range",
}

_PATTERN_DESCRIPTIONS = {
    r"^[A-Z]{2}$": "two capital letters (ISO 3166-1 alpha-2)",
    r"^[A-Z]{3}$": "three capital letters (ISO 4217)",
    r"^[0-9]{6,10}$": "6 to 10 digits",
    r"^[A-Z0-9]{1,3}$": "a UN/ECE Recommendation 20 code (1-3 capital letters or digits)",
    r"^[A-Za-z0-9._/-]+$": "letters, digits and . _ / - only",
    _URL_PATTERN: "an http:// or https:// URL with a host",
}


# Messages of pydantic that name Python types or classes, rephrased for JSON submitters.
_PLAIN_MESSAGES = {
    "model_type": "Expected a JSON object",
    "model_attributes_type": "Expected a JSON object",
    "dict_type": "Expected a JSON object",
    "list_type": "Expected a JSON array",
    "decimal_type": "Expected a decimal amount as a JSON string or number",
    "decimal_parsing": 'Expected a decimal amount such as "12.50"',
    "too_short": "The list has too few entries",
}


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def _pointer(loc: tuple) -> str:
    return "".join(f"/{_escape(str(part))}" for part in loc)


def _shown(value: Any) -> str:
    if isinstance(value, bounds.NegativeZeroInt):
        return "-0"  # as written (the encoder writes any integer zero as 0)
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (RecursionError, ValueError):  # absurdly deep nesting, or NaN in a strict encoder
        text = "a JSON array" if isinstance(value, list) else "a JSON object"
    return text if len(text) <= 60 else text[:57] + "..."


def _problem_from_pydantic(
    error: Mapping[str, Any],
    codes: Mapping[str, str] = _PYDANTIC_CODES,
    contract: str = "the declaration contract here",
) -> Problem:
    """One pydantic error as a problem: its stable code (``codes``) and a sentence for people.
    The API's small bodies share the sentences, with their own codes and ``contract``."""
    error_type = error["type"]
    code = codes.get(error_type, "invalid")
    pointer = _pointer(error["loc"])
    if code == "required":
        detail = f"{pointer} is mandatory"
    elif code == "unknown_element":
        detail = f"{error['loc'][-1]!r} is not an element of {contract}"
    elif code == "pattern_mismatch":
        pattern = error.get("ctx", {}).get("pattern", "")
        wanted = _PATTERN_DESCRIPTIONS.get(pattern, "the required format")
        detail = f"{_shown(error['input'])} is not {wanted}"
    else:
        message = _PLAIN_MESSAGES.get(error_type, error["msg"])
        detail = f"{message}, got {_shown(error.get('input'))}"
    return Problem(pointer, code, detail)


def _null_is_missing(error: Mapping[str, Any]) -> Mapping[str, Any]:
    # null for an element that cannot be null (every optional element can) is a missing element:
    # one "required" (dataset.md), not a wrong type besides. A null list entry stays the wrong
    # type, and a null unknown element stays unknown.
    loc = error["loc"]
    if (
        error.get("input", ...) is None
        and loc
        and isinstance(loc[-1], str)
        and error["type"] not in ("missing", "extra_forbidden")
    ):
        return {**error, "type": "missing"}
    return error


def _shape_problems(raw: dict) -> tuple[DeclarationIn | None, list[Problem]]:
    try:
        declaration = DeclarationIn.model_validate(raw)
    except pydantic.ValidationError as exc:
        return None, [
            _problem_from_pydantic(_null_is_missing(e)) for e in exc.errors(include_url=False)
        ]
    # The total is an element of its own (stored, converted to EUR, taxed): the bound of one
    # amount holds for it too (customs_ecom.platform.bounds).
    total = (
        _total_value(declaration)
        + (declaration.transport_cost or 0)
        + (declaration.insurance_cost or 0)
    )
    if total > bounds.MONEY_MAX:
        return None, [
            Problem(
                "/items",
                "total_too_large",
                f"the item values, transport and insurance add up to {total} "
                f"{declaration.currency}, more than {bounds.MONEY_MAX}",
            )
        ]
    return declaration, []


# --------------------------------------------------------------------------------------------
# Layer 2: code lists
# --------------------------------------------------------------------------------------------

_PARTY_ROLES = ("seller", "sender", "consignee", "buyer")


def _country_problem(pointer: str, code: str) -> Problem | None:
    if codelists.is_country(code):
        return None
    return Problem(pointer, "country_unknown", f"{code!r} is not an ISO 3166-1 alpha-2 code")


def _code_list_problems(decl: DeclarationIn, today: datetime.date | None) -> list[Problem]:
    problems: list[Problem | None] = []
    if not codelists.is_currency(decl.currency):
        problems.append(
            Problem("/currency", "currency_unknown", f"{decl.currency!r} is not an ISO 4217 code")
        )
    elif not codelists.is_currency(decl.currency, today or datetime.date.today()):
        last = codelists.WITHDRAWN_CURRENCIES[decl.currency]
        problems.append(
            Problem(
                "/currency",
                "currency_unknown",
                f"{decl.currency!r} was withdrawn: its last day was {last.isoformat()}",
            )
        )
    if decl.country_of_dispatch is not None:
        problems.append(_country_problem("/country_of_dispatch", decl.country_of_dispatch))
    for role in ("transport_document", "master_transport_document"):
        document: TransportDocument | None = getattr(decl, role)
        if document is not None:
            problems.extend(transport_document_problems(document, f"/{role}"))
    for role in _PARTY_ROLES:
        party: Party | None = getattr(decl, role)
        if party is not None:
            problems.extend(_party_problems(role, party))
    payment = decl.order.payment if decl.order is not None else None
    if (
        payment is not None
        and payment.currency is not None
        and not codelists.is_currency(payment.currency)
    ):
        problems.append(
            Problem(
                "/order/payment/currency",
                "currency_unknown",
                f"{payment.currency!r} is not an ISO 4217 code",
            )
        )
    scheme = decl.vendor_tax_scheme
    if scheme is not None and not codelists.tax_scheme_number_valid(scheme.scheme, scheme.number):
        problems.append(
            Problem(
                "/vendor_tax_scheme/number",
                "tax_scheme_number_invalid",
                f"{scheme.number!r} is not a valid {scheme.scheme} number: expected "
                f"{codelists.TAX_SCHEME_FORMATS[scheme.scheme]}",
            )
        )
    for index, item in enumerate(decl.items):
        problems.extend(_item_code_problems(index, item))
    return [p for p in problems if p is not None]


def _party_problems(role: str, party: Party) -> list[Problem | None]:
    problems: list[Problem | None] = []
    if party.address is not None and party.address.country is not None:
        problems.append(_country_problem(f"/{role}/address/country", party.address.country))
    if party.email is not None:
        reason = codelists.email_problem(party.email)
        if reason:
            problems.append(
                Problem(
                    f"/{role}/email", "email_invalid", f"{party.email!r} is not valid: {reason}"
                )
            )
    if party.phone is not None and not codelists.phone_valid(party.phone):
        problems.append(
            Problem(
                f"/{role}/phone",
                "phone_invalid",
                f"{party.phone!r} is not a possible E.164 phone number (+ and 8 to 15 digits)",
            )
        )
    return problems


def _item_code_problems(index: int, item: Item) -> list[Problem | None]:
    problems: list[Problem | None] = []
    hs6 = item.hs6
    if hs6 is not None and codelists.hs_description(hs6) is None:
        problems.append(
            Problem(
                f"/items/{index}/hs_code",
                "hs_code_unknown",
                f"{hs6} is not an HS 2022 subheading",
            )
        )
    if item.unit is not None and not codelists.is_unece_unit(item.unit):
        problems.append(
            Problem(
                f"/items/{index}/unit",
                "unit_unknown",
                f"{item.unit!r} is not a UN/ECE Recommendation 20 unit code accepted here",
            )
        )
    if item.origin_country is not None:
        problems.append(_country_problem(f"/items/{index}/origin_country", item.origin_country))
    return problems


# --------------------------------------------------------------------------------------------
# Layer 3: business rules of the profile
# --------------------------------------------------------------------------------------------


class _RuleContext(NamedTuple):
    profile: ProfileSpec
    rate_lookup: RateLookup
    today: datetime.date | None
    # The customs rate of the declaration currency (units per EUR) and the day it is fixed for,
    # looked up once by the contract's own check (_currency_rate); None when no rate is known.
    rate_day: datetime.date | None = None
    rate: Decimal | None = None


def _rule_unique_lines(decl: DeclarationIn, ctx: _RuleContext) -> list[Problem]:
    # EU 11 03 "goods item number": 1..n, each used once, so that amendments and officer
    # decisions can address an item unambiguously.
    problems = []
    first_index: dict[int, int] = {}
    count = len(decl.items)
    for index, item in enumerate(decl.items):
        if item.line is None:
            continue
        pointer = f"/items/{index}/line"
        if item.line in first_index:
            problems.append(
                Problem(
                    pointer,
                    "line_duplicate",
                    f"line {item.line} is already used by /items/{first_index[item.line]}",
                )
            )
            continue
        first_index[item.line] = index
        if item.line > count:
            problems.append(
                Problem(
                    pointer,
                    "line_out_of_range",
                    f"line {item.line} is not between 1 and {count}, the number of items",
                )
            )
    return problems


def _rule_net_mass_within_gross(decl: DeclarationIn, ctx: _RuleContext) -> list[Problem]:
    gross = decl.total_gross_mass_kg
    if gross is None:
        return []
    net = sum((item.net_mass_kg for item in decl.items if item.net_mass_kg is not None), Decimal(0))
    if net <= gross:
        return []
    return [
        Problem(
            "/total_gross_mass_kg",
            "net_mass_exceeds_gross",
            f"the items' net masses add up to {net} kg, more than the total gross mass of "
            f"{gross} kg",
        )
    ]


def _total_value(decl: DeclarationIn) -> Decimal:
    return sum((item.value for item in decl.items if item.value is not None), Decimal(0))


def _rule_payment_consistent(decl: DeclarationIn, ctx: _RuleContext) -> list[Problem]:
    payment = decl.order.payment if decl.order is not None else None
    if payment is None or payment.amount is None:
        return []
    # A payment in another currency cannot be compared without a rate of the buyer's bank.
    if payment.currency is not None and payment.currency != decl.currency:
        return []
    # What a buyer pays lies between the goods alone (free delivery, taxes not collected at
    # checkout) and the goods plus transport, insurance and the taxes collected at checkout
    # (IOSS VAT, self-assessed duties and fees). Outside that range, widened by a tolerance of
    # max(payment_tolerance_ratio of the upper bound, payment_tolerance_min) for rounding and
    # per-line price rounding, the declared values are suspect.
    params = ctx.profile.params
    goods = _total_value(decl)
    extras = (decl.transport_cost or 0) + (decl.insurance_cost or 0)
    taxes = sum((tax.amount for tax in decl.self_assessed_taxes or ()), Decimal(0))
    highest = goods + extras + taxes
    tolerance = max(
        highest * Decimal(str(params.get("payment_tolerance_ratio", "0.01"))),
        Decimal(str(params.get("payment_tolerance_min", "0.05"))),
    )
    if goods - tolerance <= payment.amount <= highest + tolerance:
        return []
    return [
        Problem(
            "/order/payment/amount",
            "payment_amount_inconsistent",
            f"the payment of {payment.amount} {decl.currency} is outside {goods} to {highest} "
            f"{decl.currency} (item values, plus transport, insurance and self-assessed taxes) "
            f"by more than the tolerance of {tolerance.quantize(Decimal('0.01'))}",
        )
    ]


def _rate_date(decl: DeclarationIn, today: datetime.date | None) -> datetime.date:
    # Art. 53 UCC: the rate is the one applicable when the declaration is accepted, which is the
    # caller's "today"; without it, the order date, then the system date.
    if today is not None:
        return today
    if decl.order is not None and decl.order.date is not None:
        return decl.order.date.date()
    return datetime.date.today()


def _currency_rate(
    decl: DeclarationIn, rate_lookup: RateLookup, today: datetime.date | None
) -> tuple[datetime.date, Decimal | None, list[Problem]]:
    """The contract's own rate check, for every profile: the customs rate of the month of the
    declaration currency to EUR (the rate of its fixing day, as the assessment takes it), and
    the problem when none is known. Every assessment converts the declared values to EUR (and
    through EUR to the regime's currency): a declaration it could never assess is refused here
    rather than acknowledged and left unassessed."""
    on = eu_customs_rate_day(_rate_date(decl, today))
    if decl.currency == "EUR":
        return on, _ONE, []
    rate = rate_lookup(decl.currency, on)
    if rate is not None and rate > 0:
        return on, rate, []
    return (
        on,
        None,
        [
            Problem(
                "/currency",
                "exchange_rate_unavailable",
                f"no customs exchange rate of {decl.currency} to EUR is known for {on} (the "
                f"rate of the month for this declaration), so its duties and taxes cannot be "
                f"assessed: declare the values in EUR or in a currency with a customs rate",
            )
        ],
    )


def _rule_value_ceiling(decl: DeclarationIn, ctx: _RuleContext) -> list[Problem]:
    # Art. 143a UCC DA: the H7 data set (and IOSS) is for consignments of an intrinsic value
    # not exceeding EUR 150; intrinsic value is the goods alone, without transport and insurance.
    ceiling = Decimal(str(ctx.profile.params["value_ceiling_eur"]))
    total = _total_value(decl)
    if decl.currency == "EUR":
        in_eur, how = total, f"EUR {total}"
    else:
        # The customs rate of the month (the rate of its fixing day), as the assessment uses,
        # looked up by the contract's rate check; without a rate, that check refuses already.
        rate, on = ctx.rate, ctx.rate_day
        if rate is None:
            return []
        in_eur = total / rate
        how = (
            f"{total} {decl.currency}, EUR {in_eur.quantize(Decimal('0.01'))} at {rate} "
            f"{decl.currency} per EUR (the customs rate of the month, fixed on {on}),"
        )
    # Compared unrounded: rounding first could let EUR 150.004 through.
    if in_eur <= ceiling:
        return []
    return [
        Problem(
            "/items",
            "value_ceiling_exceeded",
            f"the total intrinsic value of {how} is above the ceiling of EUR {ceiling}",
        )
    ]


def _rule_excise_excluded(decl: DeclarationIn, ctx: _RuleContext) -> list[Problem]:
    # Art. 143a(2) UCC DA: excise goods (alcohol, tobacco, energy products) cannot use H7.
    prefixes = tuple(ctx.profile.params.get("excise_hs_prefixes", ()))
    problems = []
    for index, item in enumerate(decl.items):
        if item.hs_code is not None and item.hs_code.startswith(prefixes):
            problems.append(
                Problem(
                    f"/items/{index}/hs_code",
                    "excise_goods_not_admissible",
                    f"{item.hs_code} is excise goods (HS {', '.join(prefixes)}), not admissible "
                    f"in profile {ctx.profile.code}",
                )
            )
    return problems


def _rule_postal_item_required(decl: DeclarationIn, ctx: _RuleContext) -> list[Problem]:
    # A CN23 travels with a postal item; its S10 identifier (checked in the code-list layer) is
    # the key under which the post office presents the item to customs.
    document = decl.transport_document
    if document is None or document.type == "postal_item":
        return []
    return [
        Problem(
            "/transport_document/type",
            "transport_document_type_invalid",
            f"profile {ctx.profile.code} needs a postal_item with an S10 identifier, "
            f"not a {document.type}",
        )
    ]


def _rule_commercial_items_classified(decl: DeclarationIn, ctx: _RuleContext) -> list[Problem]:
    # UPU Convention Regulations (CN23 boxes 7 and 8): HS tariff number and country of origin
    # are required for commercial items only; gifts and documents may omit them.
    if not decl.is_commercial:
        return []
    problems = []
    for index, item in enumerate(decl.items):
        if item.hs_code is None:
            problems.append(
                Problem(
                    f"/items/{index}/hs_code",
                    "hs_code_required_commercial",
                    f"an HS code is required for items of category {decl.category}",
                )
            )
        if item.origin_country is None:
            problems.append(
                Problem(
                    f"/items/{index}/origin_country",
                    "origin_required_commercial",
                    f"a country of origin is required for items of category {decl.category}",
                )
            )
    return problems


_RULE_FUNCTIONS: dict[str, Callable[[DeclarationIn, _RuleContext], list[Problem]]] = {
    "unique_lines": _rule_unique_lines,
    "net_mass_within_gross": _rule_net_mass_within_gross,
    "payment_consistent": _rule_payment_consistent,
    "value_ceiling": _rule_value_ceiling,
    "excise_excluded": _rule_excise_excluded,
    "postal_item_required": _rule_postal_item_required,
    "commercial_items_classified": _rule_commercial_items_classified,
}
if _RULE_FUNCTIONS.keys() != RULES.keys():
    raise RuntimeError("declarations.profiles.RULES and the rule functions disagree")


# --------------------------------------------------------------------------------------------
# The engine
# --------------------------------------------------------------------------------------------

_INDEX = re.compile(r"[0-9]+")


def _document_order(problem: Problem) -> tuple:
    # Sort by pointer with list indexes compared as numbers, so /items/2 precedes /items/10.
    return tuple(
        (0, int(part), "") if _INDEX.fullmatch(part) else (1, 0, part)
        for part in problem.pointer.split("/")
    )


def _finish(problems: list[Problem]) -> list[Problem]:
    unique = {(p.pointer, p.code): p for p in problems}
    return sorted(unique.values(), key=_document_order)


def validate_declaration(
    raw: object,
    *,
    profiles: Mapping[str, ProfileSpec],
    rate_lookup: RateLookup,
    today: datetime.date | None = None,
    max_items: int = 999,
) -> ValidationResult:
    """Validate one submitted declaration (the body parsed from JSON) against the contract.

    ``profiles`` maps ``dataset`` codes to profiles; ``rate_lookup(currency, date)`` gives the
    customs rate as units of ``currency`` per 1 EUR (ECB convention) or None if unknown;
    ``today`` is the acceptance date used for exchange rates. Never raises for any JSON value:
    the result carries either the declaration or every problem of the first failing layer,
    sorted by pointer with list indexes compared as numbers (not in the order of the body).
    """
    if not isinstance(raw, dict):
        return ValidationResult(
            None,
            [Problem("", "not_an_object", f"the body must be a JSON object, got {_shown(raw)}")],
            None,
        )
    profile = None
    problems: list[Problem] = []
    dataset = raw.get("dataset")
    if isinstance(dataset, str) and dataset:
        profile = profiles.get(dataset)
        if profile is None:
            known = ", ".join(sorted(profiles))
            problems.append(
                Problem(
                    "/dataset",
                    "dataset_unknown",
                    f"{_shown(dataset)} is not a known profile (known: {known})",
                )
            )
    declaration, shape = _shape_problems(raw)
    problems.extend(shape)
    items = raw.get("items")
    if isinstance(items, list) and len(items) > max_items:
        problems.append(
            Problem(
                "/items",
                "list_too_long",
                f"{len(items)} items, more than the {max_items} one declaration may carry",
            )
        )
    if profile is not None:
        problems.extend(profile.missing_elements(raw))
    if problems or declaration is None:
        return ValidationResult(None, _finish(problems), profile)
    # From here the shape is valid, so `profile` is set and the models can be trusted.
    problems = _code_list_problems(declaration, today)
    if problems:
        return ValidationResult(None, _finish(problems), profile)
    rate_day, rate, problems = _currency_rate(declaration, rate_lookup, today)
    context = _RuleContext(profile, rate_lookup, today, rate_day, rate)
    for rule in profile.rules:
        problems.extend(_RULE_FUNCTIONS[rule](declaration, context))
    if problems:
        return ValidationResult(None, _finish(problems), profile)
    return ValidationResult(declaration, [], profile)


# --------------------------------------------------------------------------------------------
# Canonical form and fingerprints
# --------------------------------------------------------------------------------------------


def canonical_dict(decl: DeclarationIn) -> dict:
    """The declaration as stored and shown: JSON-serialisable, with defaults applied.

    Decimals become strings written as the submitter wrote them (``47.80`` stays ``"47.80"``),
    datetimes ISO 8601 with their offset (``Z`` for UTC), absent elements are left out, and the
    contract's defaults are filled in: ``unit`` H87 (piece), ``packages`` 1 (only optional in
    upu-cn23), ``sender`` the seller and ``buyer`` the consignee.
    """
    return _with_defaults(decl.model_dump(mode="json", exclude_none=True))


def declaration_fingerprint(decl: DeclarationIn, canonical: dict | None = None) -> str:
    """SHA-256 (hex) of the validated declaration with every amount, mass and quantity in normal
    form: the same declaration gives the same fingerprint however its numbers were spelt
    (``19.8``, ``"19.80"``, ``1.98E+1``), its keys ordered or its defaults written out.
    ``canonical`` is ``canonical_dict(decl)`` when the caller has it already."""
    as_json = canonical if canonical is not None else canonical_dict(decl)
    # Amounts, masses and quantities in normal form (from the validated values), everything else
    # as the stored JSON has it; only the branches that hold a decimal are copied.
    return body_fingerprint(_with_defaults(_normalised_decimals(decl, as_json)))


def _decimal_fields(model: type[pydantic.BaseModel]) -> dict[str, Any]:
    """Where a model's decimals are: {field: True (a decimal), a model's own map, or
    ("list", map) for a list of models}; fields without a decimal below them are left out."""
    cached = _DECIMAL_FIELDS.get(model)
    if cached is not None:
        return cached
    found: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        spec = _decimal_spec(field.annotation)
        if spec:
            found[name] = spec
    _DECIMAL_FIELDS[model] = found
    return found


_DECIMAL_FIELDS: dict[type, dict[str, Any]] = {}


def _decimal_spec(annotation: Any) -> Any:
    if annotation is Decimal:
        return True
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return _decimal_fields(annotation) or None
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _decimal_spec(args[0])
    if origin is list and args:
        inner = _decimal_spec(args[0])
        return ("list", inner) if isinstance(inner, dict) else None
    if args:  # a union such as `X | None`: the first branch that holds a decimal
        for arg in args:
            spec = _decimal_spec(arg)
            if spec:
                return spec
    return None


def _normalised_decimals(instance: pydantic.BaseModel, as_json: dict) -> dict:
    copied = None
    for name, spec in _decimal_fields(type(instance)).items():
        value = getattr(instance, name)
        if value is None or name not in as_json:
            continue
        if copied is None:
            copied = dict(as_json)
        if spec is True:
            copied[name] = str(_normalised(value))
        elif isinstance(spec, tuple):
            copied[name] = [
                _normalised_decimals(v, j) for v, j in zip(value, as_json[name], strict=True)
            ]
        else:
            copied[name] = _normalised_decimals(value, as_json[name])
    return as_json if copied is None else copied


def _with_defaults(canonical: dict) -> dict:
    for item in canonical["items"]:
        item.setdefault("unit", "H87")
    canonical.setdefault("packages", 1)
    if "seller" in canonical:
        canonical.setdefault("sender", canonical["seller"])
    if "consignee" in canonical:
        canonical.setdefault("buyer", canonical["consignee"])
    return canonical


def _canonical_json_stdlib(raw: object) -> bytes:
    text = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return text.encode("utf-8")


def _str_default(value: Any) -> str:
    return str(value)


def body_fingerprint(raw: object) -> str:
    """SHA-256 (hex) of ``raw`` as canonical JSON (sorted keys, no spaces), to spot same-body retries.

    Fingerprints are stored and compared with those of later retries, so the bytes hashed never
    change: orjson writes exactly what ``json.dumps(sort_keys=True, separators=(",", ":"),
    ensure_ascii=False, default=str)`` writes for parsed JSON (a property test holds the two
    together), several times faster; what orjson refuses (integers beyond 64 bits, lone
    surrogates) goes through the standard library as before."""
    try:
        data = orjson.dumps(raw, default=_str_default, option=orjson.OPT_SORT_KEYS)
    except (orjson.JSONEncodeError, TypeError):
        data = _canonical_json_stdlib(raw)
    return hashlib.sha256(data).hexdigest()
