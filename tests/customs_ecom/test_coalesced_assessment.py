"""Single declarations are queued in the pending table at intake and assessed in batches by the
drainer, through the same risk and revenue batch services as the batch endpoint."""

from __future__ import annotations

import django.db
import pytest
from celery import current_app

from customs_ecom import assessment
from customs_ecom.assessment import assessments_drain
from declarations import coalesce
from declarations.models import Declaration, PendingAssessment, Status, StatusEvent
from revenue.models import TaxAssessment
from risk.models import RiskAssessment
from tests.declarations.corpus import valid_declaration

pytestmark = pytest.mark.django_db(transaction=False)


def _bodies(count: int, prefix: str = "S") -> list[dict]:
    bodies = []
    for n in range(count):
        body = valid_declaration("eu-h7")
        body["lrn"] = f"{prefix}-{n:06d}"
        body["transport_document"]["number"] = f"HWB{prefix}{n:06d}"
        bodies.append(body)
    return bodies


def _post_singles(operator, bodies, capture) -> list[int]:
    """POST each body alone; the drain signal sent after commit is held back."""
    ids = []
    for body in bodies:
        with capture(execute=False):
            response = operator.post("/api/v1/declarations", body)
        assert response.status_code == 201, response.content
        ids.append(response.json()["id"])
    return ids


def _assessed_once(ids: list[int]) -> None:
    for pk in ids:
        assert RiskAssessment.objects.filter(declaration_id=pk).count() == 1
        assert TaxAssessment.objects.filter(declaration_id=pk, reason="initial").count() == 1
        assert (
            StatusEvent.objects.filter(
                declaration_id=pk, from_status=Status.ACCEPTED, to_status=Status.ASSESSED
            ).count()
            == 1
        )


def test_single_posts_wait_in_the_pending_table_until_drained(
    operator_a, django_capture_on_commit_callbacks
):
    ids = _post_singles(operator_a, _bodies(3), django_capture_on_commit_callbacks)

    assert set(PendingAssessment.objects.values_list("declaration_id", flat=True)) == set(ids)
    assert set(Declaration.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        Status.ACCEPTED
    }


def test_drain_assesses_every_pending_single_once_in_one_batch(
    operator_a, django_capture_on_commit_callbacks, monkeypatch
):
    ids = _post_singles(operator_a, _bodies(5), django_capture_on_commit_callbacks)
    batches: list[list[int]] = []
    real = assessment._assess
    monkeypatch.setattr(assessment, "_assess", lambda taken: batches.append(taken) or real(taken))

    assert assessments_drain() == 5
    assert assessments_drain() == 0

    assert [sorted(b) for b in batches] == [sorted(ids)]
    assert not PendingAssessment.objects.exists()
    assert set(Declaration.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        Status.ASSESSED
    }
    assert Declaration.objects.filter(pk__in=ids, channel__isnull=True).count() == 0
    _assessed_once(ids)


def test_drain_takes_at_most_a_batch_at_a_time_and_keeps_going(
    operator_a, django_capture_on_commit_callbacks, monkeypatch
):
    ids = _post_singles(operator_a, _bodies(5), django_capture_on_commit_callbacks)
    sizes: list[int] = []
    real = assessment._assess
    monkeypatch.setattr(
        assessment, "_assess", lambda taken: sizes.append(len(taken)) or real(taken)
    )

    assert assessments_drain(batch_size=2) == 5

    assert sizes == [2, 2, 1]
    _assessed_once(ids)


def test_posted_single_is_assessed_when_its_signal_runs(
    operator_a, example, django_capture_on_commit_callbacks
):
    """In-process mode (the embedded default): the drain signal runs the drainer at commit."""
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_a.post("/api/v1/declarations", example)

    assert response.status_code == 201
    declaration = Declaration.objects.get(pk=response.json()["id"])
    assert declaration.status == Status.ASSESSED
    assert declaration.channel
    assert not PendingAssessment.objects.exists()


def test_large_batch_goes_straight_to_the_batch_tasks(
    operator_a, settings, django_capture_on_commit_callbacks
):
    settings.ASSESSMENT_COALESCE_BELOW = 3
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_a.post("/api/v1/declarations/batch", {"declarations": _bodies(3, "L")})

    assert response.status_code == 200
    assert not PendingAssessment.objects.exists()
    assert Declaration.objects.filter(status=Status.ASSESSED).count() == 3


def test_database_fault_rolls_the_batch_back_and_leaves_it_pending(
    operator_a, django_capture_on_commit_callbacks, monkeypatch
):
    ids = _post_singles(operator_a, _bodies(2), django_capture_on_commit_callbacks)

    def fail(taken):
        raise django.db.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(assessment, "_assess", fail)
    with pytest.raises(django.db.OperationalError):
        assessments_drain()

    assert set(PendingAssessment.objects.values_list("declaration_id", flat=True)) == set(ids)
    monkeypatch.undo()
    assert assessments_drain() == 2
    _assessed_once(ids)


def test_a_batch_failing_for_another_reason_goes_to_the_per_batch_tasks(
    operator_a, django_capture_on_commit_callbacks, monkeypatch
):
    ids = _post_singles(operator_a, _bodies(2), django_capture_on_commit_callbacks)

    def fail(taken):
        raise ValueError("a bug in one declaration")

    monkeypatch.setattr(assessment, "_assess", fail)
    with django_capture_on_commit_callbacks(execute=True):
        assert assessments_drain() == 2

    assert not PendingAssessment.objects.exists()
    # The per-batch tasks (run in-process here) assessed them.
    _assessed_once(ids)


def test_drain_task_asks_for_a_retry_on_a_database_fault_and_the_retry_assesses(
    operator_a, django_capture_on_commit_callbacks, monkeypatch
):
    from celery.exceptions import Retry

    ids = _post_singles(operator_a, _bodies(1), django_capture_on_commit_callbacks)
    task = current_app.tasks["customs_ecom.drain_assessments"]
    assert issubclass(django.db.OperationalError, task.autoretry_for)
    real = assessment._assess

    def down(taken):
        raise django.db.OperationalError("the database system is starting up")

    monkeypatch.setattr(assessment, "_assess", down)
    with pytest.raises((Retry, django.db.OperationalError)):
        task.apply()
    assert PendingAssessment.objects.filter(declaration_id__in=ids).count() == 1

    monkeypatch.setattr(assessment, "_assess", real)
    assert task.apply().get() == 1
    _assessed_once(ids)


@pytest.mark.parametrize("name", ["risk.assess_batch", "revenue.assess_batch"])
def test_assessment_tasks_retry_on_database_and_broker_errors(name):
    import kombu.exceptions
    import redis.exceptions

    task = current_app.tasks[name]
    for error in (
        django.db.OperationalError,
        django.db.InterfaceError,
        kombu.exceptions.OperationalError,
        redis.exceptions.ConnectionError,
    ):
        assert issubclass(error, task.autoretry_for), error
    assert task.acks_late


def test_drain_signals_are_coalesced_while_one_is_queued(monkeypatch, settings):
    sent = []
    task = current_app.tasks["customs_ecom.drain_assessments"]
    monkeypatch.setattr(task, "apply_async", lambda *a, **k: sent.append(1))
    monkeypatch.setitem(current_app.conf, "task_always_eager", False)

    assert coalesce.drain_signal() is True
    assert coalesce.drain_signal() is False  # one is queued and has not started
    coalesce.drain_flag_clear()  # what the drainer does first
    assert coalesce.drain_signal() is True
    assert len(sent) == 2


def test_broker_down_signal_is_logged_and_not_raised(monkeypatch, caplog):
    task = current_app.tasks["customs_ecom.drain_assessments"]

    def down(*args, **kwargs):
        import kombu.exceptions

        raise kombu.exceptions.OperationalError("Error 111 connecting to redis:6379")

    monkeypatch.setattr(task, "apply_async", down)
    monkeypatch.setitem(current_app.conf, "task_always_eager", False)
    monkeypatch.setattr(coalesce, "_signal_blocked_until", 0.0)

    assert coalesce.drain_signal() is False
    assert "could not send the assessment drain signal" in caplog.text
    # While blocked, intake does not try the broker again on every request.
    assert coalesce.drain_signal() is False


def test_a_hanging_broker_is_not_asked_again_for_half_a_minute(monkeypatch, caplog):
    """A broker that refuses at once is tried again after 2 s; one that hangs (each try holds the
    request for the socket timeout) only after 30 s, so that it slows one request of a process
    every half minute, not one every 2 s."""
    import kombu.exceptions

    task = current_app.tasks["customs_ecom.drain_assessments"]
    clock = [1000.0]
    monkeypatch.setattr(coalesce.time, "monotonic", lambda: clock[0])
    monkeypatch.setitem(current_app.conf, "task_always_eager", False)

    def refused(*args, **kwargs):
        raise kombu.exceptions.OperationalError("Error 111 connecting to redis:6379")

    def hangs(*args, **kwargs):
        clock[0] += 5.2  # the socket timeout
        raise kombu.exceptions.OperationalError("Timeout reading from socket")

    monkeypatch.setattr(coalesce, "_signal_blocked_until", 0.0)
    monkeypatch.setattr(task, "apply_async", refused)
    assert coalesce.drain_signal() is False
    assert coalesce._signal_blocked_until == pytest.approx(1002.0)

    clock[0] = 1010.0
    monkeypatch.setattr(task, "apply_async", hangs)
    assert coalesce.drain_signal() is False
    assert coalesce._signal_blocked_until == pytest.approx(1045.2)
    clock[0] = 1040.0
    assert coalesce.drain_signal() is False  # not tried: nothing slows this request
    assert clock[0] == 1040.0


def test_intake_leaves_a_batch_to_the_sweeper_while_the_broker_just_failed(monkeypatch, caplog):
    """A batch's enqueue after commit does not try a broker that failed a moment ago (a hanging
    one holds each try for its socket timeout); the drainer and the sweeper always try."""
    from declarations.services import completion

    sent = []
    for name in completion.ASSESSMENT_TASKS:
        task = current_app.tasks[name]
        monkeypatch.setattr(task, "apply_async", lambda *a, _n=name, **k: sent.append(_n))
    monkeypatch.setitem(current_app.conf, "task_always_eager", False)
    monkeypatch.setattr(coalesce, "_signal_blocked_until", coalesce.time.monotonic() + 30)

    completion.enqueue_assessment([1, 2], from_intake=True)
    assert sent == []
    assert "left to the sweeper" in caplog.text
    completion.enqueue_assessment([1, 2])  # the drainer's or the sweeper's send
    assert sent == list(completion.ASSESSMENT_TASKS)
    monkeypatch.setattr(coalesce, "_signal_blocked_until", 0.0)
    completion.enqueue_assessment([3], from_intake=True)
    assert len(sent) == 2 * len(completion.ASSESSMENT_TASKS)


def test_sweeper_signals_a_drain_for_rows_left_pending(
    operator_a, django_capture_on_commit_callbacks
):
    from declarations.tasks import requeue_unassessed_task

    ids = _post_singles(operator_a, _bodies(2), django_capture_on_commit_callbacks)

    requeue_unassessed_task()  # in-process: the signal runs the drainer

    assert not PendingAssessment.objects.exists()
    _assessed_once(ids)


@pytest.mark.django_db(transaction=True)
def test_concurrent_drainers_never_share_a_declaration(operator_a, monkeypatch):
    """Two drainers at once (SKIP LOCKED on PostgreSQL; serialised writers on SQLite): every
    pending declaration is taken by exactly one and assessed once."""
    import threading

    from django.db import connection

    from declarations.services import declarations_submit

    monkeypatch.setattr(coalesce, "drain_signal", lambda **kw: False)  # drain by hand below
    ids = [
        declarations_submit(operator=operator_a.operator, bodies=[body])[0].declaration.pk
        for body in _bodies(24, "C")
    ]
    assert PendingAssessment.objects.count() == 24
    taken: dict[str, list[int]] = {"a": [], "b": []}
    real = assessment._assess

    def drainer() -> None:
        try:
            while assessment.drain_once(4):
                pass
        finally:
            connection.close()

    monkeypatch.setattr(
        assessment,
        "_assess",
        lambda batch: taken[threading.current_thread().name].extend(batch) or real(batch),
    )
    threads = [threading.Thread(target=drainer, name=n) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not set(taken["a"]) & set(taken["b"])
    assert sorted(taken["a"] + taken["b"]) == sorted(ids)
    assert not PendingAssessment.objects.exists()
    _assessed_once(ids)
