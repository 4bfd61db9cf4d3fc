"""Naive baselines the stock-flow model must beat: persistence and linear trend.

Each forecasts stock, starts, ceased and UASC at 31 March as separate series. Intervals come
from the baseline's own pooled log errors at the same horizon over the published history
(origins before the forecast origin only), so their coverage is tested like the model's.
"""

from __future__ import annotations

import numpy as np

from carecast.model.council import CouncilData, CouncilForecast

_SERIES = {"cla_at_31_march": "stock", "cla_started": "starts", "cla_ceased": "ceased",
           "cla_uasc_at_31_march": "uasc"}


class _Baseline:
    name = "baseline"

    def __init__(self, *, n_draws: int = 1000, random_state: int = 0) -> None:
        self.n_draws = n_draws
        self.random_state = random_state

    def _point(self, z: np.ndarray, end: int, horizon: int) -> np.ndarray:
        raise NotImplementedError

    def fit(self, data: CouncilData, origin: int | None = None) -> _Baseline:
        origin = int(data.years.max()) if origin is None else int(origin)
        self.data_ = data.until(origin)
        self.origin_ = origin
        return self

    def project(self, horizon: int, *, n_draws: int | None = None,
                random_state: int | None = None) -> CouncilForecast:
        d = self.data_
        n = self.n_draws if n_draws is None else n_draws
        rng = np.random.default_rng(self.random_state if random_state is None else random_state)
        end = len(d.years) - 1
        draws = {}
        series = (d.measures() if hasattr(d, "measures")  # other panels name their series
                  else {m: d.share_uasc * d.stock if a == "uasc" else getattr(d, a)
                        for m, a in _SERIES.items()})
        for measure, z in series.items():
            point = self._point(z, end, horizon)
            out = np.empty((n, len(d.codes), horizon))
            for h in range(1, horizon + 1):
                errs = [np.log(np.clip(z[:, t + h], 0.5, None)
                               / np.clip(self._point(z, t, h)[:, -1], 0.5, None))
                        for t in range(max(end - 8, 2), end - h + 1)]
                pool = np.concatenate(errs) if errs else np.zeros(1)
                pool = pool[np.isfinite(pool)]
                pool = pool if len(pool) else np.zeros(1)
                spread = np.exp(rng.choice(pool, size=(n, len(d.codes))))
                # Rescale so the mean over draws is exactly the baseline's point forecast.
                out[:, :, h - 1] = point[None, :, h - 1] * spread / spread.mean(axis=0)
            draws[measure] = np.nan_to_num(out)
        return CouncilForecast(codes=d.codes, years=self.origin_ + np.arange(1, horizon + 1),
                               draws=draws, model=self.name)


def _last(z: np.ndarray, end: int) -> np.ndarray:
    """Last non-missing value up to column ``end``."""
    cols = z[:, : end + 1]
    idx = np.where(np.isfinite(cols), np.arange(cols.shape[1]), -1).max(1)
    return np.where(idx >= 0, cols[np.arange(len(cols)), np.maximum(idx, 0)], np.nan)


class Persistence(_Baseline):
    """Every future year equals the last published year."""

    name = "persistence"

    def _point(self, z: np.ndarray, end: int, horizon: int) -> np.ndarray:
        return np.repeat(_last(z, end)[:, None], horizon, axis=1)


class LinearTrend(_Baseline):
    """Ordinary least-squares line through the last ``window`` years, floored at zero."""

    name = "linear_trend"

    def __init__(self, *, window: int = 5, n_draws: int = 1000, random_state: int = 0) -> None:
        super().__init__(n_draws=n_draws, random_state=random_state)
        self.window = window

    def _point(self, z: np.ndarray, end: int, horizon: int) -> np.ndarray:
        cols = z[:, max(0, end - self.window + 1): end + 1]
        x = np.arange(cols.shape[1], dtype=float)
        ok = np.isfinite(cols)
        n = ok.sum(1)
        xm = np.where(ok, x, 0).sum(1) / np.maximum(n, 1)
        ym = np.where(ok, cols, 0).sum(1) / np.maximum(n, 1)
        dx = np.where(ok, x - xm[:, None], 0)
        sxx = (dx ** 2).sum(1)
        slope = np.where(sxx > 0, (dx * np.where(ok, cols - ym[:, None], 0)).sum(1)
                         / np.maximum(sxx, 1e-12), 0.0)
        ahead = x[-1] + np.arange(1, horizon + 1)
        return np.clip(ym[:, None] + slope[:, None] * (ahead[None] - xm[:, None]), 0, None)
