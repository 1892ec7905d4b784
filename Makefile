# Park Mailbox: `make run` serves the app with demo data, `make test` runs the checks.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
# the public address in QR codes, `points list`, e-mails and Open311 discovery: follows
# HOST/PORT unless given (`make run PORT=5077` encodes port 5077); 0.0.0.0 is no address
# a browser can open, so the loopback name stands in for it
BASE_URL ?= http://$(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(HOST)):$(PORT)
FLASK := $(BIN)/flask --app wsgi
VENDOR := app/static/vendor
# The PostgreSQL run of `make test` uses a database of this checkout's own (created when
# missing), so that several checkouts on one machine never share one; the same for Redis
# keys and channels, which the tests name uniquely.
PG_TEST_DATABASE ?= parkmailbox_test_$(shell basename "$(CURDIR)" | tr -c 'a-zA-Z0-9\n' '_' | tr 'A-Z' 'a-z')
TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/$(PG_TEST_DATABASE)
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: run test coverage test-fast test-sqlite test-postgres bench lint typecheck setup setup-test system-deps \
        system-deps-test vendor translations migrate messages db demo clean

run: export BASE_URL := $(BASE_URL)
run: setup db demo
	@echo "Park Mailbox on $(BASE_URL)/  (staff: $(BASE_URL)/staff/)"
	HOST=$(HOST) PORT=$(PORT) $(BIN)/gunicorn --config deploy/gunicorn.conf.py wsgi:app

# Two passes side by side (README, "Tests": which tests run on which database and why), a
# test file per xdist worker at a time (a module's server starts once):
# 1. PostgreSQL, on two workers: the whole suite, real servers and the browser included,
#    except the tests about SQLite itself (marker "sqlite");
# 2. SQLite, on one worker beside them: the tests whose outcome may depend on the database
#    (marker "database", given by path in tests/conftest.py) and those about SQLite itself.
#    Its output goes to test-output/sqlite.log, shown when both have ended.
# (One pass after the other left a core idle a third of the time: tests waiting for a
# server to start, a browser, PostgreSQL.) Then the 15 slowest tests of both.
# `make coverage` runs the same passes one after the other, measuring the branch coverage
# of app/ over both (a third slower: not in the loop everybody waits for).
# Missing PostgreSQL/Redis: those tests skip with the reason, or fail with
# REQUIRE_SERVICES=1 (as .ci/run sets).
PYTEST := $(BIN)/pytest --dist loadfile
POSTGRES_PASS := TEST_DATABASE_URL=$(TEST_POSTGRES_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) \
  $(PYTEST) -m "not sqlite"
SQLITE_PASS := $(PYTEST) -m "(database or sqlite) and not services"
REPORTS := test-output/junit

test: setup-test lint typecheck
	@rm -f $(REPORTS)/*.xml; mkdir -p $(REPORTS)
	@$(SQLITE_PASS) -n 1 --junitxml=$(REPORTS)/sqlite.xml $(PYTEST_ARGS) \
	  > test-output/sqlite.log 2>&1 & sqlite=$$!; \
	echo "$(POSTGRES_PASS) -n 2 --junitxml=$(REPORTS)/postgresql.xml $(PYTEST_ARGS)"; \
	echo "(beside it, the SQLite pass: test-output/sqlite.log)"; \
	$(POSTGRES_PASS) -n 2 --junitxml=$(REPORTS)/postgresql.xml $(PYTEST_ARGS); postgres=$$?; \
	wait $$sqlite; sqlite=$$?; \
	echo "== the SQLite pass (test-output/sqlite.log):"; cat test-output/sqlite.log; \
	$(BIN)/python scripts/slowest_tests.py 15 $(REPORTS)/postgresql.xml $(REPORTS)/sqlite.xml; \
	test $$postgres -eq 0 -a $$sqlite -eq 0

coverage: setup-test
	@rm -f .coverage
	$(MAKE) --no-print-directory test-postgres PYTEST_ARGS="--cov=app --cov-branch --cov-report= \
	  $(PYTEST_ARGS)"
	$(MAKE) --no-print-directory test-sqlite PYTEST_ARGS="--cov=app --cov-branch --cov-append \
	  --cov-report=term:skip-covered $(PYTEST_ARGS)"

# The inner loop (under 3 minutes): SQLite, no real servers and no browser (markers
# "server" and "browser"); `make test` runs those too.
# (no module-wide servers here: tests are dealt to the workers one by one, --dist load)
test-fast: setup-test
	$(BIN)/pytest -n 2 --dist load -m "not server and not browser and not services" \
	  --durations=15 $(PYTEST_ARGS)

test-postgres: setup-test
	$(POSTGRES_PASS) -n 2 $(PYTEST_ARGS)

test-sqlite: setup-test
	$(SQLITE_PASS) -n 2 $(PYTEST_ARGS)

# Benchmarks (bench/README.md): prints a table, writes bench/results/*.json
bench: setup-test
	$(BIN)/python -m bench.run $(BENCH_ARGS)

lint: setup-test
	$(BIN)/ruff check .

typecheck: setup-test
	$(BIN)/mypy

setup: system-deps $(VENV)/.installed vendor translations
setup-test: system-deps-test $(VENV)/.installed-dev vendor translations

system-deps:
	@scripts/system-deps.sh run
system-deps-test:
	@scripts/system-deps.sh test

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

vendor: $(VENDOR)/.installed
$(VENDOR)/.installed: package.json package-lock.json
	SCARF_ANALYTICS=false npm ci --no-audit --no-fund --silent
	mkdir -p $(VENDOR)
	cp node_modules/socket.io-client/dist/socket.io.min.js $(VENDOR)/
	mkdir -p $(VENDOR)/swagger-ui
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css \
	   node_modules/swagger-ui-dist/LICENSE $(VENDOR)/swagger-ui/
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/
	mkdir -p $(VENDOR)/leaflet
	cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css \
	   node_modules/leaflet/LICENSE $(VENDOR)/leaflet/
	@touch $@

translations: $(VENV)/.installed
	@$(BIN)/pybabel compile -d app/translations > /dev/null

db: setup
	$(FLASK) db upgrade

demo: db
	$(FLASK) demo

# After changing the models: make migrate MESSAGE="what changed"
migrate: setup
	$(FLASK) db migrate -m "$(MESSAGE)"

# After changing user-facing strings: extract them and merge into both catalogs
messages: setup
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o app/translations/messages.pot --no-location --sort-output --omit-header .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching --width 100
	$(BIN)/python scripts/fill_en_catalog.py

clean:
	rm -rf $(VENV) node_modules $(VENDOR) .pytest_cache .ruff_cache .mypy_cache
