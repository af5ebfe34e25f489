"""Operator authentication for the REST API: `Authorization: Bearer <api key>`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions, permissions, throttling

from .models import Operator, OperatorAPIKey

# Writing last_used_at on every call would make every read a write; a minute's resolution is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class OperatorKeyAuthentication(authentication.BaseAuthentication):
    """Resolves the bearer key to its operator; `request.user` is the Operator."""

    keyword = "Bearer"

    def authenticate(self, request):
        from customs_ecom.platform.edges import (
            api_key_checked_count,
            api_key_failure,
            api_key_locked_here,
        )

        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        # Failed keys are throttled per client address (docs/api.md, Authentication): an address
        # over the limit is refused (429) at its next unknown key, and from then on without a
        # lookup by this process; a valid key from it is refused too (checked with the count).
        api_key_locked_here(request)
        scheme, _, key = header.partition(" ")
        if scheme.lower() != self.keyword.lower() or not key.strip():
            api_key_failure(request)
            raise exceptions.AuthenticationFailed("Use 'Authorization: Bearer <api key>'.")
        try:
            key_obj = OperatorAPIKey.objects.get_from_key(key.strip())
        except OperatorAPIKey.DoesNotExist:
            api_key_failure(request)
            raise exceptions.AuthenticationFailed("Unknown or revoked API key.") from None
        if key_obj.has_expired or not key_obj.operator.is_active:
            api_key_failure(request)
            raise exceptions.AuthenticationFailed("Expired API key or inactive operator.")
        window = OperatorRateThrottle.window_of(key_obj.operator)
        if window is not None:
            # The address's lockout and the operator's request count: one cache round trip.
            count = api_key_checked_count(request, window.key, window.duration + 1)
            getattr(request, "_request", request).operator_window_count = (window, count)
        now = timezone.now()
        if key_obj.last_used_at is None or now - key_obj.last_used_at > LAST_USED_RESOLUTION:
            OperatorAPIKey.objects.filter(pk=key_obj.pk).update(last_used_at=now)
        return key_obj.operator, key_obj

    def authenticate_header(self, request) -> str:
        return self.keyword


class IsOperator(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.user, Operator)


@dataclass(frozen=True)
class Window:
    key: str
    num_requests: int
    duration: int
    reset: int


class OperatorRateThrottle(throttling.SimpleRateThrottle):
    """Per-operator throttle; an operator's own `throttle_rate` overrides the platform default.

    A fixed-window counter: one atomic increment in the cache per request, whatever the rate.
    (DRF's sliding window keeps every request's timestamp of the window in one cache entry, read
    and rewritten on each call: at thousands of requests a minute that list costs more than the
    request.) A client may so send up to twice its rate across the boundary of two windows; the
    RateLimit-* headers and Retry-After give the end of the current window.
    """

    scope = "operator"

    @classmethod
    def window_of(cls, operator: Operator) -> Window | None:
        """The operator's current window: its counter's key, its rate and its end."""
        throttle = cls()
        if operator.throttle_rate:
            throttle.rate = operator.throttle_rate
            throttle.num_requests, throttle.duration = throttle.parse_rate(throttle.rate)
        if throttle.rate is None:
            return None
        now = throttle.timer()
        window = int(now // throttle.duration)
        return Window(
            key=f"throttle_operator_{operator.pk}_{throttle.duration}_{window}",
            num_requests=throttle.num_requests,
            duration=throttle.duration,
            reset=max(1, int((window + 1) * throttle.duration - now)),
        )

    def allow_request(self, request, view):
        operator = request.user if isinstance(request.user, Operator) else None
        if operator is None:
            return True
        from customs_ecom.platform.edges import count_in_window, note_rate_limit

        # Authentication found the window and counted the request with its lockout check;
        # otherwise (another authentication) find and count it here.
        counted = getattr(getattr(request, "_request", request), "operator_window_count", None)
        if counted is not None:
            window, count = counted
        else:
            window = self.window_of(operator)
            if window is None:
                return True
            count = count_in_window(window.key, window.duration + 1)
        self.num_requests, self.duration, self.reset = (
            window.num_requests,
            window.duration,
            window.reset,
        )
        note_rate_limit(
            request, window.num_requests, max(0, window.num_requests - count), window.reset
        )
        return count <= window.num_requests

    def wait(self):
        return getattr(self, "reset", self.duration)


try:
    from drf_spectacular.extensions import OpenApiAuthenticationExtension

    class OperatorKeyAuthenticationScheme(OpenApiAuthenticationExtension):
        """Documents the operator key as an HTTP bearer scheme in the OpenAPI document."""

        target_class = "aeo.authentication.OperatorKeyAuthentication"
        name = "operatorApiKey"

        def get_security_definition(self, auto_schema):
            return {
                "type": "http",
                "scheme": "bearer",
                "description": "An operator API key: `Authorization: Bearer <prefix>.<secret>`.",
            }
except ImportError:  # pragma: no cover - drf-spectacular is a hard dependency
    pass
