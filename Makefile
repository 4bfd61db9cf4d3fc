# Set-up and everyday commands. `make run` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup setup-test run profile test lint bench backtest data docs

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)
	bash scripts/setup-web.sh

setup-test: setup
	bash scripts/setup-web.sh --with-browser
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

backtest: $(STAMP)
	$(BIN)/carecast backtest --horizons 1,2,3,5 --out bench/results/backtest.json

docs: $(STAMP)
	$(BIN)/python -m carecast.cli.reference > docs/cli.md
