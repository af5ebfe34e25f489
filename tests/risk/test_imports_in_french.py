"""The reference values and watchlist imports in French: the row errors of a refused file, the
reason a published list is refused and the column headers read French on a French page, and
English on an English one."""

from __future__ import annotations

import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

pytestmark = pytest.mark.django_db


def _text(answer) -> str:
    """The page's words without its markup."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", answer.content.decode())))


@pytest.fixture
def administrator(customs_user) -> Client:
    client = Client()
    client.force_login(customs_user("administrator"))
    return client


REFERENCE_REFUSED = (
    b"hs_code,basis,value_eur,source,as_of\n"
    b"12,per_kg,1,Comext,2026-01-01\n"
    b"610910,per_box,1e20,,2026-13-01\n"
)


def _post_reference(client: Client, content: bytes, language: str):
    return client.post(
        "/risk/reference-values/",
        {"file": SimpleUploadedFile("ref.csv", content), "reason": "ours"},
        HTTP_ACCEPT_LANGUAGE=language,
    )


def test_reference_file_row_errors_read_french_on_a_french_page(administrator):
    page = _text(_post_reference(administrator, REFERENCE_REFUSED, "fr"))
    assert "5 erreurs ; rien n'a été modifié." in page
    for french in (
        "« 12 » n'est pas un code SH à 4 ou 6 chiffres",
        "« per_box » n'est pas l'une des valeurs per_kg, per_unit",
        "« 1e20 » atteint ou dépasse mille milliards",
        "chaque valeur doit indiquer sa source",
        "« 2026-13-01 » n'est pas une date (AAAA-MM-JJ)",
    ):
        assert french in page
    assert "is not" not in page and "every value" not in page
    # The values quoted from the file are the file's, and the table's column reads French.
    assert "Code SH" in page and "le code SH Assiette" not in page


def test_reference_file_row_errors_stay_english_on_an_english_page(administrator):
    page = _text(_post_reference(administrator, REFERENCE_REFUSED, "en"))
    assert "'12' is not a 4- or 6-digit HS code" in page
    assert "'1e20' is a thousand billion or more" in page
    assert "every value needs its source" in page


def test_reference_file_header_errors_read_french(administrator):
    page = _text(_post_reference(administrator, b"hs_code,basis,colour\n", "fr"))
    assert "value_eur colonne manquante" in page
    assert "colour colonne inconnue ; colonnes attendues : hs_code, basis" in page


@pytest.mark.usefixtures("csv_default_field_limit")
def test_a_reference_cell_over_the_csv_limit_reads_french(administrator):
    content = (
        b"hs_code,basis,value_eur,source,as_of\n610910,per_kg,3,Comext,2023-12-31\n"
        b'610910,per_kg,3,"' + b"x" * 200_000 + b'"\n'
    )
    page = _text(_post_reference(administrator, content, "fr"))
    assert (
        "le fichier ne peut pas être lu ici : cellule plus longue que la limite du lecteur CSV "
        "(131072 caractères)"
    ) in page
    assert "field larger" not in page


def test_watchlist_csv_row_errors_read_french_on_a_french_page(administrator):
    content = (
        b"name,aliases,country,list\n"
        b",alias,FR,national\n"
        b"Good Name,,FRA,national\n"
        b"!!!,,,national\n"
        b"Other Name,,," + b"l" * 61 + b"\n"
        b"a,b,c,d,e\n"
    )
    answer = administrator.post(
        "/risk/watchlist/",
        {"file": SimpleUploadedFile("list.csv", content), "reason": "import"},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    page = _text(answer)
    assert "5 erreurs ; rien n'a été importé." in page
    for french in (
        "2 name un nom est obligatoire",
        "3 country « FRA » n'est pas un code à 2 lettres",
        "4 name le nom n'a ni lettre ni chiffre à comparer",
        "5 list 60 caractères au plus",
        "6 plus de champs que de colonnes dans l'en-tête",
    ):
        assert french in page
    assert "required" not in page and "at most" not in page
    # What the import returns stays English (with its message id) for any other caller.
    assert (2, "name", "a name is required") in answer.context["errors"]


def test_watchlist_csv_header_errors_read_french(administrator):
    page = _text(
        administrator.post(
            "/risk/watchlist/",
            {"file": SimpleUploadedFile("list.csv", b"alias,colour\nx,y\n"), "reason": "import"},
            HTTP_ACCEPT_LANGUAGE="fr",
        )
    )
    assert "name l'en-tête doit avoir une colonne « name »" in page
    assert "colour colonne inconnue ; colonnes attendues : name, aliases" in page


def test_an_empty_watchlist_file_reads_french(administrator):
    page = _text(
        administrator.post(
            "/risk/watchlist/",
            {"file": SimpleUploadedFile("list.csv", b"name,country\n"), "reason": "import"},
            HTTP_ACCEPT_LANGUAGE="fr",
        )
    )
    assert "le fichier n'a aucune ligne" in page


@pytest.mark.parametrize(
    ("fmt", "content", "french"),
    [
        ("eu_xml", b"<export><sanctionEntity", "XML mal formé : "),
        (
            "un_xml",
            b"<export/>",
            "l'élément racine est <export>, <CONSOLIDATED_LIST> était attendu",
        ),
        ("eu_xml", b'<export generationDate="2026-11-20"/>', "le fichier ne liste aucune partie"),
    ],
)
def test_a_refused_published_list_says_why_in_french(administrator, fmt, content, french):
    answer = administrator.post(
        "/risk/watchlist/published/",
        {
            "format": fmt,
            "list_name": "eu-fsf",
            "reason": "published list",
            "file": SimpleUploadedFile("list.xml", content, content_type="application/xml"),
        },
        HTTP_ACCEPT_LANGUAGE="fr",
        follow=True,
    )
    page = _text(answer)
    assert "Rien n'a été importé" in page and french in page
    assert "not well-formed" not in page and "root element" not in page


def test_watchlist_page_headers_read_french(administrator):
    page = _text(administrator.get("/risk/watchlist/", HTTP_ACCEPT_LANGUAGE="fr"))
    # The number of entries of a list, not ledger entries ("Écritures").
    assert "Liste Entrées" in page and "Écritures" not in page


def test_a_followthemoney_file_that_is_not_utf8_is_refused_not_a_server_error(administrator):
    answer = administrator.post(
        "/risk/watchlist/published/",
        {
            "format": "ftm",
            "list_name": "opensanctions",
            "reason": "published list",
            "file": SimpleUploadedFile("entities.json", '{"id": "é"}\n'.encode("latin-1")),
        },
        HTTP_ACCEPT_LANGUAGE="fr",
        follow=True,
    )
    assert answer.status_code == 200
    assert "Rien n'a été importé : le fichier n'est pas du texte UTF-8" in _text(answer)


def test_a_published_list_form_error_reads_french(administrator):
    answer = administrator.post(
        "/risk/watchlist/published/",
        {"format": "ftm", "list_name": "not a slug", "reason": "published list"},
        HTTP_ACCEPT_LANGUAGE="fr",
        follow=True,
    )
    page = _text(answer)
    assert "Liste : " in page and "Fichier tel que publié : Ce champ est obligatoire." in page
