"""An undervaluation found at inspection is not released at the declared value: the taxes are
reassessed with the values found first (guard `revaluation_pending`), and the revalue form acts
only for the officer holding the consignment, on the revision that officer saw."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from declarations import lifecycle
from declarations.models import Case, Declaration, Status
from declarations.services import declarations_submit
from revenue.models import TaxAssessment
from risk.services.outcomes import outcome_record
from tests.lifecycle_helpers import arrive, pay_at_border
from tests.revenue.helpers import border_body, submit

pytestmark = pytest.mark.django_db


def _release_refusals(pk: int, user) -> set[str]:
    declaration = Declaration.objects.get(pk=pk)
    return {r.code for r in lifecycle.action_refusals(declaration, "release", user)}


def test_an_undervalued_consignment_leaves_only_after_its_taxes_are_reassessed(
    client, customs_user, operator_b, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        (outcome,) = declarations_submit(
            operator=operator_b.operator, bodies=[border_body("UNDER-1", value="26.14")]
        )
    declaration = outcome.declaration
    assert Declaration.objects.get(pk=declaration.pk).status == Status.ASSESSED
    Declaration.objects.filter(pk=declaration.pk).update(channel="yellow")
    pay_at_border(declaration.pk)
    arrive(declaration.pk)
    officer, supervisor = customs_user("officer"), customs_user("supervisor")
    lifecycle.claim(declaration_id=declaration.pk, user=officer)
    outcome_record(
        declaration_id=declaration.pk,
        officer=officer,
        result="undervaluation",
        revised_value_eur=Decimal("78.42"),
    )
    # The supervisor closes the case and a "compliant" is recorded: still not released at the
    # declared value.
    case = Case.objects.get(declaration_id=declaration.pk, closed_at__isnull=True)
    lifecycle.case_close(case_id=case.pk, actor=supervisor, reason="value agreed")
    outcome_record(declaration_id=declaration.pk, officer=officer, result="compliant")
    assert "revaluation_pending" in _release_refusals(declaration.pk, officer)
    # A "revaluation" at the declared value changes nothing and lifts nothing.
    from revenue.services.revaluation import RevaluationError, taxes_revalue

    with pytest.raises(RevaluationError, match="raises at least one line"):
        taxes_revalue(
            declaration_id=declaration.pk,
            revised_values_by_line={1: Decimal("26.14")},
            actor=officer,
            reason="value stands",
        )
    assert "revaluation_pending" in _release_refusals(declaration.pk, officer)
    # Reassessed with the value found (through the page, as the officer holding it).
    client.force_login(officer)
    client.post(
        reverse("revenue:revalue", args=[declaration.pk]),
        {"line_1": "78.42", "reason": "invoice in the parcel", "revision": "1"},
    )
    current = TaxAssessment.objects.get(declaration_id=declaration.pk, is_current=True)
    assert current.reason == "revaluation"
    assert "revaluation_pending" not in _release_refusals(declaration.pk, officer)


def test_the_revalue_form_acts_for_the_holder_only_and_on_the_revision_seen(
    client, customs_user, operator_b
):
    declaration = submit(operator_b.operator, [border_body("UNDER-2", value="100.00")])[0]
    Declaration.objects.filter(pk=declaration.pk).update(channel="yellow", status=Status.INSPECTION)
    holder, other = customs_user("supervisor"), customs_user("officer")
    lifecycle.claim(declaration_id=declaration.pk, user=holder)
    url = reverse("revenue:revalue", args=[declaration.pk])
    client.force_login(other)
    answer = client.post(url, {"line_1": "500.00", "reason": "x", "revision": "1"}, follow=True)
    assert "Another officer holds this consignment" in answer.content.decode()
    assert not TaxAssessment.objects.filter(
        declaration_id=declaration.pk, reason="revaluation"
    ).exists()
    client.force_login(holder)
    answer = client.post(url, {"line_1": "500.00", "reason": "x", "revision": "7"}, follow=True)
    assert "amended since you opened it" in answer.content.decode()
    client.post(url, {"line_1": "500.00", "reason": "x", "revision": "1"})
    assert TaxAssessment.objects.filter(
        declaration_id=declaration.pk, reason="revaluation"
    ).exists()
