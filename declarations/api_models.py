"""Pydantic shapes of the declaration API's small bodies and of its responses (for the OpenAPI document)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.utils.timezone import now as django_now
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
)
from pydantic_core import PydanticCustomError

from customs_ecom.platform import bounds
from customs_ecom.platform.problems import ProblemError

from .generated_text import problem_detail
from .schemas import (
    DOCUMENT_NUMBER_RULE,
    TransportDocument,
    ZonedDateTime,
    _not_blank,
    _plain_text,
    _problem_from_pydantic,
    is_document_number,
    json_integer,
    plain_decimal,
    transport_document_problems,
)

# pydantic's error types -> the stable codes of declarations/errors.py
_PYDANTIC_CODES = {
    "missing": "required",
    "extra_forbidden": "unknown_element",
    "model_type": "not_an_object",
    "model_attributes_type": "not_an_object",
    "dict_type": "not_an_object",
    "string_type": "type_invalid",
    "int_type": "type_invalid",
    "int_parsing": "type_invalid",
    "int_from_float": "type_invalid",
    "list_type": "type_invalid",
    "bool_type": "type_invalid",
    "decimal_type": "decimal_invalid",
    "decimal_parsing": "decimal_invalid",
    "finite_number": "decimal_invalid",
    "decimal_max_digits": "number_too_large",
    "decimal_whole_digits": "number_too_large",
    "decimal_max_places": "decimal_too_many_places",
    "greater_than": "number_too_small",
    "greater_than_equal": "number_too_small",
    "less_than_equal": "number_too_large",
    "string_too_short": "string_too_short",
    "string_too_long": "string_too_long",
    "string_pattern_mismatch": "pattern_mismatch",
    "too_short": "list_too_short",
    "too_long": "list_too_long",
    "literal_error": "enum_invalid",
    "enum": "enum_invalid",
    "control_character": "control_character",
    "document_number_invalid": "document_number_invalid",
    "currency_unknown": "currency_unknown",
    "datetime_offset_invalid": "datetime_offset_invalid",
    "datetime_out_of_range": "datetime_out_of_range",
    "datetime_in_future": "datetime_in_future",
    "datetime_too_old": "datetime_too_old",
    "datetime_parsing": "datetime_invalid",
    "datetime_from_date_parsing": "datetime_invalid",
    "datetime_type": "datetime_invalid",
    "timezone_aware": "datetime_timezone_required",
}
# A carrier's clock may run a little ahead of ours; beyond this an arrival time is refused.
ARRIVAL_CLOCK_SKEW = datetime.timedelta(minutes=5)
# An arrival reported later than this after the goods came is no arrival report: customs are told
# of goods when they are presented, and a stale time would date the release long before anyone
# saw them.
ARRIVAL_MAX_AGE = datetime.timedelta(days=30)


def _escape(part: object) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def pydantic_problems(exc: ValidationError) -> list[dict[str, str]]:
    rows = []
    for error in exc.errors(include_url=False):
        # The declaration's sentences (declarations.schemas), with this module's codes.
        problem = _problem_from_pydantic(error, _PYDANTIC_CODES, "this request")
        code, detail = problem.code, problem.detail
        if error["type"] == "value_error":
            reason = str((error.get("ctx") or {}).get("error", ""))
            code = reason if reason.replace("_", "").isalpha() and reason.islower() else "invalid"
        # In the request's language, as a declaration's problems read (declarations.generated_text).
        rows.append(
            {"pointer": problem.pointer, "code": code, "detail": problem_detail(code, detail[:300])}
        )
    return rows


def _no_control_characters(value: Any) -> Any:
    # customs_ecom.platform.bounds: no NUL or other control character in any text a body carries.
    # A list of texts checks its entries with the same validator, so the pointer names the entry.
    for text in value if isinstance(value, list) else [value]:
        if isinstance(text, str):
            _plain_text(text)
    return value


def _document_number(value: str) -> str:
    # An arrival or a manifest line names a consignment by the number its declaration carries:
    # one that no declaration can carry (no letter or digit, other scripts) is a mistake to say.
    if not is_document_number(value):
        # The detail reads "not a transport document number: <the rule>, got '<the text>'".
        raise PydanticCustomError(
            "document_number_invalid", f"not a transport document number: {DOCUMENT_NUMBER_RULE}"
        )
    return value


class StrictBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _plain_text(cls, value: Any) -> Any:
        return _no_control_characters(value)

    @classmethod
    def parse_or_problem(cls, body: Any):
        try:
            return cls.model_validate(body)
        except ValidationError as exc:
            raise ProblemError(
                422, "request-invalid", "Request failed validation", errors=pydantic_problems(exc)
            ) from None


def _currencies() -> dict[str, Any]:
    from .codelists import _CURRENCIES

    return {"enum": sorted(_CURRENCIES)}


_CURRENCIES = _currencies()
_PLAIN = {
    "pattern": bounds.NO_CONTROL_PATTERN
}  # no control characters (customs_ecom.platform.bounds)


class ArrivalsIn(StrictBody):
    transport_documents: list[
        Annotated[
            str,
            # As long as a manifest line's: a declaration's number has at most 35 characters,
            # and the same letters and digits written with more separators stay well below 64.
            Field(max_length=64, json_schema_extra=_PLAIN),
            AfterValidator(_plain_text),
            AfterValidator(_document_number),
        ]
    ] = Field(min_length=1, max_length=10000)
    arrived_at: ZonedDateTime | None = Field(
        default=None,
        description="When the goods arrived (ISO 8601 with offset); default: when the report is "
        "received. Not in the future (5 minutes of clock skew allowed) nor more than 30 days "
        "ago; a consignment already arrived keeps its first arrival time.",
    )

    @field_validator("arrived_at")
    @classmethod
    def _not_in_the_future(cls, value: datetime.datetime | None) -> datetime.datetime | None:
        if value is not None and value > django_now() + ARRIVAL_CLOCK_SKEW:
            raise PydanticCustomError("datetime_in_future", "The arrival time is in the future")
        if value is not None and value < django_now() - ARRIVAL_MAX_AGE:
            raise PydanticCustomError(
                "datetime_too_old", "The arrival time is more than 30 days ago"
            )
        return value


class ArrivalDeclaration(BaseModel):
    id: int
    lrn: str
    status: str


class ArrivalResult(BaseModel):
    transport_document: str
    found: bool
    declarations: list[ArrivalDeclaration]


class ArrivalsOut(BaseModel):
    arrivals: list[ArrivalResult]


class StatusHistoryOut(BaseModel):
    status: str
    at: str
    reason: str


class FindingOut(BaseModel):
    dimension: str
    code: str
    pointer: str
    detail: str


class DataQualityOut(BaseModel):
    score: int | None
    findings: list[FindingOut]


class TaxLineOut(BaseModel):
    tax_type: str
    item_line: int | None
    basis: str
    # What the basis counts (tariff_code, postal_item, entry, declaration, line, consignment),
    # the rate then an amount per unit; null: the basis is money and the rate a fraction of it.
    basis_unit: str | None = None
    rate: str | None
    amount: str
    currency: str
    payer: str
    collection_model: str
    legal_reason: str
    collected_at_border: bool
    # Revenue (issue 15): border, deferred_statement or scheme_return.
    collection_channel: str = "border"


_READ_ONLY = {"readOnly": True}  # answered by the API, never sent to it


class RefundOut(BaseModel):
    amount: str
    currency: str
    at: str
    reason: str
    payer: str = Field(default="", description="To whom the refund returns the money.")


class TaxesOut(BaseModel):
    regime: str
    collection_model: str
    currency: str
    exchange_rate: str
    lines: list[TaxLineOut]
    totals: dict[str, str]
    due_at_border: str
    pre_collected: str
    deferred: str
    assessed_at: str
    revision: int = Field(
        description="The revision of the declaration these taxes were assessed for: until an "
        "amended declaration is assessed again, the previous revision's.",
        json_schema_extra=_READ_ONLY,
    )
    # Revenue (issue 15): the exchange-rate rule and whether the rate used was stale.
    exchange_rate_rule: str = ""
    exchange_rate_stale: bool = False
    paid: str = Field(description="Paid at the border for this declaration.")
    refunded: str = Field(
        description="Refunded after an invalidation or a return, or beyond what a "
        "reassessment left due."
    )
    refunds: list[RefundOut]
    outstanding: str = Field(
        default="0.00",
        description="Still owed at the border: each payer's debt less what was paid toward "
        "it net of refunds, summed (one payer's payment never covers another's debt).",
    )


class TransportDocumentOut(BaseModel):
    """The declaration's transport document as it was accepted: the same object in the list and
    in the detail."""

    type: str = Field(description="`house_waybill`, `postal_item` or `master_waybill`.")
    number: str


REVISION_DESCRIPTION = (
    "The declaration's revision: 1 as submitted, + 1 for each amendment (the full corrected body, "
    "same `lrn`), which is validated and assessed again."
)


class DeclarationOut(BaseModel):
    id: int
    lrn: str
    revision: int = Field(description=REVISION_DESCRIPTION, json_schema_extra=_READ_ONLY)
    dataset: str
    profile_version: int | None
    status: str
    received_at: str
    updated_at: str
    arrived_at: str | None
    released_at: str | None
    transport_document: TransportDocumentOut
    status_history: list[StatusHistoryOut]
    data_quality: DataQualityOut
    taxes: TaxesOut | None
    declaration: dict[str, Any]


# The bounds of customs_ecom.platform.bounds, shared with the declaration contract and the columns.
Amount = Annotated[
    Decimal,
    plain_decimal(bounds.MONEY_DECIMAL_PLACES),
    Field(
        ge=0,
        max_digits=bounds.MONEY_MAX_DIGITS,
        decimal_places=bounds.MONEY_DECIMAL_PLACES,
        allow_inf_nan=False,
    ),
]
Mass = Annotated[
    Decimal,
    plain_decimal(bounds.MASS_DECIMAL_PLACES),
    Field(
        gt=0,
        max_digits=bounds.MASS_MAX_DIGITS,
        decimal_places=bounds.MASS_DECIMAL_PLACES,
        allow_inf_nan=False,
    ),
]


class ManifestLineIn(StrictBody):
    transport_document: Annotated[
        StrictStr,
        Field(min_length=1, max_length=64, json_schema_extra=_PLAIN),
        AfterValidator(_document_number),
    ]
    packages: Annotated[StrictInt, BeforeValidator(json_integer), Field(ge=1, le=9999)] | None = (
        None
    )
    gross_mass_kg: Mass | None = None
    declared_value: Amount | None = None
    currency: (
        Annotated[StrictStr, Field(pattern=r"^[A-Z]{3}$", json_schema_extra=_CURRENCIES)] | None
    ) = None
    description: Annotated[StrictStr, Field(max_length=512, json_schema_extra=_PLAIN)] | None = None

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str | None) -> str | None:
        from .codelists import is_currency

        if value is not None and not is_currency(value):
            raise PydanticCustomError("currency_unknown", "Not an ISO 4217 currency code")
        return value


class ManifestIn(StrictBody):
    """A carrier's manifest: one line per transport document (a second source for data quality)."""

    reference: Annotated[StrictStr, Field(max_length=64, json_schema_extra=_PLAIN)] | None = None
    lines: list[ManifestLineIn] = Field(min_length=1, max_length=10000)


class ManifestOut(BaseModel):
    id: int
    lines: int
    declarations_rescored: int


class ReturnIn(StrictBody):
    """Goods returned after release: the operator's lrn and the transport document carrying them back."""

    lrn: Annotated[StrictStr, Field(min_length=1, max_length=35, json_schema_extra=_PLAIN)]
    transport_document: TransportDocument
    reason: Annotated[StrictStr, Field(max_length=300, json_schema_extra=_PLAIN)] | None = None

    @classmethod
    def parse_or_problem(cls, body: Any):
        parsed = super().parse_or_problem(body)
        # The number as a declaration's is checked (published pattern, S10 for a postal item):
        # the goods come back under a number a carrier prints and a scanner reads.
        problems = transport_document_problems(parsed.transport_document, "/transport_document")
        if problems:
            raise ProblemError(
                422,
                "request-invalid",
                "Request failed validation",
                errors=[
                    {
                        "pointer": p.pointer,
                        "code": p.code,
                        "detail": problem_detail(p.code, p.detail),
                    }
                    for p in problems
                ],
            )
        return parsed


class InvalidationIn(StrictBody):
    # A reason is required: one of only whitespace is none, refused as an empty one is.
    reason: Annotated[
        StrictStr,
        Field(min_length=1, max_length=300, json_schema_extra=_PLAIN),
        AfterValidator(_not_blank),
    ]


class BatchResultOut(BaseModel):
    index: int
    status: Literal["accepted", "rejected"]
    http_status: int
    id: int | None = None
    lrn: str | None = None
    errors: list[dict[str, str]] | None = None


class BatchOut(BaseModel):
    accepted: int
    rejected: int
    results: list[BatchResultOut]


class DocumentOut(BaseModel):
    id: int
    declaration_id: int
    type: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: str


# ---- Typed bodies of the list and the batch (the OpenAPI document; docs/api.md) ---------------


class DeclarationSummaryOut(BaseModel):
    id: int
    lrn: str
    revision: int = Field(description=REVISION_DESCRIPTION, json_schema_extra=_READ_ONLY)
    status: str
    dataset: str
    transport_document: TransportDocumentOut
    received_at: str
    updated_at: str


class DeclarationListOut(BaseModel):
    """One page of the operator's declarations, newest change first."""

    results: list[DeclarationSummaryOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")
    has_more: bool


class BatchIn(BaseModel):
    """Up to the operator's `max_batch` (1,000 by default) declarations, each answered alone."""

    model_config = ConfigDict(extra="forbid")

    # Each entry is validated alone and answered alone (a rejected entry is that entry's 422 in
    # `results`), so the envelope accepts any JSON value per entry; each should be a DeclarationIn.
    declarations: list[Any] = Field(
        min_length=1,
        max_length=1000,
        description="Declarations as in `DeclarationIn` (docs/dataset.md); each is answered "
        "alone in `results`.",
        json_schema_extra={
            "items": {"type": ["object", "array", "string", "number", "boolean", "null"]}
        },
    )
