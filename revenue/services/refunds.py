"""Refunds of what was collected at the border, and the settlement of invalidated and returned
declarations found by scanning status events from a cursor."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from customs_ecom.platform.audit import audit_record
from declarations.events import events_after, late_events
from declarations.models import Declaration, StatusEvent
from declarations.statuses import REFUNDABLE
from revenue.calculators import (
    CONSIGNEE_BORDER,
    INTERMEDIARY_DEFERRED,
    MARKETPLACE_DEEMED_SUPPLIER,
    VENDOR_POINT_OF_SALE,
)
from revenue.ledger_math import refundable
from revenue.models import LedgerEntry, RevenueCursor
from revenue.money import round_money
from revenue.selectors import border_balance, model_balances


def ledger_refund(
    *,
    declaration_id: int,
    requested: Decimal,
    actor: Any = None,
    reason: str = "",
    source_key: str | None = None,
) -> LedgerEntry | None:
    """Refund up to `requested` of what was collected at the border for a declaration, never
    more than collected less already refunded (`ledger_math.refundable`). None when nothing may
    be refunded."""
    with transaction.atomic():
        declaration = Declaration.objects.select_for_update().get(pk=declaration_id)
        _, paid, refunded = border_balance(declaration.pk)
        amount = refundable(paid, refunded, Decimal(requested))
        if amount <= 0:
            return None
        payments = LedgerEntry.objects.filter(
            declaration=declaration, kind=LedgerEntry.Kind.PAYMENT
        ).order_by("pk")
        currency = payments.values_list("currency", flat=True).first()
        # Refunded to whoever paid (the consignee, the carrier that collected, the declarant).
        payers = list(dict.fromkeys(payments.values_list("payer", flat=True)))
        payee = ", ".join(payers) if payers else declaration.consignee_name
        entry = LedgerEntry.objects.create(
            declaration=declaration,
            kind=LedgerEntry.Kind.REFUND,
            amount=amount,
            currency=currency or "EUR",
            collection_model=CONSIGNEE_BORDER,
            payer=payee[:200],
            actor=actor if getattr(actor, "pk", None) else None,
            reference=reason[:120],
            source_key=source_key,
        )
        audit_record(
            actor=actor,
            action="ledger.refund",
            object_type="declaration",
            object_id=declaration.pk,
            before={"collected": str(paid - refunded)},
            after={"refund": str(amount), "collected": str(paid - refunded - amount)},
            reason=reason,
        )
        return entry


def refund_overpayment(*, declaration_id: int, key: str) -> LedgerEntry | None:
    """A reassessment (an amendment, a granted relief) left less due at the border than was
    paid: the excess is refunded, once per ``key`` (the assessment that lowered it)."""
    source_key = f"overpaid:{key}"
    if LedgerEntry.objects.filter(source_key=source_key).exists():
        return None
    owed, paid, refunded = border_balance(declaration_id)
    excess = paid - refunded - max(owed, Decimal(0))
    if excess <= 0:
        return None
    return ledger_refund(
        declaration_id=declaration_id,
        requested=excess,
        reason="refund of the excess paid: the reassessment lowered what is due",
        source_key=source_key,
    )


def refund_overpayments_after_commit(keys: dict[int, str]) -> None:
    """After the reassessment of the declarations of ``keys`` ({id: what lowered it}) commits,
    refund what any of them was paid beyond what it now owes (only those paid are looked at)."""
    if not keys:
        return

    def settle() -> None:
        paid = set(
            LedgerEntry.objects.filter(
                declaration_id__in=list(keys), kind=LedgerEntry.Kind.PAYMENT
            ).values_list("declaration_id", flat=True)
        )
        for pk in sorted(paid):
            refund_overpayment(declaration_id=pk, key=keys[pk])

    transaction.on_commit(settle)


REFUND_CURSOR = "refunds"


def _settle_cancelled(event: StatusEvent) -> None:
    """Cancel what a declaration still owes and refund what was collected (invalidation or
    return): a negative adjustment per model, then a refund. Keys make a rerun a no-op."""
    declaration = Declaration.objects.select_related("operator").get(pk=event.declaration_id)
    owed, paid, refunded = border_balance(declaration.pk)
    currency = _ledger_currency(declaration.pk)
    entries = []
    if owed > 0:
        # Cancelled payer by payer: the consignee's duties and taxes, and apart from them what the
        # declarant owes at the border (the EU flat duty on IOSS consignments), each under the
        # name its debt was assessed to.
        for n, (payer, amount) in enumerate(_border_owed_by_payer(declaration.pk)):
            entries.append(
                LedgerEntry(
                    declaration=declaration,
                    kind=LedgerEntry.Kind.ADJUSTMENT,
                    amount=-amount,
                    currency=currency,
                    collection_model=CONSIGNEE_BORDER,
                    payer=payer[:200],
                    reference=f"{event.to_status}: nothing more is due",
                    source_key=f"event:{event.pk}:border" + (f":{n}" if n else ""),
                )
            )
    deferred = round_money(
        LedgerEntry.objects.filter(declaration=declaration, collection_model=INTERMEDIARY_DEFERRED)
        .exclude(kind=LedgerEntry.Kind.PAYMENT)
        .aggregate(total=Sum("amount"))["total"]
        or Decimal(0)
    )
    if deferred > 0:
        entries.append(
            LedgerEntry(
                declaration=declaration,
                account_id=declaration.operator_id,
                kind=LedgerEntry.Kind.ADJUSTMENT,
                amount=-deferred,
                currency=currency,
                collection_model=INTERMEDIARY_DEFERRED,
                payer=declaration.operator.name[:200],
                reference=f"{event.to_status}: credited on the next statement",
                source_key=f"event:{event.pk}:deferred",
            )
        )
    # What a scheme return still carries is reversed under the model that assessed it (the
    # seller's scheme or the marketplace's as deemed supplier), so each model's balance is nil.
    for model, owed_by_scheme in model_balances(declaration.pk).items():
        if model in (VENDOR_POINT_OF_SALE, MARKETPLACE_DEEMED_SUPPLIER) and owed_by_scheme > 0:
            entries.append(
                LedgerEntry(
                    declaration=declaration,
                    kind=LedgerEntry.Kind.ADJUSTMENT,
                    amount=-owed_by_scheme,
                    currency=currency,
                    collection_model=model,
                    payer=f"{declaration.tax_scheme} {declaration.tax_scheme_number}"[:200],
                    reference=f"{event.to_status}: corrected in the scheme return",
                    source_key=f"event:{event.pk}:scheme"
                    + ("" if model == VENDOR_POINT_OF_SALE else f":{model}"),
                )
            )
    LedgerEntry.objects.bulk_create(entries)
    if paid - refunded > 0:
        ledger_refund(
            declaration_id=declaration.pk,
            requested=paid - refunded,
            reason=f"refund on {event.to_status}",
            source_key=f"event:{event.pk}:refund",
        )


def _border_owed_by_payer(declaration_id: int) -> list[tuple[str, Decimal]]:
    """What each payer still owes at the border for a declaration (assessed plus adjustments,
    to the cent), the largest debt first; payers who owe nothing are left out."""
    rows = (
        LedgerEntry.objects.filter(
            declaration_id=declaration_id,
            collection_model=CONSIGNEE_BORDER,
            kind__in=(LedgerEntry.Kind.ASSESSED, LedgerEntry.Kind.ADJUSTMENT),
        )
        .values("payer")
        .annotate(total=Sum("amount"))
    )
    owed = [(row["payer"], round_money(row["total"] or Decimal(0))) for row in rows]
    return sorted(
        ((payer, amount) for payer, amount in owed if amount), key=lambda row: (-row[1], row[0])
    )


def _ledger_currency(declaration_id: int) -> str:
    return (
        LedgerEntry.objects.filter(declaration_id=declaration_id)
        .values_list("currency", flat=True)
        .first()
        or "EUR"
    )


def refunds_reconcile(*, limit: int = 1000) -> int:
    """Scan status events since the last run for invalidations and returns, and settle the
    ledger of each (declarations need not know revenue exists). Returns the events settled.
    The cursor moves in the same transaction as the entries, so a crash replays, never skips."""
    settled = 0
    with transaction.atomic():
        cursor, _created = RevenueCursor.objects.select_for_update().get_or_create(
            name=REFUND_CURSOR
        )
        # The one reader of status events: the cursor rule, and the look-back for events
        # committed below the cursor (settling is idempotent by the event's source key).
        events = events_after(cursor=cursor.last_id, limit=limit, to_statuses=REFUNDABLE)
        late = late_events(cursor=cursor.last_id, to_statuses=REFUNDABLE)
        for event in late + events:
            if not LedgerEntry.objects.filter(source_key__startswith=f"event:{event.pk}:").exists():
                _settle_cancelled(event)
                settled += 1
        if events:
            cursor.last_id = events[-1].pk
            cursor.updated_at = timezone.now()
            cursor.save(update_fields=["last_id", "updated_at"])
    return settled
