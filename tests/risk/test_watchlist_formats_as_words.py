"""A published list's format reads as words, in the reader's language: the update history's
"Format" column showed the stored codes (ftm, eu_xml, un_xml), and so did the audit log and its
export."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client

from risk.lexicons import DATA_DIR
from risk.models import WatchlistUpdate
from risk.watchlist_import import watchlist_import_published

pytestmark = pytest.mark.django_db
SAMPLES = DATA_DIR / "watchlist_samples"
FILES = {
    "ftm": (SAMPLES / "opensanctions_sample.ftm.json").read_bytes(),
    "eu_xml": (SAMPLES / "eu_consolidated_sample.xml").read_bytes(),
    "un_xml": (SAMPLES / "un_consolidated_sample.xml").read_bytes(),
}
WORDS = {
    "en": {
        "ftm": "FollowTheMoney entities (JSON lines, e.g. OpenSanctions)",
        "eu_xml": "EU consolidated financial sanctions list (XML)",
        "un_xml": "UN Security Council consolidated list (XML)",
    },
    "fr": {
        "ftm": "Entités FollowTheMoney (lignes JSON, par exemple OpenSanctions)",
        "eu_xml": "Liste consolidée des sanctions financières de l'UE (XML)",
        "un_xml": "Liste récapitulative du Conseil de sécurité des Nations unies (XML)",
    },
}


def _text(content: bytes | str) -> str:
    text = content.decode() if isinstance(content, bytes) else content
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)))


@pytest.fixture
def loaded(customs_user) -> Client:
    analyst = customs_user("risk_analyst")
    for fmt, content in FILES.items():
        watchlist_import_published(
            content=content, fmt=fmt, list_name=f"list-{fmt}", actor=analyst, reason="load"
        )
    client = Client()
    client.force_login(customs_user("administrator"))
    return client


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_update_history_names_each_format_in_words(loaded, language):
    page = loaded.get("/risk/watchlist/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    for update in WatchlistUpdate.objects.all():
        row = _text(re.search(rf"<tr id=\"update-{update.pk}\">.*?</tr>", page).group())
        assert WORDS[language][update.source] in row, row
        assert f" {update.source} " not in f" {row} "


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_audit_log_and_its_export_name_the_format_in_words(loaded, language):
    page = _text(loaded.get("/audit/", HTTP_ACCEPT_LANGUAGE=language).content)
    export = b"".join(
        loaded.get("/audit/export.csv", HTTP_ACCEPT_LANGUAGE=language).streaming_content
    ).decode()
    for fmt, words in WORDS[language].items():
        assert words in page and words in export
        assert f": {fmt}," not in page and f": {fmt}," not in export


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_upload_form_offers_the_formats_the_parsers_name(monkeypatch, language):
    """The form reads the parsers' own list of formats: the two cannot disagree."""
    from django.utils import translation

    from risk import watchlist_formats
    from risk.forms import PublishedListForm

    with translation.override(language):
        offered = {code: str(label) for code, label in PublishedListForm().fields["format"].choices}
    assert offered == WORDS[language]
    monkeypatch.setitem(watchlist_formats.FORMAT_LABELS, "new_fmt", "A new format")
    assert "new_fmt" in dict(PublishedListForm().fields["format"].choices)
