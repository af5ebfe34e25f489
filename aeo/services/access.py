"""Operator access to the API: keys, the throttle rate, the webhook and its secret."""

from __future__ import annotations

import re
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework.throttling import SimpleRateThrottle

from customs_ecom.platform import extensions, outbound
from customs_ecom.platform.audit import audit_record

from ..models import Operator, OperatorAPIKey
from .registry import RegistryError


@transaction.atomic
def api_key_create(
    *,
    operator: Operator,
    name: str = "default",
    actor: Any = None,
    keys_seen: int | None = None,
    reason: str = "",
) -> tuple[OperatorAPIKey, str]:
    """Create a key; the clear key is returned once and never stored. `keys_seen` (the access
    page) is how many keys the operator had on the page the administrator read: a key created
    since (the same form sent twice, or the page reloaded after a creation) is refused, so no key
    is issued that nobody was shown."""
    if keys_seen is not None:
        Operator.objects.select_for_update().filter(pk=operator.pk).first()
        if keys_seen != api_key_count(operator):
            raise RegistryError(
                _(
                    "A key was created since you opened the page (perhaps this one): it is in "
                    "the list. Create another only if it is needed."
                ),
                field="name",
            )
    key_obj, key = OperatorAPIKey.objects.create_key(operator=operator, name=name[:50])
    audit_record(
        actor=actor,
        action="api_key.create",
        object_type="operator",
        object_id=operator.pk,
        before=None,
        after={"prefix": key_obj.prefix, "name": key_obj.name, "revoked": False},
        reason=reason.strip(),
    )
    return key_obj, key


def api_key_count(operator: Operator) -> int:
    """How many keys the operator has had (revoked ones included: keys are never deleted)."""
    return OperatorAPIKey.objects.filter(operator=operator).count()


@transaction.atomic
def api_key_revoke(*, key_obj: OperatorAPIKey, actor: Any = None, reason: str = "") -> None:
    if key_obj.revoked:
        return
    key_obj.revoked = True
    key_obj.save(update_fields=["revoked"])
    audit_record(
        actor=actor,
        action="api_key.revoke",
        object_type="operator",
        object_id=key_obj.operator_id,
        before={"prefix": key_obj.prefix, "revoked": False},
        after={"prefix": key_obj.prefix, "revoked": True},
        reason=reason.strip()[:300],
    )


def parse_throttle_rate(rate: str) -> str:
    """`600/min`-style rates as DRF reads them; empty means the platform default."""
    rate = rate.strip()
    if not rate:
        return ""
    try:
        count, _duration = SimpleRateThrottle.parse_rate(SimpleRateThrottle, rate)
        period = rate.split("/", 1)[1]
    except (ValueError, IndexError, KeyError, AttributeError):
        raise RegistryError(
            _("Write a rate as <requests>/<sec|min|hour|day>, e.g. 600/min."), field="throttle_rate"
        ) from None
    if count is None or count < 1 or period[:1] not in ("s", "m", "h", "d"):
        raise RegistryError(
            _("Write a rate as <requests>/<sec|min|hour|day>, e.g. 600/min."), field="throttle_rate"
        )
    return rate


@transaction.atomic
def operator_set_throttle(
    *, operator_id: int, throttle_rate: str, actor: Any, reason: str = ""
) -> Operator:
    rate = parse_throttle_rate(throttle_rate)
    operator = Operator.objects.select_for_update().get(pk=operator_id)
    if operator.throttle_rate == rate:
        return operator
    before = {"throttle_rate": operator.throttle_rate}
    operator.throttle_rate = rate
    operator.save(update_fields=["throttle_rate"])
    audit_record(
        actor=actor,
        action="operator.throttle",
        object_type="operator",
        object_id=operator.pk,
        before=before,
        after={"throttle_rate": rate},
        reason=reason,
    )
    return operator


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


@transaction.atomic
def operator_set_webhook(
    *, operator_id: int, url: str, secret: str | None, actor: Any, reason: str = ""
) -> Operator:
    """Register (or clear, with an empty URL) the operator's webhook. A URL needs a secret: given,
    kept from before, or generated. Deliveries start with the events after registration (a change
    of URL continues the subscription); older ones remain available from `GET /api/v1/events`. The secret itself never enters the audit.

    A new secret replacing one in use leaves the old one as the previous secret for
    `settings.WEBHOOK_SECRET_GRACE`: deliveries are signed with both meanwhile. A webhook disabled
    because its receiver answered 410 Gone is enabled again by registering it, with the same URL
    or another; the deliveries held meanwhile resume."""
    operator = Operator.objects.select_for_update().get(pk=operator_id)
    url = url.strip()
    problem = outbound.webhook_url_problem(url) if url else None
    if problem is not None:
        # Public HTTPS endpoints only: never the server's own network (customs_ecom.platform.outbound).
        raise RegistryError(gettext(problem), field="webhook_url")
    new_secret = (secret or "").strip() or operator.webhook_secret or new_webhook_secret()
    if url and len(new_secret) < 16:
        raise RegistryError(_("Use a secret of at least 16 characters."), field="webhook_secret")
    disabled = operator.webhook_disabled_at is not None
    before: dict[str, Any] = {
        "webhook_url": operator.webhook_url,
        "secret_set": bool(operator.webhook_secret),
    }
    if disabled:
        before["webhook_disabled"] = True
    secret_changed = new_secret != operator.webhook_secret
    if not url:
        new_secret = ""
    if url == operator.webhook_url and new_secret == operator.webhook_secret and not disabled:
        # The same registration sent again (a form saved twice, an API retry): nothing changes,
        # nothing is written or audited.
        return operator
    if url and not operator.webhook_url:
        # A new subscription: the outbox (declarations) starts after the events that exist now,
        # in this transaction. A changed URL carries on where the subscription was: the events
        # not collected yet are delivered to the new URL like those already waiting.
        extensions.call("aeo.webhook_registered", operator_id=operator.pk)
    if url and operator.webhook_secret and new_secret != operator.webhook_secret:
        # A rotation: receivers still holding the old secret keep verifying for a grace period.
        operator.webhook_previous_secret = operator.webhook_secret
        operator.webhook_previous_secret_until = timezone.now() + settings.WEBHOOK_SECRET_GRACE
    elif not url:
        operator.webhook_previous_secret = ""
        operator.webhook_previous_secret_until = None
    operator.webhook_url = url
    operator.webhook_secret = new_secret
    operator.webhook_disabled_at = None
    operator.webhook_disabled_reason = ""
    operator.save(
        update_fields=[
            "webhook_url",
            "webhook_secret",
            "webhook_previous_secret",
            "webhook_previous_secret_until",
            "webhook_disabled_at",
            "webhook_disabled_reason",
        ]
    )
    after: dict[str, Any] = {
        "webhook_url": url,
        "secret_set": bool(new_secret),
        "secret_changed": secret_changed,
    }
    if disabled:
        after["webhook_disabled"] = False
    audit_record(
        actor=actor,
        action="operator.webhook",
        object_type="operator",
        object_id=operator.pk,
        before=before,
        after=after,
        reason=reason,
    )
    return operator


# Why the system disabled a webhook, stored in English (the record); shown in the reader's language
# by ``webhook_disabled_reason``.
WEBHOOK_GONE_REASON = "receiver answered HTTP %(status)s Gone"
_WEBHOOK_GONE = re.compile(r"receiver answered HTTP (\d{3}) Gone")


def webhook_disabled_reason(stored: str) -> str:
    """A webhook's stored ``webhook_disabled_reason`` in the active language (Accept-Language on
    the API): the system's own reason translated, anything else as stored."""
    found = _WEBHOOK_GONE.fullmatch(stored or "")
    if found is None:
        return stored
    return gettext(WEBHOOK_GONE_REASON) % {"status": found[1]}


def webhook_disable_gone(*, operator_id: int, url: str, status_code: int, at: Any) -> bool:
    """The receiver at `url` answered `status_code` (410 Gone): the operator's webhook is disabled,
    audited as a system action. Nothing happens if the URL was changed meanwhile (the answer came
    from an endpoint the operator no longer uses) or the webhook is already disabled. Call inside
    a transaction."""
    operator = Operator.objects.select_for_update().get(pk=operator_id)
    if operator.webhook_url != url or not url or operator.webhook_disabled_at is not None:
        return False
    reason = WEBHOOK_GONE_REASON % {"status": status_code}
    operator.webhook_disabled_at = at
    operator.webhook_disabled_reason = reason
    operator.save(update_fields=["webhook_disabled_at", "webhook_disabled_reason"])
    audit_record(
        actor=None,
        action="operator.webhook_disabled",
        object_type="operator",
        object_id=operator.pk,
        before={"webhook_url": url, "webhook_disabled": False},
        after={"webhook_url": url, "webhook_disabled": True, "webhook_disabled_reason": reason},
        reason=reason,
    )
    return True
