"""The reconciliation takes a month of the years 1900 to 2999 (as every officer's period): a
month at the ends of the calendar (0001-01, 9999-12), a year 0 or 10000 or no month at all is
refused with a message and every month shown, and its CSV export refused with a 400, never a
500. A month in range still filters the page and names the export."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

REFUSED = ["9999-12", "0001-01", "0000-01", "10000-01", "2026-13", "2026-1", "٢٠٢٦-01", " 2026-01"]


@pytest.fixture
def supervisor(client, customs_user):
    client.force_login(customs_user("supervisor"))
    return client


@pytest.mark.parametrize("zone", ["", "Europe/Paris", "Pacific/Kiritimati"])
@pytest.mark.parametrize("month", REFUSED)
def test_a_month_that_cannot_be_reconciled_is_refused_with_a_message(supervisor, month, zone):
    if zone:
        supervisor.cookies["officer_tz"] = zone
    page = supervisor.get(reverse("revenue:reconciliation"), {"month": month})
    assert page.status_code == 200
    text = page.content.decode()
    assert "to reconcile: give a month as YYYY-MM, from 1900-01 to 2999-12." in text
    assert "Every month is shown." in text
    assert 'name="month" type="month" value=""' in text
    export = supervisor.get(reverse("revenue:reconciliation"), {"month": month, "format": "csv"})
    assert export.status_code == 400
    assert export["Content-Type"].startswith("text/plain")
    assert "give a month as YYYY-MM" in export.content.decode()


@pytest.mark.parametrize("month", ["1900-01", "2999-12", "2026-11"])
def test_a_month_in_range_is_reconciled_and_exported(supervisor, month):
    page = supervisor.get(reverse("revenue:reconciliation"), {"month": month})
    assert page.status_code == 200
    assert "give a month as YYYY-MM" not in page.content.decode()
    assert f'value="{month}"' in page.content.decode()
    export = supervisor.get(reverse("revenue:reconciliation"), {"month": month, "format": "csv"})
    assert export.status_code == 200
    assert f'filename="reconciliation-{month}.csv"' in export["Content-Disposition"]


def test_no_month_shows_every_month_without_a_message(supervisor):
    page = supervisor.get(reverse("revenue:reconciliation"))
    assert page.status_code == 200 and "give a month" not in page.content.decode()
    assert supervisor.get(reverse("revenue:reconciliation"), {"format": "csv"}).status_code == 200


def test_the_refusal_is_in_french(supervisor):
    page = supervisor.get(
        reverse("revenue:reconciliation"), {"month": "9999-12"}, HTTP_ACCEPT_LANGUAGE="fr"
    )
    text = page.content.decode()
    assert "Il n&#x27;y a pas de mois 9999-12 à rapprocher" in text or (
        "Il n'y a pas de mois 9999-12 à rapprocher" in text
    )
    assert "Tous les mois sont affichés." in text
