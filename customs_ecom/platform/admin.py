"""The admin pages' changes to people and access are audited like every other configuration change
(who, when, before, after): user accounts (active, staff, superuser, roles, permissions), role
groups, and lifted login lockouts (django-axes). Django's own admin log keeps only a sentence."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.db import transaction

from .audit import audit_record


def _user_facts(user: Any) -> dict[str, Any] | None:
    if user is None or user.pk is None:
        return None
    return {
        "username": user.username,
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "roles": sorted(user.groups.values_list("name", flat=True)),
        "permissions": sorted(user.user_permissions.values_list("codename", flat=True)),
    }


def _group_facts(group: Any) -> dict[str, Any] | None:
    if group is None or group.pk is None:
        return None
    return {
        "name": group.name,
        "permissions": sorted(group.permissions.values_list("codename", flat=True)),
    }


class _Audited:
    """Records the facts of the object before the form saves and after its relations are saved."""

    facts = staticmethod(lambda obj: None)
    object_type = ""

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        before = self.facts(type(obj).objects.filter(pk=obj.pk).first()) if change else None
        request._audit_before = before
        super().save_model(request, obj, form, change)  # type: ignore[misc]

    def save_related(self, request, form, formsets, change):  # type: ignore[no-untyped-def]
        super().save_related(request, form, formsets, change)  # type: ignore[misc]
        obj = form.instance
        before = getattr(request, "_audit_before", None)
        after = self.facts(obj)
        if before != after:
            audit_record(
                actor=request.user,
                action=f"{self.object_type}.{'change' if change else 'add'}",
                object_type=self.object_type,
                object_id=obj.pk,
                before=before,
                after=after,
                reason="admin pages",
            )

    def delete_model(self, request, obj):  # type: ignore[no-untyped-def]
        before = self.facts(obj)
        pk = obj.pk
        super().delete_model(request, obj)  # type: ignore[misc]
        audit_record(
            actor=request.user,
            action=f"{self.object_type}.delete",
            object_type=self.object_type,
            object_id=pk,
            before=before,
            after=None,
            reason="admin pages",
        )

    def delete_queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        for obj in list(queryset):
            self.delete_model(request, obj)


class AuditedUserAdmin(_Audited, UserAdmin):
    facts = staticmethod(_user_facts)
    object_type = "user"

    def user_change_password(self, request, id, form_url=""):  # type: ignore[no-untyped-def]
        # The password page saves its own form, past save_model: audited here (never the secret),
        # in the transaction of the change.
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                _password_changed(request.user, id, "admin pages")
        return response


def _password_changed(actor: Any, user_id: Any, reason: str) -> None:
    audit_record(
        actor=actor,
        action="user.password_change",
        object_type="user",
        object_id=user_id,
        before=None,
        after={"password": "changed"},
        reason=reason,
    )


def _audit_own_password_change(site: admin.AdminSite) -> None:
    """The admin pages' "change password" link (a staff user's own password) is audited like a
    password an administrator sets for someone else."""
    view = site.password_change

    def password_change(request, extra_context=None):  # type: ignore[no-untyped-def]
        with transaction.atomic():
            response = view(request, extra_context)
            if request.method == "POST" and response.status_code == 302:
                _password_changed(request.user, request.user.pk, "own password, admin pages")
        return response

    site.password_change = password_change  # type: ignore[method-assign]


class AuditedGroupAdmin(_Audited, GroupAdmin):
    facts = staticmethod(_group_facts)
    object_type = "group"


User = get_user_model()
for model, model_admin in ((User, AuditedUserAdmin), (Group, AuditedGroupAdmin)):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
_audit_own_password_change(admin.site)


# Who is deleting lockout records through the admin pages (None: a command such as axes_reset).
_lockout_actor: ContextVar[Any] = ContextVar("lockout_actor", default=None)


def _lockout_lifted(sender: Any, instance: Any, **kwargs: Any) -> None:
    # Deleting a lockout record (admin pages or `axes_reset`) lets the account try again.
    audit_record(
        actor=_lockout_actor.get(),
        action="login_lockout.lift",
        object_type="login_lockout",
        object_id=instance.pk,
        before={
            "username": getattr(instance, "username", ""),
            "ip_address": getattr(instance, "ip_address", ""),
            "failures": getattr(instance, "failures_since_start", None),
        },
        after=None,
        reason="lockout record deleted",
    )


def register_lockout_admin() -> None:
    """Put lifted lockouts under audit (any deletion; the admin pages name who); run from
    `PlatformConfig.ready`, once every app's admin module (axes' is discovered after this one)
    has registered its models."""
    from django.db.models.signals import post_delete

    try:
        from axes.models import AccessAttempt
    except ImportError:  # axes not installed
        return
    post_delete.connect(_lockout_lifted, sender=AccessAttempt, dispatch_uid="audit-lockout-lift")
    if not admin.site.is_registered(AccessAttempt):
        return
    base = type(admin.site._registry[AccessAttempt])

    class AuditedAccessAttemptAdmin(base):  # type: ignore[valid-type, misc]
        def delete_model(self, request, obj):  # type: ignore[no-untyped-def]
            token = _lockout_actor.set(request.user)
            try:
                super().delete_model(request, obj)
            finally:
                _lockout_actor.reset(token)

        def delete_queryset(self, request, queryset):  # type: ignore[no-untyped-def]
            token = _lockout_actor.set(request.user)
            try:
                for obj in list(queryset):
                    obj.delete()  # one post_delete, so one audit record, per lockout
            finally:
                _lockout_actor.reset(token)

    admin.site.unregister(AccessAttempt)
    admin.site.register(AccessAttempt, AuditedAccessAttemptAdmin)
    _login_records_read_only()
    _unregister_unused_key_admin()


def _login_records_read_only() -> None:
    """The logs of logins and failed logins are evidence: the admin pages show them and change
    or delete none (housekeeping of old rows is axes' own command, run by the operator of the
    installation)."""
    from axes.models import AccessFailureLog, AccessLog

    for model in (AccessLog, AccessFailureLog):
        if not admin.site.is_registered(model):
            continue
        base = type(admin.site._registry[model])
        read_only = type(
            f"ReadOnly{base.__name__}",
            (base,),
            {
                "has_add_permission": lambda self, request, obj=None: False,
                "has_change_permission": lambda self, request, obj=None: False,
                "has_delete_permission": lambda self, request, obj=None: False,
            },
        )
        admin.site.unregister(model)
        admin.site.register(model, read_only)


def _unregister_unused_key_admin() -> None:
    """The API-key library's own admin page would issue keys that authenticate nothing (operators'
    keys are ``aeo.OperatorAPIKey``, issued and revoked on the audited access page): no such page."""
    try:
        from rest_framework_api_key.models import APIKey
    except ImportError:
        return
    if admin.site.is_registered(APIKey):
        admin.site.unregister(APIKey)
