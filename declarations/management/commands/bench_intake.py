"""Throughput of declaration intake on PostgreSQL, through the whole Django stack.

`python manage.py bench_intake` (`make bench`) creates its own scratch PostgreSQL database next to
the one of DATABASE_URL (migrated, dropped afterwards), then measures in one run:

1. the batch endpoint `POST /api/v1/declarations/batch` with 1,000 declarations per call (1-3 items,
   2 on average): JSON parsing, authentication, validation (layers 1-3), data quality (layer 4),
   bulk storage and the enqueue of the risk and revenue tasks to the broker, declarations/s;
2. the median (and 95th percentile) latency of a single `POST /api/v1/declarations`;
3. a raw PostgreSQL `COPY` of the same rows (declarations and items, same columns and JSON payload)
   into scratch tables, declarations/s, and the ratio of (1) to (3).

Requests go through Django's test client: the real WSGI handler, middleware, URL routing, DRF
authentication with a real API key, throttling, views and services, without a network socket.
Celery tasks are sent to the configured broker, or to an in-process memory broker: never run inline.
"""

from __future__ import annotations

import cProfile
import gc
import io
import json
import pstats
import random
import statistics
import threading
import time
from datetime import UTC, datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client

from customs_ecom.platform.heap import settle
from declarations.synthetic import make_declaration


class _AutovacuumStandIn:
    """What autovacuum does for a production database, for a server that runs without it (the
    development machine's does): every ``interval`` seconds, VACUUM (ANALYZE) the tables intake
    writes, on a connection of its own, while the run goes on. Without it, every batch paid for
    the last ones' missing hint bits and statistics: PostgreSQL's CPU per 1,000 declarations grew
    from about 100 ms to 300 ms over 200,000 rows, and a 100,000-declaration run fell to 4,000/s."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.runs = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> _AutovacuumStandIn:
        with connection.cursor() as cursor:
            cursor.execute("SHOW autovacuum")
            autovacuum_on = cursor.fetchone()[0] == "on"
        if self.interval > 0 and not autovacuum_on:
            self._thread = threading.Thread(target=self._loop, daemon=True)
            self._thread.start()
        return self

    def _loop(self) -> None:
        import psycopg

        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        from declarations.models import Declaration, DeclarationItem, QualityFinding, StatusEvent

        tables = ", ".join(
            connection.ops.quote_name(model._meta.db_table)
            for model in (Declaration, DeclarationItem, QualityFinding, StatusEvent)
        )
        with psycopg.connect(**params, autocommit=True) as conn:
            while not self._stop.wait(self.interval):
                conn.execute(f"VACUUM (ANALYZE) {tables}")
                self.runs += 1

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def _cpu_jiffies() -> tuple[int, int] | None:
    """(busy, total) CPU time of the whole machine so far, from /proc/stat (Linux), else None."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(x) for x in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _busy_percent(before: tuple[int, int] | None, after: tuple[int, int] | None) -> float | None:
    if before is None or after is None or after[1] == before[1]:
        return None
    return round(100 * (after[0] - before[0]) / (after[1] - before[1]), 1)


class Command(BaseCommand):
    help = "Measure batch intake (declarations/s), single POST latency and raw COPY on PostgreSQL."

    def add_arguments(self, parser):
        parser.add_argument("--batches", type=int, default=10, help="timed calls (default 10)")
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument("--singles", type=int, default=300, help="single POSTs timed")
        parser.add_argument(
            "--profile", action="store_true", help="print a cProfile of one batch call"
        )
        parser.add_argument(
            "--profile-sort", default="cumulative", help="pstats order: cumulative, tottime..."
        )
        parser.add_argument(
            "--keepdb", action="store_true", help="keep the scratch database afterwards"
        )
        parser.add_argument(
            "--vacuum-every",
            type=float,
            default=20.0,
            help="on a server running without autovacuum, VACUUM (ANALYZE) the intake tables "
            "every so many seconds during the run, as autovacuum would (0: never)",
        )
        parser.add_argument(
            "--gunicorn-workers",
            type=int,
            default=2,
            help="also measure through a real gunicorn with this many workers and as many "
            "concurrent clients over HTTP (0 to skip)",
        )

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                "bench_intake measures PostgreSQL, not "
                f"{connection.vendor}: set DATABASE_URL=postgres://user@host:5432/name "
                "(a scratch database named test_<name> is created and dropped)."
            )
        from celery import current_app

        settings.DEBUG = False  # no query log: measure what production runs
        current_app.conf.task_always_eager = False
        if settings.CELERY_BROKER_URL.startswith("memory://"):
            self.stderr.write("no broker configured: tasks go to the in-process memory broker")
        old_name = connection.settings_dict["NAME"]
        test_name = connection.creation.create_test_db(
            verbosity=0, autoclobber=True, keepdb=options["keepdb"]
        )
        try:
            with _AutovacuumStandIn(options["vacuum_every"]) as vacuums:
                report = self._run(options)
            report["autovacuum_stand_in_runs"] = vacuums.runs
        finally:
            if not options["keepdb"]:
                connection.creation.destroy_test_db(old_name, verbosity=0)
        report["database"] = test_name
        self.stdout.write(json.dumps(report, indent=2))

    # ------------------------------------------------------------------------------------------

    def _run(self, options) -> dict:
        from aeo.services import api_key_create, operator_create
        from declarations.reference import ensure_reference_profiles

        ensure_reference_profiles()
        operator = operator_create(
            code=f"bench-{int(time.time())}", name="Bench", role="marketplace", country="FR"
        )
        _, key = api_key_create(operator=operator)
        client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
        rng = random.Random(20261128)
        now = datetime.now(UTC)
        size = options["batch_size"]
        counter = iter(range(10**9))

        def make_batch() -> list[dict]:
            return [
                make_declaration(
                    rng,
                    next(counter),
                    lrn_prefix="BENCH",
                    received=now,
                    items=rng.choice([1, 2, 3]),
                )
                for _ in range(size)
            ]

        def post_batch(batch: list[dict]) -> None:
            response = client.post(
                "/api/v1/declarations/batch",
                json.dumps({"declarations": batch}),
                content_type="application/json",
            )
            body = response.json()
            if response.status_code != 200 or body["rejected"]:
                raise CommandError(f"batch failed: {response.status_code} {str(body)[:500]}")

        post_batch(make_batch())  # warm-up: caches, connections, code paths
        # As the WSGI module and each worker process do (customs_ecom.platform.heap).
        settle()
        gc_time = [0.0, 0.0]

        def gc_cb(phase, info):
            if phase == "start":
                gc_time[1] = time.perf_counter()
            else:
                gc_time[0] += time.perf_counter() - gc_time[1]

        gc.callbacks.append(gc_cb)
        bodies = [json.dumps({"declarations": make_batch()}) for _ in range(options["batches"])]
        items = sum(len(d["items"]) for b in bodies for d in json.loads(b)["declarations"])
        started = time.perf_counter()
        cpu_started = time.process_time()
        for raw in bodies:
            response = client.post(
                "/api/v1/declarations/batch", raw, content_type="application/json"
            )
            if response.status_code != 200 or response.json()["rejected"]:
                raise CommandError(f"batch failed: {response.content[:500]!r}")
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        gc.callbacks.remove(gc_cb)
        declarations = options["batches"] * size
        batch_rate = declarations / elapsed

        profile_text = ""
        if options["profile"]:
            batch = make_batch()
            profiler = cProfile.Profile()
            profiler.enable()
            post_batch(batch)
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(options["profile_sort"]).print_stats(45)
            profile_text = out.getvalue()
            self.stderr.write(profile_text)

        if options["profile"]:
            profiler = cProfile.Profile()
            for _ in range(20):
                raw = json.dumps(make_declaration(rng, next(counter), lrn_prefix="P", received=now))
                profiler.enable()
                client.post("/api/v1/declarations", raw, content_type="application/json")
                profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(options["profile_sort"]).print_stats(60)
            self.stderr.write("single POST x20\n" + out.getvalue())

        latencies = []
        for _ in range(options["singles"]):
            raw = json.dumps(make_declaration(rng, next(counter), lrn_prefix="ONE", received=now))
            t0 = time.perf_counter()
            response = client.post("/api/v1/declarations", raw, content_type="application/json")
            latencies.append((time.perf_counter() - t0) * 1000)
            if response.status_code != 201:
                raise CommandError(f"single POST failed: {response.content[:300]!r}")
        latencies.sort()

        copy_rate = self._copy_rate(bodies)
        served = {}
        if options["gunicorn_workers"] > 0:
            served = self._gunicorn(key, options["gunicorn_workers"], make_batch, options)
        return {
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "client": "django.test.Client (in-process WSGI handler, full middleware and DRF)",
            "batch_size": size,
            "batches_timed": options["batches"],
            "declarations": declarations,
            "items": items,
            "items_per_declaration": round(items / declarations, 2),
            "batch_seconds": round(elapsed, 3),
            "batch_declarations_per_second": round(batch_rate),
            # CPU of the Django process alone (PostgreSQL excluded): the load-independent figure
            # that bounds one worker's rate on one free core.
            "batch_python_cpu_ms_per_declaration": round(cpu * 1000 / declarations, 3),
            "batch_garbage_collection_ms": round(gc_time[0] * 1000, 1),
            "single_post_median_ms": round(statistics.median(latencies), 2),
            "single_post_p95_ms": round(latencies[int(len(latencies) * 0.95) - 1], 2),
            "copy_declarations_per_second": round(copy_rate),
            "intake_to_copy_ratio": round(batch_rate / copy_rate, 4),
            **served,
        }

    def _copy_rate(self, bodies: list[str]) -> float:
        """COPY the same declarations and items, with the same columns and payload, into scratch
        tables shaped like ours: the floor of what any intake on this machine can cost."""
        from declarations.rates import RateBook
        from declarations.services._common import _columns

        rates = RateBook()
        received = datetime.now(UTC)
        decl_rows, item_rows = [], []
        decl_id = 0
        for raw in bodies:
            for body in json.loads(raw)["declarations"]:
                decl_id += 1
                columns = _columns(body, rates, received)
                decl_rows.append(
                    (
                        decl_id,
                        body["lrn"],
                        columns["dataset"],
                        columns["category"],
                        columns["transport_document_number"],
                        columns["country_of_dispatch"],
                        columns["currency"],
                        columns["total_value"],
                        columns["total_value_eur"],
                        columns["total_gross_mass_kg"],
                        columns["consignee_name"],
                        columns["consignee_key"],
                        json.dumps(body),
                        received,
                    )
                )
                for item in body["items"]:
                    item_rows.append(
                        (
                            decl_id,
                            item["line"],
                            item["description"],
                            item["hs_code"],
                            item["value"],
                            item.get("net_mass_kg"),
                            item.get("origin_country", ""),
                        )
                    )
        raw_conn = connection.connection  # psycopg 3 connection behind Django's
        with raw_conn.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE bench_decl (id bigint PRIMARY KEY, lrn varchar(35), "
                "dataset varchar(40), category varchar(24), transport_document_number varchar(64), "
                "country_of_dispatch varchar(2), currency varchar(3), total_value numeric(18,4), "
                "total_value_eur numeric(18,2), total_gross_mass_kg numeric(14,3), "
                "consignee_name varchar(140), consignee_key varchar(200), payload jsonb, "
                "received_at timestamptz)"
            )
            cursor.execute(
                "CREATE TEMP TABLE bench_item (declaration_id bigint, line integer, "
                "description varchar(512), hs_code varchar(10), value numeric(18,4), "
                "net_mass_kg numeric(14,3), origin_country varchar(2), "
                "PRIMARY KEY (declaration_id, line))"
            )
            started = time.perf_counter()
            with cursor.copy("COPY bench_decl FROM STDIN") as copy:
                for row in decl_rows:
                    copy.write_row(row)
            with cursor.copy("COPY bench_item FROM STDIN") as copy:
                for row in item_rows:
                    copy.write_row(row)
            raw_conn.commit()
            elapsed = time.perf_counter() - started
            cursor.execute("DROP TABLE bench_decl, bench_item")
            raw_conn.commit()
        return len(decl_rows) / elapsed

    def _gunicorn(self, key: str, workers: int, make_batch, options) -> dict:
        """The same batches through a real gunicorn (sync workers, one per core) over HTTP on
        localhost, with as many concurrent clients as workers: what a deployment sustains."""
        import http.client
        import os
        import shutil
        import socket
        import subprocess
        import sys
        import threading
        from pathlib import Path

        db = connection.settings_dict
        env = dict(os.environ)
        env.update(
            {
                "DATABASE_URL": f"postgres://{db['USER'] or ''}"
                f"{':' + db['PASSWORD'] if db['PASSWORD'] else ''}@{db['HOST'] or '127.0.0.1'}:"
                f"{db['PORT'] or 5432}/{db['NAME']}",
                "DJANGO_DEBUG": "0",
                "CELERY_TASK_ALWAYS_EAGER": "0",
                "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
                "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            }
        )
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
        process = subprocess.Popen(
            [
                gunicorn,
                "customs_ecom.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--timeout",
                "120",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=str(settings.BASE_DIR),
        )
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise CommandError("gunicorn did not start") from None
                    time.sleep(0.2)
            clients = workers
            per_client = max(1, options["batches"] // clients)
            payloads = [
                [json.dumps({"declarations": make_batch()}) for _ in range(per_client)]
                for _ in range(clients)
            ]
            warm = [json.dumps({"declarations": make_batch()}) for _ in range(clients * 2)]
            failures: list[str] = []

            def send(bodies: list[str]) -> None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
                for body in bodies:
                    conn.request("POST", "/api/v1/declarations/batch", body, headers)
                    response = conn.getresponse()
                    data = response.read()
                    if response.status != 200 or b'"rejected":0' not in data:
                        failures.append(f"{response.status} {data[:300]!r}")
                conn.close()

            def run(groups: list[list[str]]) -> float:
                threads = [threading.Thread(target=send, args=(g,)) for g in groups]
                started = time.perf_counter()
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                return time.perf_counter() - started

            run([warm[i::clients] for i in range(clients)])  # every worker warmed up
            busy_before = _cpu_jiffies()
            elapsed = run(payloads)
            busy_after = _cpu_jiffies()
            if failures:
                raise CommandError(f"gunicorn batch failed: {failures[0]}")
            total = clients * per_client * options["batch_size"]
            latencies = []
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            rng = random.Random(7)
            now = datetime.now(UTC)
            for n in range(min(options["singles"], 200)):
                body = json.dumps(make_declaration(rng, n, lrn_prefix="GUN1", received=now))
                t0 = time.perf_counter()
                conn.request("POST", "/api/v1/declarations", body, headers)
                response = conn.getresponse()
                response.read()
                latencies.append((time.perf_counter() - t0) * 1000)
                if response.status != 201:
                    raise CommandError(f"gunicorn single POST failed: {response.status}")
            conn.close()
            latencies.sort()
        finally:
            process.terminate()
            process.wait(timeout=30)
        return {
            "gunicorn_workers": workers,
            "gunicorn_concurrent_clients": clients,
            "gunicorn_declarations": total,
            "gunicorn_batch_declarations_per_second": round(total / elapsed),
            # Of both cores, how busy the machine was during the timed batches (gunicorn,
            # PostgreSQL, the broker and this client together).
            "gunicorn_machine_cpu_busy_percent": _busy_percent(busy_before, busy_after),
            "gunicorn_single_post_median_ms": round(statistics.median(latencies), 2),
            "gunicorn_single_post_p95_ms": round(latencies[int(len(latencies) * 0.95) - 1], 2),
        }
