"""Operator authentication for the REST API: `Authorization: Bearer <api key>`."""

from __future__ import annotations

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
        from customs_ecom.platform.edges import api_key_failure, api_key_failures_check

        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        # Failed keys are throttled per client address (docs/api.md, Authentication).
        api_key_failures_check(request)
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
        now = timezone.now()
        if key_obj.last_used_at is None or now - key_obj.last_used_at > LAST_USED_RESOLUTION:
            OperatorAPIKey.objects.filter(pk=key_obj.pk).update(last_used_at=now)
        return key_obj.operator, key_obj

    def authenticate_header(self, request) -> str:
        return self.keyword


class IsOperator(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.user, Operator)


class OperatorRateThrottle(throttling.SimpleRateThrottle):
    """Per-operator throttle; an operator's own `throttle_rate` overrides the platform default.

    A fixed-window counter: one atomic increment in the cache per request, whatever the rate.
    (DRF's sliding window keeps every request's timestamp of the window in one cache entry, read
    and rewritten on each call: at thousands of requests a minute that list costs more than the
    request.) A client may so send up to twice its rate across the boundary of two windows; the
    RateLimit-* headers and Retry-After give the end of the current window.
    """

    scope = "operator"

    def allow_request(self, request, view):
        operator = request.user if isinstance(request.user, Operator) else None
        if operator is None:
            return True
        if operator.throttle_rate:
            self.rate = operator.throttle_rate
            self.num_requests, self.duration = self.parse_rate(self.rate)
        if self.rate is None:
            return True
        from customs_ecom.platform.edges import note_rate_limit

        now = self.timer()
        window = int(now // self.duration)
        key = f"throttle_operator_{operator.pk}_{self.duration}_{window}"
        count = _count_request(self.cache, key, self.duration)
        self.reset = max(1, int((window + 1) * self.duration - now))
        note_rate_limit(request, self.num_requests, max(0, self.num_requests - count), self.reset)
        return count <= self.num_requests

    def wait(self):
        return getattr(self, "reset", self.duration)


def _count_request(cache, key: str, duration: int) -> int:
    """Add one to the window's counter and return it (a cache that is down counts 1: fail open)."""
    try:
        return cache.incr(key)
    except ValueError:  # the window's first request
        if cache.add(key, 1, duration + 1):
            return 1
        try:
            return cache.incr(key)
        except ValueError:  # expired in between
            return 1


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
