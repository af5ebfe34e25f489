"""The registry of valid tax-scheme numbers (IOSS, VOEC, ...), loaded from CSV by an
administrator; its verdicts on a number are reads (``revenue.selectors``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from customs_ecom.platform.audit import audit_record
from customs_ecom.platform.csvfile import csv_dict_reader, csv_header, csv_rows
from revenue.models import TaxSchemeRegistration
from revenue.services.regimes import CsvRowError, unreadable_error

# The audit of a load names the numbers it added, up to this many (the count always).
AUDITED_NUMBERS = 2000


def tax_scheme_registrations_import(
    *, csv_text: str, actor: Any, reason: str = ""
) -> tuple[int, list[CsvRowError]]:
    """Load valid scheme numbers: `scheme,number,valid_from[,valid_to][,holder]` with a header.
    All rows or none; a row already loaded (same scheme, number, first day) is left as it is."""
    errors: list[CsvRowError] = []
    reader = csv_dict_reader(csv_text)
    header = csv_header(reader, unreadable_error(errors))
    if header is None:
        return 0, errors
    if not {"scheme", "number", "valid_from"} <= set(header):
        return 0, [CsvRowError(1, "", _("The header must name scheme, number and valid_from."))]
    pending: list[TaxSchemeRegistration] = []
    for line_number, row in csv_rows(reader, unreadable_error(errors)):
        scheme = (row.get("scheme") or "").strip().upper()
        number = (row.get("number") or "").strip().upper()
        if not scheme or len(scheme) > 8:
            errors.append(CsvRowError(line_number, "scheme", _("a scheme name is required")))
            continue
        if not number or len(number) > 40 or not number.isalnum():
            errors.append(CsvRowError(line_number, "number", _("not a scheme number")))
            continue
        dates: dict[str, date | None] = {}
        for column in ("valid_from", "valid_to"):
            text = (row.get(column) or "").strip()
            if not text:
                dates[column] = None
                continue
            try:
                dates[column] = date.fromisoformat(text)
            except ValueError:
                errors.append(
                    CsvRowError(
                        line_number, column, _("%(v)r is not a date YYYY-MM-DD") % {"v": text}
                    )
                )
        if len(dates) < 2:
            continue
        if dates["valid_from"] is None:
            errors.append(CsvRowError(line_number, "valid_from", _("a first day is required")))
            continue
        if dates["valid_to"] is not None and dates["valid_to"] < dates["valid_from"]:
            errors.append(CsvRowError(line_number, "valid_to", _("ends before it starts")))
            continue
        pending.append(
            TaxSchemeRegistration(
                scheme=scheme,
                number=number,
                holder=(row.get("holder") or "").strip()[:200],
                valid_from=dates["valid_from"],
                valid_to=dates["valid_to"],
            )
        )
    if errors:
        return 0, errors
    with transaction.atomic():
        before = TaxSchemeRegistration.objects.count()
        loaded = set(
            TaxSchemeRegistration.objects.filter(
                number__in={r.number for r in pending}
            ).values_list("scheme", "number", "valid_from")
        )
        TaxSchemeRegistration.objects.bulk_create(pending, ignore_conflicts=True)
        created = TaxSchemeRegistration.objects.count() - before
        # The numbers the load added, themselves (up to AUDITED_NUMBERS): each one changes the
        # verdict on the consignments that carry it.
        added, seen = [], set(loaded)
        for r in pending:
            key = (r.scheme, r.number, r.valid_from)
            if key in seen:
                continue
            seen.add(key)
            added.append(
                {
                    "scheme": r.scheme,
                    "number": r.number,
                    "valid_from": r.valid_from.isoformat(),
                    "valid_to": r.valid_to.isoformat() if r.valid_to else None,
                    "holder": r.holder,
                }
            )
        audit_record(
            actor=actor,
            action="tax_scheme_registry.import",
            object_type="tax_scheme_registry",
            object_id="",
            before={"rows": before},
            after={
                "rows": before + created,
                "imported": len(pending),
                "new": created,
                "added": added[:AUDITED_NUMBERS],
                **({"added_truncated": True} if len(added) > AUDITED_NUMBERS else {}),
            },
            reason=reason,
        )
    return created, []
