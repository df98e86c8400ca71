# Two commands matter: `make demo` and `make test`. Both create .venv and install the
# package with its dependencies first; nothing else needs to be installed by hand.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# A real Appium 3 server with the fake driver, for the Appium-path tests (committed lockfile)
APPIUM_STAMP := tests/appium/node_modules/.installed-stamp
# The Selenium Grid 4 server jar, for the Grid tests (committed lockfile; Java 17 runs it)
GRID_STAMP := tests/grid/node_modules/.installed-stamp

.PHONY: demo test bench lint typecheck check clean help

help:
	@echo "make demo   - every demo app from every profile on the simulator, then the exports, the open data and the report site (reports/site/index.html)"
	@echo "make test   - the whole test suite"
	@echo "make bench  - the benchmarks in benchmarks/, printing their figures"
	@echo "make check  - ruff and mypy --strict"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found " + sys.version.split()[0] + "); set PYTHON=python3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

$(APPIUM_STAMP): tests/appium/package-lock.json
	@command -v npm >/dev/null || { echo "npm (Node 20+) is needed for the real-Appium tests"; exit 1; }
	cd tests/appium && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $(APPIUM_STAMP)

$(GRID_STAMP): tests/grid/package-lock.json
	@command -v npm >/dev/null || { echo "npm (Node 20+) is needed for the Selenium Grid tests"; exit 1; }
	cd tests/grid && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $(GRID_STAMP)

demo: $(STAMP)
	$(BIN)/harness demo
	$(BIN)/harness export --include-simulated --format all --out exports/demo
	$(BIN)/harness findings --include-simulated
	$(BIN)/harness publish --include-simulated --out reports/data
	$(BIN)/harness report --include-simulated --data reports/data --out reports/site/

test: $(STAMP) $(APPIUM_STAMP) $(GRID_STAMP)
	bash tests/grid/ensure_java.sh
	bash tests/site/ensure_chromium.sh
	bash tests/postgres/with_postgres.sh $(BIN)/python -m pytest -q

bench: $(STAMP) $(APPIUM_STAMP) $(GRID_STAMP)
	bash tests/grid/ensure_java.sh
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

lint: $(STAMP)
	$(BIN)/ruff check harness tests

typecheck: $(STAMP)
	$(BIN)/mypy --strict harness

check: lint typecheck

clean:
	rm -rf $(VENV) results.db results.db-* artifacts reports exports .pytest_cache .mypy_cache .ruff_cache
