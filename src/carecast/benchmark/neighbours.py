"""Statistical neighbours: the official DfE/NFER lists and an open, reweightable model.

The official lists (2025 edition by default; 2021 holds pre-reorganisation councils) come from
the bundled ``stat_neighbours`` table. NFER's variables and weights are not public, so the open
model (``parameters/benchmark/open_neighbours.yaml``) z-scores a few published drivers and
takes the ``k`` nearest councils by weighted Euclidean distance. Reporting how many of the
official neighbours it reproduces makes the gap between the two visible rather than hidden.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from carecast import OGL_ATTRIBUTION, params
from carecast.data import bundled, catalogue, councils, store
from carecast.data.measures import registry as measures
from carecast.data.workspace import Workspace

EDITIONS = (2021, 2025)
SPEC = "benchmark.open_neighbours"


@cache
def _official_table() -> pd.DataFrame:
    return bundled.read_table("stat_neighbours")


def official(code: str, edition: int = 2025) -> list[str]:
    """The official neighbours of ``code`` in rank order (1 = closest)."""
    if edition not in EDITIONS:
        raise LookupError(f"no statistical-neighbour edition {edition}; known: {EDITIONS}")
    return councils.official_neighbours(str(code), edition)


def official_closeness(code: str, edition: int = 2025) -> dict[str, str]:
    table = _official_table()
    rows = table[(table["edition"] == edition) & (table["code"] == str(code))]
    return dict(zip(rows["neighbour_code"].astype(str), rows["closeness"].astype(str), strict=True))


def official_lists(edition: int = 2025) -> dict[str, list[str]]:
    table = _official_table()
    table = table[table["edition"] == edition].sort_values(["code", "rank"])
    return {str(c): g["neighbour_code"].astype(str).tolist() for c, g in table.groupby("code")}


@dataclass(frozen=True)
class Variable:
    name: str
    measure: str
    year: int
    weight: float
    transform: str | None = None


def spec_variables(spec: Mapping[str, Any] | None = None) -> list[Variable]:
    spec = spec if spec is not None else params.value(SPEC)
    return [Variable(name=n, **v) for n, v in spec["variables"].items()]


def nearest_year(series: pd.Series, year: int) -> pd.Series:
    """Each council's value in ``year``, else in the nearest year it has one (earlier on a tie)."""
    frame = series.dropna().reset_index()
    frame.columns = ["area_code", "year", "value"]
    frame["gap"] = (frame["year"] - year).abs() * 2 + (frame["year"] > year)
    return frame.sort_values("gap").groupby("area_code")["value"].first()


def features(ws: Workspace, variables: list[Variable] | None = None) -> pd.DataFrame:
    """Raw (transformed, not standardised) feature values: one row per current council."""
    variables = variables or spec_variables()
    values = store.la_panel(ws).values
    columns = {}
    for var in variables:
        column = nearest_year(values[var.measure], var.year)
        columns[var.name] = np.log(column) if var.transform == "log" else column
    codes = [c.code for c in councils.all_councils()]
    return pd.DataFrame(columns).reindex(codes)


class OpenNeighbours:
    """Weighted Euclidean nearest neighbours on z-scored features.

    A feature a council lacks is skipped for that pair and the squared distance is scaled
    up by (total weight / weight used), so missing data neither helps nor hurts closeness.
    """

    def __init__(self, *, weights: Mapping[str, float] | None = None, k: int = 10) -> None:
        self.weights = weights
        self.k = k

    def fit(self, features: pd.DataFrame) -> OpenNeighbours:
        weights = self.weights if self.weights is not None else {c: 1.0 for c in features}
        self.weights_ = pd.Series({c: float(weights[c]) for c in features.columns})
        self.mean_ = features.mean()
        self.scale_ = features.std(ddof=0).replace(0, 1.0)
        self.z_ = (features - self.mean_) / self.scale_
        z = self.z_.to_numpy(dtype=float)
        w = self.weights_.to_numpy()
        present = ~np.isnan(z)
        diff = np.nan_to_num(z[:, None, :] - z[None, :, :])
        both = present[:, None, :] & present[None, :, :]
        used = (both * w).sum(axis=2)
        ratio = np.ones_like(used)
        np.divide(w.sum(), used, out=ratio, where=used > 0)
        squared = (diff**2 * w).sum(axis=2) * ratio
        squared[used == 0] = np.inf
        self.distances_ = pd.DataFrame(
            np.sqrt(squared), index=features.index, columns=features.index
        )
        return self

    def kneighbors(self, code: str) -> list[str]:
        """The ``k`` nearest councils to ``code``, closest first, excluding itself."""
        if code not in self.distances_.index:
            raise LookupError(f"council {code} is not in the open neighbour model")
        row = self.distances_.loc[code].drop(code)
        return row.sort_values(kind="stable").index[: self.k].tolist()

    def distance(self, code: str, other: str) -> float:
        return float(self.distances_.at[code, other])


def average_overlap(model: OpenNeighbours, edition: int = 2025) -> dict[str, Any]:
    """How many of each council's official neighbours the open model reproduces."""
    lists = official_lists(edition)
    counts = {
        code: len(set(model.kneighbors(code)) & set(found))
        for code, found in lists.items()
        if code in model.distances_.index
    }
    series = pd.Series(counts)
    return {
        "edition": edition,
        "councils": int(series.size),
        "mean": round(float(series.mean()), 2),
        "median": float(series.median()),
        "min": int(series.min()),
        "max": int(series.max()),
        "distribution": {int(k): int(v) for k, v in series.value_counts().sort_index().items()},
    }


_models: dict[tuple[str, float], OpenNeighbours] = {}


def open_model(ws: Workspace) -> OpenNeighbours:
    """The open model fitted with the YAML weights, cached per workspace file version."""
    key = (str(ws.db_path.resolve()), ws.db_path.stat().st_mtime)
    if key not in _models:
        variables = spec_variables()
        weights = {v.name: v.weight for v in variables}
        k = int(params.value(SPEC)["k"])
        _models[key] = OpenNeighbours(weights=weights, k=k).fit(features(ws, variables))
    return _models[key]


def neighbour_codes(ws: Workspace, code: str, model: str = "official") -> list[str]:
    """Neighbours by ``model``: "official" (2025 edition), "official-2021" or "open"."""
    if model == "open":
        return open_model(ws).kneighbors(code)
    if model in ("official", "official-2025"):
        return official(code, 2025)
    if model == "official-2021":
        return official(code, 2021)
    raise LookupError(f"unknown neighbour model {model!r}; use official, official-2021 or open")


def compare(ws: Workspace, code: str, edition: int = 2025) -> dict[str, Any]:
    """Both neighbour lists for one council, their overlap, and the model-level overlap."""
    council = councils.lookup(code)
    model = open_model(ws)
    names = {c.code: c.name for c in councils.all_councils(current_only=False)}
    off = official(council.code, edition)
    closeness = official_closeness(council.code, edition)
    opn = model.kneighbors(council.code)

    def entry(other: str, rank: int, **extra: Any) -> dict[str, Any]:
        dist = model.distance(council.code, other) if other in model.distances_ else None
        return {
            "rank": rank,
            "code": other,
            "name": names.get(other, other),
            "open_distance": None if dist is None else round(dist, 3),
            **extra,
        }

    return {
        "council": {"code": council.code, "name": council.name},
        "official": {
            "edition": edition,
            "neighbours": [entry(c, i + 1, closeness=closeness.get(c)) for i, c in enumerate(off)],
        },
        "open": {
            "k": model.k,
            "weights": {k: float(v) for k, v in model.weights_.items()},
            "neighbours": [entry(c, i + 1) for i, c in enumerate(opn)],
        },
        "overlap": {
            "codes": [c for c in off if c in set(opn)],
            "count": len(set(off) & set(opn)),
        },
        "carried_features": carried_features(ws, council.code),
        "model_overlap": average_overlap(model, edition),
        "sources": [
            _citation("stat_neighbours"),
            *map(_citation, _feature_datasets()),
            OGL_ATTRIBUTION,
        ],
    }


def carried_features(ws: Workspace, code: str) -> list[str]:
    """Open-model features whose value for ``code`` was carried from another council (for
    Cumberland and Westmorland & Furness, Cumbria's 2019 IMD)."""
    panel = store.la_panel(ws)
    out = []
    for var in spec_variables():
        years = panel.series(code, var.measure).index
        if len(years):
            used = int(min(years, key=lambda y: (abs(y - var.year), y > var.year)))
            if panel.is_filled(code, used, var.measure):
                out.append(var.name)
    return out


def _citation(dataset: str) -> str:
    try:
        return catalogue.get(dataset).citation
    except LookupError:
        return dataset


def _feature_datasets() -> list[str]:
    return sorted({measures()[v.measure].dataset for v in spec_variables()})
