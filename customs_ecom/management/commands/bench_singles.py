"""Single declarations at the traffic shape of real platforms, end to end.

`python manage.py bench_singles` (`make bench-singles`) creates a scratch PostgreSQL database next
to the one of DATABASE_URL (migrated, dropped afterwards; use a database name of your own), loads
the default rule set and a 10,000-entry watchlist, starts gunicorn (`--gunicorn-workers` sync
workers) and ONE Celery worker process for assessment (the production worker command with
`--concurrency=1`, consuming the assessment queue), then measures over HTTP on localhost:

1. **throughput**: `--clients` concurrent clients POST `--singles` single declarations as fast as
   they are answered. Acknowledged/s = declarations answered 201 / time from the first request to
   the last answer; assessed/s = the same declarations / time from the first request to the last
   channel stored (`assessed_at`), i.e. end to end.
2. **lone declaration**: `--lone` declarations posted one at a time on a quiet system, each waited
   for before the next; latency = 201 received to channel stored; p50, p99, max.
3. **sustained**: `--rate` declarations/s for `--seconds`, paced across the clients; latency from
   201 to stored channel, p50 / p99 / max, and how far the clients fell behind the pace.
4. **backlog** (assessment alone, without HTTP): with the worker stopped, `--backlog` single
   declarations are stored through intake one at a time (each its own transaction, as a single
   POST), then a fresh worker process starts; assessed/s = backlog / time from the worker ready to
   the last channel stored. With `ASSESSMENT_COALESCE_BELOW=0` in the environment the same run
   measures the former path (a risk task and a revenue task per declaration).

The clients run in this process (threads), on the same two cores as everything else: the figures
include their cost. Needs DATABASE_URL=postgres://... and CELERY_BROKER_URL=redis://...
"""

from __future__ import annotations

import json
import random
import threading
import time
from datetime import UTC, datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from customs_ecom import stack
from declarations.synthetic import make_declaration


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered))) - 1))]


class Command(BaseCommand):
    help = "Measure single-declaration intake and coalesced assessment end to end."

    def add_arguments(self, parser):
        parser.add_argument("--singles", type=int, default=6000)
        parser.add_argument("--clients", type=int, default=8)
        parser.add_argument("--gunicorn-workers", type=int, default=3)
        parser.add_argument("--lone", type=int, default=100)
        parser.add_argument("--rate", type=int, default=300)
        parser.add_argument("--seconds", type=int, default=60)
        parser.add_argument("--backlog", type=int, default=3000)
        parser.add_argument("--watchlist", type=int, default=10_000)
        parser.add_argument(
            "--phases", default="throughput,lone,sustained,backlog", help="comma-separated subset"
        )
        parser.add_argument("--keepdb", action="store_true")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_singles measures PostgreSQL: set DATABASE_URL=postgres://...")
        if not settings.CELERY_BROKER_URL.startswith("redis"):
            raise CommandError("bench_singles needs Redis: set CELERY_BROKER_URL=redis://...")
        from celery import current_app

        settings.DEBUG = False
        current_app.conf.task_always_eager = False
        old_name = connection.settings_dict["NAME"]
        connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=options["keepdb"])
        try:
            report = self._run(options)
        finally:
            if not options["keepdb"]:
                connection.creation.destroy_test_db(old_name, verbosity=0)
        self.stdout.write(json.dumps(report, indent=2))

    # ------------------------------------------------------------------------------------------

    def _setup(self, options) -> str:
        from aeo.services import api_key_create, operator_create
        from declarations.reference import ensure_reference_profiles
        from risk.bench_engine import synthetic_watchlist
        from risk.models import WatchlistEntry
        from risk.services.rulesets import ensure_default_ruleset

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
            code=f"bench-singles-{int(time.time())}", name="Bench", role="marketplace", country="FR"
        )
        _, key = api_key_create(operator=operator)
        return key

    def _bodies(self, n: int) -> list[bytes]:
        now = datetime.now(UTC)
        return [
            json.dumps(
                make_declaration(
                    self.rng,
                    next(self.counter),
                    lrn_prefix="BSINGLE",
                    received=now,
                    risky=self.rng.random() < 0.05,
                )
            ).encode()
            for _ in range(n)
        ]

    def _run(self, options) -> dict:
        from declarations.models import Declaration

        self.rng = random.Random(20261204)
        self.counter = iter(range(10**9))
        key = self._setup(options)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
        env = stack.process_env(
            stack.database_url(connection.settings_dict), settings.CELERY_BROKER_URL
        )
        stack.purge(env)
        port = stack.free_port()
        web = stack.start_gunicorn(env, workers=options["gunicorn_workers"], port=port)
        worker = stack.start_worker(env, concurrency=1, name="bench-assessment")
        report: dict = {
            "gunicorn_workers": options["gunicorn_workers"],
            "assessment_worker_processes": 1,
            "clients": options["clients"],
        }
        phases = set(options["phases"].split(","))
        try:
            poster = stack.Poster(port, key)
            # Warm-up: every gunicorn worker and the assessment worker load what they cache.
            self._fire(poster, self._bodies(50), options["clients"])
            self._wait_assessed(Declaration, [a.declaration_id for a in poster.answers], 120)
            if "throughput" in phases:
                report["throughput"] = self._throughput(poster, options, Declaration)
            if "lone" in phases:
                report["lone"] = self._lone(poster, options, Declaration)
            if "sustained" in phases:
                report["sustained"] = self._sustained(poster, options, Declaration)
            if "backlog" in phases:
                worker.stop()
                report["backlog"], worker = self._backlog(options, env, Declaration)
        finally:
            worker.stop()
            web.stop()
        return report

    def _backlog(self, options, env, Declaration):
        from aeo.models import Operator
        from declarations.services import declarations_submit

        operator = Operator.objects.get(code__startswith="bench-singles-")
        ids = []
        for body in self._bodies(options["backlog"]):
            outcome = declarations_submit(operator=operator, bodies=[json.loads(body)])[0]
            ids.append(outcome.declaration.pk)
        worker = stack.start_worker(env, concurrency=1, name="bench-backlog")
        ready = time.time()
        stored = self._wait_assessed(Declaration, ids, 1800)
        last = max(v.timestamp() for v in stored.values())
        return {
            "declarations": len(ids),
            "coalesce_below": settings.ASSESSMENT_COALESCE_BELOW,
            "assessed_per_second_one_worker_process": round(len(ids) / (last - ready)),
        }, worker

    @staticmethod
    def _fire(poster: stack.Poster, bodies: list[bytes], clients: int) -> None:
        poster.answers.clear()
        shares = [bodies[i::clients] for i in range(clients)]

        def run(share: list[bytes]) -> None:
            conn = poster.connection()
            for body in share:
                poster.post(conn, body, "/api/v1/declarations")
            conn.close()

        threads = [threading.Thread(target=run, args=(share,)) for share in shares]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    @staticmethod
    def _wait_assessed(model, ids: list[int], timeout: float) -> dict[int, datetime]:
        ids = [pk for pk in ids if pk is not None]
        deadline = time.monotonic() + timeout
        low, high = min(ids), max(ids)
        while True:
            done = dict(
                model.objects.filter(
                    pk__gte=low, pk__lte=high, status="assessed", assessed_at__isnull=False
                ).values_list("pk", "assessed_at")
            )
            if all(pk in done for pk in ids):
                return {pk: done[pk] for pk in ids}
            if time.monotonic() > deadline:
                missing = sum(1 for pk in ids if pk not in done)
                raise CommandError(f"{missing} declarations not assessed within {timeout} s")
            time.sleep(0.05)

    def _throughput(self, poster, options, Declaration) -> dict:
        bodies = self._bodies(options["singles"])
        started = time.time()
        self._fire(poster, bodies, options["clients"])
        answers = list(poster.answers)
        acked = [a for a in answers if a.status == 201]
        last_answer = max(a.at for a in answers)
        stored = self._wait_assessed(Declaration, [a.declaration_id for a in acked], 900)
        last_stored = max(v.timestamp() for v in stored.values())
        latencies = [stored[a.declaration_id].timestamp() - a.at for a in acked]
        return {
            "singles": len(bodies),
            "answered_201": len(acked),
            "other_answers": len(answers) - len(acked),
            "acknowledged_per_second": round(len(acked) / (last_answer - started)),
            "assessed_end_to_end_per_second": round(len(acked) / (last_stored - started)),
            "latency_p50_s": round(_percentile(latencies, 0.5), 3),
            "latency_p99_s": round(_percentile(latencies, 0.99), 3),
        }

    def _lone(self, poster, options, Declaration) -> dict:
        latencies = []
        conn = poster.connection()
        for body in self._bodies(options["lone"]):
            time.sleep(0.2)  # quiet: nothing else in flight
            answer = poster.post(conn, body, "/api/v1/declarations")
            if answer.status != 201:
                raise CommandError(f"lone POST answered {answer.status}: {answer.error}")
            deadline = time.monotonic() + 30
            while True:
                row = (
                    Declaration.objects.filter(pk=answer.declaration_id, status="assessed")
                    .values_list("assessed_at", flat=True)
                    .first()
                )
                if row is not None:
                    latencies.append(row.timestamp() - answer.at)
                    break
                if time.monotonic() > deadline:
                    raise CommandError("a lone declaration was not assessed within 30 s")
                time.sleep(0.002)
        conn.close()
        return {
            "declarations": len(latencies),
            "p50_s": round(_percentile(latencies, 0.5), 3),
            "p99_s": round(_percentile(latencies, 0.99), 3),
            "max_s": round(max(latencies), 3),
        }

    def _sustained(self, poster, options, Declaration) -> dict:
        rate, seconds, clients = options["rate"], options["seconds"], options["clients"]
        total = rate * seconds
        bodies = self._bodies(total)
        poster.answers.clear()
        started = time.time() + 0.5
        behind = [0.0] * clients

        def run(index: int) -> None:
            conn = poster.connection()
            for n, body in enumerate(bodies[index::clients]):
                due = started + (n * clients + index) / rate
                pause = due - time.time()
                if pause > 0:
                    time.sleep(pause)
                else:
                    behind[index] = max(behind[index], -pause)
                poster.post(conn, body, "/api/v1/declarations")
            conn.close()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        answers = list(poster.answers)
        acked = [a for a in answers if a.status == 201]
        offered = len(answers) / (max(a.at for a in answers) - started)
        stored = self._wait_assessed(Declaration, [a.declaration_id for a in acked], 900)
        latencies = [stored[a.declaration_id].timestamp() - a.at for a in acked]
        return {
            "target_rate_per_second": rate,
            "seconds": seconds,
            "answered_201": len(acked),
            "other_answers": len(answers) - len(acked),
            "achieved_rate_per_second": round(offered),
            "clients_max_behind_pace_s": round(max(behind), 3),
            "latency_p50_s": round(_percentile(latencies, 0.5), 3),
            "latency_p99_s": round(_percentile(latencies, 0.99), 3),
            "latency_max_s": round(max(latencies), 3),
        }
