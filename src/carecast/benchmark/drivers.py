"""What drives variation between councils: OLS of a rate or spend on external drivers.

The specification (targets, drivers, transforms, region effects, cross-validation settings)
is ``parameters/benchmark/drivers.yaml``. Coefficients, confidence and prediction intervals
come from statsmodels OLS; the cross-validated R² comes from repeated shuffled k-fold over
councils (scikit-learn), always on the target's own scale, so a log model and a linear one
are compared fairly. A council is "significantly above/below expectation" when its actual
value lies outside the 95% prediction interval. Correlation, not cause, as *Making Sense* says.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from sklearn.model_selection import KFold

from carecast import OGL_ATTRIBUTION, params
from carecast.benchmark.neighbours import nearest_year
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
        return self

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
        x = self._design(data)
        y = self._y(data[TARGET]).to_numpy(dtype=float)
        runs = []
        for repeat in range(self.repeats):
            folds = KFold(self.folds, shuffle=True, random_state=self.random_state + repeat)
            predicted = np.empty_like(actual)
            for train, test in folds.split(x):
                train_x = x.iloc[train]
                keep = train_x.columns[(train_x != 0).any()]  # a region absent from a fold
                fit = sm.OLS(y[train], train_x[keep]).fit()
                predicted[test] = self._back(fit.predict(x.iloc[test][keep]))
            residual = ((actual - predicted) ** 2).sum()
            runs.append(float(1 - residual / ((actual - actual.mean()) ** 2).sum()))
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


def driver_frame(
    ws: Workspace, target: str, year: int | None = None, settings: Mapping[str, Any] | None = None
) -> tuple[pd.DataFrame, int, dict[str, list[int]]]:
    """One row per current council: actual target value in ``year`` and each driver.

    A driver is read in ``year`` or, per council, the nearest year it has; the years actually
    used are returned so outputs can say so.
    """
    settings = settings if settings is not None else spec()
    targets = settings["targets"]
    if target not in targets:
        raise LookupError(f"no drivers target {target!r}; known: {', '.join(targets)}")
    values = store.la_panel(ws).values
    measure = targets[target]["measure"]
    series = values[measure].dropna()
    available = sorted(set(series.index.get_level_values(1)))
    year = available[-1] if year is None else year
    if year not in available:
        raise LookupError(f"no {target} data for {year}; available: {available[0]}-{available[-1]}")
    codes = [c.code for c in councils.all_councils()]
    frame = pd.DataFrame(index=pd.Index(codes, name="code"))
    frame[TARGET] = series.xs(year, level=1).reindex(codes)
    years_used: dict[str, list[int]] = {}
    for name, driver in settings["drivers"].items():
        column = values[driver["measure"]].dropna()
        picked = _nearest_years(column, year)
        years_used[name] = sorted(set(picked.dropna().astype(int)))
        driver_values = nearest_year(column, year).reindex(codes)
        frame[name] = np.log(driver_values) if driver.get("transform") == "log" else driver_values
    frame[REGION] = _region_codes().reindex(codes)
    return frame, year, years_used


def _nearest_years(series: pd.Series, year: int) -> pd.Series:
    years = pd.Series(series.index.get_level_values(1), index=series.index, name="used")
    return nearest_year(years, year)


def model_from_spec(settings: Mapping[str, Any] | None = None, **overrides: Any) -> DriversModel:
    settings = settings if settings is not None else spec()
    cv = settings["cross_validation"]
    options: dict[str, Any] = {
        "drivers": list(settings["drivers"]),
        "log_target": settings.get("log_target", False),
        "region_effects": settings.get("region_effects", False),
        "folds": cv["folds"],
        "repeats": cv["repeats"],
        "random_state": cv["random_state"],
        "alpha": settings.get("alpha", 0.05),
    }
    options.update(overrides)
    return DriversModel(**options)


def _sources(settings: Mapping[str, Any], target: str) -> list[str]:
    ids = {measures()[settings["targets"][target]["measure"]].dataset}
    ids |= {measures()[d["measure"]].dataset for d in settings["drivers"].values()}
    out = []
    for dataset in sorted(ids):
        try:
            out.append(catalogue.get(dataset).citation)
        except LookupError:
            out.append(dataset)
    return [*out, OGL_ATTRIBUTION]


def run(ws: Workspace, target: str, year: int | None = None) -> tuple[DriversModel, dict[str, Any]]:
    """Fit the specified model for ``target`` and return it with a JSON-ready summary."""
    settings = spec()
    frame, year, years_used = driver_frame(ws, target, year, settings)
    model = model_from_spec(settings).fit(frame)
    names = {c.code: c.name for c in councils.all_councils()}
    preds = model.predictions_.assign(name=lambda f: f.index.map(names))
    coefs = model.coefficients_
    summary = {
        "target": target,
        "measure": settings["targets"][target]["measure"],
        "year": year,
        "log_target": model.log_target,
        "region_effects": model.region_effects,
        "councils": model.n_,
        "dropped": model.dropped_,
        "driver_years": years_used,
        "r2": model.r2_,
        "adj_r2": model.adj_r2_,
        "cv_r2": model.cv_r2_,
        "cv": {"folds": model.folds, "repeats": model.repeats, "runs": model.cv_r2_runs_},
        "coefficients": [
            {"term": str(term), **{k: float(v) for k, v in row.items()}}
            for term, row in coefs.iterrows()
        ],
        "councils_table": [
            {"code": str(code), **{k: _plain(v) for k, v in row.items()}}
            for code, row in preds.iterrows()
        ],
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
