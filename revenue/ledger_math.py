"""Pure arithmetic of the revenue ledger: how much may be refunded, running balances, whose
border debt a payment settles and how a refund is shared among those who paid.

The ledger stores entries; these functions decide, without a database, whether a refund or an
entry is admissible. A refund can never exceed what was collected (WCO Framework Standard 9,
return goods: the administration refunds what it took, no more), and a collected balance can never
go negative.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from revenue.money import to_decimal

ZERO = Decimal(0)


class NegativeBalanceError(ValueError):
    """An entry would take a ledger balance below zero."""

    def __init__(self, index: int, balance: Decimal, entry: Decimal) -> None:
        self.index = index
        self.balance = balance
        self.entry = entry
        super().__init__(f"entry {index} ({entry}) would take the balance {balance} below zero")


def refundable(collected: Decimal, refunded_so_far: Decimal, requested: Decimal) -> Decimal:
    """The part of ``requested`` that may be refunded now.

    At most what was collected less what was already refunded; never negative. All three amounts
    must be non-negative and ``refunded_so_far`` cannot exceed ``collected`` (that would mean the
    ledger is already wrong, which is refused rather than hidden).
    """
    collected = to_decimal(collected, field="collected")
    refunded_so_far = to_decimal(refunded_so_far, field="refunded_so_far")
    requested = to_decimal(requested, field="requested")
    for name, amount in (
        ("collected", collected),
        ("refunded_so_far", refunded_so_far),
        ("requested", requested),
    ):
        if amount < 0:
            raise ValueError(f"{name} must not be negative, got {amount}")
    if refunded_so_far > collected:
        raise ValueError(f"already refunded {refunded_so_far} exceeds collected {collected}")
    return min(requested, collected - refunded_so_far)


def apply_entries(entries: Iterable[Decimal], *, opening_balance: Decimal = ZERO) -> Decimal:
    """Apply signed entries (collections positive, refunds and write-offs negative) in order.

    Returns the closing balance. Raises :class:`NegativeBalanceError` at the first entry that would
    take the running balance below zero, because a refund may only return money that is there.
    """
    balance = to_decimal(opening_balance, field="opening_balance")
    if balance < 0:
        raise ValueError("opening balance must not be negative")
    for index, entry in enumerate(entries):
        amount = to_decimal(entry, field=f"entry {index}")
        if balance + amount < 0:
            raise NegativeBalanceError(index, balance, amount)
        balance += amount
    return balance


def debt_paid_toward(
    payer: str, outstanding: Mapping[str, Decimal], *, consignee: str
) -> str | None:
    """Whose border debt a payment by ``payer`` settles, given what each debtor still owes
    (``outstanding``, by the debtor's name as the ledger writes it): the payer's own when the
    payer owes something; otherwise the payer pays for someone else (a carrier that collected
    the consignee's taxes on delivery, a declarant paying them), for the consignee when she owes
    something, else for whoever owes the most (the name first, on a tie). None when nobody owes.

    The answer is recorded with the payment: a later reassessment never moves it to another
    debtor's account (docs/revenue.md)."""
    owing = {debtor: amount for debtor, amount in outstanding.items() if amount > 0}
    if not owing:
        return None
    if payer in owing:
        return payer
    if consignee in owing:
        return consignee
    return min(owing, key=lambda debtor: (-owing[debtor], debtor))


def refunds_by_payer(
    collected: Mapping[str, Decimal], order: Sequence[str], requested: Decimal
) -> list[tuple[str, Decimal]]:
    """How a refund of up to ``requested`` from one debtor's account is shared among those who
    paid into it: ``collected`` is what each payer paid into the account less what was refunded
    to them, ``order`` the payers from the latest payment back. The latest payments are returned
    first, each payer never more than it has in the account; payers refunded nothing are left
    out."""
    remaining = to_decimal(requested, field="requested")
    shares = []
    for payer in order:
        if remaining <= 0:
            break
        amount = min(remaining, to_decimal(collected.get(payer, ZERO), field="collected"))
        if amount > 0:
            shares.append((payer, amount))
            remaining -= amount
    return shares
