"""An officer's note sent twice from the same page (a double click, a browser resending the form)
is recorded once; the same words written again from a page that showed the first note are a new
note, and so is another officer's."""

import re

import pytest
from django.urls import reverse

from customs_ecom.platform.models import AuditEvent
from declarations.models import OfficerNote
from declarations.services import declarations_submit

pytestmark = pytest.mark.django_db


def _notes_seen(client, pk: int) -> str:
    page = client.get(reverse("declarations:consignment", args=[pk])).content.decode()
    form = page[page.index('id="note-form"') :]
    return re.search(r'name="notes_seen" value="(\d+)"', form).group(1)


def test_the_same_note_sent_twice_is_recorded_once(
    client, operator_a, example, customs_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        (outcome,) = declarations_submit(operator=operator_a.operator, bodies=[example])
    pk = outcome.declaration.pk
    url = reverse("declarations:consignment_action", args=[pk, "note"])
    client.force_login(customs_user("officer"))
    form = {"text": "Seller known for replicas", "notes_seen": _notes_seen(client, pk)}
    assert form["notes_seen"] == "0"
    client.post(url, form)
    again = client.post(url, form, follow=True).content.decode()
    assert OfficerNote.objects.filter(declaration_id=pk).count() == 1
    assert "This note was already added" in again
    assert AuditEvent.objects.filter(action="declaration.note", object_id=str(pk)).count() == 1
    # Read again, the same words are a second note on purpose.
    client.post(url, {**form, "notes_seen": _notes_seen(client, pk)})
    assert OfficerNote.objects.filter(declaration_id=pk).count() == 2
    # Another officer writing the same words from an older page is not the first one's repeat.
    client.force_login(customs_user("supervisor"))
    client.post(url, form)
    assert OfficerNote.objects.filter(declaration_id=pk).count() == 3
    # A form without the hidden field (a script) adds its note, as before.
    client.post(url, {"text": "Seller known for replicas"})
    assert OfficerNote.objects.filter(declaration_id=pk).count() == 4
