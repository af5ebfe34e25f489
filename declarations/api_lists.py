"""The operator's documents, as a list (docs/api.md)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from pydantic import BaseModel
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from customs_ecom.platform.pages import CURSOR_SCHEMA, LIMIT_SCHEMA, id_page

from .api_models import DocumentOut
from .models import Document, WebhookDelivery


class DocumentPageOut(BaseModel):
    results: list[DocumentOut]
    next_cursor: str | None
    has_more: bool


def document_representation(document: Document) -> dict[str, Any]:
    return {
        "id": document.pk,
        "declaration_id": document.declaration_id,
        "type": document.type,
        "content_type": document.content_type,
        "size": document.size,
        "sha256": document.sha256,
        "uploaded_at": document.uploaded_at.isoformat(),
    }


class DocumentListApi(APIView):
    @extend_schema(
        operation_id="documents_list",
        parameters=[
            OpenApiParameter("cursor", CURSOR_SCHEMA, description="`next_cursor` of a page"),
            OpenApiParameter("limit", LIMIT_SCHEMA, description="1 to 500, default 100"),
        ],
        responses={200: DocumentPageOut},
        summary="The documents the operator uploaded, newest first",
    )
    def get(self, request: Request) -> Response:
        documents = Document.objects.filter(operator=request.user)
        return Response(id_page(documents, request.query_params, document_representation))


# --- the operator's webhook deliveries (docs/api.md, Webhooks) ------------------------------


class DeliveryOut(BaseModel):
    id: int
    event_id: str
    state: str
    attempts: int
    created_at: str
    next_attempt_at: str | None
    delivered_at: str | None
    last_error: str


class DeliveryPageOut(BaseModel):
    results: list[DeliveryOut]
    next_cursor: str | None
    has_more: bool


def delivery_representation(delivery: WebhookDelivery) -> dict[str, Any]:
    pending = delivery.state == WebhookDelivery.State.PENDING
    return {
        "id": delivery.pk,
        "event_id": str(delivery.event_id),
        "state": delivery.state,
        "attempts": delivery.attempts,
        "created_at": delivery.created_at.isoformat(),
        "next_attempt_at": delivery.next_attempt_at.isoformat() if pending else None,
        "delivered_at": delivery.delivered_at.isoformat() if delivery.delivered_at else None,
        "last_error": delivery.last_error,
    }


class DeliveryListApi(APIView):
    @extend_schema(
        operation_id="webhook_deliveries_list",
        parameters=[
            OpenApiParameter("cursor", CURSOR_SCHEMA, description="`next_cursor` of a page"),
            OpenApiParameter("limit", LIMIT_SCHEMA, description="1 to 500, default 100"),
        ],
        responses={200: DeliveryPageOut},
        summary="Deliveries of the operator's webhook events, newest first, with their attempts",
    )
    def get(self, request: Request) -> Response:
        deliveries = WebhookDelivery.objects.filter(operator=request.user)
        return Response(id_page(deliveries, request.query_params, delivery_representation))
