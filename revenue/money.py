"""Money arithmetic for the revenue engine.

Every amount the engine produces passes through :func:`round_money`; no other module of the
engine calls ``Decimal.quantize``. A regime states its rounding rule (quantum and mode) as data and
the calculators hand it to this helper, so the rule is applied in exactly one place and can be
changed by editing the regime, not the code.

Money is ``Decimal`` only: floats are refused at the door because binary fractions cannot hold
cents exactly.
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from functools import lru_cache

ROUNDING_MODES = frozenset(
    {
        decimal.ROUND_HALF_UP,
        decimal.ROUND_HALF_EVEN,
        decimal.ROUND_HALF_DOWN,
        decimal.ROUND_UP,
        decimal.ROUND_DOWN,
        decimal.ROUND_CEILING,
        decimal.ROUND_FLOOR,
    }
)

ZERO = Decimal(0)
# The longest legal reason a tax line keeps (the stored column's length): a reason names the rule,
# the figures and every act it applies, so a reduced rate's citation is not cut off.
LEGAL_REASON_MAX = 1000


def to_decimal(value: Decimal | int | str, *, field: str = "amount") -> Decimal:
    """Return ``value`` as a finite ``Decimal``; refuse floats, booleans and non-numbers.

    Strings and integers are accepted because JSON fixtures and form input carry them.
    """
    if type(value) is Decimal and value.is_finite():  # the engine's usual case, first
        return value
    if isinstance(value, bool | float):
        raise TypeError(f"{field} must be a Decimal, int or str, not {type(value).__name__}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | str):
        try:
            result = Decimal(value)
        except InvalidOperation as exc:
            raise ValueError(f"{field} is not a number: {value!r}") from exc
    else:
        raise TypeError(f"{field} must be a Decimal, int or str, not {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"{field} must be finite, got {value!r}")
    return result


def round_money(amount: Decimal, *, quantum: str = "0.01", mode: str = "ROUND_HALF_UP") -> Decimal:
    """Round ``amount`` to ``quantum`` with the ``decimal`` rounding ``mode`` named.

    This is the engine's one rounding helper. ``quantum`` is a string such as ``"0.01"`` (cents)
    or ``"1"`` (whole units); ``mode`` is the name of a ``decimal`` rounding constant such as
    ``"ROUND_HALF_UP"``. The result always carries the quantum's exponent, so ``Decimal("3")``
    rounded to cents is ``Decimal("3.00")``.
    """
    if mode not in ROUNDING_MODES:
        raise ValueError(f"unknown rounding mode {mode!r}")
    step = _step(quantum)
    unit = _unit_of(step)
    if step == unit:  # 0.01, 1: the last place of the quantum
        return to_decimal(amount).quantize(step, rounding=mode)
    # A step such as 0.05 (Swiss 5 centimes) or 10: quantize alone would keep every cent or unit,
    # so round the number of steps, then write the result with the step's places.
    steps = (to_decimal(amount) / step).quantize(_ONE, rounding=mode)
    return (steps * step).quantize(unit)


_ONE = Decimal(1)


@lru_cache(maxsize=64)
def _unit_of(step: Decimal) -> Decimal:
    """One unit of the last place the quantum is written with: 0.01 for "0.05", 1 for "10"."""
    return _ONE.scaleb(step.as_tuple().exponent)


@lru_cache(maxsize=256)
def _step(quantum: Decimal | int | str) -> Decimal:
    # A regime names a handful of quanta; each is parsed and checked once, not on every rounding.
    step = to_decimal(quantum, field="quantum")
    if step <= 0:
        raise ValueError(f"rounding quantum must be positive, got {quantum!r}")
    return step


def convert(
    amount: Decimal, fx_rate: Decimal, *, quantum: str = "0.01", mode: str = "ROUND_HALF_UP"
) -> Decimal:
    """Convert ``amount`` with ``fx_rate`` (target units per one source unit), then round.

    Converted amounts are rounded before any comparison with a threshold, as they would appear
    on a declaration in the national currency.
    """
    return round_money(
        to_decimal(amount) * to_decimal(fx_rate, field="fx_rate"), quantum=quantum, mode=mode
    )


def apportion(
    total: Decimal,
    weights: Sequence[Decimal],
    *,
    quantum: str = "0.01",
    mode: str = "ROUND_HALF_UP",
) -> tuple[Decimal, ...]:
    """Split ``total`` over ``weights`` in proportion; the shares add up to ``total`` exactly.

    Used to spread transport and insurance costs (and a flat duty shared by several lines) over
    the items of a consignment. ``total`` is first rounded with ``mode``; each share is then cut
    down to the quantum and the quanta left over go, one each, to the shares with the largest
    cut-off remainders (earlier shares first on ties): the largest-remainder method, so no share
    is negative and nothing is created or lost. When every weight is zero the split is even.
    """
    if not weights:
        raise ValueError("cannot apportion over no weights")
    if any(weight < 0 for weight in weights):
        raise ValueError("apportioning weights must not be negative")
    total = round_money(total, quantum=quantum, mode=mode)
    if total < 0:
        raise ValueError("cannot apportion a negative total")
    weight_sum = sum(weights, ZERO)
    effective = list(weights) if weight_sum > 0 else [Decimal(1)] * len(weights)
    effective_sum = sum(effective, ZERO)
    exact = [total * weight / effective_sum for weight in effective]
    shares = [round_money(share, quantum=quantum, mode=decimal.ROUND_DOWN) for share in exact]
    step = _step(quantum)
    leftover_quanta = int((total - sum(shares, ZERO)) / step)
    by_remainder = sorted(
        range(len(shares)), key=lambda index: (-(exact[index] - shares[index]), index)
    )
    for index in by_remainder[:leftover_quanta]:
        shares[index] += step
    return tuple(shares)


def format_money(amount: Decimal, currency: str) -> str:
    """Render an amount for a legal reason or an explanation, e.g. ``"EUR 1,150.00"``."""
    return f"{currency} {amount:,}"


def format_rate(rate: Decimal) -> str:
    """Render a rate fraction as a percentage without trailing zeros, e.g. ``0.055 -> "5.5%"``."""
    percent = (to_decimal(rate, field="rate") * 100).normalize()
    return f"{percent:f}%"
