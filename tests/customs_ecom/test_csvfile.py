"""The CSV reading every administrator's import goes through (``customs_ecom.platform.csvfile``):
rows numbered as the file's rows, and a row the csv module cannot read handed to the import at
its row instead of raised out of the loop."""

from __future__ import annotations

import csv
import io

import pytest

from customs_ecom.platform.csvfile import csv_dict_reader, csv_header, csv_rows

pytestmark = pytest.mark.usefixtures("csv_default_field_limit")

BIG = '"' + "x" * 200_000 + '"'


def _read(text: str) -> tuple[list[str] | None, list[tuple[int, dict]], list[tuple[int, str]]]:
    unreadable: list[tuple[int, str]] = []
    reader = csv_dict_reader(text)
    header = csv_header(reader, lambda row, reason: unreadable.append((row, reason)))
    if header is None:
        return None, [], unreadable
    rows = list(csv_rows(reader, lambda row, reason: unreadable.append((row, reason))))
    return header, rows, unreadable


def test_rows_are_numbered_from_2_under_the_stripped_lowercased_header_without_bom():
    header, rows, unreadable = _read("\ufeff Name ,COUNTRY\nAda,GB\nBob,FR\n")
    assert header == ["name", "country"]
    assert rows == [(2, {"name": "Ada", "country": "GB"}), (3, {"name": "Bob", "country": "FR"})]
    assert unreadable == []


def test_a_cell_over_the_limit_ends_the_rows_at_its_row():
    header, rows, unreadable = _read(f"name,country\nAda,GB\nBob,{BIG}\nEve,FR\n")
    assert [number for number, _ in rows] == [2]
    assert unreadable == [(3, "field larger than field limit (131072)")]


def test_a_cell_over_the_limit_in_the_header_is_row_1():
    assert _read(f"name,{BIG}\nAda,GB\n") == (
        None,
        [],
        [(1, "field larger than field limit (131072)")],
    )


def test_a_stray_quote_is_reported_at_its_row_not_where_the_reader_gave_up():
    """The quote opens a cell that swallows every line after it: the limit is crossed thousands
    of lines further down, but the row to fix is the one with the quote."""
    text = 'name,country\nAda,GB\nBob,"GB\n' + "Eve,FR\n" * 30_000
    header, rows, unreadable = _read(text)
    assert [number for number, _ in rows] == [2] and [row for row, _ in unreadable] == [3]


def test_any_csv_error_of_a_plain_reader_is_handed_over_with_its_row():
    reader = csv.reader(io.StringIO('lrn\nA1\n"A2\n'), strict=True)
    unreadable: list[tuple[int, str]] = []
    rows = list(csv_rows(reader, lambda row, reason: unreadable.append((row, reason)), start=1))
    assert rows == [(1, ["lrn"]), (2, ["A1"])]
    assert unreadable == [(3, "unexpected end of data")]


def test_an_import_may_refuse_the_whole_file_from_the_callback():
    def refuse(row: int, reason: str) -> None:
        raise ValueError(f"line {row}: {reason}")

    reader = csv_dict_reader(f"name\nAda\n{BIG}\n")
    csv_header(reader, refuse)
    with pytest.raises(ValueError, match="line 3: field larger"):
        list(csv_rows(reader, refuse))
