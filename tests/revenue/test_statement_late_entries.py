"""Every deferred entry reaches a statement, once: an entry written into a month whose statement
is already closed (its transaction committed after the close ran, or it is dated in the past) is
a late entry, billed on the next statement closed for its intermediary and currency, and counted
there as such (docs/revenue.md, Deferred accounts)."""

from __future__ import annotations

import threading
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from customs_ecom.platform.models import AuditEvent
from revenue.localtime import jurisdiction_zone
from revenue.models import DeferredStatement, LedgerEntry
from revenue.services.statements import _AlreadyBilled, _bill, deferred_statements_close
from tests.conftest import make_operator


@pytest.fixture
def carrier(db):
    return make_operator("late-carrier", role="express_carrier")


def _entry(operator, day: date, amount: str, *, kind: str = "assessed", hour: int = 12):
    """A deferred entry of ``operator`` at ``hour`` local time on ``day``."""
    return LedgerEntry.objects.create(
        account=operator,
        kind=kind,
        amount=Decimal(amount),
        currency="EUR",
        collection_model="intermediary_deferred",
        payer=operator.name,
        at=datetime(day.year, day.month, day.day, hour, tzinfo=jurisdiction_zone()),
    )


def _billed_once(operator) -> None:
    """Every deferred entry before December's end is on exactly one statement, and each
    statement's total is what it bills plus the credit it carried."""
    for statement in DeferredStatement.objects.filter(operator=operator):
        billed = [e.amount for e in statement.billed_entries.all()]
        assert statement.entry_count == len(billed)
        assert statement.total == sum(billed, Decimal(0)) + statement.brought_forward


def test_an_entry_written_into_a_closed_month_is_billed_on_the_next_statement(
    carrier, customs_user, client
):
    operator = carrier.operator
    own = _entry(operator, date(2026, 11, 10), "10.00")
    assert deferred_statements_close(today=date(2026, 12, 1)) == 1
    november = DeferredStatement.objects.get()
    assert (november.total, november.entry_count, november.late_entries) == (
        Decimal("10.00"),
        1,
        0,
    )
    own.refresh_from_db()
    assert own.billed_on == november

    # A November entry reaches the ledger after November was closed.
    late = _entry(operator, date(2026, 11, 20), "5.00", kind="adjustment")
    # December has not ended: the late entry waits for its statement, on none meanwhile.
    assert deferred_statements_close(today=date(2026, 12, 1)) == 0
    assert deferred_statements_close(today=date(2026, 12, 20)) == 0
    late.refresh_from_db()
    assert late.billed_on is None
    december_entry = _entry(operator, date(2026, 12, 3), "7.00")

    assert deferred_statements_close(today=date(2027, 1, 1)) == 1
    december = DeferredStatement.objects.get(period=date(2026, 12, 1))
    assert december.total == Decimal("12.00")
    assert (december.entry_count, december.late_entries) == (2, 1)
    assert december.due_date == date(2027, 1, 16)
    late.refresh_from_db()
    december_entry.refresh_from_db()
    assert late.billed_on == december_entry.billed_on == december
    # November is never changed.
    november.refresh_from_db()
    assert (november.total, november.entry_count) == (Decimal("10.00"), 1)
    _billed_once(operator)

    # Audited, saying how many late entries the statement took.
    event = AuditEvent.objects.get(action="deferred_statement.close", object_id=str(december.pk))
    assert event.after["late_entries"] == 1 and event.after["entry_count"] == 2
    # Idempotent.
    assert deferred_statements_close(today=date(2027, 1, 1)) == 0
    assert deferred_statements_close(today=date(2027, 2, 1)) == 0

    # The intermediary sees it in the API (a field added), officers on the page.
    listed = {row["period"]: row for row in carrier.get("/api/v1/statements").json()["results"]}
    assert listed["2026-12-01"]["late_entries"] == 1
    assert listed["2026-12-01"]["entry_count"] == 2
    assert listed["2026-11-01"]["late_entries"] == 0
    client.force_login(customs_user("officer"))
    page = client.get("/revenue/statements/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "dont 1 écriture d'un mois antérieur" in page


def test_late_entries_with_no_month_of_their_own_closing_get_the_statement_of_the_month_ended(
    carrier,
):
    """An intermediary with nothing in December still gets its late November entry billed: on a
    December statement, due on the regime's day, never left waiting for a month of its own."""
    operator = carrier.operator
    _entry(operator, date(2026, 11, 10), "10.00")
    assert deferred_statements_close(today=date(2026, 12, 1)) == 1
    late = _entry(operator, date(2026, 11, 28), "4.50")
    assert deferred_statements_close(today=date(2027, 1, 1)) == 1
    december = DeferredStatement.objects.get(period=date(2026, 12, 1))
    assert (december.total, december.entry_count, december.late_entries) == (
        Decimal("4.50"),
        1,
        1,
    )
    assert december.due_date == date(2027, 1, 16)
    late.refresh_from_db()
    assert late.billed_on == december
    _billed_once(operator)


def test_late_entries_go_onto_the_earliest_month_being_closed_after_theirs(carrier):
    """Closing several months at once (the task did not run for a while), a late September entry
    goes onto October's statement, not November's; November's holds its own entries only."""
    operator = carrier.operator
    _entry(operator, date(2026, 9, 10), "10.00")
    assert deferred_statements_close(today=date(2026, 10, 1)) == 1
    _entry(operator, date(2026, 9, 30), "1.00")
    _entry(operator, date(2026, 10, 5), "2.00")
    _entry(operator, date(2026, 11, 5), "3.00")
    assert deferred_statements_close(today=date(2026, 12, 1)) == 2
    october = DeferredStatement.objects.get(period=date(2026, 10, 1))
    november = DeferredStatement.objects.get(period=date(2026, 11, 1))
    assert (october.total, october.entry_count, october.late_entries) == (Decimal("3.00"), 2, 1)
    assert (november.total, november.entry_count, november.late_entries) == (
        Decimal("3.00"),
        1,
        0,
    )
    assert not LedgerEntry.objects.filter(
        collection_model="intermediary_deferred", billed_on__isnull=True
    ).exists()
    _billed_once(operator)


def test_a_credit_written_late_lowers_the_next_statement(carrier):
    """A negative adjustment of a closed month (a revaluation dated in it) is a late entry too:
    the next statement owes that much less."""
    operator = carrier.operator
    _entry(operator, date(2026, 10, 10), "10.00")
    assert deferred_statements_close(today=date(2026, 11, 1)) == 1
    _entry(operator, date(2026, 10, 12), "-3.00", kind="adjustment")
    _entry(operator, date(2026, 11, 2), "8.00")
    assert deferred_statements_close(today=date(2026, 12, 1)) == 1
    november = DeferredStatement.objects.get(period=date(2026, 11, 1))
    assert (november.total, november.late_entries) == (Decimal("5.00"), 1)
    _billed_once(operator)


def test_an_entry_is_never_billed_on_two_statements(carrier):
    """Billing sets the statement only on entries no statement bills yet, and fails (the close is
    rolled back) when another close billed one of them first."""
    operator = carrier.operator
    entry = _entry(operator, date(2026, 11, 10), "10.00")
    assert deferred_statements_close(today=date(2026, 12, 1)) == 1
    other = DeferredStatement.objects.create(
        operator=operator,
        period=date(2026, 12, 1),
        currency="EUR",
        total=Decimal("10.00"),
        due_date=date(2027, 1, 16),
    )
    with pytest.raises(_AlreadyBilled):
        _bill(other, [entry.pk])
    entry.refresh_from_db()
    assert entry.billed_on.period == date(2026, 11, 1)


@pytest.mark.django_db(transaction=True)
def test_existing_statements_get_the_entries_they_counted_and_keep_their_totals():
    """Statements closed before entries named them: each gets the entries of its month that it
    counted; an entry committed after its month was closed is left for the next close, which
    bills it as a late entry."""
    before = [("revenue", "0013_statement_credit_carried")]
    after = [("revenue", "0014_statement_billed_entries")]
    zone = jurisdiction_zone()
    operator = make_operator("old-carrier", role="express_carrier").operator
    try:
        executor = MigrationExecutor(connection)
        executor.migrate(before)
        old = executor.loader.project_state(before).apps
        entry_model = old.get_model("revenue", "LedgerEntry")
        statement_model = old.get_model("revenue", "DeferredStatement")

        def entry(day, amount):
            return entry_model.objects.create(
                account_id=operator.pk,
                kind="assessed",
                amount=Decimal(amount),
                currency="EUR",
                collection_model="intermediary_deferred",
                at=datetime(day.year, day.month, day.day, 12, tzinfo=zone),
            ).pk

        october = [entry(date(2026, 10, 3), "4.00"), entry(date(2026, 10, 9), "6.00")]
        counted = [entry(date(2026, 11, 2), "10.00"), entry(date(2026, 11, 8), "20.00")]
        # Committed after November was closed: November counted 2 entries for 30.00.
        missed = entry(date(2026, 11, 29), "5.00")
        for period, total, count in (
            (date(2026, 10, 1), "10.00", 2),
            (date(2026, 11, 1), "30.00", 2),
        ):
            statement_model.objects.create(
                operator_id=operator.pk,
                period=period,
                currency="EUR",
                total=Decimal(total),
                entry_count=count,
                due_date=period.replace(month=period.month + 1, day=16),
            )

        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(after)

        statements = {s.period: s for s in DeferredStatement.objects.all()}
        billed = dict(LedgerEntry.objects.values_list("pk", "billed_on__period"))
        assert all(billed[pk] == date(2026, 10, 1) for pk in october)
        assert all(billed[pk] == date(2026, 11, 1) for pk in counted)
        assert billed[missed] is None
        assert statements[date(2026, 11, 1)].total == Decimal("30.00")
        assert statements[date(2026, 10, 1)].total == Decimal("10.00")
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

    # The next close bills the entry the November statement missed.
    assert deferred_statements_close(today=date(2027, 1, 1)) == 1
    december = DeferredStatement.objects.get(period=date(2026, 12, 1))
    assert (december.total, december.late_entries) == (Decimal("5.00"), 1)
    assert LedgerEntry.objects.get(pk=missed).billed_on == december


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
def test_closes_running_at_once_bill_each_entry_once():
    carrier = make_operator("race-carrier", role="express_carrier")
    operator = carrier.operator
    for day in range(1, 29):
        _entry(operator, date(2026, 11, day), "1.00")
    results: list[int] = []
    errors: list[BaseException] = []

    def close(today: date, start: threading.Barrier) -> None:
        try:
            start.wait(timeout=30)
            results.append(deferred_statements_close(today=today))
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            connection.close()

    def race(today: date, parallel: int = 4) -> None:
        start = threading.Barrier(parallel)
        threads = [threading.Thread(target=close, args=(today, start)) for _ in range(parallel)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

    race(date(2026, 12, 1))
    assert not errors, errors
    assert sum(results) == 1
    november = DeferredStatement.objects.get()
    assert (november.total, november.entry_count) == (Decimal("28.00"), 28)

    # Late November entries and December's race to December's statement.
    for day in range(1, 11):
        _entry(operator, date(2026, 11, day), "0.50")
        _entry(operator, date(2026, 12, day), "2.00")
    results.clear()
    race(date(2027, 1, 1))
    assert not errors, errors
    assert sum(results) == 1
    december = DeferredStatement.objects.get(period=date(2026, 12, 1))
    assert (december.total, december.entry_count, december.late_entries) == (
        Decimal("25.00"),
        20,
        10,
    )
    _billed_once(operator)
    assert not LedgerEntry.objects.filter(billed_on__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
def test_closes_of_different_months_running_at_once_bill_a_late_entry_once():
    """A close on 1 January bills late November entries on December's statement; a close on
    1 February running at the same time (a backlog) would bill them on January's: whichever
    runs first takes them, the other bills what is left, never the same entry twice."""
    errors: list[BaseException] = []

    def close(today: date, start: threading.Barrier) -> None:
        try:
            start.wait(timeout=30)
            deferred_statements_close(today=today)
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            connection.close()

    for round_ in range(5):
        operator = make_operator(f"race-{round_}", role="express_carrier").operator
        _entry(operator, date(2026, 11, 2), "10.00")
        assert deferred_statements_close(today=date(2026, 12, 1)) == 1
        for day in range(1, 21):
            _entry(operator, date(2026, 11, day), "0.50")
            _entry(operator, date(2027, 1, day), "1.00")
        start = threading.Barrier(2)
        threads = [
            threading.Thread(target=close, args=(today, start))
            for today in (date(2027, 1, 1), date(2027, 2, 1))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not errors, errors
        deferred_statements_close(today=date(2027, 2, 1))
        _billed_once(operator)
        statements = DeferredStatement.objects.filter(operator=operator)
        assert sum(s.total for s in statements) == Decimal("40.00")
        assert sum(s.late_entries for s in statements) == 20
        assert not LedgerEntry.objects.filter(account=operator, billed_on__isnull=True).exists()
