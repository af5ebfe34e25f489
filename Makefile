# The two commands of the README, plus the checks CI runs. Needs only Python 3.11 and make
# (the browser tests also need Debian's chromium, installed here when missing and run as root).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_WORKERS ?= 2
# Tests run tasks in-process; the worker tests start a real worker on this broker (a folder when
# no Redis is configured).
TEST_ENV := CELERY_BROKER_URL=$${CELERY_BROKER_URL:-filesystem://} CELERY_TASK_ALWAYS_EAGER=1

.PHONY: install demo test test-fast lint check schema bench browser-deps clean bench-singles bench-slow-clients chaos fuzz check-deploy lint-imports

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo "Serving http://127.0.0.1:8000 (Ctrl-C to stop)"
	$(BIN)/python manage.py runserver 127.0.0.1:8000

browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "The browser tests need Debian's chromium: apt-get install chromium" >&2; exit 1; fi; }

test: install browser-deps
	$(TEST_ENV) $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile

lint: install lint-imports
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The layers (platform < aeo < declarations < risk | revenue < composing packages) and the pure
# engines (no Django, no Celery), as .importlinter states them.
lint-imports: install
	$(BIN)/lint-imports

# The fast lane for your own loop: no browser, no worker process (CI runs everything).
test-fast: install
	$(TEST_ENV) $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile -m "not browser and not worker"

check: install
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py spectacular --fail-on-warn --validate --file var/openapi.yaml

bench: install
	$(BIN)/python -m risk.bench_engine
	$(BIN)/python manage.py bench_risk
	$(BIN)/python manage.py bench_intake
	$(BIN)/python manage.py bench_officer

# --- Traffic shape and faults (RELIABILITY.md, docs/operations.md) ----------------------------------
# Both need DATABASE_URL=postgres://... (a database of your own; scratch databases are made beside
# it) and CELERY_BROKER_URL=redis://...; chaos starts its own PostgreSQL cluster and Redis besides.
bench-singles: install
	$(BIN)/python manage.py bench_singles

chaos: install
	$(BIN)/python manage.py chaos --output var/chaos-report.json

# Needs the nginx binary (apt-get install nginx-light) for its proxied half.
bench-slow-clients: install
	$(BIN)/python manage.py bench_slow_clients
# --- end of traffic shape and faults ----------------------------------------------------------------
# The operator contract at its edges: schemathesis over the published OpenAPI document, and
# Django's deployment checks in the production shape of .ci/production.env.
fuzz: install
	BIN=$(BIN) .ci/fuzz
check-deploy: install
	BIN=$(BIN) .ci/check-deploy

clean:
	rm -rf $(VENV) var staticfiles
