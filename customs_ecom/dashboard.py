"""The KPI dashboard (Standard 15) as tables read from daily aggregates: one query for any range.

Every table is a `Table` (slug, title, headers, rows); the page renders them all, and the CSV export
writes any of them, so what an administration downloads is exactly what it sees."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from declarations.generated_text import word
from declarations.models import DailyAggregate

from .kpis import (
    histogram_percentile,
    kpi_today,
    merge_histograms,
    money_key,
    split_money_key,
)

DIMENSIONS = (
    "all",
    "channel",
    "origin",
    "operator",
    "status",
    "aeo",
    "hs_chapter",
    "to_status",
    "rule",
    "dimension",
    "code",
    "any",
    "model",
    "payment",
    "refund",
)
METRICS = (
    "declarations",
    "aeo",
    "dq",
    "arrivals",
    "returns",
    "pre_arrival",
    "release_time",
    "events",
    "inspected",
    "rule_hits",
    "dq_findings",
    "revenue",
    "outcomes",
    "rule_outcomes",
    "ledger",
)
# Metrics whose keys are "<collection model>/<currency>" (customs_ecom.kpis.money_key).
MONEY_METRICS = ("revenue", "ledger")
CHANNELS = ("green", "blue", "yellow", "red", "pending")
CHANNEL_LABELS = {
    "green": gettext_lazy("Green"),
    "blue": gettext_lazy("Blue"),
    "yellow": gettext_lazy("Yellow"),
    "red": gettext_lazy("Red"),
    "pending": gettext_lazy("Pending"),
}
CHANNEL_COLOURS = {
    "green": "#2e7d32",
    "blue": "#1565c0",
    "yellow": "#f9a825",
    "red": "#c62828",
    "pending": "#9e9e9e",
}
TOP = 20
# A column counting declarations in a status ("Detained") has the translation context
# "column: number of declarations": plural in French ("Retenues"), where the status of one
# declaration reads in the singular ("Retenue").


@dataclass
class Table:
    slug: str
    title: str
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)


@dataclass
class Cell:
    count: int = 0
    total: Decimal = Decimal(0)
    values: dict[str, Any] = field(default_factory=dict)
    histograms: list[dict] = field(default_factory=list)


def _pct(part: float, whole: float) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600.0, 2)


def target_rates() -> dict[str, float]:
    """Channel targets of the active rule set's policy (green is what the others leave)."""
    from risk.models import RuleSet

    ruleset = RuleSet.objects.filter(state="active").only("policy").order_by("-version").first()
    rates = dict((ruleset.policy or {}).get("target_rates", {})) if ruleset else {}
    if rates:
        rates.setdefault("green", max(0.0, 1.0 - sum(float(v) for v in rates.values())))
    return {k: float(v) for k, v in rates.items()}


def load_cells(
    *, start: date, end: date, operator_id: int | None = None
) -> tuple[dict[tuple[str, str, str], Cell], dict[date, Cell]]:
    """Sum aggregates over [start, end] in the chosen scope: cells by (metric, dimension, key) and
    the declarations-per-day series."""
    suffix = f"@{operator_id}" if operator_id else ""
    rows = DailyAggregate.objects.filter(
        day__gte=start,
        day__lte=end,
        metric__in=METRICS,
        dimension__in=[d + suffix for d in DIMENSIONS],
    ).values_list("day", "metric", "dimension", "key", "count", "total", "values")
    cells: dict[tuple[str, str, str], Cell] = defaultdict(Cell)
    per_day: dict[date, Cell] = defaultdict(Cell)
    for day, metric, dimension, key, count, total, values in rows:
        dimension = dimension.split("@", 1)[0]
        if metric in MONEY_METRICS:  # rows of earlier releases carry the model alone, in euro
            key = money_key(*split_money_key(key))
        cell = cells[(metric, dimension, key)]
        cell.count += count
        cell.total += total
        for k, v in (values or {}).items():
            if k == "h":
                cell.histograms.append(v)
            else:
                cell.values[k] = cell.values.get(k, 0) + v
        if metric == "declarations" and dimension == "all":
            per_day[day].count += count
            per_day[day].total += total
    return cells, per_day


def _keys(cells, metric: str, dimension: str) -> list[tuple[str, Cell]]:
    found = [(k[2], c) for k, c in cells.items() if k[0] == metric and k[1] == dimension]
    return sorted(found, key=lambda kc: (-kc[1].count, kc[0]))


def build(*, start: date, end: date, operator_id: int | None = None) -> dict[str, Any]:
    """Summary figures, tables and chart series for the period and scope."""
    from aeo.models import Operator

    cells, per_day = load_cells(start=start, end=end, operator_id=operator_id)
    get = lambda m, d="all", k="": cells.get((m, d, k), Cell())  # noqa: E731
    total = get("declarations").count
    tables: list[Table] = []

    days = Table(
        "volume_by_day", _("Volume per day"), [_("Day"), _("Declarations"), _("Value (EUR)")]
    )
    # Every day of the period up to today, a day without declarations as 0: a quiet day (an
    # outage) shows in the table and the chart instead of vanishing between its neighbours.
    day, last = start, min(end, kpi_today())
    while day <= last:
        cell = per_day.get(day, Cell())
        days.rows.append([day, cell.count, cell.total.quantize(Decimal("0.01"))])
        day += timedelta(days=1)
    tables.append(days)

    targets = target_rates()
    mix = Table(
        "channel_mix",
        _("Channel mix against targets"),
        [_("Channel"), _("Declarations"), _("Share %"), _("Target %")],
    )
    for channel in CHANNELS:
        n = get("declarations", "channel", channel).count
        target = targets.get(channel)
        mix.rows.append(
            [str(CHANNEL_LABELS[channel]), n, _pct(n, total),
             None if target is None else round(100 * target, 2)]
        )  # fmt: skip
    tables.append(mix)

    operator_names = dict(Operator.objects.values_list("id", "name"))
    for slug, title, dimension, label in (
        ("volume_by_origin", _("Volume by origin"), "origin", _("Origin")),
        ("volume_by_hs_chapter", _("Volume by HS chapter"), "hs_chapter", _("HS chapter")),
        ("volume_by_operator", _("Volume by operator"), "operator", _("Operator")),
    ):
        table = Table(slug, title, [label, _("Declarations"), _("Share %"), _("Value (EUR)")])
        for key, cell in _keys(cells, "declarations", dimension)[:TOP]:
            name = operator_names.get(int(key), key) if dimension == "operator" else key
            table.rows.append([name, cell.count, _pct(cell.count, total),
                               cell.total.quantize(Decimal("0.01"))])  # fmt: skip
        tables.append(table)

    pre = get("pre_arrival")
    arrived = get("arrivals").count
    pre_hist = merge_histograms(pre.histograms)
    timeliness = Table(
        "pre_arrival",
        _("Received before arrival"),
        [_("Arrived"), _("Received before arrival"), _("Share %"),
         _("Median lead time (h)"), _("90th percentile lead time (h)")],
    )  # fmt: skip
    timeliness.rows.append([arrived, pre.count, _pct(pre.count, arrived),
                            _hours(histogram_percentile(pre_hist, 0.5)),
                            _hours(histogram_percentile(pre_hist, 0.9))])  # fmt: skip
    tables.append(timeliness)

    release = Table(
        "release_time",
        _("Release time by channel (from arrival)"),
        [
            _("Channel"),
            pgettext("column: number of declarations", "Released"),
            _("Median (h)"),
            _("90th percentile (h)"),
        ],
    )
    release_chart = {"labels": [], "p50": [], "p90": [], "codes": []}
    for channel in (*CHANNELS, "all"):
        cell = get(
            "release_time",
            "all" if channel == "all" else "channel",
            "" if channel == "all" else channel,
        )
        if not cell.count and channel != "all":
            continue
        h = merge_histograms(cell.histograms)
        label = _("All") if channel == "all" else str(CHANNEL_LABELS[channel])
        p50, p90 = _hours(histogram_percentile(h, 0.5)), _hours(histogram_percentile(h, 0.9))
        release.rows.append([label, cell.count, p50, p90])
        release_chart["labels"].append(label)
        release_chart["codes"].append("" if channel == "all" else channel)
        release_chart["p50"].append(p50)
        release_chart["p90"].append(p90)
    tables.append(release)

    events = {s: get("events", "to_status", s).count for s in
              ("documents_requested", "inspection", "detained", "released", "returned", "invalidated")}  # fmt: skip
    outcomes = get("outcomes")
    if outcomes.count:  # inspection outcomes recorded by officers: the measured hit rate
        hits, seizures, checked = (outcomes.values.get("hits", 0),
                                   outcomes.values.get("seizures", 0), outcomes.count)  # fmt: skip
    else:  # before any outcome: a detention after a control counts as a hit
        hits = seizures = events["detained"]
        checked = events["inspection"] + events["documents_requested"]
    # The inspection rate is a share of the period's declarations: those received in the period
    # that were inspected (whenever), not the inspections started in it, which may concern
    # declarations received before it.
    inspected = get("inspected").count
    controls = Table(
        "controls",
        _("Controls: inspection, hit and seizure rates"),
        [_("Documents requested"), _("Inspections"), _("Declarations inspected"),
         _("Outcomes recorded"),
         _("Non-compliant (hits)"), _("Seizures"), _("Inspection rate %"), _("Hit rate %"),
         _("Seizure rate %")],
    )  # fmt: skip
    controls.rows.append([
        events["documents_requested"], events["inspection"], inspected, outcomes.count, hits,
        seizures, _pct(inspected, total), _pct(hits, checked), _pct(seizures, checked),
    ])  # fmt: skip
    tables.append(controls)

    rules = Table(
        "rules",
        _("Rules: hits, controls and hit rate"),
        [_("Rule"), _("Fired on"), _("Controlled"),
         pgettext("column: number of declarations", "Detained"), _("Outcomes recorded"),
         _("Non-compliant (hits)"), _("Hit rate %")],
    )  # fmt: skip
    rule_outcomes = dict(_keys(cells, "rule_outcomes", "rule"))
    for key, cell in _keys(cells, "rule_hits", "rule"):
        controlled, detained = cell.values.get("controlled", 0), cell.values.get("detained", 0)
        measured = rule_outcomes.get(key, Cell())
        rule_hits = measured.values.get("hits", 0)
        rate = _pct(rule_hits, measured.count) if measured.count else _pct(detained, controlled)
        rules.rows.append(
            [_rule_title(key), cell.count, controlled, detained, measured.count, rule_hits, rate]
        )
    tables.append(rules)

    dq = get("dq")
    with_findings = get("dq_findings", "any").count
    quality = Table(
        "data_quality",
        _("Data quality"),
        [_("Finding (dimension or code)"), _("Declarations"), _("Rate %")],
    )
    quality.rows.append([_("Any finding"), with_findings, _pct(with_findings, total)])
    for dimension in ("dimension", "code"):
        for key, cell in _keys(cells, "dq_findings", dimension)[:TOP]:
            quality.rows.append([key, cell.count, _pct(cell.count, total)])
    tables.append(quality)

    revenue = Table(
        "revenue",
        _("Revenue by collection model and currency"),
        [_("Model"), _("Currency"), _("Declarations"), _("Assessed"), _("Due at the border"),
         _("Collected"), _("Pre-collected"), _("Deferred"), _("Discrepancies"),
         _("Stale exchange rates")],
    )  # fmt: skip
    money = lambda v: Decimal(str(v or 0)).quantize(Decimal("0.01"))  # noqa: E731
    ledger = {k: (get("ledger", "payment", k).total - get("ledger", "refund", k).total)
              for k in {key[2] for key in cells if key[0] == "ledger"}}  # fmt: skip
    assessed: dict[str, Decimal] = defaultdict(Decimal)
    refunds: dict[str, Decimal] = defaultdict(Decimal)
    discrepancies = 0
    revenue_cells = dict(_keys(cells, "revenue", "model"))
    # Money collected in the period for declarations assessed before it has its row too.
    revenue_keys = list(revenue_cells) + sorted(set(ledger) - set(revenue_cells))
    for key in revenue_keys:
        cell = revenue_cells.get(key, Cell())
        model, currency = split_money_key(key)
        v = dict(cell.values)
        if ledger:  # the ledger is the truth of what was collected, when the installation keeps one
            v["collected"] = ledger.get(key, 0)
        revenue.rows.append([model, currency, cell.count, money(cell.total), money(v.get("due")),
                             money(v.get("collected")), money(v.get("pre")),
                             money(v.get("deferred")), v.get("discrepancies", 0),
                             v.get("stale_rates", 0)])  # fmt: skip
        assessed[currency] += money(cell.total)
        refunds[currency] += money(v.get("refunded"))
        discrepancies += v.get("discrepancies", 0)
    tables.append(revenue)

    if ledger:
        refunds = defaultdict(Decimal)
        for key, cell in _keys(cells, "ledger", "refund"):
            refunds[split_money_key(key)[1]] += money(cell.total)
    returns = Table(
        "returns",
        _("Returns and refunds"),
        [
            pgettext("column: number of declarations", "Returned"),
            pgettext("column: number of declarations", "Invalidated"),
            _("Refunds"),
        ],
    )
    returns.rows.append([events["returned"], events["invalidated"], per_currency(refunds)])
    tables.append(returns)

    aeo = Table(
        "aeo",
        _("AEO share of volume and control rates"),
        [_("Operators"), _("Declarations"), _("Share %"), _("Controlled"), _("Control rate %")],
    )
    for key, label in (("aeo", _("AEO")), ("other", _("Not AEO"))):
        cell = get("aeo", "aeo", key)
        controlled = cell.values.get("controlled", 0)
        aeo.rows.append(
            [label, cell.count, _pct(cell.count, total), controlled, _pct(controlled, cell.count)]
        )
    tables.append(aeo)

    release_all = merge_histograms(get("release_time").histograms)
    summary = {
        "total": total,
        "pre_arrival_share": _pct(pre.count, arrived),
        "release_median_h": _hours(histogram_percentile(release_all, 0.5)),
        "release_p90_h": _hours(histogram_percentile(release_all, 0.9)),
        "inspection_rate": _pct(inspected, total),
        "hit_rate": _pct(hits, checked),
        "seizure_rate": _pct(seizures, checked),
        "dq_average": round(float(dq.total) / dq.count, 1) if dq.count else None,
        "dq_finding_rate": _pct(with_findings, total),
        "revenue_assessed": per_currency(assessed),
        "discrepancies": discrepancies,
        "returns": events["returned"],
        "aeo_share": _pct(get("aeo", "aeo", "aeo").count, total),
    }
    charts = {
        "days": [r[0].isoformat() for r in days.rows],
        "volume": [r[1] for r in days.rows],
        "channels": [r[0] for r in mix.rows],
        "mix": [r[2] or 0 for r in mix.rows],
        "targets": [r[3] for r in mix.rows],
        "colours": [CHANNEL_COLOURS[c] for c in CHANNELS],
        "channel_codes": list(CHANNELS),  # the list behind each bar (issue 16)
        "release": release_chart,
        "revenue_models": [f"{word(r[0])} ({r[1]})" for r in revenue.rows],
        "revenue_assessed": [float(r[3]) for r in revenue.rows],
        "revenue_collected": [float(r[5]) for r in revenue.rows],
        "revenue_pre": [float(r[6]) for r in revenue.rows],
    }
    return {"summary": summary, "tables": tables, "charts": charts}


def per_currency(amounts: dict[str, Decimal]) -> str:
    """Money of several currencies side by side, never added together, in the reader's number
    format: "1,234.50 EUR · 80.00 PLN" in English, "1 234,50 EUR · 80,00 PLN" in French
    ("0.00" or "0,00" when there is none)."""
    shown = [
        f"{_amount_text(amount)} {currency}"
        for currency, amount in sorted(amounts.items())
        if amount
    ]
    return " · ".join(shown) or _amount_text(Decimal(0))


def _amount_text(amount: Decimal) -> str:
    return number_format(amount, decimal_pos=2, use_l10n=True, force_grouping=True)


def _rule_title(code: str) -> str:
    """A rule's title in the reader's language ("Vague goods description"), its code otherwise;
    the random control sample is not a rule but is named like one."""
    from risk.rules import RULES

    if code == "random_selection":
        return _("Random selection")
    rule = RULES.get(code)
    return _(rule.title) if rule is not None else code
