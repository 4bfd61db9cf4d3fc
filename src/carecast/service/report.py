"""What a briefing pack says: a council's (or England's) numbers, as plain data.

Every figure comes from the service functions the CLI and the web council page call
(:func:`carecast.service.benchmark.benchmark` and the indicator values behind the
profile, the drivers model, the
default forecast and its costs, :func:`carecast.service.scenarios.run_scenario`), so a pack
shows the page's numbers. :func:`national` computes once what every council's pack shares
(indicator values, drivers, every council's forecast and spend, the published accuracy,
the data catalogue), so a pack for all 153 councils fits each model once.
:mod:`carecast.report.pack` turns these into HTML and PDF.

The council page's other sections (placements, workforce, care leavers' outcomes,
assessment factors) join ``CouncilPack.sections`` through :func:`extra_sections`; the
placements section adds the page's demand by type of home
(:func:`carecast.service.placements.public_demand`, drawn once in :func:`national`).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

import carecast
from carecast import params
from carecast.data.errors import InputError
from carecast.model import load_council_data, registry
from carecast.model.backtest import accuracy as accuracy_table
from carecast.model.backtest import backtest, backtest_periods
from carecast.service import benchmark as bench
from carecast.service import data as public_data
from carecast.service import forecast as forecasting
from carecast.service import placements as placement_service
from carecast.service import scenarios as scenario_service
from carecast.service import ssda903 as records
from carecast.service import workspace as checks
from carecast.service.benchmark import IndicatorData
from carecast.service.workspace import Council, Workspace

ENGLAND = forecasting.ENGLAND
PACKAGE = Path(str(resources.files("carecast")))
HORIZON = 5
"""Years forecast in a pack: the web council page's horizon."""
HEADLINE = ("cla_rate", "cla_starts_rate", "cpp_rate", "residential_pct", "cla_spend_per_child")
"""The five numbers a pack's summary page puts against England, region and neighbours."""
TREND_INDICATORS = ("cla_rate", "cla_starts_rate", "ceased_rate", "cin_rate", "cpp_rate")
ACCURACY_HORIZONS = (1, 2, 3, 5)
FORECAST_SOURCE = ("carecast default council forecast (model.default_forecast) on DfE "
                   "children looked after data; spend priced by carecast.costs and "
                   "reconciled to MHCLG RO3 outturn")


@dataclass(frozen=True)
class Accuracy:
    """The default model's published backtest (what ``carecast backtest`` writes): CLA at
    31 March, councils, every origin; and each council's own errors."""

    table: pd.DataFrame        # horizon, n, mape, median_ape, bias, coverage_80, coverage_95
    by_council: pd.DataFrame   # la_code, horizon, n, mape
    model: str
    origins: tuple[int, int]


@dataclass(frozen=True)
class National:
    """What every council's pack shares, computed once."""

    indicators: dict[str, IndicatorData]
    drivers: dict[str, dict[str, Any]]
    costs: forecasting.CostForecast
    accuracy: Accuracy
    datasets: pd.DataFrame
    councils: list[Council]
    placement_demand: pd.DataFrame  # every council's tidy demand rows (Demand.to_frame)
    placement_notes: tuple[str, ...]
    _series: dict[str, tuple[dict[str, pd.Series], dict[str, pd.Series], pd.Series]] = field(
        default_factory=dict, repr=False)

    def series(self, indicator_id: str
               ) -> tuple[dict[str, pd.Series], dict[str, pd.Series], pd.Series]:
        """An indicator's values by year for each council, each region and England, split
        once (every council's trend charts read them)."""
        if indicator_id not in self._series:
            data = self.indicators[indicator_id]

            def split(frame: pd.DataFrame) -> dict[str, pd.Series]:
                values = frame["value"].dropna().astype(float).sort_index()
                return {str(a): v.droplevel(0) for a, v in values.groupby(level=0)}

            england = data.england["value"].dropna().astype(float).sort_index()
            self._series[indicator_id] = (split(data.la), split(data.region), england)
        return self._series[indicator_id]


def _derived_key(ws: Workspace, *parts: Any) -> str:
    """Changes whenever the workspace's data, any shipped parameter or carecast's code does
    (a developer's edit as well as a release)."""
    stat = ws.db_path.stat()
    digest = hashlib.sha256()
    for path in sorted([*PACKAGE.rglob("*.yaml"), *PACKAGE.rglob("*.py")]):
        digest.update(path.read_bytes())
    text = json.dumps([carecast.__version__, stat.st_mtime_ns, stat.st_size,
                       digest.hexdigest(), *parts], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _keep(cache: Path, write: Callable[[Path], Any]) -> None:
    """Write a derived file atomically and drop older ones of its kind (stale keys)."""
    cache.parent.mkdir(parents=True, exist_ok=True)
    partial = cache.with_name(f"{cache.name}.{os.getpid()}.partial")  # one per writer
    write(partial)
    partial.replace(cache)
    kind = cache.stem.rsplit("-", 1)[0]
    for old in cache.parent.glob(f"{kind}-*{cache.suffix}"):
        if old != cache and old.stem.rsplit("-", 1)[0] == kind:
            old.unlink(missing_ok=True)


def published_accuracy(ws: Workspace) -> Accuracy:
    """The default model's backtest at origins 2015-2023 (``carecast backtest``'s figures),
    kept in the workspace folder after the first run (a few seconds), keyed by the data
    and settings, so later packs read it."""
    model = registry.default_name()
    draws = int(params.value("model.draws"))
    key = _derived_key(ws, "accuracy", model, draws, list(ACCURACY_HORIZONS))
    cache = ws.root / "derived" / f"accuracy-{key}.parquet"
    data = load_council_data(ws)
    origins = list(backtest_periods(data)["all"])
    if cache.exists():
        frame = pd.read_parquet(cache)
    else:
        frame = backtest(registry.make(model, n_draws=draws), data, origins, ACCURACY_HORIZONS)
        frame = frame[frame["measure"] == "cla_at_31_march"][
            ["la_code", "origin", "horizon", "mean", "lo_80", "hi_80", "lo_95", "hi_95",
             "actual", "model", "measure", "period"]].reset_index(drop=True)
        _keep(cache, lambda path: frame.to_parquet(path, index=False))
    table = accuracy_table(frame)
    table = table[table["level"] == "la"].drop(columns=["level", "measure", "model"])
    la = frame[(frame["la_code"] != ENGLAND) & (frame["actual"] > 0)]
    ape = (la["mean"] - la["actual"]).abs() / la["actual"] * 100
    by_council = (la.assign(ape=ape).groupby(["la_code", "horizon"])["ape"]
                  .agg(n="size", mape="mean").round(2).reset_index())
    return Accuracy(table=table.reset_index(drop=True), by_council=by_council, model=model,
                    origins=(int(min(origins)), int(max(origins))))


def national(ws: Workspace, *, draws: int | None = None, seed: int | None = None) -> National:
    """Indicators, drivers, every council's forecast and spend, accuracy and datasets.

    They depend only on the workspace's data, the parameters and the settings, so they are
    kept in the workspace folder (``derived/national-<key>.pickle``, written atomically)
    and read back by later packs; under a parameter override they are computed afresh.
    """
    n, s = checks.draws(draws), checks.seed(seed)
    overridden = params.active_overrides()
    key = _derived_key(ws, "national", n, s)
    cache = ws.root / "derived" / f"national-{n}-{s}-{key}.pickle"
    if not overridden and cache.exists():
        with cache.open("rb") as handle:
            return pickle.load(handle)
    indicators = {i: bench.indicators.load(ws, i) for i in bench.indicators.registry()}
    drivers = {t: bench.drivers(ws, t)[1] for t in bench.drivers_spec()["targets"]}
    costs = forecasting.forecast_costs(ws, horizon=HORIZON, draws=n, seed=s)
    demand = placement_service.public_demand(ws, draws=n, seed=s)
    nat = National(indicators=indicators, drivers=drivers, costs=costs,
                   accuracy=published_accuracy(ws), datasets=public_data.datasets(ws),
                   councils=checks.councils(current_only=True),
                   placement_demand=demand.to_frame(), placement_notes=tuple(demand.notes))
    # One council's benchmark works out what every council shares (national ranks and
    # quartiles, funnel overdispersion) into the indicators' caches, kept with them.
    _benchmark(ws, nat, nat.councils[0].code)
    if not overridden:
        _keep(cache, lambda path: path.write_bytes(pickle.dumps(
            nat, protocol=pickle.HIGHEST_PROTOCOL)))
    return nat


@dataclass(frozen=True)
class ScenarioSection:
    """One scenario the pack was asked for: its result, tables and assumptions."""

    name: str
    description: str
    result: scenario_service.ScenarioResult
    summary: pd.DataFrame
    spend: pd.DataFrame
    assumptions: list[str]
    base_year: int


@dataclass(frozen=True)
class Section:
    """A section another capability adds (placements, workforce): heading, text, tables."""

    heading: str
    paragraphs: list[str]
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)


@dataclass(frozen=True)
class CouncilPack:
    """Everything one council's briefing pack shows."""

    council: Council
    year: int
    benchmark: pd.DataFrame
    trends: dict[str, pd.DataFrame]
    drivers: pd.DataFrame
    driver_points: dict[str, pd.DataFrame]
    history: pd.DataFrame
    forecast: pd.DataFrame
    spend: pd.DataFrame
    unit_costs: pd.DataFrame
    calibration: pd.DataFrame
    assumptions: list[str]
    accuracy: Accuracy
    own_accuracy: pd.DataFrame
    origin: int
    scenarios: list[ScenarioSection]
    records: dict[str, Any] | None
    datasets: pd.DataFrame
    neighbours: list[Council]
    sections: list[Section]


def trend(nat: National, code: str, indicator_id: str) -> pd.DataFrame:
    """Year, council, region, England and the statistical neighbours' mean (what the
    council page charts)."""
    la, region, england = nat.series(indicator_id)
    council = checks.council(code)
    empty = pd.Series(dtype=float)
    peers = [la[p] for p in bench.official_neighbours(code) if p in la]
    frame = pd.DataFrame({
        "council": la.get(code, empty), "region": region.get(council.region_code, empty),
        "england": england,
        "neighbours_mean": pd.concat(peers, axis=1).mean(axis=1) if peers else empty,
    })
    frame.index.name = "year"
    return frame.dropna(how="all").reset_index()


def _benchmark(ws: Workspace, nat: National, code: str) -> pd.DataFrame:
    rows = []
    for ind_id, data in nat.indicators.items():
        r = bench.benchmark(ws, code, ind_id, data=data)
        ind = data.indicator
        rows.append({
            "indicator": ind_id, "section": ind.section, "label": ind.label, "unit": ind.unit,
            "kind": ind.kind, "polarity": ind.polarity, "year": r["year"],
            "period": r["period_label"], "value": r["value"], "filled": r["filled"],
            "suppressed": r["suppressed"], "england": r["england"],
            "region": r["region"]["value"], "neighbours": r["neighbours"]["mean"],
            "rank": r["rank"], "rank_of": r["rank_of"], "rank_rule": r["rank_rule"],
            "quartile": r["quartile"], "q1": r["quartiles"]["q1"],
            "median": r["quartiles"]["median"], "q3": r["quartiles"]["q3"],
            "trend": r["trend"]["direction"], "source": ind.citation,
        })
    return pd.DataFrame(rows)


def _drivers(nat: National, code: str) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    rows, points = [], {}
    for target, summary in nat.drivers.items():
        table = pd.DataFrame(summary["councils_table"]).set_index("code")
        points[target] = table
        if code in table.index:
            r = table.loc[code]
            rows.append({"target": target, "label": bench.measure_label(summary["measure"]),
                         "year": summary["year"], "actual": r["actual"],
                         "expected": r["expected"], "lower": r["lower"], "upper": r["upper"],
                         "position": r["position"], "cv_r2": summary["cv_r2"]})
    return pd.DataFrame(rows), points


def load_scenarios(names: Sequence[str]) -> list[scenario_service.Scenario]:
    """Scenario files or preset names, checked before any model runs."""
    return [scenario_service.load(n) for n in names]


def _scenario(ws: Workspace, scenario: scenario_service.Scenario, code: str,
              draws: int | None) -> ScenarioSection:
    result = scenario_service.run_scenario(ws, scenario, code, draws=draws)
    frames = result.to_frames()
    return ScenarioSection(name=scenario.name, description=scenario.description or "",
                           result=result, summary=frames["summary"], spend=frames["spend"],
                           assumptions=result.assumptions,
                           base_year=int(result.appraisal.base_year))


SECTION_TITLES = {"placements": "Placements", "workforce": "Workforce",
                  "outcomes": "Outcomes for care leavers",
                  "assessment": "Factors identified at the end of assessment"}
PLACEMENT_DEMAND = "placement-demand"


def extra_sections(benchmark: pd.DataFrame, nat: National, code: str) -> list[Section]:
    """The council page's other sections: each indicator section's benchmark table
    (placements, workforce, care leavers' outcomes, assessment factors) and, under
    placements, the children needing each type of home (the page's demand rows)."""
    sections = []
    for key, title in SECTION_TITLES.items():
        tables = [(key, benchmark[benchmark["section"] == key])]
        paragraphs: list[str] = []
        if key == "placements":
            demand = nat.placement_demand[nat.placement_demand["la_code"] == code]
            if len(demand):
                tables.append((PLACEMENT_DEMAND, demand.reset_index(drop=True)))
                paragraphs = list(nat.placement_notes)
        if len(tables[0][1]) or len(tables) > 1:
            sections.append(Section(heading=title, paragraphs=paragraphs, tables=tables))
    return sections


def council_pack(ws: Workspace, council: str, *, scenarios: Sequence[str] = (),
                 ssda903: bool = False, nat: National | None = None,
                 draws: int | None = None) -> CouncilPack:
    """One council's pack; ``scenarios`` are files or preset names; ``ssda903`` adds the
    summary of the workspace's ingested returns (record-level: for signed-in users)."""
    found = checks.council(council)
    if not found.is_current:
        raise LookupError(f"{found.name} ({found.code}) was abolished; report on its "
                          "successor council instead")
    loaded = load_scenarios(scenarios)
    if ssda903 and not ws.has_table("ssda903_episodes"):
        raise InputError("no SSDA903 returns are ingested in this workspace; run "
                         "`carecast ssda903 ingest FOLDER` first")
    nat = nat or national(ws, draws=draws)
    code = found.code
    stock = nat.indicators["cla_rate"]   # its count is children looked after at 31 March
    drivers, points = _drivers(nat, code)
    costs = nat.costs
    forecast = costs.forecast[(costs.forecast["la_code"] == code)]
    counts = (stock.la.xs(code, level=0)["count"].dropna() if code in
              stock.la.index.get_level_values(0) else pd.Series(dtype=float))
    history = pd.DataFrame({"year": counts.index.astype(int),
                            "cla_at_31_march": counts.to_numpy(float)})
    benchmark = _benchmark(ws, nat, code)
    current = {c.code: c for c in nat.councils}
    return CouncilPack(
        council=found, year=stock.latest_year(),
        benchmark=benchmark[benchmark["section"] == ""].reset_index(drop=True),
        trends={i: trend(nat, code, i) for i in TREND_INDICATORS if i in nat.indicators},
        drivers=drivers, driver_points=points, history=history,
        forecast=forecast.reset_index(drop=True),
        spend=costs.spend[costs.spend["la_code"] == code].reset_index(drop=True),
        unit_costs=costs.unit_costs[costs.unit_costs["la_code"] == code]
        if "la_code" in costs.unit_costs else costs.unit_costs,
        calibration=costs.calibration[costs.calibration["la_code"] == code],
        assumptions=costs.assumptions, accuracy=nat.accuracy,
        own_accuracy=nat.accuracy.by_council[nat.accuracy.by_council["la_code"] == code],
        origin=costs.origin,
        scenarios=[_scenario(ws, s, code, draws) for s in loaded],
        records=records.summarise(ws) if ssda903 else None,
        datasets=nat.datasets,
        neighbours=[current[c] for c in bench.official_neighbours(code) if c in current],
        sections=extra_sections(benchmark, nat, code),
    )


@dataclass(frozen=True)
class EnglandPack:
    """The national pack: regions and councils ranked, England's forecast, the spread."""

    year: int
    regions: pd.DataFrame
    councils: pd.DataFrame
    forecast: pd.DataFrame
    history: pd.DataFrame
    spread: pd.DataFrame
    spend: pd.DataFrame
    accuracy: Accuracy
    assumptions: list[str]
    origin: int
    datasets: pd.DataFrame


def _latest(data: IndicatorData) -> tuple[int, pd.Series]:
    year = data.latest_year()
    return year, data.year_values(year)


def england_pack(ws: Workspace, nat: National | None = None,
                 draws: int | None = None) -> EnglandPack:
    """Regions and councils on the headline indicators, England's forecast and spend, and
    the spread of councils' forecast change."""
    nat = nat or national(ws, draws=draws)
    names = {c.code: c for c in nat.councils}
    columns: dict[str, pd.Series] = {}
    region_rows: dict[str, dict[str, Any]] = {}
    year = nat.indicators["cla_rate"].latest_year()   # the children looked after data
    for ind_id in HEADLINE:
        data = nat.indicators[ind_id]
        y, values = _latest(data)
        columns[ind_id] = values
        for region, value in data.region.xs(y, level=1)["value"].items():
            region_rows.setdefault(str(region), {})[ind_id] = value
    councils = pd.DataFrame(columns)
    councils.index.name = "la_code"
    councils = councils[councils.index.isin(names)].reset_index()
    councils.insert(1, "name", councils["la_code"].map(lambda c: names[c].name))
    councils.insert(2, "region", councils["la_code"].map(lambda c: names[c].region_name))
    councils = councils.sort_values("cla_rate", ascending=False, na_position="last")
    councils.insert(0, "rank", range(1, len(councils) + 1))
    region_names = {c.region_code: c.region_name for c in nat.councils}
    regions = pd.DataFrame([{"region_code": k, "region": region_names.get(k, k), **v}
                            for k, v in region_rows.items() if k in region_names])
    regions = regions.sort_values("cla_rate", ascending=False).reset_index(drop=True)
    fc = nat.costs.forecast
    stock = fc[fc["measure"] == "cla_at_31_march"]
    england = fc[fc["la_code"] == ENGLAND].reset_index(drop=True)
    panel_stock = nat.indicators["cla_rate"].la
    last = stock[stock["period"] == stock["period"].max()].set_index("la_code")["mean"]
    base = panel_stock.xs(nat.costs.origin, level=1)["count"] if nat.costs.origin in \
        panel_stock.index.get_level_values(1) else pd.Series(dtype=float)
    base = base[base > 0]
    change = ((last / base.reindex(last.index) - 1) * 100).drop(ENGLAND, errors="ignore")
    spread = pd.DataFrame({"la_code": change.index, "change_percent": change.to_numpy()})
    spread = spread[spread["la_code"].isin(names)].dropna().sort_values("change_percent")
    spread.insert(1, "name", spread["la_code"].map(lambda c: names[c].name))
    eng_history = pd.DataFrame([{"year": int(y), "cla_at_31_march": float(v)}
                                for y, v in nat.indicators["cla_rate"].england["count"]
                                .dropna().items()])
    spend = nat.costs.spend[nat.costs.spend["la_code"] == ENGLAND].reset_index(drop=True)
    return EnglandPack(year=year, regions=regions, councils=councils.reset_index(drop=True),
                       forecast=england, history=eng_history,
                       spread=spread.reset_index(drop=True), spend=spend,
                       accuracy=nat.accuracy, assumptions=nat.costs.assumptions,
                       origin=nat.costs.origin, datasets=nat.datasets)


__all__ = ["ACCURACY_HORIZONS", "FORECAST_SOURCE", "HEADLINE", "HORIZON", "TREND_INDICATORS",
           "Accuracy", "CouncilPack", "EnglandPack", "National", "ScenarioSection", "Section",
           "council_pack", "england_pack", "extra_sections", "load_scenarios", "national",
           "published_accuracy", "trend"]
