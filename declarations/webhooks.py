"""Webhooks by the outbox pattern (api.md, "Webhooks").

1. `webhooks_collect` reads each subscribed operator's status events after its cursor and writes one
   `WebhookDelivery` per event (unique event id, frozen body), then advances the cursor, in one
   transaction per operator. A short look-back also picks up events whose transaction committed after
   a later id had been read, so no event is skipped; the unique event id makes the overlap harmless.
2. `webhooks_deliver` POSTs due deliveries with `X-Signature: sha256=<hex HMAC of the body>`, logs
   every attempt, and marks a delivery delivered only after a 2xx. Failures are retried with
   exponential backoff for `RETRY_WINDOW` (more than 24 hours), then given up (the events stay
   available from `GET /api/v1/events`). A 410 Gone is not retried: the delivery is given up and
   the operator's webhook disabled until registered again.

Only `subscribed_operators` are collected for and delivered to: an inactive operator or a
disabled webhook has its events wait behind its cursor and its pending deliveries held, both
resumed when it is active or registered again. For `settings.WEBHOOK_SECRET_GRACE` after a
rotation, deliveries carry a second signature made with the previous secret.

Receivers get each event at least once and must de-duplicate by `event_id`; since a delivery stops
at its first 2xx and carries the same id on every attempt, a receiver that acknowledges only after
storing sees each event id accepted exactly once.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import json
import logging
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.db import connection, transaction
from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from aeo.models import Operator
from aeo.services.access import webhook_disable_gone
from customs_ecom.platform import outbound

from .events import events_after, late_events
from .models import StatusEvent, WebhookAttempt, WebhookCursor, WebhookDelivery

logger = logging.getLogger(__name__)

COLLECT_BATCH = 1000
# Transactions that started before a later event committed may commit a little after it.
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=4)
RETRY_WINDOW = timedelta(hours=30)  # at least 24 hours of retries (api.md)
# Each attempt has a hard deadline (connect, send, answer), attempts run side by side, so a tick
# lasts at most ceil(limit / DELIVERY_CONCURRENCY) * ATTEMPT_DEADLINE_SECONDS (200 / 16 * 5 s:
# 65 s); the lease on a claimed delivery is longer than that, so no other tick takes it meanwhile.
ATTEMPT_DEADLINE_SECONDS = 5.0
DELIVERY_CONCURRENCY = 16
LEASE = timedelta(minutes=5)  # a delivery being attempted is not picked by another worker
USER_AGENT = "customs-ecom-webhooks/1"
GONE = 410  # the receiver asks to stop: the webhook is disabled (Standard Webhooks)


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


def standard_headers(
    event_id: str, at: datetime, body: bytes, secret: str, previous_secret: str = ""
) -> dict[str, str]:
    """The Standard Webhooks headers (standardwebhooks): the event id, the time of this attempt
    and `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` with the operator's secret (its UTF-8
    bytes as the key). A receiver refuses a timestamp more than 5 minutes off its clock, so a
    captured request cannot be replayed later. With `previous_secret` (the grace period after a
    rotation) a second signature follows, space-separated: `v1,<new> v1,<previous>`; a receiver
    accepts the request if any of them matches its secret."""
    from standardwebhooks.webhooks import Webhook

    signature = " ".join(
        Webhook(key.encode()).sign(msg_id=event_id, timestamp=at, data=body.decode())
        for key in (secret, previous_secret)
        if key
    )
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at 4 h: about 13 attempts in the first 30 hours."""
    return min(BACKOFF_CAP, BACKOFF_BASE * (2 ** max(0, attempts - 1)))


def _events_for(operator_id: int, cursor: int, start: int, now: datetime) -> list[Any]:
    """New events after the cursor, and those committed late below it (the look-back of the one
    event reader) that have no delivery yet."""
    fresh = events_after(cursor=cursor, limit=COLLECT_BATCH, operator_id=operator_id)
    late = late_events(cursor=cursor, operator_id=operator_id, floor=start, now=now)
    if late:
        delivered = set(
            WebhookDelivery.objects.filter(
                operator_id=operator_id, event_id__in=[e.event_id for e in late]
            ).values_list("event_id", flat=True)
        )
        late = [e for e in late if e.event_id not in delivered]
    return late + fresh


def subscribed_operators():
    """Operators that receive webhook deliveries: a URL registered, the operator active (an
    inactive operator receives no data) and the webhook not disabled by a 410 Gone. The others'
    events wait behind their cursor and their pending deliveries are held: both resume when the
    operator is active again or its webhook registered again."""
    return Operator.objects.exclude(webhook_url="").filter(
        is_active=True, webhook_disabled_at__isnull=True
    )


def webhooks_collect(*, now: datetime | None = None) -> int:
    """Outbox step 1: one delivery row per new status event of every subscribed operator."""
    now = now or timezone.now()
    created = 0
    for operator_id in subscribed_operators().values_list("pk", flat=True):
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


def _abort(conn: http.client.HTTPConnection) -> None:
    """The deadline passed: shut the socket, so that a receiver trickling its answer a byte at a
    time cannot hold the attempt (per-read timeouts alone would let it)."""
    sock = conn.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _connect_any(addresses: list[str], port: int, timeout: float, until: float) -> socket.socket:
    """A connection to the first of the checked addresses that accepts one before `until`
    (a name with several addresses is served by any of them: one down must not fail delivery)."""
    error: OSError = TimeoutError("no address answered")
    for address in addresses:
        remaining = until - time.monotonic()
        if remaining <= 0:
            break
        try:
            return socket.create_connection((address, port), min(timeout, remaining))
        except OSError as exc:
            error = exc
    raise error


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the addresses checked by `outbound.public_addresses`, never to a second
    lookup."""

    def __init__(
        self, host: str, port: int | None, *, addresses: list[str], timeout: float, until: float
    ) -> None:
        super().__init__(host, port, timeout=timeout)
        self._addresses = addresses
        self._until = until

    def connect(self) -> None:
        self.sock = _connect_any(self._addresses, self.port, self.timeout, self._until)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to the checked addresses; the certificate is verified for the host name."""

    def __init__(
        self, host: str, port: int | None, *, addresses: list[str], timeout: float, until: float
    ) -> None:
        super().__init__(host, port, timeout=timeout)
        self._addresses = addresses
        self._until = until

    def connect(self) -> None:
        sock = _connect_any(self._addresses, self.port, self.timeout, self._until)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def http_post(
    url: str, body: bytes, headers: dict[str, str], *, deadline: float | None = None
) -> HttpResult:
    """POST with a deadline for the whole attempt (connect, send, status line and headers)."""
    deadline = deadline or ATTEMPT_DEADLINE_SECONDS
    problem = outbound.webhook_url_problem(url)
    parts = urlsplit(url)
    if problem is not None or parts.scheme not in ("http", "https") or not parts.hostname:
        return HttpResult(None, problem or f"unsupported webhook URL {url[:100]!r}")
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    until = time.monotonic() + deadline
    try:
        addresses = outbound.public_addresses(parts.hostname, port)
    except OSError as exc:
        return HttpResult(None, str(exc)[:300] or type(exc).__name__)
    connection_class = _PinnedHTTPSConnection if https else _PinnedHTTPConnection
    conn = connection_class(
        parts.hostname, port, addresses=addresses, timeout=deadline, until=until
    )
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        _abort(conn)

    timer = threading.Timer(deadline, expire)
    timer.daemon = True
    timer.start()
    try:
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn.request("POST", target, body, headers)
        response = conn.getresponse()
        status = response.status
        return HttpResult(status, "" if 200 <= status < 300 else f"HTTP {status}")
    except (OSError, http.client.HTTPException, ValueError) as exc:
        if expired.is_set():
            return HttpResult(None, f"no answer within {deadline:g} s")
        return HttpResult(None, str(getattr(exc, "reason", exc))[:300] or type(exc).__name__)
    finally:
        timer.cancel()
        conn.close()


def _claim_due(now: datetime, limit: int) -> list[WebhookDelivery]:
    """Lease due deliveries so that two workers never attempt the same one at the same time.

    Every operator with deliveries due gets its share of the `limit` first (its oldest), the rest
    goes to the oldest due of anyone: an operator whose receiver is down and whose backlog of
    retries grows never crowds the others' fresh events out of a tick. The deliveries come back
    interleaved by operator, the order in which they are attempted."""
    with transaction.atomic():
        # Held, not attempted: the deliveries of an inactive operator or of a disabled webhook.
        due = WebhookDelivery.objects.filter(
            state=WebhookDelivery.State.PENDING,
            next_attempt_at__lte=now,
            operator__is_active=True,
            operator__webhook_disabled_at__isnull=True,
        )
        skip_locked = connection.features.has_select_for_update_skip_locked

        def locked(queryset, count: int) -> list[WebhookDelivery]:
            queryset = queryset.order_by("next_attempt_at", "pk")
            if skip_locked:
                # Only the delivery rows: the operator's row is read, never locked by a tick.
                queryset = queryset.select_for_update(skip_locked=True, of=("self",))
            return list(queryset.select_related("operator")[:count])

        operators = due.order_by().values("operator_id").distinct().count()
        if not operators:
            return []
        share = max(1, -(-limit // operators))
        # Each operator's `share` oldest, numbered in one query (a window function cannot be
        # locked: the rows it names are locked by the next one), the oldest `limit` of them kept.
        oldest_of_each = list(
            due.annotate(
                rank=Window(
                    RowNumber(),
                    partition_by=[F("operator_id")],
                    order_by=[F("next_attempt_at").asc(), F("pk").asc()],
                )
            )
            .filter(rank__lte=share)
            .values_list("pk", flat=True)
        )
        picked = locked(due.filter(pk__in=oldest_of_each), limit)
        if len(picked) < limit:
            taken = [d.pk for d in picked]
            picked.extend(locked(due.exclude(pk__in=taken), limit - len(picked)))
        if picked:
            WebhookDelivery.objects.filter(pk__in=[d.pk for d in picked]).update(
                next_attempt_at=now + LEASE
            )
    return _interleaved(picked)


def _interleaved(deliveries: list[WebhookDelivery]) -> list[WebhookDelivery]:
    """One delivery of each operator in turn (each operator's in due order): a receiver that
    holds its attempts to the deadline occupies the pool only after every other operator's first
    deliveries were handed to it."""
    queues: dict[int, list[WebhookDelivery]] = {}
    for delivery in deliveries:
        queues.setdefault(delivery.operator_id, []).append(delivery)
    ordered: list[WebhookDelivery] = []
    for turn in range(max((len(q) for q in queues.values()), default=0)):
        ordered.extend(q[turn] for q in queues.values() if turn < len(q))
    return ordered


def previous_secret(operator: Operator, now: datetime) -> str:
    """The secret replaced by the last rotation while its grace period lasts, else empty."""
    until = operator.webhook_previous_secret_until
    if operator.webhook_previous_secret and until is not None and now < until:
        return operator.webhook_previous_secret
    return ""


def _send(delivery: WebhookDelivery, post: Poster) -> tuple[HttpResult, int]:
    """The HTTP part of an attempt (run in a pool thread: no database access here)."""
    operator = delivery.operator
    body = delivery.body.encode()
    now = timezone.now()
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
                "X-Delivery-Attempt": str(delivery.attempts + 1),
                "X-Signature": sign(body, operator.webhook_secret),  # earlier scheme, kept
                **standard_headers(
                    str(delivery.event_id),
                    now,
                    body,
                    operator.webhook_secret,
                    previous_secret(operator, now),
                ),
            },
        )
    return result, int((time.monotonic() - started) * 1000)


def _attempt(delivery: WebhookDelivery, now: datetime, post: Poster) -> bool:
    result, duration = _send(delivery, post)
    return _record(delivery, now, result, duration)


def _record(delivery: WebhookDelivery, now: datetime, result: HttpResult, duration: int) -> bool:
    """Log the attempt and schedule the next one (or mark the delivery done or given up)."""
    operator = delivery.operator
    number = delivery.attempts + 1
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
        elif result.status_code == GONE:
            # Standard Webhooks: 410 Gone means "stop". This delivery is not retried and the
            # webhook is disabled (its other deliveries are held) until registered again.
            delivery.state = WebhookDelivery.State.GAVE_UP
            delivery.last_error = "HTTP 410 Gone: webhook disabled"
            delivery.next_attempt_at = now
            disabled = webhook_disable_gone(
                operator_id=operator.pk, url=operator.webhook_url, status_code=GONE, at=now
            )
            if disabled:
                logger.warning(
                    "webhook of operator %s disabled: its receiver answered 410 Gone",
                    operator.code,
                )
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
    due = _claim_due(now, limit)
    if not due:
        return counts
    # The HTTP requests run side by side, handed to the pool one operator after another (a slow
    # receiver delays nobody else's events); the results are written here, in this thread and its
    # database connection.
    with ThreadPoolExecutor(
        max_workers=min(DELIVERY_CONCURRENCY, len(due)), thread_name_prefix="webhook"
    ) as pool:
        futures = {pool.submit(_send, delivery, post): delivery for delivery in due}
        for future in as_completed(futures):
            result, duration = future.result()
            counts["attempted"] += 1
            if _record(futures[future], now, result, duration):
                counts["delivered"] += 1
            else:
                counts["failed"] += 1
    return counts


def pending_count(operator_id: int) -> int:
    return WebhookDelivery.objects.filter(
        Q(operator_id=operator_id) & Q(state=WebhookDelivery.State.PENDING)
    ).count()


def cursor_restart(*, operator_id: int) -> None:
    """A webhook URL was registered where none was (aeo's registry, extension point
    "aeo.webhook_registered"): deliveries start with the events after this moment; older ones
    remain available from `GET /api/v1/events`."""
    latest = (
        StatusEvent.objects.filter(operator_id=operator_id)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    ) or 0
    WebhookCursor.objects.update_or_create(
        operator_id=operator_id,
        defaults={"last_event_pk": latest, "start_event_pk": latest, "updated_at": timezone.now()},
    )


def operator_deliveries(*, operator: Operator, limit: int = 20) -> list[WebhookDelivery]:
    deliveries = list(WebhookDelivery.objects.filter(operator=operator).order_by("-id")[:limit])
    attempts: dict[int, list[WebhookAttempt]] = {}
    for attempt in WebhookAttempt.objects.filter(delivery__in=deliveries).order_by("number"):
        attempts.setdefault(attempt.delivery_id, []).append(attempt)
    for d in deliveries:
        d.attempt_list = attempts.get(d.pk, [])
    return deliveries
