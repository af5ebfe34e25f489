"""Reading an administrator's CSV file row by row, where a cell the csv module cannot read is an
error at its row, not a crash (no Django here: pure Python).

The csv module refuses a cell over its field limit (``_csv.Error: field larger than field
limit``, 128 KiB by default) and raises out of the reader, in the middle of the loop over the
rows. Every CSV import reads its file through ``csv_header`` and ``csv_rows``, which stop there
and hand the row and the reason to the import, which words the error as its other row errors.

The row is counted like every other row of the file: the header is row 1, the first record
row 2. A stray quote, the usual cause, opens a cell that swallows the lines after it until the
limit is reached; the error is at the row of that quote, not at the line, thousands further,
where the reader gave up.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

Row = TypeVar("Row")

# What an import does with a row the reader cannot read: (row number, reason) -> None. It may
# record an error (the rows end there) or raise one for the whole file.
OnUnreadable = Callable[[int, str], None]


def csv_dict_reader(text: str) -> csv.DictReader:
    """A ``csv.DictReader`` over the text of an uploaded file, without its byte order mark."""
    return csv.DictReader(io.StringIO(text.lstrip("\ufeff")))


def csv_header(reader: csv.DictReader, on_unreadable: OnUnreadable) -> list[str] | None:
    """The column names of the file, stripped and lowercased (and the reader's from now on);
    ``None`` when its header cannot be read, after ``on_unreadable(1, reason)``."""
    try:
        names = reader.fieldnames
    except csv.Error as exc:
        reason = str(exc)
    else:
        header = [name.strip().lower() for name in names or []]
        reader.fieldnames = header
        return header
    on_unreadable(1, reason)
    return None


def csv_rows(
    reader: Iterable[Row], on_unreadable: OnUnreadable, *, start: int = 2
) -> Iterator[tuple[int, Row]]:
    """The rows of a csv reader numbered from ``start`` (2: the header is row 1). A row the
    reader cannot read ends them, after ``on_unreadable(its number, reason)``."""
    number = start - 1
    rows = iter(reader)
    while True:
        try:
            raw = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            reason = str(exc)
            break
        number += 1
        yield number, raw
    on_unreadable(number + 1, reason)


__all__ = ["OnUnreadable", "csv_dict_reader", "csv_header", "csv_rows"]
