"""Pydantic shapes of the declaration API's small bodies and of its responses (for the OpenAPI document)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from customs_ecom.problems import ProblemError


def pydantic_problems(exc: ValidationError) -> list[dict[str, str]]:
    rows = []
    for error in exc.errors():
        pointer = "".join(f"/{part}" for part in error["loc"])
        code = {"missing": "required", "extra_forbidden": "unknown_element"}.get(
            error["type"], error["type"]
        )
        rows.append({"pointer": pointer, "code": code, "detail": error["msg"]})
    return rows


class StrictBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @classmethod
    def parse_or_problem(cls, body: Any):
        try:
            return cls.model_validate(body)
        except ValidationError as exc:
            raise ProblemError(
                422, "request-invalid", "Request failed validation", errors=pydantic_problems(exc)
            ) from None


class ArrivalsIn(StrictBody):
    transport_documents: list[str] = Field(min_length=1, max_length=10000)
    arrived_at: str | None = None


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
    rate: str | None
    amount: str
    currency: str
    payer: str
    collection_model: str
    legal_reason: str
    collected_at_border: bool


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


class DeclarationOut(BaseModel):
    id: int
    lrn: str
    dataset: str
    profile_version: int | None
    status: str
    received_at: str
    updated_at: str
    arrived_at: str | None
    released_at: str | None
    transport_document: dict[str, Any] | None
    status_history: list[StatusHistoryOut]
    data_quality: DataQualityOut
    taxes: TaxesOut | None
    declaration: dict[str, Any]
