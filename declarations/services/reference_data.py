"""Reference data maintained by administrators: official exchange rates and profile versions."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customs_ecom.platform.audit import audit_record
from customs_ecom.platform.csvfile import csv_dict_reader, csv_header, csv_rows

from ..messages import csv_reason, render


@dataclass
class RateLoadResult:
    """Outcome of a CSV load: rows stored (0 when any row failed) and the per-row errors."""

    loaded: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)


RATE_CSV_COLUMNS = ("currency", "valid_from", "units_per_eur")


# A rate more than this factor away from the one in use for its currency and day is refused
# unless the administrator confirms it (a slipped decimal point is ten times off).
RATE_JUMP = Decimal("1.5")


def exchange_rates_load(
    *,
    text: str,
    actor: Any,
    source: str = "official",
    reason: str = "",
    confirm_unusual: bool = False,
) -> RateLoadResult:
    """Load official monthly customs rates from CSV (`currency,valid_from,units_per_eur`, units of the
    currency per 1 EUR from that day). All or nothing: one bad row loads no row, and every bad row is
    reported with its line number. A rate that rounds to zero at six decimals is refused, and one
    more than half as much again (or less than two thirds) of the rate in use for that currency and
    day is refused unless ``confirm_unusual``. Re-loading a month replaces its rate; the change is
    audited with the rate each row replaced or took over from."""
    from datetime import date
    from decimal import InvalidOperation

    from ..codelists import is_currency
    from ..models import ExchangeRate
    from ..rates import RateBook

    result = RateLoadResult()

    def unreadable(line: int, cause: str) -> None:  # a cell over the csv module's limit
        result.errors.append(
            {
                "line": line,
                "column": "",
                "error": _("the file cannot be read here: %(reason)s")
                % {"reason": render(csv_reason(cause), _)},
            }
        )

    reader = csv_dict_reader(text)
    header = csv_header(reader, unreadable)
    if header is None:
        return result
    missing = [c for c in RATE_CSV_COLUMNS if c not in header]
    if missing:
        result.errors.append(
            {"line": 1, "column": ",".join(missing), "error": _("missing column(s) in the header")}
        )
        return result
    parsed: dict[tuple[str, date], Decimal] = {}
    # The rate each row's currency and day takes now: checked against, then audited as before.
    in_use_by_row: dict[tuple[str, date], Decimal | None] = {}
    book = RateBook()
    for line_no, raw in csv_rows(reader, unreadable):
        if None in raw:  # csv puts the fields beyond the header under None, as a list
            result.errors.append(
                {
                    "line": line_no,
                    "column": "",
                    "error": _("more fields than columns in the header"),
                }
            )
            continue
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        currency = row.get("currency", "").upper()
        if not is_currency(currency) or currency == "EUR":
            result.errors.append(
                {
                    "line": line_no,
                    "column": "currency",
                    "error": _("%(value)r is not a currency") % {"value": currency},
                }
            )
            continue
        try:
            valid_from = date.fromisoformat(row.get("valid_from", ""))
        except ValueError:
            result.errors.append(
                {
                    "line": line_no,
                    "column": "valid_from",
                    "error": _("%(value)r is not a date (YYYY-MM-DD)")
                    % {"value": row.get("valid_from")},
                }
            )
            continue
        try:
            rate = Decimal(row.get("units_per_eur", ""))
            if not rate.is_finite() or rate <= 0 or rate >= Decimal("1e12"):
                raise InvalidOperation
        except InvalidOperation:
            result.errors.append(
                {
                    "line": line_no,
                    "column": "units_per_eur",
                    "error": _("%(value)r is not a positive decimal")
                    % {"value": row.get("units_per_eur")},
                }
            )
            continue
        if (currency, valid_from) in parsed:
            result.errors.append(
                {
                    "line": line_no,
                    "column": "valid_from",
                    "error": _("%(currency)s %(day)s appears twice in the file")
                    % {"currency": currency, "day": valid_from},
                }
            )
            continue
        stored = rate.quantize(Decimal("0.000001"))
        if not stored:
            result.errors.append(
                {
                    "line": line_no,
                    "column": "units_per_eur",
                    "error": _("%(value)r rounds to 0 at six decimals")
                    % {"value": row.get("units_per_eur")},
                }
            )
            continue
        in_use = book(currency, valid_from)
        if (
            in_use is not None
            and not confirm_unusual
            and (stored > in_use * RATE_JUMP or stored * RATE_JUMP < in_use)
        ):
            result.errors.append(
                {
                    "line": line_no,
                    "column": "units_per_eur",
                    "error": _(
                        "%(rate)s is far from the rate in use, %(in_use)s: check the file, "
                        "or confirm that the unusual rates are right"
                    )
                    % {"rate": stored, "in_use": in_use},
                }
            )
            continue
        parsed[(currency, valid_from)] = stored
        in_use_by_row[(currency, valid_from)] = in_use
    if result.errors or not parsed:
        if not parsed and not result.errors:
            result.errors.append({"line": 1, "column": "", "error": _("the file has no rows")})
        return result
    with transaction.atomic():
        existing = {
            (r.currency, r.valid_from): r
            for r in ExchangeRate.objects.select_for_update().filter(
                source=source, currency__in={c for c, _day in parsed}
            )
        }
        before: dict[str, str] = {}
        for (currency, valid_from), rate in parsed.items():
            row = existing.get((currency, valid_from))
            if row is None:
                in_use = in_use_by_row[(currency, valid_from)]
                if in_use is not None:  # the rate this day took before: what the load changes
                    before[f"{currency} {valid_from}"] = str(in_use)
                ExchangeRate.objects.create(
                    currency=currency, valid_from=valid_from, units_per_eur=rate, source=source
                )
            elif row.units_per_eur != rate:
                before[f"{currency} {valid_from}"] = str(row.units_per_eur)
                row.units_per_eur = rate
                row.loaded_at = timezone.now()
                row.save(update_fields=["units_per_eur", "loaded_at"])
        audit_record(
            actor=actor,
            action="exchange_rates.load",
            object_type="exchange_rate",
            object_id=source,
            before=before or None,
            after={f"{c} {d}": str(r) for (c, d), r in sorted(parsed.items())},
            reason=reason,
        )
    result.loaded = len(parsed)
    return result


def profile_publish(*, spec_data: dict[str, Any], actor: Any, reason: str = "") -> Any:
    """Publish a new version of a reference-dataset profile: it validates every declaration received
    from now on, while stored declarations keep the version that validated them."""
    from django.db.models import Max

    from ..models import Profile
    from ..profiles import ProfileSpec
    from ..reference import invalidate_profile_cache

    with transaction.atomic():
        code = str(spec_data.get("code", ""))
        current = (
            Profile.objects.select_for_update()
            .filter(code=code)
            .aggregate(Max("version"))["version__max"]
            or 0
        )
        data = {**spec_data, "version": current + 1}
        spec = ProfileSpec.from_dict(data)  # raises ValueError/KeyError on a malformed spec
        previous = Profile.objects.filter(code=code, is_active=True).order_by("-version").first()
        Profile.objects.filter(code=code, is_active=True).update(is_active=False)
        profile = Profile.objects.create(
            code=spec.code, version=spec.version, spec=spec.to_dict(), is_active=True
        )
        audit_record(
            actor=actor,
            action="profile.publish",
            object_type="profile",
            object_id=profile.pk,
            before={"code": code, "version": previous.version, "spec": previous.spec}
            if previous
            else None,
            after={"code": code, "version": profile.version, "spec": profile.spec},
            reason=reason,
        )
        transaction.on_commit(invalidate_profile_cache)
    invalidate_profile_cache()
    return profile
