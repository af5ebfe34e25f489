"""A bulk decision names the revision of each consignment the officer read on the list, as the
consignment page does: one amended since (goods nobody read) is refused, not decided on."""

import pytest
from django.urls import reverse

from declarations.models import Declaration, Status
from declarations.services import declaration_amend, declarations_submit
from tests.lifecycle_helpers import arrive, pay_at_border, request_documents, with_description

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(operator_a, example, customs_user, django_capture_on_commit_callbacks):
    """A green consignment on which an officer asked for documents, arrived: it waits for the
    officer's decision."""
    body = dict(example, lrn="BULK-STALE-1")
    with django_capture_on_commit_callbacks(execute=True):
        (outcome,) = declarations_submit(operator=operator_a.operator, bodies=[body])
    pk = outcome.declaration.pk
    officer = customs_user("officer")
    request_documents(pk, officer)
    pay_at_border(pk)
    arrive(pk)
    assert Declaration.objects.get(pk=pk).status == Status.DOCUMENTS_REQUESTED
    return pk, officer, body


def _amend(operator_a, pk, body, capture):
    with capture(execute=True):
        status, _declaration, problems = declaration_amend(
            operator=operator_a.operator,
            declaration_id=pk,
            body=with_description(body, body["items"][0]["description"] + ", in blue"),
        )
    assert status == 200 and not problems, problems
    pay_at_border(pk)


def test_the_list_sends_the_revision_each_row_shows(client, waiting):
    pk, officer, _body = waiting
    client.force_login(officer)
    html = client.get(reverse("declarations:consignments")).content.decode()
    assert f'name="revision_{pk}" value="1"' in html


def test_a_bulk_release_of_a_consignment_amended_since_the_list_is_refused(
    client, operator_a, waiting, django_capture_on_commit_callbacks
):
    pk, officer, body = waiting
    client.force_login(officer)
    client.get(reverse("declarations:consignments"))  # the officer reads revision 1
    _amend(operator_a, pk, body, django_capture_on_commit_callbacks)
    # Reassessed, it waits for the officer who holds it.
    declaration = Declaration.objects.get(pk=pk)
    assert declaration.revision == 2 and declaration.status == Status.ASSESSED
    url = reverse("declarations:bulk_action", args=["release"])
    form = {"ids": [pk], "reason": "documents seen", "confirm": "on"}
    response = client.post(url, {**form, f"revision_{pk}": "1"}, follow=True)
    assert Declaration.objects.get(pk=pk).status == Status.ASSESSED
    assert "amended since you opened it" in response.content.decode()
    # Naming no revision is refused the same way: nobody decides on goods they have not read.
    response = client.post(url, form, follow=True)
    assert Declaration.objects.get(pk=pk).status == Status.ASSESSED
    assert "which revision" in response.content.decode()
    # Read again, the officer decides on what is declared now.
    client.post(url, {**form, f"revision_{pk}": "2"})
    assert Declaration.objects.get(pk=pk).status == Status.RELEASED


def test_a_bulk_request_for_documents_names_the_revision_too(
    client, operator_a, example, customs_user, django_capture_on_commit_callbacks
):
    body = dict(example, lrn="BULK-STALE-2")
    with django_capture_on_commit_callbacks(execute=True):
        (outcome,) = declarations_submit(operator=operator_a.operator, bodies=[body])
    pk = outcome.declaration.pk
    officer = customs_user("officer")
    client.force_login(officer)
    client.post(reverse("declarations:bulk_action", args=["claim"]), {"ids": [pk]})
    _amend(operator_a, pk, body, django_capture_on_commit_callbacks)
    url = reverse("declarations:bulk_action", args=["request_documents"])
    client.post(url, {"ids": [pk], "documents": ["invoice"], f"revision_{pk}": "1"})
    assert Declaration.objects.get(pk=pk).status == Status.ASSESSED
    client.post(url, {"ids": [pk], "documents": ["invoice"], f"revision_{pk}": "2"})
    assert Declaration.objects.get(pk=pk).status == Status.DOCUMENTS_REQUESTED
