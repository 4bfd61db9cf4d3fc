"""Each council's children at 31 March by placement category and age band, as shares.

DfE publishes, per council, the placement mix and the age mix at 31 March but not the two
crossed. :func:`joint` joins them by iterative proportional fitting (Deming and Stephan,
1940): the table closest to independence that reproduces both published mixes and keeps
the legal zeros of ``costs.age_placement_zeros`` (no supported accommodation under 16).
Shares are pooled over the ``costs.placement_mix_years`` latest years up to an origin;
a council with none published takes England's.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from carecast import params
from carecast.data import bundled
from carecast.data import categories as _categories
from carecast.data.councils import ENGLAND


@dataclass(frozen=True)
class Mix:
    """Shares per council: ``placement`` (councils, categories), ``age`` (councils, bands)
    and their ``joint`` (councils, bands, categories), each summing to 1 per council."""

    codes: np.ndarray
    categories: tuple[str, ...]
    age_bands: tuple[str, ...]
    placement: np.ndarray
    age: np.ndarray
    joint: np.ndarray
    years: tuple[int, ...]

    def placement_of(self, category: str) -> np.ndarray:
        return self.placement[:, self.categories.index(category)]

    def by_age(self, bands: list[str]) -> np.ndarray:
        """Placement mix (councils, categories) of children in ``bands`` only."""
        idx = [self.age_bands.index(b) for b in bands]
        part = self.joint[:, idx].sum(axis=1)
        total = part.sum(axis=1, keepdims=True)
        return np.divide(part, total, out=self.placement.copy(), where=total > 0)


def categories() -> tuple[str, ...]:
    """Placement categories children are costed in: the groups of the category hierarchy
    (``placements.categories``, :mod:`carecast.data.categories`)."""
    return _categories.names("group")


def age_bands() -> dict[str, str]:
    """Short age band name -> DfE's 31 March age group label."""
    return dict(params.value("scenarios.segments")["age"])


def _years(table: pd.DataFrame, origin: int | None, n: int) -> tuple[int, ...]:
    published = sorted(int(y) for y in table["year"].unique())
    usable = [y for y in published if origin is None or y <= origin] or published[:n]
    return tuple(usable[-n:])


def _shares(table: pd.DataFrame, codes: np.ndarray, group: str,
            labels: dict[str, list[str]]) -> np.ndarray:
    rows = table[table["cla_group"] == group]
    counts = rows.groupby(["area_code", "characteristic"])["number"].sum(min_count=1)
    counts = counts.unstack("characteristic")
    parts = pd.DataFrame({name: counts[[m for m in members if m in counts]].sum(axis=1)
                          for name, members in labels.items()})
    shares = parts.div(parts.sum(axis=1), axis=0).where(parts.sum(axis=1) > 0, axis=0)
    england = shares.loc[ENGLAND]
    return shares.reindex(codes).fillna(england).to_numpy(float)


def ipf(age: np.ndarray, placement: np.ndarray, seed: np.ndarray, sweeps: int = 200
        ) -> np.ndarray:
    """Joint shares (councils, bands, categories) with the given margins, from ``seed``
    (bands, categories; zeros stay zero)."""
    joint = np.broadcast_to(seed, (len(age), *seed.shape)).astype(float).copy()
    joint /= joint.sum(axis=(1, 2), keepdims=True)
    for _ in range(sweeps):
        rows = joint.sum(axis=2, keepdims=True)
        joint *= np.divide(age[:, :, None], rows, out=np.zeros_like(rows), where=rows > 0)
        cols = joint.sum(axis=1, keepdims=True)
        joint *= np.divide(placement[:, None, :], cols, out=np.zeros_like(cols), where=cols > 0)
    return joint / joint.sum(axis=(1, 2), keepdims=True)


Labels = tuple[tuple[str, tuple[str, ...]], ...]


@cache
def _mix(codes: tuple[str, ...], origin: int | None, n_years: int, by_cat: Labels,
         bands: Labels, zeros: Labels) -> Mix:
    table = bundled.read_table("cla_characteristics")
    table = table[(table["table"] == "at_31_march") & table["level"].isin(["la", "england"])]
    years = _years(table, origin, n_years)
    table = table[table["year"].isin(years)]
    arr = np.array(codes)
    cats = tuple(c for c, _ in by_cat)
    band_names = [b for b, _ in bands]
    placement = _shares(table, arr, "Placement", {c: list(m) for c, m in by_cat})
    age = _shares(table, arr, "Age group", {b: list(m) for b, m in bands})
    seed = np.ones((len(bands), len(cats)))
    for cat, banned in zeros:
        for band in banned:
            seed[band_names.index(band), cats.index(cat)] = 0.0
    return Mix(codes=arr, categories=cats, age_bands=tuple(band_names), placement=placement,
               age=age, joint=ipf(age, placement, seed), years=years)


def council_mix(codes: np.ndarray | list[str], origin: int | None = None) -> Mix:
    """Placement, age and joint shares for ``codes`` from years up to ``origin``.

    Parameters are read on every call (so overrides apply) and the work is cached on them.
    """
    groups = _categories.published_label_groups()
    by_cat = tuple((c, tuple(g for g, cat in groups.items() if cat == c))
                   for c in categories())
    bands = tuple((k, (v,)) for k, v in age_bands().items())
    zeros = tuple((c, tuple(b)) for c, b in params.value("costs.age_placement_zeros").items())
    return _mix(tuple(str(c) for c in codes), origin,
                int(params.value("costs.placement_mix_years")), by_cat, bands, zeros)
