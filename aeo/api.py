"""Operator REST API of the registry: the event stream and the calling operator's own record."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from pydantic import BaseModel, Field
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from customs_ecom.platform.problems import ProblemError

from .benefits import aeo_standing
from .models import Operator

PROBLEM = {"description": "RFC 9457 problem details", "content": {"application/problem+json": {}}}
EVENTS_DEFAULT_LIMIT = 100
EVENTS_MAX_LIMIT = 1000


class EventOut(BaseModel):
    event_id: str
    cursor: str
    type: str
    declaration_id: int
    lrn: str
    from_status: str | None
    to_status: str
    at: str
    reason: str


class EventPageOut(BaseModel):
    events: list[EventOut]
    next_cursor: str
    has_more: bool


class AuthorisationOut(BaseModel):
    kind: str
    certificate_number: str
    status: str
    valid_from: str | None
    valid_to: str | None
    recognised_from: str | None


class BenefitsOut(BaseModel):
    is_aeo: bool
    reduced_controls: bool
    deferred_payment: bool
    max_batch: int


class OperatorMeOut(BaseModel):
    code: str
    name: str
    role: str
    country: str
    identifiers: list[dict[str, str]]
    aeo_status: str = Field(
        description=(
            "`authorised` exactly when `benefits.is_aeo` (an authorisation in force today, in "
            "the installation's time zone); otherwise the status of the authorisation changed "
            "last (`applied`, `under_review`, `suspended`, `revoked`, `expired`, `rejected`), "
            "`expired`, `not_yet_valid` or `not_recognised` for one granted but giving nothing "
            "today, or `none`."
        )
    )
    authorisations: list[AuthorisationOut]
    benefits: BenefitsOut
    throttle_rate: str | None
    webhook_url: str | None


def _query_problem(pointer: str, code: str, detail: str) -> ProblemError:
    return ProblemError(
        400,
        "query-invalid",
        "Invalid query parameter",
        errors=[{"pointer": pointer, "code": code, "detail": detail}],
    )


def _events_cursor(params: Any) -> int:
    """The events cursor: absent is 0 (from the start); otherwise a `next_cursor` or an event's
    `cursor` as answered, ASCII digits (docs/api.md, "Lists": 400 `cursor_invalid` else)."""
    raw = params.get("cursor")
    if raw is None:
        return 0
    if not (raw.isascii() and raw.isdigit()):
        raise _query_problem(
            "/cursor", "cursor_invalid", gettext("cursor is not one this API issued (digits only)")
        )
    if len(raw) > 18:
        raise _query_problem(
            "/cursor", "cursor_invalid", gettext("cursor must have at most 18 digits")
        )
    return int(raw)


def operator_me_representation(operator: Operator) -> dict[str, Any]:
    # One reading of one day: the status says "authorised" exactly when the benefits apply.
    standing = aeo_standing(operator)
    benefits = standing.benefits
    authorisations = list(operator.authorisations.order_by("-status_changed_at", "-id"))
    return {
        "code": operator.code,
        "name": operator.name,
        "role": operator.role,
        "country": operator.country,
        "identifiers": [
            {"scheme": i.scheme, "value": i.value, "issuer": i.issuer}
            for i in operator.identifiers.all()
        ],
        "aeo_status": str(standing.status),
        "authorisations": [
            {
                "kind": a.kind,
                "certificate_number": a.certificate_number,
                "status": a.status,
                "valid_from": a.valid_from.isoformat() if a.valid_from else None,
                "valid_to": a.valid_to.isoformat() if a.valid_to else None,
                "recognised_from": a.recognised_from or None,
            }
            for a in authorisations
        ],
        # Operators learn that they are controlled less, not the factors the risk engine applies.
        "benefits": {
            "is_aeo": benefits.is_aeo,
            "reduced_controls": benefits.is_aeo,
            "deferred_payment": benefits.deferred_payment,
            "max_batch": benefits.max_batch,
        },
        "throttle_rate": operator.throttle_rate or None,
        "webhook_url": operator.webhook_url or None,
    }


class OperatorMeApi(APIView):
    @extend_schema(
        operation_id="operators_me",
        responses={200: OperatorMeOut},
        summary="The calling operator, its AEO status and benefits",
    )
    def get(self, request: Request) -> Response:
        return Response(operator_me_representation(request.user))
