"""The production runtime: a real Celery worker process assesses what the API accepted."""

import pytest

from declarations.models import Declaration, Status
from tests.conftest import make_operator, wait_for

# Both tests live in this one file so that `--dist loadfile` runs them on the same test process: one
# real worker at a time on the shared broker.
pytestmark = [pytest.mark.worker]


def test_real_worker_assesses_a_posted_declaration(celery_worker_process, example):
    operator = make_operator("worker-op")
    response = operator.post("/api/v1/declarations", example)
    assert response.status_code == 201
    pk = response.json()["id"]
    declaration = wait_for(
        lambda: Declaration.objects.filter(pk=pk, status=Status.ASSESSED).first(), timeout=60
    )
    assert declaration.channel in {"green", "blue", "yellow", "red"}
    taxes = operator.get(f"/api/v1/declarations/{pk}").json()["taxes"]
    assert taxes and taxes["lines"]


def test_sweeper_reenqueues_to_the_real_worker(
    celery_worker_process, example, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    from declarations.services import declarations_submit
    from declarations.tasks import requeue_unassessed_task

    operator = make_operator("sweeper-op")
    with django_capture_on_commit_callbacks(execute=False):  # enqueue lost
        outcome = declarations_submit(operator=operator.operator, bodies=[example])[0]
    pk = outcome.declaration.pk
    Declaration.objects.filter(pk=pk).update(
        enqueued_at=timezone.now() - timezone.timedelta(hours=1)
    )
    assert requeue_unassessed_task() == 1
    assert wait_for(
        lambda: Declaration.objects.filter(pk=pk, status=Status.ASSESSED).exists(), timeout=60
    )
