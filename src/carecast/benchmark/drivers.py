"""What drives variation between councils: OLS of a rate or spend on external drivers.

The settings (targets, drivers, candidate specifications, cross-validation, lagged extra
terms, the caveat) are ``parameters/benchmark/drivers.yaml``. The specification used is the
candidate with the best cross-validated R²; nested cross-validation
(:mod:`carecast.benchmark.drivers_cv`) scores that choice honestly. Models are fitted to the
log of the target, so expected values and 95% prediction intervals (statsmodels OLS, back-
transformed) are always positive; R² is always measured on the target's own scale. Variance
inflation factors show collinearity. A council is "significantly above/below expectation"
when its actual value lies outside the 95% prediction interval, and any value carried from
another council (Cumbria's before 2023, a shared service's) is flagged. Correlation, not
cause, as *Making Sense* says; the caveat travels with every output.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.stats.outliers_influence import variance_inflation_factor

from carecast import OGL_ATTRIBUTION, params
from carecast.benchmark import drivers_cv
from carecast.data import bundled, catalogue, councils, store
from carecast.data.measures import registry as measures
from carecast.data.workspace import Workspace

SPEC = "benchmark.drivers"
TARGET = "actual"
REGION = "region_code"


class DriversModel:
    """OLS of ``target`` on driver columns (and region effects), with cross-validated R².

    ``fit(frame)`` takes one row per council (index: code) with a column ``actual``, the
    driver columns named in ``drivers`` and, when ``region_effects`` is on, ``region_code``.
    Rows with any missing value are dropped and counted in ``dropped_``.
    """

    def __init__(
        self,
        *,
        drivers: Sequence[str],
        log_target: bool = False,
        region_effects: bool = False,
        folds: int = 10,
        repeats: int = 5,
        random_state: int = 0,
        alpha: float = 0.05,
    ) -> None:
        self.drivers = drivers
        self.log_target = log_target
        self.region_effects = region_effects
        self.folds = folds
        self.repeats = repeats
        self.random_state = random_state
        self.alpha = alpha

    def _design(self, frame: pd.DataFrame) -> pd.DataFrame:
        design = frame[list(self.drivers)].astype(float)
        if self.region_effects:
            dummies = pd.get_dummies(frame[REGION], prefix="region", drop_first=True, dtype=float)
            design = design.join(dummies)
        return sm.add_constant(design, has_constant="add")

    def _y(self, actual: pd.Series) -> pd.Series:
        return np.log(actual) if self.log_target else actual

    def _back(self, values: Any) -> Any:
        return np.exp(values) if self.log_target else values

    def fit(self, frame: pd.DataFrame) -> DriversModel:
        needed = [TARGET, *self.drivers, *([REGION] if self.region_effects else [])]
        data = frame[needed].dropna()
        if self.log_target:
            data = data[data[TARGET] > 0]
        self.dropped_ = sorted(set(frame.index) - set(data.index))
        self.n_ = len(data)
        x = self._design(data)
        self.columns_ = list(x.columns)
        self.result_ = sm.OLS(self._y(data[TARGET]), x).fit()
        self.coefficients_ = self._coefficients(x)
        self.r2_ = float(self.result_.rsquared)
        self.adj_r2_ = float(self.result_.rsquared_adj)
        self.cv_r2_, self.cv_r2_runs_ = self._cross_validate(data)
        self.predictions_ = self._predictions(data, x)
        self.vif_ = self._vif(x)
        return self

    def _vif(self, x: pd.DataFrame) -> pd.Series:
        """Variance inflation factor of each driver and region term (1 = uncorrelated)."""
        values = x.to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            vif = {c: float(variance_inflation_factor(values, i))
                   for i, c in enumerate(x.columns) if c != "const"}
        return pd.Series(vif, name="vif")

    def _coefficients(self, x: pd.DataFrame) -> pd.DataFrame:
        ci = self.result_.conf_int(alpha=self.alpha)
        sd = x.std(ddof=0)
        return pd.DataFrame(
            {
                "coef": self.result_.params,
                "ci_lower": ci[0],
                "ci_upper": ci[1],
                "p_value": self.result_.pvalues,
                "effect_per_sd": self.result_.params * sd,
            }
        )

    def _cross_validate(self, data: pd.DataFrame) -> tuple[float, list[float]]:
        """Mean over repeats of the R² of pooled out-of-fold predictions (target scale)."""
        actual = data[TARGET].to_numpy(dtype=float)
        x = drivers_cv.design(data, self.drivers, self.region_effects)
        runs = drivers_cv.cv_runs(x, actual, self.log_target, self.folds, self.repeats,
                                  self.random_state)
        return float(np.mean(runs)), runs

    def _predictions(self, data: pd.DataFrame, x: pd.DataFrame) -> pd.DataFrame:
        frame = self.result_.get_prediction(x).summary_frame(alpha=self.alpha)
        out = pd.DataFrame(
            {
                "actual": data[TARGET],
                "expected": self._back(frame["mean"]),
                "lower": self._back(frame["obs_ci_lower"]),
                "upper": self._back(frame["obs_ci_upper"]),
            },
            index=data.index,
        )
        out["residual"] = out["actual"] - out["expected"]
        out["position"] = np.select(
            [out["actual"] > out["upper"], out["actual"] < out["lower"]],
            ["above", "below"],
            "within",
        )
        return out

    def predict(self, frame: pd.DataFrame) -> pd.Series:
        """Expected values for new rows (same columns as ``fit``)."""
        x = self._design(frame).reindex(columns=self.columns_, fill_value=0.0)
        return pd.Series(self._back(self.result_.predict(x)), index=frame.index)


def spec() -> dict[str, Any]:
    return dict(params.value(SPEC))


def _region_codes() -> pd.Series:
    table = bundled.read_table("councils")
    return table[table["status"] == "current"].set_index("code")["region_code"]


def _nearest(values: pd.Series, filled: pd.Series | None, year: int, exact: bool
             ) -> pd.DataFrame:
    """Per council: the value in ``year`` (else, unless ``exact``, the nearest year it has;
    earlier on a tie), the year used and whether that value was carried from another council."""
    frame = values.dropna().rename("value").reset_index()
    frame.columns = ["code", "year", "value"]
    frame["filled"] = (filled.reindex(pd.MultiIndex.from_frame(frame[["code", "year"]]))
                       .fillna(False).astype(bool).to_numpy() if filled is not None else False)
    if exact:
        frame = frame[frame["year"] == year]
    frame["gap"] = (frame["year"] - year).abs() * 2 + (frame["year"] > year)
    return frame.sort_values("gap").groupby("code")[["value", "year", "filled"]].first()


def driver_frame(
    ws: Workspace, target: str, year: int | None = None, settings: Mapping[str, Any] | None = None,
    extra: Sequence[str] = (),
) -> tuple[pd.DataFrame, int, dict[str, list[int]]]:
    """One row per current council: actual target value in ``year`` and each driver.

    A driver is read in ``year`` or, per council, the nearest year it has; terms of the
    ``extra`` groups (``workforce``, ``assessment``) exactly ``lag`` years before. The years
    used are returned, and ``frame.attrs["carried"]`` (council -> columns) names values
    carried from another council (a predecessor before a reorganisation, a shared service).
    """
    settings = settings if settings is not None else spec()
    targets = settings["targets"]
    if target not in targets:
        raise LookupError(f"no drivers target {target!r}; known: {', '.join(targets)}")
    panel = store.la_panel(ws)
    values = panel.values
    measure = targets[target]["measure"]
    series = values[measure].dropna()
    available = sorted(set(series.index.get_level_values(1)))
    year = available[-1] if year is None else year
    if year not in available:
        raise LookupError(f"no {target} data for {year}; available: {available[0]}-{available[-1]}")
    codes = [c.code for c in councils.all_councils()]
    frame = pd.DataFrame(index=pd.Index(codes, name="code"))
    filled = panel.filled
    carried = pd.DataFrame(False, index=frame.index, columns=[TARGET])

    def column(name: str, m: str, at: int, exact: bool) -> pd.DataFrame:
        picked = _nearest(values[m], filled[m] if filled is not None and m in filled else None,
                          at, exact).reindex(codes)
        carried[name] = picked["filled"].eq(True)
        return picked

    frame[TARGET] = column(TARGET, measure, year, True)["value"]
    years_used: dict[str, list[int]] = {}
    terms = dict(settings["drivers"])
    for group in extra:
        groups = settings["extra_terms"]
        if group not in groups:
            raise LookupError(f"no extra terms {group!r}; known: {', '.join(groups)}")
        terms.update({n: {**t, "exact": True} for n, t in groups[group].items()})
    for name, driver in terms.items():
        at = year - int(driver.get("lag", 0))
        picked = column(name, driver["measure"], at, bool(driver.get("exact")))
        years_used[name] = sorted({int(y) for y in picked["year"].dropna()})
        driver_values = picked["value"].astype(float)
        frame[name] = np.log(driver_values) if driver.get("transform") == "log" else driver_values
    frame[REGION] = _region_codes().reindex(codes)
    frame.attrs["carried"] = {code: [c for c in carried.columns if row[c]]
                              for code, row in carried.iterrows() if row.any()}
    return frame, year, years_used


def specifications(settings: Mapping[str, Any] | None = None) -> list[drivers_cv.Spec]:
    settings = settings if settings is not None else spec()
    return [drivers_cv.Spec(name, tuple(s["drivers"]), bool(s["region_effects"]))
            for name, s in settings["specifications"].items()]


def model_from_spec(settings: Mapping[str, Any] | None = None, specification: str | None = None,
                    **overrides: Any) -> DriversModel:
    """The model of one candidate specification (default: the first listed)."""
    settings = settings if settings is not None else spec()
    cv = settings["cross_validation"]
    chosen = settings["specifications"][specification or next(iter(settings["specifications"]))]
    options: dict[str, Any] = {
        "drivers": list(chosen["drivers"]),
        "log_target": settings.get("log_target", False),
        "region_effects": chosen["region_effects"],
        "folds": cv["folds"],
        "repeats": cv["repeats"],
        "random_state": cv["random_state"],
        "alpha": settings.get("alpha", 0.05),
    }
    options.update(overrides)
    return DriversModel(**options)


def _sources(settings: Mapping[str, Any], target: str, extra: Sequence[str] = ()) -> list[str]:
    ids = {measures()[settings["targets"][target]["measure"]].dataset}
    ids |= {measures()[d["measure"]].dataset for d in settings["drivers"].values()}
    ids |= {measures()[t["measure"]].dataset for g in extra
            for t in settings["extra_terms"][g].values()}
    out = []
    for dataset in sorted(ids):
        try:
            out.append(catalogue.get(dataset).citation)
        except LookupError:
            out.append(dataset)
    return [*out, OGL_ATTRIBUTION]


def complete_rows(frame: pd.DataFrame, specs: Sequence[drivers_cv.Spec],
                  extra_columns: Sequence[str] = ()) -> pd.DataFrame:
    """Councils with the target and every candidate's drivers (one sample for all), >0."""
    needed = {TARGET, REGION, *extra_columns, *(d for s in specs for d in s.drivers)}
    data = frame[sorted(needed)].dropna()
    return data[data[TARGET] > 0]


def select(frame: pd.DataFrame, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The candidate with the best cross-validated R², and the nested score of that choice."""
    specs = specifications(settings)
    data = complete_rows(frame, specs)
    cv = settings["cross_validation"]
    actual = data[TARGET].to_numpy(dtype=float)
    designs = {s.name: drivers_cv.design(data, s.drivers, s.region_effects) for s in specs}
    log_target = bool(settings["log_target"])
    runs = {name: drivers_cv.cv_runs(x, actual, log_target, cv["folds"], cv["repeats"],
                                     cv["random_state"]) for name, x in designs.items()}
    scores = {name: float(np.mean(r)) for name, r in runs.items()}
    chosen = max(scores, key=lambda k: scores[k])
    nested = drivers_cv.nested_cv(designs, actual, log_target, cv["folds"], cv["inner_folds"],
                                  cv["repeats"], cv["random_state"])
    return {"chosen": chosen, "rows": list(data.index), "nested": nested,
            "candidates": [{"name": s.name, "drivers": list(s.drivers),
                            "region_effects": s.region_effects, "cv_r2": scores[s.name]}
                           for s in specs]}


def run(ws: Workspace, target: str, year: int | None = None) -> tuple[DriversModel, dict[str, Any]]:
    """Choose, fit and summarise the model for ``target`` (the summary is the --json payload)."""
    settings = spec()
    frame, year, years_used = driver_frame(ws, target, year, settings)
    choice = select(frame, settings)
    model = model_from_spec(settings, choice["chosen"]).fit(frame.loc[choice["rows"]])
    model.dropped_ = sorted(set(frame.index) - set(choice["rows"]))
    names = {c.code: c.name for c in councils.all_councils()}
    carried = frame.attrs["carried"]
    used = [TARGET, *model.drivers]
    preds = model.predictions_.assign(
        name=lambda f: f.index.map(names),
        carried=lambda f: [[c for c in carried.get(code, []) if c in used] for code in f.index])
    coefs = model.coefficients_
    nested = choice["nested"]
    summary = {
        "target": target,
        "measure": settings["targets"][target]["measure"],
        "year": year,
        "caveat": settings["caveat"],
        "specification": choice["chosen"],
        "drivers": list(model.drivers),
        "log_target": model.log_target,
        "region_effects": model.region_effects,
        "councils": model.n_,
        "dropped": model.dropped_,
        "driver_years": {k: v for k, v in years_used.items() if k in model.drivers},
        "r2": model.r2_,
        "adj_r2": model.adj_r2_,
        "r2_scale": "log of the target" if model.log_target else "target",
        "cv_r2": model.cv_r2_,
        "nested_cv_r2": nested.r2,
        "cv": {"folds": model.folds, "repeats": model.repeats, "runs": model.cv_r2_runs_},
        "nested_cv": {"runs": nested.runs, "choices": nested.choices,
                      "inner_folds": settings["cross_validation"]["inner_folds"]},
        "candidates": choice["candidates"],
        "coefficients": [
            {"term": str(term), **{k: float(v) for k, v in row.items()}}
            for term, row in coefs.iterrows()
        ],
        "vif": [{"term": str(t), "vif": float(v)} for t, v in model.vif_.items()],
        "councils_table": [
            {"code": str(code), **{k: _plain(v) for k, v in row.items()}}
            for code, row in preds.iterrows()
        ],
        "carried": [{"code": str(c), "name": r["name"], "terms": r["carried"]}
                    for c, r in preds.iterrows() if r["carried"]],
        "above_expectation": _named(preds, "above"),
        "below_expectation": _named(preds, "below"),
        "sources": _sources(settings, target),
    }
    return model, summary


def _plain(value: Any) -> Any:
    return float(value) if isinstance(value, (int, float, np.floating)) else value


def _named(preds: pd.DataFrame, position: str) -> list[dict[str, Any]]:
    rows = preds[preds["position"] == position].sort_values("residual", key=abs, ascending=False)
    return [
        {"code": str(c), "name": r["name"], "residual": float(r["residual"])}
        for c, r in rows.iterrows()
    ]


def compare_terms(ws: Workspace, target: str, year: int | None = None) -> dict[str, Any]:
    """Do lagged workforce and assessment terms add cross-validated explanatory power?

    The chosen external specification is fitted with and without each group of extra terms
    (and both) on the same councils and the same folds, repeated ``comparison_repeats``
    times; the gain in R² (target scale) is reported with its range over repeats, beside
    the extra terms' coefficients when fitted on all councils.
    """
    settings = spec()
    groups = list(settings["extra_terms"])
    frame, year, years_used = driver_frame(ws, target, year, settings, extra=groups)
    chosen = select(frame, settings)["chosen"]
    base = next(s for s in specifications(settings) if s.name == chosen)
    extra = {g: list(settings["extra_terms"][g]) for g in groups}
    data = complete_rows(frame, [base], [t for ts in extra.values() for t in ts])
    cv = settings["cross_validation"]
    actual = data[TARGET].to_numpy(dtype=float)
    log_target = bool(settings["log_target"])
    without = drivers_cv.design(data, base.drivers, base.region_effects)
    comparisons = []
    for label, terms in [*extra.items(), ("+".join(groups), [t for g in groups for t in extra[g]])]:
        drivers = [*base.drivers, *terms]
        gain = drivers_cv.paired_gain(
            without, drivers_cv.design(data, drivers, base.region_effects), actual, log_target,
            cv["folds"], int(settings["comparison_repeats"]), cv["random_state"])
        fitted = model_from_spec(settings, chosen, drivers=drivers).fit(data)
        coefs = fitted.coefficients_.loc[terms]
        comparisons.append({
            "terms": label, "added": terms, **gain,
            "coefficients": [{"term": str(t), **{k: float(v) for k, v in r.items()}}
                             for t, r in coefs.iterrows()],
            "vif": {t: float(fitted.vif_[t]) for t in terms},
        })
    return {
        "target": target, "year": year, "specification": chosen, "councils": len(data),
        "dropped": sorted(set(frame.index) - set(data.index)),
        "term_years": {t: years_used[t] for ts in extra.values() for t in ts},
        "lags": {t: int(v["lag"]) for g in groups for t, v in settings["extra_terms"][g].items()},
        "repeats": int(settings["comparison_repeats"]), "folds": cv["folds"],
        "comparisons": comparisons, "caveat": settings["caveat"],
        "sources": _sources(settings, target, groups),
    }
