"""Benchmark of the officer queue and the KPI dashboard at one million consignments.

Loads N consignments (default 1,000,000) into a dedicated PostgreSQL database with COPY (realistic
mix of channels, statuses, origins, operators, HS chapters and timings over 90 days), computes the
daily KPI aggregates as the beat task would, then measures the pages through Django's test client
(full middleware, session, templates) and writes the figures to var/bench_officer.json.

    python manage.py bench_officer                       # 1M rows, database customs_ecom_bench_officer
    python manage.py bench_officer --count 200000 --requests 50
    BENCH_DATABASE_URL=postgres://user@host:5432/bench python manage.py bench_officer

The database is reused when it already holds the requested number of consignments.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/customs_ecom_bench_officer"
DAYS = 90
CHANNEL_WEIGHTS = [("green", 0.86), ("blue", 0.06), ("yellow", 0.05), ("red", 0.03)]
ORIGINS = ["CN"] * 12 + ["US", "GB", "TR", "IN", "VN", "HK", "KR", "JP", "DE", "CH"]
GOODS = [
    ("Women's cotton T-shirt, knitted", "610910"),
    ("Men's sports shoes, rubber soles", "640411"),
    ("Phone case, silicone, for smartphone", "392690"),
    ("Bluetooth wireless earphones", "851830"),
    ("Children's building blocks toy set", "950300"),
    ("Paperback novel, English", "490199"),
    ("Lipstick, cosmetic", "330410"),
    ("LED desk lamp with USB cable", "940521"),
    ("Women's handbag, synthetic leather", "420222"),
    ("USB-C charging cable, 1 m", "854442"),
    ("Replica luxury wristwatch", "910221"),
]
PRIORITY = {"red": 3, "yellow": 2, "blue": 1, "green": 0}
# The codes of the operators the bench loads (bench-op-00 ...): their consignments are its own.
BENCH_OPERATOR = "bench-op-"


def _value(values: dict, field):
    """The generated value of a column, or the field's default for columns added since."""
    if field.attname in values:
        return values[field.attname]
    default = field.get_default()
    return json.dumps(default) if isinstance(default, dict | list) else default


class Command(BaseCommand):
    help = "Load 1M consignments into a dedicated PostgreSQL database and time the queue and dashboard."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=1_000_000)
        parser.add_argument("--requests", type=int, default=30)
        parser.add_argument(
            "--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
        )
        parser.add_argument("--output", default="var/bench_officer.json")
        parser.add_argument(
            "--no-aggregates",
            action="store_true",
            help="skip the daily KPI aggregates (and the dashboard pages): for the 10M search and list runs",
        )

    def handle(self, *args, count, requests, database_url, output, no_aggregates, **options):
        if not database_url.startswith("postgres"):
            raise CommandError("bench_officer needs PostgreSQL (--database-url postgres://...)")
        if os.environ.get("DATABASE_URL") != database_url:
            self._create_database(database_url)
            env = dict(os.environ, DATABASE_URL=database_url, DJANGO_DEBUG="0")
            env.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
            argv = [sys.executable, "manage.py", "bench_officer", "--count", str(count)]
            argv += ["--requests", str(requests), "--database-url", database_url]
            argv += ["--output", output] + (["--no-aggregates"] if no_aggregates else [])
            raise SystemExit(subprocess.call(argv, env=env))
        self._run(count=count, requests=requests, output=output, aggregates=not no_aggregates)

    def _create_database(self, url: str) -> None:
        import dj_database_url
        import psycopg

        cfg = dj_database_url.parse(url)
        conninfo = {
            "host": cfg["HOST"] or "127.0.0.1",
            "port": cfg["PORT"] or 5432,
            "user": cfg["USER"] or "postgres",
            "dbname": "postgres",
        }
        if cfg["PASSWORD"]:
            conninfo["password"] = cfg["PASSWORD"]
        with psycopg.connect(**conninfo, autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]]
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{cfg["NAME"]}"')
                self.stdout.write(f"Created database {cfg['NAME']}.")

    # -- in the child process, DATABASE_URL points at the bench database --------------------

    def _run(self, *, count: int, requests: int, output: str, aggregates: bool = True) -> None:
        from django.core.management import call_command

        from declarations.models import Declaration

        call_command("migrate", verbosity=0)
        present = Declaration.objects.count()
        if present != count:
            # Loading empties the consignment tables (TRUNCATE ... CASCADE: status events, risk
            # and tax assessments, outcomes, cases, the ledger) and writes statuses directly: only
            # ever in a database that holds nothing but the bench's own consignments.
            if Declaration.objects.exclude(operator__code__startswith=BENCH_OPERATOR).exists():
                raise CommandError(
                    "this database holds consignments that are not the benchmark's: bench_officer "
                    "loads only into a database of its own (--database-url)"
                )
            self._load(count, aggregates=aggregates)
        else:
            self.stdout.write(f"Reusing {present} consignments already loaded.")
        figures = self._measure(requests, count, dashboards=aggregates)
        figures["count"] = count
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(json.dumps(figures, indent=2))
        self.stdout.write(json.dumps(figures, indent=2))

    def _load(self, count: int, aggregates: bool = True) -> None:
        from django.db import connection
        from django.utils import timezone

        from aeo.models import AEOAuthorisation, Operator
        from aeo.services import operator_create
        from customs_ecom.kpis import aggregate_range
        from declarations.models import DailyAggregate, Declaration, DeclarationItem, Profile

        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE declarations_declarationitem, declarations_statusevent, "
                "declarations_qualityfinding, declarations_dailyaggregate, "
                "declarations_declaration RESTART IDENTITY CASCADE"
            )
        operators = []
        for n in range(40):
            code = f"{BENCH_OPERATOR}{n:02d}"
            role = ["marketplace", "express_carrier", "postal_operator", "vendor"][n % 4]
            operators.append(
                Operator.objects.filter(code=code).first()
                or operator_create(code=code, name=f"Bench operator {n:02d}", role=role)
            )
        for op in operators[:6]:  # a few AEO operators carrying a large share of volume
            AEOAuthorisation.objects.get_or_create(
                operator=op,
                defaults={
                    "kind": "AEOF",
                    "status": "authorised",
                    "valid_from": timezone.localdate() - timedelta(days=800),
                },
            )
        weights = [8 if i < 6 else 1 for i in range(len(operators))]
        profile = Profile.objects.filter(code="eu-h7", is_active=True).order_by("-version").first()
        rng = random.Random(2026)
        now = timezone.now()
        decl_fields = [
            f for f in Declaration._meta.concrete_fields if f.column != "id"
        ]  # order of COPY
        item_fields = [f for f in DeclarationItem._meta.concrete_fields if f.column != "id"]
        channels = [c for c, _ in CHANNEL_WEIGHTS]
        channel_weights = [w for _, w in CHANNEL_WEIGHTS]

        def rows():
            for i in range(count):
                op = rng.choices(operators, weights)[0]
                received = now - timedelta(seconds=rng.uniform(0, DAYS * 86400))
                age = (now - received).total_seconds()
                channel = rng.choices(channels, channel_weights)[0]
                score = {"green": rng.randint(0, 19), "blue": rng.randint(20, 39)}.get(
                    channel, rng.randint(40, 69) if channel == "yellow" else rng.randint(70, 100)
                )
                lead = rng.uniform(2 * 3600, 72 * 3600) if rng.random() < 0.93 else None
                arrived = received + timedelta(seconds=lead) if lead else received
                arrived = arrived if arrived < now else None
                released = None
                status = "assessed"
                if arrived is not None:
                    if channel in ("green", "blue"):
                        status, released = (
                            "released",
                            arrived + timedelta(seconds=rng.uniform(1, 90)),
                        )
                    else:
                        work = (
                            rng.uniform(3600, 5 * 86400)
                            if channel == "yellow"
                            else rng.uniform(4 * 3600, 8 * 86400)
                        )
                        if arrived + timedelta(seconds=work) < now:
                            status = "detained" if rng.random() < 0.12 else "released"
                            released = (
                                arrived + timedelta(seconds=work) if status == "released" else None
                            )
                        else:
                            status = "documents_requested" if channel == "yellow" else "inspection"
                if status == "released" and rng.random() < 0.004 and age > 20 * 86400:
                    status = "returned"
                desc, hs = rng.choice(GOODS)
                value = Decimal(rng.randint(300, 15000)) / 100
                consignee = f"consignee-{rng.randint(0, 300_000)}"
                values = {
                    "operator_id": op.pk,
                    "lrn": f"BENCH-{i:09d}",
                    "dataset": "eu-h7",
                    "profile_id": profile.pk,
                    "status": status,
                    "channel": channel,
                    "risk_score": score,
                    "priority": PRIORITY[channel] * 1000 + score,
                    "dq_score": rng.randint(55, 100),
                    "category": "sale_of_goods",
                    "transport_mode": "air",
                    "transport_document_type": "house_waybill",
                    "transport_document_number": f"9{i:010d}",
                    "country_of_dispatch": rng.choice(ORIGINS),
                    "currency": "EUR",
                    "total_value": value,
                    "total_value_eur": value,
                    "total_gross_mass_kg": Decimal("0.500"),
                    "packages": 1,
                    "item_count": 1,
                    "seller_name": f"Seller {rng.randint(0, 20_000)}",
                    "consignee_name": consignee.replace("-", " ").title(),
                    "consignee_country": "FR",
                    "consignee_key": consignee,
                    "tax_scheme": "IOSS" if rng.random() < 0.6 else "",
                    "tax_scheme_number": "",
                    "payload": json.dumps(
                        {"lrn": f"BENCH-{i:09d}", "items": [{"description": desc, "hs_code": hs}]}
                    ),
                    "fingerprint": f"{i:064d}",
                    "revision": 1,
                    "risk_revision": 1,
                    "tax_revision": 1,
                    "expected_arrival": arrived,
                    "received_at": received,
                    "updated_at": released or arrived or received,
                    "assessed_at": received + timedelta(seconds=2),
                    "arrived_at": arrived,
                    "released_at": released,
                    "enqueued_at": received,
                    "claimed_by_id": None,
                    "claimed_at": None,
                }
                yield [_value(values, f) for f in decl_fields], (desc, hs, value)

        decl_columns = ", ".join(f'"{f.column}"' for f in decl_fields)
        goods = []
        with connection.cursor() as cursor:
            raw = cursor.cursor
            with raw.copy(f"COPY declarations_declaration ({decl_columns}) FROM STDIN") as copy:
                for row, item in rows():
                    copy.write_row(row)
                    goods.append(item)
            self.stdout.write(f"Declarations copied in {time.monotonic() - started:.0f} s.")
            first_id = raw.execute("SELECT min(id) FROM declarations_declaration").fetchone()[0]
            item_columns = ", ".join(f'"{f.column}"' for f in item_fields)
            with raw.copy(f"COPY declarations_declarationitem ({item_columns}) FROM STDIN") as copy:
                for offset, (desc, hs, value) in enumerate(goods):
                    item = {
                        "declaration_id": first_id + offset,
                        "line": 1,
                        "description": desc,
                        "hs_code": hs,
                        "quantity": Decimal(1),
                        "unit": "H87",
                        "net_mass_kg": Decimal("0.400"),
                        "value": value,
                        "origin_country": "CN",
                    }
                    copy.write_row([_value(item, f) for f in item_fields])
            raw.execute("ANALYZE")
        self.stdout.write(f"Loaded {count} consignments in {time.monotonic() - started:.0f} s.")
        if not aggregates:
            return
        started = time.monotonic()
        DailyAggregate.objects.all().delete()
        today = timezone.localdate()
        rows_written = aggregate_range(today - timedelta(days=DAYS + 1), today)
        self.stdout.write(
            f"Aggregated {DAYS + 2} days ({rows_written} rows) in {time.monotonic() - started:.0f} s."
        )

    def _measure(self, requests: int, count: int, dashboards: bool = True) -> dict:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group
        from django.db import connection
        from django.test import Client
        from django.utils import timezone

        from customs_ecom.platform.roles import ensure_role_groups
        from declarations.selectors import queue_declarations

        ensure_role_groups()
        user, _ = get_user_model().objects.get_or_create(username="bench-officer")
        user.groups.add(Group.objects.get(name="supervisor"))
        client = Client()
        client.force_login(user)
        first = client.get("/queue/")
        assert first.status_code == 200, first.status_code
        second_page = first.content.decode().split('id="next-page" href="?', 1)[1].split('"', 1)[0]
        listing = client.get("/consignments/").content.decode()
        list_page_2 = listing.split('id="next-page" href="?', 1)[1].split('"', 1)[0]
        pages = {
            "queue": "/queue/",
            "queue_red_filtered": "/queue/?channel=red&origin=CN",
            "queue_page_2": "/queue/?" + second_page.replace("&amp;", "&"),
            # finding and working consignments (issue 16): search and the all-consignments list
            "search_lrn": f"/search/?q=bench-{count // 2:09d}",
            "search_waybill": f"/search/?q=9{count // 3:010d}",
            "search_consignee_name": "/search/?q=Consignee+123457",
            "search_no_match": "/search/?q=ZZ999999999ZZ",
            "case_file": f"/consignments/{count // 2}/",  # where a one-match search lands
            "case_report_pdf": f"/consignments/{count // 2}/report/",
            "consignments": "/consignments/",
            "consignments_red_cn_aeo": "/consignments/?channel=red&origin=CN&aeo=yes",
            "consignments_detained": "/consignments/?status=detained",
            "consignments_page_2": "/consignments/?" + list_page_2.replace("&amp;", "&"),
            "workload": "/workload/",
            "dashboard_30_days": "/dashboard/",
            "dashboard_90_days": f"/dashboard/?start={timezone.localdate() - timedelta(days=89)}",
        }
        if not dashboards:
            pages = {k: v for k, v in pages.items() if not k.startswith("dashboard")}
        figures: dict = {"pages": {}}
        for name, url in pages.items():
            for _ in range(3):  # warm caches
                # a search with one match answers 302 to the consignment (not followed)
                assert client.get(url).status_code in (200, 302), url
            times = []
            for _ in range(requests):
                start = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - start) * 1000)
                assert response.status_code in (200, 302)
            times.sort()
            figures["pages"][name] = {
                "median_ms": round(statistics.median(times), 1),
                "p90_ms": round(times[int(0.9 * (len(times) - 1))], 1),
            }
            self.stdout.write(f"{name}: {figures['pages'][name]}")
        sql, params = queue_declarations(filters={}).query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN ANALYZE {sql} LIMIT 51", params)
            figures["queue_plan"] = [r[0] for r in cursor.fetchall()]
        figures["needing_action"] = queue_declarations(filters={}).count()
        # The plans behind the search and the list (issue 16): index use, whatever the load.
        from declarations.consignment_list import filtered_consignments
        from declarations.models import Declaration

        plans = {
            "list_detained": filtered_consignments(filters={"status": "detained"})[:51],
            "search_name": Declaration.objects.filter(
                consignee_name__icontains="Consignee", seller_name__icontains="123457"
            )[:101],
        }
        figures["plans"] = {}
        for name, qs in plans.items():
            sql, params = qs.query.sql_with_params()
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN ANALYZE {sql}", params)
                figures["plans"][name] = [r[0] for r in cursor.fetchall()]
        return figures
