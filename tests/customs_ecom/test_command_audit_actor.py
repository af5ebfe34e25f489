"""Every management command that changes data records the same actor in the audit log: the
command and the system user who ran it, as createsuperuser, changepassword and create_api_key do."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from customs_ecom.platform.models import AuditEvent

PREFIX = "command line ({}, system user "


@pytest.mark.django_db
def test_create_operator_is_audited_under_the_command_line_actor():
    call_command("create_operator", code="cli-op", name="Cli Op", role="marketplace",
                 stderr=io.StringIO())  # fmt: skip
    event = AuditEvent.objects.get(action="operator.create")
    assert event.actor_label.startswith(PREFIX.format("create_operator"))
    assert event.reason == "create_operator command"


@pytest.mark.django_db
def test_loading_exchange_rates_is_audited_under_the_command_line_actor(tmp_path):
    rates = tmp_path / "rates.csv"
    rates.write_text("currency,valid_from,units_per_eur\nUSD,2026-11-01,1.08\n", encoding="utf-8")
    call_command("load_exchange_rates", str(rates), "--reason", "monthly rates",
                 stdout=io.StringIO())  # fmt: skip
    events = AuditEvent.objects.filter(actor_label__startswith="command")
    assert events.exists()
    for event in events:
        assert event.actor_label.startswith(PREFIX.format("load_exchange_rates"))


@pytest.mark.django_db
def test_seed_demo_audits_each_user_and_operator_it_creates_under_the_command():
    call_command("seed_demo", "--declarations", "0", stdout=io.StringIO())
    users = get_user_model().objects.all()
    assert users.exists()
    for user in users:
        [event] = AuditEvent.objects.filter(action="user.add", object_id=str(user.pk))
        assert event.actor_label.startswith(PREFIX.format("seed_demo"))
        assert event.after["username"] == user.username
        assert event.after["roles"] == [user.username]
        assert event.reason == "seed_demo command"
    operators = AuditEvent.objects.filter(action="operator.create")
    assert operators.count() == 4
    for event in operators:
        assert event.actor_label.startswith(PREFIX.format("seed_demo"))
    for action in ("aeo.apply", "aeo.authorised", "operator.link_add", "api_key.create"):
        for event in AuditEvent.objects.filter(action=action):
            assert event.actor_label.startswith(PREFIX.format("seed_demo")), action
    assert AuditEvent.objects.filter(action="aeo.authorised").exists()
    # A second run creates nothing and records nothing more.
    before = AuditEvent.objects.filter(action__in=["user.add", "operator.create"]).count()
    call_command("seed_demo", "--declarations", "0", stdout=io.StringIO())
    assert AuditEvent.objects.filter(action__in=["user.add", "operator.create"]).count() == before


@pytest.mark.django_db
def test_the_audit_page_names_seed_demo_in_french(client, customs_user):
    call_command("seed_demo", "--declarations", "0", stdout=io.StringIO())
    client.force_login(customs_user("administrator"))
    french = client.get("/audit/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "ligne de commande (seed_demo, compte système " in french
    assert "commande seed_demo" in french
