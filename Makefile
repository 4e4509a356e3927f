# Two commands for a newcomer:  `make run` (demo on SQLite)  and  `make test` (PostgreSQL + Redis).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

# Test settings: real PostgreSQL and Redis (override on the command line or in the environment).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/cc_training
TEST_REDIS_URL    ?= redis://127.0.0.1:6379/0

.PHONY: install run demo test services lint messages worker beat clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

## make run: install, migrate, load the demo and serve on the embedded default (SQLite, eager tasks)
run: install
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python manage.py migrate --noinput
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python manage.py demo
	@echo ""
	@echo "Open http://$(HOST):$(PORT)/ and log in with staff ID HB0001 (CSR) or any login above."
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python manage.py runserver $(HOST):$(PORT)

## make services: start local PostgreSQL and Redis when they are installed but not running
services:
	@bash scripts/ensure-services.sh

## make test: install and run the whole suite against PostgreSQL and Redis
test: install services
	@# pytest exits 5 when it collected nothing: that is a failure, not a pass.
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) REQUIRE_POSTGRES=1 CELERY_TASK_ALWAYS_EAGER=1 \
		$(BIN)/pytest $(PYTEST_ARGS); status=$$?; \
		if [ $$status -eq 5 ]; then echo "no tests were collected" >&2; exit 1; fi; exit $$status

lint: install
	$(BIN)/ruff check .

messages: install
	$(BIN)/python manage.py makemessages -l zh_Hans --ignore '.venv/*' --ignore 'staticfiles/*' --no-obsolete
	$(BIN)/python scripts/fill_translations.py
	$(BIN)/python manage.py compilemessages -l zh_Hans --ignore '.venv/*'

worker: install
	$(BIN)/celery -A config worker -l info

beat: install
	$(BIN)/celery -A config beat -l info

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
