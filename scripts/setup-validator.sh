#!/usr/bin/env bash
# Create the isolated environment for DfE's SSDA903 validator (csc-validator-be-903).
#
# Why isolated: csc-validator-be-903 0.1.17 pins pandas<2 and numpy<1.25, which cannot share
# carecast's environment (pandas 2.x). carecast runs it as a subprocess with this interpreter.
# Its CLI imports pytest without declaring it, so pytest is installed too.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec bash "$ROOT/scripts/isolated-venv.sh" "${CARECAST_VALIDATOR_VENV:-$ROOT/.venv-validator}" \
    "${PYTHON:-python3}" csc-validator-be-903 0.1.17 lac_validator pytest
