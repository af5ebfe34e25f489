"""The Celery application: `celery -A customs_ecom worker` and `celery -A customs_ecom beat`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "customs_ecom.settings")

app = Celery("customs_ecom")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["aeo", "declarations", "risk", "revenue", "customs_ecom"])
