"""The one transition service, the assessment pipeline and the beat sweeper, on the real database."""

import pytest
from django.utils import timezone

from customs_ecom.platform.models import AuditEvent
from declarations.models import Declaration, Status, StatusEvent
from declarations.services import (
    TransitionNotAllowed,
    declaration_transition,
    declarations_submit,
    requeue_unassessed,
)
from declarations.tasks import requeue_unassessed_task
from revenue.models import TaxAssessment
from risk.models import RiskAssessment

pytestmark = pytest.mark.django_db


def _submit(operator_client, body, capture):
    with capture(execute=True):
        outcome = declarations_submit(operator=operator_client.operator, bodies=[body])[0]
    assert outcome.status == 201, outcome.errors
    return Declaration.objects.get(pk=outcome.declaration.pk)


def test_assessment_tasks_run_twice_store_one_result(
    operator_a, example, django_capture_on_commit_callbacks
):
    from revenue.tasks import assess_batch as revenue_task
    from risk.tasks import assess_batch as risk_task

    declaration = _submit(operator_a, example, django_capture_on_commit_callbacks)
    assert declaration.status == Status.ASSESSED
    risk_task(declaration_ids=[declaration.pk])
    revenue_task(declaration_ids=[declaration.pk])
    assert RiskAssessment.objects.filter(declaration=declaration).count() == 1
    assert TaxAssessment.objects.filter(declaration=declaration).count() == 1
    assert (
        StatusEvent.objects.filter(declaration=declaration, to_status=Status.ASSESSED).count() == 1
    )


def test_unassessed_declaration_is_found_and_requeued_by_the_sweeper(
    operator_a, example, django_capture_on_commit_callbacks
):
    # The commit happens but its on-commit enqueue never runs: as if the process died right after commit.
    with django_capture_on_commit_callbacks(execute=False):
        outcome = declarations_submit(operator=operator_a.operator, bodies=[example])[0]
    declaration = Declaration.objects.get(pk=outcome.declaration.pk)
    assert declaration.status == Status.ACCEPTED
    assert requeue_unassessed(older_than=declaration.enqueued_at) == 0  # not stale yet
    Declaration.objects.filter(pk=declaration.pk).update(
        enqueued_at=timezone.now() - timezone.timedelta(hours=1)
    )
    assert requeue_unassessed_task() == 1
    declaration.refresh_from_db()
    assert declaration.status == Status.ASSESSED and declaration.channel


def test_transition_table_refuses_illegal_moves_and_is_idempotent(
    operator_a, example, django_capture_on_commit_callbacks, customs_user
):
    from declarations.lifecycle import LifecycleRefused
    from tests.lifecycle_helpers import arrive, pay_at_border

    officer = customs_user("officer")
    declaration = _submit(operator_a, example, django_capture_on_commit_callbacks)
    pay_at_border(declaration.pk)
    with pytest.raises(TransitionNotAllowed):
        declaration_transition(
            declaration_id=declaration.pk, to_status=Status.RETURNED, actor=officer
        )
    with pytest.raises(LifecycleRefused) as refused:
        declaration_transition(declaration_id=declaration.pk, to_status=Status.RELEASED)
    assert refused.value.codes == ["not_arrived"]
    assert arrive(declaration.pk).status == Status.RELEASED  # green, its border duty paid
    events_before = StatusEvent.objects.count()
    declaration_transition(declaration_id=declaration.pk, to_status=Status.RELEASED, actor=officer)
    assert StatusEvent.objects.count() == events_before
    audit = AuditEvent.objects.filter(
        object_type="declaration", object_id=str(declaration.pk), action="declaration.released"
    ).get()
    # The carrier's arrival report released it: the audit names the operator, no customs user.
    assert (
        audit.actor is None
        and audit.actor_label == f"operator {declaration.operator.code} (API)"
        and audit.before == {"status": "assessed"}
        and audit.after["status"] == "released"
    )
    with pytest.raises(TransitionNotAllowed):
        declaration_transition(
            declaration_id=declaration.pk, to_status=Status.INSPECTION, actor=officer
        )


def test_rejected_batch_rows_store_nothing_and_valid_rows_are_independent(operator_a, example):
    bad = dict(example, lrn="BAD-1", currency="ZZZ")
    good = dict(example, lrn="GOOD-1")
    outcomes = declarations_submit(operator=operator_a.operator, bodies=[bad, good, good])
    assert [o.status for o in outcomes] == [422, 201, 200]
    assert outcomes[2].declaration.pk == outcomes[1].declaration.pk
    assert list(Declaration.objects.values_list("lrn", flat=True)) == ["GOOD-1"]
