# Park Mailbox: `make run` serves the app with demo data, `make test` runs the checks.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi
VENDOR := app/static/vendor

.PHONY: run test lint typecheck setup setup-test system-deps system-deps-test vendor \
        translations migrate messages db demo clean

run: setup db demo
	@echo "Park Mailbox on http://$(HOST):$(PORT)/  (staff: http://$(HOST):$(PORT)/staff/)"
	HOST=$(HOST) PORT=$(PORT) $(BIN)/gunicorn --config deploy/gunicorn.conf.py wsgi:app

test: setup-test lint typecheck
	$(BIN)/pytest $(PYTEST_ARGS)

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
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching
	$(BIN)/python scripts/fill_en_catalog.py

clean:
	rm -rf $(VENV) node_modules $(VENDOR) .pytest_cache .ruff_cache .mypy_cache
