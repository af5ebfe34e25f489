"""Integrator conventions at the edge of every request (docs/api.md, "Conventions").

- ``RequestIdMiddleware``: every answer carries ``X-Request-ID`` (the client's, if it sent a
  valid one, else a new one); log lines written while serving the request carry it too, and
  every API request is logged with its method, path, status and duration.
- ``client_address``: the client's address, read from ``X-Forwarded-For`` only when the
  connection comes from a proxy listed in ``TRUSTED_PROXIES`` (else anyone could pick the
  address a throttle counts against).
- ``RateLimitHeaders``: throttles record their window and the middleware writes
  ``RateLimit-Limit``, ``RateLimit-Remaining`` and ``RateLimit-Reset``.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import time
import uuid
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.core.cache import cache
from rest_framework import exceptions, throttling

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
logger = logging.getLogger("customs_ecom.requests")


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every log record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class RequestIdMiddleware:
    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        sent = request.headers.get("X-Request-ID", "")
        request_id = sent if _REQUEST_ID.match(sent) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            if request.path.startswith("/api/"):
                logger.info(
                    "%s %s %s %.1fms",
                    request.method,
                    request.path,
                    response.status_code,
                    (time.perf_counter() - started) * 1000,
                )
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        window = getattr(request, "rate_limit", None)
        if window is not None:
            limit, remaining, reset = window
            response["RateLimit-Limit"] = str(limit)
            response["RateLimit-Remaining"] = str(remaining)
            response["RateLimit-Reset"] = str(reset)
        return response


def _trusted(address: str) -> bool:
    networks = getattr(settings, "TRUSTED_PROXIES", ())
    if not networks or not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(network, strict=False) for network in networks)


def client_address(request: Any) -> str:
    """The address of the client: the connection's peer, or, when that peer is a trusted proxy,
    the last address in ``X-Forwarded-For`` that is not itself a trusted proxy."""
    meta = getattr(request, "META", {})
    peer = meta.get("REMOTE_ADDR", "") or ""
    if not _trusted(peer):
        return peer
    forwarded = [part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for candidate in reversed([part for part in forwarded if part]):
        try:
            ipaddress.ip_address(candidate)
        except ValueError:
            return peer
        if not _trusted(candidate):
            return candidate
    return peer


def record_rate_limit(request: Any, throttle: Any) -> None:
    """After a SimpleRateThrottle decided, note its window for the RateLimit-* headers."""
    history = getattr(throttle, "history", None)
    if history is None or not getattr(throttle, "num_requests", None):
        return
    now = getattr(throttle, "now", time.time())
    remaining = max(0, throttle.num_requests - len(history))
    reset = int(throttle.duration - (now - history[-1])) if history else int(throttle.duration)
    note_rate_limit(request, throttle.num_requests, remaining, max(0, reset))


def note_rate_limit(request: Any, limit: int, remaining: int, reset: int) -> None:
    """Note the throttle window of this request for the RateLimit-* headers."""
    target = getattr(request, "_request", request)
    target.rate_limit = (limit, remaining, reset)


class AddressRateThrottle(throttling.ScopedRateThrottle):
    """A scoped throttle per client address (``client_address``), with RateLimit-* headers."""

    def get_ident(self, request: Any) -> str:
        return client_address(request)

    def allow_request(self, request: Any, view: Any) -> bool:
        allowed = super().allow_request(request, view)
        record_rate_limit(request, self)
        return allowed


def _failure_key(request: Any) -> str:
    return f"api_key_failures:{client_address(request)}"


# Addresses this process saw go over the limit, with the end of their lockout (monotonic clock):
# a locked-out address's next unknown keys are refused here without a lookup or a cache call.
_locked_here: dict[str, float] = {}
_LOCKED_HERE_MAX = 10_000


def api_key_locked_here(request: Any) -> None:
    """Refuse (429), without asking the cache, an address this process saw go over the limit of
    unknown keys and whose lockout has not ended: guessing keys costs a lookup each and must not
    be free. Every other process learns it at that address's next failure."""
    if not _locked_here:
        return
    address = client_address(request)
    until = _locked_here.get(address)
    if until is None:
        return
    if time.monotonic() < until:
        _refuse_locked(request)
    _locked_here.pop(address, None)


def _refuse_locked(request: Any) -> None:
    raise exceptions.Throttled(wait=getattr(settings, "API_KEY_FAILURE_WINDOW", 300))


def api_key_failure(request: Any) -> None:
    """Count one failed API key from the request's address (the window restarts with each) and
    refuse (429) the address once it is over the limit, here and in this process's memory."""
    key = _failure_key(request)
    window = getattr(settings, "API_KEY_FAILURE_WINDOW", 300)
    if cache.add(key, 1, window):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, window)
            count = 1
        cache.touch(key, window)
    if count > getattr(settings, "API_KEY_MAX_FAILURES", 20):
        if len(_locked_here) >= _LOCKED_HERE_MAX:
            _locked_here.clear()
        _locked_here[client_address(request)] = time.monotonic() + window
        _refuse_locked(request)


def api_key_checked_count(request: Any, count_key: str, ttl: int) -> int:
    """For a request whose API key is valid: refuse (429) its address if it is locked out for
    unknown keys, and add one to the counter ``count_key`` (created with ``ttl`` seconds to live),
    returning it. One cache round trip where the cache can (``get_and_count``), two elsewhere."""
    limit = getattr(settings, "API_KEY_MAX_FAILURES", 20)
    combined = getattr(cache, "get_and_count", None)
    if combined is not None:
        failures, count = combined(_failure_key(request), count_key, ttl)
    else:
        failures, count = cache.get(_failure_key(request), 0), count_in_window(count_key, ttl)
    if (failures or 0) >= limit:
        _refuse_locked(request)
    return count


def count_in_window(key: str, ttl: int) -> int:
    """Add one to a window's counter and return it (a cache that is down counts 1: fail open)."""
    try:
        return cache.incr(key)
    except ValueError:  # the window's first request
        if cache.add(key, 1, ttl):
            return 1
        try:
            return cache.incr(key)
        except ValueError:  # expired in between
            return 1
