"""Regime versions: the shipped regimes loaded after migrate, the parsed figures of each version
row (cached) and the version in force on a day, new versions edited by administrators, and duty
tariffs imported from CSV."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import TextField
from django.db.models.functions import MD5, Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from customs_ecom.platform.audit import audit_record
from customs_ecom.platform.csvfile import csv_dict_reader, csv_header, csv_rows
from customs_ecom.platform.currencies import currency_places
from declarations.messages import csv_reason, render
from revenue.localtime import local_date
from revenue.models import Regime
from revenue.money import plain_quantum, quantum_fault
from revenue.regimes import (
    QUANTUM_FIELDS,
    RegimeSpec,
    load_shipped_regimes,
    regime_at,
    regime_for,
)

logger = logging.getLogger(__name__)


def ensure_shipped_regimes() -> None:
    """Load the shipped regimes as version 1 rows if missing, and bring version 1 rows up to date
    when a release ships corrected or new figures for them (a period cut short where a new regime
    now starts, a national fee added): each such update is audited with the figures before and
    after. A regime an administrator has given later versions is left to the administrator, with
    a warning. Idempotent; runs after migrate."""
    with transaction.atomic():
        for spec in load_shipped_regimes():
            shipped = spec.to_dict()
            row, created = Regime.objects.get_or_create(
                code=spec.code,
                version=1,
                defaults={
                    "jurisdiction": spec.jurisdiction,
                    "valid_from": spec.valid_from,
                    "valid_to": spec.valid_to,
                    "spec": shipped,
                },
            )
            if created or (
                row.spec == shipped
                and row.valid_from == spec.valid_from
                and row.valid_to == spec.valid_to
            ):
                continue
            if Regime.objects.filter(code=spec.code, version__gt=1).exists():
                logger.warning(
                    "The shipped figures of regime %s changed, but an administrator has made later "
                    "versions of it: review them on the regimes page.",
                    spec.code,
                )
                continue
            before, after = _changed(row.spec, shipped)
            Regime.objects.filter(pk=row.pk).update(
                valid_from=spec.valid_from, valid_to=spec.valid_to, spec=shipped
            )
            audit_record(
                actor=None,
                action="regime.shipped_update",
                object_type="regime",
                object_id=row.pk,
                before={"code": spec.code, "version": 1, **before},
                after={"code": spec.code, "version": 1, **after},
                reason="figures shipped with this release",
            )


# Parsed figures by row, validity and content: parsing the 70-odd shipped regimes on every
# estimate cost about 30 ms, comparing their JSON a tenth of that.
_SPEC_CACHE: dict[tuple[Any, ...], RegimeSpec] = {}


def spec_of(row: Regime) -> RegimeSpec:
    """The regime figures of one version row, with the row's own validity dates."""
    key = (row.pk, row.version, row.valid_from, row.valid_to, _fingerprint(row.spec))
    if row.pk is not None and key in _SPEC_CACHE:
        return _SPEC_CACHE[key]
    spec = _parse_spec(row)
    if row.pk is not None:
        if len(_SPEC_CACHE) > 4096:
            _SPEC_CACHE.clear()
        _SPEC_CACHE[key] = spec
    return spec


def _fingerprint(spec: Any) -> str:
    return json.dumps(spec, sort_keys=True, separators=(",", ":"))


def _parse_spec(row: Regime) -> RegimeSpec:
    data = dict(row.spec)
    data["valid_from"] = row.valid_from.isoformat()
    data["valid_to"] = row.valid_to.isoformat() if row.valid_to else None
    return RegimeSpec.from_dict(data)


# Active rows by (pk, version, validity, digest of the stored figures): a row changed in any way
# gets a new key, so nothing stale is ever served.
_ROW_CACHE: dict[tuple[Any, ...], tuple[Regime, RegimeSpec]] = {}


def active_regimes() -> list[tuple[Regime, RegimeSpec]]:
    """Every active version row: each covers its own dated period (a new version ends the
    previous one the day before it starts), so the date alone picks the version in force.

    Each call asks the database for the rows' keys and an MD5 digest of their figures only; the
    rows and their parsed figures come from a process cache when the digest is unchanged (every
    assessment batch calls this: fetching, decoding and fingerprinting some eighty JSON documents
    each time was a quarter of a single-declaration drain's CPU)."""
    keys = list(
        Regime.objects.filter(is_active=True)
        .order_by("code", "version")
        .annotate(digest=MD5(Cast("spec", TextField())))
        .values_list("pk", "version", "valid_from", "valid_to", "digest")
    )
    missing = [key[0] for key in keys if key not in _ROW_CACHE]
    if missing:
        if len(_ROW_CACHE) > 4096:
            _ROW_CACHE.clear()
        rows = Regime.objects.filter(pk__in=missing).annotate(digest=MD5(Cast("spec", TextField())))
        for row in rows:
            key = (row.pk, row.version, row.valid_from, row.valid_to, row.digest)
            _ROW_CACHE[key] = (row, spec_of(row))
    result = []
    for key in keys:
        if key not in _ROW_CACHE:  # changed between the two reads: read it as it is now
            row = Regime.objects.get(pk=key[0])
            result.append((row, spec_of(row)))
        else:
            result.append(_ROW_CACHE[key])
    return result


def regime_at_instant(
    jurisdiction: str, instant: datetime, regimes: list[tuple[Regime, RegimeSpec]]
) -> tuple[Regime, RegimeSpec] | None:
    """The version row and figures in force at ``instant``, read in the jurisdiction's time zone
    (see :func:`revenue.regimes.regime_at`)."""
    spec = regime_at([s for _, s in regimes], jurisdiction, instant)
    if spec is None:
        return None
    for row, candidate in regimes:
        if candidate is spec:
            return row, spec
    return None


def regime_on(
    jurisdiction: str, on: date, regimes: list[tuple[Regime, RegimeSpec]]
) -> tuple[Regime, RegimeSpec] | None:
    spec = regime_for([s for _, s in regimes], jurisdiction, on)
    if spec is None:
        return None
    for row, candidate in regimes:
        if candidate is spec:
            return row, spec
    return None


class RegimeChangeError(ValueError):
    """A regime change that cannot be made; `field` names the form field at fault (or "")."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class CsvRowError:
    row: int
    column: str
    message: str


def unreadable_error(errors: list[CsvRowError]) -> Callable[[int, str], None]:
    """A row the csv reader cannot read (a cell over its limit, a stray carriage return), as an
    error of these files, in the reader's language."""

    def unreadable(row: int, cause: str) -> None:
        said = render(csv_reason(cause), _)
        reason = _("The file cannot be read here: %(reason)s") % {"reason": said}
        errors.append(CsvRowError(row, "", reason))

    return unreadable


def quantum_error(quantum: Any, currency: str) -> str | None:
    """Why ``quantum`` cannot be a rounding step of ``currency``, in the reader's language, or
    None (see ``revenue.money.quantum_fault``)."""
    places = currency_places(currency)
    fault = quantum_fault(quantum, places)
    if fault is None:
        return None
    minor = plain_quantum(Decimal(1).scaleb(-places))
    if fault == "not_plain":
        return _("Write the rounding step %(value)s as %(plain)s.") % {
            "value": str(quantum).strip(),
            "plain": plain_quantum(Decimal(str(quantum).strip())),
        }
    if fault == "finer_than_minor_unit":
        return _(
            "%(value)s is finer than the smallest unit of %(currency)s (%(minor)s): amounts "
            "cannot be paid in it."
        ) % {"value": str(quantum).strip(), "currency": currency, "minor": minor}
    return _(
        "%(value)s is not a rounding step: write 1 or 5 times a power of ten, from %(minor)s "
        "(the smallest unit of %(currency)s) to 100, for example 0.01, 0.05, 0.1, 1 or 10."
    ) % {"value": str(quantum).strip(), "currency": currency, "minor": minor}


def _refuse_carried_quantum(old_spec: Mapping[str, Any], changes: Mapping[str, Any]) -> None:
    """A version stored before the rounding-step rule may hold a step it no longer accepts (0.02):
    it is still read and assessed as it was, but a new version (a rate change, a tariff import)
    does not carry it; the administrator sets the rounding on the parameters form first."""
    for name in QUANTUM_FIELDS:
        carried = old_spec.get(name)
        if name in changes or carried is None:
            continue
        problem = quantum_error(carried, old_spec["currency"])
        if not problem:
            continue
        if name == "rounding_quantum":
            message = _(
                "This regime rounds to %(value)s, a step no longer accepted: %(problem)s Set the "
                "rounding on the parameters form first, then make this change."
            )
        else:
            message = _(
                "This regime rounds duties and taxes to %(value)s, a step no longer accepted: "
                "%(problem)s It cannot be carried into a new version: have the regime's duty and "
                "tax rounding corrected first."
            )
        raise RegimeChangeError(
            message % {"value": carried, "problem": problem}, field="rounding_quantum"
        )


def _changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[dict, dict]:
    keys = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def regime_new_version(
    *,
    regime_id: int,
    changes: Mapping[str, Any],
    effective_from: date,
    actor: Any,
    reason: str,
) -> Regime:
    """Change a regime's figures from `effective_from`: a new version row starts that day and the
    version it replaces ends the day before. Assessments keep the version they used, and
    declarations received before that day keep being assessed under the old figures.

    `changes` holds spec fields in their JSON form (decimal strings, rate tables as dicts). The
    version edited must be the newest of its code, and the date must fall within its validity,
    after its first day and not in the past (what was assessed is never rewritten)."""
    if not reason.strip():
        raise RegimeChangeError(_("Say why the regime changes."), field="reason")
    with transaction.atomic():
        current = Regime.objects.select_for_update().get(pk=regime_id)
        newest = Regime.objects.filter(code=current.code).order_by("-version").first()
        if newest is None or newest.pk != current.pk:
            raise RegimeChangeError(_("Only the newest version of a regime can be changed."))
        if effective_from < local_date(jurisdiction=current.jurisdiction):
            raise RegimeChangeError(
                _("The effective date cannot be in the past."), field="effective_from"
            )
        if effective_from <= current.valid_from:
            raise RegimeChangeError(
                _("The effective date must be after %(day)s, the first day of this version.")
                % {"day": current.valid_from.isoformat()},
                field="effective_from",
            )
        if current.valid_to is not None and effective_from > current.valid_to:
            raise RegimeChangeError(
                _("The effective date must be on or before %(day)s, the last day of this regime.")
                % {"day": current.valid_to.isoformat()},
                field="effective_from",
            )
        old_spec = spec_of(current).to_dict()
        unknown = set(changes) - set(old_spec) - {"valid_from", "valid_to"}
        if unknown:
            raise RegimeChangeError(f"unknown regime fields: {sorted(unknown)}")
        for name in QUANTUM_FIELDS:
            if changes.get(name) is not None:
                problem = quantum_error(changes[name], old_spec["currency"])
                if problem:
                    raise RegimeChangeError(problem, field=name)
        _refuse_carried_quantum(old_spec, changes)
        data = {**old_spec, **changes}
        data["valid_from"] = effective_from.isoformat()
        data["valid_to"] = current.valid_to.isoformat() if current.valid_to else None
        try:
            new_spec = RegimeSpec.from_dict(data)
        except (ValueError, TypeError) as exc:
            raise RegimeChangeError(str(exc)) from exc
        before, after = _changed(
            {k: v for k, v in old_spec.items() if k not in ("valid_from", "valid_to")},
            {k: v for k, v in new_spec.to_dict().items() if k not in ("valid_from", "valid_to")},
        )
        if not after:
            raise RegimeChangeError(_("Nothing changed."))
        previous_end = effective_from - timedelta(days=1)
        spec_json = dict(current.spec)
        spec_json["valid_to"] = previous_end.isoformat()
        Regime.objects.filter(pk=current.pk).update(valid_to=previous_end, spec=spec_json)
        new = Regime.objects.create(
            code=current.code,
            version=current.version + 1,
            jurisdiction=current.jurisdiction,
            valid_from=effective_from,
            valid_to=current.valid_to,
            spec=new_spec.to_dict(),
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        audit_record(
            actor=actor,
            action="regime.new_version",
            object_type="regime",
            object_id=new.pk,
            before={
                "code": current.code,
                "version": current.version,
                "valid_to": current.valid_to.isoformat() if current.valid_to else None,
                **before,
            },
            after={
                "code": new.code,
                "version": new.version,
                "valid_from": effective_from.isoformat(),
                "previous_valid_to": previous_end.isoformat(),
                **after,
            },
            reason=reason,
        )
        return new


def parse_rate(text: str) -> Decimal:
    """A rate typed by a person: a fraction (`0.12`) or a percentage (`12%`)."""
    raw = (text or "").strip().replace(",", ".")
    percent = raw.endswith("%")
    try:
        value = Decimal(raw.rstrip("%").strip())
    except InvalidOperation:
        raise ValueError(_("%(value)r is not a rate") % {"value": text}) from None
    if not value.is_finite():
        raise ValueError(_("%(value)r is not a rate") % {"value": text})
    if percent:
        value = value / 100
    if not Decimal(0) <= value <= Decimal(1):
        raise ValueError(
            _("%(value)r is not between 0 and 1 (write 12%% or 0.12)") % {"value": text}
        )
    return value.normalize() if value else Decimal(0)


def _hs_prefix_problem(prefix: str) -> str | None:
    if not prefix.isdigit() or len(prefix) not in (2, 4, 6, 8, 10):
        return _("%(value)r is not an HS prefix of 2, 4, 6, 8 or 10 digits") % {"value": prefix}
    return None


def parse_tariff_csv(text: str) -> tuple[dict[str, tuple[Decimal, str]], list[CsvRowError]]:
    """Rows `hs_prefix,rate[,description]` (header required) -> {prefix: (rate, description)};
    every faulty row is reported with its line number and column, nothing is half-loaded."""
    errors: list[CsvRowError] = []
    rows: dict[str, tuple[Decimal, str]] = {}
    reader = csv_dict_reader(text)
    header = csv_header(reader, unreadable_error(errors))
    if header is None:
        return {}, errors
    if "hs_prefix" not in header or "rate" not in header:
        return {}, [CsvRowError(1, "", _("The header must name the columns hs_prefix and rate."))]
    for line_number, row in csv_rows(reader, unreadable_error(errors)):
        _tariff_row(line_number, row, rows, errors)
    if not rows and not errors:
        errors.append(CsvRowError(2, "", _("The file has no tariff lines.")))
    return rows, errors


def _tariff_row(
    line_number: int,
    row: dict[str | None, Any],
    rows: dict[str, tuple[Decimal, str]],
    errors: list[CsvRowError],
) -> None:
    if None in row:  # csv puts the fields beyond the header under None
        errors.append(CsvRowError(line_number, "", _("More fields than columns in the header.")))
        return
    prefix = (row.get("hs_prefix") or "").strip().replace(".", "").replace(" ", "")
    problem = _hs_prefix_problem(prefix)
    if problem:
        errors.append(CsvRowError(line_number, "hs_prefix", problem))
        return
    try:
        rate = parse_rate(row.get("rate") or "")
    except ValueError as exc:
        errors.append(CsvRowError(line_number, "rate", str(exc)))
        return
    if prefix in rows:
        errors.append(
            CsvRowError(
                line_number,
                "hs_prefix",
                _("%(prefix)s appears twice") % {"prefix": prefix},
            )
        )
        return
    rows[prefix] = (rate, (row.get("description") or "").strip()[:300])


def regime_import_tariff(
    *,
    regime_id: int,
    csv_text: str,
    effective_from: date,
    replace: bool,
    source_name: str,
    actor: Any,
    reason: str,
) -> tuple[Regime | None, list[CsvRowError]]:
    """Load a duty tariff from CSV into a new version of the regime. `replace` swaps the whole
    tariff (the version no longer holds sample rates); otherwise the rows override the prefixes
    they name. Any faulty row: nothing is stored and every error is returned."""
    rows, errors = parse_tariff_csv(csv_text)
    if errors:
        return None, errors
    current = Regime.objects.get(pk=regime_id)
    spec = spec_of(current).to_dict()
    duty_rates = {} if replace else dict(spec["duty_rates"])
    descriptions = {} if replace else dict(spec.get("duty_rate_descriptions") or {})
    for prefix, (rate, description) in rows.items():
        duty_rates[prefix] = str(rate)
        if description:
            descriptions[prefix] = description
    changes: dict[str, Any] = {
        "duty_rates": duty_rates,
        "duty_rate_descriptions": descriptions,
        "tariff_source": f"{source_name} ({len(rows)} lines, {timezone.localdate().isoformat()})",
    }
    if replace:
        changes["sample_rates"] = False
    regime = regime_new_version(
        regime_id=regime_id,
        changes=changes,
        effective_from=effective_from,
        actor=actor,
        reason=reason,
    )
    return regime, []
