"""The officer's payment form records the money once: the form says which state of the ledger the
officer read, so the same form sent twice (a double click, a browser resending it) or a payment
recorded meanwhile by someone else is refused instead of being recorded a second time."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from customs_ecom.platform.models import AuditEvent
from revenue.models import LedgerEntry
from revenue.selectors import border_balance
from tests.revenue.helpers import border_body, submit

pytestmark = pytest.mark.django_db


def _form_as_shown(client, pk: int) -> dict:
    page = client.get(reverse("revenue:ledger", args=[pk])).content.decode()
    seen = re.search(r'name="ledger_seen" value="(\d+)"', page)
    assert seen, "the payment form carries the state of the ledger it was read with"
    return {"ledger_seen": seen.group(1)}


def test_the_same_payment_form_sent_twice_records_the_money_once(client, customs_user, operator_b):
    declaration = submit(operator_b.operator, [border_body("ONCE-1")])[0]
    owed = border_balance(declaration.pk)[0]
    half = (owed / 2).quantize(Decimal("0.01"))
    client.force_login(customs_user("officer"))
    form = {
        "amount": str(half),
        "payer": "",
        "reference": "",
        **_form_as_shown(client, declaration.pk),
    }
    url = reverse("revenue:payment", args=[declaration.pk])
    client.post(url, form)
    second = client.post(url, form, follow=True).content.decode()
    assert list(
        LedgerEntry.objects.filter(declaration=declaration, kind="payment").values_list(
            "amount", flat=True
        )
    ) == [half]
    assert "The ledger changed since you opened the page" in second
    assert AuditEvent.objects.filter(action="ledger.payment").count() == 1
    # Read again, the officer records the rest.
    client.post(url, {**form, **_form_as_shown(client, declaration.pk)})
    assert LedgerEntry.objects.filter(declaration=declaration, kind="payment").count() == 2


def test_a_payment_form_that_names_no_ledger_state_is_refused(client, customs_user, operator_b):
    declaration = submit(operator_b.operator, [border_body("ONCE-2")])[0]
    owed = border_balance(declaration.pk)[0]
    client.force_login(customs_user("officer"))
    page = client.post(
        reverse("revenue:payment", args=[declaration.pk]),
        {"amount": str(owed), "reference": "receipt 7"},
        follow=True,
    ).content.decode()
    assert not LedgerEntry.objects.filter(kind="payment").exists()
    assert "which state of the ledger you read" in page
