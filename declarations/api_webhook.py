"""Operators register, change, clear and rotate their webhook endpoint through the API
(docs/api.md, Webhooks). The same audited service as the registry page; the secret is shown
once, when generated, and never enters the audit."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Annotated, Any, Literal

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from pydantic import BaseModel, Field, StrictBool, StrictStr
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from aeo.services.access import (
    new_webhook_secret,
    operator_set_webhook,
    webhook_disabled_reason,
)
from aeo.services.registry import RegistryError
from customs_ecom.platform.api_support import read_json_body, with_idempotency
from customs_ecom.platform.audit import operator_actor
from customs_ecom.platform.problems import ProblemError

from .api_models import StrictBody

_URL_PATTERN = r"^(https?://[^\s\x00-\x1f\x7f]+)?$"


class WebhookIn(StrictBody):
    """The endpoint to POST events to (empty: stop deliveries); a new secret if `rotate_secret`.
    JSON types as published, as in every other body: `rotate_secret` is `true` or `false`, never
    a string or a number read as one (`"no"`, `"off"`, `0`)."""

    url: Annotated[StrictStr, Field(max_length=200, pattern=_URL_PATTERN)]
    rotate_secret: StrictBool = False


class WebhookOut(BaseModel):
    url: str
    secret_set: bool
    secret: str | None = Field(
        default=None,
        description="The new secret, shown this once (after a rotation or a first "
        "registration); null otherwise.",
    )
    status: Literal["active", "disabled", "none"] = Field(
        description="`active`: events are delivered; `disabled`: the receiver answered 410 Gone, "
        "nothing is sent until the webhook is registered again (POST it, with the same URL or "
        "another); `none`: no webhook registered."
    )
    disabled_at: str | None = Field(
        default=None, description="When the webhook was disabled (ISO 8601); null otherwise."
    )
    disabled_reason: str | None = Field(
        default=None,
        description="Why the webhook was disabled, in the request's language (English unless "
        "Accept-Language asks for French); null otherwise.",
    )
    previous_secret_valid_until: str | None = Field(
        default=None,
        description="After a rotation: until when deliveries also carry a signature made with "
        "the previous secret (ISO 8601); null otherwise.",
    )


def webhook_representation(operator: Any, secret: str | None = None) -> dict[str, Any]:
    """What `GET` and `POST /api/v1/webhook` answer about the operator's webhook."""
    disabled_at = operator.webhook_disabled_at
    until = operator.webhook_previous_secret_until
    grace = bool(operator.webhook_previous_secret) and until is not None and until > timezone.now()
    if not operator.webhook_url:
        status = "none"
    else:
        status = "disabled" if disabled_at is not None else "active"
    return {
        "url": operator.webhook_url,
        "secret_set": bool(operator.webhook_secret),
        "secret": secret,
        "status": status,
        "disabled_at": disabled_at.isoformat() if disabled_at else None,
        "disabled_reason": (webhook_disabled_reason(operator.webhook_disabled_reason) or None)
        if disabled_at
        else None,
        "previous_secret_valid_until": until.isoformat() if grace else None,
    }


def _actor(operator: Any) -> SimpleNamespace:
    # Audited as the operator acting through its API key (no customs user involved).
    return operator_actor(operator.code)


class WebhookApi(APIView):
    @extend_schema(
        operation_id="webhook_retrieve",
        responses={200: WebhookOut},
        summary="The operator's webhook endpoint (the secret is never shown again)",
    )
    def get(self, request: Request) -> Response:
        return Response(webhook_representation(request.user))

    @extend_schema(
        operation_id="webhook_set",
        request=WebhookIn,
        responses={200: WebhookOut},
        summary="Register, change or clear the webhook endpoint; rotate its secret; enable it again",
    )
    def post(self, request: Request) -> Response:
        body = read_json_body(request, max_bytes=16 * 1024)
        parsed = WebhookIn.parse_or_problem(body)
        operator = request.user

        def produce() -> Response:
            had_secret = bool(operator.webhook_secret)
            secret = new_webhook_secret() if parsed.rotate_secret or not had_secret else None
            try:
                updated = operator_set_webhook(
                    operator_id=operator.pk,
                    url=parsed.url,
                    secret=secret,
                    actor=_actor(operator),
                    reason="set through the API",
                )
            except RegistryError as exc:
                raise ProblemError(
                    422,
                    "request-invalid",
                    "Request failed validation",
                    errors=[{"pointer": "/url", "code": "invalid", "detail": str(exc)}],
                ) from None
            shown = secret if updated.webhook_secret and secret == updated.webhook_secret else None
            return Response(webhook_representation(updated, shown))

        # The secret is shown once: a replay answers without it, and it is never stored.
        return with_idempotency(
            request, operator, body, produce, kept=lambda data: {**data, "secret": None}
        )
