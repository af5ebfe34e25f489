"""Effective dates switch at local midnight in each jurisdiction's time zone, not in UTC; the
US suspension began at 00:01 Eastern time; deferred statements close on local month ends."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine

from declarations.models import Declaration
from revenue.models import DeferredStatement, TaxAssessment
from revenue.regimes import load_shipped_regimes, regime_at
from revenue.services.assessment import taxes_assess_batch
from revenue.services.statements import deferred_statements_close
from tests.revenue.helpers import border_body

SHIPPED = load_shipped_regimes()


@pytest.mark.parametrize(
    ("jurisdiction", "instant", "code"),
    [
        # 23:30 UTC on 30 June is 01:30 on 1 July in Paris: the 2026 rules apply.
        ("FR", datetime(2026, 6, 30, 23, 30, tzinfo=UTC), "EU-FR-2026"),
        ("FR", datetime(2026, 6, 30, 21, 59, tzinfo=UTC), "EU-FR-2026-03"),
        # Paris is UTC+1 in winter: the small-parcel tax began at 23:00 UTC on 28 February.
        ("FR", datetime(2026, 2, 28, 23, 0, tzinfo=UTC), "EU-FR-2026-03"),
        ("FR", datetime(2026, 2, 28, 22, 59, tzinfo=UTC), "EU-FR-2021"),
        # Auckland is UTC+13 until 5 April 2026: the levy began at 11:00 UTC on 31 March.
        ("NZ", datetime(2026, 3, 31, 11, 0, tzinfo=UTC), "NZ-2026-04"),
        ("NZ", datetime(2026, 3, 31, 10, 59, tzinfo=UTC), "NZ-2019"),
        ("DE", datetime(2026, 6, 30, 22, 0, tzinfo=UTC), "EU-DE-2026"),
        # Helsinki is UTC+3 in summer: 21:00 UTC is already midnight.
        ("FI", datetime(2026, 6, 30, 21, 0, tzinfo=UTC), "EU-FI-2026"),
        ("FI", datetime(2026, 6, 30, 20, 59, tzinfo=UTC), "EU-FI-2026-01"),
        # Helsinki is UTC+2 in winter: books went from 14% to 13.5% at 22:00 UTC on 31 December.
        ("FI", datetime(2025, 12, 31, 22, 0, tzinfo=UTC), "EU-FI-2026-01"),
        ("FI", datetime(2025, 12, 31, 21, 59, tzinfo=UTC), "EU-FI-2025-01"),
        # Madrid is UTC+2 in summer: Spain's 2% on basic foods began at 22:00 UTC on 30 September
        # 2024; UTC+1 in winter: the 4% came back at 23:00 UTC on 31 December.
        ("ES", datetime(2024, 9, 30, 22, 0, tzinfo=UTC), "EU-ES-2024-10"),
        ("ES", datetime(2024, 9, 30, 21, 59, tzinfo=UTC), "EU-ES-2023-01"),
        ("ES", datetime(2024, 12, 31, 23, 0, tzinfo=UTC), "EU-ES-2025-01"),
        ("ES", datetime(2024, 12, 31, 22, 59, tzinfo=UTC), "EU-ES-2024-10"),
        # Warsaw is UTC+1 in winter: Poland's 0% on food began at 23:00 UTC on 31 January 2022.
        ("PL", datetime(2022, 1, 31, 23, 0, tzinfo=UTC), "EU-PL-2022-02"),
        ("PL", datetime(2022, 1, 31, 22, 59, tzinfo=UTC), "EU-PL-2021"),
        # Summer time began in Warsaw at 01:00 UTC on 31 March 2024: the 0% ended at 22:00 UTC.
        ("PL", datetime(2024, 3, 31, 22, 0, tzinfo=UTC), "EU-PL-2024-04"),
        ("PL", datetime(2024, 3, 31, 21, 59, tzinfo=UTC), "EU-PL-2022-02"),
        # US: 00:00:30 EDT on 29 August 2025 is still under de minimis; 00:01 is not.
        ("US", datetime(2025, 8, 29, 4, 0, 30, tzinfo=UTC), "US-2025-05-14"),
        # 00:00:30 EDT on 2 May 2025: goods of China still had de minimis; 00:01 they did not.
        ("US", datetime(2025, 5, 2, 4, 0, 30, tzinfo=UTC), "US-2016"),
        ("US", datetime(2025, 5, 2, 4, 1, tzinfo=UTC), "US-2025-05"),
        ("US", datetime(2025, 8, 29, 4, 1, tzinfo=UTC), "US-2025"),
        # China's synthetic-opioid duty fell at 00:01 EST (UTC-5) on 10 November 2025.
        ("US", datetime(2025, 11, 10, 5, 0, 30, tzinfo=UTC), "US-2025-10"),
        ("US", datetime(2025, 11, 10, 5, 1, tzinfo=UTC), "US-2025-11"),
        # Auckland is 12 hours ahead: 1 December 2019 began at 11:00 UTC on 30 November.
        ("NZ", datetime(2019, 11, 30, 11, 0, tzinfo=UTC), "NZ-2019"),
        ("NZ", datetime(2019, 11, 30, 10, 59, tzinfo=UTC), None),
    ],
)
def test_regime_in_force_is_read_in_the_jurisdictions_time_zone(jurisdiction, instant, code):
    found = regime_at(SHIPPED, jurisdiction, instant)
    assert (found.code if found else None) == code


@pytest.mark.django_db
def test_parcel_received_at_half_past_one_in_paris_on_1_july_is_assessed_under_2026_rules(
    operator_b,
):
    from declarations.services import declarations_submit

    with time_machine.travel(datetime(2026, 6, 30, 23, 30, tzinfo=UTC), tick=False):
        (outcome,) = declarations_submit(operator=operator_b.operator, bodies=[border_body("TZ-1")])
        taxes_assess_batch(declaration_ids=[outcome.declaration.pk])
    assessment = TaxAssessment.objects.select_related("regime").get(
        declaration_id=outcome.declaration.pk
    )
    assert assessment.regime.code == "EU-FR-2026"
    assert assessment.rate_date == date(2026, 7, 1)
    assert assessment.lines.get(tax_type="duty").amount == Decimal("3.00")


@pytest.mark.django_db
def test_deferred_statement_months_end_at_local_midnight_and_are_due_on_the_regimes_day():
    from aeo.models import AEOAuthorisation
    from declarations.services import declarations_submit
    from tests.conftest import make_operator

    carrier = make_operator("tz-carrier", role="express_carrier")
    AEOAuthorisation.objects.create(
        operator=carrier.operator, kind="AEOF", status="authorised", valid_from=date(2026, 1, 1)
    )
    # 23:30 UTC on 31 October is 00:30 on 1 November in Paris (UTC+1 in winter).
    with time_machine.travel(datetime(2026, 10, 31, 23, 30, tzinfo=UTC), tick=False):
        (outcome,) = declarations_submit(operator=carrier.operator, bodies=[border_body("TZ-D1")])
        taxes_assess_batch(declaration_ids=[outcome.declaration.pk])
    assert Declaration.objects.get(pk=outcome.declaration.pk).received_at.month == 10
    assert deferred_statements_close(today=date(2026, 11, 30)) == 0  # a November entry
    assert deferred_statements_close(today=date(2026, 12, 1)) == 1
    statement = DeferredStatement.objects.get()
    assert statement.period == date(2026, 11, 1)
    assert statement.due_date == date(2026, 12, 16)
