"""The demo data tells one coherent story: findings agree with the dates shown, late
submissions are a small share, outcomes, seizures and watchlist matches exist, every released
parcel was released after it was received and arrived."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from django.core.management import call_command

from declarations.models import Declaration, QualityFinding, Status
from risk.models import InspectionOutcome, RiskHit, WatchlistEntry

# Real commits: each event of the story runs its on-commit tasks at its own moment.
pytestmark = pytest.mark.django_db(transaction=True)
RECEIVED = re.compile(r"received (\d{4}-\d\d-\d\d \d\d:\d\d) UTC")


def test_seed_demo_tells_one_coherent_story():
    """One run (it takes a while), every property checked on it."""
    call_command("seed_demo", "--declarations", "160", "--seed", "7", verbosity=0)
    carrier_carries_for_the_marketplace()
    timeliness_findings_quote_the_received_date_the_page_shows()
    late_submissions_are_a_small_share()
    dates_follow_each_other()
    outcomes_seizures_and_watchlist_are_seeded_through_the_services()


def carrier_carries_for_the_marketplace():
    # The README's tour posts the carrier's manifest: it re-scores the marketplace's declarations.
    from aeo.models import OperatorLink

    assert OperatorLink.objects.filter(
        source__code="swift-express", target__code="example-market", kind="carries_for"
    ).exists()


def timeliness_findings_quote_the_received_date_the_page_shows():
    findings = QualityFinding.objects.filter(
        code__in=["late_submission", "submitted_after_arrival"]
    ).select_related("declaration")
    assert findings.exists()
    for finding in findings:
        quoted = datetime.strptime(RECEIVED.search(finding.detail).group(1), "%Y-%m-%d %H:%M")
        shown = finding.declaration.received_at
        assert quoted.strftime("%Y-%m-%d %H:%M") == shown.strftime("%Y-%m-%d %H:%M")


def late_submissions_are_a_small_share():
    total = Declaration.objects.count()
    late = (
        QualityFinding.objects.filter(code__in=["late_submission", "submitted_after_arrival"])
        .values("declaration")
        .distinct()
        .count()
    )
    assert total == 160
    assert 0 < late / total < 0.15


def dates_follow_each_other():
    released = Declaration.objects.filter(status=Status.RELEASED)
    from collections import Counter

    from declarations.models import StatusEvent

    assert released.count() > 40, (
        Counter(Declaration.objects.values_list("status", "channel")),
        Counter(StatusEvent.objects.values_list("to_status", "public_reason")).most_common(8),
    )
    for declaration in Declaration.objects.exclude(arrived_at=None):
        assert declaration.arrived_at > declaration.received_at
    for declaration in released:
        assert declaration.released_at >= declaration.received_at
        events = list(declaration.events.order_by("id").values_list("at", flat=True))
        assert events == sorted(events)


def outcomes_seizures_and_watchlist_are_seeded_through_the_services():
    assert InspectionOutcome.objects.count() >= 20
    assert InspectionOutcome.objects.exclude(result="compliant").exists()
    assert Declaration.objects.filter(status=Status.DETAINED).exists()
    assert WatchlistEntry.objects.filter(list_name="national").count() == 2
    assert RiskHit.objects.filter(rule_code="watchlist_screening").exists()
