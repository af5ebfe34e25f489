"""Start and stop the production processes on this machine, for the benchmark and chaos commands
(bench_singles, chaos): gunicorn and Celery workers with the commands of customs_ecom.platform.runtime, on a
given database and broker, each logging to its own file."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

from .platform.runtime import ALL_QUEUES_WORKER_COMMAND, WORKER_COMMAND

ROOT = Path(settings.BASE_DIR)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url(db: dict) -> str:
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db.get('USER') or ''}{password}@{db.get('HOST') or '127.0.0.1'}:"
        f"{db.get('PORT') or 5432}/{db['NAME']}"
    )


def process_env(database: str, broker: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(
        {
            "DATABASE_URL": database,
            "CELERY_BROKER_URL": broker,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "DJANGO_DEBUG": "0",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LOG_LEVEL": "WARNING",
        }
    )
    env.pop("CACHE_URL", None)
    env.update(extra)
    return env


def _bin(name: str) -> str:
    return shutil.which(name, path=str(Path(sys.executable).parent)) or name


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log_path: Path

    def stop(self, timeout: float = 30) -> None:
        if self.popen.poll() is not None:
            return
        self.popen.terminate()
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]


def _spawn(name: str, command: list[str], env: dict[str, str]) -> Process:
    log_path = Path(tempfile.mkstemp(prefix=f"{name}-", suffix=".log")[1])
    log = open(log_path, "w")  # noqa: SIM115 - the child keeps it
    popen = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    return Process(name, popen, log_path)


def start_gunicorn(env: dict[str, str], *, workers: int, port: int) -> Process:
    process = _spawn(
        "gunicorn",
        [
            _bin("gunicorn"),
            "customs_ecom.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "60",
            "--log-level",
            "warning",
        ],
        env,
    )
    deadline = time.monotonic() + 90
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            if process.popen.poll() is not None or time.monotonic() > deadline:
                raise CommandError("gunicorn did not start: " + process.log_tail()) from None
            time.sleep(0.2)


def start_worker(
    env: dict[str, str], *, concurrency: int, all_queues: bool = False, name: str = "worker"
) -> Process:
    base = ALL_QUEUES_WORKER_COMMAND if all_queues else WORKER_COMMAND
    command = [_bin("celery"), *base[1:]]
    command = [c for c in command if not c.startswith(("--concurrency", "--loglevel"))]
    command += [f"--concurrency={concurrency}", "--loglevel=INFO", "-n", f"{name}@%h"]
    process = _spawn(name, command, env)
    deadline = time.monotonic() + 120
    while " ready." not in process.log_path.read_text(errors="replace"):
        if process.popen.poll() is not None or time.monotonic() > deadline:
            process.stop()
            raise CommandError(f"{name} did not start: " + process.log_tail())
        time.sleep(0.1)
    return process


def start_beat(env: dict[str, str]) -> Process:
    schedule = Path(tempfile.mkdtemp(prefix="beat-")) / "schedule"
    return _spawn(
        "beat",
        [_bin("celery"), "-A", "customs_ecom", "beat", "--loglevel=INFO", f"--schedule={schedule}"],
        env,
    )


def purge(env: dict[str, str]) -> None:
    from .platform.runtime import QUEUES

    subprocess.run(
        [_bin("celery"), "-A", "customs_ecom", "purge", "-f", "-Q", ",".join(QUEUES)],
        env=env,
        cwd=ROOT,
        check=False,
        capture_output=True,
    )


def pool_children(process: Process) -> list[int]:
    """The pids of a Celery worker's pool processes (its children)."""
    out = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(process.popen.pid)], capture_output=True, text=True
    ).stdout
    return [int(pid) for pid in out.split()]


def kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


@dataclass
class Answer:
    status: int
    declaration_id: int | None
    at: float
    retry_after: str | None = None
    error: str = ""


@dataclass
class Poster:
    """Clients POSTing single declarations to one gunicorn over keep-alive connections."""

    port: int
    key: str
    answers: list[Answer] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def post(self, conn: http.client.HTTPConnection, body: bytes, path: str) -> Answer:
        headers = {"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"}
        try:
            conn.request("POST", path, body, headers)
            response = conn.getresponse()
            data = response.read()
            answer = Answer(response.status, None, time.time(), response.getheader("Retry-After"))
            if response.status in (200, 201):
                answer.declaration_id = int(json.loads(data)["id"])
            elif response.status >= 500:
                answer.error = data[:300].decode(errors="replace")
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            answer = Answer(0, None, time.time(), error=f"{type(exc).__name__}: {exc}")
        with self.lock:
            self.answers.append(answer)
        return answer

    def get(self, conn: http.client.HTTPConnection, path: str) -> int:
        try:
            conn.request("GET", path, headers={"Authorization": f"Bearer {self.key}"})
            response = conn.getresponse()
            response.read()
            return response.status
        except (OSError, http.client.HTTPException):
            conn.close()
            return 0
