"""CSV exports that a spreadsheet opens as text: a cell someone else wrote (a reason, an operator's
name, a value from an uploaded file) that begins like a formula is written with a leading
apostrophe, so that opening the export never runs it (OWASP, "CSV Injection"). Numbers, negative
ones included, are written as they are."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

# What a spreadsheet reads as the start of a formula (or, for tab and carriage return, what it
# strips before one).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")


def cell(value: Any) -> Any:
    """The value as a CSV cell a spreadsheet shows as text, never evaluates."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


class Writer:
    """``csv.writer`` whose every cell goes through ``cell``."""

    def __init__(self, stream: Any, **options: Any) -> None:
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def filters_refused(form: Any) -> Any:
    """The answer of a CSV export whose filters ``form`` refused: 400 with each field's reason as
    plain text (a download has no page to show them on). Figures of everything, or of another
    period, must never pass for the extract asked for."""
    from django.http import HttpResponseBadRequest

    from .templatetags.human import colon

    reasons = [
        f"{colon(form.fields[name].label if name in form.fields else name)} {error}"
        for name, errors in form.errors.items()
        for error in errors
    ]
    return HttpResponseBadRequest(
        "\n".join(reasons) + "\n", content_type="text/plain; charset=utf-8"
    )
