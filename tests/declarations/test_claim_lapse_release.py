"""An officer's claim on a consignment that would leave by itself holds the automatic release,
and so does the claim once it lapsed: an expired claim lets another officer take the work, but
customs' control once started is ended by an officer (a decision, or a supervisor freeing the
claim), never by the operator reporting the arrival again, paying, or amending once the claim's
time ran out (docs/lifecycle.md, "On arrival")."""

from __future__ import annotations

import pytest
from django.utils import timezone

from declarations import lifecycle
from declarations.models import Declaration, Status
from declarations.services import declaration_amend, declarations_submit
from tests.lifecycle_helpers import arrive, pay_at_border

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(operator_a, example, customs_user, django_capture_on_commit_callbacks, settings):
    """A green consignment an officer claimed before its arrival; it arrived and waits for them."""
    with django_capture_on_commit_callbacks(execute=True):
        pk = declarations_submit(operator=operator_a.operator, bodies=[example])[0].declaration.pk
    assert Declaration.objects.get(pk=pk).channel == "green"
    officer = customs_user("officer")
    lifecycle.claim(declaration_id=pk, user=officer)
    pay_at_border(pk)
    assert arrive(pk).status == Status.ASSESSED  # the holder decides
    # The officer's claim runs out (end of shift).
    settings.CLAIM_TTL_MINUTES = 30
    Declaration.objects.filter(pk=pk).update(
        claimed_at=timezone.now() - timezone.timedelta(minutes=31)
    )
    assert lifecycle.claim_holder_id(Declaration.objects.get(pk=pk)) is None
    return pk, officer


def test_reporting_the_arrival_again_after_the_claim_lapsed_releases_nothing(held):
    pk, _officer = held
    assert arrive(pk).status == Status.ASSESSED


def test_an_amendment_after_the_claim_lapsed_is_not_released_by_its_reassessment(
    held, operator_a, example, django_capture_on_commit_callbacks
):
    pk, _officer = held
    body = dict(example)
    body["items"] = [dict(item) for item in example["items"]]
    body["items"][0]["description"] += " (corrected)"
    with django_capture_on_commit_callbacks(execute=True):
        status, _d, problems = declaration_amend(
            operator=operator_a.operator, declaration_id=pk, body=body
        )
    assert status == 200, problems
    declaration = Declaration.objects.get(pk=pk)
    assert declaration.revision == 2 and declaration.status == Status.ASSESSED


def test_an_officer_decides_or_a_supervisor_frees_the_claim(held, customs_user):
    pk, officer = held
    # Another officer may take the lapsed claim and release.
    other = customs_user("officer", "second_officer")
    lifecycle.claim(declaration_id=pk, user=other)
    lifecycle.claim_reassign(
        declaration_id=pk, to_user=None, by=customs_user("supervisor"), reason="nothing to check"
    )
    # Freed by a supervisor (audited): the automatic release goes ahead.
    assert arrive(pk).status == Status.RELEASED


def test_a_claim_taken_while_an_automatic_release_is_on_its_way_holds(
    operator_a, example, customs_user, django_capture_on_commit_callbacks
):
    """The arrival's follow-up read the consignment before an officer claimed it (no lock yet);
    the lifecycle checks the claim on the locked row and refuses the automatic release."""
    from declarations.services.arrivals import _arrival_follow_up

    with django_capture_on_commit_callbacks(execute=True):
        pk = declarations_submit(operator=operator_a.operator, bodies=[example])[0].declaration.pk
    pay_at_border(pk)
    Declaration.objects.filter(pk=pk).update(arrived_at=timezone.now())
    seen = Declaration.objects.get(pk=pk)  # what the follow-up read: unclaimed
    lifecycle.claim(declaration_id=pk, user=customs_user("officer"))
    _arrival_follow_up(seen)
    assert Declaration.objects.get(pk=pk).status == Status.ASSESSED
    with pytest.raises(lifecycle.LifecycleRefused) as refused:
        lifecycle.transition(declaration_id=pk, to_status=Status.RELEASED, action="payment")
    assert refused.value.refusals[0].code == "claimed_by_officer"
