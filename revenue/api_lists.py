"""The operator's payments and deferred statements, as lists (docs/api.md)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, extend_schema
from pydantic import BaseModel
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from customs_ecom.platform.pages import CURSOR_SCHEMA, LIMIT_SCHEMA, id_page

from .api import PaymentCreateApi
from .api_models import PaymentOut
from .models import DeferredStatement, LedgerEntry
from .selectors import statement_outstanding, statement_paid

_PAGE_PARAMETERS = [
    OpenApiParameter("cursor", CURSOR_SCHEMA, description="`next_cursor` of a page"),
    OpenApiParameter("limit", LIMIT_SCHEMA, description="1 to 500, default 100"),
]


class PaymentPageOut(BaseModel):
    results: list[PaymentOut]
    next_cursor: str | None
    has_more: bool


class StatementOut(BaseModel):
    id: int
    period: str
    currency: str
    total: str
    brought_forward: str
    carried_from: int | None
    paid: str
    outstanding: str
    entry_count: int
    late_entries: int
    due_date: str
    closed_at: str


class StatementPageOut(BaseModel):
    results: list[StatementOut]
    next_cursor: str | None
    has_more: bool


def payment_representation(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "declaration_id": entry.declaration_id,
        "statement_id": entry.statement_id,
        "amount": str(entry.amount),
        "currency": entry.currency,
        "reference": entry.reference,
        "recorded_at": entry.at.isoformat(),
    }


def statement_representation(statement: DeferredStatement) -> dict[str, Any]:
    return {
        "id": statement.pk,
        "period": statement.period.isoformat(),
        "currency": statement.currency,
        "total": str(statement.total),
        "brought_forward": str(statement.brought_forward),
        "carried_from": statement.carried_from_id,
        # What was paid against it and what it still owes (negative: a credit that the next
        # statement closed will carry), as the payments endpoint checks them.
        "paid": str(statement_paid(statement)),
        "outstanding": str(statement_outstanding(statement)),
        "entry_count": statement.entry_count,
        # Of `entry_count`, the entries of earlier months written after their month was closed.
        "late_entries": statement.late_entries,
        "due_date": statement.due_date.isoformat(),
        "closed_at": statement.closed_at.isoformat(),
    }


class PaymentListApi(APIView):
    @extend_schema(
        operation_id="payments_list",
        parameters=_PAGE_PARAMETERS,
        responses={200: PaymentPageOut},
        summary="The operator's payments (of its declarations and statements), newest first",
    )
    def get(self, request: Request) -> Response:
        operator = request.user
        payments = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PAYMENT).filter(
            Q(declaration__operator=operator) | Q(account=operator)
        )
        return Response(id_page(payments, request.query_params, payment_representation))


class StatementListApi(APIView):
    @extend_schema(
        operation_id="statements_list",
        parameters=_PAGE_PARAMETERS,
        responses={200: StatementPageOut},
        summary="The operator's monthly deferred statements, newest first",
    )
    def get(self, request: Request) -> Response:
        statements = DeferredStatement.objects.filter(operator=request.user)
        return Response(id_page(statements, request.query_params, statement_representation))


class PaymentsApi(PaymentCreateApi):
    """`/api/v1/payments`: POST records a payment (PaymentCreateApi), GET lists them."""

    get = PaymentListApi.get
