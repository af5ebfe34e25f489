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
WORKER_COMMAND = ["celery", "-A", "customs_ecom", "worker", "--loglevel=INFO", "--concurrency=2"]
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
