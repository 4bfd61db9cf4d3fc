"""Children in need, child protection plans and referrals: a council-level forecast.

For each council and measure (children in need at 31 March, children in need who are not
looked after, child protection plans at 31 March, referrals in the year) the log rate per
child aged 0-17 (ONS mid-(t-1), DfE's denominator) is forecast as

    centre_h = L + phi^h (z_T - L)

where z_T is the last published log rate, L an exponentially weighted level of the last
``window`` years and phi the pooled year-on-year persistence of deviations from that level,
learnt from the data up to the origin (phi = 1 is persistence, phi = 0 the level). CIN and
CPP counts swing with practice changes and revert part of the way, which this captures.

Uncertainty comes from the rule's own pseudo-out-of-sample errors over the published
history (no data after the origin): transient noise (larger for small counts), an
idiosyncratic random walk and a walk common to every council, so England (the sum of
councils within each draw) has honest width. ``interval_scale`` is calibrated by backtest
(``parameters/model/cin_forecast.yaml``). Output is the tidy forecast schema.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from carecast import params
from carecast.data import bundled, store
from carecast.data.councils import ENGLAND
from carecast.data.workspace import Workspace
from carecast.model.council import CouncilForecast
from carecast.model.simulate import log_rate_draws

MEASURES = ("cin_at_31_march", "cin_not_looked_after", "cpp_at_31_march", "referrals")
_SETTINGS = ("window", "decay", "reversion", "interval_scale")


@dataclass(frozen=True)
class CinData:
    """Council x year arrays (NaN where missing) of the published CIN series, and England's
    published figures (the backtest's actuals for England)."""

    codes: np.ndarray
    regions: np.ndarray
    years: np.ndarray
    counts: dict[str, np.ndarray]
    population: np.ndarray
    england: dict[str, np.ndarray]

    def until(self, origin: int) -> CinData:
        """Only what was published by ``origin`` (years ending 31 March <= origin)."""
        keep = self.years <= origin
        return replace(self, years=self.years[keep],
                       counts={m: v[:, keep] for m, v in self.counts.items()},
                       population=self.population[:, keep],
                       england={m: v[keep] for m, v in self.england.items()})

    def select(self, codes: list[str]) -> CinData:
        idx = [int(np.flatnonzero(self.codes == c)[0]) for c in codes]
        return replace(self, codes=self.codes[idx], regions=self.regions[idx],
                       counts={m: v[idx] for m, v in self.counts.items()},
                       population=self.population[idx])

    def measures(self) -> dict[str, np.ndarray]:
        """The series a baseline forecasts, by measure (``carecast.model.baselines``)."""
        return dict(self.counts)

    def actuals(self) -> pd.DataFrame:
        """``la_code, period, measure, actual``: councils, and England as DfE published it."""
        frames = []
        for measure, values in self.counts.items():
            la = pd.DataFrame(values, index=self.codes, columns=self.years).stack()
            eng = pd.Series(self.england[measure],
                            index=pd.MultiIndex.from_product([[ENGLAND], self.years]))
            both = pd.concat([la, eng]).rename("actual").reset_index()
            both.columns = ["la_code", "period", "actual"]
            frames.append(both.assign(measure=measure))
        return pd.concat(frames, ignore_index=True)


def load_cin_data(ws: Workspace) -> CinData:
    """The harmonised panel's CIN series for the 153 current councils, years with CIN data."""
    panel = store.la_panel(ws)
    values = panel.values
    england = store.area_panel(ws, "england").values.xs(ENGLAND, level=0)
    parts = {"cin_at_31_march": "cin_at_31_march", "cpp_at_31_march": "cpp_at_31_march",
             "referrals": "referrals", "cla_at_31_march": "cla_at_31_march",
             "pop_0_17": "pop_0_17"}
    wide = {k: values[m].unstack("year").sort_index(axis=1) for k, m in parts.items()}
    cin = wide["cin_at_31_march"]
    years = cin.columns[cin.notna().any()].to_numpy(dtype=int)
    frames = {k: v.reindex(index=cin.index, columns=years) for k, v in wide.items()}
    frames["cin_not_looked_after"] = frames["cin_at_31_march"] - frames["cla_at_31_march"]
    eng = england.reindex(years)
    eng_series = {m: eng[m].to_numpy(float) for m in ("cin_at_31_march", "cpp_at_31_march",
                                                      "referrals")}
    eng_series["cin_not_looked_after"] = (eng["cin_at_31_march"]
                                          - eng["cla_at_31_march"]).to_numpy(float)
    councils = bundled.read_table("councils").set_index("code")
    codes = cin.index.to_numpy(dtype=str)
    return CinData(codes=codes, regions=councils.loc[codes, "region_code"].to_numpy(dtype=str),
                   years=years, counts={m: frames[m].to_numpy(float) for m in MEASURES},
                   population=frames["pop_0_17"].to_numpy(float), england=eng_series)


def _fill(a: np.ndarray) -> np.ndarray:
    """Carry the last published value forward (never backward: no future data)."""
    return pd.DataFrame(a).ffill(axis=1).to_numpy()


def _level(z: np.ndarray, end: int, window: int, decay: float) -> np.ndarray:
    """Exponentially weighted mean of columns end-window+1..end (NaNs skipped)."""
    cols = z[:, max(0, end - window + 1): end + 1]
    age = np.arange(cols.shape[1])[::-1].astype(float)
    ok = np.isfinite(cols)
    w = np.where(ok, np.exp(-decay * age), 0.0)
    level = (w * np.where(ok, cols, 0.0)).sum(1) / np.maximum(w.sum(1), 1e-12)
    return np.where(w.sum(1) > 0, level, np.nan)


class CinModel:
    """Mean-reverting log-rate forecast of children in need, plans and referrals.

    Settings left as None take their value from ``model.cin_forecast``; ``reversion``
    None there means phi is learnt from the data up to the origin.
    """

    def __init__(self, *, window: int | None = None, decay: float | None = None,
                 reversion: float | None = None, interval_scale: float | None = None,
                 max_horizon: int = 10, n_draws: int = 1000, random_state: int = 0,
                 name: str = "cin_reverting_level") -> None:
        self.window = window
        self.decay = decay
        self.reversion = reversion
        self.interval_scale = interval_scale
        self.max_horizon = max_horizon
        self.n_draws = n_draws
        self.random_state = random_state
        self.name = name

    def _resolved(self) -> dict[str, float | None]:
        defaults = dict(params.value("model.cin_forecast"))
        return {k: getattr(self, k) if getattr(self, k) is not None else defaults[k]
                for k in _SETTINGS}

    def fit(self, data: CinData, origin: int | None = None) -> CinModel:
        """Learn levels, persistence and noise from data published up to ``origin``."""
        s = self._resolved()
        origin = int(data.years.max()) if origin is None else int(origin)
        if origin not in set(data.years.tolist()):
            raise ValueError(f"origin {origin} is outside the data ({data.years.min()}-"
                             f"{data.years.max()})")
        d = data.until(origin)
        if len(d.years) < 4:
            raise ValueError("the CIN model needs at least four published years")
        window, decay = int(s["window"]), float(s["decay"])  # type: ignore[arg-type]
        # Denominators: carried forward, and back to years before a council's first published
        # population within the data up to the origin (Dorset and BCP before 2020); a council
        # with none at all is modelled on its counts (population 1).
        pop = pd.DataFrame(d.population).ffill(axis=1).bfill(axis=1).fillna(1.0).to_numpy()
        end = len(d.years) - 1
        steps = np.arange(1, self.max_horizon + 1)
        self.centre_, self.noise_, self.reversion_ = {}, {}, {}
        for measure, counts in d.counts.items():
            positive = np.clip(counts, 0.5, None)
            z = np.log(positive / pop)
            phi = (float(s["reversion"]) if s["reversion"] is not None
                   else self._persistence(z, window, decay))
            last = _fill(z)[:, end]
            level = _level(z, end, window, decay)
            level = np.where(np.isfinite(level), level, last)
            centre = level[:, None] + phi ** steps[None] * (last - level)[:, None]
            self.centre_[measure] = np.where(np.isfinite(centre), centre, np.nanmean(centre, 0))
            self.reversion_[measure] = phi
            self.noise_[measure] = self._error_model(z, positive, window, decay, phi)
        growth = np.diff(np.log(pop[:, -6:]), axis=1)
        known = np.isfinite(growth).sum(1)
        slope = np.where(known > 0, np.nansum(growth, axis=1) / np.maximum(known, 1), 0.0)
        self.population_ = pop[:, -1:] * np.exp(slope[:, None] * np.cumsum(0.8 ** steps)[None])
        self.codes_ = d.codes.copy()
        self.origin_ = origin
        self.settings_ = s
        return self

    @staticmethod
    def _persistence(z: np.ndarray, window: int, decay: float) -> float:
        """Pooled least-squares slope of next year's deviation from the level on this
        year's (through the origin), clipped to [0, 1]."""
        x, y = [], []
        for end in range(2, z.shape[1] - 1):
            level = _level(z, end, window, decay)
            dev, nxt = z[:, end] - level, z[:, end + 1] - level
            ok = np.isfinite(dev) & np.isfinite(nxt)
            x.append(dev[ok])
            y.append(nxt[ok])
        xs, ys = np.concatenate(x), np.concatenate(y)
        denom = float((xs ** 2).sum())
        return float(np.clip((xs * ys).sum() / denom, 0.0, 1.0)) if denom > 0 else 1.0

    @staticmethod
    def _error_model(z: np.ndarray, counts: np.ndarray, window: int, decay: float,
                     phi: float) -> dict[str, np.ndarray]:
        """Fit var(h-step error) = transient + c / count + h * walk to the rule's own
        errors over the history, pooled across councils; the mean error per origin year
        gives the common walk."""
        rows, common = [], []
        n_years = z.shape[1]
        filled = _fill(z)
        for end in range(2, n_years - 1):
            level = _level(z, end, window, decay)
            last = filled[:, end]
            for h in (1, 2, 3):
                if end + h >= n_years:
                    break
                err = z[:, end + h] - (level + phi ** h * (last - level))
                ok = np.isfinite(err) & np.isfinite(counts[:, end])
                rows.append(np.c_[err[ok] ** 2, 1 / counts[ok, end], np.full(ok.sum(), h)])
                if h == 1 and ok.any():
                    common.append(float(np.median(err[ok])))
        table = np.vstack(rows)
        design = np.c_[np.ones(len(table)), table[:, 1], table[:, 2]]
        coef, *_ = np.linalg.lstsq(design, table[:, 0], rcond=None)
        transient, poisson, walk = np.clip(coef, 1e-5, None)
        common_var = min(float(np.mean(np.square(common))) if common else 0.0, walk)
        last = _fill(counts)[:, -1]
        last = np.where(np.isfinite(last), last, np.nanmedian(last))
        return {
            "transient": np.sqrt(transient + poisson / np.clip(last, 0.5, None)),
            "walk": np.full(len(last), np.sqrt(max(walk - common_var, 1e-6))),
            "common": np.array(np.sqrt(common_var)),
        }

    def project(self, horizon: int, *, n_draws: int | None = None,
                random_state: int | None = None) -> CouncilForecast:
        """Simulate ``horizon`` years after the origin; pure and deterministic given a seed."""
        if not hasattr(self, "centre_"):
            raise RuntimeError("call fit() before project()")
        if not 1 <= horizon <= self.max_horizon:
            raise ValueError(f"horizon must be 1 to {self.max_horizon} years")
        rng = np.random.default_rng(self.random_state if random_state is None else random_state)
        n = self.n_draws if n_draws is None else n_draws
        scale = float(self.settings_["interval_scale"])  # type: ignore[arg-type]
        draws = {}
        h = np.arange(1, horizon + 1)[None]
        for measure in MEASURES:
            sd = self.noise_[measure]
            # Lower the log centre by half its variance so the mean of the draws is the
            # rule's point forecast (a lognormal's mean is exp(mu + var / 2)).
            var = scale ** 2 * (sd["transient"][:, None] ** 2
                                + h * (sd["walk"][:, None] ** 2 + float(sd["common"]) ** 2))
            log_rate = log_rate_draws(self.centre_[measure][:, :horizon] - var / 2,
                                      sd["transient"], sd["walk"], float(sd["common"]), n, rng,
                                      scale)
            draws[measure] = np.exp(log_rate) * self.population_[None, :, :horizon]
        return CouncilForecast(codes=self.codes_, years=self.origin_ + np.arange(1, horizon + 1),
                               draws=draws, model=self.name)
