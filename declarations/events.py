"""The one reader of status events: webhooks, refund reconciliation and `GET /api/v1/events` all
read through it, with one cursor rule and one look-back.

The cursor rule: a reader's cursor is the id of the last event it handled; the next read returns
the events with a larger id, in id order.

The look-back: an event's id is taken when it is inserted, before its transaction commits, so a
transaction that commits late can make an event appear *below* a cursor that already moved past
it. Stateful readers (webhooks, refunds) therefore also re-read the events at or below their
cursor written within `LOOK_BACK`, and skip those they already handled (each has its own record of
what it handled: deliveries, ledger source keys). The pull API holds no state per reader: it never
returns an event younger than `settle()`, and stops before the first such event, so its cursor never
passes an event whose transaction may still be open; status transactions last milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from .models import StatusEvent

# How far back stateful readers look for events committed below their cursor.
LOOK_BACK = timedelta(seconds=int(getattr(settings, "EVENT_LOOK_BACK_SECONDS", 600)))


def settle() -> timedelta:
    """How old an event must be before the pull API hands it out (`EVENT_SETTLE_SECONDS`)."""
    return timedelta(seconds=float(getattr(settings, "EVENT_SETTLE_SECONDS", 2)))


# What every reader needs of an event (the declaration's LRN for the representation).
EVENT_FIELDS = (
    "pk",
    "event_id",
    "declaration_id",
    "declaration__lrn",
    "operator_id",
    "from_status",
    "to_status",
    "at",
    "public_reason",
)


def _events(operator_id: int | None, to_statuses: Iterable[str] | None):
    queryset = StatusEvent.objects.select_related("declaration").only(*EVENT_FIELDS)
    if operator_id is not None:
        queryset = queryset.filter(operator_id=operator_id)
    if to_statuses is not None:
        queryset = queryset.filter(to_status__in=list(to_statuses))
    return queryset


def events_after(
    *,
    cursor: int,
    limit: int,
    operator_id: int | None = None,
    to_statuses: Iterable[str] | None = None,
) -> list[StatusEvent]:
    """The cursor rule: events with an id above the cursor, in id order, at most `limit`."""
    return list(_events(operator_id, to_statuses).filter(pk__gt=cursor).order_by("pk")[:limit])


def late_events(
    *,
    cursor: int,
    operator_id: int | None = None,
    to_statuses: Iterable[str] | None = None,
    floor: int = 0,
    now: datetime | None = None,
) -> list[StatusEvent]:
    """The look-back: events at or below the cursor (and above `floor`) written within
    `LOOK_BACK`, in id order. The reader skips those it already handled."""
    now = now or timezone.now()
    return list(
        _events(operator_id, to_statuses)
        .filter(pk__gt=floor, pk__lte=cursor, at__gte=now - LOOK_BACK)
        .order_by("pk")
    )


@dataclass(frozen=True)
class EventPage:
    events: list[StatusEvent]
    next_cursor: int


def settled_page(
    *, operator_id: int, cursor: int, limit: int, now: datetime | None = None
) -> EventPage:
    """The pull API's page: the cursor rule, stopping before the first event younger than
    `SETTLE`. Polling with the same cursor again is safe: it only moves when events arrive."""
    horizon = (now or timezone.now()) - settle()
    events = []
    for event in events_after(cursor=cursor, limit=limit, operator_id=operator_id):
        if event.at > horizon:
            break
        events.append(event)
    return EventPage(events, events[-1].pk if events else cursor)
