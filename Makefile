# Commons: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
DEMO_DATA := .data/pg
TEST_DATA := .data/pg-test
PYTEST_ARGS ?=
IMPORT_ARGS ?= --memory-rows 1000000

# Start the embedded PostgreSQL unless DATABASE_URL points elsewhere; stop it when the recipe
# ends, however it ends (Ctrl-C included). $(1) is the data folder. What to undo on the way
# out is kept in $$on_exit, so a later step (with_worker) can put its own undoing first.
define with_database
	on_exit=:; \
	trap 'eval "$$on_exit"' EXIT; \
	trap 'exit 130' INT TERM; \
	if [ -z "$$DATABASE_URL" ]; then \
	  DATABASE_URL=$$($(PY) -m consortium.embedded_db start --data $(1)) || exit 1; \
	  export DATABASE_URL; \
	  on_exit='$(PY) -m consortium.embedded_db stop --data $(1)'; \
	fi
endef

# A queue worker beside the recipe's server, ended before the database when the recipe ends,
# however it ends: asked to stop, then killed after 20 s (its unfinished job goes back in the
# queue once its heartbeat is stale). Needs with_database first.
define with_worker
	{ $(PY) manage.py procrastinate worker & } ; queue_worker=$$!; \
	on_exit="kill -TERM $$queue_worker 2>/dev/null; \
	  for _ in \$$(seq 100); do kill -0 $$queue_worker 2>/dev/null || break; sleep 0.2; done; \
	  kill -KILL $$queue_worker 2>/dev/null; wait $$queue_worker; $$on_exit"
endef

.PHONY: demo test mutants lint format serve browser-deps db-start db-stop db-url manage bench clean

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

## make demo: install, start the embedded database, migrate, provision 17 members, serve :8000
## beside a queue worker
demo: $(VENV)/.runtime
	@$(call with_database,$(DEMO_DATA)); \
	$(PY) manage.py setup_consortium && \
	$(PY) manage.py setup_demo --port $(PORT) || exit 1; \
	$(call with_worker); \
	echo "Serving on http://localhost:$(PORT)/ with a queue worker (Ctrl-C stops the site, the worker and the database)" && \
	$(PY) manage.py runserver --noreload 127.0.0.1:$(PORT)

## make test: the whole suite against the embedded database (or DATABASE_URL); the tests start
## their own queue workers (tests/conftest.py)
test: $(VENV)/.dev browser-deps
	@$(call with_database,$(TEST_DATA)); \
	$(PY) -m pytest $(PYTEST_ARGS)

## make mutants: break each guard in turn (tests/mutants/catalogue.py); every one must fail a test
MUTANTS_ARGS ?=
mutants: $(VENV)/.dev
	@$(call with_database,$(TEST_DATA)); \
	$(PY) -m tests.mutants $(MUTANTS_ARGS)

# mypy's targets: every app's services, selectors and permissions, as modules or as packages,
# found by pattern so a new one is checked the day it is written.
TYPED := $(wildcard */services.py */*_services.py */services \
  */selectors.py */*_selectors.py */selectors */permissions.py */*_permissions.py */permissions)

## make lint: ruff, formatting, the house rules (import contracts, tests/house.py), mypy, and
## Django's deployment checks with production settings. None of it needs a database.
lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_SETTINGS_MODULE=consortium.settings.production \
	DJANGO_SECRET_KEY=lint-only-$$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 60) \
	COMMONS_PERSON_KEY=lint-only-$$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 40) \
	DATABASE_URL=postgres://lint@127.0.0.1:1/lint \
	$(PY) manage.py check --deploy --fail-level WARNING
	@# The three house checks all run, so one failing does not hide what the others find.
	@status=0; \
	$(VENV)/bin/lint-imports --no-cache --no-logo || status=1; \
	$(PY) -m tests.house || status=1; \
	DATABASE_URL=postgres://lint@127.0.0.1:1/lint $(VENV)/bin/mypy $(TYPED) || status=1; \
	exit $$status

format: $(VENV)/.dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## make serve: the production set-up (gunicorn, whitenoise, production settings, a queue worker)
## on :8000, in plain HTTP (COMMONS_PLAIN_HTTP=1, said when it starts; COMMONS_PLAIN_HTTP=0
## behind an HTTPS proxy)
serve: $(VENV)/.runtime
	@$(call with_database,$(DEMO_DATA)); \
	export DJANGO_SETTINGS_MODULE=consortium.settings.production; \
	export DJANGO_SECRET_KEY=$${DJANGO_SECRET_KEY:-local-serve-$$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 60)}; \
	export COMMONS_PLAIN_HTTP=$${COMMONS_PLAIN_HTTP:-1}; \
	if [ "$$COMMONS_PLAIN_HTTP" = 1 ]; then echo "PLAIN HTTP IS ON (COMMONS_PLAIN_HTTP=1): no HTTPS redirect, secure cookies or HSTS. For this machine only; never use it in production."; fi; \
	$(PY) manage.py setup_consortium && \
	$(PY) manage.py collectstatic --noinput -v 0 || exit 1; \
	$(call with_worker); \
	$(VENV)/bin/gunicorn -c deploy/gunicorn.conf.py consortium.wsgi:application

## make bench: the benchmarks, each against its baseline in the same run
bench: $(VENV)/.dev
	@mkdir -p bench/results; \
	$(call with_database,.data/pg-bench); \
	$(PY) manage.py collectstatic --noinput -v 0 && \
	$(PY) bench/provisioning.py | tee bench/results/provisioning.txt && \
	$(PY) bench/import.py $(IMPORT_ARGS) | tee bench/results/import.txt && \
	$(PY) bench/crm_pages.py | tee bench/results/crm_pages.txt && \
	$(PY) bench/bookings.py | tee bench/results/bookings.txt && \
	$(PY) bench/reporting.py | tee bench/results/reporting.txt && \
	$(PY) bench/data_rights.py | tee bench/results/data_rights.txt

# Debian's chromium for the browser test; Playwright never downloads a browser of its own.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser test..."; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

db-start: $(VENV)/.runtime
	@$(PY) -m consortium.embedded_db start --data $(DEMO_DATA)
db-stop: $(VENV)/.runtime
	@$(PY) -m consortium.embedded_db stop --data $(DEMO_DATA)
db-url: $(VENV)/.runtime
	@$(PY) -m consortium.embedded_db url --data $(DEMO_DATA)

## make manage ARGS="shell": any manage.py command against the demo database
manage: $(VENV)/.runtime
	@$(call with_database,$(DEMO_DATA)); $(PY) manage.py $(ARGS)

clean:
	-$(PY) -m consortium.embedded_db stop --data $(DEMO_DATA)
	-$(PY) -m consortium.embedded_db stop --data $(TEST_DATA)
	rm -rf .data staticfiles
