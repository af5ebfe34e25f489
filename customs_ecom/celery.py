"""The Celery application: `celery -A customs_ecom worker` and `celery -A customs_ecom beat`."""

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "customs_ecom.settings")

app = Celery("customs_ecom")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["aeo", "declarations", "risk", "revenue", "customs_ecom"])


@worker_process_init.connect
def _prepare_process(**_kwargs) -> None:
    """Each worker process, once Django is loaded: load what every batch reads (the watchlist
    index, the rule set, value benchmarks, the learned model) before the first task rather than
    during it, so a (re)started worker does not hold its first batches back by the second it takes
    to build a 10,000-entry watchlist index; then settle the heap (customs_ecom.heap)."""
    from customs_ecom.heap import settle

    _warm_up()
    settle()


def _warm_up() -> None:
    import logging

    from django.db import connection

    try:
        from declarations.selectors import value_benchmarks
        from risk.services import active_ruleset, current_model, watchlist_index

        active_ruleset()
        watchlist_index()
        value_benchmarks()
        current_model()
    except Exception:  # noqa: BLE001 - a database not migrated yet: tasks load what they need
        logging.getLogger(__name__).warning("worker warm-up skipped", exc_info=True)
    finally:
        connection.close()  # tasks open their own; nothing of the warm-up is left pending
