# Touchpoint analysis kit. `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
KERNEL := tpkit
TPKIT := $(BIN)/tpkit
# default period: the last complete calendar quarter
PERIOD ?= $(shell $(PYTHON) -c "import datetime as d; t=d.date.today(); q=(t.month-1)//3; print(f'{t.year-1}Q4' if q==0 else f'{t.year}Q{q}')")
CLIENT ?= nordlys
PYTEST_ARGS ?=
LAB_ARGS ?=

.PHONY: help setup demo data test test-fast lint catalogs lab report reports monitor portfolio bench clean distclean chromium lock

help: ## List the targets
	@echo "Touchpoint analysis kit - make targets:"
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'
	@echo "Variables: PERIOD=$(PERIOD) CLIENT=$(CLIENT)"

setup: $(STAMP) ## Create .venv, install the kit and its dev tools from requirements.lock, register the Jupyter kernel

$(STAMP): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or run make PYTHON=/path/to/python3.11"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (tpkit)" >/dev/null
	@touch $(STAMP)
	@echo "Environment ready in $(VENV) (kernel '$(KERNEL)')."

data: $(STAMP) ## Generate the two demo clients and ingest them (data/nordlys, data/fjordtech)
	$(TPKIT) demo

demo: $(STAMP) ## Generate and ingest the demo data, then render the demo clients' reports
	$(TPKIT) demo --reports

test: $(STAMP) chromium lint ## Run the linters and the whole test suite (unit, notebooks, Spark, browser)
	$(BIN)/python -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

lint: $(STAMP) ## ruff (lint, import order, complexity) over src, tests, bench; mypy on the typed core; no notebook outputs
	$(BIN)/ruff check src tests bench notebooks
	$(BIN)/mypy

test-fast: $(STAMP) ## Run the tests without Spark and browser tests
	$(BIN)/python -m pytest -n 2 --dist loadfile -m "not spark and not browser" $(PYTEST_ARGS)

chromium: ## Install Debian's chromium and poppler-utils for the browser and PDF checks (if missing and root)
	@if command -v chromium >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing chromium and poppler-utils (Debian packages) for the browser and PDF checks..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils >/dev/null; \
	else echo "note: chromium or pdftotext not found; browser and PDF checks will be skipped (install Debian's chromium and poppler-utils)"; fi

catalogs: $(STAMP) ## Extract the report's messages and update the da, sv, nb catalogs (src/helpers/locale/)
	$(BIN)/python -m helpers.catalogs

# --allow-root where it runs as root (containers); no news or update check, so opening the kit makes no request
lab: $(STAMP) ## Start JupyterLab on the kit's kernel (notebooks/)
	$(BIN)/jupyter lab --notebook-dir=. --MappingKernelManager.default_kernel_name=$(KERNEL) \
		--LabApp.news_url=None --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate \
		$$( [ "$$(id -u)" = 0 ] && echo --allow-root ) $(LAB_ARGS) notebooks/

report: $(STAMP) ## Render one client's report: make report CLIENT=nordlys PERIOD=2026Q3
	$(TPKIT) report $(CLIENT) --period $(PERIOD)

reports: $(STAMP) ## Render every client's report for a quarter: make reports PERIOD=2026Q3
	$(TPKIT) reports --period $(PERIOD)

monitor: $(STAMP) ## Check a client's running changes with always-valid intervals: make monitor CLIENT=nordlys
	$(TPKIT) monitor $(CLIENT)

portfolio: $(STAMP) ## Rebuild reports/index.html (every client of a quarter): make portfolio PERIOD=2026Q3
	$(TPKIT) portfolio --period $(PERIOD)

bench: $(STAMP) ## Run the benchmarks in bench/ and print their tables
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

lock: ## Re-resolve requirements.lock from pyproject.toml (needs network)
	rm -rf /tmp/tpkit-lock && $(PYTHON) -m venv /tmp/tpkit-lock
	/tmp/tpkit-lock/bin/pip install --quiet '.[dev]'
	/tmp/tpkit-lock/bin/pip freeze --exclude tpkit | grep -v '^-e' > requirements.lock

clean: ## Remove generated data, reports and caches (keeps .venv)
	rm -rf data/*/ reports/*/ .pytest_cache spark-warehouse metastore_db derby.log
	find . -name __pycache__ -type d -prune -not -path './.venv/*' -exec rm -rf {} +

distclean: clean ## Also remove the virtual environment
	rm -rf $(VENV)
