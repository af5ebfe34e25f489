"""The inspection outcome form records one outcome: it says which outcomes of the consignment the
officer read, so the same form sent twice (a double click, a browser resending it), or an outcome
recorded meanwhile by another officer, is refused instead of counting the finding twice in hit
and seizure rates and in the learned model's training."""

import re

import pytest
from django.urls import reverse

from customs_ecom.platform.models import AuditEvent
from declarations.services import declarations_submit
from risk.models import InspectionOutcome

pytestmark = pytest.mark.django_db


def _form_as_shown(client, pk: int) -> dict:
    page = client.get(reverse("declarations:consignment", args=[pk])).content.decode()
    form = page[page.index('id="outcome-form"') :]
    return {
        "revision": re.search(r'name="revision" value="(\d+)"', form).group(1),
        "outcome_seen": re.search(r'name="outcome_seen" value="(\d+)"', form).group(1),
    }


def test_the_same_outcome_form_sent_twice_records_one_outcome(
    client, operator_a, example, customs_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        (outcome,) = declarations_submit(operator=operator_a.operator, bodies=[example])
    pk = outcome.declaration.pk
    client.force_login(customs_user("officer"))
    client.post(reverse("declarations:consignment_action", args=[pk, "claim"]), {"revision": 1})
    form = {"result": "misdescription", "note": "not as described", **_form_as_shown(client, pk)}
    url = reverse("risk:outcome_create", args=[pk])
    client.post(url, form)
    again = client.post(url, form, follow=True).content.decode()
    assert InspectionOutcome.objects.filter(declaration_id=pk).count() == 1
    assert "An inspection outcome was recorded since you opened the page" in again
    assert AuditEvent.objects.filter(action="risk.outcome", object_id=str(pk)).count() == 1
    # Read again, the officer records the next outcome.
    client.post(url, {**form, "result": "compliant", **_form_as_shown(client, pk)})
    assert list(
        InspectionOutcome.objects.filter(declaration_id=pk)
        .order_by("pk")
        .values_list("result", flat=True)
    ) == ["misdescription", "compliant"]


def test_an_outcome_that_names_no_outcome_read_is_refused(
    client, operator_a, example, customs_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        (outcome,) = declarations_submit(operator=operator_a.operator, bodies=[example])
    pk = outcome.declaration.pk
    client.force_login(customs_user("officer"))
    page = client.post(
        reverse("risk:outcome_create", args=[pk]),
        {"result": "compliant", "revision": 1},
        follow=True,
    ).content.decode()
    assert not InspectionOutcome.objects.exists()
    assert "does not say which outcomes of the consignment you read" in page
