"""Risk and revenue stamp the revision they assessed as narrow rows; completion copies risk's
result onto the declaration with its new status (one write of the wide row) and spends the
stamps; the nightly housekeeping removes the stamps no completion will read."""

from __future__ import annotations

import copy

import pytest

from declarations import lifecycle
from declarations.models import AssessmentStamp, Declaration, Status
from declarations.services import declarations_submit
from declarations.services.completion import (
    declarations_complete_assessment_bulk,
    declarations_record_risk,
    declarations_record_tax,
    purge_spent_stamps,
)

pytestmark = pytest.mark.django_db


def _stored(operator, example, capture, lrn: str) -> Declaration:
    body = copy.deepcopy(example)
    body["lrn"] = lrn
    body["transport_document"]["number"] = f"9{abs(hash(lrn)) % 10**9:09d}"  # its own parcel
    with capture(execute=False):  # stored and acknowledged; no assessment ran
        (outcome,) = declarations_submit(operator=operator.operator, bodies=[body])
    assert outcome.status == 201, outcome.errors
    return Declaration.objects.get(pk=outcome.declaration.pk)


def test_completion_waits_for_both_stamps_then_writes_risks_result_with_the_status(
    operator_a, example, django_capture_on_commit_callbacks
):
    d = _stored(operator_a, example, django_capture_on_commit_callbacks, "STAMP-1")
    assert d.status == Status.ACCEPTED and d.channel is None

    declarations_record_risk(results=[(d.pk, d.revision, "yellow", 42)])
    assert declarations_complete_assessment_bulk(declaration_ids=[d.pk]) == []
    d.refresh_from_db()
    assert d.status == Status.ACCEPTED and d.channel is None  # half an assessment is none

    declarations_record_tax(revisions=[(d.pk, d.revision)])
    declarations_record_tax(revisions=[(d.pk, d.revision)])  # a redelivered task: harmless
    assert declarations_complete_assessment_bulk(declaration_ids=[d.pk]) == [d.pk]
    d.refresh_from_db()
    assert (d.status, d.channel, d.risk_score) == (Status.ASSESSED, "yellow", 42)
    assert d.risk_revision == d.tax_revision == d.revision
    assert not AssessmentStamp.objects.filter(declaration_id=d.pk).exists()  # spent
    # Completing again changes nothing.
    assert declarations_complete_assessment_bulk(declaration_ids=[d.pk]) == []


def test_a_stamp_of_another_revision_does_not_complete_the_current_one(
    operator_a, example, django_capture_on_commit_callbacks
):
    d = _stored(operator_a, example, django_capture_on_commit_callbacks, "STAMP-2")
    declarations_record_risk(results=[(d.pk, d.revision + 1, "red", 90)])
    declarations_record_tax(revisions=[(d.pk, d.revision)])
    assert declarations_complete_assessment_bulk(declaration_ids=[d.pk]) == []
    assert Declaration.objects.get(pk=d.pk).status == Status.ACCEPTED


def test_housekeeping_removes_only_the_stamps_no_completion_will_read(
    operator_a, example, django_capture_on_commit_callbacks
):
    waiting = _stored(operator_a, example, django_capture_on_commit_callbacks, "STAMP-3")
    gone = _stored(operator_a, example, django_capture_on_commit_callbacks, "STAMP-4")
    declarations_record_risk(
        results=[
            (waiting.pk, waiting.revision, "green", 1),  # still to be completed: kept
            (waiting.pk, waiting.revision - 1, "green", 1),  # a superseded revision
            (gone.pk, gone.revision, "green", 1),  # its declaration left the queue
        ]
    )
    lifecycle.transition(
        declaration_id=gone.pk, to_status=Status.INVALIDATED, action="invalidation"
    )
    assert purge_spent_stamps() == 2
    assert list(AssessmentStamp.objects.values_list("declaration_id", "revision")) == [
        (waiting.pk, waiting.revision)
    ]
