"""The stock-flow forecast combined with persistence, a weight per horizon learnt by rolling
origin.

At fit, the stock-flow model is refitted at every earlier origin o (data up to o only) and
its h-year forecasts compared with what followed up to the origin; for each horizon the
weight w_h on the model in the geometric combination ``model^w * last value^(1 - w)`` that
minimises the councils' mean absolute percentage error is kept (grid ``weight_step``; a
horizon with fewer than ``min_origins`` earlier origins takes the previous horizon's weight,
and the first horizon 1, the model alone). With ``keep_england_level`` the combined council
figures are rescaled to add up to the model's England total, so only the split between
councils moves towards persistence and England keeps the model's national level.

The combination is a fixed multiplicative adjustment of each council's stock (combined /
model mean, the mean of a fixed-seed projection at fit), applied to any projection, so
scenario levers keep their effect: ``project(h, rates=...)`` moves the scenario's draws by
the same factors as the baseline's. Ceased is recomputed so stock_t = stock_{t-1} +
starts_t - ceased_t holds in every draw; UASC and the rest move together so they still add
up to the total.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from carecast import params
from carecast.model.adjust import recentre
from carecast.model.council import CouncilData, CouncilForecast, CouncilModel, CouncilRates
from carecast.model.panel import COUNCIL_ARRAYS

_EARLIER: dict[str, np.ndarray] = {}  # earlier-origin forecasts, by data and settings

_SETTINGS = ("weight_step", "min_origins", "inner_draws", "max_weight_horizon",
             "keep_england_level")


def combine(model: np.ndarray, last: np.ndarray, weight: float, keep_total: bool
            ) -> np.ndarray:
    """model^weight x last^(1 - weight) per council (the model where either is missing or
    zero); with ``keep_total``, rescaled so the councils add up to the model's total."""
    ok = np.isfinite(model) & np.isfinite(last) & (model > 0) & (last > 0)
    out = np.where(ok, np.where(ok, model, 1) ** weight * np.where(ok, last, 1) ** (1 - weight),
                   model)
    if keep_total:
        out = out * np.nansum(model) / np.nansum(out)
    return out


def _ape(forecast: np.ndarray, actual: np.ndarray) -> np.ndarray:
    ok = np.isfinite(forecast) & np.isfinite(actual) & (actual > 0)
    return np.abs(forecast[ok] - actual[ok]) / actual[ok]


def _last(stock: np.ndarray) -> np.ndarray:
    """Each council's last published count (NaN if it never published one)."""
    idx = np.where(np.isfinite(stock), np.arange(stock.shape[1]), -1).max(1)
    return np.where(idx >= 0, stock[np.arange(len(stock)), np.maximum(idx, 0)], np.nan)


class CombinedModel:
    """Stock-flow model moved towards persistence by rolling-origin weights; see the module.

    Settings left as None take their value from ``model.combined_forecast``;
    ``stock_flow`` (a dict of :class:`CouncilModel` keywords) configures the model.
    """

    def __init__(self, *, weight_step: float | None = None, min_origins: int | None = None,
                 inner_draws: int | None = None, max_weight_horizon: int | None = None,
                 keep_england_level: bool | None = None,
                 stock_flow: dict[str, Any] | None = None, n_draws: int = 1000,
                 random_state: int = 0, name: str = "stock_flow_combined") -> None:
        self.weight_step = weight_step
        self.min_origins = min_origins
        self.inner_draws = inner_draws
        self.max_weight_horizon = max_weight_horizon
        self.keep_england_level = keep_england_level
        self.stock_flow = stock_flow
        self.n_draws = n_draws
        self.random_state = random_state
        self.name = name

    def _resolved(self) -> dict[str, float]:
        defaults = dict(params.value("model.combined_forecast"))
        return {k: getattr(self, k) if getattr(self, k) is not None else defaults[k]
                for k in _SETTINGS}

    def _base(self) -> CouncilModel:
        return CouncilModel(**(self.stock_flow or {}), n_draws=self.n_draws,
                            random_state=self.random_state)

    def _centre(self, model: CouncilModel, horizon: int, draws: int) -> np.ndarray:
        """The model's mean stock (councils, horizon) from a fixed-seed projection."""
        return model.project(horizon, n_draws=draws, random_state=0).draws[
            "cla_at_31_march"].mean(0)

    def _earlier(self, data: CouncilData, origin: int, horizon: int, draws: int) -> np.ndarray:
        """The stock-flow model's mean forecast from an earlier origin, on data up to it.

        It depends only on those data and the settings, so it is memoised on both: the
        backtest's later origins and repeated fits of one release reuse it."""
        model = self._base()
        known = data.until(origin)
        digest = hashlib.sha256(repr((model._resolved(), params.value("model.uasc_forecast"),
                                      params.value("model.regimes"), model.max_horizon,
                                      origin, horizon, draws)).encode())
        for name in ("codes", "years", *COUNCIL_ARRAYS, "national_years"):
            digest.update(np.ascontiguousarray(getattr(known, name)).tobytes())
        for name in sorted(known.national):
            digest.update(np.ascontiguousarray(known.national[name]).tobytes())
        key = digest.hexdigest()
        if key not in _EARLIER:
            if len(_EARLIER) >= 512:
                _EARLIER.clear()
            _EARLIER[key] = self._centre(model.fit(known, origin), horizon, draws)
        return _EARLIER[key].copy()

    def fit(self, data: CouncilData, origin: int | None = None) -> CombinedModel:
        """Fit the stock-flow model at ``origin`` and learn the weights from earlier origins."""
        s = self._resolved()
        origin = int(data.years.max()) if origin is None else int(origin)
        self.stock_flow_ = self._base().fit(data, origin)
        d = data.until(origin)
        reach = int(s["max_weight_horizon"])
        inner = [int(o) for o in d.years[3:] if o < origin]  # the model needs four years
        forecasts = {o: self._earlier(d, o, reach, int(s["inner_draws"])) for o in inner}
        year = {int(y): i for i, y in enumerate(d.years)}
        grid = np.linspace(0.0, 1.0, int(round(1 / float(s["weight_step"]))) + 1)
        weights = np.ones(reach)
        keep = bool(s["keep_england_level"])
        for h in range(1, reach + 1):
            pairs = [o for o in inner if o + h <= origin]
            if len(pairs) < int(s["min_origins"]):
                weights[h - 1] = weights[h - 2] if h > 1 else 1.0
                continue
            cases = [(forecasts[o][:, h - 1], _last(d.stock[:, : year[o] + 1]),
                      d.stock[:, year[o + h]]) for o in pairs]
            ape = [np.mean(np.concatenate([_ape(combine(m, last, w, keep), a)
                                           for m, last, a in cases])) for w in grid]
            weights[h - 1] = grid[int(np.argmin(ape))]
        self.weights_ = weights
        self.origins_ = inner
        centre = self._centre(self.stock_flow_, self.stock_flow_.max_horizon,
                              int(s["inner_draws"]))
        held = np.r_[weights, np.full(centre.shape[1] - reach, weights[-1])]
        last = self.stock_flow_.rates_.stock0
        target = np.stack([combine(centre[:, h], last, held[h], keep)
                           for h in range(centre.shape[1])], axis=1)
        ok = (centre > 0) & np.isfinite(target) & (target > 0)
        self.log_adjustment_ = np.where(ok, np.log(np.where(ok, target, 1) /
                                                   np.where(ok, centre, 1)), 0.0)
        self.codes_ = self.stock_flow_.rates_.codes
        self.origin_ = origin
        self.settings_ = s
        return self

    @property
    def rates_(self) -> CouncilRates:
        """The stock-flow model's rates: what scenarios change and pass to ``project``."""
        return self.stock_flow_.rates_

    @property
    def max_horizon(self) -> int:
        return self.stock_flow_.max_horizon

    def project(self, horizon: int, *, rates: CouncilRates | None = None,
                n_draws: int | None = None, random_state: int | None = None
                ) -> CouncilForecast:
        """The stock-flow draws (of ``rates`` if given) moved by the learnt factors; pure and
        deterministic given a seed."""
        if not hasattr(self, "log_adjustment_"):
            raise RuntimeError("call fit() before project()")
        base = self.stock_flow_.project(horizon, rates=rates, n_draws=n_draws,
                                        random_state=random_state)
        r = self.rates_ if rates is None else rates
        return recentre(base, r.stock0, self.codes_, self.log_adjustment_, self.name)

