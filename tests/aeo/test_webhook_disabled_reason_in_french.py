"""Why a webhook was disabled reads in the request's language, like the API's other texts for
people: GET /api/v1/webhook answered an English sentence to Accept-Language: fr, and the audit
page showed it in English among French words. The record keeps the English."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from aeo.services import operator_set_webhook
from aeo.services.access import webhook_disable_gone
from customs_ecom.platform.models import AuditEvent

pytestmark = pytest.mark.django_db
URL = "https://hooks.example.com/customs"


@pytest.fixture
def disabled(operator_a, settings):
    settings.WEBHOOK_ALLOW_LOCAL_TARGETS = True
    operator_set_webhook(operator_id=operator_a.operator.pk, url=URL, secret="s" * 32, actor=None)
    assert webhook_disable_gone(
        operator_id=operator_a.operator.pk, url=URL, status_code=410, at=timezone.now()
    )
    return operator_a


def _reason(operator, language: str) -> str:
    answer = operator.client.get("/api/v1/webhook", HTTP_ACCEPT_LANGUAGE=language)
    assert answer.status_code == 200 and answer.json()["status"] == "disabled"
    return answer.json()["disabled_reason"]


def test_the_reason_follows_accept_language_and_the_record_stays_english(disabled):
    assert _reason(disabled, "en") == "receiver answered HTTP 410 Gone"
    assert _reason(disabled, "fr") == "le destinataire a répondu HTTP 410 Gone"
    disabled.operator.refresh_from_db()
    assert disabled.operator.webhook_disabled_reason == "receiver answered HTTP 410 Gone"
    audit = AuditEvent.objects.get(action="operator.webhook_disabled")
    assert audit.reason == "receiver answered HTTP 410 Gone"


def test_a_reason_the_system_did_not_write_is_shown_as_stored(disabled):
    disabled.operator.webhook_disabled_reason = "stopped by hand"
    disabled.operator.save(update_fields=["webhook_disabled_reason"])
    assert _reason(disabled, "fr") == "stopped by hand"


def test_the_audit_page_shows_the_reason_in_french(disabled, client, customs_user):
    client.force_login(customs_user("administrator"))
    page = client.get(reverse("audit_log"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "le destinataire a répondu HTTP 410 Gone" in page
    assert "receiver answered HTTP 410 Gone" not in page
