"""The reconciliation page's column that shows `assessed` says what it holds: everything the
scheme return carries (VAT, and duty or fees where the regime's return carries them), not only
VAT. The CSV export keeps its column names (a machine export)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _headers(client, **extra) -> list[str]:
    page = client.get(reverse("revenue:reconciliation"), **extra).content.decode()
    table = page.split('<table id="reconciliation">')[1]
    return re.findall(r"<th[^>]*>([^<]*)</th>", table)


def test_the_assessed_column_is_headed_by_what_it_holds(client, customs_user):
    client.force_login(customs_user("supervisor"))
    english = _headers(client)
    assert english[4:7] == ["Declared", "Carried by the scheme return", "Difference"]
    assert "VAT in the scheme return" not in english
    french = _headers(client, HTTP_ACCEPT_LANGUAGE="fr")
    assert french[4:7] == ["Déclaré", "Porté par la déclaration du régime", "Différence"]
    assert "TVA dans la déclaration du régime" not in french


def test_the_csv_keeps_its_column_names(client, customs_user):
    client.force_login(customs_user("supervisor"))
    response = client.get(reverse("revenue:reconciliation"), {"format": "csv"})
    header = next(csv.reader(io.StringIO(response.content.decode())))
    assert header[4:7] == ["declarations", "declared", "assessed"]
    assert "vat_scheme_return" in header
