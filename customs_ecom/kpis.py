"""Standard 15 KPIs: daily aggregates written by beat, read by the dashboard.

`aggregate_day(day)` recomputes every metric of one day from the live tables and replaces that
day's `DailyAggregate` rows in one transaction (safe to run twice, or concurrently with reads). The
dashboard only sums aggregates, so its cost depends on the number of days shown, not on the number
of declarations.

Each metric is stored for the whole administration (dimension `channel`, ...) and per operator
(dimension `channel@<operator id>`), so the operator filter is also a plain aggregate read.
Durations are stored as log-spaced histograms (10 % wide buckets) that add up across days, so a
median or 90th percentile over any range is read from the merged histogram.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, F, FilteredRelation, Q, Sum
from django.db.models.functions import Coalesce, Substr
from django.utils import timezone

from customs_ecom.platform.officer_tz import installation_day_start, installation_today
from declarations.models import DailyAggregate, Declaration, DeclarationItem, StatusEvent
from declarations.statuses import CONTROL, Status

ALL = ""  # the scope of the whole administration
BUCKET_BASE = 1.1
CONTROL_STATUSES = tuple(str(s) for s in CONTROL)


def bucket_of(seconds: float) -> int:
    return int(math.log(max(seconds, 0.0) + 1.0) / math.log(BUCKET_BASE))


def bucket_value(bucket: int) -> float:
    """The geometric middle of a bucket, in seconds."""
    low = BUCKET_BASE**bucket - 1.0
    high = BUCKET_BASE ** (bucket + 1) - 1.0
    return math.sqrt(max(low, 0.5) * high)


def histogram_percentile(histogram: dict[Any, int], share: float) -> float | None:
    total = sum(histogram.values())
    if not total:
        return None
    threshold = share * total
    running = 0
    for bucket in sorted(histogram, key=int):
        running += histogram[bucket]
        if running >= threshold:
            return bucket_value(int(bucket))
    return bucket_value(int(max(histogram, key=int)))


def merge_histograms(histograms: Iterable[dict[Any, int]]) -> dict[int, int]:
    merged: dict[int, int] = defaultdict(int)
    for h in histograms:
        for bucket, n in (h or {}).items():
            merged[int(bucket)] += int(n)
    return dict(merged)


def kpi_today() -> date:
    """Today as the KPIs count days: in the installation's time zone (settings.TIME_ZONE), whoever
    asks. An officer's own time zone (the page they are on) never moves a day's boundaries, so
    every stored day means the same 24 hours however and by whom it was refreshed."""
    return installation_today()


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    return installation_day_start(day), installation_day_start(day + timedelta(days=1))


class _Rows:
    """Accumulates aggregate rows for one day, for the whole scope and per operator at once."""

    def __init__(self, day: date) -> None:
        self.day = day
        self.rows: dict[tuple[str, str, str], dict[str, Any]] = {}

    def add(
        self,
        metric: str,
        dimension: str,
        key: Any,
        operator_id: Any,
        *,
        count: int = 0,
        total: Decimal | float | int = 0,
        values: dict[str, Any] | None = None,
        histogram: dict[int, int] | None = None,
    ) -> None:
        scopes = [dimension]
        if operator_id is not None:
            scopes.append(f"{dimension}@{operator_id}")
        for dim in scopes:
            row = self.rows.setdefault(
                (metric, dim, str(key if key is not None else "")),
                {"count": 0, "total": Decimal(0), "values": {}},
            )
            row["count"] += int(count or 0)
            row["total"] += Decimal(str(total or 0))
            for k, v in (values or {}).items():
                row["values"][k] = row["values"].get(k, 0) + v
            if histogram:
                h = row["values"].setdefault("h", {})
                for b, n in histogram.items():
                    h[str(b)] = h.get(str(b), 0) + n

    def objects(self, computed_at: datetime) -> list[DailyAggregate]:
        return [
            DailyAggregate(
                day=self.day,
                metric=metric,
                dimension=dimension,
                key=key[:80],
                count=row["count"],
                total=row["total"].quantize(Decimal("0.0001")),
                values=row["values"],
                computed_at=computed_at,
            )
            for (metric, dimension, key), row in self.rows.items()
        ]


def _aeo_operator_ids(day: date) -> set[int]:
    """The operators that were AEO on ``day`` as risk and revenue saw them (aeo.benefits), with
    the status they had then: a day recomputed after an operator lost or gained its status keeps
    the figures it had."""
    return _aeo_operator_ids_by_day(day, day)[day]


def _aeo_operator_ids_by_day(first: date, last: date) -> dict[date, set[int]]:
    """`_aeo_operator_ids` of each day from ``first`` to ``last``, the registry's history read
    once for the whole period, not once a day."""
    from aeo.benefits import aeo_operator_ids_by_day

    return aeo_operator_ids_by_day(first, last)


def _volume(rows: _Rows, received: Q, aeo: set[int]) -> None:
    grouped = (
        Declaration.objects.filter(received)
        .values("operator_id", "channel", "country_of_dispatch", "status")
        .annotate(
            n=Count("id"),
            value=Sum("total_value_eur"),
            dq_sum=Sum("dq_score"),
            dq_n=Count("dq_score"),
            arrived=Count("id", filter=Q(arrived_at__isnull=False)),
        )
        .order_by()
    )
    for g in grouped:
        op, n, value = g["operator_id"], g["n"], g["value"] or 0
        channel = g["channel"] or "pending"
        rows.add("declarations", "all", "", op, count=n, total=value)
        rows.add("declarations", "channel", channel, op, count=n, total=value)
        rows.add("declarations", "origin", g["country_of_dispatch"], op, count=n, total=value)
        rows.add("declarations", "operator", op, op, count=n, total=value)
        rows.add("declarations", "status", g["status"], op, count=n, total=value)
        controlled = n if g["channel"] in ("yellow", "red") else 0
        rows.add(
            "aeo",
            "aeo",
            "aeo" if op in aeo else "other",
            op,
            count=n,
            total=value,
            values={"controlled": controlled},
        )
        rows.add("dq", "all", "", op, count=g["dq_n"], total=g["dq_sum"] or 0)
        rows.add("arrivals", "all", "", op, count=g["arrived"])
        if g["status"] in ("returned", "invalidated"):
            rows.add("returns", "status", g["status"], op, count=n, total=value)


def _hs_chapters(rows: _Rows, start: datetime, end: datetime) -> None:
    grouped = (
        DeclarationItem.objects.filter(
            declaration__received_at__gte=start, declaration__received_at__lt=end
        )
        .annotate(chapter=Substr("hs_code", 1, 2))
        .values("chapter", "declaration__operator_id")
        .annotate(n=Count("declaration_id", distinct=True), value=Sum("value"))
        .order_by()
    )
    for g in grouped:
        rows.add(
            "declarations",
            "hs_chapter",
            g["chapter"],
            g["declaration__operator_id"],
            count=g["n"],
            total=g["value"] or 0,
        )


def _durations(rows: _Rows, received: Q, start: datetime, end: datetime) -> None:
    """Lead time (received before arrival) by day received; release time by day released, measured
    from arrival (or from receipt when the carrier never reported arrival)."""
    arrived = (
        Declaration.objects.filter(received, arrived_at__isnull=False)
        .values_list("operator_id", "received_at", "arrived_at")
        .order_by()
    )
    for op, received_at, arrived_at in arrived.iterator(chunk_size=5000):
        lead = (arrived_at - received_at).total_seconds()
        if lead > 0:
            rows.add(
                "pre_arrival",
                "all",
                "",
                op,
                count=1,
                total=Decimal(str(round(lead, 1))),
                histogram={bucket_of(lead): 1},
            )
    released = (
        Declaration.objects.filter(released_at__gte=start, released_at__lt=end)
        .values_list("operator_id", "channel", "received_at", "arrived_at", "released_at")
        .order_by()
    )
    for op, channel, received_at, arrived_at, released_at in released.iterator(chunk_size=5000):
        seconds = max(0.0, (released_at - (arrived_at or received_at)).total_seconds())
        histogram = {bucket_of(seconds): 1}
        total = Decimal(str(round(seconds, 1)))
        rows.add("release_time", "channel", channel or "pending", op, count=1, total=total,
                 histogram=histogram)  # fmt: skip
        rows.add("release_time", "all", "", op, count=1, total=total, histogram=histogram)


def _controls(rows: _Rows, start: datetime, end: datetime) -> None:
    """Customs actions on the day: documents requested, inspections, detentions (seizures),
    returns (events are what happened, whatever the day the declaration was received)."""
    grouped = (
        StatusEvent.objects.filter(
            at__gte=start,
            at__lt=end,
            to_status__in=(*CONTROL_STATUSES, "released", "returned", "invalidated"),
        )
        .values("to_status", "operator_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for g in grouped:
        rows.add("events", "to_status", g["to_status"], g["operator_id"], count=g["n"])


def _inspected(rows: _Rows, start: datetime, end: datetime) -> None:
    """Declarations received on the day that were selected for inspection, on that day or later,
    each once however often it was (a share of the day's declarations: the inspection rate's
    numerator). Inspections started on the day are counted by `_controls`, whatever the day the
    declaration was received."""
    grouped = (
        StatusEvent.objects.filter(
            to_status=str(Status.INSPECTION),
            declaration__received_at__gte=start,
            declaration__received_at__lt=end,
        )
        .values("declaration__operator_id")
        .annotate(n=Count("declaration_id", distinct=True))
        .order_by()
    )
    for g in grouped:
        rows.add("inspected", "all", "", g["declaration__operator_id"], count=g["n"])


def _rules(rows: _Rows, start: datetime, end: datetime) -> None:
    """Per rule: consignments it fired on, how many were controlled, how many ended detained (the
    hit: an irregularity confirmed), by day received."""
    try:
        from risk.models import RiskHit
    except ImportError:  # pragma: no cover - risk is installed with the product
        return
    prefix = "assessment__declaration__"
    grouped = (
        RiskHit.objects.filter(
            **{f"{prefix}received_at__gte": start, f"{prefix}received_at__lt": end}
        )
        .values("rule_code", f"{prefix}operator_id")
        .annotate(
            n=Count(f"{prefix}id", distinct=True),
            controlled=Count(
                f"{prefix}id",
                distinct=True,
                filter=Q(**{f"{prefix}channel__in": ("yellow", "red")}),
            ),
            detained=Count(
                f"{prefix}id", distinct=True, filter=Q(**{f"{prefix}status": "detained"})
            ),
        )
        .order_by()
    )
    for g in grouped:
        rows.add(
            "rule_hits",
            "rule",
            g["rule_code"],
            g[f"{prefix}operator_id"],
            count=g["n"],
            values={"controlled": g["controlled"], "detained": g["detained"]},
        )


def _quality(rows: _Rows, start: datetime, end: datetime) -> None:
    from declarations.models import QualityFinding

    base = QualityFinding.objects.filter(
        declaration__received_at__gte=start, declaration__received_at__lt=end
    )
    for dimension in ("dimension", "code"):
        grouped = (
            base.values(dimension, "declaration__operator_id")
            .annotate(n=Count("declaration_id", distinct=True))
            .order_by()
        )
        for g in grouped:
            rows.add(
                "dq_findings", dimension, g[dimension], g["declaration__operator_id"], count=g["n"]
            )
    grouped = (
        base.values("declaration__operator_id")
        .annotate(n=Count("declaration_id", distinct=True))
        .order_by()
    )
    for g in grouped:
        rows.add("dq_findings", "any", "", g["declaration__operator_id"], count=g["n"])


def _revenue(rows: _Rows, start: datetime, end: datetime) -> None:
    try:
        from revenue.models import TaxAssessment
    except ImportError:  # pragma: no cover
        return
    grouped = (
        TaxAssessment.objects.filter(
            is_current=True,
            declaration__received_at__gte=start,
            declaration__received_at__lt=end,
        )
        .values("collection_model", "currency", "declaration__operator_id")
        .annotate(
            n=Count("id"),
            assessed=Sum("total"),
            due=Sum("due_at_border"),
            pre=Sum("pre_collected"),
            deferred=Sum("deferred"),
            collected=Sum("due_at_border", filter=Q(declaration__status__in=("released",))),
            refunded=Sum("due_at_border", filter=Q(declaration__status="returned")),
            discrepancies=Count("id", filter=~Q(discrepancies=[])),
            # Revenue (issue 15): assessments made with an exchange rate older than the rule.
            stale_rates=Count("id", filter=Q(rate_stale=True)),
        )
        .order_by()
    )
    for g in grouped:
        values = {k: float(g[k] or 0) for k in ("due", "pre", "deferred", "collected", "refunded")}
        values["discrepancies"] = g["discrepancies"]
        values["stale_rates"] = g["stale_rates"]
        rows.add(
            "revenue",
            "model",
            money_key(g["collection_model"], g["currency"]),
            g["declaration__operator_id"],
            count=g["n"],
            total=g["assessed"] or 0,
            values=values,
        )


def money_key(collection_model: str, currency: str) -> str:
    """Money figures are kept per collection model *and currency*: an installation whose regime
    currency changes (Bulgaria's lev to the euro on 1 January 2026) or that assesses in a national
    currency never adds amounts of two currencies together."""
    return f"{collection_model}/{currency}"


def split_money_key(key: str) -> tuple[str, str]:
    """(collection model, currency) of a money key; aggregates written before currencies were kept
    apart were all in euro."""
    model, _, currency = key.partition("/")
    return model, currency or "EUR"


def _optional_model(app_label: str, name: str):
    from django.apps import apps

    try:
        return apps.get_model(app_label, name)
    except LookupError:
        return None


def _outcomes(rows: _Rows, start: datetime, end: datetime) -> None:
    """Inspection outcomes recorded on the day (risk feedback loop), overall and per rule that fired
    on the consignment: outcomes, non-compliant (a hit), seizures (prohibited or counterfeit)."""
    outcome_model = _optional_model("risk", "InspectionOutcome")
    if outcome_model is None:
        return
    seizure = ("prohibited", "counterfeit")
    outcomes = outcome_model.objects.filter(at__gte=start, at__lt=end)
    grouped = (
        outcomes.values("declaration__operator_id")
        .annotate(
            n=Count("id"),
            hits=Count("id", filter=~Q(result="compliant")),
            seizures=Count("id", filter=Q(result__in=seizure)),
        )
        .order_by()
    )
    for g in grouped:
        rows.add("outcomes", "all", "", g["declaration__operator_id"], count=g["n"],
                 values={"hits": g["hits"], "seizures": g["seizures"]})  # fmt: skip
    from risk.models import RiskHit

    prefix = "assessment__declaration__outcomes__"
    per_rule = (
        RiskHit.objects.filter(**{f"{prefix}at__gte": start, f"{prefix}at__lt": end})
        .values("rule_code", "assessment__declaration__operator_id")
        .annotate(
            n=Count(f"{prefix}id", distinct=True),
            hits=Count(f"{prefix}id", distinct=True, filter=~Q(**{f"{prefix}result": "compliant"})),
            seizures=Count(f"{prefix}id", distinct=True, filter=Q(**{f"{prefix}result__in": seizure})),
        )
        .order_by()
    )  # fmt: skip
    for g in per_rule:
        rows.add("rule_outcomes", "rule", g["rule_code"],
                 g["assessment__declaration__operator_id"], count=g["n"],
                 values={"hits": g["hits"], "seizures": g["seizures"]})  # fmt: skip


def _ledger(rows: _Rows, start: datetime, end: datetime) -> None:
    """Money actually collected on the day: payments and refunds of the revenue ledger, under
    the collection model of the declaration's current assessment, the model its revenue row is
    (a border payment of the EU flat duty that an IOSS consignment's declarant owes is money of
    that consignment's model, not of the consignee-at-the-border model it is paid through); a
    statement's payment, which names no declaration, under its own model."""
    ledger = _optional_model("revenue", "LedgerEntry")
    if ledger is None or _optional_model("revenue", "TaxAssessment") is None:
        return
    # One join to the current assessment (the assessment services retire the previous one in the
    # transaction that writes the next, so a declaration has one), not a subquery per entry.
    grouped = (
        ledger.objects.filter(at__gte=start, at__lt=end, kind__in=("payment", "refund"))
        .annotate(
            current=FilteredRelation(
                "declaration__tax_assessments",
                condition=Q(declaration__tax_assessments__is_current=True),
            )
        )
        .annotate(model=Coalesce(F("current__collection_model"), F("collection_model")))
        .values("kind", "model", "currency", "declaration__operator_id", "account_id")
        .annotate(n=Count("id"), amount=Sum("amount"))
        .order_by()
    )
    for g in grouped:
        op = g["declaration__operator_id"] or g["account_id"]
        rows.add("ledger", g["kind"], money_key(g["model"], g["currency"]), op,
                 count=g["n"],
                 total=g["amount"] or 0)  # fmt: skip


def aggregate_day(day: date, aeo: set[int] | None = None) -> int:
    """Recompute every KPI of `day` and replace its aggregates; returns the number of rows.
    `aeo`: the operators that were AEO that day, when the caller read them for several days."""
    start, end = _day_bounds(day)
    received = Q(received_at__gte=start, received_at__lt=end)
    rows = _Rows(day)
    _volume(rows, received, _aeo_operator_ids(day) if aeo is None else aeo)
    _hs_chapters(rows, start, end)
    _durations(rows, received, start, end)
    _controls(rows, start, end)
    _inspected(rows, start, end)
    _rules(rows, start, end)
    _quality(rows, start, end)
    _revenue(rows, start, end)
    _outcomes(rows, start, end)
    _ledger(rows, start, end)
    objects = rows.objects(timezone.now())
    with transaction.atomic():
        DailyAggregate.objects.filter(day=day).delete()
        DailyAggregate.objects.bulk_create(objects, batch_size=2000)
    return len(objects)


def refresh_without_beat() -> None:
    """The embedded default runs tasks in-process and has no beat: pages that read aggregates
    refresh today's and yesterday's themselves, at most once a minute, so the demo shows what was
    just posted. With a broker, the beat task does this and pages only read."""
    from django.conf import settings
    from django.db.models import Max

    if not settings.CELERY_TASK_ALWAYS_EAGER:
        return
    latest = DailyAggregate.objects.filter(day=kpi_today()).aggregate(at=Max("computed_at"))
    if latest["at"] is None or timezone.now() - latest["at"] > timedelta(minutes=1):
        aggregate_recent(days=2)


def days_changed(days: list[date]) -> None:
    """Consignments received on these (older) days changed: their aggregates are recomputed by
    the KPI queue, or at once on the embedded default (tasks in-process). A broker that cannot
    take the task only leaves those days as they were until the next change or a backfill
    (`python manage.py backfill_kpis`): logged, never an error for the change itself."""
    import logging

    from django.conf import settings

    from .tasks import refresh_aggregate_days

    iso = [day.isoformat() for day in days]
    if settings.CELERY_TASK_ALWAYS_EAGER:
        refresh_aggregate_days(iso)
        return
    try:
        refresh_aggregate_days.delay(iso)
    except Exception:  # noqa: BLE001 - the broker is down: the KPIs wait, the change stands
        logging.getLogger(__name__).warning("KPI refresh of %s not enqueued", iso, exc_info=True)


def aggregate_recent(*, days: int = 2) -> int:
    """Today and yesterday (late arrivals and releases change them): what the beat task runs."""
    today = kpi_today()
    return aggregate_range(today - timedelta(days=days - 1), today)


def aggregate_range(start: date, end: date) -> int:
    """Backfill every day from `start` to `end` inclusive."""
    if start > end:
        return 0
    aeo = _aeo_operator_ids_by_day(start, end)
    total = 0
    day = start
    while day <= end:
        total += aggregate_day(day, aeo[day])
        day += timedelta(days=1)
    return total
