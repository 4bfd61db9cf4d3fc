"""Children needing each group of home, by age band and year, from the forecast's own draws.

Two routes give the same :class:`Demand` (draws, councils, years, groups, bands):

- public data (:func:`public`): the default council forecast (``model.registry.make()``
  fitted on every council) gives children in care at 31 March per draw; each draw is split
  by that draw's placement shares (:mod:`carecast.placements.mix`: the council's mix and
  trend, shrunk towards its neighbours) and by age within each group. Groups and ages
  multiply a share vector that sums to 1, so types x ages add up to the forecast total in
  every draw, and England is the sum of councils within each draw.
- a 903 workspace (:func:`record_level`): the record-level multistate model at group level
  (states age x group); the 31 March stock of each state, summed into age bands, is the
  demand, so again it adds up to the model's own total in every draw.

Exported frames hide cells whose mean is a small number of children (the one rule,
:mod:`carecast.disclosure`); :meth:`Demand.to_frame` applies it to both routes, so every
export of demand hides small numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from carecast import params
from carecast.data import categories, councils, store
from carecast.data.errors import InputError
from carecast.data.workspace import Workspace
from carecast.model import load_council_data, registry
from carecast.model.records import N_AGES, MultistateModel, forecast_start
from carecast.model.schema import summarise
from carecast.placements import mix
from carecast.scenarios.run import STAT_COLUMNS, suppress

ALL = "all"


def summarise_draws(cube: np.ndarray) -> dict[str, np.ndarray]:
    """:func:`carecast.model.schema.summarise` with the quantiles taken in float32 (about
    twice as fast on these large cubes, and exact to far below a child); means in float64."""
    stats = summarise(cube.astype(np.float32))
    stats = {k: v.astype(float) for k, v in stats.items()}
    stats["mean"] = cube.mean(axis=0)
    return stats


def band_labels() -> tuple[str, ...]:
    """Age band labels (``ssda903.age_bands``: under 1, 1 to 4, 5 to 9, 10 to 15, 16+)."""
    return tuple(b["label"] for b in params.value("ssda903.age_bands"))


def _band_of_age() -> np.ndarray:
    """Band index of each single year of age 0-17."""
    bands = params.value("ssda903.age_bands")
    return np.array([next(i for i, b in enumerate(bands) if b["min"] <= a < b["max"])
                     for a in range(N_AGES)])


@dataclass(frozen=True)
class Demand:
    """Children at 31 March by group of home and age band, per joint draw.

    ``draws`` is (draws, councils, years, groups, bands); ``years`` end on 31 March.
    """

    codes: np.ndarray
    years: np.ndarray
    groups: tuple[str, ...]
    bands: tuple[str, ...]
    draws: np.ndarray
    source: str
    model: str
    notes: tuple[str, ...] = ()

    def total(self) -> np.ndarray:
        """Children in care per draw, (draws, councils, years)."""
        return self.draws.sum((3, 4))

    def by_group(self) -> np.ndarray:
        """(draws, councils, years, groups)."""
        return self.draws.sum(4)

    def select(self, code: str) -> Demand:
        """One council's demand."""
        idx = int(np.flatnonzero(self.codes == code)[0])
        return Demand(self.codes[idx:idx + 1], self.years, self.groups, self.bands,
                      self.draws[:, idx:idx + 1], self.source, self.model, self.notes)

    def to_frame(self) -> pd.DataFrame:
        """Tidy rows: la_code, period, group, age_band ('all' for totals), mean and 80%/95%
        intervals over draws; cells whose mean the small-number rule hides are blanked
        and flagged ``suppressed``."""
        d = self.draws
        n, h = len(self.codes), len(self.years)
        frames = []
        for group, band, cube in (
            (self.groups, self.bands, d),
            (self.groups, (ALL,), d.sum(4, keepdims=True)),
            ((ALL,), self.bands, d.sum(3, keepdims=True)),
            ((ALL,), (ALL,), d.sum((3, 4), keepdims=True)),
        ):
            stats = summarise_draws(cube)
            grid = pd.MultiIndex.from_product([self.codes, self.years, group, band],
                                              names=["la_code", "period", "group", "age_band"])
            frame = grid.to_frame(index=False)
            for key in STAT_COLUMNS:
                frame[key] = stats[key].reshape(n * h * len(group) * len(band))
            frames.append(frame)
        out = pd.concat(frames, ignore_index=True)
        out["period"] = out["period"].astype(int)
        out.insert(3, "group_label", [categories.label(g) if g != ALL else "All children"
                                      for g in out["group"]])
        return suppress(out, 1.0)


def _defaults(horizon: int | None, draws: int | None, seed: int | None) -> tuple[int, int, int]:
    """Horizon from ``placements.demand``; draws and seed the forecast's own defaults."""
    return (int(mix.settings()["horizon_years"] if horizon is None else horizon),
            int(params.value("model.draws") if draws is None else draws),
            int(params.value("model.seed") if seed is None else seed))


def public(ws: Workspace, codes: list[str] | None = None, *, horizon: int | None = None,
           draws: int | None = None, seed: int | None = None) -> Demand:
    """Demand from public data for ``codes`` (default: every council with a forecast)."""
    horizon, draws, seed = _defaults(horizon, draws, seed)
    model = registry.make(n_draws=draws, random_state=seed).fit(load_council_data(ws))
    forecast = model.project(horizon)
    idx = np.arange(len(forecast.codes))
    if codes is not None:
        wanted = [councils.lookup(c).code for c in codes]
        missing = [c for c in wanted if c not in set(forecast.codes)]
        if missing:
            raise LookupError(f"no published children-in-care series for council {missing}")
        idx = np.array([int(np.flatnonzero(forecast.codes == c)[0]) for c in wanted])
    chosen = forecast.codes[idx]
    total = forecast.draws["cla_at_31_march"][:, idx]                 # (draws, c, h)
    trend = mix.fit(ws, forecast.codes).take(idx)   # shrinkage uses every council
    shares = trend.draw_shares(horizon, draws, seed)                   # (draws, c, h, g)
    ages = mix.age_given_group(trend.mean_shares(horizon), chosen, trend.groups)  # (c, h, g, b)
    cube = total[..., None, None] * shares[..., None] * ages[None]
    return Demand(codes=chosen, years=forecast.years, groups=trend.groups,
                  bands=band_labels(), draws=cube, source="public",
                  model=forecast.model,
                  notes=("Placement mix: each council's 31 March mix 2020-2024 and its "
                         "trend, shrunk towards its statistical neighbours; ages within "
                         "each type joined to the published age mix as the costs engine "
                         "joins them (costs.mix, with the legal zeros).",))


def record_level(ws: Workspace, council: str | None = None, *, horizon: int | None = None,
                 draws: int | None = None, seed: int | None = None,
                 reference_days: int = 730) -> Demand:
    """Demand from the workspace's ingested 903 episodes (label: the council's code, or
    'workspace'), the record-level model at group level from 1 April after the latest
    return."""
    from carecast.data.ssda903.store import load_episodes

    horizon, draws, seed = _defaults(horizon, draws, seed)
    code = councils.lookup(council).code if council else "workspace"
    population = None
    if council:
        series = store.la_panel(ws).series(code, "pop_0_17")
        population = float(series.iloc[-1]) if len(series) else None
    episodes = load_episodes(ws)
    model = MultistateModel(reference_days=reference_days, n_draws=draws, random_state=seed,
                            population=population, category_level="group")
    model.fit(episodes, end=forecast_start(episodes))
    start = model.rates_.start
    first = start.year + 1 if start.month >= 4 else start.year
    years = first + np.arange(horizon)
    months = (int(years[-1]) * 12 + 4) - (start.year * 12 + start.month)
    sim = model.project_draws(months)
    at = [int(np.flatnonzero(sim.dates == pd.Timestamp(int(y), 4, 1))[0]) for y in years]
    stock = sim.stock[at]                                            # (h, draws, ages, g)
    band = _band_of_age()
    cube = np.zeros((len(years), stock.shape[1], stock.shape[3], int(band.max()) + 1))
    for b in range(cube.shape[-1]):
        cube[..., b] = stock[:, :, band == b].sum(2)
    if not np.isfinite(cube).all():
        raise InputError("the record-level model gave no usable projection")
    cube = np.moveaxis(cube, 0, 1)[:, None]                         # (draws, 1, h, g, b)
    return Demand(codes=np.array([code]), years=years, groups=model.rates_.categories,
                  bands=band_labels(), draws=cube, source="ssda903", model=model.name,
                  notes=("Record-level multistate model on the ingested 903 returns, "
                         "states age x placement group.",))
