"""An update of a published list never weakens an entry with one person alone: when it keeps a
party's publisher id but drops one of its names or identifiers (or changes its country), the new
content applies at once while the old entry keeps matching until a second person confirms its
withdrawal; a pure addition still applies in place at once."""

from __future__ import annotations

import json

import pytest

from customs_ecom.platform.models import AuditEvent
from customs_ecom.platform.templatetags.human import LABELS
from risk.lexicons import DATA_DIR
from risk.models import WatchlistEntry, WatchlistFalsePositive, WatchlistWithdrawal
from risk.services.watchlists import watchlist_false_positive_create, watchlist_index
from risk.watchlist_import import watchlist_import_published
from risk.watchlist_withdrawals import (
    WithdrawalRefused,
    watchlist_withdrawal_confirm,
    watchlist_withdrawal_reject,
)

pytestmark = pytest.mark.django_db

FTM = (DATA_DIR / "watchlist_samples" / "opensanctions_sample.ftm.json").read_text(encoding="utf-8")
ALIAS = "Severnoye Siyaniye Trading"
TAX = "7700000017"


@pytest.fixture(autouse=True)
def _fresh_watchlist_index():
    from risk.apps import forget_process_caches

    forget_process_caches()
    yield
    forget_process_caches()


def publication(date: str = "2026-11-10T00:00:00", **change) -> str:
    """The sample list, dated ``date``, with the first entity's properties changed."""
    lines = [json.loads(line) for line in FTM.splitlines() if line.strip()]
    for line in lines:
        line["last_change"] = date
    lines[0]["properties"].update(change)
    for key, value in list(lines[0]["properties"].items()):
        if value is None:
            del lines[0]["properties"][key]
    return "\n".join(json.dumps(line) for line in lines)


def matched_entries(name: str = "", identifiers=()) -> set[str]:
    from risk.apps import forget_process_caches

    forget_process_caches()  # the index as the list is now (the test runs in one transaction)
    return {m.entry_id for m in watchlist_index().match(name, identifiers=identifiers)}


def test_dropping_an_alias_and_an_identifier_waits_for_a_second_person(customs_user):
    analyst = customs_user("risk_analyst")
    supervisor = customs_user("supervisor")
    watchlist_import_published(content=FTM, fmt="ftm", list_name="os", actor=analyst)
    old = WatchlistEntry.objects.get(list_name="os", external_id="corpus-ftm-0001")
    assert matched_entries(ALIAS) == {str(old.pk)}
    watchlist_false_positive_create(
        entry_id=old.pk, party_key="northern lights trading|FI", actor=analyst,
        reason="Finnish namesake",
    )  # fmt: skip
    update = watchlist_import_published(
        content=publication(alias=["NL Dual Use Trading"], taxNumber=None),
        fmt="ftm", list_name="os", actor=analyst,
    )  # fmt: skip
    old.refresh_from_db()
    # The old entry is unchanged and still matches what the update dropped ...
    assert old.is_active and ALIAS in old.aliases and TAX in old.identifiers
    assert matched_entries(ALIAS) == {str(old.pk)}
    assert str(old.pk) in matched_entries("Someone Else", identifiers=[TAX])
    # ... while the new content applies at once.
    new = WatchlistEntry.objects.get(
        list_name="os", external_id="corpus-ftm-0001", superseded_by__isnull=True
    )
    assert new.pk != old.pk and old.superseded_by_id == new.pk
    assert new.aliases == ["NL Dual Use Trading"] and TAX not in new.identifiers
    assert matched_entries("NL Dual Use Trading") == {str(new.pk)}
    assert update.changed == 1 and update.unchanged == 3 and update.withdrawn == 1
    withdrawal = update.withdrawal
    assert withdrawal.state == WatchlistWithdrawal.State.PENDING
    assert withdrawal.entries == [
        {"entry_id": old.pk, "external_id": "corpus-ftm-0001", "name": old.name, "replaced": True}
    ]
    # A party cleared on the old row stays cleared on the new one.
    assert WatchlistFalsePositive.objects.filter(
        entry=new, party_key="northern lights trading|FI", confirmed_by=None
    ).exists()
    event = AuditEvent.objects.filter(action="watchlist.update").latest("id")
    assert event.after["changed_pending"] == [{"external_id": "corpus-ftm-0001", "name": old.name}]
    assert event.after["active_entries"] == 5 and event.before["active_entries"] == 4
    assert "changed_pending" in LABELS  # reads as words on the audit page
    # The person who loaded the update cannot confirm it; a supervisor can.
    with pytest.raises(WithdrawalRefused):
        watchlist_withdrawal_confirm(withdrawal_id=withdrawal.pk, actor=analyst)
    watchlist_withdrawal_confirm(withdrawal_id=withdrawal.pk, actor=supervisor, reason="checked")
    old.refresh_from_db()
    assert not old.is_active
    assert matched_entries(ALIAS) == set()
    assert matched_entries("NL Dual Use Trading") == {str(new.pk)}


def test_a_changed_country_waits_and_a_later_update_proposes_it_again(customs_user):
    analyst = customs_user("risk_analyst")
    supervisor = customs_user("supervisor")
    watchlist_import_published(content=FTM, fmt="ftm", list_name="os", actor=analyst)
    old = WatchlistEntry.objects.get(list_name="os", external_id="corpus-ftm-0001")
    first = watchlist_import_published(
        content=publication(country=["cy"]), fmt="ftm", list_name="os", actor=analyst
    )
    assert first.withdrawn == 1
    watchlist_withdrawal_reject(withdrawal_id=first.withdrawal.pk, actor=supervisor)
    old.refresh_from_db()
    assert old.is_active and old.country == "RU"
    # A later update (the same content again) changes nothing more but proposes the old
    # entry again; a third one supersedes that proposal and proposes it once more.
    second = watchlist_import_published(
        content=publication("2026-11-12T00:00:00", country=["cy"]),
        fmt="ftm", list_name="os", actor=analyst,
    )  # fmt: skip
    assert second.changed == 0 and second.unchanged == 4
    assert [e["entry_id"] for e in second.withdrawal.entries] == [old.pk]
    third = watchlist_import_published(
        content=publication("2026-11-14T00:00:00", country=["cy"]),
        fmt="ftm", list_name="os", actor=analyst,
    )  # fmt: skip
    second.withdrawal.refresh_from_db()
    assert second.withdrawal.state == WatchlistWithdrawal.State.SUPERSEDED
    assert [e["entry_id"] for e in third.withdrawal.entries] == [old.pk]
    assert WatchlistEntry.objects.filter(external_id="corpus-ftm-0001").count() == 2


def test_a_pure_addition_still_applies_in_place(customs_user):
    analyst = customs_user("risk_analyst")
    watchlist_import_published(content=FTM, fmt="ftm", list_name="os", actor=analyst)
    old = WatchlistEntry.objects.get(list_name="os", external_id="corpus-ftm-0001")
    update = watchlist_import_published(
        content=publication(alias=[ALIAS, "NL Dual Use Trading"], vatCode=["RU-123"]),
        fmt="ftm", list_name="os", actor=analyst,
    )  # fmt: skip
    assert WatchlistEntry.objects.filter(external_id="corpus-ftm-0001").count() == 1
    old.refresh_from_db()
    assert "NL Dual Use Trading" in old.aliases and "RU-123" in old.identifiers
    assert update.changed == 1 and update.withdrawn == 0
    assert not WatchlistWithdrawal.objects.exists()


def test_a_withdrawn_party_dropped_while_pending_is_not_proposed_twice(customs_user):
    analyst = customs_user("risk_analyst")
    watchlist_import_published(content=FTM, fmt="ftm", list_name="os", actor=analyst)
    watchlist_import_published(
        content=publication(alias=[]), fmt="ftm", list_name="os", actor=analyst
    )
    lines = [json.loads(line) for line in publication("2026-11-12T00:00:00").splitlines()]
    update = watchlist_import_published(
        content="\n".join(json.dumps(line) for line in lines[1:]),
        fmt="ftm", list_name="os", actor=analyst,
    )  # fmt: skip
    # Both rows of the party no longer published are proposed, each once.
    ids = [e["entry_id"] for e in update.withdrawal.entries]
    assert sorted(ids) == sorted(
        WatchlistEntry.objects.filter(external_id="corpus-ftm-0001").values_list("pk", flat=True)
    )
    assert len(ids) == 2


def test_the_page_marks_the_old_content_in_french(customs_user):
    from django.test import Client

    analyst = customs_user("risk_analyst")
    watchlist_import_published(content=FTM, fmt="ftm", list_name="os", actor=analyst)
    watchlist_import_published(
        content=publication(taxNumber=None), fmt="ftm", list_name="os", actor=analyst
    )
    client = Client()
    client.force_login(customs_user("supervisor"))
    page = client.get("/risk/watchlist/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Ancien contenu d'une entrée toujours listée" in page
    assert "Il en va de même de l'ancien contenu" in page
    assert "Old content of an entry" not in page
