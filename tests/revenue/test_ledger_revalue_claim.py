"""The revenue page of a consignment offers the revaluation form on the rule of the consignment
page (lifecycle.claim_problem): a yellow or red consignment is revalued by the officer who holds
its claim, and only by them; the server refuses anyone else with the reason, whatever the page
showed, and records nothing."""

from __future__ import annotations

import html as html_text
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from customs_ecom.platform.models import AuditEvent
from declarations.models import Declaration
from revenue.models import TaxAssessment
from tests.revenue.helpers import border_body, submit, under_inspection

pytestmark = pytest.mark.django_db


@pytest.fixture
def red(operator_b):
    declaration = submit(operator_b.operator, [border_body("LEDGER-REVAL", value="100.00")])[0]
    under_inspection(declaration.pk)
    Declaration.objects.filter(pk=declaration.pk).update(channel="red")
    return declaration


def _revalue(client, pk):
    return client.post(
        reverse("revenue:revalue", args=[pk]),
        {"line_1": "500.00", "reason": "invoice found in the parcel", "revision": "1"},
        follow=True,
    )


def _revalued(pk) -> bool:
    return TaxAssessment.objects.filter(declaration_id=pk, reason="revaluation").exists()


def test_the_ledger_offers_the_form_only_to_the_claim_holder(client, customs_user, red):
    officer, other = customs_user("officer"), customs_user("officer", "officer-2")
    client.force_login(officer)
    page = reverse("revenue:ledger", args=[red.pk])
    form = reverse("revenue:revalue", args=[red.pk])
    html = client.get(page).content.decode()
    assert form not in html  # nobody holds it
    assert "Claim the consignment before acting on it." in html
    Declaration.objects.filter(pk=red.pk).update(claimed_by=other, claimed_at=timezone.now())
    html = client.get(page).content.decode()
    assert form not in html
    assert "Another officer holds this consignment" in html
    Declaration.objects.filter(pk=red.pk).update(claimed_by=officer)
    assert form in client.get(page).content.decode()
    # A lapsed claim is nobody's: the form goes again.
    Declaration.objects.filter(pk=red.pk).update(claimed_at=timezone.now() - timedelta(days=1))
    assert form not in client.get(page).content.decode()


def test_the_server_refuses_whoever_does_not_hold_the_claim(client, customs_user, red):
    officer, other = customs_user("officer"), customs_user("officer", "officer-2")
    client.force_login(officer)
    # Nobody holds it: refused with the reason, nothing assessed, nothing audited.
    html = _revalue(client, red.pk).content.decode()
    assert "Claim the consignment before acting on it." in html
    assert not _revalued(red.pk)
    Declaration.objects.filter(pk=red.pk).update(claimed_by=other, claimed_at=timezone.now())
    html = _revalue(client, red.pk).content.decode()
    assert "Another officer holds this consignment" in html
    assert not _revalued(red.pk)
    assert not AuditEvent.objects.filter(action="taxes.revalue").exists()
    # The holder revalues, audited under their name.
    client.force_login(other)
    assert "Reassessed" in _revalue(client, red.pk).content.decode()
    assert _revalued(red.pk)
    event = AuditEvent.objects.get(action="taxes.revalue", object_id=str(red.pk))
    assert event.actor_label == "officer-2"


def test_the_refusal_reads_in_french(client, customs_user, red):
    client.force_login(customs_user("officer"))
    html = client.get(
        reverse("revenue:ledger", args=[red.pk]), HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert reverse("revenue:revalue", args=[red.pk]) not in html
    assert "Réévaluation après inspection : Prenez l’envoi en charge avant d’agir." in (
        html_text.unescape(html)
    )


def test_the_triage_page_says_why_the_form_is_not_offered(client, customs_user, red):
    """The consignment (triage) page's decision bar follows the same rule as the ledger and says
    why, instead of leaving the officer to guess where the form went."""
    officer, other = customs_user("officer"), customs_user("officer", "officer-2")
    client.force_login(officer)
    page = reverse("declarations:consignment", args=[red.pk])
    form = reverse("revenue:revalue", args=[red.pk])
    html = html_text.unescape(client.get(page).content.decode())
    assert form not in html  # nobody holds it
    assert "Revaluation after inspection: Claim the consignment before acting on it." in html
    Declaration.objects.filter(pk=red.pk).update(claimed_by=other, claimed_at=timezone.now())
    html = html_text.unescape(client.get(page).content.decode())
    assert form not in html
    assert "Revaluation after inspection: Another officer holds this consignment" in html
    Declaration.objects.filter(pk=red.pk).update(claimed_by=officer)
    html = client.get(page).content.decode()
    assert form in html and 'id="revalue-refused"' not in html
    Declaration.objects.filter(pk=red.pk).update(claimed_by=None, claimed_at=None)
    html = html_text.unescape(client.get(page, HTTP_ACCEPT_LANGUAGE="fr").content.decode())
    assert "Réévaluation après inspection : Prenez l’envoi en charge avant d’agir." in html
