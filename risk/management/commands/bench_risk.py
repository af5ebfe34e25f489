"""End-to-end speed of risk assessment on PostgreSQL + Redis + a real Celery worker process.

`python manage.py bench_risk` (`make bench`) creates a scratch PostgreSQL database next to the one
of DATABASE_URL (migrated, dropped afterwards), loads a 10,000-entry watchlist, and measures:

1. **throughput per worker process**: N declarations are stored through intake, the queue is
   purged, then only `risk.assess_batch` tasks are sent (``--task-size`` ids each, 1,000 by default:
   what one call of the batch endpoint enqueues) and one worker process
   (`--concurrency=1`) works them: facts building (history queries per batch), the default rule
   set, the 10,000-entry watchlist, the learned model if any, and storage (assessments, hits, the
   declaration's channel). Rate = assessments stored after the first batch / time from the first
   batch stored to the last.
2. **latency at offered load**: declarations are posted to `POST /api/v1/declarations/batch` at
   `--rate` per second (batches every 100 ms) for `--seconds`, with the production worker command
   (2 processes) running risk and revenue; latency = time the intake answer (201 per declaration)
   was received to the moment the risk assessment (the channel) was stored; p50 and p99.

Requests go through Django's test client (WSGI handler, middleware, authentication, views and
services, no socket). Needs DATABASE_URL=postgres://... and CELERY_BROKER_URL=redis://...
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client

from customs_ecom.platform.runtime import QUEUES, WORKER_COMMAND
from declarations.synthetic import make_declaration

ROOT = Path(__file__).resolve().parents[3]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(q * len(ordered))) - 1))
    return ordered[index]


def _assessed(ids: list[int]) -> int:
    """How many declarations with ids between the lowest and highest of ``ids`` are assessed."""
    from risk.models import RiskAssessment

    return (
        RiskAssessment.objects.filter(declaration_id__gte=min(ids), declaration_id__lte=max(ids))
        .values("declaration_id")
        .distinct()
        .count()
    )


class Command(BaseCommand):
    help = "Measure risk assessments/s per worker process and intake-to-channel latency."

    def add_arguments(self, parser):
        parser.add_argument("--declarations", type=int, default=20_000)
        parser.add_argument("--watchlist", type=int, default=10_000)
        parser.add_argument("--rate", type=int, default=500, help="offered declarations/s")
        parser.add_argument(
            "--task-size",
            type=int,
            default=1000,
            help="ids per risk task in the throughput phase (the batch endpoint's 1,000)",
        )
        parser.add_argument("--seconds", type=int, default=20, help="duration of the load")
        parser.add_argument("--keepdb", action="store_true")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_risk measures PostgreSQL: set DATABASE_URL=postgres://...")
        if not settings.CELERY_BROKER_URL.startswith("redis"):
            raise CommandError("bench_risk needs a real broker: set CELERY_BROKER_URL=redis://...")
        from celery import current_app

        settings.DEBUG = False  # no query log: measure what production runs
        current_app.conf.task_always_eager = False
        old_name = connection.settings_dict["NAME"]
        test_name = connection.creation.create_test_db(
            verbosity=0, autoclobber=True, keepdb=options["keepdb"]
        )
        try:
            report = self._run(options)
        finally:
            if not options["keepdb"]:
                connection.creation.destroy_test_db(old_name, verbosity=0)
        report["database"] = test_name
        self.stdout.write(json.dumps(report, indent=2))

    # ------------------------------------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        db = connection.settings_dict
        env = dict(os.environ)
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        env["CELERY_TASK_ALWAYS_EAGER"] = "0"
        password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
        env["DATABASE_URL"] = (
            f"postgres://{db['USER'] or ''}{password}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        )
        env["CELERY_BROKER_URL"] = settings.CELERY_BROKER_URL
        env["LOG_LEVEL"] = "WARNING"
        env["DJANGO_DEBUG"] = "0"  # production's setting: no query log in the worker
        return env

    def _celery(self) -> str:
        return shutil.which("celery", path=self._env()["PATH"]) or "celery"

    def _purge(self) -> None:
        subprocess.run(
            [self._celery(), "-A", "customs_ecom", "purge", "-f", "-Q", ",".join(QUEUES)],
            env=self._env(),
            cwd=ROOT,
            check=True,
            capture_output=True,
        )

    def _start_worker(self, concurrency: int) -> tuple[subprocess.Popen, Path]:
        command = [self._celery(), *WORKER_COMMAND[1:]]
        command = [c for c in command if not c.startswith("--concurrency")]
        command += [f"--concurrency={concurrency}", "--loglevel=INFO"]
        log_path = Path(tempfile.mkstemp(prefix="bench-risk-worker-", suffix=".log")[1])
        log = open(log_path, "w")  # noqa: SIM115
        process = subprocess.Popen(
            command, env=self._env(), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 120
        while " ready." not in log_path.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise CommandError("worker did not start: " + log_path.read_text()[-2000:])
            time.sleep(0.1)
        return process, log_path

    @staticmethod
    def _stop(process: subprocess.Popen) -> None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()

    def _run(self, options) -> dict:
        from aeo.services import api_key_create, operator_create
        from declarations.models import Declaration
        from declarations.reference import ensure_reference_profiles
        from declarations.services import declarations_submit
        from risk.bench_engine import synthetic_watchlist
        from risk.models import RiskAssessment, WatchlistEntry
        from risk.services.rulesets import ensure_default_ruleset
        from risk.tasks import assess_batch

        ensure_reference_profiles()
        ensure_default_ruleset()
        WatchlistEntry.objects.bulk_create(
            [
                WatchlistEntry(
                    list_name="bench",
                    name=e.name,
                    aliases=list(e.aliases),
                    country=e.country or "",
                    address=e.address or "",
                    identifiers=list(e.identifiers),
                )
                for e in synthetic_watchlist(options["watchlist"])
            ],
            batch_size=2000,
        )
        operator = operator_create(
            code=f"bench-risk-{int(time.time())}", name="Bench", role="marketplace", country="FR"
        )
        _, key = api_key_create(operator=operator)
        rng = random.Random(20261128)
        counter = iter(range(10**9))

        def bodies(n: int) -> list[dict]:
            now = datetime.now(UTC)
            return [
                make_declaration(
                    rng, next(counter), lrn_prefix="BRISK", received=now, risky=rng.random() < 0.05
                )
                for _ in range(n)
            ]

        # 1. Throughput of one worker process on risk alone.
        total = options["declarations"]
        ids: list[int] = []
        for start in range(0, total, 1000):
            outcomes = declarations_submit(
                operator=operator, bodies=bodies(min(1000, total - start))
            )
            ids += [o.declaration.pk for o in outcomes if o.declaration is not None]
        # A production database keeps its planner statistics fresh with autovacuum; a scratch
        # database filled a second ago has none (and this machine's server runs without it).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
        self._purge()
        size = options["task_size"]
        for start in range(0, len(ids), size):
            assess_batch.delay(ids[start : start + size])
        process, _ = self._start_worker(concurrency=1)
        try:
            deadline = time.monotonic() + 1800
            # Polled by id range, not by a list of 20,000 ids: the poll must not take CPU from
            # the worker it measures (the ids of this run are contiguous in a scratch database).
            while _assessed(ids) < len(ids):
                if time.monotonic() > deadline:
                    raise CommandError("throughput phase did not finish in 30 minutes")
                time.sleep(0.5)
        finally:
            self._stop(process)
        stamps = sorted(
            RiskAssessment.objects.filter(declaration_id__in=ids).values_list(
                "created_at", flat=True
            )
        )
        first_batch = min(size, len(ids))
        span = (stamps[-1] - stamps[first_batch - 1]).total_seconds()
        throughput = (len(ids) - first_batch) / span if span > 0 else float("nan")

        # 2. Latency from the intake answer to the stored channel at the offered load.
        self._purge()
        process, _ = self._start_worker(concurrency=2)
        client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
        answered: dict[int, float] = {}
        per_tick = max(1, options["rate"] // 10)
        ticks = options["seconds"] * 10
        started = time.time()
        behind = 0
        try:
            for tick in range(ticks):
                due = started + tick * 0.1
                pause = due - time.time()
                if pause > 0:
                    time.sleep(pause)
                else:
                    behind += 1
                response = client.post(
                    "/api/v1/declarations/batch",
                    json.dumps({"declarations": bodies(per_tick)}),
                    content_type="application/json",
                )
                at = time.time()
                for result in response.json().get("results", []):
                    if result.get("id"):
                        answered[int(result["id"])] = at
            offered_seconds = time.time() - started
            deadline = time.monotonic() + 600
            while _assessed(list(answered)) < len(answered):
                if time.monotonic() > deadline:
                    raise CommandError("latency phase did not drain in 10 minutes")
                time.sleep(0.25)
        finally:
            self._stop(process)
        stored = dict(
            RiskAssessment.objects.filter(declaration_id__in=list(answered)).values_list(
                "declaration_id", "created_at"
            )
        )
        latencies = [
            max(0.0, stored[pk].timestamp() - at) for pk, at in answered.items() if pk in stored
        ]
        assessed = Declaration.objects.filter(pk__in=list(answered), status="assessed").count()
        return {
            "watchlist_entries": WatchlistEntry.objects.filter(is_active=True).count(),
            "throughput_declarations": len(ids),
            "throughput_task_size": options["task_size"],
            "assessments_per_second_per_worker_process": round(throughput),
            "offered_rate_per_second": round(len(answered) / offered_seconds),
            "target_rate_per_second": options["rate"],
            "late_ticks": behind,
            "latency_declarations": len(latencies),
            "latency_p50_s": round(_percentile(latencies, 0.5), 3),
            "latency_p99_s": round(_percentile(latencies, 0.99), 3),
            "latency_max_s": round(max(latencies), 3),
            "assessed_after_risk_and_revenue": assessed,
        }
