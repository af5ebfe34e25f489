"""`GET /api/v1/events`: the operator's status events after a cursor (pull alternative to
webhooks), read through the one event reader (declarations.events)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from aeo.api import (
    EVENTS_DEFAULT_LIMIT,
    EVENTS_MAX_LIMIT,
    PROBLEM,
    EventPageOut,
    _non_negative_int,
    _query_problem,
)

from .events import settled_page
from .webhooks import event_representation


class EventListApi(APIView):
    @extend_schema(
        operation_id="events_list",
        parameters=[
            OpenApiParameter(
                "cursor",
                OpenApiTypes.STR,
                description="`next_cursor` of the previous page; 0 or absent replays from the start",
            ),
            OpenApiParameter("limit", OpenApiTypes.INT, description="1 to 1000, default 100"),
        ],
        responses={200: EventPageOut, 400: PROBLEM},
        summary="The operator's status-change events after a cursor (pull alternative to webhooks)",
    )
    def get(self, request: Request) -> Response:
        cursor = _non_negative_int(request.query_params, "cursor", 0)
        limit = _non_negative_int(request.query_params, "limit", EVENTS_DEFAULT_LIMIT)
        if not 1 <= limit <= EVENTS_MAX_LIMIT:
            raise _query_problem(
                "/limit", "number_out_of_range", f"limit must be between 1 and {EVENTS_MAX_LIMIT}"
            )
        page = settled_page(operator_id=request.user.pk, cursor=cursor, limit=limit)
        return Response(
            {
                "events": [event_representation(e, e.declaration.lrn) for e in page.events],
                # Polling with the same cursor again is safe: it only moves when events arrive.
                "next_cursor": str(page.next_cursor),
            }
        )
