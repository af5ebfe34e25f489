"""Writes for the AEO registry: operators, API keys, the audit trail."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from .models import AuditEvent, Operator, OperatorAPIKey


def audit_record(
    *,
    actor: Any | None,
    action: str,
    object_type: str,
    object_id: Any,
    before: Any = None,
    after: Any = None,
    reason: str = "",
) -> AuditEvent:
    """Append one audit event. Call inside the same transaction as the change it records."""
    label = ""
    if actor is not None:
        label = getattr(actor, "username", "") or str(actor)
    return AuditEvent.objects.create(
        actor=actor if actor is not None and getattr(actor, "pk", None) else None,
        actor_label=label or "system",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=before,
        after=after,
        reason=reason,
    )


@transaction.atomic
def operator_create(
    *, code: str, name: str, role: str, country: str = "", actor: Any = None
) -> Operator:
    operator = Operator.objects.create(code=code, name=name, role=role, country=country)
    audit_record(
        actor=actor,
        action="operator.create",
        object_type="operator",
        object_id=operator.pk,
        after={"code": code, "name": name, "role": role, "country": country},
    )
    return operator


@transaction.atomic
def api_key_create(
    *, operator: Operator, name: str = "default", actor: Any = None
) -> tuple[OperatorAPIKey, str]:
    """Create a key; the clear key is returned once and never stored."""
    key_obj, key = OperatorAPIKey.objects.create_key(operator=operator, name=name[:50])
    audit_record(
        actor=actor,
        action="api_key.create",
        object_type="operator",
        object_id=operator.pk,
        after={"prefix": key_obj.prefix, "name": key_obj.name},
    )
    return key_obj, key


@transaction.atomic
def api_key_revoke(*, key_obj: OperatorAPIKey, actor: Any = None) -> None:
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
    )
