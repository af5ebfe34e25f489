"""Four eyes hold across revisions: an amendment that removes the words that named prohibited
goods, or an outcome recorded on an earlier revision, never lets one person release what once
needed two (docs/lifecycle.md, guards `four_eyes` and `risk_not_cleared`)."""

from __future__ import annotations

import pytest

from declarations import lifecycle
from declarations.models import Declaration, Status
from declarations.services import declaration_amend, declarations_submit
from risk.guards import four_eyes_hits
from risk.models import FourEyesFlag
from risk.services.outcomes import outcome_record
from tests.lifecycle_helpers import arrive, pay_at_border, with_description

pytestmark = pytest.mark.django_db


@pytest.fixture
def ivory(operator_a, example, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        outcome = declarations_submit(
            operator=operator_a.operator,
            bodies=[with_description(example, "Carved elephant ivory figurine")],
        )[0]
    declaration = Declaration.objects.get(pk=outcome.declaration.pk)
    assert declaration.channel == "red"
    assert four_eyes_hits([declaration]) == {declaration.pk: {"prohibited_goods_keyword"}}
    return declaration.pk


def _amend(operator_a, example, pk, description, capture) -> Declaration:
    with capture(execute=True):
        status, _declaration, problems = declaration_amend(
            operator=operator_a.operator,
            declaration_id=pk,
            body=with_description(example, description),
        )
    assert status == 200, problems
    return Declaration.objects.get(pk=pk)


def _release_refusals(pk, user) -> set[str]:
    declaration = Declaration.objects.get(pk=pk)
    return {r.code for r in lifecycle.action_refusals(declaration, "release", user)}


def test_an_amendment_that_drops_the_prohibited_words_still_needs_two_people(
    ivory, operator_a, example, customs_user, django_capture_on_commit_callbacks
):
    amended = _amend(
        operator_a, example, ivory, "Carved wooden figurine", django_capture_on_commit_callbacks
    )
    assert amended.revision == 2 and amended.channel not in ("red", None)
    assert FourEyesFlag.objects.filter(declaration_id=ivory, revision=1).exists()
    # Arrival and payment do not release it: it goes before an officer.
    pay_at_border(ivory)
    assert arrive(ivory).status == Status.INSPECTION
    officer, supervisor = customs_user("officer"), customs_user("supervisor")
    lifecycle.claim(declaration_id=ivory, user=officer)
    outcome_record(declaration_id=ivory, officer=officer, result="compliant")
    assert "four_eyes" in _release_refusals(ivory, officer)
    lifecycle.claim(declaration_id=ivory, user=supervisor, take_over=True)
    released = lifecycle.perform(
        declaration_id=ivory, code="release", user=supervisor, reason="wooden, checked"
    )
    assert released.status == Status.RELEASED


def test_an_outcome_of_an_earlier_revision_clears_nothing(
    ivory, operator_a, example, customs_user, django_capture_on_commit_callbacks
):
    officer, supervisor = customs_user("officer"), customs_user("supervisor")
    lifecycle.claim(declaration_id=ivory, user=officer)
    outcome_record(declaration_id=ivory, officer=officer, result="compliant")
    lifecycle.perform(
        declaration_id=ivory, code="request_documents", user=officer, public_reason="invoice"
    )
    # The operator then adds goods nobody has seen: revision 2.
    amended = _amend(
        operator_a,
        example,
        ivory,
        "Carved elephant ivory figurine and a switchblade knife",
        django_capture_on_commit_callbacks,
    )
    assert amended.revision == 2
    pay_at_border(ivory)
    arrive(ivory)
    lifecycle.claim(declaration_id=ivory, user=supervisor, take_over=True)
    refusals = _release_refusals(ivory, supervisor)
    assert {"four_eyes", "risk_not_cleared"} <= refusals
