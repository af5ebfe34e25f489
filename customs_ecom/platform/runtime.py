"""The production processes, defined once: docker-compose.yml runs exactly these, and the
production-runtime tests start the worker with the same command (a test checks both agree)."""

WEB_COMMAND = [
    "gunicorn",
    "customs_ecom.wsgi:application",
    "--bind",
    "0.0.0.0:8000",
    "--workers",
    "3",
    "--access-logfile",
    "-",
]
# One Celery queue per kind of work (settings.CELERY_TASK_ROUTES): a slow webhook receiver or a
# big import never delays a channel decision, because each group has its own worker processes.
QUEUES = ("assessment", "webhooks", "imports", "kpi", "maintenance")
_CELERY_WORKER = ["celery", "-A", "customs_ecom", "worker", "--loglevel=INFO"]
# Channel decisions: the assessment drainer and the risk and revenue batch tasks.
WORKER_COMMAND = [*_CELERY_WORKER, "--concurrency=2", "-Q", "assessment"]
# Webhook deliveries (each tick delivers concurrently, within a per-attempt deadline).
WEBHOOK_WORKER_COMMAND = [*_CELERY_WORKER, "--concurrency=1", "-Q", "webhooks"]
# Officers' file imports, KPI aggregates and housekeeping: long, and never urgent.
BACKGROUND_WORKER_COMMAND = [*_CELERY_WORKER, "--concurrency=2", "-Q", "imports,kpi,maintenance"]
# Everything in one worker: a small installation, the chaos run.
ALL_QUEUES_WORKER_COMMAND = [*_CELERY_WORKER, "--concurrency=2", "-Q", ",".join(QUEUES)]
BEAT_COMMAND = [
    "celery",
    "-A",
    "customs_ecom",
    "beat",
    "--loglevel=INFO",
    "--schedule=/tmp/celerybeat-schedule",
]
# The settings every process of the production shape reads from its environment.
PRODUCTION_ENVIRONMENT = (
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DJANGO_DEBUG",
)
