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
from revenue.ledger_math import refundable, refunds_by_payer
from revenue.models import LedgerEntry, RevenueCursor
from revenue.money import round_money
from revenue.selectors import border_accounts, border_balance, model_balances


def _collected_by_payer(declaration_id: int) -> dict[str, tuple[dict[str, Decimal], list[str]]]:
    """For each debtor's account at the border: what each payer has in it (payments toward that
    debtor's debt less refunds to that payer from it), and the payers from the latest payment
    back."""
    accounts: dict[str, tuple[dict[str, Decimal], list[str]]] = {}
    for kind, payer, debtor, amount in (
        LedgerEntry.objects.filter(
            declaration_id=declaration_id,
            collection_model=CONSIGNEE_BORDER,
            kind__in=(LedgerEntry.Kind.PAYMENT, LedgerEntry.Kind.REFUND),
        )
        .order_by("-pk")
        .values_list("kind", "payer", "debtor", "amount")
    ):
        collected, order = accounts.setdefault(debtor or payer, ({}, []))
        signed = amount if kind == LedgerEntry.Kind.PAYMENT else -amount
        collected[payer] = collected.get(payer, Decimal(0)) + signed
        if kind == LedgerEntry.Kind.PAYMENT and payer not in order:
            order.append(payer)
    return accounts


def _refund_accounts(
    declaration: Declaration,
    requested: dict[str, Decimal],
    *,
    actor: Any = None,
    reason: str = "",
    source_key: str | None = None,
) -> list[LedgerEntry]:
    """Refund up to ``requested[debtor]`` from each debtor's account, to those who paid into it
    (the latest payments first), never more than each has in it; one entry per payer and
    account, each naming both. Keys: ``source_key`` for the first entry, then ``:1``, ``:2``..."""
    accounts = _collected_by_payer(declaration.pk)
    currency = (
        LedgerEntry.objects.filter(declaration=declaration, kind=LedgerEntry.Kind.PAYMENT)
        .order_by("pk")
        .values_list("currency", flat=True)
        .first()
    )
    entries = []
    for debtor in sorted(requested):
        collected, order = accounts.get(debtor, ({}, []))
        in_account = max(sum(collected.values(), Decimal(0)), Decimal(0))
        # Never more than the account holds (ledger_math.refundable).
        amount = refundable(in_account, Decimal(0), max(requested[debtor], Decimal(0)))
        for payer, share in refunds_by_payer(collected, order, amount):
            n = len(entries)
            entries.append(
                LedgerEntry.objects.create(
                    declaration=declaration,
                    kind=LedgerEntry.Kind.REFUND,
                    amount=round_money(share),
                    currency=currency or "EUR",
                    collection_model=CONSIGNEE_BORDER,
                    payer=payer[:200],
                    debtor=debtor[:200],
                    actor=actor if getattr(actor, "pk", None) else None,
                    reference=reason[:120],
                    source_key=None if source_key is None else source_key + (f":{n}" if n else ""),
                )
            )
    if entries:
        before = sum(
            (amount for collected, _order in accounts.values() for amount in collected.values()),
            Decimal(0),
        )
        refunded = sum((e.amount for e in entries), Decimal(0))
        audit_record(
            actor=actor,
            action="ledger.refund",
            object_type="declaration",
            object_id=declaration.pk,
            before={"collected": str(before)},
            after={
                "refund": str(refunded),
                "collected": str(before - refunded),
                "entries": [e.pk for e in entries],
            },
            reason=reason,
        )
    return entries


def ledger_refund(
    *,
    declaration_id: int,
    requested: Decimal,
    actor: Any = None,
    reason: str = "",
    source_key: str | None = None,
) -> list[LedgerEntry]:
    """Refund up to `requested` of what was collected at the border for a declaration, never
    more than collected less already refunded (`ledger_math.refundable`): first what any
    debtor's account holds beyond what that debtor owes, then the rest of each account, each to
    those who paid into it. The entries written (none when nothing may be refunded)."""
    with transaction.atomic():
        declaration = Declaration.objects.select_for_update().get(pk=declaration_id)
        accounts = border_accounts(declaration.pk)
        remaining = refundable(
            sum((a.paid for a in accounts), Decimal(0)),
            sum((a.refunded for a in accounts), Decimal(0)),
            Decimal(requested),
        )
        shares: dict[str, Decimal] = {}
        for portion in ("excess", "collected"):
            for account in sorted(accounts, key=lambda a: (-getattr(a, portion), a.debtor)):
                available = getattr(account, portion) - shares.get(account.debtor, Decimal(0))
                take = min(remaining, max(available, Decimal(0)))
                if take > 0:
                    shares[account.debtor] = shares.get(account.debtor, Decimal(0)) + take
                    remaining -= take
        return _refund_accounts(
            declaration, shares, actor=actor, reason=reason, source_key=source_key
        )


def refund_overpayment(*, declaration_id: int, key: str) -> list[LedgerEntry]:
    """A reassessment (an amendment, a granted relief) left less due at the border than was
    paid: each debtor's account is refunded what was paid toward that debtor's debt beyond what
    it now owes, to whoever paid it, once per ``key`` (the assessment that lowered it). One
    debtor's excess never pays another's debt (docs/revenue.md)."""
    source_key = f"overpaid:{key}"
    with transaction.atomic():
        declaration = Declaration.objects.select_for_update().get(pk=declaration_id)
        if LedgerEntry.objects.filter(source_key=source_key).exists():
            return []
        excess = {a.debtor: a.excess for a in border_accounts(declaration.pk) if a.excess > 0}
        if not excess:
            return []
        return _refund_accounts(
            declaration,
            excess,
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
    declaration = (
        Declaration.objects.select_for_update()
        .select_related("operator")
        .get(pk=event.declaration_id)
    )
    owed = border_balance(declaration.pk)[0]
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
    # Whatever each debtor's account holds goes back to those who paid into it.
    collected = {a.debtor: a.collected for a in border_accounts(declaration.pk) if a.collected > 0}
    if collected:
        _refund_accounts(
            declaration,
            collected,
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
