"""Changes made on the admin pages to people and access are audited (who, when, before, after),
and records that are evidence or come from an audited load cannot be deleted there."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from customs_ecom.platform.models import AuditEvent

pytestmark = pytest.mark.django_db


def admin_user(customs_user):
    """The administrator, with access to the admin pages."""
    administrator = customs_user("administrator")
    administrator.is_staff = administrator.is_superuser = True
    administrator.save()
    return administrator


def test_giving_an_officer_the_supervisor_role_is_audited(client, customs_user):
    administrator = admin_user(customs_user)
    officer = customs_user("officer")
    client.force_login(administrator)
    supervisor = Group.objects.get(name="supervisor")
    answer = client.post(
        reverse("admin:auth_user_change", args=[officer.pk]),
        {
            "username": officer.username,
            "is_active": "on",
            "groups": [str(g.pk) for g in officer.groups.all()] + [str(supervisor.pk)],
            "date_joined_0": "2026-11-01",
            "date_joined_1": "09:00:00",
        },
    )
    assert answer.status_code == 302, answer.content[:2000]
    event = AuditEvent.objects.get(action="user.change", object_id=str(officer.pk))
    assert event.actor == administrator
    assert event.before["roles"] == ["officer"]
    assert event.after["roles"] == ["officer", "supervisor"]


def test_a_lifted_login_lockout_is_audited_with_who_lifted_it(client, customs_user):
    from axes.models import AccessAttempt

    administrator = admin_user(customs_user)
    attempt = AccessAttempt.objects.create(
        username="officer",
        ip_address="192.0.2.7",
        failures_since_start=9,
        get_data="",
        post_data="",
    )
    client.force_login(administrator)
    answer = client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": [str(attempt.pk)], "post": "yes"},
    )
    assert answer.status_code == 302
    event = AuditEvent.objects.get(action="login_lockout.lift")
    assert event.actor == administrator and event.before["username"] == "officer"


def test_exchange_rates_and_manifests_cannot_be_deleted_on_the_admin_pages(client, customs_user):
    from declarations.admin import ExchangeRateAdmin, ManifestAdmin

    administrator = admin_user(customs_user)
    client.force_login(administrator)
    request = client.get(reverse("admin:index")).wsgi_request
    for model_admin in (ExchangeRateAdmin, ManifestAdmin):
        assert model_admin.has_delete_permission(None, request) is False


def test_login_records_cannot_be_deleted_and_no_page_issues_keys_that_do_nothing(
    client, customs_user
):
    from axes.models import AccessFailureLog, AccessLog
    from django.contrib import admin
    from rest_framework_api_key.models import APIKey

    administrator = admin_user(customs_user)
    log = AccessLog.objects.create(username="officer", ip_address="192.0.2.7")
    client.force_login(administrator)
    answer = client.post(
        reverse("admin:axes_accesslog_changelist"),
        {"action": "delete_selected", "_selected_action": [str(log.pk)], "post": "yes"},
    )
    assert answer.status_code in (200, 302, 403)
    assert AccessLog.objects.filter(pk=log.pk).exists()
    request = client.get(reverse("admin:index")).wsgi_request
    for model in (AccessLog, AccessFailureLog):
        model_admin = admin.site._registry[model]
        assert model_admin.has_delete_permission(request) is False
        assert model_admin.has_change_permission(request) is False
    # Operators' keys are issued on the audited access page; the library's own page is gone.
    assert not admin.site.is_registered(APIKey)
    assert client.get("/admin/rest_framework_api_key/apikey/add/").status_code == 404


def test_a_password_set_on_the_admin_pages_is_audited_without_the_secret(client, customs_user):
    administrator = admin_user(customs_user)
    officer = customs_user("officer")
    client.force_login(administrator)
    secret = "A-long-new-passphrase-2026"
    answer = client.post(
        reverse("admin:auth_user_password_change", args=[officer.pk]),
        {"password1": secret, "password2": secret, "usable_password": "true"},
    )
    assert answer.status_code == 302, answer.content[:1500]
    event = AuditEvent.objects.get(action="user.password_change", object_id=str(officer.pk))
    assert event.actor == administrator and secret not in str(event.after)
