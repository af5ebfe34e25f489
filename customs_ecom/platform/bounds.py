"""One bound per element: the limits of the intake contract, in one place.

The pydantic contract (:mod:`declarations.schemas`, :mod:`declarations.api_models`) and the
columns that store what it accepts (:mod:`declarations.models`) read their limits from here, and
``tests/declarations/test_bounds.py`` walks both and fails where they disagree. Whatever passes
validation can therefore be stored and read back on SQLite and on PostgreSQL alike: no numeric
overflow, no NUL byte in a text column, no time-zone offset the database refuses, no date-time
that leaves the calendar when converted to UTC.

The figures are documented for integrators in docs/dataset.md ("Bounds").
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

# Amounts: 11 integer digits and 4 decimal places (unit prices of cheap goods). The same bound
# holds for the declaration's total (items, transport and insurance together), so that the
# total, its value in EUR and every tax basis derived from it fit their columns.
MONEY_MAX_DIGITS = 15
MONEY_DECIMAL_PLACES = 4
MONEY_MAX = Decimal("99999999999.9999")

# Masses in kilograms and quantities: 11 integer digits and 3 decimal places (grams).
MASS_MAX_DIGITS = 14
MASS_DECIMAL_PLACES = 3
QUANTITY_MAX_DIGITS = 14
QUANTITY_DECIMAL_PLACES = 3

# ISO 8601 offsets in use run from -12:00 to +14:00; PostgreSQL refuses anything beyond +/-15:59.
MAX_UTC_OFFSET = datetime.timedelta(hours=14)
# Date-times an operator may send: far from the ends of the calendar, so that converting to UTC
# never leaves year 1..9999, and wide enough for any order or arrival date.
EARLIEST_YEAR = 1900
LATEST_YEAR = 2999

# Date-times are kept to the microsecond (Python and both databases): a fraction of a second
# written with more digits would be cut, so it is refused instead of stored otherwise than sent.
DATETIME_FRACTION_DIGITS = 6
_SECOND_FRACTION = re.compile(r":[0-9]{2}[.,]([0-9]+)")


def _untranslated(message: str) -> str:
    return message


def fraction_problem(text: str, gettext: Callable[[str], str] = _untranslated) -> str | None:
    """Why the date-time ``text`` cannot be kept as written (a fraction of a second beyond the
    microsecond), or None. English unless a ``gettext`` is given (a request's language)."""
    found = _SECOND_FRACTION.search(text)
    if found is None or len(found.group(1)) <= DATETIME_FRACTION_DIGITS:
        return None
    return gettext(
        "a fraction of a second has at most %(most)d digits (microseconds), not %(found)d"
    ) % {"most": DATETIME_FRACTION_DIGITS, "found": len(found.group(1))}


# C0 control characters and DEL. Tab, line feed and carriage return are text; NUL cannot be
# stored in a PostgreSQL text or jsonb value, and the others have no place in a declaration.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The same rule as a JSON Schema pattern, for the published OpenAPI document.
NO_CONTROL_PATTERN = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F]*$"


def control_character(text: str) -> str | None:
    """The first control character of ``text`` as ``U+XXXX``, or None if there is none."""
    found = _CONTROL.search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def datetime_problem(
    moment: datetime.datetime, gettext: Callable[[str], str] = _untranslated
) -> tuple[str, str] | None:
    """(code, detail) if an aware date-time is outside what the contract accepts, else None.
    The detail is English unless a ``gettext`` is given (a request's language)."""
    offset = moment.utcoffset()
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        return (
            "datetime_offset_invalid",
            gettext("the UTC offset %(offset)s is beyond +/-14:00")
            % {"offset": offset_text(offset)},
        )
    years = {"earliest": EARLIEST_YEAR, "latest": LATEST_YEAR}
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        return (
            "datetime_out_of_range",
            gettext("the year %(year)d is not between %(earliest)d and %(latest)d")
            % {"year": moment.year, **years},
        )
    # The instant is stored in UTC: 1900-01-01T00:00+14:00 is 1899-12-31T10:00Z, outside too.
    # (The local year is in range and the offset within 14 hours, so this cannot overflow.)
    in_utc = moment if offset is None else moment.replace(tzinfo=None) - offset
    if not EARLIEST_YEAR <= in_utc.year <= LATEST_YEAR:
        return (
            "datetime_out_of_range",
            gettext("the year in UTC (%(utc)sZ) is not between %(earliest)d and %(latest)d")
            % {"utc": in_utc.isoformat(timespec="minutes"), **years},
        )
    return None


def date_in_range(day: datetime.date) -> bool:
    """Whether a day given to a page's filter or period is in the years date-times may have
    (EARLIEST_YEAR to LATEST_YEAR): its midnight in any time zone, the day after it and a period
    of a few years around it then stay in the calendar. Year 1 or 9999 would not (an overflow)."""
    return EARLIEST_YEAR <= day.year <= LATEST_YEAR


def offset_text(offset: datetime.timedelta) -> str:
    sign = "-" if offset < datetime.timedelta(0) else "+"
    minutes = int(abs(offset).total_seconds()) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def integer_digits(max_digits: int, decimal_places: int) -> int:
    return max_digits - decimal_places


# Row ids (64-bit primary keys): a number a page or a form is given outside this range names no
# row, and must not reach the database, which refuses it with an overflow.
ID_MAX = 2**63 - 1


def as_id(value: object) -> int | None:
    """``value`` as a row id (decimal digits, 1 to ID_MAX), or None when it cannot name a row."""
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    number = int(text)
    return number if 1 <= number <= ID_MAX else None


# JSON has one number type: a number without a fraction (12.0, 1.2e1) is the integer JSON Schema's
# `integer` says it is. Beyond this many digits it is no count nor id the API takes: it is
# answered with a stand-in of the same sign, one past any bound, instead of being built digit by
# digit (1e999999999 would take minutes and gigabytes as a Python int).
JSON_INTEGER_MAX_DIGITS = 19
_JSON_INTEGER_BEYOND = 10**JSON_INTEGER_MAX_DIGITS


def json_integer(value: Any) -> Any:
    """A parsed JSON number with a zero fraction as an int (12.0 -> 12; a huge one as a
    stand-in beyond every bound, of its sign); anything else unchanged (12.5, "12", true), for
    the validator to refuse."""
    if not isinstance(value, Decimal) or not value.is_finite():
        return value
    if value.adjusted() >= JSON_INTEGER_MAX_DIGITS:
        return _JSON_INTEGER_BEYOND if value > 0 else -_JSON_INTEGER_BEYOND
    if value != value.to_integral_value():
        return value
    return int(value)


# --- plain decimals ------------------------------------------------------------------------------


class ExponentDecimal(Decimal):
    """A JSON number written with an exponent (``2.4e1``): the contract's amounts are plain
    decimals, so validation refuses it with a pointer instead of storing another spelling."""


def json_decimal(text: str) -> Decimal:
    """``parse_float`` of the API's JSON bodies: exact decimals, the exponent form marked."""
    return ExponentDecimal(text) if "e" in text or "E" in text else Decimal(text)


class NegativeZeroInt(int):
    """The JSON integer ``-0``: the number 0 everywhere an integer is read, but an amount written
    with a minus sign, which :func:`plain_decimal_problem` refuses as negative (as ``-0.0``)."""

    __slots__ = ()


NEGATIVE_ZERO_INT = NegativeZeroInt(0)
# Where a body may hold the JSON integer -0 (a minus, a zero, and no digit, point or exponent
# after it). Bodies without one, nearly all, are parsed with the plain int of the C scanner.
MAY_HOLD_NEGATIVE_ZERO = re.compile(r"-0(?![0-9.eE])")


def json_int(text: str, _int: type[int] = int) -> int:
    """``parse_int`` of the API's JSON bodies that may hold ``-0``: the sign kept (marked)."""
    return NEGATIVE_ZERO_INT if text == "-0" else _int(text)


def plain_decimal_problem(value: Any, places: int) -> tuple[str, str] | None:
    """Why ``value`` (a JSON string or number as parsed) is not a plain decimal of at most
    ``places`` decimal places: (pydantic error type, message), or None. Plain means ASCII digits,
    an optional point and digits, no sign, spaces, exponent, underscore or leading zero, so that
    what is accepted is stored and read back exactly as written."""
    if isinstance(value, bool):
        return None  # pydantic refuses booleans itself
    if isinstance(value, NegativeZeroInt):
        # -0 is zero, but nobody writes a zero amount with a sign: refused as negative.
        return "greater_than_equal", "Input should not be negative"
    if isinstance(value, ExponentDecimal):
        return "decimal_parsing", 'Expected a plain decimal such as "12.50", not an exponent form'
    if isinstance(value, str):
        unsigned = value[1:] if value.startswith("-") else value
        if not _PLAIN_DECIMAL.fullmatch(unsigned):
            return (
                "decimal_parsing",
                'Expected a plain decimal such as "12.50" (digits and a point)',
            )
        if unsigned != value and not unsigned.strip("0."):
            # "-0" is zero, but nobody writes a zero amount with a sign: refused as negative.
            return "greater_than_equal", "Input should not be negative"
        text = unsigned
    elif isinstance(value, Decimal):
        if value.is_signed() and not value:
            return "greater_than_equal", "Input should not be negative"
        text = format(abs(value), "f")
    else:
        return None
    written = len(text.partition(".")[2])
    if written > places:
        return (
            "decimal_max_places",
            f"Decimal input should have no more than {places} decimal places",
        )
    return None


_PLAIN_DECIMAL = re.compile(r"(0|[1-9][0-9]*)(\.[0-9]+)?")
