# Two commands for a fresh machine: `make demo` runs the example, `make test` runs every test.
# Each installs what it needs (a .venv, npm packages for the client tests, Chromium/Redis via apt).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
JS_STAMP := js/node_modules/.installed-stamp

.PHONY: demo test test-python test-js matrix lint bench system-deps clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

$(JS_STAMP): js/package.json js/package-lock.json
	cd js && npm ci --no-audit --no-fund --loglevel=error
	touch $@

system-deps:
	./scripts/install-system-deps

demo: $(STAMP)
	PY=../$(PY) SERVER=$(SERVER) ./consumers/run-demo

test: $(STAMP) $(JS_STAMP) system-deps lint
	$(PY) -m pytest
	cd js && npm test
	$(MAKE) matrix

test-python: $(STAMP)
	$(PY) -m pytest

test-js: $(JS_STAMP)
	cd js && npm test

# The core tests again on the oldest and newest supported Django/Channels/Redis (noxfile.py),
# one virtualenv each under .nox/, reused (-r) but with their pins installed on every run.
matrix: $(STAMP) system-deps
	$(VENV)/bin/nox -r

lint: $(STAMP)
	$(VENV)/bin/ruff check hyperchannels tests consumers bench
	$(VENV)/bin/mypy

bench: $(STAMP) $(JS_STAMP) system-deps
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) -m bench

clean:
	rm -rf $(VENV) .nox js/node_modules .pytest_cache .mypy_cache .hypothesis
