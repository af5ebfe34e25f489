"""The customs administration's own clock: its jurisdiction's time zone, read from the regimes.

Effective dates, day boundaries, monthly periods and due dates are computed in this zone, never
in UTC (a parcel received at 01:30 Paris time on 1 July is a 1 July parcel)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from .regimes import jurisdiction_timezone, load_shipped_regimes


def jurisdiction_zone(jurisdiction: str | None = None) -> ZoneInfo:
    """The time zone of ``jurisdiction`` (default: the installation's), from the regimes."""
    from .services.regimes import active_regimes  # regimes edited by administrators win

    code = jurisdiction or settings.CUSTOMS_JURISDICTION
    specs = [spec for _row, spec in active_regimes()] or load_shipped_regimes()
    return jurisdiction_timezone(specs, code)


def local_date(instant: datetime | None = None, jurisdiction: str | None = None) -> date:
    """The calendar day of ``instant`` (default: now) in the jurisdiction."""
    return (instant or timezone.now()).astimezone(jurisdiction_zone(jurisdiction)).date()


def month_bounds(month: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The first instant of ``month`` and of the next one, at local midnight in ``zone``."""
    start = datetime(month.year, month.month, 1, tzinfo=zone)
    next_month = month.replace(day=28).toordinal() + 4
    following = date.fromordinal(next_month).replace(day=1)
    return start, datetime(following.year, following.month, 1, tzinfo=zone)
