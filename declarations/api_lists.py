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
from .models import Document


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
