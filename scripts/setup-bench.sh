#!/usr/bin/env bash
# Create .venv-csdm with Social Finance's cs-demand-model 0.5.1, for bench/bench_forecast.py only.
#
# Why isolated: cs-demand-model 0.5.1 needs Python <= 3.11 and pandas < 2 (pandas 1.5.3 has no
# wheels for 3.12+), which cannot share carecast's environment. Not part of the test command.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec bash "$ROOT/scripts/isolated-venv.sh" "${CARECAST_CSDM_VENV:-$ROOT/.venv-csdm}" \
    "${PYTHON:-python3.11}" cs-demand-model 0.5.1 cs_demand_model
