"""An officer's documents request holds through an amendment: the operator's corrected declaration,
reassessed green, is never released by the arrival, a payment or the reassessment itself; it goes
back to the request and an officer decides (docs/lifecycle.md, guard `documents_request_open`). An
officer's finding holds the same way (guard `finding_open`)."""

from __future__ import annotations

import pytest

from declarations import lifecycle
from declarations.models import Declaration, Status, StatusEvent
from declarations.services import declaration_amend, declarations_submit
from risk.services.outcomes import outcome_record
from tests.lifecycle_helpers import (
    arrive,
    end_claim,
    pay_at_border,
    request_documents,
    with_description,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def requested(operator_a, example, customs_user, django_capture_on_commit_callbacks):
    """A green consignment on which an officer asked for the invoice, before its arrival."""
    with django_capture_on_commit_callbacks(execute=True):
        pk = declarations_submit(operator=operator_a.operator, bodies=[example])[0].declaration.pk
    assert Declaration.objects.get(pk=pk).channel == "green"
    officer = customs_user("officer")
    request_documents(pk, officer)
    # The officer's claim ends (it expires, or a supervisor frees it); the request stays.
    end_claim(pk, customs_user("supervisor"))
    return pk, officer


def _amend(operator_a, example, pk, capture) -> Declaration:
    with capture(execute=True):
        status, _declaration, problems = declaration_amend(
            operator=operator_a.operator,
            declaration_id=pk,
            body=with_description(example, example["items"][0]["description"] + " (corrected)"),
        )
    assert status == 200, problems
    return Declaration.objects.get(pk=pk)


def test_an_amendment_does_not_end_the_request_nor_release_on_arrival(
    requested, operator_a, example, django_capture_on_commit_callbacks
):
    pk, officer = requested
    amended = _amend(operator_a, example, pk, django_capture_on_commit_callbacks)
    assert amended.revision == 2 and amended.channel == "green"
    assert amended.status == Status.ASSESSED
    pay_at_border(pk)
    arrived = arrive(pk)
    # Not released: back to the request, which names the same documents.
    assert arrived.status == Status.DOCUMENTS_REQUESTED
    last = StatusEvent.objects.filter(declaration_id=pk).latest("id")
    assert last.public_reason == "documents requested: invoice"
    assert "documents_request_open" in last.note
    # The officer looks at the documents and decides: the release is the officer's.
    lifecycle.claim(declaration_id=pk, user=officer)
    released = lifecycle.perform(
        declaration_id=pk, code="release", user=officer, reason="invoice checked"
    )
    assert released.status == Status.RELEASED


def test_a_compliant_outcome_for_the_current_revision_lets_the_arrival_release(
    requested, operator_a, example, django_capture_on_commit_callbacks
):
    pk, officer = requested
    _amend(operator_a, example, pk, django_capture_on_commit_callbacks)
    outcome_record(declaration_id=pk, officer=officer, result="compliant")
    pay_at_border(pk)
    assert arrive(pk).status == Status.RELEASED


def test_a_consignment_never_asked_for_documents_is_released_on_arrival(
    operator_a, example, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        pk = declarations_submit(operator=operator_a.operator, bodies=[example])[0].declaration.pk
    _amend(operator_a, example, pk, django_capture_on_commit_callbacks)
    pay_at_border(pk)
    assert arrive(pk).status == Status.RELEASED


def test_a_finding_holds_the_automatic_release_of_a_green_consignment_and_its_amendment(
    operator_a, example, customs_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        pk = declarations_submit(operator=operator_a.operator, bodies=[example])[0].declaration.pk
    assert Declaration.objects.get(pk=pk).channel == "green"
    officer = customs_user("officer")
    lifecycle.claim(declaration_id=pk, user=officer)
    outcome_record(declaration_id=pk, officer=officer, result="misdescription")
    end_claim(pk, customs_user("supervisor"))
    # The operator corrects the description; the corrected declaration is green again.
    amended = _amend(operator_a, example, pk, django_capture_on_commit_callbacks)
    assert amended.channel == "green" and amended.status == Status.ASSESSED
    pay_at_border(pk)
    arrived = arrive(pk)
    assert arrived.status == Status.INSPECTION
    assert "finding_open" in StatusEvent.objects.filter(declaration_id=pk).latest("id").note
    # An officer checks the corrected goods: compliant for the current revision, then releases.
    lifecycle.claim(declaration_id=pk, user=officer)
    outcome_record(declaration_id=pk, officer=officer, result="compliant")
    released = lifecycle.perform(
        declaration_id=pk, code="release", user=officer, reason="description corrected"
    )
    assert released.status == Status.RELEASED
