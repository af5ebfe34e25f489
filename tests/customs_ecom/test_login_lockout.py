"""Login lockout per account and address (django-axes), for the officer login and /admin/."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db
PASSWORD = "pw-for-tests-1"


def _fail(client, url, username, times):
    return [
        client.post(url, {"username": username, "password": "wrong"}).status_code
        for _ in range(times)
    ]


def test_one_account_locked_from_one_address_leaves_the_others_alone(customs_user, settings):
    customs_user("officer")
    customs_user("officer", username="colleague")
    office = Client(REMOTE_ADDR="192.0.2.10")
    _fail(office, reverse("login"), "officer", settings.LOGIN_MAX_FAILURES)
    assert (
        office.post(reverse("login"), {"username": "officer", "password": PASSWORD}).status_code
        == 429
    )
    # A colleague behind the same address logs in; the officer from elsewhere too.
    colleague = office.post(reverse("login"), {"username": "colleague", "password": PASSWORD})
    assert colleague.status_code == 302
    home = Client(REMOTE_ADDR="198.51.100.20")
    assert (
        home.post(reverse("login"), {"username": "officer", "password": PASSWORD}).status_code
        == 302
    )


def test_admin_login_is_locked_too(settings):
    get_user_model().objects.create_superuser("root", "root@example.org", PASSWORD)
    client = Client(REMOTE_ADDR="192.0.2.11")
    url = "/admin/login/"
    statuses = _fail(client, url, "root", settings.LOGIN_MAX_FAILURES)
    assert statuses[-1] == 429
    locked = client.post(url, {"username": "root", "password": PASSWORD})
    assert locked.status_code == 429


def test_forwarded_for_is_ignored_unless_from_a_trusted_proxy(customs_user, settings):
    customs_user("officer")
    client = Client(REMOTE_ADDR="192.0.2.12")
    for n in range(settings.LOGIN_MAX_FAILURES):
        client.post(
            reverse("login"),
            {"username": "officer", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        )
    locked = client.post(reverse("login"), {"username": "officer", "password": PASSWORD})
    assert locked.status_code == 429
