# fieldplan: the documented entry points. `make demo` and `make test` work from a fresh clone
# with only Python >= 3.11: they create .venv and install everything first.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

# Prefect without a server: a private PREFECT_HOME inside the checkout, no telemetry, and a
# start-up timeout generous enough for a cold ephemeral server on 2 cores (NOTES-prefect.md).
export PREFECT_HOME := $(CURDIR)/var/prefect
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 90
export PREFECT_LOGGING_TO_API_BATCH_INTERVAL := 0.3

.PHONY: help install demo test lint format bench clean browser

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install fieldplan with its dev tools

demo: $(STAMP)  ## run the whole pipeline on data/sample (SQLite under var/, no Prefect server)
	$(BIN)/fieldplan demo

# The itinerary page is checked in a real browser (tests/scheduling/test_itinerary_html.py).
# Debian's `chromium` package provides /usr/bin/chromium; installing needs root. A small CJK
# font (fonts-wqy-microhei) lets pages with Chinese names render as text, not boxes.
CHROMIUM ?= /usr/bin/chromium

browser:  ## install headless Chromium (Debian, as root) for the itinerary rendering test
	@if [ -x "$(CHROMIUM)" ]; then \
		echo "chromium: $(CHROMIUM) present"; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		echo "chromium: installing the Debian package (apt-get)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei; \
	else \
		echo "chromium: $(CHROMIUM) missing and not root (or no apt-get): install the"; \
		echo "  'chromium' package yourself; the rendering test skips without it (fails if CI is set)"; \
	fi

test: $(STAMP) browser  ## run the whole test suite (PostgreSQL tests need 127.0.0.1:5432)
	$(BIN)/python -m pytest

lint: $(STAMP)  ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)  ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)  ## run the quick benchmarks (see BENCHMARKS.md for the long ones)
	$(BIN)/python benchmarks/deadlines.py

clean:  ## remove the venv and generated files
	rm -rf $(VENV) var
