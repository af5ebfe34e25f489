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


def deferred_statements_close(*, today: date | None = None) -> int:
    """Close the monthly statements of intermediaries under the deferred model for every month
    that has ended: the sum of their deferred entries of the month, due by the 16th of the
    following month (EU special arrangements, Directive 2006/112/EC art. 369y-369zb).
    Idempotent: a closed (operator, month, currency) is never closed again."""
    # Months, their boundaries and the due day are those of the jurisdiction (its time zone, its
    # regime's due day), never UTC's.
    zone = jurisdiction_zone()
    today = today or local_date()
    current_month = _month_start(today)
    cutoff = datetime(current_month.year, current_month.month, 1, tzinfo=zone)
    entries = (
        LedgerEntry.objects.filter(
            collection_model=INTERMEDIARY_DEFERRED, account__isnull=False, at__lt=cutoff
        )
        .exclude(kind=LedgerEntry.Kind.PAYMENT)
        .values_list("account_id", "currency", "at", "amount")
    )
    groups: dict[tuple[int, str, date], list[Decimal]] = {}
    for account_id, currency, at, amount in entries:
        period = _month_start(at.astimezone(zone).date())
        groups.setdefault((account_id, currency, period), []).append(amount)
    closed = 0
    existing = set(DeferredStatement.objects.values_list("operator_id", "currency", "period"))
    for (account_id, currency, period), amounts in sorted(groups.items()):
        if (account_id, currency, period) in existing:
            continue
        try:
            with transaction.atomic():
                previous, credit = _credit_to_carry(account_id, currency, period)
                statement = DeferredStatement.objects.create(
                    operator_id=account_id,
                    period=period,
                    currency=currency,
                    total=round_money(sum(amounts, Decimal(0)) + credit),
                    entry_count=len(amounts),
                    due_date=_next_month(period).replace(day=_deferred_due_day(period)),
                    brought_forward=credit,
                    carried_from=previous if credit else None,
                )
                audit_record(
                    actor=None,
                    action="deferred_statement.close",
                    object_type="deferred_statement",
                    object_id=statement.pk,
                    after={
                        "operator": account_id,
                        "period": period.isoformat(),
                        "total": str(statement.total),
                        "brought_forward": str(statement.brought_forward),
                        "carried_from": statement.carried_from_id,
                        "due_date": statement.due_date.isoformat(),
                    },
                )
            closed += 1
        except IntegrityError:
            logger.info("statement %s %s %s already closed", account_id, period, currency)
    return closed
