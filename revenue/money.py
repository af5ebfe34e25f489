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
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, localcontext
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


# The coarsest rounding step a regime may name, in units of its currency: no administration
# rounds duty or tax to more than hundreds (Japan, Korea: 100 yen or won is the coarsest met).
QUANTUM_MAX = Decimal(100)


def quantum_fault(quantum: object, places: int) -> str | None:
    """Why ``quantum`` cannot be a regime's rounding step in a currency of ``places`` decimal
    places, or None. Administrations round to a power of ten of the currency unit (0.01, 1, 10)
    or to five of one (Switzerland's 0.05): a step is 1 or 5 times 10^n, not finer than the
    currency's minor unit, not above ``QUANTUM_MAX``, written plainly ("0.05", not "0.050" or
    "5E-2", whose places would be the places of every amount). The codes: ``not_a_number``,
    ``not_positive``, ``not_a_step``, ``finer_than_minor_unit``, ``too_coarse``,
    ``not_plain``."""
    try:
        step = Decimal(str(quantum).strip())
    except (InvalidOperation, ValueError):
        return "not_a_number"
    if not step.is_finite():
        return "not_a_number"
    if step <= 0:
        return "not_positive"
    digits = step.normalize().as_tuple().digits
    if digits not in ((1,), (5,)):
        return "not_a_step"
    if step < Decimal(1).scaleb(-places):
        return "finer_than_minor_unit"
    if step > QUANTUM_MAX:
        return "too_coarse"
    if str(quantum).strip() != plain_quantum(step):
        return "not_plain"
    return None


def plain_quantum(step: Decimal) -> str:
    """A rounding step written with the places it rounds to: "0.05", "1", "10"."""
    return format(step.normalize(), "f")


# Digits of the intermediate product and quotient of a conversion: amounts of up to 14 digits
# times rates of up to 18 leave nothing rounded before the one rounding the law makes.
_EXACT_DIGITS = 60
# Significant digits of a cross rate written for a reader (an API answer, an explanation).
RATE_DISPLAY_DIGITS = 10


@dataclass(frozen=True)
class CrossRate:
    """The rate of one unit of a source currency in a target currency, kept as the two official
    figures it is crossed from: ``per_eur_to`` units of the target and ``per_eur_from`` units of
    the source per euro (1 for the euro itself).

    Nothing is rounded: an amount converts as ``amount * per_eur_to / per_eur_from``, one
    division carried to 60 digits, so the converted amount is rounded once, to the cent, where
    the law rounds it. A quotient rounded to a few decimals first (IDR 20,305.82 per EUR read as
    EUR 0.000049 per IDR) is off by up to 0.5 % and moves amounts across thresholds."""

    per_eur_to: Decimal
    per_eur_from: Decimal = Decimal(1)

    def __post_init__(self) -> None:
        for name in ("per_eur_to", "per_eur_from"):
            value = to_decimal(getattr(self, name), field=name)
            if value <= 0:
                raise ValueError(f"{name} must be positive, got {value!r}")
            object.__setattr__(self, name, value)

    def times(self, amount: Decimal | int | str) -> Decimal:
        """``amount`` in the target currency, unrounded (exact to far below the cent)."""
        with localcontext() as context:
            context.prec = _EXACT_DIGITS
            return to_decimal(amount) * self.per_eur_to / self.per_eur_from

    @property
    def value(self) -> Decimal:
        """The quotient to 28 significant digits, for a figure that is shown or compared, never
        to convert with (see ``times``)."""
        return self.per_eur_to / self.per_eur_from

    def is_one(self) -> bool:
        return self.per_eur_to == self.per_eur_from

    def __str__(self) -> str:
        return rate_text(self)


def rate_value(fx_rate: CrossRate | Decimal) -> Decimal:
    """The rate as one number (a cross rate's quotient), for a figure that is shown or stored."""
    return fx_rate.value if isinstance(fx_rate, CrossRate) else to_decimal(fx_rate, field="rate")


def rate_text(fx_rate: CrossRate | Decimal, digits: int = RATE_DISPLAY_DIGITS) -> str:
    """A rate as a reader reads it, in plain notation: a number of at most ``digits``
    significant digits, trailing zeros dropped (EUR per IDR at 20,305.82 IDR per EUR:
    ``"0.00004924696466"``; 0.92: ``"0.92"``)."""
    value = rate_value(fx_rate)
    if value:
        places = digits - value.adjusted() - 1
        value = value.quantize(Decimal(1).scaleb(-places), rounding=decimal.ROUND_HALF_UP)
    return plain(value)


def plain(value: Decimal) -> str:
    """A decimal in plain notation without trailing zeros after the point: ``Decimal("8E+1")``
    -> ``"80"``, ``Decimal("0.0800")`` -> ``"0.08"``, never exponent notation."""
    text = format(to_decimal(value).normalize(), "f")
    return "0" if text == "-0" else text


def convert(
    amount: Decimal,
    fx_rate: CrossRate | Decimal,
    *,
    quantum: str = "0.01",
    mode: str = "ROUND_HALF_UP",
) -> Decimal:
    """Convert ``amount`` with ``fx_rate`` (target units per one source unit), then round.

    Converted amounts are rounded before any comparison with a threshold, as they would appear
    on a declaration in the national currency. A :class:`CrossRate` converts exactly (see
    ``CrossRate.times``), so the only rounding is this one.
    """
    if isinstance(fx_rate, CrossRate):
        with localcontext() as context:
            # Rounded at the same precision as converted: a step such as 0.05 divides first.
            context.prec = _EXACT_DIGITS
            return round_money(fx_rate.times(amount), quantum=quantum, mode=mode)
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
