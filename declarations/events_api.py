"""`GET /api/v1/events`: the operator's status events after a cursor (pull alternative to
webhooks), read through the one event reader (declarations.events)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from aeo.api import (
    EVENTS_DEFAULT_LIMIT,
    EVENTS_MAX_LIMIT,
    PROBLEM,
    EventPageOut,
    _events_cursor,
)
from customs_ecom.platform.query import limit_param

from .events import settled_page
from .webhooks import event_representation


class EventListApi(APIView):
    @extend_schema(
        operation_id="events_list",
        parameters=[
            OpenApiParameter(
                "cursor",
                {"type": "string", "pattern": "^[0-9]{1,18}$"},
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
        cursor = _events_cursor(request.query_params)
        limit = limit_param(
            request.query_params, default=EVENTS_DEFAULT_LIMIT, maximum=EVENTS_MAX_LIMIT
        )
        page = settled_page(operator_id=request.user.pk, cursor=cursor, limit=limit + 1)
        has_more = len(page.events) > limit
        events = page.events[:limit]
        return Response(
            {
                "events": [event_representation(e, e.declaration.lrn) for e in events],
                # Polling with the same cursor again is safe: it only moves when events arrive.
                "next_cursor": str(events[-1].pk if events else cursor),
                "has_more": has_more,
            }
        )
