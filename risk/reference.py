"""Reference values: what goods usually cost, known from the first day (no ORM, no Celery).

A new installation, a new HS code or a new route has no history to learn a median from, so the
undervaluation rule falls back on a reference table compiled from public figures: unit values of
official trade statistics (EUR per kg of an HS6 subheading, or EUR per unit for goods sold by the
unit) and manufacturers' list prices (EUR per unit of a named model). Every row carries its source
and the date of the figure, and the explanation of a hit quotes them.

The table ships as ``risk/data/reference_values.csv``, is loaded by ``migrate`` and can be replaced
by an administrator's file of the same shape (``parse_reference_csv`` checks it, row by row).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from customs_ecom.platform.csvfile import csv_dict_reader, csv_header, csv_rows
from declarations.messages import Message, csv_reason
from risk.lexicons import DATA_DIR, description_terms, tokens

BASES = ("per_kg", "per_unit")
REFERENCE_COLUMNS = ("hs_code", "basis", "keywords", "value_eur", "source", "as_of", "note")
SHIPPED_REFERENCE_FILE = DATA_DIR / "reference_values.csv"


@dataclass(frozen=True)
class ReferenceValue:
    """A usual value for an HS code (6 or 4 digits): EUR per kg or EUR per unit.

    ``keywords`` (folded phrases) narrow a row to descriptions naming one of them, for list
    prices of named models ("iphone 16"); a row without keywords applies to every description.
    """

    hs_code: str
    basis: str
    value_eur: Decimal
    source: str
    as_of: date
    keywords: tuple[str, ...] = ()
    note: str = ""

    @property
    def cited(self) -> str:
        """The source as an explanation quotes it: "Eurostat Comext ..., 2024"."""
        return f"{self.source}, {self.as_of.isoformat()}"


class ReferenceBook:
    """Reference values indexed for the rule: per kg by HS6 then HS4; per unit by HS6, rows with
    keywords tried before the generic row of the same code."""

    def __init__(self, rows: tuple[ReferenceValue, ...] | list[ReferenceValue] = ()):
        self.rows = tuple(rows)
        self._per_kg: dict[str, ReferenceValue] = {}
        self._per_unit: dict[str, list[ReferenceValue]] = {}
        for row in self.rows:
            if row.basis == "per_kg" and not row.keywords:
                self._per_kg.setdefault(row.hs_code, row)
            elif row.basis == "per_unit":
                self._per_unit.setdefault(row.hs_code, []).append(row)
        for rows_of_code in self._per_unit.values():
            # Named models first, the most specific (longest phrase) first; generic row last.
            rows_of_code.sort(
                key=lambda r: (not r.keywords, -max((len(k) for k in r.keywords), default=0))
            )

    def __len__(self) -> int:
        return len(self.rows)

    def per_kg(self, hs_code: str) -> ReferenceValue | None:
        for length in (6, 4):
            row = self._per_kg.get(hs_code[:length])
            if row is not None:
                return row
        return None

    def per_unit(self, hs_code: str, description: str) -> tuple[ReferenceValue, str] | None:
        """The unit value for an item and the phrase that selected it ("" for the generic row)."""
        terms = None
        for length in (6, 4):
            for row in self._per_unit.get(hs_code[:length], ()):
                if not row.keywords:
                    return row, ""
                if terms is None:
                    terms = description_terms(description)
                for keyword in row.keywords:
                    if keyword in terms:
                        return row, keyword
        return None


@dataclass
class ReferenceParse:
    """Rows of a reference file, or every row error found (then the file must be refused)."""

    rows: list[ReferenceValue]
    # (row number, column, message): English text that keeps its message id and parameters, so a
    # page shows it in the reader's language (declarations.messages).
    errors: list[tuple[int, str, str]]


def _keywords(text: str) -> tuple[str, ...]:
    phrases = (" ".join(tokens(part)) for part in (text or "").split(";"))
    return tuple(sorted({p for p in phrases if p}))


# The reference table's value column: 14 digits, 2 of them decimals.
MAX_VALUE_EUR = Decimal(10) ** 12
_CENT = Decimal("0.01")


def unknown_column(columns: tuple[str, ...]) -> Message:
    """A header column the file may not have, naming the ones it may."""
    return Message("unknown column; expected %(columns)s", columns=", ".join(columns))


def unreadable_error(errors: list[tuple[int, str, str]]) -> Callable[[int, str], None]:
    """A row the csv reader cannot read (a cell over its limit), as an error of these files."""
    return lambda row, reason: errors.append(
        (row, "", Message("the file cannot be read here: %(reason)s", reason=csv_reason(reason)))
    )


def parse_reference_csv(text: str) -> ReferenceParse:
    """Check a reference file: header ``hs_code, basis, keywords, value_eur, source, as_of[, note]``;
    HS codes of 4 or 6 digits, basis ``per_kg`` or ``per_unit``, a positive value, a source and an
    ISO date for every row; keywords separated by ';'. One error per problem, with its row."""
    result = ReferenceParse([], [])
    reader = csv_dict_reader(text)
    header = csv_header(reader, unreadable_error(result.errors))
    if header is None:
        return result
    required = [c for c in REFERENCE_COLUMNS if c not in ("keywords", "note")]
    for column in required:
        if column not in header:
            result.errors.append((1, column, Message("missing column")))
    for column in header:
        if column not in REFERENCE_COLUMNS:
            result.errors.append((1, column, unknown_column(REFERENCE_COLUMNS)))
    if result.errors:
        return result
    seen: set[tuple[str, str, tuple[str, ...]]] = set()
    for number, raw in csv_rows(reader, unreadable_error(result.errors)):
        if None in raw:
            result.errors.append((number, "", Message("more fields than columns in the header")))
            continue
        row = {k: (v or "").strip() for k, v in raw.items()}
        errors_before = len(result.errors)
        hs_code = row["hs_code"]
        if not (hs_code.isascii() and hs_code.isdigit() and len(hs_code) in (4, 6)):
            result.errors.append(
                (
                    number,
                    "hs_code",
                    Message("'%(value)s' is not a 4- or 6-digit HS code", value=hs_code),
                )
            )
        basis = row["basis"]
        if basis not in BASES:
            result.errors.append(
                (
                    number,
                    "basis",
                    Message(
                        "'%(value)s' is not one of %(choices)s",
                        value=basis,
                        choices=", ".join(BASES),
                    ),
                )
            )
        try:
            value = Decimal(row["value_eur"])
            if not value.is_finite() or value <= 0:
                raise InvalidOperation
        except InvalidOperation:
            value = Decimal(0)
            result.errors.append(
                (
                    number,
                    "value_eur",
                    Message("'%(value)s' is not a positive amount", value=row["value_eur"]),
                )
            )
        else:
            # What the table holds (euro and cents, under a thousand billion): a value beyond it
            # was stored by SQLite and then broke every read of the table, every assessment.
            if value >= MAX_VALUE_EUR:
                result.errors.append(
                    (
                        number,
                        "value_eur",
                        Message(
                            "'%(value)s' is a thousand billion or more", value=row["value_eur"]
                        ),
                    )
                )
            elif value != value.quantize(_CENT):
                result.errors.append(
                    (
                        number,
                        "value_eur",
                        Message("'%(value)s' has more than 2 decimals", value=row["value_eur"]),
                    )
                )
        if not row["source"]:
            result.errors.append((number, "source", Message("every value needs its source")))
        try:
            as_of = date.fromisoformat(row["as_of"])
        except ValueError:
            as_of = date.min
            result.errors.append(
                (
                    number,
                    "as_of",
                    Message("'%(value)s' is not a date (YYYY-MM-DD)", value=row["as_of"]),
                )
            )
        keywords = _keywords(row.get("keywords", ""))
        if basis == "per_kg" and keywords:
            result.errors.append(
                (number, "keywords", Message("keywords narrow per-unit rows only"))
            )
        key = (hs_code, basis, keywords)
        if len(result.errors) == errors_before and key in seen:
            result.errors.append(
                (number, "hs_code", Message("the same code, basis and keywords appear twice"))
            )
        if len(result.errors) == errors_before:
            seen.add(key)
            result.rows.append(
                ReferenceValue(
                    hs_code,
                    basis,
                    value,
                    row["source"][:200],
                    as_of,
                    keywords,
                    row.get("note", "")[:200],
                )
            )
    if not result.rows and not result.errors:
        result.errors.append((2, "", Message("the file has no rows")))
    return result


def shipped_reference_values() -> list[ReferenceValue]:
    """The table shipped with the product (``risk/data/reference_values.csv``)."""
    parsed = parse_reference_csv(SHIPPED_REFERENCE_FILE.read_text(encoding="utf-8"))
    if parsed.errors:  # a broken shipped file is a bug: fail loudly at migrate
        raise ValueError(f"shipped reference values are invalid: {parsed.errors[:5]}")
    return parsed.rows
