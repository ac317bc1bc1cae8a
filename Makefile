# medledger: `make demo` runs the product on SQLite with demo data; `make test` runs every check.
# (`make demo` serves on http://127.0.0.1:8000 — set PORT=... to change it.)
# `make soak` runs the ledger auditor long (SOAK_EXAMPLES, SOAK_SEED, SOAK_ENGINE=sqlite|postgresql).
# `make bench` runs the scale benchmark (bench/scale.py); BENCH_ARGS="--engines sqlite --sizes 10000" for a quick one.
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
export MEDLEDGER_DATABASE_URL ?= sqlite:///medledger.sqlite3
PORT ?= 8000
BENCH_ARGS ?=
# `make soak`: the auditor (tests/services/test_ledger_auditor.py) run long; see docs/testing.md.
SOAK_EXAMPLES ?= 2000
SOAK_STEPS ?= 50
SOAK_SEED ?= $(shell od -An -N4 -tu4 /dev/urandom | tr -d ' ')
SOAK_ENGINE ?= sqlite

.PHONY: install demo test lint typecheck unit bench soak clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

demo: install
	$(BIN)/medledger demo
	$(BIN)/medledger patients --limit 10
	$(BIN)/medledger balance $$($(BIN)/medledger patients --limit 1 --ids-only)
	$(BIN)/medledger verify
	@echo "web UI and API on http://127.0.0.1:$(PORT)/ — log in as manager / medledger-demo"
	$(BIN)/medledger serve --port $(PORT)

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: install
	$(BIN)/mypy

unit: install
	$(PY) -m pytest

test: lint typecheck unit

bench: install
	$(PY) -m bench $(BENCH_ARGS)

soak: install
	AUDITOR_EXAMPLES=$(SOAK_EXAMPLES) AUDITOR_STEPS=$(SOAK_STEPS) AUDITOR_SEED=$(SOAK_SEED) \
	  $(PY) -m pytest -s -q -p no:cacheprovider tests/services/test_ledger_auditor.py -k $(SOAK_ENGINE)

clean:
	rm -rf $(VENV) medledger.sqlite3*
