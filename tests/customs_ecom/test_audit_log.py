"""The global audit log (filters, keyset pages, CSV export), auditors who read every page and
change nothing, and error pages that say what to do."""

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from customs_ecom.platform.audit import audit_record
from customs_ecom.platform.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(customs_user):
    officer = customs_user("officer", username="olivia")
    supervisor = customs_user("supervisor", username="sam")
    with time_machine.travel(timezone.now() - timedelta(days=10)):
        audit_record(
            actor=officer, action="declaration.claim", object_type="declaration", object_id=7
        )
    audit_record(
        actor=officer,
        action="declaration.note",
        object_type="declaration",
        object_id=7,
        after={"note_id": 3},
        reason="looks split",
    )
    audit_record(
        actor=supervisor,
        action="workload.targets",
        object_type="workload_target",
        object_id="channels",
        before={"red": 24},
        after={"red": 12},
        reason="staffing",
    )
    return officer, supervisor


def test_auditor_filters_the_log_by_who_what_and_period(client, customs_user, events):
    client.force_login(customs_user("auditor"))
    url = reverse("audit_log")
    html = client.get(url, {"who": "olivia"}).content.decode()
    assert "declaration.claim" in html and "declaration.note" in html
    assert "workload.targets" not in html
    today = timezone.localdate().isoformat()
    html = client.get(url, {"who": "olivia", "start": today}).content.decode()
    assert "declaration.note" in html and "declaration.claim" not in html
    html = client.get(url, {"what": "workload."}).content.decode()
    assert "workload.targets" in html and "Red: 24" in html and "{&#x27;" not in html
    html = client.get(url, {"object_type": "declaration", "object_id": "8"}).content.decode()
    assert "No audit entry matches these filters." in html


def test_the_csv_export_keeps_the_filters(client, customs_user, events):
    client.force_login(customs_user("auditor"))
    response = client.get(reverse("audit_log_csv"), {"who": "olivia"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["at", "who", "action"]
    assert sorted(r[2] for r in rows[1:]) == ["declaration.claim", "declaration.note"]
    assert all(r[1] == "olivia" for r in rows[1:])


def test_the_csv_export_refuses_a_filter_it_cannot_apply(client, customs_user, events):
    """A day that is not a date exported the whole log as if it were the extract asked for."""
    client.force_login(customs_user("auditor"))
    response = client.get(reverse("audit_log_csv"), {"who": "olivia", "start": "2026-13-45"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode().startswith("From: ")
    assert client.get(reverse("audit_log_csv"), {"who": "olivia"}).status_code == 200


def test_the_csv_export_never_hands_a_spreadsheet_a_formula(
    client, customs_user, operator_a, example, django_capture_on_commit_callbacks
):
    """An operator's reason (here through the API) that begins like a formula is exported as text:
    opening the export in a spreadsheet shows it and runs nothing. Numbers stay numbers."""
    with django_capture_on_commit_callbacks(execute=True):
        created = operator_a.post("/api/v1/declarations", example)
    assert created.status_code == 201, created.content
    formula = '=HYPERLINK("https://example.org/x","open")'
    answer = operator_a.post(
        f"/api/v1/declarations/{created.json()['id']}/invalidation", {"reason": formula}
    )
    assert answer.status_code == 200, answer.content
    audit_record(
        actor=None,
        action="workload.targets",
        object_type="workload_target",
        object_id="-7",
        reason="-12.50",
    )
    client.force_login(customs_user("auditor"))
    response = client.get(reverse("audit_log_csv"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    reasons = {r[7] for r in rows[1:]}
    assert "'" + formula in reasons and formula not in reasons
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)
    assert ["-7", "", "", "-12.50"] in [r[4:] for r in rows[1:]]


def test_the_log_is_closed_to_officers_and_analysts(client, customs_user):
    for role in ("officer", "risk_analyst"):
        client.force_login(customs_user(role))
        assert client.get(reverse("audit_log")).status_code == 403
        assert client.get(reverse("audit_log_csv")).status_code == 403


def test_the_log_pages_by_keyset(client, customs_user, monkeypatch):
    from customs_ecom import audit_views

    monkeypatch.setattr(audit_views, "PAGE_SIZE", 2)
    for n in range(5):
        audit_record(actor=None, action=f"test.step{n}", object_type="x", object_id=n)
    client.force_login(customs_user("auditor"))
    seen, query = [], ""
    for _ in range(5):
        html = client.get(reverse("audit_log") + f"?{query}").content.decode()
        seen += [n for n in range(5) if f'<code class="small">test.step{n}</code>' in html]
        if 'id="next-page"' not in html:
            break
        query = html.split('id="next-page" href="?', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert sorted(seen) == list(range(5)) and len(seen) == 5


def test_an_auditor_changes_nothing_anywhere(client, customs_user):
    client.force_login(customs_user("auditor"))
    before = AuditEvent.objects.count()
    for url in (
        reverse("declarations:bulk_action", args=["claim"]),
        reverse("declarations:workload_targets"),
        "/risk/rules/",
        "/revenue/regimes/",
    ):
        response = client.post(url, {"ids": [1]})
        assert response.status_code == 403, url
    assert AuditEvent.objects.count() == before
    assert client.post(reverse("logout")).status_code == 302


def test_error_pages_say_what_to_do(client, customs_user):
    client.force_login(customs_user("officer"))
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert (
        b"This page does not exist" in response.content and b'id="site-search"' in response.content
    )
    response = client.get(reverse("audit_log"))
    assert (
        response.status_code == 403 and b"ask a supervisor or an administrator" in response.content
    )


def test_dashboard_legends_and_tiles_read_well_and_link_to_their_consignments(client, customs_user):
    client.force_login(customs_user("supervisor"))
    html = client.get("/dashboard/", {"start": "2026-11-01", "end": "2026-11-25"}).content.decode()
    assert "%%" not in html
    assert (
        'href="/consignments/?received_from=2026-11-01&amp;received_to=2026-11-25&amp;inspected=yes"'
        in html
    )
    assert (
        'href="/consignments/?received_from=2026-11-01&amp;received_to=2026-11-25&amp;aeo=yes"'
        in html
    )


def test_the_log_names_the_officer_a_consignment_was_claimed_by(client, customs_user):
    officer = customs_user("officer", username="olivia")
    supervisor = customs_user("supervisor", username="sam")
    audit_record(
        actor=supervisor,
        action="declaration.claim_reassign",
        object_type="declaration",
        object_id=7,
        before={"claimed_by": supervisor.pk},
        after={"claimed_by": officer.pk},
        reason="leave",
    )
    client.force_login(customs_user("auditor"))
    html = client.get(reverse("audit_log"), {"who": "sam"}).content.decode()
    assert "Claimed by: sam" in html and "Claimed by: olivia" in html
    assert "declaration.claim_reassign" in html  # the code the filter takes, beside its words
    response = client.get(reverse("audit_log_csv"), {"who": "sam"})
    export = b"".join(response.streaming_content).decode()
    assert f"Claimed by: {officer.pk}" in export  # the export keeps the stored id


def test_every_csv_export_writes_through_the_spreadsheet_safe_writer():
    """The audit log, dashboard tables, reconciliation and import errors: each export writes its
    cells through customs_ecom.platform.spreadsheet, none through a bare csv.writer."""
    from pathlib import Path

    from customs_ecom.platform.spreadsheet import cell

    root = Path(__file__).resolve().parents[2]
    bare = [
        str(path.relative_to(root))
        for package in ("customs_ecom", "aeo", "declarations", "risk", "revenue")
        for path in (root / package).rglob("*.py")
        if "csv.writer(" in path.read_text(encoding="utf-8")
        and path.name != "spreadsheet.py"
        and "management" not in path.parts
    ]
    assert bare == []
    assert [cell(v) for v in ("=1+1", "@SUM(A1)", "+33 1", "-12.50", "-1e5", "\tx", "ok", 5)] == [
        "'=1+1",
        "'@SUM(A1)",
        "'+33 1",
        "-12.50",
        "-1e5",
        "'\tx",
        "ok",
        5,
    ]


def test_who_finds_the_actions_of_a_renamed_user_and_of_an_operator_under_its_former_code(
    client, customs_user, operator_a, example, django_capture_on_commit_callbacks
):
    """A user renamed on the admin pages, and an operator whose code changed in the registry, are
    found by who they are now: their earlier actions were recorded under the earlier name. An
    operator's invalidation is found by its code like any other action of its own (it was
    recorded under another label, which the filter did not know)."""
    from aeo.services import operator_update

    officer = customs_user("officer", username="jdupont")
    audit_record(actor=officer, action="declaration.note", object_type="declaration", object_id=1)
    officer.username = "jean.dupont"
    officer.save()
    with django_capture_on_commit_callbacks(execute=True):
        created = operator_a.post("/api/v1/declarations", example)
    assert created.status_code == 201, created.content
    invalidation = f"/api/v1/declarations/{created.json()['id']}/invalidation"
    assert operator_a.post(invalidation, {"reason": "duplicate"}).status_code == 200
    supervisor = customs_user("supervisor")
    operator_update(
        operator_id=operator_a.operator.pk, actor=supervisor, reason="rebrand", code="market-new"
    )
    client.force_login(customs_user("auditor"))
    url = reverse("audit_log_csv")

    def actions(who):
        response = client.get(url, {"who": who})
        rows = csv.reader(io.StringIO(b"".join(response.streaming_content).decode()))
        return {(row[1], row[2]) for row in list(rows)[1:]}

    assert ("jdupont", "declaration.note") in actions("jean.dupont")
    found = actions("market-new")
    assert ("operator operator-a (API)", "declaration.invalidated") in found, found
    assert found == actions("Operator A") == actions("operator operator-a (API)")
    # A row written when invalidations were labelled operator:<code> is found the same way (and
    # the export names its actor as the page does).
    audit_record(actor="operator:operator-a", action="declaration.returned", object_type="d",
                 object_id=1)  # fmt: skip
    assert ("operator operator-a (API)", "declaration.returned") in actions("market-new")


@pytest.mark.parametrize("officer_zone", [None, "Pacific/Auckland", "Pacific/Honolulu"])
def test_the_day_filter_reads_the_installations_days_whatever_the_browsers_zone(
    client, customs_user, settings, officer_zone
):
    """A day of the period is a day of the installation's time zone, as on the dashboard and the
    consignment lists, on the page and in its CSV export alike: the browser's zone only changes
    how times are shown."""
    from datetime import UTC, datetime

    settings.TIME_ZONE = "Europe/Paris"
    officer = customs_user("officer", username="olivia")
    # 23:30 UTC on the 24th is the 25th in Paris (and in Auckland), still the 24th in Honolulu.
    with time_machine.travel(datetime(2026, 11, 24, 23, 30, tzinfo=UTC), tick=False):
        audit_record(
            actor=officer, action="declaration.claim", object_type="declaration", object_id=7
        )
    client.force_login(customs_user("auditor"))
    if officer_zone:
        client.cookies["officer_tz"] = officer_zone
    for day, listed in (("2026-11-25", True), ("2026-11-24", False)):
        period = {"start": day, "end": day}
        page = client.get(reverse("audit_log"), period)
        assert ("declaration.claim" in page.content.decode()) is listed, (officer_zone, day)
        export = client.get(reverse("audit_log_csv"), period)
        rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
        assert len(rows) == (2 if listed else 1), (officer_zone, day)
    html = client.get(reverse("audit_log")).content.decode()
    assert "Days are in Europe/Paris time." in html
    html = client.get(reverse("audit_log"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Jours à l’heure Europe/Paris." in html


@pytest.mark.parametrize(
    "language, who, reason, command_who, command_reason",
    [
        ("en", "system", "figures shipped with this release",
         "command line (seed_demo, system user ", "seed_demo command"),
        ("fr", "système", "chiffres livrés avec cette version",
         "ligne de commande (seed_demo, compte système ", "commande seed_demo"),
    ],
)  # fmt: skip
def test_the_csv_export_reads_reasons_and_actors_as_the_page_does(
    client, customs_user, language, who, reason, command_who, command_reason
):
    """The page shows the reasons and actors the system writes in the reader's language; the
    export said them in stored English. The action and object type stay codes (the filters')."""
    audit_record(
        actor=None,
        action="regime.load",
        object_type="regime",
        object_id="1",
        reason="figures shipped with this release",
    )
    audit_record(
        actor="command line (seed_demo, system user ops)",
        action="operator.create",
        object_type="operator",
        object_id="2",
        reason="seed_demo command",
    )
    client.force_login(customs_user("auditor"))
    response = client.get(reverse("audit_log_csv"), HTTP_ACCEPT_LANGUAGE=language)
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    by_action = {r[2]: r for r in rows[1:]}
    assert by_action["regime.load"][1] == who
    assert by_action["regime.load"][3] == "regime"
    assert by_action["regime.load"][7] == reason
    assert by_action["operator.create"][1].startswith(command_who)
    assert by_action["operator.create"][7] == command_reason
