"""Accounts created or changed on the command line are audited like the admin pages' changes."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.management.commands import changepassword
from django.core.management import call_command, get_commands

from customs_ecom.platform.models import AuditEvent


def test_manage_py_finds_the_audited_commands():
    commands = get_commands()
    assert commands["createsuperuser"] == "customs_ecom.platform.accounts"
    assert commands["changepassword"] == "customs_ecom.platform.accounts"


@pytest.mark.django_db
def test_createsuperuser_is_audited_with_the_new_accounts_facts(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-password-for-tests-1")
    call_command("createsuperuser", username="chief", email="chief@customs.example",
                 interactive=False, verbosity=0)  # fmt: skip
    user = get_user_model().objects.get(username="chief")
    event = AuditEvent.objects.get(action="user.add", object_id=str(user.pk))
    assert event.actor_label.startswith("command line (createsuperuser, system user ")
    assert event.before is None
    assert event.after["username"] == "chief"
    assert event.after["is_superuser"] is True and event.after["is_staff"] is True
    assert "password" not in event.after
    assert event.reason == "createsuperuser command"


@pytest.mark.django_db
def test_changepassword_is_audited_without_the_secret(monkeypatch):
    user = get_user_model().objects.create_user("clerk", password="first-password-for-tests-1")
    assert not AuditEvent.objects.filter(object_type="user").exists()  # outside the commands
    monkeypatch.setattr(
        changepassword.Command, "_get_pass", lambda self, prompt="": "second-password-tests-2"
    )
    call_command("changepassword", "clerk", stdout=io.StringIO())
    event = AuditEvent.objects.get(action="user.password_change", object_id=str(user.pk))
    assert event.actor_label.startswith("command line (changepassword, system user ")
    assert event.after == {"password": "changed"}
    assert "second-password" not in str(event.after) + str(event.before) + event.reason
    user.refresh_from_db()
    assert user.check_password("second-password-tests-2")


@pytest.mark.django_db
def test_the_audit_page_names_the_command_in_the_readers_language(client, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-password-for-tests-1")
    call_command("createsuperuser", username="chief", email="chief@customs.example",
                 interactive=False, verbosity=0)  # fmt: skip
    client.force_login(get_user_model().objects.get(username="chief"))
    french = client.get("/audit/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "ligne de commande (createsuperuser, compte système " in french
    assert "commande createsuperuser" in french
    english = client.get("/audit/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "command line (createsuperuser, system user " in english
