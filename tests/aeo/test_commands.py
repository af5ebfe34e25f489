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
