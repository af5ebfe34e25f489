"""Scriptable set-up: create_operator and create_api_key (the key alone on stdout)."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from aeo.models import Operator, OperatorAPIKey

pytestmark = pytest.mark.django_db


def test_create_operator_and_key_then_use_it():
    call_command(
        "create_operator",
        "--code",
        "acme",
        "--name",
        "Acme Express",
        "--role",
        "express_carrier",
        stderr=StringIO(),
    )
    out = StringIO()
    call_command("create_api_key", "acme", stdout=out)
    key = out.getvalue().strip()
    assert "\n" not in key and "." in key
    stored = OperatorAPIKey.objects.get(operator__code="acme")
    assert key not in stored.hashed_key and stored.hashed_key.startswith("sha512$$")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get("/api/v1/declarations").status_code == 200
    assert OperatorAPIKey.objects.get(pk=stored.pk).last_used_at is not None
    assert Operator.objects.get(code="acme").role == "express_carrier"


def test_create_operator_refuses_duplicates_and_bad_roles():
    call_command(
        "create_operator", "--code", "dup", "--name", "D", "--role", "vendor", stderr=StringIO()
    )
    with pytest.raises(CommandError):
        call_command(
            "create_operator", "--code", "dup", "--name", "D", "--role", "vendor", stderr=StringIO()
        )
    with pytest.raises(CommandError):
        call_command(
            "create_operator", "--code", "x", "--name", "X", "--role", "pirate", stderr=StringIO()
        )


def test_create_api_key_is_audited_under_the_system_user_with_its_reason(client):
    """The key alone on stdout, as the README's KEY=$(... create_api_key example-market) reads
    it; the audit says who ran the command (the command and the system user), when, what was
    created and why (--reason, else the command)."""
    import getpass

    from customs_ecom.platform.models import AuditEvent

    call_command("create_operator", "--code", "acme", "--name", "A", "--role", "vendor",
                 stderr=StringIO())  # fmt: skip
    out = StringIO()
    call_command("create_api_key", "acme", "--reason", "onboarding ticket 12", stdout=out)
    key = out.getvalue()
    assert key.count("\n") == 1 and key.strip() == key.splitlines()[0] and "." in key
    stored = OperatorAPIKey.objects.get(operator__code="acme")
    event = AuditEvent.objects.get(action="api_key.create")
    assert event.actor_label == f"command line (create_api_key, system user {getpass.getuser()})"
    assert event.reason == "onboarding ticket 12" and event.at is not None
    assert event.before is None and event.after["prefix"] == stored.prefix
    assert key.strip() not in str(event.after)
    call_command("create_api_key", "acme", stdout=StringIO())
    plain = AuditEvent.objects.filter(action="api_key.create").order_by("id").last()
    assert plain.reason == "create_api_key command"
