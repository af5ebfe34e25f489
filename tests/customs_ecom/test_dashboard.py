"""KPI dashboards (Standard 15): daily aggregates, the page and its CSV exports, the framework page."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from customs_ecom.kpis import (
    aggregate_day,
    aggregate_recent,
    bucket_of,
    histogram_percentile,
    merge_histograms,
)
from customs_ecom.tasks import refresh_daily_aggregates
from declarations.generated_text import word
from declarations.models import DailyAggregate, Declaration
from declarations.services import arrivals_record, declarations_submit
from tests.lifecycle_helpers import officer_release

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _installation_zone_after():
    """A page asked with an officer's time zone (cookie) leaves it active on the thread: the next
    test (another file's) reads the installation's again."""
    yield
    timezone.deactivate()


def _body(example, n, *, risky=False):
    body = dict(
        example,
        lrn=f"KPI-{n}",
        transport_document={"type": "house_waybill", "number": f"55{n:06d}"},
    )
    if risky:
        body["items"] = [
            dict(
                example["items"][0],
                description="Replica Rolex watch",
                hs_code="910221",
                value="15.00",
            )
        ]
        body["order"] = {k: v for k, v in example["order"].items() if k != "payment"}
    return body


@pytest.fixture
def traffic(operator_a, example, django_capture_on_commit_callbacks, customs_user):
    """Ten consignments to one consignee (eight ordinary, two risky), all arrived; six released."""
    bodies = [_body(example, n) for n in range(8)] + [
        _body(example, 8 + n, risky=True) for n in range(2)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        outcomes = declarations_submit(operator=operator_a.operator, bodies=bodies)
    arrivals_record(
        operator=operator_a.operator,
        transport_documents=[b["transport_document"]["number"] for b in bodies],
    )
    ids = [o.declaration.pk for o in outcomes]
    officer = customs_user("officer")
    for pk in ids[:6]:  # an officer cleared six of them
        officer_release(pk, officer)
    return ids


def test_histogram_percentiles_are_within_ten_percent():
    seconds = [60 * m for m in range(1, 101)]  # 1..100 minutes
    h = merge_histograms(
        [{bucket_of(s): 1} for s in seconds[:50]] + [{bucket_of(s): 1} for s in seconds[50:]]
    )
    median = histogram_percentile(h, 0.5)
    p90 = histogram_percentile(h, 0.9)
    assert abs(median - 50 * 60) / (50 * 60) < 0.1
    assert abs(p90 - 90 * 60) / (90 * 60) < 0.1
    assert histogram_percentile({}, 0.5) is None


def test_aggregate_day_counts_volume_by_channel_origin_operator_and_chapter(traffic, operator_a):
    today = timezone.localdate()
    assert aggregate_day(today) > 0
    rows = DailyAggregate.objects.filter(day=today)
    assert rows.get(metric="declarations", dimension="all").count == 10
    by_channel = {r.key: r.count for r in rows.filter(metric="declarations", dimension="channel")}
    assert (
        sum(by_channel.values()) == 10
        and by_channel.get("red", 0) + by_channel.get("yellow", 0) >= 2
    )
    assert rows.get(metric="declarations", dimension="origin", key="CN").count == 10
    assert rows.get(metric="declarations", dimension=f"all@{operator_a.operator.pk}").count == 10
    assert rows.get(metric="declarations", dimension="hs_chapter", key="61").count == 8
    assert rows.get(metric="arrivals", dimension="all").count == 10
    assert rows.get(metric="release_time", dimension="all").count == 6
    # Running it again replaces the day: same figures, no duplicates.
    before = rows.count()
    aggregate_day(today)
    assert DailyAggregate.objects.filter(day=today).count() == before


def test_beat_task_refreshes_today_and_yesterday(traffic):
    yesterday = timezone.localdate() - timedelta(days=1)
    DailyAggregate.objects.create(day=yesterday, metric="declarations", dimension="all", count=99)
    refresh_daily_aggregates.delay()
    assert (
        DailyAggregate.objects.get(
            day=timezone.localdate(), metric="declarations", dimension="all"
        ).count
        == 10
    )
    assert not DailyAggregate.objects.filter(day=yesterday, metric="declarations").exists()


def test_a_changed_consignment_of_an_older_day_refreshes_that_days_aggregates(
    traffic, django_capture_on_commit_callbacks
):
    """The beat refreshes today and yesterday; a re-assessment (a new rule set, a watchlist
    change) or a status change of consignments received earlier refreshes their own day."""
    from risk.services.assessment import risk_reassess_batch

    old = timezone.now() - timedelta(days=5)
    day = timezone.localdate(old)
    pending = [pk for pk in traffic if Declaration.objects.get(pk=pk).status != "released"]
    Declaration.objects.filter(pk__in=traffic).update(received_at=old)
    aggregate_day(day)
    red = DailyAggregate.objects.get(day=day, metric="declarations", dimension="channel", key="red")
    # As if a rule set once made them green: the re-assessment under the active one turns them
    # red again, and the day's channel mix follows.
    Declaration.objects.filter(pk__in=pending, channel="red").update(channel="green")
    aggregate_day(day)
    assert not DailyAggregate.objects.filter(
        day=day, metric="declarations", dimension="channel", key="red"
    ).exists()
    with django_capture_on_commit_callbacks(execute=True):
        risk_reassess_batch(declaration_ids=pending)
    again = DailyAggregate.objects.get(
        day=day, metric="declarations", dimension="channel", key="red"
    )
    assert again.count == red.count


def test_dashboard_reads_aggregates_with_constant_queries(
    client, customs_user, traffic, django_assert_max_num_queries
):
    aggregate_recent()
    client.force_login(customs_user("supervisor"))
    with django_assert_max_num_queries(10):
        response = client.get(reverse("dashboard"))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<div class="kpi" id="kpi-total">10</div>' in html
    for slug in ("volume_by_day", "channel_mix", "volume_by_origin", "volume_by_hs_chapter",
                 "volume_by_operator", "pre_arrival", "release_time", "controls", "rules",
                 "data_quality", "revenue", "returns", "aeo"):  # fmt: skip
        assert f'id="table-{slug}"' in html
        assert reverse("dashboard_export", args=[slug]) in html
    for chart in ("volume-chart", "mix-chart", "release-chart", "revenue-chart"):
        assert f'id="{chart}"' in html


def test_channel_mix_shows_targets_of_the_active_rule_set(client, customs_user, traffic):
    from risk.models import RuleSet

    ruleset = RuleSet.objects.get(state="active")
    targets = ruleset.policy.get("target_rates")
    aggregate_recent()
    client.force_login(customs_user("auditor"))
    response = client.get(reverse("dashboard_export", args=["channel_mix"]))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Channel", "Declarations", "Share %", "Target %"]
    red = next(r for r in rows if r[0] == "Red")
    assert red[3] == str(round(100 * targets["red"], 2))


def test_csv_export_follows_the_period_and_operator_filter(
    client, customs_user, traffic, operator_b
):
    aggregate_recent()
    client.force_login(customs_user("administrator"))
    today = timezone.localdate().isoformat()
    url = reverse("dashboard_export", args=["volume_by_day"])
    response = client.get(url, {"start": today, "end": today})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1][:2] == [today, "10"]
    other = client.get(url, {"start": today, "end": today, "operator": operator_b.operator.pk})
    assert list(csv.reader(io.StringIO(other.content.decode())))[1:] == [[today, "0", "0.00"]]
    assert client.get(reverse("dashboard_export", args=["nope"])).status_code == 404


def test_outcomes_drive_the_hit_rate(client, customs_user, traffic):
    from risk.models import InspectionOutcome

    officer = customs_user("officer")
    risky = Declaration.objects.filter(pk__in=traffic[6:], channel__in=("red", "yellow")).first()
    # The six cleared by the officer carry their "compliant" outcome when they were controlled.
    compliant = InspectionOutcome.objects.filter(result="compliant").count()
    InspectionOutcome.objects.create(declaration=risky, officer=officer, result="counterfeit")
    checked = compliant + 1
    aggregate_recent()
    client.force_login(officer)
    response = client.get(reverse("dashboard_export", args=["controls"]))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    header, values = rows[0], rows[1]
    assert values[header.index("Outcomes recorded")] == str(checked)
    assert float(values[header.index("Hit rate %")]) == pytest.approx(100 / checked, abs=0.01)
    assert float(values[header.index("Seizure rate %")]) == pytest.approx(100 / checked, abs=0.01)


def test_dashboard_needs_login_and_a_customs_role(client, django_user_model):
    assert client.get(reverse("dashboard")).status_code == 302
    client.force_login(django_user_model.objects.create_user("nobody", password="x-123456789"))
    assert client.get(reverse("dashboard")).status_code == 403
    assert client.get(reverse("dashboard_export", args=["aeo"])).status_code == 403
    assert client.get(reverse("framework")).status_code == 403


def test_framework_page_lists_sixteen_standards_with_live_kpis(client, customs_user, traffic):
    aggregate_recent()
    client.force_login(customs_user("auditor"))
    html = client.get(reverse("framework")).content.decode()
    for n in range(1, 17):
        assert f'id="standard-{n}"' in html
    assert "Data quality" in html and "Mechanism of measurement" in html
    assert "Declarations received: <strong>10</strong>" in html


def test_dashboard_in_french(client, customs_user, traffic):
    aggregate_recent()
    client.force_login(customs_user("supervisor"))
    html = client.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert 'lang="fr"' in html
    assert "Indicateurs clés de performance" in html and "Volume par jour" in html
    # Days read as French dates, collection models as words, in the table and the chart.
    assert "<td>25/11/2026</td>" in html and "<td>2026-11-25</td>" not in html
    charts = html.split('id="chart-data"', 1)[1]
    assert "revenue_models" in charts and "consignee_border (" not in charts
    assert '\\"2026-11-25\\"' in charts  # the chart's days stay ISO: its links filter by them


def test_release_time_measured_from_arrival(traffic):
    aggregate_recent()
    row = DailyAggregate.objects.get(
        day=timezone.localdate(), metric="release_time", dimension="all"
    )
    assert row.count == 6
    assert sum(row.values["h"].values()) == 6


def test_revenue_of_two_currencies_is_never_added_together(
    client, customs_user, operator_b, settings
):
    """An installation whose regime currency changes (Bulgaria on 1 January 2026) or that assesses
    in a national currency shows each currency on its own row and in the tile, never one sum."""
    from revenue.models import TaxAssessment
    from tests.revenue.helpers import border_body, submit

    submit(operator_b.operator, [border_body("CUR-FR", value="50.00")])
    settings.CUSTOMS_JURISDICTION = "PL"
    submit(operator_b.operator, [border_body("CUR-PL", value="50.00")])
    totals = {a.currency: a.total for a in TaxAssessment.objects.filter(is_current=True)}
    assert set(totals) == {"EUR", "PLN"}
    aggregate_day(timezone.localdate())

    client.force_login(customs_user("supervisor"))
    html = client.get(reverse("dashboard")).content.decode()
    tile = f"{totals['EUR']:.2f} EUR · {totals['PLN']:.2f} PLN"
    assert f'<div class="kpi" id="kpi-revenue">{tile}</div>' in html
    response = client.get(reverse("dashboard_export", args=["revenue"]))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:4] == ["Model", "Currency", "Declarations", "Assessed"]
    assessed = {row[1]: row[3] for row in rows[1:]}
    assert assessed == {"EUR": f"{totals['EUR']:.2f}", "PLN": f"{totals['PLN']:.2f}"}
    framework = client.get(reverse("framework")).content.decode()
    assert tile in framework
    # In French the amounts read in French ("56,00 EUR"), still side by side.
    french = client.get(reverse("dashboard"), headers={"accept-language": "fr"}).content.decode()
    tile_fr = " · ".join(
        f"{str(totals[c].quantize(Decimal('0.01'))).replace('.', ',')} {c}" for c in ("EUR", "PLN")
    )
    assert f'<div class="kpi" id="kpi-revenue">{tile_fr}</div>' in french


def test_revenue_tile_groups_thousands_in_the_readers_format():
    from django.utils import translation

    from customs_ecom.dashboard import per_currency

    amounts = {"EUR": Decimal("1234567.5"), "PLN": Decimal("80")}
    with translation.override("en"):
        assert per_currency(amounts) == "1,234,567.50 EUR · 80.00 PLN"
        assert per_currency({}) == "0.00"
    with translation.override("fr"):
        assert per_currency(amounts) == "1\xa0234\xa0567,50 EUR · 80,00 PLN"
        assert per_currency({}) == "0,00"


def test_revenue_rows_of_earlier_releases_and_money_collected_without_an_assessment(
    client, customs_user
):
    """Aggregates written before currencies were kept apart (keyed by model alone, in euro) add up
    with today's; a currency collected in the period with no assessment in it keeps its row."""
    day = timezone.localdate() - timedelta(days=5)
    rows = [
        ("revenue", "model", "consignee_border", 2, "10", {"due": 10.0}),
        ("revenue", "model", "consignee_border/EUR", 1, "5", {"due": 5.0}),
        ("ledger", "payment", "consignee_border", 1, "10", {}),
        ("ledger", "payment", "consignee_border/EUR", 1, "5", {}),
        ("ledger", "payment", "consignee_border/BGN", 1, "99", {}),
    ]
    DailyAggregate.objects.bulk_create(
        DailyAggregate(day=day, metric=m, dimension=d, key=k, count=n, total=t, values=v)
        for m, d, k, n, t, v in rows
    )
    client.force_login(customs_user("supervisor"))
    response = client.get(
        reverse("dashboard_export", args=["revenue"]),
        {"start": day.isoformat(), "end": day.isoformat()},
    )
    table = list(csv.reader(io.StringIO(response.content.decode())))
    found = {(row[0], row[1]): (row[2], row[3], row[5]) for row in table[1:]}
    # The model reads as on the page, in words (consignee_border).
    assert found == {
        ("paid by the consignee at the border", "EUR"): ("3", "15.00", "15.00"),
        ("paid by the consignee at the border", "BGN"): ("0", "0.00", "99.00"),
    }


def test_csv_first_column_reads_as_the_page_in_french(client, customs_user):
    """The CSV of a table named its rows with codes where the page shows words: a French
    export read "Au moins un constat" then "completeness", "consignee_border" under "Modèle"."""
    day = timezone.localdate() - timedelta(days=5)
    rows = [
        ("declarations", "all", "", 4, "40", {}),
        ("dq_findings", "any", "", 2, "0", {}),
        ("dq_findings", "dimension", "completeness", 2, "0", {}),
        ("dq_findings", "code", "late_submission", 1, "0", {}),
        ("revenue", "model", "consignee_border/EUR", 1, "5", {"due": 5.0}),
    ]
    DailyAggregate.objects.bulk_create(
        DailyAggregate(day=day, metric=m, dimension=d, key=k, count=n, total=t, values=v)
        for m, d, k, n, t, v in rows
    )
    client.force_login(customs_user("supervisor"))
    period = {"start": day.isoformat(), "end": day.isoformat()}

    def first_column(slug: str, language: str) -> list[str]:
        answer = client.get(
            reverse("dashboard_export", args=[slug]), period, HTTP_ACCEPT_LANGUAGE=language
        )
        return [row[0] for row in list(csv.reader(io.StringIO(answer.content.decode())))[1:]]

    page = client.get(reverse("dashboard"), period, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    french = first_column("data_quality", "fr")
    assert french == ["Au moins un constat", "exhaustivité", "transmission tardive"]
    for label in french:
        assert f"<td>{label}</td>" in page, label
    assert first_column("revenue", "fr") == ["payé par le destinataire à la frontière"]
    assert first_column("data_quality", "en") == ["Any finding", "completeness", "late submission"]


def test_money_collected_is_counted_under_the_model_of_its_consignment(
    client, customs_user, operator_a
):
    """The EU flat duty an IOSS consignment's declarant pays at the border is collected for that
    consignment: its revenue row shows it, and the consignee-at-the-border row does not count
    money its own consignments never owed."""
    from revenue.models import TaxAssessment
    from revenue.selectors import border_outstanding
    from revenue.services.ledger import ledger_payment_record
    from tests.revenue.helpers import border_body, submit
    from tests.revenue.test_pages import _ioss_body

    ioss, border = submit(operator_a.operator, [_ioss_body("KPI-IOSS"), border_body("KPI-B")])
    models = {
        a.declaration_id: a.collection_model for a in TaxAssessment.objects.filter(is_current=True)
    }
    assert models[border.pk] == "consignee_border" and models[ioss.pk] != "consignee_border"
    paid = {}
    for declaration in (ioss, border):
        paid[models[declaration.pk]] = border_outstanding(declaration.pk)
        ledger_payment_record(
            declaration_id=declaration.pk, amount=paid[models[declaration.pk]], currency="EUR"
        )
    assert all(paid.values())
    aggregate_day(timezone.localdate())
    client.force_login(customs_user("supervisor"))
    response = client.get(reverse("dashboard_export", args=["revenue"]))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    collected = {row[0]: Decimal(row[5]) for row in rows[1:]}
    due = {row[0]: Decimal(row[4]) for row in rows[1:]}
    paid = {word(model): amount for model, amount in paid.items()}  # the model as the page reads
    assert collected == paid
    assert collected == due


def test_kpi_days_are_the_installations_whatever_the_officers_time_zone(
    client, customs_user, traffic, settings
):
    """The traffic arrives at 09:00 UTC on 25 November, still the 24th in Honolulu. An officer
    there refreshing the dashboard (embedded default, no beat) stores the same days as the beat:
    the installation's (UTC here), never the 24th recomputed over Honolulu's hours."""
    from datetime import date
    from zoneinfo import ZoneInfo

    settings.CELERY_TASK_ALWAYS_EAGER = True
    client.force_login(customs_user("supervisor"))
    client.cookies["officer_tz"] = "Pacific/Honolulu"
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    assert response.context["end"] == date(2026, 11, 25)
    assert "days in UTC time" in response.content.decode()
    days = set(
        DailyAggregate.objects.filter(metric="declarations", dimension="all").values_list(
            "day", "count"
        )
    )
    assert days == {(date(2026, 11, 25), 10)}
    with timezone.override(ZoneInfo("Pacific/Honolulu")):
        aggregate_day(date(2026, 11, 24))
        aggregate_day(date(2026, 11, 25))
    assert not DailyAggregate.objects.filter(day=date(2026, 11, 24)).exists()
    assert DailyAggregate.objects.get(day=date(2026, 11, 25), metric="declarations",
                                      dimension="all").count == 10  # fmt: skip


@pytest.mark.parametrize(
    "query",
    [{"operator": "99999"}, {"operator": "abc"}, {"start": "2026-02-30"}, {"end": "9999-12-31"}],
)
def test_csv_export_refuses_filters_it_cannot_apply(client, customs_user, traffic, query):
    """An export asked for an unknown operator or an impossible day never answers with the
    figures of every operator or of the default period as if they were the ones asked for."""
    aggregate_recent()
    client.force_login(customs_user("auditor"))
    response = client.get(reverse("dashboard_export", args=["volume_by_day"]), query)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    field = next(iter(query))
    label = {"operator": "Operator", "start": "From", "end": "To"}[field]
    assert response.content.decode().startswith(f"{label}: ")
    # The page itself shows the same reason beside the field.
    page = client.get(reverse("dashboard"), query)
    assert page.status_code == 200 and page.context["form"].errors[field]


def test_volume_per_day_shows_quiet_days_as_zero_up_to_today(client, customs_user, traffic):
    """A day without declarations is a 0 in the table and the chart, not a gap the chart closes
    up; days after today are not shown as if nothing had been received on them."""
    from datetime import date

    aggregate_recent()
    client.force_login(customs_user("supervisor"))
    response = client.get(reverse("dashboard"), {"start": "2026-11-22", "end": "2026-11-28"})
    table = next(t for t in response.context["tables"] if t.slug == "volume_by_day")
    assert [(row[0], row[1]) for row in table.rows] == [
        (date(2026, 11, 22), 0),
        (date(2026, 11, 23), 0),
        (date(2026, 11, 24), 0),
        (date(2026, 11, 25), 10),
    ]
    charts = response.context["charts"]
    assert charts["days"] == ["2026-11-22", "2026-11-23", "2026-11-24", "2026-11-25"]
    assert charts["volume"] == [0, 0, 0, 10]
    export = client.get(
        reverse("dashboard_export", args=["volume_by_day"]),
        {"start": "2026-11-22", "end": "2026-11-28"},
    )
    rows = list(csv.reader(io.StringIO(export.content.decode())))
    assert rows[1:] == [
        ["2026-11-22", "0", "0.00"],
        ["2026-11-23", "0", "0.00"],
        ["2026-11-24", "0", "0.00"],
        [rows[4][0], "10", rows[4][2]],
    ]
    # A period with nothing at all reads as zeros and dashes, never an error.
    empty = client.get(reverse("dashboard"), {"start": "2026-01-01", "end": "2026-01-03"})
    assert empty.status_code == 200
    assert empty.context["summary"]["total"] == 0
    assert empty.context["summary"]["hit_rate"] is None


def test_framework_figures_read_as_the_dashboards_in_either_language(client, customs_user, traffic):
    """Units stand apart from their figure, as on the dashboard ("0.0 %", "1.4 h"), and French
    puts its space before the colon, a non-breaking one."""
    import re

    aggregate_recent()
    client.force_login(customs_user("supervisor"))
    english = client.get(reverse("framework")).content.decode()
    assert "Declarations received: <strong>10</strong>" in english
    assert re.search(r"AEO share of volume: <strong>\d+\.\d+ %</strong>", english)
    french = client.get(reverse("framework"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Déclarations reçues\u00a0: <strong>10</strong>" in french
    assert re.search(r"Part des OEA dans le volume\u00a0: <strong>\d+,\d+ %</strong>", french)
    assert re.search(
        r"Score moyen de qualité des données\u00a0: <strong>[\d,]+/100</strong>", french
    )


def test_french_columns_counting_declarations_read_in_the_plural(client, customs_user, traffic):
    aggregate_recent()
    client.force_login(customs_user("supervisor"))
    response = client.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="fr")
    headers = {t.slug: [str(h) for h in t.headers] for t in response.context["tables"]}
    assert headers["returns"][:2] == ["Retournées", "Invalidées"]
    assert "Retenues" in headers["rules"] and "Mainlevées accordées" in headers["release_time"]
    english = client.get(reverse("dashboard_export", args=["returns"])).content.decode()
    assert english.startswith("Returned,Invalidated,Refunds")


def _controls_row(client, **query):
    response = client.get(reverse("dashboard_export", args=["controls"]), query)
    header, values = list(csv.reader(io.StringIO(response.content.decode())))[:2]
    return dict(zip(header, values, strict=True))


def test_inspection_rate_is_the_share_of_the_periods_declarations_inspected(
    client, customs_user, traffic
):
    """Consignments received on earlier days and inspected today are today's inspections, but
    not today's declarations: the inspection rate counts the declarations received in the
    period that were inspected (whenever), a share that never exceeds 100 %."""
    from declarations import lifecycle
    from declarations.statuses import Status

    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    statuses = dict(Declaration.objects.filter(pk__in=traffic).values_list("pk", "status"))
    asked = [pk for pk in traffic if statuses[pk] == Status.DOCUMENTS_REQUESTED]
    inspected = [pk for pk in traffic if statuses[pk] == Status.INSPECTION] + asked
    assert len(asked) == 2 and len(inspected) == 4 and traffic[0] not in inspected
    # All but the first were received yesterday; four are inspected today.
    Declaration.objects.filter(pk__in=traffic[1:]).update(
        received_at=timezone.now() - timedelta(days=1)
    )
    for pk in asked:
        lifecycle.transition(declaration_id=pk, to_status=Status.INSPECTION, action="inspect")
    aggregate_day(today)
    aggregate_day(yesterday)
    client.force_login(customs_user("supervisor"))
    row = _controls_row(client, start=today.isoformat(), end=today.isoformat())
    assert row["Inspections"] == "4"  # the inspections started on the day
    assert row["Declarations inspected"] == "0"  # of the one declaration received on the day
    assert float(row["Inspection rate %"]) == 0.0  # not 400 %
    row = _controls_row(client, start=yesterday.isoformat(), end=yesterday.isoformat())
    assert row["Inspections"] == "0" and row["Declarations inspected"] == "4"
    assert float(row["Inspection rate %"]) == pytest.approx(100.0 * 4 / 9, abs=0.01)
    # Over both days each inspected declaration counts once, against the ten received.
    page = client.get(
        reverse("dashboard"), {"start": yesterday.isoformat(), "end": today.isoformat()}
    )
    assert page.context["summary"]["inspection_rate"] == 40.0


def test_aeo_share_of_a_past_day_follows_the_status_operators_had_that_day(
    client, customs_user, operator_a, operator_b, example, django_capture_on_commit_callbacks
):
    """Operator A was AEO from 10 November and is revoked today; operator B is granted today,
    with a validity said to start on 1 November. Recomputing 15 November (a backfill, a late
    change) keeps that day's figures: A's declarations were an AEO's, B's were not."""
    from datetime import UTC, date, datetime

    import time_machine

    from aeo.services import authorisation_apply, authorisation_transition

    admin = customs_user("administrator")

    def grant(operator, certificate, valid_from):
        a = authorisation_apply(operator=operator, kind="AEOF", actor=admin)
        authorisation_transition(authorisation_id=a.pk, to_status="under_review", actor=admin)
        return authorisation_transition(
            authorisation_id=a.pk, to_status="authorised", actor=admin, reason="audit passed",
            certificate_number=certificate, valid_from=valid_from,
        )  # fmt: skip

    with time_machine.travel(datetime(2026, 11, 10, 9, tzinfo=UTC), tick=False):
        granted_a = grant(operator_a.operator, "FRAEOF0001", None)
    with django_capture_on_commit_callbacks(execute=True):
        for operator, n in ((operator_a, 3), (operator_b, 1)):
            declarations_submit(
                operator=operator.operator,
                bodies=[_body(example, 100 * operator.operator.pk + i) for i in range(n)],
            )
    day = date(2026, 11, 15)
    Declaration.objects.update(received_at=datetime(2026, 11, 15, 12, tzinfo=UTC))
    aggregate_day(day)
    client.force_login(customs_user("supervisor"))
    period = {"start": day.isoformat(), "end": day.isoformat()}

    def shares():
        response = client.get(reverse("dashboard_export", args=["aeo"]), period)
        return [row[:3] for row in csv.reader(io.StringIO(response.content.decode()))][1:]

    assert shares() == [["AEO", "3", "75.0"], ["Not AEO", "1", "25.0"]]
    authorisation_transition(
        authorisation_id=granted_a.pk, to_status="revoked", actor=admin, reason="fraud"
    )
    grant(operator_b.operator, "FRAEOF0002", date(2026, 11, 1))
    aggregate_day(day)
    assert shares() == [["AEO", "3", "75.0"], ["Not AEO", "1", "25.0"]]
    # Today's status is what today's figures read.
    Declaration.objects.update(received_at=timezone.now())
    aggregate_day(day)
    aggregate_day(timezone.localdate())
    assert client.get(reverse("dashboard")).context["summary"]["aeo_share"] == 25.0


def test_money_collected_is_read_in_one_query_whatever_the_number_of_payments(operator_a):
    """The model of each payment's consignment comes from one join to the current assessments:
    the day's queries stay the same in number with four times the payments, and the ledger's
    has no subquery run for each of its rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from revenue.models import LedgerEntry
    from revenue.selectors import border_outstanding
    from revenue.services.ledger import ledger_payment_record
    from tests.revenue.helpers import border_body, submit

    def pay(lrns):
        for declaration in submit(operator_a.operator, [border_body(lrn) for lrn in lrns]):
            amount = border_outstanding(declaration.pk)
            assert amount > 0
            ledger_payment_record(declaration_id=declaration.pk, amount=amount, currency="EUR")

    def queries():
        with CaptureQueriesContext(connection) as captured:
            aggregate_day(timezone.localdate())
        ledger = [q["sql"] for q in captured if '"revenue_ledgerentry"' in q["sql"]]
        assert len(ledger) == 1 and ledger[0].upper().count("SELECT") == 1, ledger
        return len(captured)

    pay(["LEDGER-1"])
    few = queries()
    pay([f"LEDGER-{n}" for n in range(2, 9)])
    assert LedgerEntry.objects.filter(kind="payment").count() == 8
    assert queries() == few
    collected = DailyAggregate.objects.get(
        day=timezone.localdate(), metric="ledger", dimension="payment", key="consignee_border/EUR"
    )
    assert collected.count == 8


@pytest.mark.parametrize("officer_zone", ["", "UTC", "Pacific/Honolulu"])
def test_a_dashboard_day_opens_the_list_of_that_days_declarations(
    client, customs_user, operator_a, example, settings, officer_zone,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    """Received at 23:30 UTC on 24 November is the 25th in Paris, the installation's zone: the
    dashboard counts it on the 25th, and the day's links (tiles, chart bars) open lists, the
    consignments list and the queue, whose day filters read the same Paris day, whatever the
    zone of the officer's browser."""
    from datetime import UTC, date, datetime

    settings.TIME_ZONE = "Europe/Paris"
    with django_capture_on_commit_callbacks(execute=True):
        (outcome,) = declarations_submit(
            operator=operator_a.operator, bodies=[_body(example, 1, risky=True)]
        )
    declaration = outcome.declaration
    Declaration.objects.filter(pk=declaration.pk).update(
        received_at=datetime(2026, 11, 24, 23, 30, tzinfo=UTC)
    )
    declaration.refresh_from_db()
    # In the queue (needs action, yellow or red).
    assert declaration.status == "assessed" and declaration.channel in ("yellow", "red")
    day = date(2026, 11, 25)
    aggregate_day(day)
    aggregate_day(day - timedelta(days=1))
    client.force_login(customs_user("supervisor"))
    if officer_zone:
        client.cookies["officer_tz"] = officer_zone
    period = {"start": "2026-11-24", "end": "2026-11-25"}
    page = client.get(reverse("dashboard"), period)
    per_day = {row[0]: row[1] for row in next(
        t for t in page.context["tables"] if t.slug == "volume_by_day").rows}  # fmt: skip
    assert per_day == {date(2026, 11, 24): 0, day: 1}
    # The volume chart's bar of a day opens the list with that day as from and to.
    listed = reverse("declarations:consignments")
    assert f'data-list="{listed}?received_from=2026-11-24' in page.content.decode()
    for url in (listed, reverse("declarations:queue")):
        rows = client.get(url, {"received_from": "2026-11-25", "received_to": "2026-11-25"})
        assert [row.pk for row in rows.context["rows"]] == [declaration.pk], url
        rows = client.get(url, {"received_from": "2026-11-24", "received_to": "2026-11-24"})
        assert list(rows.context["rows"]) == [], url


def _tile_rows(client, page, tile_id):
    """The consignments listed by the link of the dashboard tile ``tile_id`` (one page)."""
    import html as html_text
    import re

    href = re.search(
        rf'<a class="card tile" href="([^"]+)"><div class="kpi" id="{tile_id}"',
        page.content.decode(),
    ).group(1)
    listed = client.get(html_text.unescape(href))
    assert listed.status_code == 200 and listed.context["next_query"] is None
    return sorted(row.pk for row in listed.context["rows"])


def test_the_inspection_rate_tile_lists_the_declarations_it_counts(client, customs_user, traffic):
    """The tile's numerator is the declarations received in the period that were inspected
    (whenever): its link lists exactly those, not the red channel."""
    from declarations import lifecycle
    from declarations.statuses import Status

    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    statuses = dict(Declaration.objects.filter(pk__in=traffic).values_list("pk", "status"))
    asked = [pk for pk in traffic if statuses[pk] == Status.DOCUMENTS_REQUESTED]
    inspected = sorted([pk for pk in traffic if statuses[pk] == Status.INSPECTION] + asked)
    Declaration.objects.filter(pk__in=traffic[1:]).update(
        received_at=timezone.now() - timedelta(days=1)
    )
    for pk in asked:
        lifecycle.transition(declaration_id=pk, to_status=Status.INSPECTION, action="inspect")
    # One inspected declaration is released since: it was inspected all the same.
    officer_release(inspected[0], customs_user("officer", "officer-2"))
    aggregate_day(today)
    aggregate_day(yesterday)
    client.force_login(customs_user("supervisor"))
    for start, end, expected in (
        (yesterday, yesterday, inspected),
        (today, today, []),
        (yesterday, today, inspected),
    ):
        period = {"start": start.isoformat(), "end": end.isoformat()}
        row = _controls_row(client, **period)
        rows = _tile_rows(client, client.get(reverse("dashboard"), period), "kpi-inspection")
        assert rows == expected and len(rows) == int(row["Declarations inspected"])
    # The other way round: never inspected.
    listed = client.get(
        reverse("declarations:consignments"),
        {"received_from": yesterday.isoformat(), "inspected": "no"},
    )
    assert sorted(r.pk for r in listed.context["rows"]) == sorted(set(traffic) - set(inspected))
    html = client.get(reverse("declarations:consignments"), HTTP_ACCEPT_LANGUAGE="fr")
    assert "Inspectés à un moment donné" in html.content.decode()


def test_the_aeo_tile_lists_the_declarations_it_counts(
    client, customs_user, operator_a, operator_b, example, django_capture_on_commit_callbacks
):
    """The AEO share counts a declaration as an AEO's when its operator was AEO on the day it was
    received: the tile's list reads the same status, day by day over the period, not today's."""
    from datetime import UTC, date, datetime

    import time_machine

    from aeo.services import authorisation_apply, authorisation_transition

    admin = customs_user("administrator")

    def grant(operator, certificate, valid_from):
        a = authorisation_apply(operator=operator, kind="AEOF", actor=admin)
        authorisation_transition(authorisation_id=a.pk, to_status="under_review", actor=admin)
        return authorisation_transition(
            authorisation_id=a.pk, to_status="authorised", actor=admin, reason="audit passed",
            certificate_number=certificate, valid_from=valid_from,
        )  # fmt: skip

    with time_machine.travel(datetime(2026, 11, 10, 9, tzinfo=UTC), tick=False):
        granted_a = grant(operator_a.operator, "FRAEOF0001", None)
    with django_capture_on_commit_callbacks(execute=True):
        outcomes = {
            operator.operator.pk: declarations_submit(
                operator=operator.operator,
                bodies=[_body(example, 100 * operator.operator.pk + i) for i in range(n)],
            )
            for operator, n in ((operator_a, 4), (operator_b, 2))
        }
    a_ids = [o.declaration.pk for o in outcomes[operator_a.operator.pk]]
    b_ids = [o.declaration.pk for o in outcomes[operator_b.operator.pk]]
    past = date(2026, 11, 15)
    today = timezone.localdate()
    # Three of A's and one of B's on the 15th; the rest today.
    Declaration.objects.filter(pk__in=a_ids[:3] + b_ids[:1]).update(
        received_at=datetime(2026, 11, 15, 12, tzinfo=UTC)
    )
    # Today A is revoked and B granted (its validity said to start on 1 November).
    authorisation_transition(
        authorisation_id=granted_a.pk, to_status="revoked", actor=admin, reason="fraud"
    )
    grant(operator_b.operator, "FRAEOF0002", date(2026, 11, 1))
    aggregate_day(past)
    aggregate_day(today)
    client.force_login(customs_user("supervisor"))
    for start, end, expected in (
        (past, past, a_ids[:3]),  # A was AEO on the 15th, B was not
        (today, today, b_ids[1:]),  # today B is, A is not
        (past, today, a_ids[:3] + b_ids[1:]),  # each day with its own status
    ):
        period = {"start": start.isoformat(), "end": end.isoformat()}
        page = client.get(reverse("dashboard"), period)
        aeo = next(t for t in page.context["tables"] if t.slug == "aeo").rows[0]
        rows = _tile_rows(client, page, "kpi-aeo")
        assert rows == sorted(expected) and len(rows) == aeo[1], (start, end)
        others = client.get(
            reverse("declarations:consignments"),
            {"received_from": start.isoformat(), "received_to": end.isoformat(), "aeo": "no"},
        )
        assert sorted(r.pk for r in others.context["rows"]) == sorted(
            set(Declaration.objects.filter(
                received_at__gte=datetime.combine(start, datetime.min.time(), tzinfo=UTC),
                received_at__lt=datetime.combine(end + timedelta(days=1), datetime.min.time(),
                                                 tzinfo=UTC),
            ).values_list("pk", flat=True)) - set(expected)
        )  # fmt: skip
    # Without a period, each consignment is read on the day it was received as well.
    listed = client.get(reverse("declarations:consignments"), {"aeo": "yes"})
    assert sorted(r.pk for r in listed.context["rows"]) == sorted(a_ids[:3] + b_ids[1:])
    html = client.get(reverse("declarations:consignments"), HTTP_ACCEPT_LANGUAGE="fr")
    assert "Le statut de l’opérateur le jour où chaque envoi a été reçu." in html.content.decode()
