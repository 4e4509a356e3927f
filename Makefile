# Two commands for a newcomer:  `make run` (demo on SQLite)  and  `make test` (PostgreSQL + Redis).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

# Test settings: real PostgreSQL and Redis (override on the command line or in the environment).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/cc_training
TEST_REDIS_URL    ?= redis://127.0.0.1:6379/0
# Two pytest-xdist workers (one per core of the 2-core CI machine): the whole suite took
# 14 min 26 s in one process and about 9 min 30 s in two under the same load of other work.
# PYTEST_WORKERS= runs it in one process.
PYTEST_WORKERS    ?= -n 2
# DEBUG is off unless asked for (config/settings.py); every development target asks.
DEV := env DEBUG=1
EMBEDDED := env -u DATABASE_URL -u REDIS_URL DEBUG=1

.PHONY: install run demo test services lint check-migrations messages worker beat clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

## make run: install, migrate, load the demo and serve on the embedded default (SQLite, eager tasks)
run: install
	$(EMBEDDED) $(BIN)/python manage.py migrate --noinput
	$(EMBEDDED) $(BIN)/python manage.py demo
	@echo ""
	@echo "Open http://$(HOST):$(PORT)/ and log in with staff ID HB0001 (CSR) or any login above."
	$(EMBEDDED) $(BIN)/python manage.py runserver $(HOST):$(PORT)

## make services: start local PostgreSQL and Redis when they are installed but not running
services:
	@bash scripts/ensure-services.sh

## make test: install and run the whole suite against PostgreSQL and Redis
test: install services
	@# pytest exits 5 when it collected nothing: that is a failure, not a pass.
	DEBUG=1 DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) REQUIRE_POSTGRES=1 CELERY_TASK_ALWAYS_EAGER=1 \
		$(BIN)/pytest $(PYTEST_WORKERS) $(PYTEST_ARGS); status=$$?; \
		if [ $$status -eq 5 ]; then echo "no tests were collected" >&2; exit 1; fi; exit $$status

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## make bench: the benchmarks (rosters, pruning, KB search, page load with gunicorn + wrk), each beside
## its baseline from the same run; reports in bench-reports/ (see README "Performance")
bench: install services
	bash scripts/bench.sh

## make check-migrations: fail when a model change has no migration
check-migrations: install
	$(EMBEDDED) $(BIN)/python manage.py makemigrations --check --dry-run

messages: install
	$(DEV) $(BIN)/python manage.py makemessages -l zh_Hans --ignore '.venv/*' --ignore 'staticfiles/*' --no-obsolete
	$(DEV) $(BIN)/python scripts/fill_translations.py
	$(DEV) $(BIN)/python manage.py compilemessages -l zh_Hans --ignore '.venv/*'

worker: install
	$(DEV) $(BIN)/celery -A config worker -l info

beat: install
	$(DEV) $(BIN)/celery -A config beat -l info

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
