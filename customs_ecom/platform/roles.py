"""Customs roles as Django groups; pages and actions check membership through these helpers."""

from __future__ import annotations

from typing import Any

OFFICER = "officer"
RISK_ANALYST = "risk_analyst"
SUPERVISOR = "supervisor"
ADMINISTRATOR = "administrator"
AUDITOR = "auditor"
ROLES = (OFFICER, RISK_ANALYST, SUPERVISOR, ADMINISTRATOR, AUDITOR)

# Which roles may do what. Supervisors and administrators may do what officers do.
CAN_ACT_ON_CONSIGNMENTS = {OFFICER, SUPERVISOR, ADMINISTRATOR}
CAN_VIEW_CONSIGNMENTS = CAN_ACT_ON_CONSIGNMENTS | {RISK_ANALYST, AUDITOR}
CAN_EDIT_RULES = {RISK_ANALYST, ADMINISTRATOR}
CAN_VIEW_DASHBOARD = set(ROLES)
CAN_CONFIGURE = {ADMINISTRATOR}


def ensure_role_groups() -> None:
    from django.contrib.auth.models import Group

    for name in ROLES:
        Group.objects.get_or_create(name=name)


def user_roles(user: Any) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_customs_roles", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            cached |= set(ROLES)
        user._customs_roles = cached
    return cached


def has_any_role(user: Any, roles: set[str]) -> bool:
    return bool(user_roles(user) & roles)
