"""Council-level stock-flow forecast of children looked after, pooled across councils.

Years end on 31 March. For council i and year t:

- entries_t = exp(log entry rate_t) * population 0-17 (ONS mid-(t-1), the DfE convention);
- exits_t = exp(log exit hazard_t) * (stock_{t-1} + exit_fraction * entries_t);
- stock_t = stock_{t-1} + entries_t - exits_t, exactly, in every simulated draw.

The exits modelled are the *net* outflow implied by published stocks and starts (DfE's
published 'ceased' counts differ by about 0.5% of the stock a year). Log rates are forecast
from an exponentially weighted recent level plus a damped trend, both shrunk towards the
council's region by empirical Bayes. Uncertainty comes from the panel's own multi-step
forecast errors: transient noise (larger for small councils), an idiosyncratic random walk
and a walk common to all councils (so England = sum of councils has honest width). The
interval scale is calibrated by backtest (see ``parameters/model/council_forecast.yaml``).

Scenarios change a deep copy of :class:`CouncilRates` (``fitted.rates_``), e.g.
``rates.scaled(entry=0.9)`` for 10% fewer entries, and pass it to ``project(rates=...)``.
Entry changes never touch exit hazards.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from carecast import params
from carecast.data import bundled, store
from carecast.data.workspace import Workspace
from carecast.model.schema import point_frame, summarise
from carecast.model.simulate import log_rate_draws, stock_flow

ENGLAND = "E92000001"
@dataclass(frozen=True)
class CouncilData:
    """Council x year arrays (NaN where missing) of the published series the model uses."""

    codes: np.ndarray
    regions: np.ndarray
    years: np.ndarray
    stock: np.ndarray
    starts: np.ndarray
    ceased: np.ndarray
    population: np.ndarray

    def until(self, origin: int) -> CouncilData:
        """Only what was published by ``origin`` (years ending 31 March <= origin)."""
        keep = self.years <= origin
        return replace(
            self, years=self.years[keep], stock=self.stock[:, keep],
            starts=self.starts[:, keep], ceased=self.ceased[:, keep],
            population=self.population[:, keep],
        )

    def select(self, codes: list[str]) -> CouncilData:
        idx = [int(np.flatnonzero(self.codes == c)[0]) for c in codes]
        return replace(
            self, codes=self.codes[idx], regions=self.regions[idx], stock=self.stock[idx],
            starts=self.starts[idx], ceased=self.ceased[idx], population=self.population[idx],
        )


def load_council_data(ws: Workspace) -> CouncilData:
    """The harmonised council panel as arrays (153 current councils)."""
    values = store.la_panel(ws).values
    councils = bundled.read_table("councils").set_index("code")
    wide = {
        m: values[m].unstack("year").sort_index(axis=1)
        for m in ("cla_at_31_march", "cla_started", "cla_ceased", "pop_0_17", "pop_0_17_mid_year")
    }
    stock = wide["cla_at_31_march"]
    stock = stock.loc[:, stock.notna().any()]
    years = stock.columns.to_numpy(dtype=int)
    frames = {k: v.reindex(index=stock.index, columns=years) for k, v in wide.items()}
    # pop_0_17 for year t is ONS mid-(t-1); fill gaps from the mid-year series shifted a year.
    population = frames["pop_0_17"].fillna(
        wide["pop_0_17_mid_year"].reindex(index=stock.index)
        .rename(columns=lambda y: y + 1).reindex(columns=years)
    )
    codes = stock.index.to_numpy(dtype=str)
    return CouncilData(
        codes=codes, regions=councils.loc[codes, "region_code"].to_numpy(dtype=str),
        years=years, stock=stock.to_numpy(float), starts=frames["cla_started"].to_numpy(float),
        ceased=frames["cla_ceased"].to_numpy(float), population=population.to_numpy(float),
    )


@dataclass(frozen=True)
class CouncilRates:
    """Everything a projection needs; copy it, change it, pass it to ``project``.

    Arrays are (councils,) or (councils, max_horizon); column h is year origin + h + 1.
    """

    codes: np.ndarray
    origin: int
    stock0: np.ndarray
    population: np.ndarray
    log_entry_rate: np.ndarray
    log_exit_hazard: np.ndarray
    sd_entry: dict[str, np.ndarray]
    sd_exit: dict[str, np.ndarray]
    exit_fraction: float

    def scaled(self, entry: float | np.ndarray = 1.0, exit: float | np.ndarray = 1.0
               ) -> CouncilRates:
        """A copy with entry rates and/or exit hazards multiplied (scalars or arrays that
        broadcast to (councils, horizon)); one never changes the other."""
        new = copy.deepcopy(self)
        shape = new.log_entry_rate.shape
        return replace(
            new,
            log_entry_rate=new.log_entry_rate + np.log(np.broadcast_to(entry, shape)),
            log_exit_hazard=new.log_exit_hazard + np.log(np.broadcast_to(exit, shape)),
        )


@dataclass(frozen=True)
class CouncilForecast:
    """Simulated draws (draws, councils, horizon) per measure, with summaries."""

    codes: np.ndarray
    years: np.ndarray
    draws: dict[str, np.ndarray]
    model: str

    def england(self) -> dict[str, np.ndarray]:
        """England as the sum of councils within each joint draw (draws, horizon)."""
        return {m: d.sum(axis=1) for m, d in self.draws.items()}

    def to_frame(self, include_england: bool = True) -> pd.DataFrame:
        n, h = len(self.codes), len(self.years)
        frames = []
        for measure, draws in self.draws.items():
            summary = {k: v.ravel() for k, v in summarise(draws).items()}
            frames.append(point_frame(np.repeat(self.codes, h), np.tile(self.years, n),
                                      measure, self.model, summary))
            if include_england:
                frames.append(point_frame(np.repeat(ENGLAND, h), self.years, measure,
                                          self.model, summarise(draws.sum(axis=1))))
        return pd.concat(frames, ignore_index=True)


def _settings() -> dict[str, float]:
    return dict(params.value("model.council_forecast"))


def _fill(a: np.ndarray) -> np.ndarray:
    """Carry the last published value forward (never backward: no future data)."""
    return pd.DataFrame(a).ffill(axis=1).to_numpy()


def _level_trend(z: np.ndarray, end: int, window: int, decay: float
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Weighted level and OLS slope of the last ``window`` columns up to ``end`` (inclusive),
    with their sampling variances; NaNs are skipped."""
    cols = z[:, max(0, end - window + 1): end + 1]
    age = np.arange(cols.shape[1])[::-1].astype(float)
    ok = np.isfinite(cols)
    w = np.where(ok, np.exp(-decay * age), 0.0)
    x = np.where(ok, -age, 0.0)
    vals = np.where(ok, cols, 0.0)
    level = (w * vals).sum(1) / np.maximum(w.sum(1), 1e-12)
    n = ok.sum(1)
    xm = x.sum(1) / np.maximum(n, 1)
    sxx = np.where(ok, (x - xm[:, None]) ** 2, 0).sum(1)
    ym = vals.sum(1) / np.maximum(n, 1)
    slope = np.where(sxx > 0, np.where(ok, (x - xm[:, None]) * (vals - ym[:, None]), 0).sum(1)
                     / np.maximum(sxx, 1e-12), 0.0)
    resid = np.where(ok, vals - ym[:, None] - slope[:, None] * (x - xm[:, None]), 0.0)
    s2 = (resid ** 2).sum(1) / np.maximum(n - 2, 1)
    n_eff = w.sum(1) ** 2 / np.maximum((w ** 2).sum(1), 1e-12)
    v_slope = np.where(sxx > 0, s2 / np.maximum(sxx, 1e-12), 1.0)
    return level, slope, s2 / np.maximum(n_eff, 1), v_slope


def _shrink(theta: np.ndarray, var: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Empirical Bayes: pull each estimate towards its group mean by its noise share."""
    out = theta.copy()
    ok = np.isfinite(theta)
    tau2 = max(np.nanvar(theta[ok]) - np.nanmean(var[ok]), 1e-6)
    for g in np.unique(groups):
        m = ok & (groups == g)
        if not m.any():
            continue
        prior = np.average(theta[m], weights=1 / (var[m] + tau2))
        out[m] = prior + tau2 / (tau2 + var[m]) * (theta[m] - prior)
    out[~ok] = np.nanmean(theta[ok])
    return out


class CouncilModel:
    """Stock-flow model for every council at once; see the module docstring.

    Settings left as None take their value from ``model.council_forecast``.
    """

    def __init__(self, *, window: int | None = None, decay: float | None = None,
                 trend_damping: float | None = None, exit_fraction: float | None = None,
                 interval_scale: float | None = None, max_horizon: int = 10,
                 n_draws: int = 1000, random_state: int = 0, name: str = "stock_flow") -> None:
        self.window = window
        self.decay = decay
        self.trend_damping = trend_damping
        self.exit_fraction = exit_fraction
        self.interval_scale = interval_scale
        self.max_horizon = max_horizon
        self.n_draws = n_draws
        self.random_state = random_state
        self.name = name

    def _resolved(self) -> dict[str, float]:
        defaults = _settings()
        return {k: getattr(self, k) if getattr(self, k) is not None else defaults[k]
                for k in ("window", "decay", "trend_damping", "exit_fraction", "interval_scale")}

    def fit(self, data: CouncilData, origin: int | None = None) -> CouncilModel:
        """Learn rates from data published up to ``origin`` (default: the last year)."""
        s = self._resolved()
        origin = int(data.years.max()) if origin is None else int(origin)
        if origin not in set(data.years.tolist()):
            raise ValueError(f"origin {origin} is outside the data ({data.years.min()}-"
                             f"{data.years.max()})")
        d = data.until(origin)
        stock = _fill(d.stock)
        pop = _fill(d.population)
        a = float(s["exit_fraction"])
        starts = np.clip(d.starts, 0.5, None)
        exits = np.full_like(stock, np.nan)
        exits[:, 1:] = stock[:, :-1] + d.starts[:, 1:] - stock[:, 1:]
        at_risk = np.full_like(stock, np.nan)
        at_risk[:, 1:] = stock[:, :-1] + a * d.starts[:, 1:]
        log_entry = np.log(starts / pop)
        log_exit = np.log(np.clip(exits, 0.5, None) / np.clip(at_risk, 1, None))
        window, decay, phi = int(s["window"]), float(s["decay"]), float(s["trend_damping"])
        steps = np.arange(1, self.max_horizon + 1)
        damp = np.cumsum(phi ** steps)
        end = len(d.years) - 1
        centres, sds = [], []
        for z, counts in ((log_entry, starts), (log_exit, np.clip(exits, 0.5, None))):
            level, slope, v_level, v_slope = _level_trend(z, end, window, decay)
            level = _shrink(level, v_level, d.regions)
            slope = _shrink(slope, v_slope, d.regions)
            centres.append(level[:, None] + slope[:, None] * damp[None])
            sds.append(self._error_model(z, counts, window, decay, phi, d.regions))
        # Population 0-17: damped log-linear trend of the last five published years.
        _, pop_slope, _, _ = _level_trend(np.log(pop), end, 5, 0.0)
        population = pop[:, -1:] * np.exp(pop_slope[:, None] * np.cumsum(0.8 ** steps)[None])
        self.origin_ = origin
        self.settings_ = s
        self.rates_ = CouncilRates(
            codes=d.codes.copy(), origin=origin, stock0=stock[:, -1].copy(),
            population=population, log_entry_rate=centres[0], log_exit_hazard=centres[1],
            sd_entry=sds[0], sd_exit=sds[1], exit_fraction=a,
        )
        return self

    @staticmethod
    def _error_model(z: np.ndarray, counts: np.ndarray, window: int, decay: float, phi: float,
                     regions: np.ndarray) -> dict[str, np.ndarray]:
        """Fit var(h-step log-rate error) = transient + c / expected count + h * walk.

        Errors are the model's own pseudo-out-of-sample errors over the published history
        (no future data), pooled across councils; the year-mean error gives the common walk.
        """
        rows, common = [], []
        n_years = z.shape[1]
        for end in range(2, n_years - 1):
            level, slope, v_l, v_s = _level_trend(z, end, window, decay)
            level, slope = _shrink(level, v_l, regions), _shrink(slope, v_s, regions)
            for h in (1, 2, 3):
                if end + h >= n_years:
                    break
                err = z[:, end + h] - (level + slope * np.sum(phi ** np.arange(1, h + 1)))
                ok = np.isfinite(err) & np.isfinite(counts[:, end])
                rows.append(np.c_[err[ok] ** 2, 1 / counts[ok, end], np.full(ok.sum(), h)])
                if h == 1:
                    common.append(np.nanmean(err))
        table = np.vstack(rows)
        design = np.c_[np.ones(len(table)), table[:, 1], table[:, 2]]
        coef, *_ = np.linalg.lstsq(design, table[:, 0], rcond=None)
        transient, poisson, walk = np.clip(coef, 1e-5, None)
        sd_common2 = min(float(np.mean(np.square(common))), walk)
        last = _fill(counts)[:, -1]
        return {
            "transient": np.sqrt(transient + poisson / np.clip(last, 0.5, None)),
            "walk": np.full(len(last), np.sqrt(max(walk - sd_common2, 1e-6))),
            "common": np.array(np.sqrt(sd_common2)),
        }

    def project(self, horizon: int, *, rates: CouncilRates | None = None,
                n_draws: int | None = None, random_state: int | None = None
                ) -> CouncilForecast:
        """Simulate ``horizon`` years after the origin; pure and deterministic given a seed."""
        if not hasattr(self, "rates_"):
            raise RuntimeError("call fit() before project()")
        if not 1 <= horizon <= self.max_horizon:
            raise ValueError(f"horizon must be 1 to {self.max_horizon} years")
        r = self.rates_ if rates is None else rates
        rng = np.random.default_rng(self.random_state if random_state is None else random_state)
        n = self.n_draws if n_draws is None else n_draws
        scale = float(self.settings_["interval_scale"])
        paths = [
            log_rate_draws(centre[:, :horizon], sd["transient"], sd["walk"], float(sd["common"]),
                           n, rng, scale)
            for centre, sd in ((r.log_entry_rate, r.sd_entry), (r.log_exit_hazard, r.sd_exit))
        ]
        entries = np.exp(paths[0]) * r.population[None, :, :horizon]
        hazard = np.minimum(np.exp(paths[1]), 1.0)
        stock, exits = stock_flow(r.stock0, entries, hazard, r.exit_fraction)
        return CouncilForecast(
            codes=r.codes, years=r.origin + np.arange(1, horizon + 1),
            draws={"cla_at_31_march": stock, "cla_started": entries, "cla_ceased": exits},
            model=self.name,
        )
