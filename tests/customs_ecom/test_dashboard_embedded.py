"""The embedded default has no beat: the dashboard keeps its own aggregates fresh."""

import pytest
from django.urls import reverse

from declarations.models import DailyAggregate

pytestmark = pytest.mark.django_db


def test_dashboard_counts_a_declaration_posted_just_now_without_beat(
    client, customs_user, operator_a, example, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert operator_a.post("/api/v1/declarations", example).status_code == 201
    assert not DailyAggregate.objects.exists()
    client.force_login(customs_user("supervisor"))
    assert client.get(reverse("dashboard")).status_code == 200
    assert DailyAggregate.objects.filter(metric="declarations").exists()


def test_with_a_broker_the_dashboard_only_reads(
    client, customs_user, operator_a, example, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    client.force_login(customs_user("supervisor"))
    assert client.get(reverse("dashboard")).status_code == 200
    assert not DailyAggregate.objects.exists()
