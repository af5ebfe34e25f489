"""File import for officers: a CSV or XLSX manifest of declarations from an operator without an API.

One row per goods item; the consignment columns repeat on each row of the same `lrn` (rows of one
lrn must be consecutive or not, they are grouped). Each declaration goes through exactly the same
intake as the API (`declarations_submit`), so the same validation, data quality and storage apply;
errors are reported per file row with the column concerned."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from customs_ecom.platform.csvfile import csv_rows

from .messages import Message, csv_reason

# Column -> JSON Pointer in the declaration. Consignment columns first, then item columns.
CONSIGNMENT_COLUMNS: dict[str, str] = {
    "lrn": "/lrn",
    "dataset": "/dataset",
    "category": "/category",
    "transport_document_type": "/transport_document/type",
    "transport_document_number": "/transport_document/number",
    "transport_mode": "/transport_mode",
    "country_of_dispatch": "/country_of_dispatch",
    "expected_arrival": "/expected_arrival",
    "currency": "/currency",
    "total_gross_mass_kg": "/total_gross_mass_kg",
    "packages": "/packages",
    "transport_cost": "/transport_cost",
    "seller_name": "/seller/name",
    "seller_street": "/seller/address/street",
    "seller_city": "/seller/address/city",
    "seller_postcode": "/seller/address/postcode",
    "seller_country": "/seller/address/country",
    "consignee_name": "/consignee/name",
    "consignee_street": "/consignee/address/street",
    "consignee_city": "/consignee/address/city",
    "consignee_postcode": "/consignee/address/postcode",
    "consignee_country": "/consignee/address/country",
    "consignee_email": "/consignee/email",
    "consignee_phone": "/consignee/phone",
    "order_number": "/order/number",
    "order_platform": "/order/platform",
    "vendor_tax_scheme": "/vendor_tax_scheme/scheme",
    "vendor_tax_scheme_number": "/vendor_tax_scheme/number",
}
ITEM_COLUMNS: dict[str, str] = {
    "item_line": "line",
    "item_description": "description",
    "item_hs_code": "hs_code",
    "item_quantity": "quantity",
    "item_unit": "unit",
    "item_net_mass_kg": "net_mass_kg",
    "item_value": "value",
    "item_origin_country": "origin_country",
}
ALL_COLUMNS = (*CONSIGNMENT_COLUMNS, *ITEM_COLUMNS)
INTEGER_POINTERS = {"/packages"}
INTEGER_ITEM_FIELDS = {"line"}
MAX_ROWS = 100_000


class ImportFileError(ValueError):
    """The file as a whole cannot be read (format, header). Its argument is a ``Message``: the
    job stores its English text and, beside it, its id and parameters, shown in the reader's
    language."""


@dataclass
class ImportedDeclaration:
    """A declaration assembled from file rows, with the file row numbers it came from."""

    lrn: str
    rows: list[int] = field(default_factory=list)
    body: dict[str, Any] = field(default_factory=dict)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()


def read_rows(name: str, content: bytes) -> Iterator[tuple[int, dict[str, str]]]:
    """(file row number, column -> text) for a CSV (UTF-8, comma or semicolon) or an XLSX file."""
    if name.lower().endswith(".xlsx"):
        yield from _xlsx_rows(content)
        return
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(Message("the CSV file is not UTF-8 text")) from None
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","

    def unreadable(line: int, reason: str) -> None:  # a field over the csv module's limit
        raise ImportFileError(
            Message(
                "the CSV file cannot be read at line %(line)s: %(reason)s",
                line=line,
                reason=csv_reason(reason),
            )
        )

    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    columns: list[tuple[int, str]] | None = None
    for number, values in csv_rows(reader, unreadable, start=1):
        if columns is None:  # the header, line 1
            columns = _header(values)
            continue
        if not any(v.strip() for v in values):
            continue
        yield number, {c: (values[i].strip() if i < len(values) else "") for i, c in columns}
    if columns is None:
        _header(None)  # raises: the file is empty


def _xlsx_rows(content: bytes) -> Iterator[tuple[int, dict[str, str]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise ImportFileError(
            Message("the XLSX file cannot be read: %(error)s", error=exc.__class__.__name__)
        ) from None
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    columns = _header([_cell(v) for v in next(rows, None) or []])
    for number, values in enumerate(rows, start=2):
        cells = [_cell(v) for v in values]
        if not any(cells):
            continue
        yield number, {c: (cells[i] if i < len(cells) else "") for i, c in columns}
    workbook.close()


def _header(header: list[str] | None) -> list[tuple[int, str]]:
    if not header:
        raise ImportFileError(Message("the file is empty"))
    names = [h.strip().lower() for h in header]
    unknown = [n for n in names if n and n not in ALL_COLUMNS]
    if unknown:
        raise ImportFileError(Message("unknown column(s): %(columns)s", columns=", ".join(unknown)))
    if "lrn" not in names:
        raise ImportFileError(Message("the header has no lrn column"))
    return [(i, n) for i, n in enumerate(names) if n]


def _set(body: dict[str, Any], pointer: str, value: Any) -> None:
    parts = pointer.strip("/").split("/")
    target = body
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


def _typed(text: str, integer: bool) -> Any:
    if integer:
        try:
            return int(text)
        except ValueError:
            return text  # left as text: the contract reports type_invalid at its pointer
    return text


def assemble(rows: Iterator[tuple[int, dict[str, str]]]) -> list[ImportedDeclaration]:
    """Group rows by lrn into declaration bodies (amounts stay strings: exact decimals)."""
    declarations: dict[str, ImportedDeclaration] = {}
    for count, (number, row) in enumerate(rows, start=1):
        if count > MAX_ROWS:
            raise ImportFileError(
                Message("more than %(limit)s rows; split the file", limit=MAX_ROWS)
            )
        lrn = row.get("lrn", "")
        imported = declarations.get(lrn)
        if imported is None:
            imported = declarations[lrn] = ImportedDeclaration(lrn=lrn)
            for column, pointer in CONSIGNMENT_COLUMNS.items():
                if row.get(column):
                    _set(imported.body, pointer, _typed(row[column], pointer in INTEGER_POINTERS))
            imported.body.setdefault("items", [])
        imported.rows.append(number)
        item = {
            name: _typed(row[column], name in INTEGER_ITEM_FIELDS)
            for column, name in ITEM_COLUMNS.items()
            if row.get(column)
        }
        if item:
            item.setdefault("line", len(imported.body["items"]) + 1)
            imported.body["items"].append(item)
    return list(declarations.values())


def row_for_pointer(imported: ImportedDeclaration, pointer: str) -> tuple[int, str]:
    """The file row and column an error pointer refers to (the first row for consignment elements)."""
    parts = pointer.strip("/").split("/") if pointer else []
    if len(parts) >= 2 and parts[0] == "items" and parts[1].isdigit():
        index = int(parts[1])
        row = imported.rows[index] if index < len(imported.rows) else imported.rows[0]
        field_name = parts[2] if len(parts) > 2 else ""
        column = next((c for c, n in ITEM_COLUMNS.items() if n == field_name), "")
        return row, column
    column = next((c for c, p in CONSIGNMENT_COLUMNS.items() if p == pointer), "")
    return imported.rows[0], column
