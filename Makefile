# Set-up and everyday commands. `make run` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup setup-test run profile test lint bench data

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)
	bash scripts/setup-web.sh

setup-test: setup
	bash scripts/setup-validator.sh

run: setup
	$(BIN)/carecast serve

profile: $(STAMP)
	$(BIN)/carecast la show Norfolk

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

test: setup-test lint
	$(BIN)/python -m pytest -q

data: $(STAMP)
	$(BIN)/carecast data build --source ../shared/data/public

bench: setup-test
	bash scripts/setup-bench.sh
	$(BIN)/python bench/run_all.py
