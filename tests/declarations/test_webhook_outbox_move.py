"""The webhook outbox moved from aeo to declarations with its rows (declarations 0013, aeo 0006):
rows written under the old tables are read through the new models after the migration."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("aeo", "0005_auditevent_moves_to_platform"),
    ("declarations", "0012_idempotencyrecord_moves_to_platform"),
]
AFTER = [
    ("aeo", "0006_webhook_outbox_moves_from_aeo"),
    ("declarations", "0013_webhook_outbox_moves_from_aeo"),
]


@pytest.mark.django_db(transaction=True)
def test_existing_deliveries_and_attempts_survive_the_move():
    try:
        executor = MigrationExecutor(connection)
        executor.migrate(BEFORE)
        old = executor.loader.project_state(BEFORE).apps
        operator = old.get_model("aeo", "Operator").objects.create(
            code="moved", name="Moved Ltd", role="vendor"
        )
        delivery = old.get_model("aeo", "WebhookDelivery").objects.create(
            operator=operator, event_id=uuid.uuid4(), status_event_pk=7, body='{"a": 1}'
        )
        old.get_model("aeo", "WebhookAttempt").objects.create(
            delivery=delivery, number=1, status_code=500
        )
        old.get_model("aeo", "WebhookCursor").objects.create(operator=operator, last_event_pk=7)

        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(AFTER)
        new = executor.loader.project_state(AFTER).apps
        moved = new.get_model("declarations", "WebhookDelivery").objects.get(pk=delivery.pk)
        assert moved.event_id == delivery.event_id and moved.body == '{"a": 1}'
        assert new.get_model("declarations", "WebhookAttempt").objects.get().delivery_id == moved.pk
        assert new.get_model("declarations", "WebhookCursor").objects.get().last_event_pk == 7
        tables = connection.introspection.table_names()
        assert "declarations_webhookdelivery" in tables and "aeo_webhookdelivery" not in tables
    finally:
        # Back to the latest state for the tests that follow.
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
