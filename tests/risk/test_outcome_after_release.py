"""An inspection outcome is checked on the consignment as it is when it is recorded, under its
row lock: goods released since the officer opened the page get no finding (and no case)."""

import pytest
from django.urls import reverse

from declarations.models import Case, Declaration, Status
from declarations.services import declarations_submit
from risk.models import InspectionOutcome
from tests.lifecycle_helpers import release_cleared

pytestmark = pytest.mark.django_db


def test_an_outcome_posted_after_the_release_is_refused(
    client, operator_a, example, customs_user, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        (outcome,) = declarations_submit(operator=operator_a.operator, bodies=[example])
    pk = outcome.declaration.pk
    as_read = Declaration.objects.get(pk=pk)  # the officer's page, before the release
    assert as_read.status == Status.ASSESSED
    release_cleared(pk)  # the goods leave meanwhile (arrival, every guard)
    # The view's first look at the consignment is the page's: still assessed.
    monkeypatch.setattr("risk.views.get_object_or_404", lambda *args, **kwargs: as_read)
    client.force_login(customs_user("officer"))
    response = client.post(
        reverse("risk:outcome_create", args=[pk]),
        {"result": "counterfeit", "note": "fake", "revision": as_read.revision, "outcome_seen": 0},
        follow=True,
    )
    assert "No control is possible in status Released." in response.content.decode()
    assert not InspectionOutcome.objects.filter(declaration_id=pk).exists()
    assert not Case.objects.filter(declaration_id=pk).exists()
    assert Declaration.objects.get(pk=pk).status == Status.RELEASED
