"""The ledger: append-only entries, refunds never above what was collected, settlement of
invalidated declarations by the periodic task, deferred monthly statements by the beat task."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from aeo.models import AEOAuthorisation
from declarations.services import declaration_transition
from revenue.models import DeferredStatement, LedgerEntry, TaxAssessment
from revenue.selectors import border_balance, release_blockers
from revenue.services.ledger import LedgerError, ledger_payment_record
from revenue.services.refunds import ledger_refund
from revenue.tasks import close_deferred_statements, reconcile_refunds
from tests.conftest import make_operator
from tests.revenue.helpers import border_body, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def border_declaration(operator_b):
    return submit(operator_b.operator, [border_body("LEDGER-1")])[0]


def test_assessment_writes_what_is_owed_at_the_border(border_declaration):
    assessment = TaxAssessment.objects.get(declaration=border_declaration)
    entry = LedgerEntry.objects.get(declaration=border_declaration)
    assert entry.kind == "assessed" and entry.collection_model == "consignee_border"
    assert entry.amount == assessment.due_at_border == assessment.total
    assert border_balance(border_declaration.pk) == (assessment.due_at_border, 0, 0)


def test_a_payment_above_what_is_due_is_refused_with_the_amounts_as_the_reader_writes_them(
    border_declaration,
):
    owed = TaxAssessment.objects.get(declaration=border_declaration).due_at_border
    too_much = owed + Decimal("1000")
    with translation.override("fr"), pytest.raises(LedgerError) as refused:
        ledger_payment_record(declaration_id=border_declaration.pk, amount=too_much, currency="EUR")
    assert refused.value.code == "payment_exceeds_due"
    # French separators: a space between thousands, a comma before the cents.
    detail = refused.value.detail.replace("\xa0", "").replace("\u202f", "")
    assert detail.startswith(f"{too_much:.2f}".replace(".", ",") + " dépasse")
    assert f"{owed:.2f}".replace(".", ",") + " EUR" in detail
    with translation.override("en"), pytest.raises(LedgerError) as refused:
        ledger_payment_record(declaration_id=border_declaration.pk, amount=too_much, currency="EUR")
    assert refused.value.detail.startswith(f"{too_much:,.2f} exceeds the {owed:,.2f} EUR")


def test_entries_are_never_updated_nor_deleted(border_declaration):
    entry = LedgerEntry.objects.get(declaration=border_declaration)
    entry.amount = Decimal("0.01")
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="never deleted"):
        entry.delete()


OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["pay", "refund"]),
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("60"), places=2),
    ),
    min_size=1,
    max_size=8,
)


@hypothesis_settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=OPERATIONS)
def test_refunds_never_exceed_what_was_collected(border_declaration, operations):
    owed = TaxAssessment.objects.get(declaration=border_declaration).due_at_border
    with transaction.atomic():
        for kind, amount in operations:
            if kind == "pay":
                try:
                    ledger_payment_record(
                        declaration_id=border_declaration.pk, amount=amount, currency="EUR"
                    )
                except LedgerError as exc:
                    assert exc.code == "payment_exceeds_due"
            else:
                entries = ledger_refund(declaration_id=border_declaration.pk, requested=amount)
                assert all(entry.amount > 0 for entry in entries)
                assert sum((entry.amount for entry in entries), Decimal(0)) <= amount
            _, paid, refunded = border_balance(border_declaration.pk)
            assert Decimal(0) <= refunded <= paid
            assert paid - refunded <= owed
        transaction.set_rollback(True)


def test_invalidation_cancels_what_is_owed_and_refunds_what_was_paid_once(border_declaration):
    owed, _, _ = border_balance(border_declaration.pk)
    ledger_payment_record(
        declaration_id=border_declaration.pk, amount=owed, currency="EUR", reference="cash"
    )
    declaration_transition(
        declaration_id=border_declaration.pk, to_status="invalidated", public_reason="not shipped"
    )
    assert reconcile_refunds.apply().get() == 1
    assert reconcile_refunds.apply().get() == 0
    refund = LedgerEntry.objects.get(declaration=border_declaration, kind="refund")
    assert refund.amount == owed
    cancel = LedgerEntry.objects.get(declaration=border_declaration, kind="adjustment")
    assert cancel.amount == -owed
    assert border_balance(border_declaration.pk) == (Decimal(0), owed, owed)


def test_unpaid_invalidated_declaration_is_cancelled_without_refund(border_declaration):
    declaration_transition(declaration_id=border_declaration.pk, to_status="invalidated")
    reconcile_refunds.apply().get()
    assert not LedgerEntry.objects.filter(kind="refund").exists()
    assert border_balance(border_declaration.pk)[0] == 0


def test_release_blocked_until_border_taxes_are_collected(border_declaration):
    blockers = release_blockers(border_declaration)
    assert len(blockers) == 1 and "not collected" in blockers[0]
    owed, _, _ = border_balance(border_declaration.pk)
    ledger_payment_record(declaration_id=border_declaration.pk, amount=owed, currency="EUR")
    assert release_blockers(border_declaration) == []


def test_a_paid_declaration_invalidated_is_not_shown_as_revenue_lost(
    border_declaration, client, customs_user
):
    """Invalidated, its assessment is cancelled on the ledger and the payment refunded: the
    ledger page does not report the amounts assessed as "not recorded on the ledger", nor a
    release held, before or after the refund task has run."""
    from django.urls import reverse

    owed, _, _ = border_balance(border_declaration.pk)
    ledger_payment_record(declaration_id=border_declaration.pk, amount=owed, currency="EUR")
    declaration_transition(declaration_id=border_declaration.pk, to_status="invalidated")
    client.force_login(customs_user("auditor"))
    url = reverse("revenue:ledger", args=[border_declaration.pk])
    border_declaration.refresh_from_db()
    assert release_blockers(border_declaration) == []
    reconcile_refunds.apply().get()
    assert release_blockers(border_declaration) == []
    html = client.get(url).content.decode()
    assert "Release blocked" not in html and "not recorded on the ledger" not in html
    assert "Revenue does not hold the release" not in html


@pytest.fixture
def aeo_carrier(db):
    carrier = make_operator("aeo-carrier", role="express_carrier")
    AEOAuthorisation.objects.create(
        operator=carrier.operator,
        kind="AEOF",
        status="authorised",
        valid_from=timezone.localdate() - timedelta(days=30),
    )
    return carrier


def _next_month_first(day):
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def test_a_run_of_the_statement_closing_falls_on_the_1st_in_every_shipped_time_zone():
    """The month that ended is read in the jurisdiction's time zone: 00:30 UTC on the 1st is still
    the 31st in New York, so a later run closes it there; each run is idempotent."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from revenue.regimes import load_shipped_regimes

    schedule = settings.CELERY_BEAT_SCHEDULE["revenue-close-deferred-statements"]["schedule"]
    assert schedule.day_of_month == {1}
    runs = [
        datetime(2026, month, 1, hour, minute, tzinfo=UTC)
        for month in (1, 7)  # winter and summer time
        for hour in sorted(schedule.hour)
        for minute in sorted(schedule.minute)
    ]
    for zone in {spec.timezone for spec in load_shipped_regimes()} | {"Pacific/Kiritimati"}:
        for month in (1, 7):
            local_days = {
                run.astimezone(ZoneInfo(zone)).date() for run in runs if run.month == month
            }
            assert any(day.day in (1, 2) and day.month == month for day in local_days), (
                zone,
                month,
            )


def test_aeo_carrier_defers_and_the_beat_task_closes_its_monthly_statement(aeo_carrier, operator_b):
    declarations = submit(
        aeo_carrier.operator, [border_body("DEF-1"), border_body("DEF-2", value="80.00")]
    )
    assessments = TaxAssessment.objects.filter(declaration__in=declarations)
    assert {a.collection_model for a in assessments} == {"intermediary_deferred"}
    assert all(release_blockers(d) == [] for d in declarations)
    expected = sum(a.deferred for a in assessments)

    schedule = settings.CELERY_BEAT_SCHEDULE["revenue-close-deferred-statements"]
    assert schedule["task"] == "revenue.close_deferred_statements"
    today = timezone.localdate()
    # Nothing closes while the month is running.
    assert close_deferred_statements.apply(args=[today.isoformat()]).get() == 0
    next_month = _next_month_first(today)
    assert close_deferred_statements.apply(args=[next_month.isoformat()]).get() == 1
    assert close_deferred_statements.apply(args=[next_month.isoformat()]).get() == 0
    statement = DeferredStatement.objects.get()
    assert statement.operator == aeo_carrier.operator
    assert statement.period == today.replace(day=1)
    assert statement.total == expected and statement.entry_count == 2
    assert statement.due_date == next_month.replace(day=16)

    # The intermediary pays its statement through the API; another operator cannot.
    body = {"statement_id": statement.pk, "amount": str(expected), "currency": "EUR"}
    assert operator_b.post("/api/v1/payments", body).status_code == 404
    response = aeo_carrier.post("/api/v1/payments", body)
    assert response.status_code == 201, response.content
    assert response.json()["statement_id"] == statement.pk
    again = aeo_carrier.post("/api/v1/payments", {**body, "amount": "0.01"})
    assert again.json()["errors"][0]["code"] == "payment_exceeds_due"


def test_a_paid_month_credited_later_is_carried_into_the_next_statement(aeo_carrier):
    """A carrier pays November's statement; its declaration is invalidated in December, whose
    statement then holds only that credit. The credit is not lost on a statement nobody pays:
    the next statement closed (January's) carries it, and December's owes nothing more."""
    import time_machine

    from revenue.selectors import deferred_statements, statement_outstanding
    from revenue.services.refunds import refunds_reconcile
    from revenue.services.statements import deferred_statements_close

    (first,) = submit(aeo_carrier.operator, [border_body("CARRY-1", value="60.00")])
    november = TaxAssessment.objects.get(declaration=first).deferred
    zone = timezone.get_current_timezone()
    with time_machine.travel(timezone.datetime(2026, 12, 2, 10, 0, tzinfo=zone), tick=False):
        assert deferred_statements_close() == 1
        statement = DeferredStatement.objects.get()
        ledger_payment_record(
            statement_id=statement.pk,
            amount=statement.total,
            currency="EUR",
            operator=aeo_carrier.operator,
        )
        declaration_transition(declaration_id=first.pk, to_status="invalidated")
        refunds_reconcile()
    with time_machine.travel(timezone.datetime(2027, 1, 2, 10, 0, tzinfo=zone), tick=False):
        assert deferred_statements_close() == 1
        december = DeferredStatement.objects.get(period="2026-12-01")
        assert december.total == -november and december.brought_forward == 0
        assert statement_outstanding(december) == -november
        (second,) = submit(aeo_carrier.operator, [border_body("CARRY-2", value="80.00")])
        january = TaxAssessment.objects.get(declaration=second).deferred
    with time_machine.travel(timezone.datetime(2027, 2, 2, 10, 0, tzinfo=zone), tick=False):
        assert deferred_statements_close() == 1
    carried = DeferredStatement.objects.get(period="2027-01-01")
    assert carried.carried_from == december and carried.brought_forward == -november
    assert carried.total == january - november and carried.entry_count == 1
    assert statement_outstanding(carried) == january - november
    assert statement_outstanding(december) == 0
    rows = {row["statement"].period.isoformat(): row for row in deferred_statements()}
    assert rows["2026-12-01"]["outstanding"] == 0
    assert rows["2026-12-01"]["carried_to"].isoformat() == "2027-01-01"
    assert rows["2027-01-01"]["outstanding"] == january - november
    # Carried once: closing again changes nothing.
    assert deferred_statements_close(today=timezone.datetime(2027, 3, 1).date()) == 0


def test_return_after_release_refunds_what_was_paid_once(border_declaration, customs_user):
    from risk.services.assessment import risk_assess_batch
    from tests.lifecycle_helpers import officer_release

    owed, _, _ = border_balance(border_declaration.pk)
    ledger_payment_record(declaration_id=border_declaration.pk, amount=owed, currency="EUR")
    risk_assess_batch(declaration_ids=[border_declaration.pk])
    officer_release(
        border_declaration.pk, customs_user("officer"), approver=customs_user("supervisor")
    )
    declaration_transition(
        declaration_id=border_declaration.pk,
        to_status="returned",
        public_reason="returned to seller",
    )
    assert reconcile_refunds.apply().get() == 1
    assert reconcile_refunds.apply().get() == 0
    refund = LedgerEntry.objects.get(declaration=border_declaration, kind="refund")
    assert refund.amount == owed


def test_cancellation_committed_below_the_cursor_is_still_refunded(border_declaration):
    from declarations.models import StatusEvent
    from revenue.models import RevenueCursor

    owed, _, _ = border_balance(border_declaration.pk)
    ledger_payment_record(declaration_id=border_declaration.pk, amount=owed, currency="EUR")
    declaration_transition(declaration_id=border_declaration.pk, to_status="invalidated")
    # As if a later event had been scanned first: the cursor is already past this one.
    RevenueCursor.objects.update_or_create(
        name="refunds", defaults={"last_id": StatusEvent.objects.order_by("-pk").first().pk}
    )
    assert reconcile_refunds.apply().get() == 1
    assert LedgerEntry.objects.get(declaration=border_declaration, kind="refund").amount == owed


def test_nothing_is_paid_on_an_invalidated_declaration(border_declaration, operator_b):
    from declarations.services import declaration_invalidate

    owed = TaxAssessment.objects.get(declaration=border_declaration).due_at_border
    declaration_invalidate(
        operator=operator_b.operator, declaration_id=border_declaration.pk, reason="cancelled"
    )
    response = operator_b.post(
        "/api/v1/payments",
        {"declaration_id": border_declaration.pk, "amount": str(owed), "currency": "EUR"},
    )
    assert response.status_code == 409 and response.json()["errors"][0]["code"] == "nothing_due"
    assert not LedgerEntry.objects.filter(kind="payment").exists()


@pytest.mark.django_db(transaction=True)
def test_an_invalidated_marketplace_consignment_is_reversed_under_the_marketplace_model(
    operator_a, example
):
    import copy

    from declarations.services import declaration_invalidate, declarations_submit
    from revenue.services.refunds import refunds_reconcile

    body = copy.deepcopy(example)
    body["lrn"] = "MKT-REVERSE-1"
    pk = declarations_submit(operator=operator_a.operator, bodies=[body])[0].declaration.pk
    models = set(
        LedgerEntry.objects.filter(declaration_id=pk, kind="assessed").values_list(
            "collection_model", flat=True
        )
    )
    assert "marketplace_deemed_supplier" in models
    declaration_invalidate(operator=operator_a.operator, declaration_id=pk, reason="cancelled")
    refunds_reconcile()
    from django.db.models import Sum

    by_model = {
        row["collection_model"]: row["total"]
        for row in LedgerEntry.objects.filter(
            declaration_id=pk, kind__in=("assessed", "adjustment")
        )
        .values("collection_model")
        .annotate(total=Sum("amount"))
    }
    assert all(total == 0 for total in by_model.values()), by_model


def test_a_statement_paid_in_parts_owes_exactly_nothing(operator_b):
    """Statement payments are summed by the database (floating point on SQLite): 0.10 + 0.20
    against 0.30 is 0.00 outstanding, not a residue."""
    from datetime import date

    from revenue.models import DeferredStatement
    from revenue.selectors import statement_outstanding

    statement = DeferredStatement.objects.create(
        operator=operator_b.operator,
        period=date(2026, 10, 1),
        currency="EUR",
        total=Decimal("0.30"),
        due_date=date(2026, 11, 16),
    )
    for amount in ("0.10", "0.20"):
        LedgerEntry.objects.create(
            statement=statement,
            account=operator_b.operator,
            kind="payment",
            amount=Decimal(amount),
            currency="EUR",
            collection_model="intermediary_deferred",
            payer=operator_b.operator.name,
        )
    outstanding = statement_outstanding(statement)
    assert outstanding == 0 and str(outstanding) == "0.00"


def test_the_statements_list_shows_what_each_statement_was_paid_and_still_owes(aeo_carrier):
    submit(aeo_carrier.operator, [border_body("DEF-LIST")])
    next_month = _next_month_first(timezone.localdate())
    assert close_deferred_statements.apply(args=[next_month.isoformat()]).get() == 1
    statement = DeferredStatement.objects.get()
    assert statement.total > Decimal("0.01")
    (listed,) = aeo_carrier.get("/api/v1/statements").json()["results"]
    assert (listed["paid"], listed["outstanding"]) == ("0.00", str(statement.total))
    part = Decimal("0.01")
    body = {"statement_id": statement.pk, "amount": str(part), "currency": "EUR"}
    assert aeo_carrier.post("/api/v1/payments", body).status_code == 201
    (listed,) = aeo_carrier.get("/api/v1/statements").json()["results"]
    assert listed["paid"] == "0.01"
    assert listed["outstanding"] == str(statement.total - part)


def test_a_statement_payment_whose_payer_is_only_whitespace_names_the_operator(aeo_carrier):
    """As on a border payment, a payer of only whitespace names nobody: the paying operator is
    recorded, not a blank name."""
    submit(aeo_carrier.operator, [border_body("DEF-W")])
    next_month = _next_month_first(timezone.localdate())
    assert close_deferred_statements.apply(args=[next_month.isoformat()]).get() == 1
    statement = DeferredStatement.objects.get()
    body = {
        "statement_id": statement.pk,
        "amount": str(statement.total),
        "currency": "EUR",
        "payer": "   ",
    }
    response = aeo_carrier.post("/api/v1/payments", body)
    assert response.status_code == 201, response.content
    entry = LedgerEntry.objects.get(statement=statement, kind="payment")
    assert entry.payer == aeo_carrier.operator.name
