"""Bundled public data: datasets, councils, new DfE releases and the build."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from carecast.data import bundled, catalogue, store
from carecast.data.build import build as _build
from carecast.data.errors import InputError
from carecast.data.releases import ReleaseReport, add_release
from carecast.data.workspace import Workspace

__all__ = ["ReleaseReport", "add_release", "build", "datasets", "geography"]


def datasets(ws: Workspace) -> pd.DataFrame:
    """Every dataset with its years, unit, source, publisher and licence."""
    return catalogue.table(store.observations(ws))


def geography(name: str) -> dict:
    """A bundled GeoJSON layer: ``boundaries`` (ONS, 2023 upper tier) or ``hex_cartogram``."""
    return bundled.read_geojson(name)


def build(source: Path, progress: Callable[[str], None] | None = None) -> dict:
    """Rebuild the bundled tables inside the package from the public source folder."""
    if not source.is_dir():
        raise InputError("folder not found; pass --source shared/data/public", file=source)
    return _build(source, progress=progress)
