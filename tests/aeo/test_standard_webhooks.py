"""Webhook deliveries carry Standard Webhooks signatures with a timestamp: a receiver using the
standardwebhooks library verifies them, and refuses a replay minutes later or a changed body."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from declarations.models import WebhookDelivery
from declarations.webhooks import HttpResult, webhooks_deliver

pytestmark = pytest.mark.django_db
SECRET = "a-secret-of-the-operator-0123456789"


def test_deliveries_are_signed_the_standard_webhooks_way(operator_a):
    operator = operator_a.operator
    operator.webhook_url = "https://receiver.example/hook"
    operator.webhook_secret = SECRET
    operator.save(update_fields=["webhook_url", "webhook_secret"])
    event_id = uuid.uuid4()
    WebhookDelivery.objects.create(
        operator=operator, event_id=event_id, status_event_pk=1, body='{"type": "x"}'
    )
    sent = []

    def post(url, body, headers):
        sent.append((body, headers))
        return HttpResult(204)

    now = timezone.now()
    webhooks_deliver(now=now, post=post)
    ((body, headers),) = sent
    assert headers["webhook-id"] == str(event_id)
    assert headers["webhook-timestamp"] == str(int(now.timestamp()))
    receiver = Webhook(SECRET.encode())
    assert receiver.verify(body, headers) == {"type": "x"}
    with pytest.raises(WebhookVerificationError):
        receiver.verify(body.replace(b"x", b"y"), headers)
    with time_machine.travel(now + timedelta(minutes=10)), pytest.raises(WebhookVerificationError):
        receiver.verify(body, headers)  # a replay ten minutes later
