"""Operator REST API of the registry: the event stream and the calling operator's own record."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from pydantic import BaseModel
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from customs_ecom.problems import ProblemError
from customs_ecom.query import limit_param

from .benefits import operator_benefits
from .models import AEOAuthorisation, Operator
from .webhooks import event_representation

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
    aeo_status: str
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


def _non_negative_int(params: Any, name: str, default: int) -> int:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    if not raw.isdigit() or len(raw) > 18:
        raise _query_problem(f"/{name}", "type_invalid", f"{name} must be a non-negative integer")
    return int(raw)


class EventListApi(APIView):
    @extend_schema(
        operation_id="events_list",
        parameters=[
            OpenApiParameter(
                "cursor",
                {"type": "string", "pattern": "^[0-9]{0,18}$"},
                description="`next_cursor` of the previous page; 0 or absent replays from the start",
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": EVENTS_MAX_LIMIT},
                description="1 to 1000, default 100",
            ),
        ],
        responses={200: EventPageOut, 400: PROBLEM},
        summary="The operator's status-change events after a cursor (pull alternative to webhooks)",
    )
    def get(self, request: Request) -> Response:
        from declarations.models import StatusEvent  # declarations sits above aeo

        cursor = _non_negative_int(request.query_params, "cursor", 0)
        limit = limit_param(
            request.query_params, default=EVENTS_DEFAULT_LIMIT, maximum=EVENTS_MAX_LIMIT
        )
        events = list(
            StatusEvent.objects.filter(operator=request.user, pk__gt=cursor)
            .select_related("declaration")
            .only(
                "pk",
                "event_id",
                "declaration_id",
                "declaration__lrn",
                "from_status",
                "to_status",
                "at",
                "public_reason",
            )
            .order_by("pk")[: limit + 1]
        )
        has_more = len(events) > limit
        events = events[:limit]
        return Response(
            {
                "events": [event_representation(e, e.declaration.lrn) for e in events],
                # Polling with the same cursor again is safe: it only moves when events arrive.
                "next_cursor": str(events[-1].pk if events else cursor),
                "has_more": has_more,
            }
        )


def _aeo_status(authorisations: list[AEOAuthorisation], is_aeo: bool) -> str:
    if is_aeo:
        return "authorised"
    if not authorisations:
        return "none"
    return authorisations[0].status


def operator_me_representation(operator: Operator) -> dict[str, Any]:
    benefits = operator_benefits(operator)
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
        "aeo_status": _aeo_status(authorisations, benefits.is_aeo),
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
