#!/usr/bin/env bash
# Create .venv-csdm with Social Finance's cs-demand-model 0.5.1, for bench/bench_forecast.py only.
#
# Why isolated: cs-demand-model 0.5.1 needs Python <= 3.11 and pandas < 2 (pandas 1.5.3 has no
# wheels for 3.12+), which cannot share carecast's environment. Not part of the test command.
# Idempotent: when the environment already has the pinned version it returns at once.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${CARECAST_CSDM_VENV:-$ROOT/.venv-csdm}"
PYTHON="${PYTHON:-python3.11}"
VERSION="0.5.1"

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" - "$VERSION" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
import cs_demand_model  # noqa: F401
sys.exit(0 if version("cs-demand-model") == sys.argv[1] else 1)
PY
then
    echo "cs-demand-model environment ready: $VENV"
    exit 0
fi

"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet "cs-demand-model==$VERSION"
echo "cs-demand-model environment created: $VENV"
