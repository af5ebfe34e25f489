"""The lifecycle's decisions, table-driven: for every (status, channel, outcome, four-eyes hits)
and every (action, role, same-or-other person), what is allowed and which guard refuses.

The expected answers are written here from the rules of docs/lifecycle.md, independently of the
code: each case sets a consignment's state, then asks the lifecycle what this person may do."""

from __future__ import annotations

import ast
import itertools
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from declarations import lifecycle
from declarations.models import Case, Declaration, Status
from declarations.services import declarations_submit
from risk.models import FourEyesFlag, InspectionOutcome, RiskAssessment, RiskHit
from tests.examples import example_for
from tests.lifecycle_helpers import arrive, pay_at_border

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]

STATUSES = [
    Status.ASSESSED,
    Status.DOCUMENTS_REQUESTED,
    Status.INSPECTION,
    Status.DETAINED,
    Status.RELEASED,
]
CHANNELS = ["green", "yellow", "red"]
OUTCOMES = [None, "compliant", "prohibited"]
ACTIONS = ["request_documents", "inspect", "release", "detain", "seize"]
ROLES = ["officer", "supervisor", "auditor"]
PERSONS = ["same", "other"]  # the actor recorded the inspection outcome, or someone else did


def expected(status, action, channel, outcome, four_eyes_hit, role, person) -> set[str]:
    """The rules, as an officer's manual states them."""
    if role in ("auditor", "risk_analyst"):
        return {"role"}
    targets = {
        "request_documents": Status.DOCUMENTS_REQUESTED,
        "inspect": Status.INSPECTION,
        "release": Status.RELEASED,
        "detain": Status.DETAINED,
        "seize": Status.DETAINED,
    }
    target = targets[action]
    allowed_from = {
        Status.DOCUMENTS_REQUESTED: {Status.ASSESSED},
        Status.INSPECTION: {Status.ASSESSED, Status.DOCUMENTS_REQUESTED},
        Status.RELEASED: {
            Status.ASSESSED,
            Status.DOCUMENTS_REQUESTED,
            Status.INSPECTION,
            Status.DETAINED,
        },
        Status.DETAINED: {Status.ASSESSED, Status.DOCUMENTS_REQUESTED, Status.INSPECTION},
    }[target]
    if action == "seize":
        return set() if status in allowed_from | {Status.DETAINED} else {"transition_not_allowed"}
    if status == target:
        return {"already"}
    if status not in allowed_from:
        return {"transition_not_allowed"}
    if action != "release":
        return set()
    codes = set()
    if channel in ("yellow", "red") and outcome != "compliant":
        codes.add("risk_not_cleared")
    if four_eyes_hit and (outcome != "compliant" or role != "supervisor" or person == "same"):
        codes.add("four_eyes")
    return codes


@pytest.fixture
def people(customs_user):
    return {
        "officer": {"same": customs_user("officer", "inspector"), "other": customs_user("officer")},
        "supervisor": {
            "same": customs_user("supervisor", "supervising_inspector"),
            "other": customs_user("supervisor"),
        },
        "auditor": {"same": customs_user("auditor"), "other": customs_user("auditor")},
        "risk_analyst": {
            "same": customs_user("risk_analyst"),
            "other": customs_user("risk_analyst"),
        },
    }


@pytest.fixture
def consignment(operator_a, example, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        outcome = declarations_submit(operator=operator_a.operator, bodies=[example])[0]
    # Arrived, and what is due at the border (the EU flat duty the declarant owes) paid: only the
    # risk side and the person decide.
    pay_at_border(outcome.declaration.pk)
    Declaration.objects.filter(pk=outcome.declaration.pk).update(arrived_at=timezone.now())
    return outcome.declaration.pk


@pytest.mark.parametrize(
    "status,channel,outcome,four_eyes_hit",
    list(itertools.product(STATUSES, CHANNELS, OUTCOMES, [False, True])),
)
def test_every_decision_is_allowed_or_refused_by_the_named_guard(
    consignment, people, status, channel, outcome, four_eyes_hit
):
    # Test setup writes the state directly; the product never does (see the test below).
    Declaration.objects.filter(pk=consignment).update(status=status, channel=channel)
    assessment = RiskAssessment.objects.get(declaration_id=consignment)
    if four_eyes_hit:
        RiskHit.objects.create(
            assessment=assessment,
            rule_code="prohibited_goods_keyword",
            score=60,
            explanation="prohibited goods",
        )
        # ... and the flag the assessment service leaves with every such hit.
        FourEyesFlag.objects.create(
            declaration_id=consignment, revision=1, rule_code="prohibited_goods_keyword"
        )
    recorded = None
    if outcome is not None:
        recorded = InspectionOutcome.objects.create(
            declaration_id=consignment,
            officer=people["officer"]["same"],
            result=outcome,
            revision=Declaration.objects.get(pk=consignment).revision,
        )
    failures = []
    for action, role, person in itertools.product(ACTIONS, ROLES, PERSONS):
        actor = people[role][person]
        if recorded is not None:
            inspector = actor if person == "same" else people["officer"]["same"]
            if person == "other" and role == "officer":
                inspector = people["supervisor"]["same"]
            InspectionOutcome.objects.filter(pk=recorded.pk).update(officer=inspector)
        # The actor holds the claim: claims are covered by their own tests.
        Declaration.objects.filter(pk=consignment).update(
            claimed_by=actor, claimed_at=timezone.now()
        )
        declaration = Declaration.objects.get(pk=consignment)
        got = {r.code for r in lifecycle.action_refusals(declaration, action, actor)}
        want = expected(status, action, channel, outcome, four_eyes_hit, role, person)
        if got != want:
            failures.append((action, role, person, sorted(got), sorted(want)))
    assert not failures, failures


def test_refusals_are_in_the_officers_language(consignment, people):
    from django.utils import translation

    Declaration.objects.filter(pk=consignment).update(channel="red", status=Status.INSPECTION)
    officer = people["officer"]["other"]
    lifecycle.claim(declaration_id=consignment, user=officer)
    declaration = Declaration.objects.get(pk=consignment)
    with translation.override("fr"):
        messages = [str(r) for r in lifecycle.action_refusals(declaration, "release", officer)]
    assert messages and all("compliant" not in m or "conforme" in m for m in messages), messages


def test_release_is_refused_before_arrival_and_goes_through_on_arrival(
    operator_a, example, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        pk = declarations_submit(operator=operator_a.operator, bodies=[example])[0].declaration.pk
    pay_at_border(pk)
    with pytest.raises(lifecycle.LifecycleRefused) as refused:
        lifecycle.transition(declaration_id=pk, to_status=Status.RELEASED)
    assert refused.value.codes == ["not_arrived"]
    assert arrive(pk).status == Status.RELEASED


def test_a_green_consignment_with_a_prohibited_hit_goes_to_inspection_on_arrival(consignment):
    Declaration.objects.filter(pk=consignment).update(arrived_at=None)
    RiskHit.objects.create(
        assessment=RiskAssessment.objects.get(declaration_id=consignment),
        rule_code="watchlist_screening",
        score=10,
        explanation="seller on the watchlist",
    )
    FourEyesFlag.objects.create(
        declaration_id=consignment, revision=1, rule_code="watchlist_screening"
    )
    assert arrive(consignment).status == Status.INSPECTION


def test_claims_expire_and_a_supervisor_takes_over_audited(consignment, people, settings):
    from customs_ecom.platform.models import AuditEvent

    Declaration.objects.filter(pk=consignment).update(channel="red", status=Status.INSPECTION)
    first, second = people["officer"]["same"], people["officer"]["other"]
    supervisor = people["supervisor"]["other"]
    lifecycle.claim(declaration_id=consignment, user=first)
    with pytest.raises(lifecycle.ClaimRefused):
        lifecycle.claim(declaration_id=consignment, user=second)
    declaration = Declaration.objects.get(pk=consignment)
    assert [r.code for r in lifecycle.action_refusals(declaration, "detain", second)] == [
        "claimed_by_other"
    ]
    assert "take_over" in {a.code for a in lifecycle.available_actions(declaration, supervisor)}
    assert "take_over" not in {a.code for a in lifecycle.available_actions(declaration, second)}
    lifecycle.claim(declaration_id=consignment, user=supervisor, take_over=True)
    assert Declaration.objects.get(pk=consignment).claimed_by == supervisor
    assert AuditEvent.objects.filter(action="declaration.take_over", actor=supervisor).exists()
    # An expired claim is nobody's.
    settings.CLAIM_TTL_MINUTES = 30
    Declaration.objects.filter(pk=consignment).update(
        claimed_at=timezone.now() - timezone.timedelta(minutes=31)
    )
    lifecycle.claim(declaration_id=consignment, user=second)
    assert Declaration.objects.get(pk=consignment).claimed_by == second
    lifecycle.claim_reassign(
        declaration_id=consignment, to_user=first, by=supervisor, reason="shift"
    )
    assert Declaration.objects.get(pk=consignment).claimed_by == first
    with pytest.raises(lifecycle.ClaimRefused):
        lifecycle.claim_reassign(declaration_id=consignment, to_user=second, by=second)


@pytest.mark.parametrize("status", [Status.RELEASED, Status.INVALIDATED, Status.RETURNED])
def test_no_outcome_is_recorded_once_the_goods_are_gone(consignment, people, status):
    Declaration.objects.filter(pk=consignment).update(status=status, channel="green")
    declaration = Declaration.objects.get(pk=consignment)
    officer = people["officer"]["same"]
    assert [r.code for r in lifecycle.action_refusals(declaration, "record_outcome", officer)] == [
        "no_control"
    ]
    assert "record_outcome" not in {
        a.code for a in lifecycle.available_actions(declaration, officer)
    }


@pytest.mark.parametrize("channel", ["green", "blue", "yellow", "red"])
def test_another_officers_claim_holds_whatever_the_channel(consignment, people, channel):
    Declaration.objects.filter(pk=consignment).update(channel=channel, status=Status.ASSESSED)
    holder, other = people["officer"]["same"], people["supervisor"]["other"]
    lifecycle.claim(declaration_id=consignment, user=holder)
    declaration = Declaration.objects.get(pk=consignment)
    for action in ("release", "detain", "request_documents", "inspect", "seize"):
        codes = {r.code for r in lifecycle.action_refusals(declaration, action, other)}
        assert "claimed_by_other" in codes, (action, codes)
    refused = lifecycle.perform_bulk(declaration_ids=[consignment], code="detain", user=other,
                                     reason="bulk")  # fmt: skip
    assert "claimed_by_other" in {r.code for r in refused[consignment]}
    assert Declaration.objects.get(pk=consignment).status == Status.ASSESSED
    # Unclaimed green work needs no claim; yellow and red work does.
    Declaration.objects.filter(pk=consignment).update(claimed_by=None, claimed_at=None)
    codes = {r.code for r in lifecycle.action_refusals(
        Declaration.objects.get(pk=consignment), "detain", other)}  # fmt: skip
    assert ("claim_required" in codes) == (channel in ("yellow", "red"))


@pytest.mark.parametrize(
    "result,kind",
    [("prohibited", "seizure"), ("counterfeit", "seizure"), ("undervaluation", "revaluation")],
)
def test_outcomes_drive_detention_and_a_case_that_only_a_supervisor_closes(
    consignment, people, result, kind
):
    from risk.services.outcomes import outcome_record

    Declaration.objects.filter(pk=consignment).update(channel="red", status=Status.INSPECTION)
    officer, supervisor = people["officer"]["same"], people["supervisor"]["other"]
    lifecycle.claim(declaration_id=consignment, user=officer)
    outcome_record(declaration_id=consignment, officer=officer, result=result, note="found")
    declaration = Declaration.objects.get(pk=consignment)
    assert declaration.status == Status.DETAINED
    case = Case.objects.get(declaration_id=consignment, closed_at__isnull=True)
    assert case.kind == kind and case.finding == result
    outcome_record(declaration_id=consignment, officer=officer, result="compliant")
    codes = [r.code for r in lifecycle.action_refusals(declaration, "release", supervisor)]
    assert "case_open" in codes
    with pytest.raises(lifecycle.LifecycleRefused):
        lifecycle.case_close(case_id=case.pk, actor=officer, reason="fine")
    with pytest.raises(lifecycle.LifecycleRefused):
        lifecycle.case_close(case_id=case.pk, actor=supervisor, reason="  ")
    lifecycle.case_close(case_id=case.pk, actor=supervisor, reason="licence produced")
    lifecycle.claim(declaration_id=consignment, user=supervisor, take_over=True)
    if result == "undervaluation":
        # Revenue reassesses with the value found before the goods leave.
        codes = [r.code for r in lifecycle.action_refusals(declaration, "release", supervisor)]
        assert "revaluation_pending" in codes
        from revenue.services.revaluation import taxes_revalue

        taxes_revalue(
            declaration_id=consignment,
            revised_values_by_line={1: Decimal("400.00")},
            actor=supervisor,
            reason="invoice found",
        )
        pay_at_border(consignment)
    lifecycle.perform(declaration_id=consignment, code="release", user=supervisor, reason="ok")
    assert Declaration.objects.get(pk=consignment).status == Status.RELEASED


def test_goods_found_prohibited_leave_only_after_a_new_compliant_outcome_and_a_second_person(
    consignment, people
):
    """Whatever the channel: after a finding of prohibited goods (a seizure case) the release
    needs a "compliant" outcome recorded after the finding, and a supervisor who did not record
    it; closing the case lifts only the case's own hold."""
    from risk.services.outcomes import outcome_record

    officer, supervisor = people["officer"]["same"], people["supervisor"]["other"]
    assert Declaration.objects.get(pk=consignment).channel == "green"
    lifecycle.claim(declaration_id=consignment, user=officer)
    outcome_record(declaration_id=consignment, officer=officer, result="prohibited", note="knife")
    case = Case.objects.get(declaration_id=consignment, closed_at__isnull=True)
    lifecycle.case_close(case_id=case.pk, actor=supervisor, reason="licence produced")
    declaration = Declaration.objects.get(pk=consignment)
    for person in (officer, supervisor):
        codes = {r.code for r in lifecycle.action_refusals(declaration, "release", person)}
        assert "four_eyes" in codes
    with pytest.raises(lifecycle.LifecycleRefused) as refused:
        lifecycle.perform(declaration_id=consignment, code="release", user=officer, reason="ok")
    assert "four_eyes" in refused.value.codes
    outcome_record(declaration_id=consignment, officer=officer, result="compliant")
    with pytest.raises(lifecycle.LifecycleRefused) as refused:
        lifecycle.perform(declaration_id=consignment, code="release", user=officer, reason="ok")
    assert refused.value.codes == ["four_eyes"]
    lifecycle.claim(declaration_id=consignment, user=supervisor, take_over=True)
    lifecycle.perform(declaration_id=consignment, code="release", user=supervisor, reason="licence")
    assert Declaration.objects.get(pk=consignment).status == Status.RELEASED


def test_seized_goods_are_not_released_in_bulk_by_the_officer_who_seized_them(consignment, people):
    from risk.services.outcomes import outcome_record

    officer, supervisor = people["officer"]["same"], people["supervisor"]["other"]
    lifecycle.claim(declaration_id=consignment, user=officer)
    outcome_record(declaration_id=consignment, officer=officer, result="compliant")
    # A "compliant" outcome recorded before the seizure clears nothing after it.
    lifecycle.perform(declaration_id=consignment, code="seize", user=officer, reason="fake logo")
    case = Case.objects.get(declaration_id=consignment, closed_at__isnull=True)
    lifecycle.case_close(case_id=case.pk, actor=supervisor, reason="brand owner silent")
    for person in (officer, supervisor):
        refused = lifecycle.perform_bulk(
            declaration_ids=[consignment], code="release", user=person, reason="bulk"
        )
        assert "four_eyes" in {r.code for r in refused[consignment]}
    assert Declaration.objects.get(pk=consignment).status == Status.DETAINED


def test_a_payment_never_releases_goods_that_need_four_eyes_whoever_records_it(
    operator_a, example, django_capture_on_commit_callbacks, people
):
    """A supervisor recording a cash payment is not deciding the release: a consignment that
    needs four eyes goes to an officer instead of leaving on the payment."""
    from revenue.models import TaxAssessment
    from revenue.selectors import border_balance
    from revenue.services.ledger import ledger_payment_record
    from risk.services.outcomes import outcome_record

    with django_capture_on_commit_callbacks(execute=True):
        pk = declarations_submit(
            operator=operator_a.operator, bodies=[dict(example, lrn="FOUR-EYES-PAY")]
        )[0].declaration.pk
    owed = border_balance(pk)[0]
    assert owed > 0
    assert arrive(pk).status == Status.ASSESSED  # waits for its taxes
    declaration = Declaration.objects.get(pk=pk)
    FourEyesFlag.objects.create(
        declaration_id=pk, revision=declaration.revision, rule_code="watchlist_screening"
    )
    outcome_record(declaration_id=pk, officer=people["officer"]["same"], result="compliant")
    ledger_payment_record(
        declaration_id=pk,
        amount=owed,
        currency=TaxAssessment.objects.get(declaration_id=pk, is_current=True).currency,
        reference="cash at the office",
        actor=people["supervisor"]["other"],
    )
    assert Declaration.objects.get(pk=pk).status == Status.INSPECTION


def test_a_decision_posted_from_a_page_of_an_earlier_revision_is_refused(consignment, people):
    officer = people["officer"]["same"]
    lifecycle.claim(declaration_id=consignment, user=officer)
    revision = Declaration.objects.get(pk=consignment).revision
    with pytest.raises(lifecycle.LifecycleRefused) as refused:
        lifecycle.perform(
            declaration_id=consignment,
            code="release",
            user=officer,
            reason="ok",
            revision=revision - 1 if revision > 1 else revision + 1,
        )
    assert refused.value.codes == ["stale_revision"]
    assert Declaration.objects.get(pk=consignment).status == Status.ASSESSED
    lifecycle.perform(
        declaration_id=consignment, code="release", user=officer, reason="ok", revision=revision
    )
    assert Declaration.objects.get(pk=consignment).status == Status.RELEASED


def test_irreversible_actions_need_a_reason(consignment, people):
    officer = people["officer"]["other"]
    with pytest.raises(lifecycle.LifecycleRefused) as refused:
        lifecycle.perform(declaration_id=consignment, code="detain", user=officer, reason="")
    assert refused.value.codes == ["reason_required"]
    assert Declaration.objects.get(pk=consignment).status == Status.ASSESSED


def test_bulk_release_reports_each_refusal_and_moves_only_the_cleared(
    operator_a, example, django_capture_on_commit_callbacks, people
):
    bodies = [example_for(f"BULK-{n}", example) for n in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        ids = [
            o.declaration.pk
            for o in declarations_submit(operator=operator_a.operator, bodies=bodies)
        ]
    for pk in ids:
        pay_at_border(pk)
    Declaration.objects.filter(pk__in=ids[:2]).update(arrived_at=timezone.now())
    Declaration.objects.filter(pk=ids[1]).update(channel="red")
    refused = lifecycle.perform_bulk(
        declaration_ids=ids, code="release", user=people["supervisor"]["other"], reason="bulk"
    )
    assert set(refused) == {ids[1], ids[2]}
    assert {r.code for r in refused[ids[1]]} >= {"risk_not_cleared"}
    assert {r.code for r in refused[ids[2]]} == {"not_arrived"}
    statuses = dict(Declaration.objects.filter(pk__in=ids).values_list("pk", "status"))
    assert statuses == {ids[0]: "released", ids[1]: "assessed", ids[2]: "assessed"}


def test_transition_bulk_checks_the_table_and_guards_and_writes_events_once(
    operator_a, example, django_capture_on_commit_callbacks
):
    from customs_ecom.platform.models import AuditEvent
    from declarations.models import StatusEvent

    bodies = [example_for(f"TB-{n}", example) for n in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        ids = [
            o.declaration.pk
            for o in declarations_submit(operator=operator_a.operator, bodies=bodies)
        ]
    for pk in ids:
        pay_at_border(pk)
    Declaration.objects.filter(pk=ids[0]).update(arrived_at=timezone.now())
    Declaration.objects.filter(pk=ids[2]).update(status=Status.RETURNED)
    result = lifecycle.transition_bulk(declaration_ids=ids, to_status=Status.RELEASED)
    assert result.done == [ids[0]]
    assert [r.code for r in result.refused[ids[1]]] == ["not_arrived"]
    assert [r.code for r in result.refused[ids[2]]] == ["transition_not_allowed"]
    again = lifecycle.transition_bulk(declaration_ids=ids[:1], to_status=Status.RELEASED)
    assert again.unchanged == [ids[0]] and not again.done
    assert StatusEvent.objects.filter(declaration_id=ids[0], to_status="released").count() == 1
    assert (
        AuditEvent.objects.filter(object_id=str(ids[0]), action="declaration.released").count() == 1
    )


# --- nobody else writes a status --------------------------------------------------------------

PRODUCT_PACKAGES = ["customs_ecom", "aeo", "declarations", "risk", "revenue"]
SQL_STATUS_WRITE = re.compile(r"\bSET\b[^;]*\bstatus\s*=", re.IGNORECASE | re.DOTALL)


def _product_files():
    for package in PRODUCT_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts or path.name == "lifecycle.py":
                continue
            yield path


def _status_writes(path: Path) -> list[str]:
    """Places that write a declaration's `status` outside the lifecycle: `x.status = ...` on a
    declaration, `.update(status=...)` / `.create(status=...)` on the Declaration model, raw SQL
    that sets a status column of the declaration table."""
    found = []
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if (
                    isinstance(target, ast.Attribute)
                    and target.attr == "status"
                    and "declaration" in ast.unparse(target.value).lower()
                ):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("update", "bulk_update")
            and any(k.arg == "status" for k in node.keywords)
            and "Declaration" in ast.unparse(node.func.value)
        ):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and SQL_STATUS_WRITE.search(node.value)
            and "UPDATE" in node.value.upper()
        ):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_no_code_but_the_lifecycle_writes_a_declaration_status():
    offenders = [place for path in _product_files() for place in _status_writes(path)]
    assert offenders == []


def test_the_status_write_detector_finds_each_kind_of_write(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "declaration.status = 'released'\n"
        "Declaration.objects.filter(pk=1).update(status='released')\n"
        "cursor.execute('UPDATE declarations_declaration SET status = %s')\n"
        "job.status = 'done'\n"
    )
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert len(_status_writes(sample)) == 3
    finally:
        ROOT = saved


def test_bulk_release_on_the_list_page_goes_through_every_guard(
    client, operator_a, example, django_capture_on_commit_callbacks, people
):
    from django.urls import reverse

    bodies = [example_for(f"PAGE-BULK-{n}", example) for n in range(2)]
    with django_capture_on_commit_callbacks(execute=True):
        ids = [
            o.declaration.pk
            for o in declarations_submit(operator=operator_a.operator, bodies=bodies)
        ]
    for pk in ids:
        pay_at_border(pk)
    Declaration.objects.filter(pk=ids[0]).update(arrived_at=timezone.now())
    client.force_login(people["supervisor"]["other"])
    url = reverse("declarations:bulk_action", args=["release"])
    client.post(url, {"ids": ids, "reason": "cleared"})  # no confirmation: nothing happens
    assert set(Declaration.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        "assessed"
    }
    revisions = {f"revision_{pk}": 1 for pk in ids}  # as the list shows them
    response = client.post(
        url, {"ids": ids, "reason": "cleared", "confirm": "on", **revisions}, follow=True
    )
    statuses = dict(Declaration.objects.filter(pk__in=ids).values_list("pk", "status"))
    assert statuses == {ids[0]: "released", ids[1]: "assessed"}
    assert "The goods have not arrived yet." in response.content.decode()
