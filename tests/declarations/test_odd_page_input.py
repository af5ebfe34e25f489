"""Officers' pages answer odd input with a message or a 404, never a 500: numbers too large to
name a row, the last day of the calendar as a filter, a consignment that does not exist; a bulk
action names every id it could not act on; a released consignment has no claim to reassign."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from customs_ecom.platform.bounds import ID_MAX, as_id
from declarations.models import Declaration, Status
from declarations.services import declarations_submit

pytestmark = pytest.mark.django_db

HUGE = "9" * 25


def test_as_id_takes_only_what_can_name_a_row():
    assert as_id("42") == 42 and as_id(str(ID_MAX)) == ID_MAX
    for value in ("0", str(ID_MAX + 1), HUGE, "-1", "4.0", "٤", "", " "):
        assert as_id(value) is None, value


def test_filters_and_forms_with_numbers_out_of_range_do_not_fail(client, customs_user):
    client.force_login(customs_user("supervisor"))
    assert client.get("/consignments/", {"received_to": "9999-12-31"}).status_code == 200
    assert client.get(reverse("declarations:claims"), {"officer": HUGE}).status_code == 200
    answer = client.post(
        reverse("declarations:claim_reassign", args=[999999]), {"to": "1", "reason": "r"}
    )
    assert answer.status_code == 404
    answer = client.post(
        reverse("declarations:bulk_action", args=["release"]),
        {"ids": [HUGE], "reason": "r", "confirm": "on"},
        follow=True,
    )
    assert HUGE in answer.content.decode() and "No such consignment." in answer.content.decode()


def test_a_bulk_action_names_the_ids_that_are_no_consignment(
    client, customs_user, operator_a, example, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        (outcome,) = declarations_submit(operator=operator_a.operator, bodies=[example])
    client.force_login(customs_user("officer"))
    answer = client.post(
        reverse("declarations:bulk_action", args=["claim"]),
        {"ids": [str(outcome.declaration.pk), "987654"]},
        follow=True,
    )
    text = answer.content.decode()
    assert "987654" in text and "No such consignment." in text
    assert "987654 refused: No such consignment." in text and ".." not in text


def test_a_bulk_refusal_in_french_ends_with_one_full_stop(client, customs_user):
    client.force_login(customs_user("officer"))
    answer = client.post(
        reverse("declarations:bulk_action", args=["claim"]),
        {"ids": ["abc"]},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    text = html.unescape(answer.content.decode())
    assert "abc refusé : Envoi introuvable." in text and ".." not in text


def test_a_released_consignment_has_no_claim_to_reassign(
    client, customs_user, operator_a, example, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        (outcome,) = declarations_submit(operator=operator_a.operator, bodies=[example])
    pk = outcome.declaration.pk
    Declaration.objects.filter(pk=pk).update(status=Status.RELEASED)
    officer = customs_user("officer")
    client.force_login(customs_user("supervisor"))
    answer = client.post(
        reverse("declarations:claim_reassign", args=[pk]),
        {"to": str(officer.pk), "reason": "shift"},
        follow=True,
    )
    assert "This consignment needs no more work." in answer.content.decode()
    assert Declaration.objects.get(pk=pk).claimed_by is None


def test_a_form_refused_for_another_reason_says_which_field(client, customs_user):
    client.force_login(customs_user("officer"))
    answer = client.post(
        reverse("declarations:bulk_action", args=["request_documents"]),
        {"ids": ["1"], "documents": ["no-such-document"]},
        follow=True,
    )
    text = html.unescape(answer.content.decode())
    assert "Documents needed:" in text and "Tick at least one consignment." not in text
    answer = client.post(
        reverse("declarations:saved_view_create"),
        {"name": "From China", "query": "origin=CN\x00"},
        follow=True,
    )
    text = html.unescape(answer.content.decode())
    assert "Give the view a name" not in text and "Please correct the form" in text
