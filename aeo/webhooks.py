"""Webhooks by the outbox pattern (api.md, "Webhooks").

1. `webhooks_collect` reads each subscribed operator's status events after its cursor and writes one
   `WebhookDelivery` per event (unique event id, frozen body), then advances the cursor, in one
   transaction per operator. A short look-back also picks up events whose transaction committed after
   a later id had been read, so no event is skipped; the unique event id makes the overlap harmless.
2. `webhooks_deliver` POSTs due deliveries with `X-Signature: sha256=<hex HMAC of the body>`, logs
   every attempt, and marks a delivery delivered only after a 2xx. Failures are retried with
   exponential backoff for `RETRY_WINDOW` (more than 24 hours), then given up (the events stay
   available from `GET /api/v1/events`).

Receivers get each event at least once and must de-duplicate by `event_id`; since a delivery stops
at its first 2xx and carries the same id on every attempt, a receiver that acknowledges only after
storing sees each event id accepted exactly once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from .models import Operator, WebhookAttempt, WebhookCursor, WebhookDelivery

logger = logging.getLogger(__name__)

COLLECT_BATCH = 1000
# Transactions that started before a later event committed may commit a little after it.
LOOKBACK = timedelta(minutes=5)
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=4)
RETRY_WINDOW = timedelta(hours=30)  # at least 24 hours of retries (api.md)
LEASE = timedelta(minutes=2)  # a delivery being attempted is not picked by another worker
TIMEOUT_SECONDS = 10
USER_AGENT = "customs-ecom-webhooks/1"


def event_representation(event: Any, lrn: str) -> dict[str, Any]:
    """What the operator sees of a status event: never the officer's note, never risk data."""
    return {
        "event_id": str(event.event_id),
        "cursor": str(event.pk),
        "type": "declaration.status_changed",
        "declaration_id": event.declaration_id,
        "lrn": lrn,
        "from_status": event.from_status or None,
        "to_status": event.to_status,
        "at": event.at.isoformat(),
        "reason": event.public_reason,
    }


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def standard_headers(event_id: str, at: datetime, body: bytes, secret: str) -> dict[str, str]:
    """The Standard Webhooks headers (standardwebhooks): the event id, the time of this attempt
    and `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` with the operator's secret (its UTF-8
    bytes as the key). A receiver refuses a timestamp more than 5 minutes off its clock, so a
    captured request cannot be replayed later."""
    from standardwebhooks.webhooks import Webhook

    signature = Webhook(secret.encode()).sign(msg_id=event_id, timestamp=at, data=body.decode())
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at 4 h: about 13 attempts in the first 30 hours."""
    return min(BACKOFF_CAP, BACKOFF_BASE * (2 ** max(0, attempts - 1)))


def _events_for(operator_id: int, cursor: int, start: int, now: datetime) -> list[Any]:
    from declarations.models import StatusEvent  # declarations sits above aeo

    fresh = list(
        StatusEvent.objects.filter(operator_id=operator_id, pk__gt=cursor)
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
        .order_by("pk")[:COLLECT_BATCH]
    )
    late = list(
        StatusEvent.objects.filter(
            operator_id=operator_id, pk__gt=start, pk__lte=cursor, at__gte=now - LOOKBACK
        )
        .exclude(
            event_id__in=WebhookDelivery.objects.filter(
                operator_id=operator_id, created_at__gte=now - LOOKBACK - timedelta(hours=1)
            ).values("event_id")
        )
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
        .order_by("pk")
    )
    return late + fresh


def webhooks_collect(*, now: datetime | None = None) -> int:
    """Outbox step 1: one delivery row per new status event of every subscribed operator."""
    now = now or timezone.now()
    created = 0
    for operator_id in (
        Operator.objects.exclude(webhook_url="").filter(is_active=True).values_list("pk", flat=True)
    ):
        with transaction.atomic():
            cursor, _ = WebhookCursor.objects.get_or_create(operator_id=operator_id)
            cursor = WebhookCursor.objects.select_for_update().get(pk=cursor.pk)
            events = _events_for(operator_id, cursor.last_event_pk, cursor.start_event_pk, now)
            if not events:
                continue
            rows = [
                WebhookDelivery(
                    operator_id=operator_id,
                    event_id=e.event_id,
                    status_event_pk=e.pk,
                    body=json.dumps(
                        event_representation(e, e.declaration.lrn), separators=(",", ":")
                    ),
                    next_attempt_at=now,
                    created_at=now,
                )
                for e in events
            ]
            WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
            created += len(rows)
            cursor.last_event_pk = max(cursor.last_event_pk, max(e.pk for e in events))
            cursor.updated_at = now
            cursor.save(update_fields=["last_event_pk", "updated_at"])
    return created


@dataclass(frozen=True)
class HttpResult:
    status_code: int | None
    error: str = ""


Poster = Callable[[str, bytes, dict[str, str]], HttpResult]


def http_post(url: str, body: bytes, headers: dict[str, str]) -> HttpResult:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return HttpResult(response.status)
    except urllib.error.HTTPError as exc:
        return HttpResult(exc.code, f"HTTP {exc.code}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return HttpResult(None, str(getattr(exc, "reason", exc))[:300])


def _claim_due(now: datetime, limit: int) -> list[WebhookDelivery]:
    """Lease due deliveries so that two workers never attempt the same one at the same time."""
    with transaction.atomic():
        qs = WebhookDelivery.objects.filter(
            state=WebhookDelivery.State.PENDING, next_attempt_at__lte=now
        ).order_by("next_attempt_at", "pk")
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        due = list(qs.select_related("operator")[:limit])
        if due:
            WebhookDelivery.objects.filter(pk__in=[d.pk for d in due]).update(
                next_attempt_at=now + LEASE
            )
    return due


def _attempt(delivery: WebhookDelivery, now: datetime, post: Poster) -> bool:
    operator = delivery.operator
    number = delivery.attempts + 1
    body = delivery.body.encode()
    started = time.monotonic()
    if not operator.webhook_url:
        result = HttpResult(None, "no webhook URL registered")
    else:
        result = post(
            operator.webhook_url,
            body,
            {
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                "X-Event-Id": str(delivery.event_id),
                "X-Delivery-Attempt": str(number),
                "X-Signature": sign(body, operator.webhook_secret),  # earlier scheme, kept
                **standard_headers(str(delivery.event_id), now, body, operator.webhook_secret),
            },
        )
    duration = int((time.monotonic() - started) * 1000)
    ok = result.status_code is not None and 200 <= result.status_code < 300
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            at=now,
            number=number,
            status_code=result.status_code,
            error=result.error[:300],
            duration_ms=duration,
        )
        delivery.attempts = number
        if ok:
            delivery.state = WebhookDelivery.State.DELIVERED
            delivery.delivered_at = now
            delivery.last_error = ""
        else:
            delivery.last_error = (result.error or f"HTTP {result.status_code}")[:300]
            retry_at = now + backoff(number)
            if retry_at - delivery.created_at > RETRY_WINDOW:
                delivery.state = WebhookDelivery.State.GAVE_UP
                logger.warning(
                    "webhook event %s to operator %s given up after %d attempts",
                    delivery.event_id,
                    operator.code,
                    number,
                )
            delivery.next_attempt_at = retry_at
        delivery.save(
            update_fields=["attempts", "state", "delivered_at", "last_error", "next_attempt_at"]
        )
    return ok


def webhooks_deliver(
    *, now: datetime | None = None, limit: int = 200, post: Poster | None = None
) -> dict[str, int]:
    """Outbox step 2: attempt every due delivery once. `now` is injectable so tests can advance
    the backoff clock without sleeping; `post` defaults to a real HTTP POST."""
    now = now or timezone.now()
    post = post or http_post
    counts = {"attempted": 0, "delivered": 0, "failed": 0}
    for delivery in _claim_due(now, limit):
        counts["attempted"] += 1
        if _attempt(delivery, now, post):
            counts["delivered"] += 1
        else:
            counts["failed"] += 1
    return counts


def pending_count(operator_id: int) -> int:
    return WebhookDelivery.objects.filter(
        Q(operator_id=operator_id) & Q(state=WebhookDelivery.State.PENDING)
    ).count()
