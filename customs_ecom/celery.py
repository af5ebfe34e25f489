"""The Celery application: `celery -A customs_ecom worker` and `celery -A customs_ecom beat`."""

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "customs_ecom.settings")

app = Celery("customs_ecom")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["aeo", "declarations", "risk", "revenue", "customs_ecom"])


@worker_process_init.connect
def _settle_heap(**_kwargs) -> None:
    """Each worker process, once Django is loaded: see customs_ecom.heap."""
    from customs_ecom.heap import settle

    settle()
