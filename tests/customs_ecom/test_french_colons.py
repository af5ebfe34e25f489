"""A label followed by a colon that code or a template adds read "Statut: Suspendu" in French:
French puts a non-breaking space before the colon ("Statut : Suspendu"), which the catalogues'
own sentences did but the colons written outside them did not. English is unchanged."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

from customs_ecom.platform.templatetags.human import colon, readable

ROOT = Path(__file__).resolve().parents[2]
NBSP = "\u00a0"


def test_a_label_and_its_colon_in_each_language():
    with translation.override("en"):
        assert colon("Status") == "Status:"
        assert readable({"status": "suspended"}) == "Status: Suspended"
    with translation.override("fr"):
        assert colon("Statut") == f"Statut{NBSP}:"
        assert readable({"status": "suspended"}) == f"Statut{NBSP}: Suspendu"


# A translated label, a code read as a word or a label, then a colon written outside the
# translation: the colon would read as English typography on a French page.
_BARE_COLON = re.compile(
    r'\{% trans(late)? "[^"]*" %\}\s?:|\|(word|label) \}\}\s?:|</strong>: |\}\}: \{\{ [^}]*\|'
)


def test_no_template_writes_a_colon_after_a_label_itself():
    found = []
    for template in (ROOT / "templates").rglob("*.html"):
        for number, line in enumerate(template.read_text(encoding="utf-8").splitlines(), 1):
            for match in _BARE_COLON.finditer(line):
                found.append(f"{template.relative_to(ROOT)}:{number}: {match.group(0)}")
    assert not found, found


@pytest.mark.django_db
def test_the_estimate_page_in_french(client):
    data = {
        "destination": "FR",
        "origin_country": "CN",
        "currency": "EUR",
        "shipping_cost": "0",
        "transport": "express",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-0-quantity": "1",
        "items-0-hs_code": "610910",
        "items-0-value": "20",
    }
    french = client.post(
        reverse("revenue:estimate"), data, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert f"Vous paieriez à la livraison{NBSP}: <span" in french
    assert f"Règles{NBSP}: " in french
    english = client.post(reverse("revenue:estimate"), data, HTTP_HX_REQUEST="true")
    assert "You would pay on delivery: <span" in english.content.decode()


@pytest.mark.django_db
def test_a_refused_export_names_its_field_in_french(client, customs_user):
    client.force_login(customs_user("supervisor"))
    url = reverse("dashboard_export", args=["volume_by_day"])
    french = client.get(url, {"start": "not a day"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert french.status_code == 400
    label, _, reason = french.content.decode().partition(f"{NBSP}: ")
    assert label and reason and ":" not in label, french.content.decode()
    english = client.get(url, {"start": "not a day"}).content.decode()
    assert NBSP not in english and ": " in english
