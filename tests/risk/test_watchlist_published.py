"""Screening lists as their publishers publish them: FollowTheMoney entities (OpenSanctions), the
EU and UN consolidated lists' XML; provenance, update history, and false positives remembered
across updates."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from customs_ecom.platform.models import AuditEvent
from risk.lexicons import DATA_DIR
from risk.models import WatchlistEntry, WatchlistFalsePositive, WatchlistUpdate
from risk.services.watchlists import watchlist_false_positive_create, watchlist_index
from risk.watchlist_formats import ListFormatError, parse_list
from risk.watchlist_import import watchlist_import_published
from risk.watchlist_withdrawals import watchlist_withdrawal_confirm

SAMPLES = DATA_DIR / "watchlist_samples"
FTM = (SAMPLES / "opensanctions_sample.ftm.json").read_text(encoding="utf-8")
EU = (SAMPLES / "eu_consolidated_sample.xml").read_bytes()
UN = (SAMPLES / "un_consolidated_sample.xml").read_bytes()


@pytest.fixture(autouse=True)
def _fresh_watchlist_index():
    """The process's screening index is keyed on a generation counter kept in the cache, which
    every test clears: without this, an index built by an earlier test with the same counter and
    within its recheck interval would be read here."""
    from risk.apps import forget_process_caches

    forget_process_caches()
    yield
    forget_process_caches()


# --- parsers (pure) -------------------------------------------------------------------------------


def test_ftm_entities_become_parties_with_aliases_country_and_identifiers():
    parsed = parse_list("ftm", FTM)
    assert [p.external_id for p in parsed.parties] == [
        "corpus-ftm-0001", "corpus-ftm-0002", "corpus-ftm-0003", "corpus-ftm-0004",
    ]  # fmt: skip
    assert parsed.skipped == 1  # the vessel is not a party of a consignment
    company = parsed.parties[0]
    assert company.name == "Northern Lights Dual-Use Trading LLC"
    assert company.aliases == ("Severnoye Siyaniye Trading",)
    assert company.country == "RU"
    assert set(company.identifiers) == {"1027700000017", "7700000017"}
    assert "sanction" in company.reason
    assert "Виктор Самплов" in parsed.parties[1].aliases
    assert parsed.publisher_date == "2026-11-02T00:00:00"


def test_eu_xml_sanction_entities_with_names_country_and_identification():
    parsed = parse_list("eu_xml", EU)
    first = parsed.parties[0]
    assert (first.external_id, first.name, first.country) == (
        "900101", "Baltic Precision Components OOO", "RU",
    )  # fmt: skip
    assert first.aliases == ("Baltiyskie Tochnye Komponenty",)
    assert first.identifiers == ("1147800000001",)
    assert first.reason == "EU EU.9001.01 RUS"
    assert parsed.parties[1].country == "BY"
    assert parsed.publisher_date.startswith("2026-11-20")


def test_un_xml_individuals_and_entities_with_countries_named_in_english():
    parsed = parse_list("un_xml", UN)
    by_id = {p.external_id: p for p in parsed.parties}
    assert by_id["9900001"].name == "KIM SAMPLE HO" and by_id["9900001"].country == "KP"
    assert by_id["9900001"].identifiers == ("P900000001",)
    assert by_id["9900002"].aliases == ("Koryo Sample Trading",)
    assert by_id["9900003"].country == "YE"
    assert by_id["9900003"].reason == "UN Al-Qaida QDe.900"


@pytest.mark.parametrize(
    ("fmt", "content", "message"),
    [
        ("ftm", '{"id": "x", "schema": "NoSuchSchema"}', "line 1"),
        ("eu_xml", b"<export><sanctionEntity", "not well-formed"),
        ("un_xml", EU, "expected <CONSOLIDATED_LIST>"),
        ("un_xml", b'<!DOCTYPE x [<!ENTITY a "aaaa">]><CONSOLIDATED_LIST>&a;</CONSOLIDATED_LIST>',
         "refused"),
        ("pdf", b"", "unknown format"),
    ],
)  # fmt: skip
def test_files_not_in_the_announced_format_are_refused(fmt, content, message):
    with pytest.raises(ListFormatError, match=message):
        parse_list(fmt, content)


# --- updates on the database ----------------------------------------------------------------------


@pytest.mark.django_db
def test_update_keeps_rows_and_false_positives_changes_withdraws_and_records_history(
    customs_user, django_capture_on_commit_callbacks
):
    analyst = customs_user("risk_analyst")
    first = watchlist_import_published(
        content=FTM, fmt="ftm", list_name="opensanctions", actor=analyst, reason="initial load",
        source_url="https://example.org/entities.ftm.json",
    )  # fmt: skip
    assert (first.added, first.changed, first.unchanged, first.withdrawn) == (4, 0, 0, 0)
    company = WatchlistEntry.objects.get(list_name="opensanctions", external_id="corpus-ftm-0001")
    assert company.source == "ftm"
    cleared = watchlist_false_positive_create(
        entry_id=company.pk, party_key="northern lights trading|FI", actor=analyst,
        reason="Finnish namesake",
    )  # fmt: skip

    # The next publication: one party renamed (alias added), one delisted, one new.
    lines = [json.loads(line) for line in FTM.splitlines()]
    lines[0]["properties"]["alias"].append("NL Dual Use Trading")
    del lines[2]
    lines.append({"id": "corpus-ftm-0006", "schema": "Person",
                  "properties": {"name": ["Newly Listed Person"], "nationality": ["ir"]},
                  "datasets": ["sample_sanctions"], "last_change": "2026-11-24T00:00:00"})  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):  # every process learns of the change
        second = watchlist_import_published(
            content="\n".join(json.dumps(line) for line in lines), fmt="ftm",
            list_name="opensanctions", actor=analyst, reason="weekly update",
        )  # fmt: skip
    assert (second.added, second.changed, second.unchanged, second.withdrawn) == (1, 1, 2, 1)
    company.refresh_from_db()
    assert "NL Dual Use Trading" in company.aliases and company.is_active
    assert WatchlistFalsePositive.objects.get(pk=cleared.pk).entry_id == company.pk  # remembered
    # The delisted party is withdrawn once a second person confirms (test_watchlist_withdrawals).
    delisted = WatchlistEntry.objects.get(external_id="corpus-ftm-0003")
    assert delisted.is_active
    with django_capture_on_commit_callbacks(execute=True):
        watchlist_withdrawal_confirm(
            withdrawal_id=second.withdrawal.pk, actor=customs_user("supervisor"), reason="delisted"
        )
    delisted.refresh_from_db()
    assert not delisted.is_active
    assert "Example Liberation Front" not in {e.name for e in watchlist_index().entries}

    # Relisted later (a publication of a later date): the same row comes back.
    relisted = [json.loads(line) for line in FTM.splitlines()]
    for line in relisted:
        line["last_change"] = "2026-11-24T00:00:00"
    third = watchlist_import_published(
        content="\n".join(json.dumps(line) for line in relisted), fmt="ftm",
        list_name="opensanctions", actor=analyst,
    )  # fmt: skip
    # Proposed for withdrawal: the party no longer listed, and the company's row as it was (this
    # publication drops its alias "NL Dual Use Trading": a new row carries the new content, the
    # old one keeps matching until a second person confirms; test_watchlist_weakening).
    assert third.withdrawn == 2 and third.changed >= 2
    assert WatchlistEntry.objects.get(external_id="corpus-ftm-0003").is_active
    assert WatchlistEntry.objects.filter(list_name="opensanctions").count() == 6
    assert {e["external_id"] for e in third.withdrawal.entries} == {
        "corpus-ftm-0001", "corpus-ftm-0006",
    }  # fmt: skip

    history = list(WatchlistUpdate.objects.order_by("imported_at", "id"))
    assert [u.reason for u in history][:2] == ["initial load", "weekly update"]
    assert history[0].source_url == "https://example.org/entities.ftm.json"
    assert len(history[0].sha256) == 64 and history[0].publisher_date == "2026-11-02T00:00:00"
    assert AuditEvent.objects.filter(action="watchlist.update").count() == 3


@pytest.mark.django_db
def test_refused_file_changes_nothing(customs_user):
    with pytest.raises(ListFormatError):
        watchlist_import_published(content=b"<nope/>", fmt="eu_xml", list_name="eu",
                                   actor=customs_user("risk_analyst"))  # fmt: skip
    assert not WatchlistEntry.objects.exists() and not WatchlistUpdate.objects.exists()


@pytest.mark.django_db
def test_analyst_loads_eu_and_un_lists_on_the_watchlist_page_and_sees_the_history(
    customs_user, django_capture_on_commit_callbacks
):
    client = Client()
    client.force_login(customs_user("risk_analyst"))
    for fmt, name, content in (("eu_xml", "eu-fsf", EU), ("un_xml", "un-sc", UN)):
        with django_capture_on_commit_callbacks(execute=True):
            answer = client.post(
            "/risk/watchlist/published/",
            {"format": fmt, "list_name": name, "reason": "published list",
             "file": SimpleUploadedFile(f"{name}.xml", content, content_type="application/xml")},
        )  # fmt: skip
        assert answer.status_code == 302
    assert WatchlistEntry.objects.filter(list_name="eu-fsf", is_active=True).count() == 3
    assert WatchlistEntry.objects.filter(list_name="un-sc", is_active=True).count() == 3
    page = client.get("/risk/watchlist/").content.decode()
    assert 'id="updates-table"' in page and "eu-fsf" in page and "un-sc" in page
    # Screening finds a listed enterprise under a variant spelling.
    matches = watchlist_index().match("Baltic Precision Components", country="RU")
    assert matches and matches[0].matched_name == "Baltic Precision Components OOO"


@pytest.mark.django_db
def test_officer_cannot_load_a_list(customs_user):
    client = Client()
    client.force_login(customs_user("officer"))
    answer = client.post("/risk/watchlist/published/", {"format": "eu_xml", "list_name": "eu"})
    assert answer.status_code == 403


def test_an_entry_changed_in_place_is_screened_as_changed_by_every_process(
    customs_user, monkeypatch
):
    """Another process learns of a change through the cache's generation counter, or, where the
    cache is its own (no shared cache), by looking at the table every few seconds: an entry an
    update changed in place (a new alias) kept its number and id, and that process screened
    with the old names until it restarted."""
    from risk.services import watchlists

    watchlist_import_published(
        content=FTM, fmt="ftm", list_name="opensanctions", actor=customs_user("risk_analyst")
    )
    assert watchlist_index().match("Quartz Meridian Holdings") == []
    entry = WatchlistEntry.objects.filter(is_active=True).order_by("pk").first()
    # What an update in another process did: the row changed, this process's counter did not.
    WatchlistEntry.objects.filter(pk=entry.pk).update(
        aliases=[*entry.aliases, "Quartz Meridian Holdings"],
        updated_at=entry.updated_at.replace(year=entry.updated_at.year + 1),
    )
    monkeypatch.setitem(watchlists._watchlist_cache, "checked", -1e9)
    matches = watchlist_index().match("Quartz Meridian Holdings")
    assert [m.entry_id for m in matches] == [str(entry.pk)]
