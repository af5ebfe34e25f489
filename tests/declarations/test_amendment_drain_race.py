"""Parallel amendments of one declaration racing the assessment drainer on PostgreSQL.

An amendment locks the declaration and then writes its pending row; the drainer takes pending
rows and assesses their declarations. With the drainer deleting the pending rows before it
touched the declarations, the two waited for each other (deadlock detected) and the amendment
answered 503 "the database is unreachable". The drainer now locks the declarations of its batch,
in id order, before it deletes their pending rows (docs/operations.md, lock order).

As defence in depth, a write PostgreSQL aborts as a deadlock victim or for a serialization
failure runs again in a fresh transaction, and what still fails answers 503 saying the request
conflicted with concurrent work, not that the database is unreachable."""

from __future__ import annotations

import threading
from decimal import Decimal

import psycopg.errors
import pytest
from django.db import OperationalError, connection

from customs_ecom import assessment
from customs_ecom.platform.faults import conflict_fault, retry_on_conflict
from declarations import coalesce
from declarations.models import Declaration, PendingAssessment, Status, StatusEvent
from declarations.services import amendments
from revenue.models import TaxAssessment
from risk.models import RiskAssessment
from tests.declarations.corpus import valid_declaration

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 6
PARALLEL = 5


def _assessed_revisions(pk: int) -> tuple[dict[int, int], dict[int, int]]:
    """How many risk assessments and initial tax assessments each revision has."""
    risk: dict[int, int] = {}
    for revision in RiskAssessment.objects.filter(declaration_id=pk).values_list(
        "revision", flat=True
    ):
        risk[revision] = risk.get(revision, 0) + 1
    tax: dict[int, int] = {}
    for revision in TaxAssessment.objects.filter(declaration_id=pk, reason="initial").values_list(
        "revision", flat=True
    ):
        tax[revision] = tax.get(revision, 0) + 1
    return risk, tax


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks and deadlocks are PostgreSQL's"
)
def test_parallel_amendments_racing_the_drainer_never_answer_503(operator_a, monkeypatch):
    # The drainer runs in its own thread below, as a worker does; intake only queues the rows.
    monkeypatch.setattr(coalesce, "drain_signal", lambda **kw: False)
    body = valid_declaration("eu-h7")
    body["lrn"] = "RACE-000001"
    body["transport_document"]["number"] = "HWBRACE000001"
    created = operator_a.post("/api/v1/declarations", body)
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert PendingAssessment.objects.filter(declaration_id=pk).exists()

    statuses: list[int] = []
    answers: list[str] = []
    drain_errors: list[BaseException] = []
    lock = threading.Lock()
    cost = iter(Decimal("20.00") + Decimal(n) for n in range(ROUNDS * PARALLEL))

    def amend(amended: dict, start: threading.Barrier) -> None:
        try:
            start.wait(timeout=30)
            response = operator_a.post(f"/api/v1/declarations/{pk}/amendments", amended)
            with lock:
                statuses.append(response.status_code)
                if response.status_code not in (200, 409):
                    answers.append(response.content.decode()[:500])
        finally:
            connection.close()

    def drainer(stop: threading.Event, start: threading.Barrier) -> None:
        try:
            start.wait(timeout=30)
            while not stop.is_set():
                try:
                    assessment.drain_once(50)
                except Exception as exc:  # a deadlock victim, as the task would see it
                    drain_errors.append(exc)
        finally:
            connection.close()

    for _round in range(ROUNDS):
        start = threading.Barrier(PARALLEL + 1)
        stop = threading.Event()
        amendments = []
        for _n in range(PARALLEL):
            amended = {**body, "transport_cost": str(next(cost))}
            amendments.append(threading.Thread(target=amend, args=(amended, start)))
        drain = threading.Thread(target=drainer, args=(stop, start))
        drain.start()
        for thread in amendments:
            thread.start()
        for thread in amendments:
            thread.join(timeout=120)
        stop.set()
        drain.join(timeout=120)

    assert set(statuses) <= {200, 409}, answers
    assert not drain_errors, drain_errors
    # Every body differed from the one before it: each 200 made a revision.
    changed = statuses.count(200)
    assert changed > 0

    while assessment.drain_once(50):
        pass
    declaration = Declaration.objects.get(pk=pk)
    assert declaration.revision == 1 + changed
    assert not PendingAssessment.objects.filter(declaration_id=pk).exists()
    # The last revision is assessed, once; no revision was assessed twice.
    assert declaration.status == Status.ASSESSED
    assert declaration.risk_revision == declaration.tax_revision == declaration.revision
    risk, tax = _assessed_revisions(pk)
    assert risk.get(declaration.revision) == 1
    assert tax.get(declaration.revision) == 1
    assert set(risk.values()) == {1}
    assert set(tax.values()) == {1}
    assert set(risk) == set(tax)
    # One completion per revision assessed, never two for the same revision.
    completions = StatusEvent.objects.filter(
        declaration_id=pk, from_status=Status.ACCEPTED, to_status=Status.ASSESSED
    ).count()
    assert completions == len(risk)


def _aborted(cause: type[Exception]) -> OperationalError:
    """What Django raises for a transaction PostgreSQL aborted (the driver's error as cause)."""
    try:
        raise cause("deadlock detected")
    except Exception as exc:
        error = OperationalError(str(exc))
        error.__cause__ = exc
        return error


def test_a_deadlock_or_serialization_failure_is_a_conflict_and_nothing_else_is():
    assert conflict_fault(_aborted(psycopg.errors.DeadlockDetected))
    assert conflict_fault(_aborted(psycopg.errors.SerializationFailure))
    assert not conflict_fault(_aborted(psycopg.errors.ConnectionTimeout))
    assert not conflict_fault(OperationalError("could not connect to server"))
    assert not conflict_fault(ValueError("deadlock"))


def test_retry_on_conflict_runs_the_work_again_only_for_a_conflict():
    calls = []

    def work() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise _aborted(psycopg.errors.DeadlockDetected)
        return "done"

    assert retry_on_conflict(work) == "done"
    assert len(calls) == 2

    calls.clear()

    def unreachable() -> None:
        calls.append(1)
        raise OperationalError("could not connect to server")

    with pytest.raises(OperationalError):
        retry_on_conflict(unreachable)
    assert len(calls) == 1


def _declaration(operator_a, monkeypatch) -> tuple[dict, int]:
    monkeypatch.setattr(coalesce, "drain_signal", lambda **kw: False)
    body = valid_declaration("eu-h7")
    body["lrn"] = "CONFLICT-000001"
    body["transport_document"]["number"] = "HWBCONFLICT01"
    created = operator_a.post("/api/v1/declarations", body)
    assert created.status_code == 201, created.content
    return body, created.json()["id"]


@pytest.mark.parametrize("key", [None, "amend-conflict-1"])
def test_an_amendment_aborted_once_by_a_deadlock_is_applied_once(operator_a, monkeypatch, key):
    body, pk = _declaration(operator_a, monkeypatch)
    real = amendments.assessment_request
    calls = []

    def deadlocked_once(ids):
        calls.append(ids)
        if len(calls) == 1:
            raise _aborted(psycopg.errors.DeadlockDetected)
        real(ids)

    monkeypatch.setattr(amendments, "assessment_request", deadlocked_once)
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    response = operator_a.post(
        f"/api/v1/declarations/{pk}/amendments", {**body, "transport_cost": "30.00"}, **extra
    )

    assert response.status_code == 200, response.content
    assert len(calls) == 2
    declaration = Declaration.objects.get(pk=pk)
    assert declaration.revision == 2
    assert PendingAssessment.objects.filter(declaration_id=pk).count() == 1


@pytest.mark.parametrize("key", [None, "amend-conflict-2"])
def test_an_amendment_still_conflicting_after_retries_answers_503_saying_so(
    operator_a, monkeypatch, key
):
    body, pk = _declaration(operator_a, monkeypatch)
    calls = []

    def always_deadlocked(ids):
        calls.append(ids)
        raise _aborted(psycopg.errors.DeadlockDetected)

    monkeypatch.setattr(amendments, "assessment_request", always_deadlocked)
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    response = operator_a.post(
        f"/api/v1/declarations/{pk}/amendments", {**body, "transport_cost": "30.00"}, **extra
    )

    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "1"
    assert response["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert "conflicted with concurrent work" in problem["detail"]
    assert "unreachable" not in problem["detail"]
    assert len(calls) == 3  # the first attempt and two retries
    assert Declaration.objects.get(pk=pk).revision == 1
