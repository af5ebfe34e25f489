"""Pages show times in the officer's time zone: the browser names it once in a cookie
(static/js/officer.js) and this middleware activates it for each request. Without the cookie, or
with a zone this server does not know, times stay in settings.TIME_ZONE."""

from __future__ import annotations

from datetime import date, datetime, time
from urllib.parse import unquote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone

COOKIE = "officer_tz"


class OfficerTimeZoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = unquote(request.COOKIES.get(COOKIE, ""))[:64]
        zone = None
        if name:
            try:
                zone = ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                zone = None
        if zone is not None:
            timezone.activate(zone)
        else:
            timezone.deactivate()
        return self.get_response(request)


def installation_today():
    """Today in the installation's time zone (settings.TIME_ZONE), whoever asks: the date that
    business days, validity dates and KPI days are read against. An officer's own time zone only
    changes how times are shown, never which day a rule or an authorisation is in force."""
    return timezone.localdate(timezone=timezone.get_default_timezone())


def installation_day_start(day: date) -> datetime:
    """The instant ``day`` begins in the installation's time zone: the boundary of a day that the
    KPIs count and that the lists' "received from / to" filters select, whatever the zone of the
    officer's browser, so a day on the dashboard opens the list of the same declarations."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())
