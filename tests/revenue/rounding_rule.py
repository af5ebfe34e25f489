"""The regime's rounding rule, checked on the lines of an assessment (the engine's, or as stored).

Per line (the default ``rounding_scope``): each amount is its basis times its rate, rounded once
(to the amount quantum when customs assesses it, whole kroner in Norway; to the value quantum
when a seller charges it under its scheme). Per total (Switzerland, Norway): the ad valorem lines
of one tax type that one payer owes through one channel add up to their exact sum rounded once to
the amount quantum, each line a multiple of that quantum and within one and a half quanta of its
own basis times rate (its share of the rounded total, by largest remainder).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from revenue.calculators import PRE_COLLECTING_MODELS
from revenue.money import round_money
from revenue.regimes import RegimeSpec


def _rounded(amount: Decimal, quantum: str, spec: RegimeSpec) -> Decimal:
    # Rounded to the quantum, written with the places of the values (NOK 26.00).
    return round_money(
        round_money(amount, quantum=quantum, mode=spec.rounding_mode),
        quantum=spec.rounding_quantum,
        mode=spec.rounding_mode,
    )


def _rounded_per_total(line: Any, spec: RegimeSpec) -> bool:
    return (
        spec.rounding_scope == "total"
        and line.tax_type != "fee"
        and bool(line.rate)
        and not line.basis_unit
        and line.collection_channel != "scheme_return"
    )


def rounding_faults(lines: Iterable[Any], spec: RegimeSpec) -> list[tuple]:
    """The lines (or groups of lines) whose amounts do not follow the regime's rounding rule;
    empty when all do. A line waived below a minimum is a zero that says "not levied"."""
    faults: list[tuple] = []
    groups: dict[tuple[str, str, str], list[Any]] = {}
    for line in lines:
        if line.rate is None:
            continue
        if _rounded_per_total(line, spec):
            groups.setdefault((line.tax_type, line.collection_channel, line.payer), []).append(line)
            continue
        pre_collected = line.collection_model in PRE_COLLECTING_MODELS
        quantum = spec.rounding_quantum if pre_collected else spec.amount_quantum
        if "not levied" in line.legal_reason:
            if line.amount != 0:
                faults.append(("waived but not zero", line.legal_reason, line.amount))
        elif line.amount != _rounded(line.basis * line.rate, quantum, spec):
            faults.append(("per line", line.basis, line.rate, line.amount, line.legal_reason))
    quantum = Decimal(spec.amount_quantum)
    for key, group in groups.items():
        amounts = [line.amount for line in group]
        if any("not levied" in line.legal_reason for line in group):
            # The minimum compares the group's total: it waives all of it or none.
            if any(amounts):
                faults.append(("waived group not zero", key, amounts))
            continue
        exact = [line.basis * line.rate for line in group]
        total = _rounded(sum(exact, Decimal(0)), spec.amount_quantum, spec)
        if sum(amounts, Decimal(0)) != total:
            faults.append(("total", key, total, amounts))
        for line, share in zip(group, exact, strict=True):
            if line.amount % quantum or abs(line.amount - share) >= quantum * 3 / 2:
                faults.append(("share", key, line.basis, line.rate, line.amount))
    return faults
