"""Which day's exchange rate a customs rule takes: pure date arithmetic, no Django, so that
intake's validation (``declarations.schemas``), the risk facts and the tax assessment
(``revenue.rates``) all convert at the same rate."""

from __future__ import annotations

from datetime import date, timedelta


def eu_customs_rate_day(on: date) -> date:
    """The day whose rate is the EU's customs rate for an importation on ``on``: the penultimate
    Wednesday of the previous month, applied for the whole month (Reg. (EU) 2015/2447 art. 146,
    Reg. (EU) 952/2013 art. 53(1)(a)). Intake's value ceilings and the risk engine's euro values
    use it, as the assessment does."""
    previous_last = on.replace(day=1) - timedelta(days=1)
    # Wednesdays of the previous month, from its last day backwards: the second is the
    # penultimate.
    last_wednesday = previous_last - timedelta(days=(previous_last.weekday() - 2) % 7)
    return last_wednesday - timedelta(days=7)
