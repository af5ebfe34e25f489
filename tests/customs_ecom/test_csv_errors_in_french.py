"""A row the csv module cannot read, for another reason than an over-long cell (a carriage
return inside a cell without quotes, the usual one), reads as a sentence of ours in the page's
language on every CSV import page: the pages put the csv module's English ("new-line character
seen in unquoted field - do you need to open the file in universal-newline mode?") inside a
French sentence."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from declarations.messages import csv_reason, render
from declarations.models import ExchangeRate, ImportJob
from revenue.models import Regime, TaxSchemeRegistration
from risk.models import ReferenceValue, WatchlistEntry

pytestmark = pytest.mark.django_db
MODULE = "new-line character seen in unquoted field"
FRENCH = "un saut de ligne (retour chariot) dans une cellule qui n'est pas entre guillemets droits"
ENGLISH = "a line break (carriage return) inside a cell that is not in double quotes"


def _text(content: bytes | str) -> str:
    text = content.decode() if isinstance(content, bytes) else content
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)))


def _file(content: str, name: str = "file.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode(), content_type="text/csv")


@pytest.fixture
def administrator(customs_user) -> Client:
    client = Client()
    client.force_login(customs_user("administrator"))
    return client


@pytest.mark.parametrize("language", ["fr", "en"])
def test_reference_values_page(administrator, language):
    before = ReferenceValue.objects.count()
    page = _text(
        administrator.post(
            "/risk/reference-values/",
            {
                "file": _file(
                    "hs_code,basis,value_eur,source,as_of\n"
                    "610910,per_kg,3,Comext,2023-12-31\n610910,per_kg,3,Com\rext,2023-12-31\n"
                ),
                "reason": "ours",
            },
            HTTP_ACCEPT_LANGUAGE=language,
        ).content
    )
    expected = {
        "fr": f"le fichier ne peut pas être lu ici : {FRENCH}",
        "en": f"the file cannot be read here: {ENGLISH}",
    }[language]
    assert expected in page and MODULE not in page
    assert ReferenceValue.objects.count() == before


def test_watchlist_page(administrator):
    page = _text(
        administrator.post(
            "/risk/watchlist/",
            {
                "file": _file("name,country\nJohn Smith,GB\nJane\rDoe,GB\n"),
                "reason": "import",
            },
            HTTP_ACCEPT_LANGUAGE="fr",
        ).content
    )
    assert f"3 le fichier ne peut pas être lu ici : {FRENCH}" in page and MODULE not in page
    assert not WatchlistEntry.objects.exists()


def test_file_import_page(
    customs_user, operator_a, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    client = Client()
    client.force_login(customs_user("officer"))
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            "/imports/",
            {
                "operator": operator_a.operator.pk,
                "file": _file("lrn,seller_name\nA1,Shop\nA2,Sh\rop\n", "orders.csv"),
            },
        )
    assert answer.status_code == 302, answer.content
    job = ImportJob.objects.get(pk=int(answer["Location"].rstrip("/").split("/")[-1]))
    job.refresh_from_db()
    assert job.message == f"the CSV file cannot be read at line 3: {ENGLISH}"
    page = _text(client.get(f"/imports/{job.pk}/", HTTP_ACCEPT_LANGUAGE="fr").content)
    assert f"le fichier CSV ne peut pas être lu à la ligne 3 : {FRENCH}" in page
    assert MODULE not in page


def test_exchange_rates_upload(client):
    admin = get_user_model().objects.create_superuser("root", password="pw-for-tests-1")
    client.force_login(admin)
    page = _text(
        client.post(
            "/admin/declarations/exchangerate/upload/",
            {
                "csv_file": _file(
                    "currency,valid_from,units_per_eur\nUSD,2026-12-01,1.1\nGBP,2026-12\r-01,1\n"
                ),
                "reason": "mensuel",
            },
            HTTP_ACCEPT_LANGUAGE="fr",
        ).content
    )
    assert f"le fichier ne peut pas être lu ici : {FRENCH}" in page and MODULE not in page
    assert not ExchangeRate.objects.exists()


def test_tariff_import_page(administrator):
    regime = (
        Regime.objects.filter(jurisdiction="FR", valid_from__lte=timezone.localdate())
        .order_by("-valid_from", "-version")
        .first()
    )
    answer = administrator.post(
        reverse("revenue:regime_import", args=[regime.pk]),
        {
            "file": _file("hs_prefix,rate\n6109,5%\n6110,4\r%\n", "tariff.csv"),
            "effective_from": (timezone.localdate() + timedelta(days=1)).isoformat(),
            "reason": "TARIC extract",
        },
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert answer.status_code == 422
    page = _text(answer.content)
    assert f"Le fichier ne peut pas être lu ici : {FRENCH}" in page and MODULE not in page
    assert Regime.objects.filter(code=regime.code).count() == 1


def test_registry_import_page(administrator):
    page = _text(
        administrator.post(
            reverse("revenue:tax_schemes"),
            {
                "file": _file(
                    "scheme,number,valid_from\nIOSS,IM2760000001,2026-01-01\n"
                    "IOSS,IM27600\r00002,2026-01-01\n",
                    "registry.csv",
                ),
                "reason": "list of the month",
            },
            HTTP_ACCEPT_LANGUAGE="fr",
        ).content
    )
    assert f"Le fichier ne peut pas être lu ici : {FRENCH}" in page and MODULE not in page
    assert not TaxSchemeRegistration.objects.exists()


@pytest.mark.parametrize(
    ("reason", "english"),
    [
        ("line contains NUL", "the line contains a NUL character: is the file text?"),
        (
            "unexpected end of data",
            "the file ends inside a cell opened by a double quote that is not closed",
        ),
        (
            "',' expected after '\"'",
            "this line cannot be read as CSV (check its double quotes, separators and line breaks)",
        ),
    ],
)
def test_every_other_csv_error_is_a_sentence_of_ours_in_both_languages(reason, english):
    from django.utils import translation

    message = csv_reason(reason)
    assert message == english
    with translation.override("fr"):
        french = render(message, translation.gettext)
    assert french != english and reason not in french
