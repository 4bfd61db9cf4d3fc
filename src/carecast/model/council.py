"""Council-level stock-flow forecast of children looked after, pooled across councils.

Years end on 31 March. For council i and year t:

- entries_t = exp(log entry rate_t) * population 0-17 (ONS mid-(t-1), the DfE convention);
- exits_t = exp(log exit hazard_t) * (stock_{t-1} + exit_fraction * entries_t);
- stock_t = stock_{t-1} + entries_t - exits_t, exactly, in every simulated draw.

The exits modelled are the *net* outflow implied by published stocks and starts (DfE's
published 'ceased' counts differ by about 0.5% of the stock a year). Log rates are forecast
from an exponentially weighted recent level plus a damped trend, both shrunk towards the
council's region by empirical Bayes; a council's gap to its region may fade a little each
year ahead (``reversion``). Children aged 16 and over leave faster (most at 18), so the exit
hazard is read net of the stock's age mix and the mix at the origin is put back
(``age_exit_ratio``). With ``uasc_apart``, unaccompanied asylum-seeking children are a
stock of their own driven by national policy (:mod:`carecast.model.uasc`) and the flows
above apply to the other children. Councils created by a split are fitted on the years
they reported themselves. Uncertainty comes from the panel's own multi-step forecast
errors: transient noise (larger for small councils), an idiosyncratic random walk and a
walk common to all councils (so England = sum of councils has honest width; its size is
``common_scale``). Settings are calibrated by backtest (``parameters/model/
council_forecast.yaml``).

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
from carecast.model import uasc
from carecast.model.panel import CouncilData, load_council_data
from carecast.model.schema import point_frame, summarise
from carecast.model.simulate import log_rate_draws, stock_flow

ENGLAND = "E92000001"
__all__ = ["ENGLAND", "CouncilData", "CouncilForecast", "CouncilModel", "CouncilRates",
           "load_council_data"]


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
    uasc: uasc.UascRates | None = None

    def select(self, idx: np.ndarray) -> CouncilRates:
        """The rates of some councils only (the common walks stay shared)."""
        def pick(sd: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            return {k: (v if v.ndim == 0 else v[idx]).copy() for k, v in sd.items()}

        return replace(self, codes=self.codes[idx].copy(), stock0=self.stock0[idx].copy(),
                       population=self.population[idx].copy(),
                       log_entry_rate=self.log_entry_rate[idx].copy(),
                       log_exit_hazard=self.log_exit_hazard[idx].copy(),
                       sd_entry=pick(self.sd_entry), sd_exit=pick(self.sd_exit),
                       uasc=None if self.uasc is None else self.uasc.select(idx))

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


SETTINGS = ("window", "decay", "trend_damping", "exit_fraction", "interval_scale", "reversion",
            "age_exit_ratio", "uasc_apart", "common_scale", "regime_weight", "national_decay",
            "national_persistence", "national_trend")


def _settings() -> dict[str, float]:
    return dict(params.value("model.council_forecast"))


def _regime_years() -> set[int]:
    """Years (ending 31 March) of dated regimes, e.g. the pandemic (``model.regimes``)."""
    return {int(y) for regime in params.value("model.regimes") for y in regime["years"]}


def _fill(a: np.ndarray) -> np.ndarray:
    """Carry the last published value forward (never backward: no future data)."""
    return pd.DataFrame(a).ffill(axis=1).to_numpy()


def _level_trend(z: np.ndarray, end: int, window: int, decay: float,
                 year_weight: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Weighted level and OLS slope of the last ``window`` columns up to ``end`` (inclusive),
    with their sampling variances; NaNs are skipped (a council with none gets NaN)."""
    lo = max(0, end - window + 1)
    cols = z[:, lo: end + 1]
    age = np.arange(cols.shape[1])[::-1].astype(float)
    ok = np.isfinite(cols)
    base = np.exp(-decay * age) * (1.0 if year_weight is None else year_weight[lo: end + 1])
    w = np.where(ok, base, 0.0)
    x = np.where(ok, -age, 0.0)
    vals = np.where(ok, cols, 0.0)
    n = ok.sum(1)
    level = np.where(w.sum(1) > 0, (w * vals).sum(1) / np.maximum(w.sum(1), 1e-12), np.nan)
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


def _shrink(theta: np.ndarray, var: np.ndarray, groups: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """Empirical Bayes: pull each estimate towards its group mean by its noise share.
    Returns (shrunk estimates, group means); a missing estimate takes its group's mean."""
    out, prior = theta.copy(), np.full_like(theta, np.nanmean(theta))
    ok = np.isfinite(theta)
    tau2 = max(np.nanvar(theta[ok]) - np.nanmean(var[ok]), 1e-6)
    for g in np.unique(groups):
        m = ok & (groups == g)
        if not m.any():
            continue
        prior[groups == g] = np.average(theta[m], weights=1 / (var[m] + tau2))
        out[m] = prior[m] + tau2 / (tau2 + var[m]) * (theta[m] - prior[m])
    out[~ok] = prior[~ok]
    return out, prior


def _composition(share_16: np.ndarray, stock: np.ndarray, uasc_count: np.ndarray, ratio: float
                 ) -> np.ndarray:
    """log of the exit hazard's age-mix factor 1 + (ratio - 1) x share aged 16+ of the
    children the flows apply to (the rest, when UASC, nearly all 16-17, are apart)."""
    share = (pd.DataFrame(share_16).interpolate(axis=1, limit_area="inside")
             .ffill(axis=1).bfill(axis=1).to_numpy())
    share = np.where(np.isfinite(share), share, np.nanmedian(share))
    older = np.clip(share * stock - uasc_count, 0.0, None)
    return np.log1p((ratio - 1) * older / np.clip(stock - uasc_count, 1.0, None))


class CouncilModel:
    """Stock-flow model for every council at once; see the module docstring.

    Settings left as None take their value from ``model.council_forecast``.
    """

    def __init__(self, *, window: int | None = None, decay: float | None = None,
                 trend_damping: float | None = None, exit_fraction: float | None = None,
                 interval_scale: float | None = None, reversion: float | None = None,
                 age_exit_ratio: float | None = None, uasc_apart: bool | None = None,
                 common_scale: float | None = None, regime_weight: float | None = None,
                 national_decay: float | None = None,
                 national_persistence: float | None = None, national_trend: float | None = None,
                 max_horizon: int = 10, n_draws: int = 1000, random_state: int = 0,
                 name: str = "stock_flow") -> None:
        self.window = window
        self.decay = decay
        self.trend_damping = trend_damping
        self.exit_fraction = exit_fraction
        self.interval_scale = interval_scale
        self.reversion = reversion
        self.age_exit_ratio = age_exit_ratio
        self.uasc_apart = uasc_apart
        self.common_scale = common_scale
        self.regime_weight = regime_weight
        self.national_decay = national_decay
        self.national_persistence = national_persistence
        self.national_trend = national_trend
        self.max_horizon = max_horizon
        self.n_draws = n_draws
        self.random_state = random_state
        self.name = name

    def _resolved(self) -> dict[str, float]:
        defaults = _settings()
        return {k: getattr(self, k) if getattr(self, k) is not None else defaults[k]
                for k in SETTINGS}

    def fit(self, data: CouncilData, origin: int | None = None) -> CouncilModel:
        """Learn rates from data published up to ``origin`` (default: the last year)."""
        s = self._resolved()
        origin = int(data.years.max()) if origin is None else int(origin)
        if origin not in set(data.years.tolist()):
            raise ValueError(f"origin {origin} is outside the data ({data.years.min()}-"
                             f"{data.years.max()})")
        d = data.until(origin)
        a = float(s["exit_fraction"])
        total = _fill(d.stock)
        counted = (uasc.known_counts(d.share_uasc, total) if s["uasc_apart"]
                   else np.zeros_like(total))
        kids = np.nan_to_num(counted)
        stock = total - kids
        pop = _fill(d.population)
        starts = np.clip(d.starts, 0.5, None)
        opening = np.full_like(stock, np.nan)
        opening[:, 1:] = stock[:, :-1]
        # A split council's first own year: the opening stock implied by its own figures
        # (the apportioned year before is not its own).
        first = d.own & ~np.c_[np.zeros((len(d.codes), 1), bool), d.own[:, :-1]]
        first[:, 0] = False
        implied = stock - d.starts + np.where(np.isfinite(d.ceased), d.ceased, np.nan)
        opening = np.where(first & np.isfinite(implied), implied, opening)
        exits = opening + d.starts - stock
        at_risk = opening + a * d.starts
        log_entry = np.where(d.own, np.log(starts / pop), np.nan)
        log_exit = np.log(np.clip(exits, 0.5, None) / np.clip(at_risk, 1, None))
        mix = _composition(d.share_16_plus, total, kids, float(s["age_exit_ratio"]))
        lagged = np.c_[np.full((len(d.codes), 1), np.nan), mix[:, :-1]]
        log_exit = np.where(d.own, log_exit - lagged, np.nan)
        window, decay, phi = int(s["window"]), float(s["decay"]), float(s["trend_damping"])
        year_weight = np.where(np.isin(d.years, list(_regime_years())),
                               float(s["regime_weight"]), 1.0)
        steps = np.arange(1, self.max_horizon + 1)
        damp = np.cumsum(phi ** steps)
        fade = float(s["reversion"]) ** (steps - 1)
        end = len(d.years) - 1
        centres, sds = [], []
        national_damp = np.cumsum(float(s["national_trend"]) ** steps)
        weights = (pop, np.clip(at_risk, 1, None))
        for z, counts, weight in ((log_entry, starts, weights[0]),
                                  (log_exit, np.clip(exits, 0.5, None), weights[1])):
            # England's rate (council rates weighted by size) is read with its own weight on
            # recent years and trend; councils' gaps to it as below.
            ok = np.isfinite(z) & np.isfinite(weight)
            national = (np.where(ok, z * weight, 0).sum(0)
                        / np.maximum(np.where(ok, weight, 0).sum(0), 1e-12))[None]
            recent, n_slope, _, _ = _level_trend(national, end, window,
                                                 float(s["national_decay"]), year_weight)
            settled, _, _, _ = _level_trend(national, end, window, decay, year_weight)
            persist = float(s["national_persistence"]) ** (steps - 1)
            n_level = settled[:, None] + (recent - settled)[:, None] * persist[None]
            level, slope, v_level, v_slope = _level_trend(z - national, end, window, decay,
                                                          year_weight)
            # Sampling noise is at least Poisson's, however few the years.
            v_level = np.maximum(v_level, 1 / np.clip(np.nan_to_num(_fill(counts)[:, -1])
                                                      * window, 1, None))
            level, prior = _shrink(level, v_level, d.regions)
            slope, _ = _shrink(slope, v_slope, d.regions)
            gap = (level - prior)[:, None] * fade[None]
            centres.append(prior[:, None] + gap + slope[:, None] * damp[None]
                           + n_level + n_slope[:, None] * national_damp[None])
            sds.append(self._error_model(z, counts, window, decay, phi, d.regions, year_weight))
        centres[1] = centres[1] + mix[:, -1:]
        # Population 0-17: damped log-linear trend of the last five published years.
        _, pop_slope, _, _ = _level_trend(np.log(pop), end, 5, 0.0)
        population = pop[:, -1:] * np.exp(pop_slope[:, None] * np.cumsum(0.8 ** steps)[None])
        apart = None
        if s["uasc_apart"]:
            apart = uasc.fit(counted, pop[:, -1], d.national["uasc"], self.max_horizon)
        self.origin_ = origin
        self.settings_ = s
        self.rates_ = CouncilRates(
            codes=d.codes.copy(), origin=origin, stock0=total[:, -1].copy(),
            population=population, log_entry_rate=centres[0], log_exit_hazard=centres[1],
            sd_entry=sds[0], sd_exit=sds[1], exit_fraction=a, uasc=apart,
        )
        return self

    @staticmethod
    def _error_model(z: np.ndarray, counts: np.ndarray, window: int, decay: float, phi: float,
                     regions: np.ndarray, year_weight: np.ndarray
                     ) -> dict[str, np.ndarray]:
        """Fit var(h-step log-rate error) = transient + c / expected count + h * walk.

        Errors are the model's own pseudo-out-of-sample errors over the published history
        (no future data), pooled across councils; the year-mean error gives the common walk.
        """
        rows, common = [], []
        n_years = z.shape[1]
        for end in range(2, n_years - 1):
            level, slope, v_l, v_s = _level_trend(z, end, window, decay, year_weight)
            level, _ = _shrink(level, v_l, regions)
            slope, _ = _shrink(slope, v_s, regions)
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
        last = np.nan_to_num(_fill(counts)[:, -1], nan=1.0)  # none published: a small count
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
        common = float(self.settings_["common_scale"])
        paths = [
            log_rate_draws(centre[:, :horizon], sd["transient"], sd["walk"],
                           common * float(sd["common"]), n, rng, scale)
            for centre, sd in ((r.log_entry_rate, r.sd_entry), (r.log_exit_hazard, r.sd_exit))
        ]
        entries = np.exp(paths[0]) * r.population[None, :, :horizon]
        hazard = np.minimum(np.exp(paths[1]), 1.0)
        if r.uasc is None:
            stock, exits = stock_flow(r.stock0, entries, hazard, r.exit_fraction)
            extra = {}
        else:
            rest, rest_exits = stock_flow(r.stock0 - r.uasc.uasc0, entries, hazard,
                                          r.exit_fraction)
            kids = uasc.draws(r.uasc, horizon, n, rng, scale, common)
            stock, exits, kids = uasc.add_apart(rest, rest_exits, kids, r.uasc.uasc0)
            extra = {"cla_uasc_at_31_march": kids, "cla_not_uasc_at_31_march": rest}
        return CouncilForecast(
            codes=r.codes, years=r.origin + np.arange(1, horizon + 1),
            draws={"cla_at_31_march": stock, "cla_started": entries, "cla_ceased": exits,
                   **extra},
            model=self.name,
        )
