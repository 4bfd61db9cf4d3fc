"""Schemathesis against the JSON API of a local server: every check, a bounded number of
examples per operation; exits non-zero on any server error or check failure.

    .venv/bin/python bench/fuzz_api.py [--max-examples 50] [--seed 1]

Run by ``.ci/run``. Targets: 0 server errors, 0 check failures (status codes, content
types and bodies all as the OpenAPI schema says).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from local_server import local_server

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with local_server() as server:
        return subprocess.run([
            str(SCHEMATHESIS), "run", f"{server.base}/api/openapi.json",
            "--checks", "all", "--max-examples", str(args.max_examples),
            "--seed", str(args.seed), "--workers", "1", "--no-color",
        ], check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
