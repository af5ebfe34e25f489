"""Settings for customs-ecom: one module, every deploy-dependent value from the environment.

Embedded default (nothing set): SQLite file in ./var, Celery tasks executed in-process.
Production: DATABASE_URL=postgres://..., CELERY_BROKER_URL=redis://..., DJANGO_SECRET_KEY,
DJANGO_ALLOWED_HOSTS, DJANGO_DEBUG=0.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CUSTOMS_ECOM_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DJANGO_DEBUG", True)
# The embedded default is for a developer's machine; production must set its own secret.
SECRET_KEY = os.environ.get(
    "DJANGO_SECRET_KEY", "insecure-embedded-default-key-change-me-in-production-0123456789"
)
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    # First, so that manage.py's createsuperuser and changepassword are the audited ones.
    "customs_ecom.platform.accounts.apps.AccountsConfig",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "customs_ecom.platform.apps.PlatformConfig",
    "customs_ecom.apps.CustomsEcomConfig",
    "aeo",
    "declarations",
    "risk",
    "revenue",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # --- issue 16: auditors change nothing; times in the officer's time zone ---
    "customs_ecom.platform.readonly.AuditorReadOnlyMiddleware",
    "customs_ecom.platform.officer_tz.OfficerTimeZoneMiddleware",
    # --- end issue 16 ---
]

ROOT_URLCONF = "customs_ecom.urls"
WSGI_APPLICATION = "customs_ecom.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "customs_ecom.context_processors.navigation",
            ],
        },
    },
]

# SQLite serialises writers; a generous timeout, immediate transactions and WAL keep the
# in-process demo and a real worker sharing the file smooth. Applied to the embedded default and to
# a DATABASE_URL naming an SQLite file alike (without them concurrent writers fail at once).
SQLITE_OPTIONS = {
    "timeout": 20,
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"]["OPTIONS"] = {
            **SQLITE_OPTIONS,
            **DATABASES["default"].get("OPTIONS", {}),
        }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "customs_ecom.sqlite3",
            "OPTIONS": dict(SQLITE_OPTIONS),
            # A file, not memory, so that a real worker process can share the test database.
            "TEST": {"NAME": str(VAR_DIR / "test_customs_ecom.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "declarations:queue"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = DEBUG
STATICFILES_DIRS = [BASE_DIR / "customs_ecom" / "static"]
MEDIA_ROOT = Path(os.environ.get("CUSTOMS_ECOM_MEDIA_ROOT", VAR_DIR / "media"))

# Intake limits (dataset.md / api.md): answered with precise 413/422 problems, never a 500.
INTAKE_MAX_BODY_BYTES = int(os.environ.get("INTAKE_MAX_BODY_BYTES", str(512 * 1024)))
INTAKE_MAX_BATCH_BODY_BYTES = int(
    os.environ.get("INTAKE_MAX_BATCH_BODY_BYTES", str(16 * 1024 * 1024))
)
INTAKE_MAX_BATCH = int(os.environ.get("INTAKE_MAX_BATCH", "1000"))
DATA_UPLOAD_MAX_MEMORY_SIZE = INTAKE_MAX_BATCH_BODY_BYTES + 1024
# How long a declaration may stay unassessed before the beat sweeper re-enqueues it.
ASSESSMENT_STALE_AFTER = timedelta(seconds=int(os.environ.get("ASSESSMENT_STALE_SECONDS", "60")))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["aeo.authentication.OperatorKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["aeo.authentication.IsOperator"],
    "DEFAULT_RENDERER_CLASSES": ["customs_ecom.platform.renderers.FastJSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "customs_ecom.platform.renderers.JSONAlwaysNegotiation",
    "DEFAULT_PARSER_CLASSES": ["customs_ecom.platform.api_support.StrictJSONParser"],
    "EXCEPTION_HANDLER": "customs_ecom.platform.problems.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["aeo.authentication.OperatorRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "operator": os.environ.get("OPERATOR_THROTTLE_RATE", "100000/min"),
        "estimate": os.environ.get("ESTIMATE_THROTTLE_RATE", "60/min"),
    },
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "customs-ecom operator API",
    "DESCRIPTION": "Advance electronic declarations for cross-border e-commerce "
    "(WCO Framework of Standards on Cross-Border E-Commerce, 2022).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "OAS_VERSION": "3.1.0",  # pydantic emits JSON Schema 2020-12 (type null), native to OpenAPI 3.1
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Celery: the embedded default runs tasks in-process; a broker URL switches to real workers.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not CELERY_BROKER_URL)
# Webhooks go to public HTTPS endpoints only; development and tests that run a receiver on
# 127.0.0.1 lift that (customs_ecom.platform.outbound).
WEBHOOK_ALLOW_LOCAL_TARGETS = env_bool("CUSTOMS_ECOM_WEBHOOK_ALLOW_LOCAL", False)
# After a rotation of an operator's webhook secret, deliveries carry a second signature made with
# the previous secret for this long, so receivers can switch without rejecting any.
WEBHOOK_SECRET_GRACE = timedelta(
    hours=float(os.environ.get("CUSTOMS_ECOM_WEBHOOK_SECRET_GRACE_HOURS", "24"))
)
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = (
        "memory://"  # never used while tasks run in-process; avoids a default AMQP host
    )
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# At-least-once delivery: acknowledge after the work is done, requeue when a worker dies.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
if CELERY_BROKER_URL.startswith("filesystem://"):
    # A broker made of folders: lets a real worker run beside the embedded SQLite default.
    _fs = Path(os.environ.get("CELERY_FS_BROKER_DIR", VAR_DIR / "broker"))
    for _sub in ("queue", "processed", "control"):
        (_fs / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_fs / "queue"),
        "data_folder_out": str(_fs / "queue"),
        "processed_folder": str(_fs / "processed"),
        "control_folder": str(_fs / "control"),
    }
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    # Deferred statements close on the 1st for the month that ended (due by the 16th), which the
    # task reads in the jurisdiction's time zone: 00:30 UTC is the 1st in Europe and Asia-Pacific,
    # still the last day of the month in the Americas, where the 12:30 UTC run closes it. The task
    # is idempotent: the second run finds nothing to close where the first closed it.
    "revenue-close-deferred-statements": {
        "task": "revenue.close_deferred_statements",
        "schedule": crontab(day_of_month=1, hour="0,12", minute=30),
    },
    "revenue-reconcile-refunds": {
        "task": "revenue.reconcile_refunds",
        "schedule": timedelta(seconds=60),
    },
    "requeue-unassessed": {
        "task": "declarations.requeue_unassessed",
        "schedule": timedelta(seconds=30),
    },
    "refresh-kpi-aggregates": {
        "task": "customs_ecom.refresh_daily_aggregates",
        "schedule": timedelta(minutes=5),
    },
    "nightly-housekeeping": {
        "task": "declarations.purge_idempotency_keys",
        "schedule": crontab(hour=3, minute=15),
    },
    "aeo-webhooks": {"task": "aeo.webhooks_tick", "schedule": timedelta(seconds=10)},
    "aeo-expire-authorisations": {
        "task": "aeo.expire_authorisations",
        "schedule": crontab(hour=0, minute=20),
    },
    "retrain-risk-model": {
        "task": "risk.train_model",
        "schedule": crontab(hour=2, minute=30),
    },
    # Issue 17: learned value medians computed once for all processes, into a table.
    "risk-refresh-value-medians": {
        "task": "risk.refresh_value_medians",
        "schedule": crontab(minute=17),
    },
}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def redis_database(url: str, number: int) -> str:
    """The same Redis server, another database number."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{number}"))


def _next_database(url: str) -> str:
    from urllib.parse import urlsplit

    path = urlsplit(url).path.strip("/")
    return redis_database(url, (int(path) + 1) % 16 if path.isdigit() else 1)


# The cache (throttling, login failures) lives in its own Redis database, never the broker's: a
# cache clear is a FLUSHDB and must not wipe queued tasks.
CACHE_URL = os.environ.get(
    "CACHE_URL",
    _next_database(CELERY_BROKER_URL) if CELERY_BROKER_URL.startswith("redis") else "",
)
if CACHE_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG and env_bool("DJANGO_SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
# Brute-force protection for the officer login: attempts per username and per address.
LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", "5"))
LOGIN_LOCKOUT_SECONDS = int(os.environ.get("LOGIN_LOCKOUT_SECONDS", "900"))

# Which administration this installation serves (an EU member state, France, by default):
# selects the revenue regime in force on the day (revenue/data/regimes.json).
CUSTOMS_JURISDICTION = os.environ.get("CUSTOMS_JURISDICTION", "FR")

# --- The consignment lifecycle (docs/lifecycle.md) ---------------------------------------------
# An officer's claim on a consignment lapses after this many minutes without release.
CLAIM_TTL_MINUTES = int(os.environ.get("CLAIM_TTL_MINUTES", "240"))
# Stateful event readers look this far back for events committed below their cursor; the pull
# API hands out an event once it is this old.
EVENT_LOOK_BACK_SECONDS = int(os.environ.get("EVENT_LOOK_BACK_SECONDS", "600"))
EVENT_SETTLE_SECONDS = float(os.environ.get("EVENT_SETTLE_SECONDS", "2"))

# --- Traffic shape and faults (docs/operations.md, RELIABILITY.md) -------------------------------
# Submissions of fewer declarations than this are assessed by the drainer in batches
# (declarations.coalesce); 0 sends every submission's ids straight to the batch tasks, as before.
ASSESSMENT_COALESCE_BELOW = int(os.environ.get("ASSESSMENT_COALESCE_BELOW", "50"))
ASSESSMENT_DRAIN_BATCH = int(os.environ.get("ASSESSMENT_DRAIN_BATCH", "1000"))
# How long a drain signal waits before the drain runs, so that the singles arriving meanwhile are
# assessed in the same batch (seconds; 0: at once). A lone declaration waits this much longer.
ASSESSMENT_DRAIN_LINGER = float(os.environ.get("ASSESSMENT_DRAIN_LINGER", "0.1"))
# One queue per kind of work, so that a slow webhook receiver or a big import never delays a
# channel decision; the production shape runs a worker per group (customs_ecom.platform.runtime).
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "maintenance")
CELERY_TASK_ROUTES = {
    "customs_ecom.drain_assessments": {"queue": "assessment"},
    "risk.assess_batch": {"queue": "assessment"},
    "risk.reassess_batch": {"queue": "assessment"},
    "risk.reassess_pending": {"queue": "assessment"},
    "revenue.assess_batch": {"queue": "assessment"},
    "aeo.webhooks_tick": {"queue": "webhooks"},
    "declarations.import_file": {"queue": "imports"},
    "customs_ecom.refresh_daily_aggregates": {"queue": "kpi"},
    "customs_ecom.refresh_aggregate_days": {"queue": "kpi"},
}
# A message held by a worker that dies is handed out again after this many seconds (Redis has no
# consumer heartbeat: unacknowledged messages come back after the visibility timeout). Tasks are
# idempotent and split long work, so redelivering one still running costs time, not correctness.
if CELERY_BROKER_URL.startswith("redis"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "45")),
        "socket_connect_timeout": 1,
        "socket_timeout": 5,
    }
# Publishing after commit must not hold a request for long when the broker is down: the rows are
# committed and the sweeper re-enqueues them.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A webhook tick not started within its period is dropped: the next one does the same work.
CELERY_BEAT_SCHEDULE["aeo-webhooks"]["options"] = {"expires": 10}
# Throttling and login-failure counters fail open when the cache's Redis is unreachable (a
# warning is logged), with short socket timeouts so that a hung Redis costs a request little.
if CACHE_URL:
    CACHES["default"]["BACKEND"] = "customs_ecom.platform.cache.FailOpenRedisCache"
    CACHES["default"]["OPTIONS"] = {"socket_connect_timeout": 0.25, "socket_timeout": 0.5}
# The database unreachable answers 503 with Retry-After, not 500 (customs_ecom.platform.middleware).
MIDDLEWARE.insert(0, "customs_ecom.platform.middleware.DatabaseUnavailableMiddleware")
DATABASE_UNAVAILABLE_RETRY_AFTER = int(os.environ.get("DATABASE_UNAVAILABLE_RETRY_AFTER", "5"))
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # Fail fast when PostgreSQL is down rather than hold a gunicorn worker for the OS default.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 3)
# --- end of traffic shape and faults ----------------------------------------------------------------
# ---- The operator contract at its edges (docs/api.md) --------------------------------------
# Problem documents' `type` URIs resolve to the pages of customs_ecom.platform.problem_types; set an
# absolute base (https://customs.example/problems/) to publish them under another host.
PROBLEM_TYPE_BASE = os.environ.get("PROBLEM_TYPE_BASE", "/problems/")
# The published OpenAPI document documents every error status, header and problem schema.
SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"] = [
    "drf_spectacular.hooks.postprocess_schema_enums",
    "customs_ecom.platform.openapi.postprocess_problems",
    "customs_ecom.openapi_examples.postprocess_examples",
]
# Every answer carries X-Request-ID (echoed or generated), logged with every line written while
# serving it; throttles publish RateLimit-* headers (customs_ecom.platform.edges).
MIDDLEWARE.insert(1, "customs_ecom.platform.edges.RequestIdMiddleware")
LOGGING["filters"] = {"request_id": {"()": "customs_ecom.platform.edges.RequestIdFilter"}}
LOGGING["handlers"]["console"]["filters"] = ["request_id"]
LOGGING["formatters"]["plain"]["format"] = (
    "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
)
# The client address comes from X-Forwarded-For only when the peer is one of these proxies
# (comma-separated addresses or networks); empty: the connection's own address, always.
TRUSTED_PROXIES = [p.strip() for p in os.environ.get("TRUSTED_PROXIES", "").split(",") if p.strip()]
# Unknown, malformed or revoked API keys: this many per client address within the window, then 429.
API_KEY_MAX_FAILURES = int(os.environ.get("API_KEY_MAX_FAILURES", "20"))
API_KEY_FAILURE_WINDOW = int(os.environ.get("API_KEY_FAILURE_WINDOW", "300"))
# HTTPS in production (behind a TLS-terminating proxy): redirect, HSTS and the proxy's scheme
# header come from the environment; .ci/production.env is the production shape `check --deploy`
# is run against in CI.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
if os.environ.get("DJANGO_TLS_PROXY_HEADER"):  # e.g. X-Forwarded-Proto, set by the proxy only
    SECURE_PROXY_SSL_HEADER = (
        "HTTP_" + os.environ["DJANGO_TLS_PROXY_HEADER"].upper().replace("-", "_"),
        "https",
    )
# Login lockout per account and address (django-axes) for the officer and the admin login.
INSTALLED_APPS.append("axes")
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
AXES_FAILURE_LIMIT = LOGIN_MAX_FAILURES
AXES_COOLOFF_TIME = timedelta(seconds=LOGIN_LOCKOUT_SECONDS)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "customs_ecom.platform.login_lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "customs_ecom.platform.login_lockout.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no start-up banner on every management command
# Content Security Policy (django-csp): scripts from this site only, no inline script (pages load
# theirs from static files); inline style attributes remain allowed.
MIDDLEWARE.append("csp.middleware.CSPMiddleware")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
INSTALLED_APPS.append("csp")

# An API query string that is not UTF-8 is a problem document naming the parameter, not a filter
# on replacement characters (customs_ecom.platform.query). Last, inside every other middleware,
# so that its answer carries the security headers as any other.
MIDDLEWARE.append("customs_ecom.platform.query.QueryEncodingMiddleware")
