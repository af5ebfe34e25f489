"""The audit trail: one append-only event per officer action, rule change or configuration
change (who, when, before, after, why)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from .models import AuditEvent


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


def operator_actor(code: str) -> SimpleNamespace:
    """The actor of an operator's own action through its API key (no customs user involved),
    audited under one label whatever the action: ``operator <code> (API)``."""
    return SimpleNamespace(username=operator_label(code), pk=None)


def operator_label(code: str) -> str:
    return f"operator {code} (API)"


def operator_labels(code: str) -> tuple[str, ...]:
    """Every label an operator's own actions were recorded under: ``operator_label`` and, in
    rows written before invalidations, returns, amendments and document uploads took that label,
    ``operator:<code>``."""
    return (operator_label(code), f"operator:{code}")
