"""No amendment once customs revised the values (UCC art. 173: no amendment after customs found
the particulars incorrect): an operator who amended a declaration an officer had revalued, while
customs awaited its documents, had the values found dropped and the goods taxed again on the
declared values (docs/lifecycle.md, "The goods, not the declaration")."""

from __future__ import annotations

from decimal import Decimal

import pytest

from declarations import lifecycle
from declarations.models import Declaration, Status
from declarations.services import declaration_amend, declarations_submit
from declarations.services.amendments import IntakeRefused
from revenue.models import TaxAssessment
from revenue.services.revaluation import taxes_revalue
from tests.lifecycle_helpers import request_documents

pytestmark = pytest.mark.django_db


def _amended_body(example: dict) -> dict:
    body = dict(example)
    body["items"] = [dict(item) for item in example["items"]]
    body["items"][0]["description"] += " (corrected)"
    return body


@pytest.fixture
def revalued(operator_a, example, customs_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        pk = declarations_submit(operator=operator_a.operator, bodies=[example])[0].declaration.pk
    officer = customs_user("officer")
    request_documents(pk, officer)
    declared = Decimal(str(example["items"][0]["value"]))
    taxes_revalue(
        declaration_id=pk,
        revised_values_by_line={1: declared * 3},
        actor=officer,
        reason="the invoice shows three times the value",
    )
    return pk


def test_a_revalued_declaration_is_not_amended(
    revalued, operator_a, example, django_capture_on_commit_callbacks
):
    before = TaxAssessment.objects.get(declaration_id=revalued, is_current=True)
    assert before.revised_values
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(IntakeRefused) as refused:
        declaration_amend(
            operator=operator_a.operator, declaration_id=revalued, body=_amended_body(example)
        )
    assert refused.value.code == "amendment_not_allowed"
    declaration = Declaration.objects.get(pk=revalued)
    assert declaration.revision == 1 and declaration.status == Status.DOCUMENTS_REQUESTED
    assert TaxAssessment.objects.get(declaration_id=revalued, is_current=True).pk == before.pk


def test_the_same_body_again_is_still_a_harmless_replay(revalued, operator_a, example):
    status, declaration, _problems = declaration_amend(
        operator=operator_a.operator, declaration_id=revalued, body=example
    )
    assert status == 200 and declaration.revision == 1


def test_a_declaration_never_revalued_is_amended_in_reply_to_the_request(
    operator_a, example, customs_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        pk = declarations_submit(operator=operator_a.operator, bodies=[example])[0].declaration.pk
    officer = customs_user("officer")
    lifecycle.claim(declaration_id=pk, user=officer)
    lifecycle.perform(declaration_id=pk, code="request_documents", user=officer)
    with django_capture_on_commit_callbacks(execute=True):
        status, _d, problems = declaration_amend(
            operator=operator_a.operator, declaration_id=pk, body=_amended_body(example)
        )
    assert status == 200, problems
