"""Operator REST API for declarations (api.md). Thin views: read, call one service, render."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from customs_ecom.api_support import read_json_body, with_idempotency
from customs_ecom.problems import ProblemError, validation_problem

from .api_models import ArrivalsIn, ArrivalsOut, DeclarationOut
from .models import Declaration
from .schemas import DeclarationIn
from .services import SubmitOutcome, arrivals_record, declarations_submit

PROBLEM = {"description": "RFC 9457 problem details", "content": {"application/problem+json": {}}}


def _money(value: Any) -> str | None:
    return None if value is None else f"{value}"


def declaration_representation(declaration: Declaration) -> dict[str, Any]:
    """What an operator may see of its declaration: status, history, data quality, taxes.
    Never risk scores, channels, rule hits or officer notes (api.md, tenancy)."""
    from revenue.selectors import taxes_for_operator  # revenue sits above declarations

    return {
        "id": declaration.pk,
        "lrn": declaration.lrn,
        "dataset": declaration.dataset,
        "profile_version": declaration.profile.version if declaration.profile_id else None,
        "status": declaration.status,
        "received_at": declaration.received_at.isoformat(),
        "updated_at": declaration.updated_at.isoformat(),
        "arrived_at": declaration.arrived_at.isoformat() if declaration.arrived_at else None,
        "released_at": declaration.released_at.isoformat() if declaration.released_at else None,
        "transport_document": declaration.payload.get("transport_document"),
        "status_history": [
            {"status": e.to_status, "at": e.at.isoformat(), "reason": e.public_reason}
            for e in declaration.events.all()
        ],
        "data_quality": {
            "score": declaration.dq_score,
            "findings": [
                {"dimension": f.dimension, "code": f.code, "pointer": f.pointer, "detail": f.detail}
                for f in declaration.quality_findings.all()
            ],
        },
        "taxes": taxes_for_operator(declaration_id=declaration.pk),
        "declaration": declaration.payload,
    }


def _load_for_operator(operator: Any, declaration_id: int) -> Declaration:
    declaration = (
        Declaration.objects.select_related("profile")
        .prefetch_related("events", "quality_findings")
        .filter(operator=operator, pk=declaration_id)
        .first()
    )
    if declaration is None:
        raise ProblemError(
            404, "not-found", "Not found", detail="No such declaration for this operator."
        )
    return declaration


def outcome_problem(outcome: SubmitOutcome) -> ProblemError:
    if outcome.status == 409:
        return ProblemError(
            409,
            "lrn-conflict",
            "lrn already used with a different body",
            errors=[
                {"pointer": e.pointer, "code": e.code, "detail": e.detail} for e in outcome.errors
            ],
        )
    return validation_problem(outcome.errors)


class DeclarationCreateApi(APIView):
    @extend_schema(
        operation_id="declarations_create",
        request=DeclarationIn,
        responses={
            201: DeclarationOut,
            200: DeclarationOut,
            400: PROBLEM,
            409: PROBLEM,
            413: PROBLEM,
            422: PROBLEM,
        },
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER)],
        summary="Submit one declaration",
    )
    def post(self, request: Request) -> Response:
        body = read_json_body(request, max_bytes=settings.INTAKE_MAX_BODY_BYTES)
        operator = request.user

        def produce() -> Response:
            outcome = declarations_submit(operator=operator, bodies=[body])[0]
            if outcome.declaration is None:
                raise outcome_problem(outcome)
            declaration = _load_for_operator(operator, outcome.declaration.pk)
            return Response(declaration_representation(declaration), status=outcome.status)

        return with_idempotency(request, operator, body, produce)

    @extend_schema(
        operation_id="declarations_list",
        responses={200: OpenApiTypes.OBJECT},
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR),
            OpenApiParameter("lrn", OpenApiTypes.STR),
            OpenApiParameter("transport_document", OpenApiTypes.STR),
            OpenApiParameter("updated_since", OpenApiTypes.DATETIME),
            OpenApiParameter("cursor", OpenApiTypes.STR),
            OpenApiParameter("limit", OpenApiTypes.INT),
        ],
        summary="List the operator's declarations (cursor pagination)",
    )
    def get(self, request: Request) -> Response:
        from .listing import list_declarations

        return Response(list_declarations(operator=request.user, params=request.query_params))


class DeclarationDetailApi(APIView):
    @extend_schema(
        operation_id="declarations_retrieve", responses={200: DeclarationOut, 404: PROBLEM}
    )
    def get(self, request: Request, declaration_id: int) -> Response:
        return Response(
            declaration_representation(_load_for_operator(request.user, declaration_id))
        )


class ArrivalCreateApi(APIView):
    @extend_schema(
        operation_id="arrivals_create",
        request=ArrivalsIn,
        responses={200: ArrivalsOut, 422: PROBLEM},
        summary="Report arrival of consignments by transport document; green ones are released at once",
    )
    def post(self, request: Request) -> Response:
        body = read_json_body(request, max_bytes=settings.INTAKE_MAX_BODY_BYTES)
        parsed = ArrivalsIn.parse_or_problem(body)

        def produce() -> Response:
            results = arrivals_record(
                operator=request.user, transport_documents=parsed.transport_documents
            )
            return Response({"arrivals": results})

        return with_idempotency(request, request.user, body, produce)
