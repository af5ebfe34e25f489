"""The Celery application: `celery -A customs_ecom worker` and `celery -A customs_ecom beat`."""

import os

from celery import Celery
from celery.signals import worker_init, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "customs_ecom.settings")

app = Celery("customs_ecom")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["aeo", "declarations", "risk", "revenue", "customs_ecom"])


@worker_init.connect
def _warm_up_before_fork(**_kwargs) -> None:
    """In the main worker process, before it forks its pool: load what every batch reads (the
    watchlist index, the rule set, value benchmarks, the learned model), which each process then
    inherits, rather than build it during the first tasks. A 10,000-entry watchlist index takes
    about a second: built by the first batch, it held the first parcels after every worker start
    back by that much. The connection used is closed before the fork: a forked process must not
    share it."""
    from django.db import connections

    try:
        _warm_up()
    finally:
        connections.close_all()


@worker_process_init.connect
def _settle_heap(**_kwargs) -> None:
    """Each worker process, once Django is loaded: see customs_ecom.platform.heap."""
    from customs_ecom.platform.heap import settle

    settle()


def _warm_up() -> None:
    """Load the per-process caches of the batch tasks; a database that cannot answer yet (not
    migrated) only logs a warning, and the tasks load what they need on demand."""
    import logging

    try:
        from declarations.selectors import value_benchmarks
        from risk.services.learning import current_model
        from risk.services.rulesets import active_ruleset
        from risk.services.watchlists import watchlist_index

        active_ruleset()
        watchlist_index()
        value_benchmarks()
        current_model()
    except Exception:  # noqa: BLE001 - whatever stops it, the worker must still start
        logging.getLogger(__name__).warning("worker warm-up skipped", exc_info=True)
