"""Read the tables shipped inside the package (written by ``carecast data build``)."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

MANIFEST = "manifest.json"


def directory() -> Path:
    return Path(str(resources.files("carecast") / "data" / "bundled"))


def table_names() -> list[str]:
    return sorted(p.stem for p in directory().glob("*.parquet"))


@cache
def _read(name: str) -> pd.DataFrame:
    path = directory() / f"{name}.parquet"
    if not path.exists():
        raise KeyError(f"no bundled table {name!r}; known: {', '.join(table_names())}")
    return pd.read_parquet(path)


def read_table(name: str) -> pd.DataFrame:
    """A copy of a bundled table, so callers may change it freely."""
    return _read(name).copy()


def read_geojson(name: str) -> dict[str, Any]:
    """A bundled GeoJSON file (``boundaries`` or ``hex_cartogram``)."""
    return json.loads((directory() / f"{name}.geojson").read_text(encoding="utf-8"))


def manifest() -> dict[str, Any]:
    """What the build wrote: each table's rows, columns and source files with hashes."""
    return json.loads((directory() / MANIFEST).read_text(encoding="utf-8"))


def version() -> str:
    """A short hash of the manifest, stored in each workspace to spot stale copies."""
    return hashlib.sha256((directory() / MANIFEST).read_bytes()).hexdigest()[:12]
