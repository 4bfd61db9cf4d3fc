#!/usr/bin/env bash
# Create the isolated environment for DfE's SSDA903 validator (csc-validator-be-903).
#
# Why isolated: csc-validator-be-903 0.1.17 pins pandas<2 and numpy<1.25, which cannot share
# carecast's environment (pandas 2.x). carecast runs it as a subprocess with this interpreter.
# Its CLI imports pytest without declaring it, so pytest is installed too.
# Idempotent: when the environment already has the pinned version it returns at once.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${CARECAST_VALIDATOR_VENV:-$ROOT/.venv-validator}"
PYTHON="${PYTHON:-python3}"
VERSION="0.1.17"

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" - "$VERSION" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
import lac_validator  # noqa: F401
sys.exit(0 if version("csc-validator-be-903") == sys.argv[1] else 1)
PY
then
    echo "validator environment ready: $VENV"
    exit 0
fi

"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet "csc-validator-be-903==$VERSION" pytest
echo "validator environment created: $VENV"
