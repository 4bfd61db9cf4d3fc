"""What each public page shows, as plain data: the HTML pages and the JSON API both call these.

A builder returns a dict with ``title``, ``tables`` (:class:`Table`, downloadable) and
anything else its template draws (charts, summary rows). Builders are pure functions of the
in-memory :class:`PublicData`, so the routes cache their results per argument tuple.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from carecast import OGL_ATTRIBUTION, disclosure
from carecast.report import charts
from carecast.report.charts import Series
from carecast.report.text import format_value
from carecast.service import benchmark as bench
from carecast.service import data as public_data
from carecast.service import placements as placement_service
from carecast.service.benchmark import Indicator
from carecast.web.public import PublicData
from carecast.web.tables import Column, Table

DEFAULT_INDICATOR = "cla_rate"
TREND_INDICATORS = ("cla_rate", "cla_starts_rate", "ceased_rate", "cin_rate", "cpp_rate")
BOUNDARY_ATTRIBUTION = (
    "Contains OS data © Crown copyright and database right 2024 (ONS boundaries). "
    "Hex cartogram: House of Commons Library, Open Parliament Licence."
)
CELL_KIND = {"rate": "rate", "percent": "percent", "money": "money", "ordinal": "number"}


def _kind(indicator: Indicator) -> str:
    return CELL_KIND.get(indicator.kind, "number")


def _fmt(indicator: Indicator) -> Callable[[float | None], str]:
    kind = _kind(indicator)
    return lambda v: format_value(v, kind)


def _by_year(indicator: Indicator, year: int) -> str:
    """A table-of-years caption saying what a year means, e.g. "(2024 = at 30 September 2024)"."""
    return (f"{indicator.label} ({indicator.unit}) by year ({year} = "
            f"{indicator.period_label(year)})")


def choose(data: PublicData, indicator: str | None, year: int | None) -> tuple[Indicator, int]:
    """The indicator and year a map shows: the asked-for ones when valid, else defaults."""
    chosen = indicator if indicator in data.indicators else DEFAULT_INDICATOR
    years = data.years(chosen)
    return data.indicators[chosen], year if year in years else years[-1]


def home(data: PublicData, indicator_id: str | None, year: int | None) -> dict[str, Any]:
    indicator, year = choose(data, indicator_id, year)
    values = data.la_values(indicator.id, year)
    breaks = charts.quantile_breaks(values.values())
    fmt = _fmt(indicator)

    def describe(code: str, name: str, value: float | None) -> str:
        return f"{name}: {fmt(value) if value is not None else 'no data'}"

    def href(code: str) -> str:
        return f"/council/{code}"

    rows = []
    for position, (code, value) in enumerate(sorted(values.items(), key=lambda kv: -kv[1]), 1):
        council = data.by_code[code]
        rows.append({"position": position, "code": code, "name": council.name,
                     "region": council.region_name, "value": value})
    england = dict(data.england_series[indicator.id]).get(year)
    title = f"{indicator.label}, {indicator.period_label(year)}"
    table = Table(
        name="councils",
        caption=f"{indicator.label} ({indicator.unit}) by council, {indicator.period_label(year)}",
        columns=[Column("position", "Position (1 = highest)"), Column("code", "DfE code"),
                 Column("name", "Council"), Column("region", "Region"),
                 Column("value", indicator.label, _kind(indicator))],
        rows=rows, source=indicator.citation, links={"name": "/council/{code}"},
    )
    return {
        "title": "Every council at a glance",
        "indicator": indicator,
        "year": year,
        "years": data.years(indicator.id),
        "indicators": list(data.indicators.values()),
        "england": england,
        "england_text": fmt(england) if england is not None else None,
        "map": charts.choropleth(data.boundaries, values, title=f"Map of England: {title}",
                                 href=href, describe=describe, breaks=breaks),
        "hex": charts.choropleth(data.hexes, values, title=f"Hex cartogram: {title}",
                                 href=href, describe=describe, breaks=breaks),
        "legend": charts.legend(breaks, fmt),
        "n_missing": sum(1 for c in data.councils if c.code not in values),
        "tables": [table],
    }


def _lines_table(name: str, caption: str, lines: list[tuple[str, list[tuple[int, float]]]],
                 kind: str, source: str) -> Table:
    years = sorted({y for _, pts in lines for y, _ in pts})
    rows = [{"year": y, **{f"s{i}": dict(p).get(y) for i, (_, p) in enumerate(lines)}}
            for y in years]
    columns = [Column("year", "Year")] + [Column(f"s{i}", n, kind)
                                          for i, (n, _) in enumerate(lines)]
    return Table(name=name, caption=caption, columns=columns, rows=rows, source=source)


def _trend(data: PublicData, code: str, indicator: Indicator) -> dict[str, Any] | None:
    council = data.by_code[code]
    own = data.la_series[indicator.id].get(code, [])
    if not own:
        return None
    peers = [data.la_series[indicator.id].get(c, []) for c in data.neighbours(code)]
    by_year: dict[int, list[float]] = {}
    for pts in peers:
        for y, v in pts:
            by_year.setdefault(y, []).append(v)
    neighbour_mean = [(y, sum(v) / len(v)) for y, v in sorted(by_year.items())]
    lines = [(council.name, own),
             (f"{council.region_name} (region)",
              data.region_series[indicator.id].get(council.region_code, [])),
             ("England", data.england_series[indicator.id]),
             ("Statistical neighbours (mean)", neighbour_mean)]
    lines = [(n, p) for n, p in lines if p]
    fmt = _fmt(indicator)
    latest_year, latest = own[-1]
    england = dict(data.england_series[indicator.id]).get(latest_year)
    summary = f"{council.name}: {fmt(latest)} in {latest_year}."
    if england is not None:
        summary += f" England: {fmt(england)}."
    return {
        "indicator": indicator,
        "chart": charts.line_chart([Series(n, p) for n, p in lines],
                                   title=f"{indicator.label}: {council.name} against region, "
                                   "England and statistical neighbours",
                                   description=summary, fmt=fmt),
        "legend": charts.line_legend([Series(n, p) for n, p in lines]),
        "table": _lines_table(f"trend-{indicator.id}", _by_year(indicator, latest_year), lines,
                              _kind(indicator), indicator.citation),
    }


SECTION_CAPTIONS = {
    "": "Benchmarking: each indicator in its latest year against England, region and "
        "statistical neighbours, with rank and quartile band (A = rank 1 side)",
    "workforce": "Workforce: children and family social workers (counts at 30 September) and "
                 "children in care's changes of social worker, against England, region and "
                 "statistical neighbours",
    "outcomes": "Outcomes: care leavers in suitable accommodation and in education, "
                "employment or training, against England, region and statistical neighbours",
    "assessment": "Factors identified at the end of children in need assessments, per 10,000 "
                  "children and as a share of assessments with factors recorded",
    "placements": "Placements: where children live, stability, distance from home and school "
                  "moves, against England, region and statistical neighbours",
}


def _benchmark(data: PublicData, code: str, section: str = "") -> Table:
    """One council-page benchmarking table: the indicators of one section of the registry."""
    rows = []
    for ind_id, ind_data in data.indicator_data.items():
        ind = ind_data.indicator
        if ind.section != section:
            continue
        result = bench.benchmark(data.ws, code, ind_id, data=ind_data)
        fmt = _fmt(ind)
        rows.append({
            "label": ind.label, "year": result["year"], "period": result["period_label"],
            "value": fmt(result["value"]) + (" *" if result["filled"] else ""),
            "england": fmt(result["england"]), "region": fmt(result["region"]["value"]),
            "neighbours": fmt(result["neighbours"]["mean"]),
            "rank": f"{result['rank']} of {result['rank_of']}" if result["rank"] else "–",
            "rule": result["rank_rule"], "quartile": result["quartile"] or "–",
            "trend": result["trend"]["direction"] or "–",
            "note": result["filled_note"] or "",
        })
    return Table(
        name="benchmark" if not section else f"benchmark-{section}",
        caption=SECTION_CAPTIONS[section],
        columns=[Column("label", "Indicator"), Column("period", "Period"),
                 Column("value", "Council"), Column("england", "England"),
                 Column("region", "Region"), Column("neighbours", "Neighbours (mean)"),
                 Column("rank", "Rank"), Column("rule", "Rank rule"),
                 Column("quartile", "Quartile band"), Column("trend", "5-year trend"),
                 Column("note", "Note (* carried from another council)")],
        rows=rows, source="DfE, ONS, MHCLG and Ofsted via carecast.benchmark",
    )


def _drivers(data: PublicData, code: str) -> Table | None:
    rows = []
    for row in data.driver_rows(code):
        label = bench.measure_label(row["measure"])
        carried = row.get("carried") or []
        rows.append({"label": label, "year": row["year"], "actual": row["actual"],
                     "expected": row["expected"], "lower": row["lower"], "upper": row["upper"],
                     "position": {"above": "above expectation", "below": "below expectation",
                                  "within": "within expectation"}.get(row["position"],
                                                                      row["position"]),
                     "carried": ("carried from another council: " + ", ".join(carried))
                     if carried else ""})
    if not rows:
        return None
    return Table(
        name="drivers",
        caption="Drivers: actual value against the value expected from external drivers "
        "(deprivation, poverty, unemployment, crime, population), with the 95% prediction "
        "interval",
        columns=[Column("label", "Measure"), Column("year", "Year"),
                 Column("actual", "Actual", "number"), Column("expected", "Expected", "number"),
                 Column("lower", "95% interval, lower", "number"),
                 Column("upper", "95% interval, upper", "number"),
                 Column("position", "Compared with expectation"),
                 Column("carried", "Note")],
        rows=rows, source="carecast.benchmark.drivers (OLS on the log scale on published "
        "drivers; correlation, not cause)",
    )


def _forecast(data: PublicData, code: str) -> dict[str, Any] | None:
    frame = data.forecast[(data.forecast["la_code"] == code)
                          & (data.forecast["measure"] == "cla_at_31_march")]
    history = data.la_series["cla_rate"].get(code)
    from_panel = bench.profile(data.ws, code)["trend"]
    actual = [(r["year"], float(r["cla_at_31_march"])) for r in from_panel
              if r.get("cla_at_31_march") is not None]
    if frame.empty or not history or not actual:
        return None
    frame = frame.sort_values("period")
    mean = [(int(r.period), float(r.mean)) for r in frame.itertuples()]
    series = [
        Series("Published", actual),
        Series("Forecast (mean, 80% and 95% intervals)", [actual[-1], *mean], bands={
            "95%": [(actual[-1][0], actual[-1][1], actual[-1][1])]
            + [(int(r.period), float(r.lo_95), float(r.hi_95)) for r in frame.itertuples()],
            "80%": [(actual[-1][0], actual[-1][1], actual[-1][1])]
            + [(int(r.period), float(r.lo_80), float(r.hi_80)) for r in frame.itertuples()],
        }),
    ]
    last = frame.iloc[-1]
    fmt = lambda v: format_value(v, "count")  # noqa: E731
    description = (f"{fmt(actual[-1][1])} in {actual[-1][0]}; forecast {fmt(last['mean'])} in "
                   f"{int(last['period'])} (95% interval {fmt(last['lo_95'])} to "
                   f"{fmt(last['hi_95'])}).")
    rows = [{"year": int(r.period), "mean": r.mean, "lo_80": r.lo_80, "hi_80": r.hi_80,
             "lo_95": r.lo_95, "hi_95": r.hi_95} for r in frame.itertuples()]
    return {
        "chart": charts.line_chart(series, title="Children looked after at 31 March: published "
                                   "and forecast", description=description, fmt=fmt),
        "legend": charts.line_legend(series),
        "description": description,
        "table": Table(
            name="forecast",
            caption="Forecast of children looked after at 31 March, with 80% and 95% "
            "prediction intervals",
            columns=[Column("year", "Year"), Column("mean", "Forecast (mean)", "count"),
                     Column("lo_80", "80% lower", "count"), Column("hi_80", "80% upper", "count"),
                     Column("lo_95", "95% lower", "count"), Column("hi_95", "95% upper", "count")],
            rows=rows, source="carecast default council forecast (model.default_forecast) on DfE "
            "children looked after data",
        ),
    }


PLACEMENT_TRENDS = ("fostering_pct", "residential_pct", "supported_pct", "own_provision_pct",
                    "outside_la_pct", "placements_3plus_pct", "long_term_stability_pct")
INTERVAL_COLUMNS = [Column("mean", "Mean", "count"), Column("lo_80", "80% lower", "count"),
                    Column("hi_80", "80% upper", "count"), Column("lo_95", "95% lower", "count"),
                    Column("hi_95", "95% upper", "count")]


def _shown(row: dict[str, Any], key: str) -> Any:
    """A forecast cell as a table shows it: DfE's 'c' when suppressed, else to one place."""
    return disclosure.rule().marker if row["suppressed"] else round(float(row[key]), 1)


def _demand_chart(rows: Any, key: str, labels: dict[str, str], title: str,
                  description: str) -> tuple[Any, list[dict[str, str]]]:
    fmt = lambda v: format_value(v, "count")  # noqa: E731
    series = [Series(labels.get(k, k), [(int(r.period), float(r.mean)) for r in g.itertuples()
                                        if r.mean == r.mean])
              for k, g in rows.groupby(key, sort=False)]
    series = [s for s in series if s.points]
    return (charts.line_chart(series, title=title, description=description, fmt=fmt),
            charts.line_legend(series))


def _placements(data: PublicData, code: str) -> dict[str, Any]:
    """Placement indicators' trends and demand by type of home and age band."""
    trends = [t for ind in PLACEMENT_TRENDS if ind in data.indicators
              if (t := _trend(data, code, data.indicators[ind])) is not None]
    try:
        section = placement_service.council_section(data.placement_demand(), code)
    except LookupError:
        return {"trends": trends, "demand": None}
    labels = dict(section["groups"])
    by_group = section["by_group"]
    by_age = section["by_age"]
    years = section["years"]
    groups_chart = _demand_chart(
        by_group[by_group["group"] != "all"], "group", labels,
        "Children needing each type of home at 31 March (forecast mean)",
        f"Forecast children by type of home, {years[0]} to {years[-1]}; the table gives "
        "80% and 95% intervals.")
    ages_chart = _demand_chart(
        by_age[by_age["age_band"] != "all"], "age_band", {},
        "Children in care by age band at 31 March (forecast mean)",
        f"Forecast children by age band, {years[0]} to {years[-1]}.")
    group_rows = [{"group": labels.get(r.group, "All children"), "year": int(r.period),
                   **{c.key: _shown(r._asdict(), c.key) for c in INTERVAL_COLUMNS}}
                  for r in by_group.itertuples()]
    last = section["cells"][(section["cells"]["period"] == years[-1])
                            & (section["cells"]["group"] != "all")].set_index(
                                ["age_band", "group"])
    age_rows = [{"age_band": band, **{g: _shown(last.loc[(band, g)].to_dict(), "mean")
                                      for g, _ in section["groups"]}}
                for band in [*section["bands"], "all"]]
    tables = [
        Table(name="placement-demand",
              caption="Children needing each type of home at 31 March, forecast mean with "
              "80% and 95% intervals",
              columns=[Column("group", "Type of home"), Column("year", "Year"),
                       *INTERVAL_COLUMNS],
              rows=group_rows, source=placement_service.DEMAND_SOURCE),
        Table(name="placement-demand-age",
              caption=f"Children needing each type of home by age band at 31 March "
              f"{years[-1]}, forecast mean",
              columns=[Column("age_band", "Age band"),
                       *[Column(g, label, "count") for g, label in section["groups"]]],
              rows=age_rows, source=placement_service.DEMAND_SOURCE),
    ]
    return {"trends": trends, "demand": {
        "notes": section["notes"], "groups_chart": groups_chart[0],
        "groups_legend": groups_chart[1], "ages_chart": ages_chart[0],
        "ages_legend": ages_chart[1], "tables": tables}}


def council(data: PublicData, code: str) -> dict[str, Any]:
    """Profile, trends, benchmarking, drivers and forecast for one current council."""
    c = data.by_code[code]
    prof = bench.profile(data.ws, code)
    summary = [("DfE code", c.code), ("ONS code", c.ons_code), ("Region", c.region_name)]
    for item in prof["indicators"].values():
        if item["value"] is not None:
            kind = "count" if item["unit"] in ("children", "people") else "rate"
            summary.append((f"{item['label']} ({prof['year']})",
                            f"{format_value(item['value'], kind)} (England "
                            f"{format_value(item['england'], kind)})"))
    if prof["ofsted"]:
        summary.append(("Ofsted overall effectiveness",
                        f"{prof['ofsted']['overall']} (published "
                        f"{prof['ofsted']['publication_date']})"))
    trends = [t for ind in TREND_INDICATORS if ind in data.indicators
              if (t := _trend(data, code, data.indicators[ind])) is not None]
    benchmark = _benchmark(data, code)
    sections = {key: _benchmark(data, code, key) for key in SECTION_CAPTIONS if key}
    drivers = _drivers(data, code)
    forecast = _forecast(data, code)
    placements = _placements(data, code)
    tables = [benchmark, *(t for t in sections.values() if t.rows)]
    tables += [t["table"] for t in trends]
    tables += [t for t in (drivers, forecast["table"] if forecast else None) if t is not None]
    tables += [t["table"] for t in placements["trends"]]
    tables += placements["demand"]["tables"] if placements["demand"] else []
    return {
        "title": c.name,
        "council": c,
        "profile": summary,
        "neighbours": [data.by_code[n] for n in data.neighbours(code)],
        "trends": trends,
        "benchmark": benchmark,
        "workforce": sections["workforce"],
        "outcomes": sections["outcomes"],
        "assessment": sections["assessment"],
        "placement_benchmark": sections["placements"],
        "drivers": drivers,
        "drivers_caveat": next(iter(data.drivers.values()))["caveat"] if data.drivers else "",
        "forecast": forecast,
        "placements": placements,
        "tables": tables,
    }


def compare(data: PublicData, codes: list[str], indicator_id: str | None) -> dict[str, Any]:
    """Several councils on one indicator over time."""
    indicator, _ = choose(data, indicator_id, None)
    chosen = [data.by_code[c] for c in dict.fromkeys(codes) if c in data.by_code][:6]
    lines = [(c.name, data.la_series[indicator.id].get(c.code, [])) for c in chosen]
    lines.append(("England", data.england_series[indicator.id]))
    lines = [(n, p) for n, p in lines if p]
    names = ", ".join(c.name for c in chosen) or "no councils chosen"
    return {
        "title": "Compare councils",
        "indicator": indicator,
        "indicators": list(data.indicators.values()),
        "chosen": chosen,
        "councils": data.councils,
        "chart": charts.line_chart([Series(n, p) for n, p in lines],
                                   title=f"{indicator.label}: {names} and England",
                                   description=f"Lines for {names} and England by year.",
                                   fmt=_fmt(indicator)) if chosen else None,
        "legend": charts.line_legend([Series(n, p) for n, p in lines]),
        "tables": [_lines_table("compare", _by_year(indicator, max(data.years(indicator.id))),
                                lines, _kind(indicator), indicator.citation)] if chosen else [],
    }


def sources(data: PublicData) -> dict[str, Any]:
    """Every bundled dataset: publisher, licence and citation (the data catalogue)."""
    frame = public_data.datasets(data.ws)
    columns = [Column(str(c), str(c).replace("_", " ").capitalize()) for c in frame.columns]
    return {
        "title": "Data sources and attribution",
        "attribution": [OGL_ATTRIBUTION, BOUNDARY_ATTRIBUTION],
        "tables": [Table(
            name="datasets",
            caption="Datasets behind every page, with publisher and licence",
            columns=columns,
            rows=frame.astype(object).where(frame.notna(), None).to_dict("records"),
            source="carecast data catalogue",
        )],
    }
