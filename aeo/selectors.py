"""Reads of the AEO registry: the operator list, the operator page, the compliance profile.

The profile is computed from history with a handful of aggregate queries (never per declaration),
so it stays fast for an operator with millions of consignments when the indexes on
(operator, ...) are used."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.apps import apps
from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from .models import AEOAuthorisation, Operator, OperatorAPIKey

LATE_FINDING_CODES = ("late_submission", "submitted_after_arrival")
PROFILE_MONTHS = 12


def operator_list(*, query: str = "", role: str = "", aeo_only: bool = False) -> QuerySet:
    qs = Operator.objects.all()
    if query:
        query = query.strip()
        qs = qs.filter(
            Q(name__icontains=query)
            | Q(code__icontains=query)
            | Q(eori__iexact=query)
            | Q(vat_number__iexact=query)
            | Q(
                pk__in=apps.get_model("aeo", "OperatorIdentifier")
                .objects.filter(value__iexact=query)
                .values("operator_id")
            )
        )
    if role:
        qs = qs.filter(role=role)
    if aeo_only:
        from .benefits import aeo_operator_ids

        qs = qs.filter(pk__in=aeo_operator_ids())
    return qs.order_by("name", "pk")


def operator_detail(*, operator_id: int) -> Operator | None:
    return (
        Operator.objects.prefetch_related(
            "identifiers",
            "contacts",
            "links_out__target",
            "links_in__source",
            "authorisations",
        )
        .filter(pk=operator_id)
        .first()
    )


def operator_api_keys(*, operator: Operator) -> list[OperatorAPIKey]:
    return list(OperatorAPIKey.objects.filter(operator=operator).order_by("-created"))


def authorisations_to_review() -> QuerySet:
    return (
        AEOAuthorisation.objects.filter(
            status__in=(AEOAuthorisation.Status.APPLIED, AEOAuthorisation.Status.UNDER_REVIEW)
        )
        .select_related("operator")
        .order_by("created_at", "pk")
    )


@dataclass
class MonthRow:
    month: date
    declarations: int
    dq_average: Decimal | None


@dataclass
class ComplianceProfile:
    """An operator's record, to support AEO decisions (rates in percent, 1 decimal)."""

    declarations: int = 0
    last_30_days: int = 0
    dq_average: Decimal | None = None
    dq_trend: Decimal | None = None  # last 3 months' average minus the 3 months before
    late_submissions: int = 0
    late_rate: Decimal | None = None
    inspections: int = 0
    inspection_rate: Decimal | None = None
    checked: int = 0
    non_compliant: int = 0
    hit_rate: Decimal | None = None
    tax_discrepancies: int = 0
    discrepancy_rate: Decimal | None = None
    months: list[MonthRow] = field(default_factory=list)

    def chart_data(self) -> dict[str, Any]:
        return {
            "labels": [m.month.strftime("%Y-%m") for m in self.months],
            "declarations": [m.declarations for m in self.months],
            "dq": [float(m.dq_average) if m.dq_average is not None else None for m in self.months],
        }


def _pct(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _round(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _month_start(day: date, back: int) -> date:
    year, month = day.year, day.month - back
    while month <= 0:
        month += 12
        year -= 1
    return date(year, month, 1)


def compliance_profile(*, operator: Operator, today: date | None = None) -> ComplianceProfile:
    """Volumes, data quality (average and trend), late submissions, inspection and hit rates and
    self-assessment discrepancies, from the operator's history; about six aggregate queries."""
    declaration_model = apps.get_model("declarations", "Declaration")
    finding_model = apps.get_model("declarations", "QualityFinding")
    event_model = apps.get_model("declarations", "StatusEvent")
    today = today or timezone.localdate()
    now = timezone.now()
    own = declaration_model.objects.filter(operator=operator)
    profile = ComplianceProfile()

    totals = own.aggregate(
        n=Count("pk"),
        recent=Count("pk", filter=Q(received_at__gte=now - timedelta(days=30))),
        dq=Avg("dq_score"),
    )
    profile.declarations = totals["n"]
    profile.last_30_days = totals["recent"]
    profile.dq_average = _round(totals["dq"])

    first_month = _month_start(today, PROFILE_MONTHS - 1)
    by_month = {
        row["month"].date() if hasattr(row["month"], "date") else row["month"]: row
        for row in own.filter(received_at__date__gte=first_month)
        .annotate(month=TruncMonth("received_at"))
        .values("month")
        .annotate(n=Count("pk"), dq=Avg("dq_score"))
        .order_by("month")
    }
    for back in range(PROFILE_MONTHS - 1, -1, -1):
        month = _month_start(today, back)
        row = by_month.get(month)
        profile.months.append(
            MonthRow(month, row["n"] if row else 0, _round(row["dq"]) if row else None)
        )
    recent = [m for m in profile.months[-3:] if m.dq_average is not None]
    earlier = [m for m in profile.months[-6:-3] if m.dq_average is not None]
    if recent and earlier:
        recent_avg = sum(m.dq_average * m.declarations for m in recent) / sum(
            m.declarations for m in recent
        )
        earlier_avg = sum(m.dq_average * m.declarations for m in earlier) / sum(
            m.declarations for m in earlier
        )
        profile.dq_trend = _round(recent_avg - earlier_avg)

    profile.late_submissions = (
        finding_model.objects.filter(declaration__operator=operator, code__in=LATE_FINDING_CODES)
        .values("declaration_id")
        .distinct()
        .count()
    )
    profile.late_rate = _pct(profile.late_submissions, profile.declarations)

    profile.inspections = (
        event_model.objects.filter(operator=operator, to_status="inspection")
        .values("declaration_id")
        .distinct()
        .count()
    )
    profile.inspection_rate = _pct(profile.inspections, profile.declarations)

    try:
        outcome_model = apps.get_model("risk", "InspectionOutcome")
    except LookupError:  # the outcomes feedback is not installed
        outcome_model = None
    if outcome_model is not None:
        checked = outcome_model.objects.filter(declaration__operator=operator).aggregate(
            checked=Count("declaration_id", distinct=True),
            bad=Count("declaration_id", distinct=True, filter=~Q(result="compliant")),
        )
        profile.checked = checked["checked"]
        profile.non_compliant = checked["bad"]
        profile.hit_rate = _pct(profile.non_compliant, profile.checked)

    try:
        tax_model = apps.get_model("revenue", "TaxAssessment")
    except LookupError:
        tax_model = None
    if tax_model is not None:
        profile.tax_discrepancies = (
            tax_model.objects.filter(declaration__operator=operator, is_current=True)
            .exclude(discrepancies=[])
            .values("declaration_id")
            .distinct()
            .count()
        )
        profile.discrepancy_rate = _pct(profile.tax_discrepancies, profile.declarations)
    return profile
