"""Pooled direct regression of the h-year change in stock, blended with the stock-flow model.

For every origin o <= T - h in the data up to origin T, a ridge regression (one per horizon h,
pooled across councils and origins, expanding window) learns log(stock_{o+h} / stock_o) from
features computed on data up to o only: recent log changes in stock, last year's net flow and
entry / exit intensity, growth in starts, and the council's log rate of children in care (and
of starts) against England's and its region's median. Its forecast log change at T is ``P``.

The blended centre for each council and horizon is

    log c = (1 - level_weight) * log SF + level_weight * (log stock_T + P)
            + relative_weight * (P - median over councils of P)

where SF is the stock-flow model's mean (of a fixed-seed baseline projection, so the move is
a factor fixed at fit and scenario projections keep their levers' effect).
``level_weight=1, relative_weight=0`` is the direct model alone; the default
(``level_weight=0``) keeps the stock-flow model's England-wide level and adds only the
regression's cross-council signal (mainly mean reversion of high and low rates), because the
common level is a single number a year that ~10 origins cannot estimate (see
docs/forecasting.md). Draws are the stock-flow model's joint draws moved to the new centre,
so intervals keep its calibration and England stays a sum of joint draws; ceased is
recomputed so stock_t = stock_{t-1} + starts_t - ceased_t holds in every draw.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from carecast import params
from carecast.model.adjust import recentre
from carecast.model.council import CouncilData, CouncilForecast, CouncilModel, CouncilRates

_SETTINGS = ("alpha", "features", "level_weight", "relative_weight", "max_fit_horizon",
             "centre_draws")


def _fill(a: np.ndarray) -> np.ndarray:
    """Carry the last published value forward (never backward)."""
    return pd.DataFrame(a).ffill(axis=1).to_numpy()


def _median_gap(x: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
    """x minus the median of x over all councils (or over each council's group)."""
    if groups is None:
        return x - np.nanmedian(x)
    out = np.full_like(x, np.nan)
    for g in np.unique(groups):
        m = groups == g
        if np.isfinite(x[m]).any():
            out[m] = x[m] - np.nanmedian(x[m])
    return out


def features(data: CouncilData, origin: int) -> pd.DataFrame:
    """Features of every council at ``origin`` from data published up to ``origin`` only."""
    d = data.until(origin)
    if len(d.years) < 4:
        raise ValueError("features need at least four years of data up to the origin")
    stock = np.clip(_fill(d.stock), 1, None)
    pop = _fill(d.population)[:, -1]
    log_stock = np.log(stock)
    starts, ceased = np.clip(d.starts[:, -2:], 1, None), d.ceased[:, -1]
    return pd.DataFrame({
        "d1": log_stock[:, -1] - log_stock[:, -2],
        "d2": log_stock[:, -2] - log_stock[:, -3],
        "net": (d.starts[:, -1] - ceased) / stock[:, -1],
        "dstart": np.log(starts[:, 1] / starts[:, 0]),
        "rate_gap": _median_gap(np.log(stock[:, -1] / pop)),
        "rate_gap_reg": _median_gap(np.log(stock[:, -1] / pop), d.regions),
        "srate_gap": _median_gap(np.log(starts[:, 1] / pop)),
        "start_int": d.starts[:, -1] / stock[:, -1],
        "ceas_int": ceased / stock[:, -1],
    }, index=d.codes)


class PooledModel:
    """Stock-flow model re-centred by a pooled direct regression; see the module docstring.

    Settings left as None take their value from ``model.pooled_forecast``; ``stock_flow``
    settings (a dict of :class:`CouncilModel` keywords) configure the model it blends with.
    """

    def __init__(self, *, alpha: float | None = None, features: list[str] | None = None,
                 level_weight: float | None = None, relative_weight: float | None = None,
                 max_fit_horizon: int | None = None, centre_draws: int | None = None,
                 stock_flow: dict | None = None,
                 n_draws: int = 1000, random_state: int = 0,
                 name: str = "stock_flow_pooled") -> None:
        self.alpha = alpha
        self.features = features
        self.level_weight = level_weight
        self.relative_weight = relative_weight
        self.max_fit_horizon = max_fit_horizon
        self.centre_draws = centre_draws
        self.stock_flow = stock_flow
        self.n_draws = n_draws
        self.random_state = random_state
        self.name = name

    def _resolved(self) -> dict:
        defaults = dict(params.value("model.pooled_forecast"))
        return {k: getattr(self, k) if getattr(self, k) is not None else defaults[k]
                for k in _SETTINGS}

    def fit(self, data: CouncilData, origin: int | None = None) -> PooledModel:
        """Fit the stock-flow model and one ridge per horizon on data up to ``origin``."""
        s = self._resolved()
        origin = int(data.years.max()) if origin is None else int(origin)
        self.stock_flow_ = CouncilModel(**(self.stock_flow or {}), n_draws=self.n_draws,
                                        random_state=self.random_state).fit(data, origin)
        d = data.until(origin)
        first = int(d.years.min()) + 3
        cols = list(s["features"])
        table = {o: features(d, o)[cols].to_numpy() for o in range(first, origin + 1)}
        stock = np.clip(_fill(d.stock), 1, None)
        year = {int(y): i for i, y in enumerate(d.years)}
        change = np.full((len(d.codes), int(s["max_fit_horizon"])), np.nan)
        for h in range(1, int(s["max_fit_horizon"]) + 1):
            pairs = [o for o in range(first, origin - h + 1)]
            if not pairs:
                break
            x = np.vstack([table[o] for o in pairs])
            after = np.concatenate([d.stock[:, year[o + h]] for o in pairs])
            y = np.log(np.where(after > 0, after, np.nan)) - np.log(
                np.concatenate([stock[:, year[o]] for o in pairs]))
            ok = np.isfinite(y)
            centre = np.nanmean(x[ok], axis=0)
            centre = np.where(np.isfinite(centre), centre, 0.0)
            reg = make_pipeline(StandardScaler(), Ridge(alpha=float(s["alpha"])))
            reg.fit(np.where(np.isfinite(x[ok]), x[ok], centre), y[ok])
            now = table[origin]
            change[:, h - 1] = reg.predict(np.where(np.isfinite(now), now, centre))
        self.fitted_horizons_ = int(np.isfinite(change[0]).sum())
        if self.fitted_horizons_ == 0:
            raise ValueError(f"origin {origin} leaves no training pairs for the regression")
        self.log_change_ = change[:, : self.fitted_horizons_]
        self.stock0_ = stock[:, -1].copy()
        self.codes_ = d.codes.copy()
        self.origin_ = origin
        self.settings_ = s
        self.log_adjustment_ = self._adjustment(self.stock_flow_.max_horizon)
        return self

    def _adjustment(self, horizon: int) -> np.ndarray:
        """log(blended centre / stock-flow centre) per council and year ahead, fixed at fit:
        the stock-flow centre is the mean of a fixed-seed baseline projection, so scenario
        projections are moved by the same factors. Beyond the longest horizon with training
        pairs the regression's change is held at that horizon's value."""
        s = self.settings_
        steps = np.minimum(np.arange(horizon), self.fitted_horizons_ - 1)
        p = self.log_change_[:, steps]
        centre = self.stock_flow_.project(horizon, n_draws=int(s["centre_draws"]),
                                          random_state=0).draws["cla_at_31_march"].mean(0)
        log_sf = np.log(np.clip(centre, 1e-9, None))
        lam, w = float(s["level_weight"]), float(s["relative_weight"])
        target = ((1 - lam) * log_sf + lam * (np.log(self.stock0_)[:, None] + p)
                  + w * (p - np.median(p, axis=0)))
        return target - log_sf

    @property
    def rates_(self) -> CouncilRates:
        """The stock-flow model's rates: what scenarios change and pass to ``project``."""
        return self.stock_flow_.rates_

    def project(self, horizon: int, *, rates: CouncilRates | None = None,
                n_draws: int | None = None, random_state: int | None = None
                ) -> CouncilForecast:
        """Stock-flow draws (of ``rates`` if given) moved by the factors fixed at fit; pure
        and deterministic given a seed."""
        if not hasattr(self, "log_adjustment_"):
            raise RuntimeError("call fit() before project()")
        base = self.stock_flow_.project(horizon, rates=rates, n_draws=n_draws,
                                        random_state=random_state)
        r = self.rates_ if rates is None else rates
        return recentre(base, r.stock0, self.codes_, self.log_adjustment_, self.name)
