"""Shared fixtures: operators with real API keys, customs users per role, a real Celery worker."""

from __future__ import annotations

import copy
import csv
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient

from aeo.models import Operator
from aeo.services import api_key_create, operator_create
from customs_ecom.platform.roles import ROLES, ensure_role_groups
from customs_ecom.platform.runtime import QUEUES, WORKER_COMMAND
from tests.examples import DATASET_EXAMPLE

ROOT = Path(__file__).resolve().parent.parent

# Property tests have no deadline: how long an example takes depends on the machine's load (two
# cores shared by the test processes, the worker and PostgreSQL), not on the code under test.
hypothesis_settings.register_profile("suite", deadline=None)
hypothesis_settings.load_profile("suite")


# Test processes share one Redis server: each xdist worker gets its own cache database (clearing a
# Redis cache is a FLUSHDB), well away from the broker's.
CACHE_TEST_DATABASE_BASE = 4


# Every test runs on the same calendar, whatever the day it is run: the clock of each test process
# (the test database's migrations included) starts at this instant, the day after the example
# declaration's order and before its expected arrival, and then ticks, so durations and orderings
# stay real. Tests about another date travel on from there with time_machine.
FROZEN_NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def pytest_configure(config):
    time_machine.travel(FROZEN_NOW, tick=True).start()


# Files that take minutes (the ledger's state machine takes two and a half on PostgreSQL) start
# first: the two test processes (xdist hands out whole files in collection order) then finish
# together, instead of one waiting alone for a long file handed out last.
SLOW_FILES_FIRST = (
    "tests/revenue/test_ledger_sequences.py",
    "tests/declarations/test_seed_demo.py",
)


def pytest_collection_modifyitems(config, items):
    first = {path: rank for rank, path in enumerate(SLOW_FILES_FIRST)}
    items.sort(key=lambda item: first.get(item.nodeid.split("::", 1)[0], len(first)))


@pytest.fixture(autouse=True)
def _tasks_in_process_as_configured(settings):
    """Each test starts with Celery as the settings say (in-process tasks in the suite): a test
    that drove a real worker, or pointed the publisher at another broker, leaves nothing behind."""
    from celery import current_app

    current_app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER
    if current_app.conf.broker_url != settings.CELERY_BROKER_URL:
        current_app.conf.broker_url = settings.CELERY_BROKER_URL
        current_app._pool = None
        current_app.amqp._producer_pool = None
    # Even in-process tasks take a producer from the pool (kombu keeps one per broker for the
    # whole process): never one a test closed.
    if getattr(current_app.pool, "_closed", False):
        from kombu import pools

        pools.reset()
        current_app._pool = None
        current_app.amqp._producer_pool = None
    yield


@pytest.fixture(autouse=True)
def _no_random_control_draw(request, monkeypatch):
    """The random control floor (risk.channels.random_draw) is fixed by the declaration id, which
    on PostgreSQL depends on what ran before in the same database: a consignment a test expects
    green could be drawn for yellow one run in a hundred. Tests draw nothing unless marked
    ``random_draw`` (the tests of random selection itself)."""
    if request.node.get_closest_marker("random_draw") is None:
        monkeypatch.setattr("risk.channels.random_draw", lambda seed, declaration_id: 0.999999)


@pytest.fixture(autouse=True)
def _no_kept_ioss_factor():
    """The IOSS ceiling factor revenue gives risk is kept a minute per process; each test's own
    rates and jurisdiction decide it."""
    from revenue import providers

    providers._IOSS_FACTORS.clear()
    providers._ZONES.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a French page request activates French for the
    thread (LocaleMiddleware does not switch back), which would leak into the next test's
    messages depending on which tests share a process."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Throttle and login-failure counters live in the cache: each test starts from zero."""
    from django.core.cache import cache

    from customs_ecom.settings import redis_database

    default = settings.CACHES["default"]
    if default["BACKEND"].endswith("RedisCache"):
        worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
        index = int(worker[2:]) if worker[2:].isdigit() else 0
        settings.CACHES = {
            "default": {
                **default,
                "LOCATION": redis_database(default["LOCATION"], CACHE_TEST_DATABASE_BASE + index),
            }
        }
    from customs_ecom.platform import edges
    from risk.services import watchlists

    def forget_process_state() -> None:
        edges._locked_here.clear()  # a process's memory of locked-out addresses, like the cache
        # The process's watchlist index: its stamp (entry count, highest id, newest change) can
        # repeat across tests whose rows were rolled back at the same frozen moment.
        watchlists._watchlist_cache.update(stamp=None, index=None, generation=None, checked=0.0)
        cache.clear()

    forget_process_state()
    yield
    forget_process_state()


@pytest.fixture
def example() -> dict:
    return copy.deepcopy(DATASET_EXAMPLE)


class OperatorClient:
    """An operator's system: an API client holding one real API key."""

    def __init__(self, operator: Operator, key: str) -> None:
        self.operator = operator
        self.key = key
        self.client = APIClient()
        self.client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")

    def post(self, path: str, body, **extra):
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        return self.client.generic("POST", path, data, content_type="application/json", **extra)

    def get(self, path: str, **params):
        return self.client.get(path, params)


def make_operator(code: str, role: str = "marketplace") -> OperatorClient:
    operator = operator_create(
        code=code, name=code.replace("-", " ").title(), role=role, country="FR"
    )
    _, key = api_key_create(operator=operator)
    return OperatorClient(operator, key)


@pytest.fixture
def operator_a(db) -> OperatorClient:
    return make_operator("operator-a")


@pytest.fixture
def operator_b(db) -> OperatorClient:
    return make_operator("operator-b", role="express_carrier")


@pytest.fixture
def customs_user(db):
    """Factory: a logged-in-able customs user with one role."""
    ensure_role_groups()

    def make(role: str, username: str | None = None):
        assert role in ROLES
        name = username or role
        existing = get_user_model().objects.filter(username=name).first()
        if existing is not None:  # one user per role unless named: fixtures may both ask
            return existing
        user = get_user_model().objects.create_user(username=name, password="pw-for-tests-1")
        user.groups.add(Group.objects.get(name=role))
        return user

    return make


def _worker_env() -> dict[str, str]:
    from django.conf import settings
    from django.db import connection

    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["CELERY_TASK_ALWAYS_EAGER"] = "0"
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        env["DATABASE_URL"] = f"sqlite:///{Path(db['NAME']).resolve()}"
    else:
        env["DATABASE_URL"] = (
            f"postgres://{db['USER'] or ''}{':' + db['PASSWORD'] if db['PASSWORD'] else ''}@"
            f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    env["CELERY_BROKER_URL"] = settings.CELERY_BROKER_URL
    return env


@pytest.fixture
def celery_worker_process(transactional_db):
    """A real `celery -A customs_ecom worker` process (the command docker-compose runs) on the configured
    broker and the test database; the test process stops executing tasks in-process meanwhile."""
    from celery import current_app
    from django.conf import settings

    if settings.CELERY_BROKER_URL.startswith("memory://"):
        pytest.fail(
            "A real worker needs a broker: set CELERY_BROKER_URL (redis://... or filesystem://), "
            "as `make test` and .ci/run do."
        )
    env = _worker_env()
    # The command docker-compose runs, with `celery` resolved in this interpreter's environment.
    command = [shutil.which("celery", path=env["PATH"]) or "celery", *WORKER_COMMAND[1:]]
    subprocess.run(
        [*command[:3], "purge", "-f", "-Q", ",".join(QUEUES)],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    log_path = ROOT / "var" / f"worker-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.log"
    log_path.parent.mkdir(exist_ok=True)
    log = open(log_path, "w")  # noqa: SIM115
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    # The worker logs "celery@<host> ready." once it consumes; wait for that line, not a fixed time.
    deadline = time.monotonic() + 90
    while " ready." not in log_path.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            log.close()
            pytest.fail("celery worker did not start: " + log_path.read_text()[-3000:])
        time.sleep(0.1)
    previous = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = False
    try:
        yield process
    finally:
        current_app.conf.task_always_eager = previous
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.05):
    """Poll a database condition written by another process until it holds (or fail after timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


__all__ = ["DATASET_EXAMPLE", "OperatorClient", "make_operator", "wait_for"]


@pytest.fixture
def csv_default_field_limit():
    """The csv module's own cell limit (128 KiB) for the test: the limit is one per process, and
    importing followthemoney (the watchlist's FtM format) raises it to 30 MB for good, so a test
    about a cell over the default limit must not depend on which tests ran before it."""
    previous = csv.field_size_limit(128 * 1024)
    yield
    csv.field_size_limit(previous)
