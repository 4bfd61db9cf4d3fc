"""Each council's published placement mix and its trend, with uncertainty, from public data.

Children at 31 March are counted by placement group (``placements.categories``: the DfE
groups summed into fostering, residential, supported, placed with parents, placed for
adoption and other). For council i and each group g other than fostering, the log ratio
``log((n_g + 0.5) / (n_fostering + 0.5))`` is fitted by least squares over
``placements.demand`` ``mix_years``: a level at the last year and a slope, each with its
sampling variance. Groups in ``trend_together`` (supported accommodation and other, which
DfE's 2024 figures reclassified) share one trend and split by the last year's shares.
Level and slope are shrunk towards the mean of the council's statistical neighbours
(DfE/NFER 2025) by empirical Bayes, so a small council's noisy five-year slope leans on
similar councils. A draw takes level and slope from their posterior normals, adds one
year's residual noise, damps the trend and turns the log ratios into shares (softmax), so
every draw's shares sum to 1.

Suppressed cells (DfE's ``c``, counts of 1 to 4) share out the difference between the
published total and the known cells. Ages within each group, which DfE does not publish
crossed with placement, come from the costs engine's joint of the council's age mix and
these shares (:func:`age_given_group`).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from carecast import params
from carecast.benchmark import neighbours
from carecast.costs.mix import council_mix, ipf
from carecast.data import categories, store
from carecast.data.workspace import Workspace

FILL_MAX = 4.0  # a suppressed count is 1 to 4


def settings() -> dict:
    return dict(params.value("placements.demand"))


def _filled(values: pd.DataFrame, parts: list[str], total: str) -> pd.DataFrame:
    """Counts of ``parts`` with suppressed (missing) cells given an equal share of what the
    published ``total`` leaves, capped at a suppressed count's maximum."""
    known = values[parts]
    missing = known.isna()
    rest = (values[total] - known.sum(axis=1, min_count=1)).clip(lower=0)
    each = (rest / missing.sum(axis=1).replace(0, np.nan)).clip(upper=FILL_MAX)
    filled = known.mask(missing, np.broadcast_to(each.to_numpy()[:, None], known.shape))
    return filled.where(values[total].notna())


def group_counts(ws: Workspace, codes: np.ndarray, years: list[int]) -> np.ndarray:
    """Children at 31 March by group, (councils, years, groups); NaN where unpublished."""
    panel = store.la_panel(ws).values
    measures = categories.published_groups()
    groups = categories.names("group")
    index = pd.MultiIndex.from_product([codes, years], names=["area_code", "year"])
    values = panel.reindex(index)
    counts = _filled(values, list(measures), "cla_placement_total")
    out = np.zeros((len(codes), len(years), len(groups)))
    for measure, group in measures.items():
        out[..., groups.index(group)] += counts[measure].to_numpy().reshape(len(codes),
                                                                            len(years))
    return out


def _ols(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, ...]:
    """Level at x = 0 and slope of y (..., T) on x (T,), NaNs skipped, with sampling
    variances and the residual variance (pooled across rows where too few points)."""
    ok = np.isfinite(y)
    n = ok.sum(-1)
    xs = np.where(ok, x, 0.0)
    xm = xs.sum(-1) / np.maximum(n, 1)
    ym = np.where(ok, y, 0.0).sum(-1) / np.maximum(n, 1)
    dx = np.where(ok, x - xm[..., None], 0.0)
    sxx = (dx ** 2).sum(-1)
    slope = np.where(sxx > 0, (dx * np.where(ok, y - ym[..., None], 0.0)).sum(-1)
                     / np.maximum(sxx, 1e-12), 0.0)
    level = ym - slope * xm
    resid = np.where(ok, y - (level[..., None] + slope[..., None] * x), 0.0)
    df = np.maximum(n - 2, 0)
    s2 = np.where(df > 0, (resid ** 2).sum(-1) / np.maximum(df, 1), np.nan)
    pooled = np.nanmedian(s2, axis=0, keepdims=True)
    pooled = np.where(np.isfinite(pooled), pooled, 0.05)
    s2 = (np.nan_to_num(s2) * df + 4 * pooled) / (df + 4)  # 4 df of prior towards the pool
    v_slope = np.where(sxx > 0, s2 / np.maximum(sxx, 1e-12), np.inf)
    v_level = np.where(n > 0, s2 * (1 / np.maximum(n, 1) + np.where(sxx > 0, xm ** 2 / np.maximum(
        sxx, 1e-12), 0.0)), np.inf)
    level = np.where(n > 0, level, np.nan)
    return level, slope, v_level, v_slope, s2


def _shrink(theta: np.ndarray, var: np.ndarray, peers: list[np.ndarray]
            ) -> tuple[np.ndarray, np.ndarray]:
    """Empirical Bayes towards each council's neighbours' mean estimate; (councils, k)."""
    prior = np.array([np.nanmean(theta[p], axis=0) if len(p) else np.full(theta.shape[1],
                                                                           np.nan)
                      for p in peers])
    prior = np.where(np.isfinite(prior), prior, np.nanmean(theta, axis=0))
    gap = theta - prior
    finite = np.isfinite(gap) & np.isfinite(var)
    tau2 = np.array([max(np.nanvar(np.where(finite[:, k], gap[:, k], np.nan))
                         - np.nanmean(np.where(finite[:, k], var[:, k], np.nan)), 1e-4)
                     for k in range(theta.shape[1])])
    weight = np.where(finite, tau2 / (tau2 + np.where(finite, var, 0.0)), 0.0)
    post = prior + weight * np.nan_to_num(gap)
    post_var = np.where(finite, weight * np.where(finite, var, 0.0), tau2)
    return post, post_var


@dataclass(frozen=True)
class MixTrend:
    """Fitted log-ratio levels and slopes (councils, parts - 1) of the trend's parts (the
    first is fostering, the reference), and each group's share of its part (councils,
    groups) in the last year; ``groups`` are in ``categories.names('group')`` order."""

    codes: np.ndarray
    groups: tuple[str, ...]
    part_of: np.ndarray
    split: np.ndarray
    last_year: int
    level: np.ndarray
    slope: np.ndarray
    v_level: np.ndarray
    v_slope: np.ndarray
    s2: np.ndarray
    damping: float

    def _steps(self, horizon: int) -> np.ndarray:
        return np.cumsum(self.damping ** np.arange(1, horizon + 1))

    def _groups(self, parts: np.ndarray) -> np.ndarray:
        """Part shares (..., councils, horizon, parts) -> group shares (..., groups)."""
        return parts[..., self.part_of] * self.split[:, None, :]

    def mean_shares(self, horizon: int) -> np.ndarray:
        """Shares at the centre of the trend, (councils, horizon, groups)."""
        z = self.level[:, None] + self.slope[:, None] * self._steps(horizon)[None, :, None]
        return self._groups(_softmax(z))

    def draw_shares(self, horizon: int, n_draws: int, seed: int) -> np.ndarray:
        """Shares per draw, (draws, councils, horizon, groups); each draw sums to 1. Each
        council has its own random stream, so its draws do not depend on which other
        councils are drawn with it."""
        k = self.level.shape[1]
        normal = np.stack([council_rng(seed, 11, str(c)).standard_normal((n_draws, 2 + horizon, k))
                           for c in self.codes], axis=1)             # (draws, c, 2 + h, k)
        level = self.level + np.sqrt(self.v_level) * normal[:, :, 0]
        slope = self.slope + np.sqrt(self.v_slope) * normal[:, :, 1]
        noise = np.sqrt(self.s2)[None, :, None] * normal[:, :, 2:]
        z = level[:, :, None] + slope[:, :, None] * self._steps(horizon)[None, None, :, None]
        return self._groups(_softmax(z + noise))

    def take(self, idx: np.ndarray) -> MixTrend:
        """The trends of some councils only (fitted with all, so shrinkage is the same)."""
        return replace(self, codes=self.codes[idx], split=self.split[idx], level=self.level[idx],
                       slope=self.slope[idx], v_level=self.v_level[idx],
                       v_slope=self.v_slope[idx], s2=self.s2[idx])


def council_rng(seed: int, stream: int, code: str) -> np.random.Generator:
    """A random stream per council and purpose, stable across runs and council sets."""
    key = int(code) if code.isdigit() else zlib.crc32(code.encode("utf-8"))
    return np.random.default_rng([seed, stream, key])


def _softmax(z: np.ndarray) -> np.ndarray:
    """Shares from log ratios against the reference group, which comes first."""
    full = np.concatenate([np.zeros((*z.shape[:-1], 1)), z], axis=-1)
    full = np.exp(full - full.max(-1, keepdims=True))
    return full / full.sum(-1, keepdims=True)


def fit(ws: Workspace, codes: np.ndarray) -> MixTrend:
    """The mix trend of each council in ``codes`` (see the module docstring)."""
    s = settings()
    years = [int(y) for y in s["mix_years"]]
    groups = categories.names("group")
    together = [list(t) for t in s["trend_together"]]
    parts = [["fostering"]] + [t for t in together] + [
        [g] for g in groups if g != "fostering" and not any(g in t for t in together)]
    part_of = np.array([next(i for i, p in enumerate(parts) if g in p) for g in groups])
    counts = group_counts(ws, codes, years)                           # (councils, T, G)
    by_part = np.stack([counts[..., part_of == i].sum(-1) for i in range(len(parts))], -1)
    last = counts[:, -1]
    part_total = by_part[:, -1][:, part_of]
    size = np.array([len(parts[i]) for i in part_of], float)
    split = np.where(part_total > 0, last / np.where(part_total > 0, part_total, 1), 1 / size)
    split = np.where(np.isfinite(split), split, 1 / size)
    y = np.log((by_part[..., 1:] + 0.5) / (by_part[..., :1] + 0.5))  # (councils, T, parts-1)
    x = np.array(years, float) - years[-1]
    level, slope, v_level, v_slope, s2 = _ols(np.moveaxis(y, 1, -1), x)
    position = {c: i for i, c in enumerate(codes)}
    lists = neighbours.official_lists()
    peers = [np.array([position[n] for n in lists.get(str(c), []) if n in position], int)
             for c in codes]
    level, v_level = _shrink(level, v_level, peers)
    slope, v_slope = _shrink(slope, v_slope, peers)
    return MixTrend(codes=np.asarray(codes), groups=groups, part_of=part_of, split=split,
                    last_year=years[-1], level=level, slope=slope, v_level=v_level,
                    v_slope=v_slope, s2=s2, damping=float(s["trend_damping"]))


def age_given_group(shares: np.ndarray, codes: np.ndarray, groups: tuple[str, ...]
                    ) -> np.ndarray:
    """P(age band | group), (councils, years, groups, bands): the costs engine's joint of
    each council's age mix and these group shares (councils, years, groups), by iterative
    proportional fitting with the legal zeros (:mod:`carecast.costs.mix`), so demand and
    costs split ages alike."""
    published = council_mix(codes)
    if tuple(published.categories) != tuple(groups):
        raise ValueError("costs.mix and the placement groups disagree on categories")
    n, h, g = shares.shape
    zeros = params.value("costs.age_placement_zeros")
    seed = np.ones((len(published.age_bands), g))
    for group, bands in zeros.items():
        for band in bands:
            seed[published.age_bands.index(band), groups.index(group)] = 0.0
    age = np.repeat(published.age, h, axis=0)                            # (n * h, bands)
    joint = ipf(age, shares.reshape(n * h, g), seed)                      # (n * h, bands, g)
    total = joint.sum(1, keepdims=True)
    given = np.divide(joint, total, out=np.broadcast_to(seed / seed.sum(0), joint.shape)
                      .copy(), where=total > 0)
    return np.moveaxis(given.reshape(n, h, *given.shape[1:]), 2, 3)
