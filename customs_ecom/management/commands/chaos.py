"""Fault run: traffic through worker kills, a Redis outage and a PostgreSQL crash, then proof that
nothing acknowledged was lost or assessed twice (`make chaos`; results in RELIABILITY.md).

`python manage.py chaos` needs only this machine's PostgreSQL binaries and redis-server. It starts
its OWN PostgreSQL cluster (initdb in a temporary folder, `--pg-port`, 5433 by default) and its OWN
Redis (`--redis-port`, 6390, no persistence: a restart loses every queued message, the harshest
case), migrates, then runs the production processes (gunicorn, one Celery worker on every queue,
beat) and posts traffic: `--clients` clients posting single declarations, one posting batches of
100, one reading. Meanwhile, on a fixed timeline (seconds from the start of the traffic):

- 10, 15, 20: SIGKILL of a worker pool process (the message it held is redelivered);
- 25: SIGKILL of the whole worker, restarted 5 s later (its unacknowledged messages come back
  after the broker's visibility timeout);
- 40: Redis stopped for `--redis-down` seconds (30), then started empty;
- 90: PostgreSQL crashed (`pg_ctl stop -m immediate`), started again 5 s later (crash recovery);
- 110: traffic stops.

After the restart at 30 s, a worker that exits by itself is started again, as the production
shape's restart policy (`restart: unless-stopped`) does, and the exit is reported.

Then it waits until every acknowledged declaration is assessed (or `--settle` seconds) and checks:
every declaration answered 201 or 200 exists; each is assessed, with exactly one risk assessment,
one initial tax assessment and one accepted -> assessed event; no answer was a 500 or a dropped
connection; while Redis was down every POST was 201 and every read 200; while PostgreSQL was down
answers were 503 with Retry-After. It prints a JSON report and exits non-zero when a check fails.
Everything it started is stopped and its folders removed at the end.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import random
import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError, connection

from customs_ecom import stack
from declarations.synthetic import make_declaration


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    path = found[-1] if found else shutil.which(name)
    if not path:
        raise CommandError(f"{name} not found: install PostgreSQL's server binaries")
    return path


class Cluster:
    """A throwaway PostgreSQL cluster owned by the `postgres` user when run as root."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.dir = Path(tempfile.mkdtemp(prefix="chaos-pg-"))
        self.data = self.dir / "data"
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.dir, "postgres")

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self._run(_pg_bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust")
        self.start()

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=60"
        )
        self._run(
            _pg_bin("pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.dir / "log"),
            "-o",
            options,
            "-w",
            "start",
        )

    def crash(self) -> None:
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


class Redis:
    def __init__(self, port: int) -> None:
        self.port = port
        self.dir = Path(tempfile.mkdtemp(prefix="chaos-redis-"))
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while subprocess.run(
            ["redis-cli", "-p", str(self.port), "ping"], capture_output=True
        ).returncode:
            if time.monotonic() > deadline:
                raise CommandError("redis-server did not start")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Command(BaseCommand):
    help = "Post traffic through worker kills, a Redis outage and a PostgreSQL crash; verify."

    def add_arguments(self, parser):
        parser.add_argument("--pg-port", type=int, default=5433)
        parser.add_argument("--redis-port", type=int, default=6390)
        parser.add_argument("--clients", type=int, default=4)
        parser.add_argument("--rate", type=int, default=40, help="single POSTs/s in all")
        parser.add_argument("--redis-down", type=int, default=30)
        parser.add_argument("--settle", type=int, default=240)
        parser.add_argument("--output", default="", help="also write the JSON report here")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                "chaos runs the PostgreSQL backend: set DATABASE_URL=postgres://... (it is not "
                "used: the run starts its own cluster)"
            )
        self.events: list[tuple[float, str]] = []
        self.worker_exits: list[dict] = []
        cluster = Cluster(options["pg_port"])
        redis = Redis(options["redis_port"])
        processes: list[stack.Process] = []
        try:
            cluster.init()
            redis.start()
            report = self._run(options, cluster, redis, processes)
        finally:
            for process in processes:
                process.stop(timeout=10)
            connection.close()
            redis.destroy()
            cluster.destroy()
        text = json.dumps(report, indent=2, default=str)
        self.stdout.write(text)
        if options["output"]:
            Path(options["output"]).write_text(text + "\n")
        if not report["passed"]:
            raise CommandError("chaos run failed: " + "; ".join(report["failures"]))

    def _log(self, what: str) -> None:
        at = round(time.monotonic() - self.t0, 1) if hasattr(self, "t0") else 0.0
        self.events.append((at, what))
        self.stderr.write(f"[{at:6.1f}s] {what}")

    # ------------------------------------------------------------------------------------------

    def _point_at(self, pg_port: int, redis_port: int) -> tuple[str, str]:
        """Use the chaos cluster and Redis in this process too (checks, seeding)."""
        from celery import current_app

        connection.close()
        db = connection.settings_dict
        db.update(
            {
                "NAME": "chaos",
                "USER": "postgres",
                "PASSWORD": "",
                "HOST": "127.0.0.1",
                "PORT": str(pg_port),
                "CONN_MAX_AGE": 0,
            }
        )
        subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-p",
                str(pg_port),
                "-U",
                "postgres",
                "-c",
                "CREATE DATABASE chaos",
            ],
            check=True,
            capture_output=True,
        )
        broker = f"redis://127.0.0.1:{redis_port}/0"
        settings.CELERY_BROKER_URL = broker
        current_app.conf.broker_url = broker
        current_app.conf.task_always_eager = False
        return stack.database_url(db), broker

    def _seed(self) -> str:
        from aeo.services import api_key_create, operator_create
        from declarations.reference import ensure_reference_profiles
        from risk.services.rulesets import ensure_default_ruleset

        call_command("migrate", verbosity=0)
        ensure_reference_profiles()
        ensure_default_ruleset()
        operator = operator_create(code="chaos", name="Chaos", role="marketplace", country="FR")
        _, key = api_key_create(operator=operator)
        return key

    def _run(self, options, cluster: Cluster, redis: Redis, processes) -> dict:
        database, broker = self._point_at(options["pg_port"], options["redis_port"])
        key = self._seed()
        connection.close()
        env = stack.process_env(database, broker, LOG_LEVEL="INFO")
        port = stack.free_port()
        processes.append(stack.start_gunicorn(env, workers=2, port=port))
        worker = stack.start_worker(env, concurrency=2, all_queues=True, name="chaos")
        processes.append(worker)
        processes.append(stack.start_beat(env))
        poster = stack.Poster(port, key)
        rng = random.Random(20261204)
        counter = iter(range(10**9))
        lock = threading.Lock()

        def body() -> dict:
            with lock:
                return make_declaration(
                    rng,
                    next(counter),
                    lrn_prefix="CHAOS",
                    received=datetime.now(UTC),
                    risky=rng.random() < 0.05,
                )

        stop = threading.Event()
        windows: dict[str, list[float]] = {}
        reads: list[tuple[float, int]] = []
        batches: list[tuple[float, int, list[int]]] = []

        def singles(index: int) -> None:
            conn = poster.connection()
            period = options["clients"] / options["rate"]
            due = time.monotonic() + index * period / options["clients"]
            while not stop.is_set():
                pause = due - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                due += period
                poster.post(conn, json.dumps(body()).encode(), "/api/v1/declarations")
            conn.close()

        def batch_client() -> None:
            import http.client

            while not stop.is_set():
                payload = json.dumps({"declarations": [body() for _ in range(100)]}).encode()
                conn = poster.connection()
                try:
                    conn.request(
                        "POST",
                        "/api/v1/declarations/batch",
                        payload,
                        {"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
                    )
                    response = conn.getresponse()
                    data = response.read()
                    ids = []
                    if response.status == 200:
                        ids = [r["id"] for r in json.loads(data)["results"] if r.get("id")]
                    batches.append((time.monotonic(), response.status, ids))
                except (OSError, http.client.HTTPException):
                    batches.append((time.monotonic(), 0, []))
                conn.close()
                stop.wait(2.0)

        def reader() -> None:
            conn = poster.connection()
            while not stop.is_set():
                reads.append((time.monotonic(), poster.get(conn, "/api/v1/declarations?limit=20")))
                stop.wait(0.2)
            conn.close()

        threads = [threading.Thread(target=singles, args=(i,)) for i in range(options["clients"])]
        threads += [threading.Thread(target=batch_client), threading.Thread(target=reader)]
        self.t0 = time.monotonic()
        for thread in threads:
            thread.start()
        self._log("traffic started")

        def at(second: float) -> None:
            pause = self.t0 + second - time.monotonic()
            if pause > 0:
                time.sleep(pause)

        for second in (10, 15, 20):
            at(second)
            children = stack.pool_children(worker)
            if children:
                stack.kill(children[0])
                self._log(f"SIGKILL worker pool process {children[0]}")
        at(25)
        stack.kill(worker.popen.pid)
        for child in stack.pool_children(worker):
            stack.kill(child)
        self._log("SIGKILL whole worker")
        at(30)
        processes.remove(worker)
        worker = stack.start_worker(env, concurrency=2, all_queues=True, name="chaos2")
        processes.append(worker)
        self._log("worker restarted")
        # From here on, a worker that exits by itself is started again, as the production shape's
        # restart policy (`restart: unless-stopped`) does; each such exit is reported.
        supervising = threading.Event()
        supervisor = threading.Thread(
            target=self._supervise, args=(processes, env, supervising), daemon=True
        )
        supervisor.start()
        at(40)
        redis.stop()
        redis_down = time.monotonic()
        self._log("Redis stopped")
        at(40 + options["redis_down"])
        redis.start()
        redis_back = time.monotonic()
        windows["redis_down"] = [redis_down, redis_back]
        self._log("Redis started (empty)")
        at(90)
        cluster.crash()
        pg_down = time.monotonic()
        self._log("PostgreSQL crashed (immediate stop)")
        at(95)
        cluster.start()
        pg_back = time.monotonic()
        windows["postgres_down"] = [pg_down, pg_back]
        self._log("PostgreSQL started (crash recovery)")
        at(110)
        stop.set()
        for thread in threads:
            thread.join()
        traffic_end = time.monotonic()
        self._log("traffic stopped")
        try:
            return self._verify(poster, batches, reads, windows, traffic_end, options)
        finally:
            supervising.set()
            supervisor.join(timeout=10)

    def _supervise(self, processes: list, env: dict, done: threading.Event) -> None:
        restarts = 0
        while not done.wait(0.5):
            for process in list(processes):
                if process.name.startswith("chaos") and process.popen.poll() is not None:
                    code = process.popen.returncode
                    tail = process.log_tail(4000)
                    reason = next(
                        (
                            line.strip()
                            for line in tail.splitlines()
                            if "Unrecoverable error" in line
                        ),
                        "",
                    )
                    self._log(f"worker exited by itself (code {code}) {reason[:160]}")
                    self.worker_exits.append({"code": code, "reason": reason[:300]})
                    processes.remove(process)
                    restarts += 1
                    processes.append(
                        stack.start_worker(
                            env, concurrency=2, all_queues=True, name=f"chaos-r{restarts}"
                        )
                    )
                    self._log("worker started again (restart policy)")

    # ------------------------------------------------------------------------------------------

    def _query(self, fn):
        """Run a check query, reconnecting after the PostgreSQL restart."""
        for _ in range(30):
            try:
                return fn()
            except OperationalError:
                connection.close()
                time.sleep(1)
        return fn()

    def _verify(self, poster, batches, reads, windows, traffic_end, options) -> dict:
        from declarations.models import Declaration, StatusEvent
        from revenue.models import TaxAssessment
        from risk.models import RiskAssessment

        answers = poster.answers
        wall_to_mono = time.time() - time.monotonic()
        acked = {a.declaration_id for a in answers if a.status in (200, 201)}
        for _, _status, ids in batches:
            acked.update(ids)
        acked.discard(None)
        redis_back = windows["redis_down"][1]

        def assessed() -> dict[int, datetime]:
            return dict(
                Declaration.objects.filter(pk__in=acked)
                .exclude(status="accepted")
                .values_list("pk", "assessed_at")
            )

        deadline = time.monotonic() + options["settle"]
        done = self._query(assessed)
        while len(done) < len(acked) and time.monotonic() < deadline:
            time.sleep(1)
            done = self._query(assessed)
        all_assessed_at = time.monotonic()
        self._log(f"{len(done)} of {len(acked)} acknowledged declarations assessed")

        def counts(model, **filters) -> Counter:
            return Counter(
                model.objects.filter(declaration_id__in=acked, **filters).values_list(
                    "declaration_id", flat=True
                )
            )

        existing = set(
            self._query(
                lambda: list(Declaration.objects.filter(pk__in=acked).values_list("pk", flat=True))
            )
        )
        risk = self._query(lambda: counts(RiskAssessment))
        tax = self._query(lambda: counts(TaxAssessment, reason="initial"))
        moved = self._query(
            lambda: counts(StatusEvent, from_status="accepted", to_status="assessed")
        )

        def during(window: str, at_wall: float) -> bool:
            start, end = windows[window]
            return start <= at_wall - wall_to_mono <= end

        statuses = Counter(a.status for a in answers)
        redis_posts = Counter(a.status for a in answers if during("redis_down", a.at))
        redis_reads = Counter(s for t, s in reads if windows["redis_down"][0] <= t <= redis_back)
        pg_posts = [a for a in answers if during("postgres_down", a.at)]
        pg_statuses = Counter(a.status for a in pg_posts)
        after_redis = [
            v.timestamp() - wall_to_mono - redis_back for pk, v in done.items() if v is not None
        ]
        failures = []
        if acked - existing:
            failures.append(f"{len(acked - existing)} acknowledged declarations lost")
        if len(done) < len(acked):
            failures.append(f"{len(acked) - len(done)} acknowledged declarations not assessed")
        twice = [pk for pk in acked if risk[pk] > 1 or tax[pk] > 1 or moved[pk] > 1]
        if twice:
            failures.append(f"{len(twice)} declarations assessed more than once")
        if statuses.get(500) or statuses.get(0):
            failures.append(f"{statuses.get(500, 0)} answers 500, {statuses.get(0, 0)} dropped")
        if set(redis_posts) - {201}:
            failures.append(f"POSTs while Redis was down: {dict(redis_posts)}")
        if set(redis_reads) - {200}:
            failures.append(f"reads while Redis was down: {dict(redis_reads)}")
        if any(a.status == 503 and not a.retry_after for a in answers):
            failures.append("a 503 without Retry-After")
        redis_outage_ids = {a.declaration_id for a in answers if during("redis_down", a.at)}
        redis_outage_ids.discard(None)
        return {
            "passed": not failures,
            "failures": failures,
            "timeline": self.events,
            "worker_exits_restarted_by_the_restart_policy": self.worker_exits,
            "acknowledged": len(acked),
            "single_posts": dict(statuses),
            "batch_posts": dict(Counter(s for _, s, _ in batches)),
            "reads": dict(Counter(s for _, s in reads)),
            "posts_while_redis_down": dict(redis_posts),
            "reads_while_redis_down": dict(redis_reads),
            "posts_while_postgres_down": dict(pg_statuses),
            "assessed": len(done),
            "lost": len(acked - existing),
            "assessed_more_than_once": len(twice),
            "redis_outage_declarations": len(redis_outage_ids),
            "seconds_from_redis_return_to_last_of_them_assessed": round(
                max(
                    (done[pk].timestamp() - wall_to_mono - redis_back)
                    for pk in redis_outage_ids
                    if done.get(pk)
                ),
                1,
            )
            if redis_outage_ids and all(done.get(pk) for pk in redis_outage_ids)
            else None,
            "seconds_from_traffic_end_to_all_assessed": round(all_assessed_at - traffic_end, 1),
            "latest_assessment_after_redis_return_s": round(max(after_redis), 1)
            if after_redis
            else None,
        }
