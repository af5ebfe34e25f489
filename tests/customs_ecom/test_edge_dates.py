"""Officers' periods and date filters take a day of the years 1900 to 2999, as the API's
date-times do (customs_ecom.platform.bounds): a day at either end of the calendar (years 1 and
9999), whose midnight, following day or period cannot be computed in every time zone, is refused
with a message on the field, never a 500. Years 0 and 10000 are no date at all."""

from __future__ import annotations

import datetime

import pytest
from django.utils import translation

from customs_ecom.platform import bounds
from customs_ecom.platform.fields import CalendarDateField

pytestmark = pytest.mark.django_db

EDGE_DAYS = ["0001-01-01", "0001-01-02", "0001-12-31", "9999-12-30", "9999-12-31"]
NO_DAYS = ["0000-01-01", "10000-01-01"]
ZONES = ["", "Europe/Paris", "America/Los_Angeles", "Pacific/Kiritimati"]
OUT_OF_RANGE = "Enter a day of the years 1900 to 2999."


def _pages(day: str) -> list[str]:
    return [
        f"/dashboard/?start={day}",
        f"/dashboard/?end={day}",
        f"/dashboard/?start={day}&end={day}",
        f"/framework/?start={day}&end={day}",
        f"/audit/?start={day}",
        f"/audit/?end={day}",
        f"/consignments/?received_from={day}",
        f"/consignments/?received_to={day}",
    ]


def _exports(day: str) -> list[str]:
    """Refused with the field's message (400, plain text): a download has no page to show it, and
    the whole log or another period must never pass for the extract asked for."""
    return [
        f"/dashboard/export/volume_by_day.csv?end={day}",
        f"/dashboard/export/volume_by_day.csv?start={day}&end={day}",
        f"/audit/export.csv?start={day}&end={day}",
        f"/audit/export.csv?end={day}",
    ]


def test_the_field_takes_the_years_of_the_api_date_times():
    field = CalendarDateField(required=False)
    assert field.clean("1900-01-01") == datetime.date(1900, 1, 1)
    assert field.clean("2999-12-31") == datetime.date(2999, 12, 31)
    assert field.clean("") is None
    for day in ("1899-12-31", "3000-01-01", *EDGE_DAYS):
        with pytest.raises(Exception) as refused:
            field.clean(day)
        assert refused.value.messages == [OUT_OF_RANGE], day
    assert bounds.date_in_range(datetime.date(2026, 11, 25))
    assert not bounds.date_in_range(datetime.date.max)


@pytest.mark.parametrize("zone", ZONES)
def test_pages_refuse_a_day_at_the_ends_of_the_calendar_with_a_message(client, customs_user, zone):
    client.force_login(customs_user("supervisor"))
    if zone:
        client.cookies["officer_tz"] = zone
    for day in EDGE_DAYS:
        for url in _pages(day):
            answer = client.get(url)
            assert answer.status_code == 200, url
            assert OUT_OF_RANGE in answer.content.decode(), url
        for url in _exports(day):
            answer = client.get(url)
            assert answer.status_code == 400, url
            assert OUT_OF_RANGE in answer.content.decode(), url
    for day in NO_DAYS:
        for url in _pages(day):
            assert client.get(url).status_code == 200, url
        for url in _exports(day):
            assert client.get(url).status_code == 400, url


def test_the_first_and_last_days_accepted_are_shown(client, customs_user):
    client.force_login(customs_user("supervisor"))
    client.cookies["officer_tz"] = "Pacific/Kiritimati"
    for day in ("1900-01-01", "2999-12-31"):
        for url in _pages(day):
            answer = client.get(url)
            assert answer.status_code == 200, url
            assert OUT_OF_RANGE not in answer.content.decode(), url
        for url in _exports(day):
            assert client.get(url).status_code == 200, url


def test_the_refusal_is_in_french(client, customs_user):
    client.force_login(customs_user("supervisor"))
    answer = client.get("/audit/?end=9999-12-31", HTTP_ACCEPT_LANGUAGE="fr")
    assert "Saisissez un jour des années 1900 à 2999." in answer.content.decode()
    with translation.override("fr"):
        assert str(CalendarDateField().error_messages["out_of_range"]) == (
            "Saisissez un jour des années %(earliest)s à %(latest)s."
        )
