#!/usr/bin/env bash
# Make (or confirm) a virtual environment holding one pinned package, for tools whose
# dependencies cannot share carecast's own environment (pandas < 2 and the like).
# Idempotent: when the environment already has the pinned version it returns at once.
# Usage: isolated-venv.sh VENV PYTHON DIST VERSION MODULE [EXTRA_PACKAGE ...]
set -euo pipefail

venv=$1 python=$2 dist=$3 version=$4 module=$5
shift 5

if [ -x "$venv/bin/python" ] && "$venv/bin/python" - "$dist" "$version" "$module" <<'PY' 2>/dev/null
import importlib
import sys
from importlib.metadata import version

importlib.import_module(sys.argv[3])
sys.exit(0 if version(sys.argv[1]) == sys.argv[2] else 1)
PY
then
    echo "$dist environment ready: $venv"
    exit 0
fi

"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "$dist==$version" "$@"
echo "$dist environment created: $venv"
