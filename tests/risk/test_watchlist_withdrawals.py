"""Taking a party off a screening list takes two people: an update of a published list that no
longer lists an entry only proposes its withdrawal (the entry keeps matching) until a supervisor or
administrator who did not load the update confirms it; the audit names the entries; an older
publication than the list's latest is refused."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from customs_ecom.platform.models import AuditEvent
from customs_ecom.platform.templatetags.human import ACTION_LABELS, LABELS
from declarations.models import Declaration
from declarations.services import declarations_submit
from risk.lexicons import DATA_DIR
from risk.models import RiskHit, WatchlistEntry, WatchlistUpdate, WatchlistWithdrawal
from risk.watchlist_import import PublicationRefused, watchlist_import_published
from risk.watchlist_withdrawals import (
    WithdrawalRefused,
    watchlist_withdrawal_confirm,
    watchlist_withdrawal_reject,
)
from tests.examples import example_for

pytestmark = pytest.mark.django_db

FTM = (DATA_DIR / "watchlist_samples" / "opensanctions_sample.ftm.json").read_text(encoding="utf-8")
SELLER = "Northern Lights Dual-Use Trading LLC"


@pytest.fixture(autouse=True)
def _fresh_watchlist_index():
    """The process's screening index is keyed on a generation counter kept in the cache, which
    every test clears: without this, an index built by an earlier test with the same counter and
    within its recheck interval would be read here."""
    from risk.apps import forget_process_caches

    forget_process_caches()
    yield
    forget_process_caches()


def publication(*, drop: tuple[str, ...] = (), date: str = "2026-11-10T00:00:00") -> bytes:
    """The sample list as a later publication (dated ``date``) without the entities ``drop``."""
    lines = [json.loads(line) for line in FTM.splitlines() if line.strip()]
    kept = [line for line in lines if line.get("id") not in drop]
    for line in kept:
        line["last_change"] = date
    return "\n".join(json.dumps(line) for line in kept).encode()


def load(client: Client, content: bytes, capture, *, follow: bool = False):
    with capture(execute=True):
        return client.post(
            "/risk/watchlist/published/",
            {"format": "ftm", "list_name": "opensanctions", "reason": "weekly publication",
             "source_url": "https://data.opensanctions.org/entities.ftm.json",
             "file": SimpleUploadedFile("entities.ftm.json", content)},
            follow=follow,
        )  # fmt: skip


def consignment(operator_a, example, lrn: str, capture) -> Declaration:
    data = example_for(lrn, example)  # each parcel its own transport document
    data["seller"]["name"] = SELLER
    data["seller"]["address"]["country"] = "RU"
    data["seller"]["identifiers"] = [{"scheme": "platform_seller_id", "value": f"S-{lrn}"}]
    payment = data.get("order", {}).get("payment")
    if payment:  # the payment still matches the items
        from decimal import Decimal

        total = sum(Decimal(i["value"]) for i in data["items"]) + Decimal(
            data.get("transport_cost") or 0
        )
        total += sum(Decimal(t["amount"]) for t in data.get("self_assessed_taxes") or [])
        payment["amount"] = str(total)
    with capture(execute=True):
        outcome = declarations_submit(operator=operator_a.operator, bodies=[data])[0]
    assert outcome.status == 201, outcome.errors
    return Declaration.objects.get(pk=outcome.declaration.pk)


def watchlist_hits(declaration: Declaration) -> list[str]:
    return list(
        RiskHit.objects.filter(
            assessment__declaration=declaration, rule_code="watchlist_screening"
        ).values_list("explanation", flat=True)
    )


def login(customs_user, role: str, username: str | None = None) -> tuple[Client, object]:
    user = customs_user(role, username)
    client = Client()
    client.force_login(user)
    return client, user


def worded(value) -> bool:
    """Every key of an audit value (nested too) reads as words on the audit page."""
    if isinstance(value, dict):
        return all(k in LABELS and worded(v) for k, v in value.items())
    if isinstance(value, list):
        return all(worded(v) for v in value)
    return True


def test_one_person_cannot_take_a_party_off_the_list_a_second_person_can(
    operator_a, example, customs_user, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    analyst, analyst_user = login(customs_user, "risk_analyst")
    assert load(analyst, FTM.encode(), capture).status_code == 302
    first = consignment(operator_a, example, "NL-1", capture)
    assert first.channel == "red" and any(SELLER in h for h in watchlist_hits(first))

    # The same analyst loads a publication without the entity: a proposal, nothing withdrawn.
    answer = load(analyst, publication(drop=("corpus-ftm-0001",)), capture, follow=True)
    page = answer.content.decode()
    assert "until a supervisor or administrator other than you confirms" in page
    entry = WatchlistEntry.objects.get(list_name="opensanctions", external_id="corpus-ftm-0001")
    assert entry.is_active
    withdrawal = WatchlistWithdrawal.objects.get()
    assert withdrawal.state == WatchlistWithdrawal.State.PENDING
    assert withdrawal.proposed_by == analyst_user
    assert [(e["external_id"], e["name"]) for e in withdrawal.entries] == [
        ("corpus-ftm-0001", SELLER)
    ]
    # The next consignment from the seller still matches: still red.
    second = consignment(operator_a, example, "NL-2", capture)
    assert second.channel == "red" and any(SELLER in h for h in watchlist_hits(second))

    # The page shows the proposal (who, which entries) and offers no decision to the proposer.
    page = analyst.get("/risk/watchlist/").content.decode()
    assert f'id="withdrawal-{withdrawal.pk}"' in page and "corpus-ftm-0001" in page
    assert "risk_analyst" in page and 'value="confirm"' not in page
    # The proposer (and any analyst) is refused.
    refused = analyst.post(
        f"/risk/watchlist/withdrawals/{withdrawal.pk}/", {"decision": "confirm", "reason": "x"}
    )
    assert refused.status_code == 403
    entry.refresh_from_db()
    assert entry.is_active

    # The update's audit names the entry proposed for withdrawal, in words.
    update_event = AuditEvent.objects.filter(action="watchlist.update").latest("id")
    assert update_event.after["withdrawal_proposed"] == [
        {"external_id": "corpus-ftm-0001", "name": SELLER}
    ]
    assert update_event.before["active_entries"] == update_event.after["active_entries"] == 4
    assert update_event.actor_id == analyst_user.pk
    assert worded(update_event.before) and worded(update_event.after)

    # A supervisor confirms: the entry stops matching.
    supervisor, supervisor_user = login(customs_user, "supervisor")
    page = supervisor.get("/risk/watchlist/").content.decode()
    assert 'value="confirm"' in page and 'value="reject"' in page
    with capture(execute=True):
        answer = supervisor.post(
            f"/risk/watchlist/withdrawals/{withdrawal.pk}/",
            {"decision": "confirm", "reason": "delisted by the publisher on 10 November"},
        )
    assert answer.status_code == 302
    entry.refresh_from_db()
    withdrawal.refresh_from_db()
    assert not entry.is_active
    assert withdrawal.state == WatchlistWithdrawal.State.CONFIRMED
    assert withdrawal.decided_by == supervisor_user
    confirmed = AuditEvent.objects.get(action="watchlist.withdrawal_confirmed")
    assert confirmed.actor_id == supervisor_user.pk
    assert confirmed.before == {
        "active_entries": 4,
        "withdrawal_pending": [{"external_id": "corpus-ftm-0001", "name": SELLER}],
    }
    assert confirmed.after["active_entries"] == 3
    assert confirmed.after["withdrawn_entries"] == [
        {"external_id": "corpus-ftm-0001", "name": SELLER}
    ]
    assert confirmed.after["proposed_by"] == "risk_analyst"
    assert confirmed.after["watchlist_update"] == withdrawal.update_id
    assert worded(confirmed.before) and worded(confirmed.after)
    assert "watchlist.withdrawal_confirmed" in ACTION_LABELS
    third = consignment(operator_a, example, "NL-3", capture)
    assert not any(SELLER in h for h in watchlist_hits(third))
    # Decided once: a second decision is refused.
    with pytest.raises(WithdrawalRefused):
        watchlist_withdrawal_reject(withdrawal_id=withdrawal.pk, actor=supervisor_user)


def test_an_administrator_who_loaded_the_update_cannot_confirm_it(
    customs_user, django_capture_on_commit_callbacks
):
    admin, admin_user = login(customs_user, "administrator")
    load(admin, FTM.encode(), django_capture_on_commit_callbacks)
    load(admin, publication(drop=("corpus-ftm-0001",)), django_capture_on_commit_callbacks)
    withdrawal = WatchlistWithdrawal.objects.get()
    page = admin.get("/risk/watchlist/").content.decode()
    assert 'value="confirm"' not in page and "You loaded this update" in page
    answer = admin.post(
        f"/risk/watchlist/withdrawals/{withdrawal.pk}/",
        {"decision": "confirm", "reason": "mine"},
        follow=True,
    )
    assert "you loaded this update" in answer.content.decode()
    with pytest.raises(WithdrawalRefused):
        watchlist_withdrawal_confirm(withdrawal_id=withdrawal.pk, actor=admin_user)
    withdrawal.refresh_from_db()
    assert withdrawal.state == WatchlistWithdrawal.State.PENDING
    assert WatchlistEntry.objects.get(external_id="corpus-ftm-0001").is_active
    assert not AuditEvent.objects.filter(action__startswith="watchlist.withdrawal").exists()
    # A second administrator may.
    other = customs_user("administrator", "admin-two")
    watchlist_withdrawal_confirm(withdrawal_id=withdrawal.pk, actor=other, reason="checked")
    assert not WatchlistEntry.objects.get(external_id="corpus-ftm-0001").is_active


def test_a_rejected_withdrawal_keeps_the_entries_and_is_audited(customs_user):
    analyst = customs_user("risk_analyst")
    supervisor = customs_user("supervisor")
    watchlist_import_published(content=FTM, fmt="ftm", list_name="os", actor=analyst)
    update = watchlist_import_published(
        content=publication(drop=("corpus-ftm-0001", "corpus-ftm-0002")), fmt="ftm",
        list_name="os", actor=analyst,
    )  # fmt: skip
    assert update.withdrawn == 2
    watchlist_withdrawal_reject(
        withdrawal_id=update.withdrawal.pk, actor=supervisor, reason="still sanctioned elsewhere"
    )
    assert WatchlistEntry.objects.filter(list_name="os", is_active=True).count() == 4
    rejected = AuditEvent.objects.get(action="watchlist.withdrawal_rejected")
    assert {e["external_id"] for e in rejected.after["kept_entries"]} == {
        "corpus-ftm-0001", "corpus-ftm-0002",
    }  # fmt: skip
    assert rejected.before != rejected.after and worded(rejected.after)


def test_a_later_update_supersedes_a_pending_withdrawal(customs_user):
    analyst = customs_user("risk_analyst")
    watchlist_import_published(content=FTM, fmt="ftm", list_name="os", actor=analyst)
    first = watchlist_import_published(
        content=publication(drop=("corpus-ftm-0001",)), fmt="ftm", list_name="os", actor=analyst
    )
    second = watchlist_import_published(
        content=publication(drop=("corpus-ftm-0002",), date="2026-11-12T00:00:00"),
        fmt="ftm", list_name="os", actor=analyst,
    )  # fmt: skip
    first.withdrawal.refresh_from_db()
    assert first.withdrawal.state == WatchlistWithdrawal.State.SUPERSEDED
    pending = WatchlistWithdrawal.objects.get(state=WatchlistWithdrawal.State.PENDING)
    assert pending.update_id == second.pk
    assert [e["external_id"] for e in pending.entries] == ["corpus-ftm-0002"]
    event = AuditEvent.objects.filter(action="watchlist.update").latest("id")
    assert event.before["withdrawal_pending"][0]["external_id"] == "corpus-ftm-0001"
    assert event.after["superseded_withdrawal"] == first.pk
    assert WatchlistEntry.objects.filter(list_name="os", is_active=True).count() == 4


def test_the_update_audit_names_the_entries_added_and_changed(customs_user):
    analyst = customs_user("risk_analyst")
    watchlist_import_published(content=FTM, fmt="ftm", list_name="os", actor=analyst)
    first = AuditEvent.objects.get(action="watchlist.update")
    assert first.before == {"active_entries": 0}
    assert first.after["active_entries"] == 4
    assert {"external_id": "corpus-ftm-0001", "name": SELLER} in first.after["added"]
    assert first.after["withdrawal_proposed"] == [] and first.after["changed"] == []
    lines = [json.loads(line) for line in publication().decode().splitlines()]
    lines[0]["properties"]["alias"].append("NL Dual Use Trading")
    watchlist_import_published(
        content="\n".join(json.dumps(line) for line in lines), fmt="ftm", list_name="os",
        actor=analyst,
    )  # fmt: skip
    second = AuditEvent.objects.filter(action="watchlist.update").latest("id")
    assert second.after["changed"] == [{"external_id": "corpus-ftm-0001", "name": SELLER}]
    assert second.after["added"] == []


def test_a_publication_older_than_the_latest_loaded_is_refused(
    customs_user, django_capture_on_commit_callbacks
):
    analyst, analyst_user = login(customs_user, "risk_analyst")
    load(analyst, publication(date="2026-11-20T00:00:00"), django_capture_on_commit_callbacks)
    answer = load(
        analyst,
        publication(drop=("corpus-ftm-0001",), date="2026-11-02T00:00:00"),
        django_capture_on_commit_callbacks,
        follow=True,
    )
    page = answer.content.decode()
    assert "is older than the latest one loaded for list opensanctions" in page
    assert WatchlistUpdate.objects.count() == 1 and not WatchlistWithdrawal.objects.exists()
    # Undated while the list's publications are dated: refused too; the same date is accepted.
    undated = [json.loads(line) for line in FTM.splitlines() if line.strip()]
    for line in undated:
        line.pop("last_change", None)
        line.pop("last_seen", None)
    with pytest.raises(PublicationRefused, match="no publication date"):
        watchlist_import_published(
            content="\n".join(json.dumps(line) for line in undated), fmt="ftm",
            list_name="opensanctions", actor=analyst_user,
        )  # fmt: skip
    again = watchlist_import_published(
        content=publication(date="2026-11-20T00:00:00"), fmt="ftm", list_name="opensanctions",
        actor=analyst_user,
    )  # fmt: skip
    assert again.unchanged == 4
    # Another list is not compared with this one.
    watchlist_import_published(content=FTM, fmt="ftm", list_name="other", actor=analyst_user)


def test_the_withdrawal_page_reads_in_french(customs_user, django_capture_on_commit_callbacks):
    analyst, _ = login(customs_user, "risk_analyst")
    load(analyst, FTM.encode(), django_capture_on_commit_callbacks)
    load(analyst, publication(drop=("corpus-ftm-0001",)), django_capture_on_commit_callbacks)
    supervisor, _ = login(customs_user, "supervisor")
    page = supervisor.get("/risk/watchlist/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Retraits en attente" in page and "Confirmer le retrait" in page
    assert "proposée au retrait" in page and "Withdrawals awaiting" not in page
