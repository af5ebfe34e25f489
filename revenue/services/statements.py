"""Deferred statements: the monthly statements of intermediaries under the deferred model, closed
for every month that has ended and due on the day their regime sets."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction

from customs_ecom.platform.audit import audit_record
from revenue.calculators import INTERMEDIARY_DEFERRED
from revenue.localtime import jurisdiction_zone, local_date
from revenue.models import DeferredStatement, LedgerEntry
from revenue.money import round_money
from revenue.selectors import statement_outstanding
from revenue.services.regimes import active_regimes, regime_on

logger = logging.getLogger(__name__)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _deferred_due_day(period: date) -> int:
    """The day of the following month by which the statement of ``period`` is due, from the
    regime in force at the end of the period (EU special arrangements: the 16th)."""
    end = _next_month(period) - timedelta(days=1)
    found = regime_on(settings.CUSTOMS_JURISDICTION, end, active_regimes())
    return found[1].deferred_due_day if found else 16


def _credit_to_carry(
    account_id: int, currency: str, period: date
) -> tuple[DeferredStatement | None, Decimal]:
    """The intermediary's latest earlier statement in ``currency`` and the credit it still holds
    (what it owes, when below zero: a month that was paid and whose declarations were
    invalidated or returned later), to be carried into the statement of ``period``; zero when
    there is none or it was carried already."""
    previous = (
        DeferredStatement.objects.select_for_update()
        .filter(operator_id=account_id, currency=currency, period__lt=period)
        .order_by("-period")
        .first()
    )
    if previous is None or DeferredStatement.objects.filter(carried_from=previous).exists():
        return None, Decimal("0.00")
    outstanding = statement_outstanding(previous)
    return previous, min(outstanding, Decimal("0.00"))


class _AlreadyBilled(Exception):
    """Another close billed some of the entries this one read: it is rolled back."""


# Entries billed per UPDATE (SQLite bounds the parameters of one statement).
_BILL_BATCH = 500


def _unbilled(cutoff: datetime):
    """The deferred entries (payments aside) written before ``cutoff`` that no statement bills."""
    return LedgerEntry.objects.filter(
        collection_model=INTERMEDIARY_DEFERRED,
        account__isnull=False,
        billed_on__isnull=True,
        at__lt=cutoff,
    ).exclude(kind=LedgerEntry.Kind.PAYMENT)


def _bill(statement: DeferredStatement, ids: list[int]) -> None:
    """Set ``statement`` on exactly the entries ``ids``, none of which may be billed already."""
    updated = 0
    for start in range(0, len(ids), _BILL_BATCH):
        updated += LedgerEntry.objects.filter(
            pk__in=ids[start : start + _BILL_BATCH], billed_on__isnull=True
        ).update(billed_on=statement)
    if updated != len(ids):
        raise _AlreadyBilled


def _close_account(
    account_id: int, currency: str, current_month: date, cutoff: datetime, zone
) -> int:
    """Close the statements of one intermediary in one currency (inside a transaction): the
    months that ended and have no statement yet, each with its entries, plus the late entries of
    months already closed on the first of them after their month (or, when none is being closed,
    on the statement of the month that just ended, if it has none yet; otherwise they wait)."""
    # Locked in id order, so that two closes running at once wait for each other here and the
    # second reads only what the first left unbilled.
    entries = list(
        _unbilled(cutoff)
        .filter(account_id=account_id, currency=currency)
        .select_for_update()
        .order_by("id")
        .values_list("pk", "at", "amount")
    )
    if not entries:
        return 0
    closed_periods = set(
        DeferredStatement.objects.filter(operator_id=account_id, currency=currency).values_list(
            "period", flat=True
        )
    )
    own: dict[date, list[tuple[int, Decimal]]] = {}
    late: dict[date, list[tuple[int, Decimal]]] = {}
    for pk, at, amount in entries:
        period = _month_start(at.astimezone(zone).date())
        (late if period in closed_periods else own).setdefault(period, []).append((pk, amount))
    last_ended = _month_start(current_month - timedelta(days=1))
    billed_late: dict[date, list[tuple[int, Decimal]]] = {}
    for period, items in sorted(late.items()):
        target = min((p for p in own if p > period), default=None)
        if target is None and last_ended > period and last_ended not in closed_periods:
            target = last_ended
        if target is None:
            logger.info(
                "%s late entries of %s %s %s wait for the next close",
                len(items),
                account_id,
                period,
                currency,
            )
            continue
        billed_late.setdefault(target, []).extend(items)
    closed = 0
    for period in sorted(set(own) | set(billed_late)):
        of_month = own.get(period, [])
        of_earlier = billed_late.get(period, [])
        amounts = [amount for _pk, amount in of_month + of_earlier]
        previous, credit = _credit_to_carry(account_id, currency, period)
        statement = DeferredStatement.objects.create(
            operator_id=account_id,
            period=period,
            currency=currency,
            total=round_money(sum(amounts, Decimal(0)) + credit),
            entry_count=len(amounts),
            late_entries=len(of_earlier),
            due_date=_next_month(period).replace(day=_deferred_due_day(period)),
            brought_forward=credit,
            carried_from=previous if credit else None,
        )
        _bill(statement, [pk for pk, _amount in of_month + of_earlier])
        audit_record(
            actor=None,
            action="deferred_statement.close",
            object_type="deferred_statement",
            object_id=statement.pk,
            after={
                "operator": account_id,
                "period": period.isoformat(),
                "total": str(statement.total),
                "entry_count": statement.entry_count,
                "late_entries": statement.late_entries,
                "brought_forward": str(statement.brought_forward),
                "carried_from": statement.carried_from_id,
                "due_date": statement.due_date.isoformat(),
            },
        )
        closed += 1
    return closed


def deferred_statements_close(*, today: date | None = None) -> int:
    """Close the monthly statements of intermediaries under the deferred model for every month
    that has ended: the sum of their deferred entries of the month, due by the 16th of the
    following month (EU special arrangements, Directive 2006/112/EC art. 369y-369zb). Each entry
    summed is marked as billed on its statement, in the same transaction: an entry that reached
    the ledger after its month was closed (committed after the close, or dated in the past) is a
    late entry, billed on the next statement closed for its intermediary and currency.
    Idempotent: a closed (operator, month, currency) is never closed again, a billed entry never
    billed again. Returns the number of statements closed."""
    # Months, their boundaries and the due day are those of the jurisdiction (its time zone, its
    # regime's due day), never UTC's.
    zone = jurisdiction_zone()
    today = today or local_date()
    current_month = _month_start(today)
    cutoff = datetime(current_month.year, current_month.month, 1, tzinfo=zone)
    accounts = sorted(_unbilled(cutoff).order_by().values_list("account_id", "currency").distinct())
    closed = 0
    for account_id, currency in accounts:
        try:
            with transaction.atomic():
                closed += _close_account(account_id, currency, current_month, cutoff, zone)
        except (IntegrityError, _AlreadyBilled):
            # Another close ran at the same time and closed these first.
            logger.info("statements of %s %s closed by another run", account_id, currency)
    return closed
