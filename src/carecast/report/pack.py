"""Briefing packs as self-contained HTML (inline CSS and SVG, no network), and as PDF.

:func:`council_html` and :func:`england_html` render what :mod:`carecast.service.report`
assembles; :func:`write` saves HTML or, through :mod:`carecast.report.pdf`, the PDF printed
from the same HTML. Words are generated from the numbers ("above England (70.0)"), so a
reader can check every sentence against the tables beside it. Small numbers are hidden by
:mod:`carecast.disclosure` in every table, as in every other output.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
from markupsafe import Markup

import carecast
from carecast import OGL_ATTRIBUTION, disclosure
from carecast.report import charts, export, pdf
from carecast.report.charts import Series
from carecast.report.text import compared, financial_year, format_value, millions
from carecast.service import placements as placement_service
from carecast.service.report import (
    FORECAST_SOURCE,
    HEADLINE,
    PLACEMENT_DEMAND,
    CouncilPack,
    EnglandPack,
)

FORMATS = ("html", "pdf")
TEMPLATES = Path(__file__).parent / "templates"
KIND = {"rate": "rate", "percent": "percent", "money": "money", "ordinal": "number"}
POSITION = {"above": "above expectation", "below": "below expectation",
            "within": "within expectation"}
DRIVERS_CAVEAT = (
    "Expected values come from a regression across all councils on external drivers "
    "(deprivation, child poverty, unemployment, crime and population). They describe "
    "association, not cause: a council outside the 95% prediction interval differs from "
    "councils in similar circumstances in ways these drivers do not capture, which may be "
    "practice, local decisions or data.")


@dataclass
class PackTable:
    """A table as the pack prints it: formatted cells, the first column a row header."""

    caption: str
    columns: list[tuple[str, bool]]          # label, numeric
    rows: list[list[str]]
    source: str
    note: str = ""


@dataclass
class Figure:
    svg: Markup
    legend: list[dict[str, str]] = field(default_factory=list)
    caption: str = ""


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                             autoescape=jinja2.select_autoescape(["html"]),
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    env.globals.update(version=carecast.__version__, ogl=OGL_ATTRIBUTION)
    env.filters["css_string"] = _css_string
    return env


def _css_string(text: str) -> Markup:
    """Text as a quoted CSS string for the page header (letters, digits, spaces and simple
    punctuation only, so nothing can close the style sheet)."""
    return Markup('"' + re.sub(r"[^\w ,.'()&\u00b7-]", "", str(text)) + '"')


def _kind(row: pd.Series | dict[str, Any]) -> str:
    return KIND.get(str(row["kind"]), "number")


def _fmt(kind: str) -> Callable[[Any], str]:
    return lambda v: format_value(None if v is None or pd.isna(v) else v, kind)


def _count(value: Any) -> str:
    return format_value(None if value is None or pd.isna(value) else float(value), "count")


def _interval(lo: Any, hi: Any, fmt: Callable[[Any], str]) -> str:
    return f"{fmt(lo)} to {fmt(hi)}"


def headline_sentence(row: dict[str, Any], name: str) -> str:
    """One headline indicator in words, against England, region and neighbours."""
    fmt = _fmt(_kind(row))
    if row["value"] is None or pd.isna(row["value"]):
        return f"{row['label']}, {row['period']}: not published for {name}."
    parts = [f"{compared(row['value'], row['england'])} England ({fmt(row['england'])})",
             f"{compared(row['value'], row['region'])} the region ({fmt(row['region'])})",
             f"{compared(row['value'], row['neighbours'])} statistical neighbours "
             f"({fmt(row['neighbours'])})"]
    rank = (f" Rank {row['rank']} of {row['rank_of']} ({row['rank_rule']}), quartile band "
            f"{row['quartile']}" if row["rank"] is not None and not pd.isna(row["rank"])
            else "")
    trend = f", {row['trend']} over five years" if row["trend"] else ""
    return (f"{row['label']}, {row['period']}: {fmt(row['value'])}, {parts[0]}, {parts[1]} "
            f"and {parts[2]}.{rank}{trend}{'.' if rank or trend else ''}")


BENCHMARK_CAPTION = ("Every indicator in its latest year against England, region and "
                     "statistical neighbours, with the quartiles of all councils, rank and band")


def _benchmark_table(frame: pd.DataFrame, caption: str = BENCHMARK_CAPTION) -> PackTable:
    rows = []
    for r in frame.to_dict(orient="records"):
        fmt = _fmt(_kind(r))
        value = disclosure.rule().marker if r["suppressed"] else fmt(r["value"])
        rows.append([r["label"], str(r["period"]), value + (" *" if r["filled"] else ""),
                     fmt(r["england"]), fmt(r["region"]), fmt(r["neighbours"]),
                     f"{fmt(r['q1'])} / {fmt(r['median'])} / {fmt(r['q3'])}",
                     "–" if r["rank"] is None or pd.isna(r["rank"])
                     else f"{int(r['rank'])} of {r['rank_of']}",
                     r["quartile"] or "–", r["trend"] or "–"])
    filled = " * carried from another council (a predecessor, or a shared service)." \
        if frame["filled"].any() else ""
    return PackTable(
        caption=caption,
        columns=[("Indicator", False), ("Period", False), ("Council", True), ("England", True),
                 ("Region", True), ("Neighbours (mean)", True),
                 ("Quartiles of councils (25% / median / 75%)", True), ("Rank", True),
                 ("Band", False), ("5-year trend", False)],
        rows=rows, source="; ".join(dict.fromkeys(frame["source"])),
        note="Rank 1 and band A are the best value where an indicator has a direction, and "
        "the highest value where it does not (neutral indicators such as the rate in care)."
        + filled)


def _trend_figure(frame: pd.DataFrame, label: str, kind: str, name: str) -> Figure:
    fmt = _fmt(kind)
    names = {"council": name, "region": "Region", "england": "England",
             "neighbours_mean": "Statistical neighbours (mean)"}
    series = [Series(names[c], [(int(y), float(v)) for y, v in zip(frame["year"], frame[c],
                                                                   strict=True) if pd.notna(v)])
              for c in names if c in frame]
    series = [s for s in series if s.points]
    last = frame.dropna(subset=["council"]).iloc[-1] if frame["council"].notna().any() else None
    summary = (f"{name}: {fmt(last['council'])} in {int(last['year'])}; England "
               f"{fmt(last['england'])}." if last is not None else "No published values.")
    return Figure(charts.line_chart(series, title=f"{label}: {name} against region, England "
                                    "and statistical neighbours", description=summary,
                                    fmt=fmt, height=240),
                  charts.line_legend(series), summary)


def _drivers_table(frame: pd.DataFrame) -> PackTable:
    rows = [[r["label"], str(r["year"]), format_value(r["actual"], "number"),
             format_value(r["expected"], "number"),
             _interval(r["lower"], r["upper"], _fmt("number")),
             POSITION.get(r["position"], r["position"]), f"{r['cv_r2']:.2f}"]
            for r in frame.to_dict(orient="records")]
    return PackTable(
        caption="Actual against the value expected from external drivers, with the 95% "
        "prediction interval", columns=[("Measure", False), ("Year", False),
                                        ("Actual", True), ("Expected", True),
                                        ("95% interval", True), ("Compared with expectation",
                                                                 False),
                                        ("Cross-validated R²", True)],
        rows=rows, source="carecast.benchmark.drivers: OLS on published drivers (DWP/HMRC, "
        "MHCLG, ONS, Home Office); see the appendix", note=DRIVERS_CAVEAT)


def _forecast_figure(history: pd.DataFrame, forecast: pd.DataFrame) -> tuple[Figure, str]:
    stock = forecast[forecast["measure"] == "cla_at_31_march"].sort_values("period")
    actual = [(int(y), float(v)) for y, v in zip(history["year"], history["cla_at_31_march"],
                                                  strict=True)]
    if stock.empty or not actual:
        return Figure(Markup("")), "No forecast: the council has no published series."
    start = actual[-1]
    series = [Series("Published", actual),
              Series("Forecast (mean, 80% and 95% intervals)",
                     [start, *[(int(r.period), float(r.mean)) for r in stock.itertuples()]],
                     bands={level: [(start[0], start[1], start[1])]
                            + [(int(r.period), float(getattr(r, f"lo_{level}")),
                                float(getattr(r, f"hi_{level}"))) for r in stock.itertuples()]
                            for level in ("95", "80")})]
    last = stock.iloc[-1]
    text = (f"{_count(start[1])} children looked after at 31 March {start[0]}; forecast "
            f"{_count(last['mean'])} at 31 March {int(last['period'])} (80% interval "
            f"{_interval(last['lo_80'], last['hi_80'], _count)}; 95% interval "
            f"{_interval(last['lo_95'], last['hi_95'], _count)}).")
    return Figure(charts.line_chart(series, title="Children looked after at 31 March: "
                                    "published and forecast", description=text, fmt=_count,
                                    height=260),
                  charts.line_legend(series), "Shaded bands: 95% (lighter) and 80% (darker) "
                  "prediction intervals."), text


def _forecast_table(forecast: pd.DataFrame) -> PackTable:
    labels = {"cla_at_31_march": "Looked after at 31 March", "cla_started": "Started in year",
              "cla_ceased": "Ceased in year"}
    rows = [[labels.get(r["measure"], r["measure"]), str(int(r["period"])), _count(r["mean"]),
             _interval(r["lo_80"], r["hi_80"], _count),
             _interval(r["lo_95"], r["hi_95"], _count)]
            for r in forecast.sort_values(["measure", "period"]).to_dict(orient="records")
            if r["measure"] in labels]
    return PackTable(caption="Forecast children looked after, starting and ceasing care "
                     "(years ending 31 March)",
                     columns=[("Measure", False), ("Year", False), ("Mean", True),
                              ("80% interval", True), ("95% interval", True)],
                     rows=rows, source=FORECAST_SOURCE)


def _placement_demand_table(demand: pd.DataFrame) -> PackTable:
    """Children needing each type of home by year, all ages (the council page's table);
    cells the small-number rule hides are the marker."""
    marker = disclosure.rule().marker

    def cell(row: dict[str, Any], fmt: Callable[[], str]) -> str:
        return marker if row["suppressed"] else fmt()

    rows = [[r["group_label"], str(int(r["period"])), cell(r, lambda r=r: _count(r["mean"])),
             cell(r, lambda r=r: _interval(r["lo_80"], r["hi_80"], _count)),
             cell(r, lambda r=r: _interval(r["lo_95"], r["hi_95"], _count))]
            for r in demand[demand["age_band"] == "all"].to_dict(orient="records")]
    return PackTable(caption="Children needing each type of home at 31 March, forecast "
                     "(all ages)",
                     columns=[("Type of home", False), ("Year", False), ("Mean", True),
                              ("80% interval", True), ("95% interval", True)],
                     rows=rows, source=placement_service.DEMAND_SOURCE)


def _section_table(kind: str, frame: pd.DataFrame, heading: str) -> PackTable:
    if kind == PLACEMENT_DEMAND:
        return _placement_demand_table(frame)
    return _benchmark_table(frame, f"{heading}: against England, region and statistical "
                            "neighbours")


def _accuracy_table(pack: CouncilPack | EnglandPack, own: pd.DataFrame | None) -> PackTable:
    acc = pack.accuracy
    mine = {} if own is None else own.set_index("horizon")["mape"].to_dict()
    rows = []
    for r in acc.table.to_dict(orient="records"):
        h = int(r["horizon"])
        rows.append([f"{h} year{'s' if h > 1 else ''} ahead", f"{r['n']:,}",
                     f"{r['mape']:.1f}%", f"{r['median_ape']:.1f}%", f"{r['bias']:+.1f}%",
                     f"{r['coverage_80']:.0f}%", f"{r['coverage_95']:.0f}%",
                     f"{mine[h]:.1f}%" if h in mine else "–"])
    columns = [("Horizon", False), ("Council-years", True), ("Mean abs. error", True),
               ("Median abs. error", True), ("Bias", True), ("In 80% interval", True),
               ("In 95% interval", True)]
    columns.append(("This council's mean abs. error", True))
    return PackTable(
        caption=f"Published accuracy: the same model re-run at every origin "
        f"{acc.origins[0]}-{acc.origins[1]} on the data published by then (children looked "
        "after at 31 March)", columns=columns, rows=rows,
        source="carecast backtest (bench/results/backtest.json; docs/forecasting.md)")


def _spend_table(spend: pd.DataFrame) -> PackTable:
    rows = [[r["period"], millions(r["mean"]), _interval(r["lo_80"], r["hi_80"], millions),
             _interval(r["lo_95"], r["hi_95"], millions),
             millions(r.get("ro3_actual_gbp"))]
            for r in spend.sort_values("period").to_dict(orient="records")]
    return PackTable(caption="Spend on children looked after by financial year: forecast "
                     "cost against RO3 outturn",
                     columns=[("Financial year", False), ("Forecast (mean)", True),
                              ("80% interval", True), ("95% interval", True),
                              ("RO3 outturn", True)],
                     rows=rows, source=FORECAST_SOURCE + "; MHCLG revenue outturn RO3")


def _unit_cost_table(unit: pd.DataFrame) -> PackTable:
    first = unit.sort_values("period").groupby("category").head(1)
    rows = [[str(r["category"]).replace("_", " "), str(r["period"]),
             format_value(r["gbp_per_week"], "money")] for r in first.to_dict(orient="records")]
    return PackTable(caption="Weekly unit costs in the first forecast year",
                     columns=[("Category", False), ("Financial year", False),
                              ("Per child per week", True)],
                     rows=rows, source="; ".join(dict.fromkeys(unit["source"])))


def _scenario_view(section: Any) -> dict[str, Any]:
    s = section.summary.set_index("measure")
    base = financial_year(section.base_year)

    def money(m: str) -> str:
        return (f"{millions(s.loc[m, 'mean'], 2)} (80% interval "
                f"{_interval(s.loc[m, 'lo_80'], s.loc[m, 'hi_80'], lambda v: millions(v, 2))})")

    payback = s.loc["payback_year"]
    if not payback["invested"]:
        paid = "nothing invested, so nothing to pay back"
    elif pd.notna(payback["mean"]):
        paid = (f"{financial_year(payback['mean'])} ({payback['share_of_draws']:.0%} of "
                "draws pay back)")
    else:
        paid = f"not within the horizon ({payback['share_of_draws']:.0%} of draws pay back)"
    entries = s.loc["entries_avoided"]
    summary = [("Entries to care avoided", f"{_count(entries['mean'])} (80% interval "
                f"{_interval(entries['lo_80'], entries['hi_80'], _count)})"),
               ("Investment", millions(s.loc["investment_total_gbp", "mean"], 2)),
               ("Net savings after investment", money("net_savings_total_gbp")),
               (f"Net present value ({base} prices)", money("npv_gbp")),
               ("Payback", paid)]
    spend = section.spend.pivot_table(index="period", columns="measure", values="mean")
    rows = [[str(p), *(millions(spend.at[p, m]) if m in spend and pd.notna(spend.at[p, m])
                       else "not appraised" for m in ("baseline_gbp", "scenario_gbp",
                                                      "investment_gbp", "net_savings_gbp",
                                                      "cumulative_savings_gbp"))]
            for p in spend.index]
    table = PackTable(caption=f"{section.name}: placement spend by financial year (mean)",
                      columns=[("Financial year", False), ("Baseline", True),
                               ("Scenario", True), ("Investment", True),
                               ("Net savings", True), ("Cumulative", True)],
                      rows=rows, source="carecast scenarios (paired draws against the "
                      "forecast baseline)")
    drawn = charts.result_charts(section.result)
    legend = charts.line_legend([Series("Baseline", []), Series(section.name, [])])
    return {"name": section.name, "description": section.description, "summary": summary,
            "table": table, "base_year": base, "assumptions": section.assumptions,
            "figures": [Figure(drawn["children"], legend), Figure(drawn["savings"])]}


def _records_tables(report: dict[str, Any]) -> list[PackTable]:
    """The workspace's SSDA903 summary, already suppressed by the service."""
    marker = disclosure.rule().marker

    def cell(v: Any) -> str:
        return marker if v is None else f"{int(v):,}"

    source = "SSDA903 returns ingested into this workspace (children pseudonymised)"
    years = report["years"]
    stock = {r["year"]: r["count"] for r in report["stock"]}
    starts = {r["year"]: r["count"] for r in report["starts"]}
    tables = [PackTable("Children looked after at 31 March and starts in each year",
                        [("Year", False), ("Looked after at 31 March", True),
                         ("Started to be looked after", True)],
                        [[financial_year(y), cell(stock.get(y, 0)), cell(starts.get(y, 0))]
                         for y in years], source)]
    for name, key, caption in (("stock_by_dfe_group", "dfe_group",
                                "Looked after at 31 March by DfE placement group"),
                               ("ceased", "reason", "Ceased during the year by DfE reason")):
        grid: dict[str, dict[int, Any]] = {}
        for r in report[name]:
            grid.setdefault(str(r[key]), {})[r["year"]] = r["count"]
        tables.append(PackTable(caption, [(key.replace("_", " ").capitalize(), False),
                                          *((str(y), True) for y in years)],
                                [[k, *(cell(v.get(y, 0)) for y in years)]
                                 for k, v in sorted(grid.items())], source))
    return tables


def _datasets_table(frame: pd.DataFrame) -> PackTable:
    wanted = [c for c in ("dataset", "title", "years", "publisher", "licence", "source")
              if c in frame]
    rows = [[str(v) if v is not None and not (isinstance(v, float) and math.isnan(v)) else "–"
             for v in r] for r in frame[wanted].itertuples(index=False)]
    return PackTable("Every bundled dataset with its years, publisher and licence",
                     [(c.capitalize(), False) for c in wanted], rows, "carecast data catalogue")


def _context_common(pack: CouncilPack | EnglandPack) -> dict[str, Any]:
    rule = disclosure.rule()
    return {"accuracy": _accuracy_table(pack, getattr(pack, "own_accuracy", None)),
            "datasets": _datasets_table(pack.datasets), "disclosure": rule.note,
            "disclosure_source": rule.source, "assumptions": pack.assumptions,
            "origin": pack.origin}


def council_html(pack: CouncilPack) -> str:
    """The council's briefing pack as one self-contained HTML document."""
    c = pack.council
    bench_rows = pack.benchmark.set_index("indicator")
    headline = [headline_sentence(bench_rows.loc[i].to_dict() | {"indicator": i}, c.name)
                for i in pack_headline(pack)]
    figure, forecast_text = _forecast_figure(pack.history, pack.forecast)
    spend = pack.spend.sort_values("period")
    first, last = (spend.iloc[0], spend.iloc[-1]) if len(spend) else (None, None)
    spend_text = ("" if first is None else
                  f"Spend on children looked after: {millions(first['ro3_actual_gbp'])} RO3 "
                  f"outturn in {first['period']}; forecast {millions(last['mean'])} in "
                  f"{last['period']} (80% interval "
                  f"{_interval(last['lo_80'], last['hi_80'], millions)}).")
    labels = {i: bench_rows.loc[i, "label"] for i in pack.trends if i in bench_rows.index}
    trends = [(labels.get(i, i), _trend_figure(f, labels.get(i, i),
                                               _kind(bench_rows.loc[i]), c.name))
              for i, f in pack.trends.items()]
    scatter = None
    if "cla_rate" in pack.driver_points:
        points = pack.driver_points["cla_rate"]
        scatter = Figure(Markup(charts.expected_actual_svg(
            points, title="Children looked after per 10,000: actual against expected",
            highlight=c.code)), caption="Every council: red above and blue below the 95% "
            "prediction interval; the ringed point is " + c.name + ".")
    calibration = pack.calibration.iloc[0].to_dict() if len(pack.calibration) else None
    return _environment().get_template("council.html").render(
        title=f"{c.name}: children's social care briefing pack", council=c, year=pack.year,
        running=f"{c.name} · data to 31 March {pack.year}",
        headline=headline, forecast_text=forecast_text, spend_text=spend_text,
        neighbours=[n.name for n in pack.neighbours],
        benchmark=_benchmark_table(pack.benchmark), trends=trends,
        drivers=_drivers_table(pack.drivers) if len(pack.drivers) else None, scatter=scatter,
        forecast_figure=figure, forecast_table=_forecast_table(pack.forecast),
        spend=_spend_table(pack.spend), unit_costs=_unit_cost_table(pack.unit_costs),
        calibration=calibration, scenarios=[_scenario_view(s) for s in pack.scenarios],
        sections=[{"heading": s.heading, "paragraphs": s.paragraphs,
                   "tables": [_section_table(k, t, s.heading) for k, t in s.tables]}
                  for s in pack.sections],
        records=_records_tables(pack.records) if pack.records else None,
        **_context_common(pack))


def pack_headline(pack: CouncilPack) -> list[str]:
    return [i for i in HEADLINE if i in set(pack.benchmark["indicator"])]


def _rank_table(frame: pd.DataFrame, caption: str, first: list[str],
                kinds: dict[str, str], labels: dict[str, str]) -> PackTable:
    rows = [[*(str(r[k]) for k in first), *(_fmt(kinds[i])(r.get(i)) for i in kinds)]
            for r in frame.to_dict(orient="records")]
    return PackTable(caption, [*((k.replace("_", " ").capitalize(), False) for k in first),
                               *((labels[i], True) for i in kinds)], rows,
                     "DfE, ONS and MHCLG via carecast.benchmark")


def england_html(pack: EnglandPack, labels: dict[str, str], kinds: dict[str, str]) -> str:
    """England's pack: regions and councils ranked, England's forecast, the spread."""
    figure, forecast_text = _forecast_figure(pack.history, pack.forecast)
    spread = pack.spread["change_percent"]
    spread_text = (f"Across {len(spread)} councils the forecast change in children looked "
                   f"after from {pack.origin} to {pack.origin + 5} runs from "
                   f"{spread.min():+.0f}% to {spread.max():+.0f}%, median {spread.median():+.0f}% "
                   f"(a quarter of councils below {spread.quantile(0.25):+.0f}%, a quarter "
                   f"above {spread.quantile(0.75):+.0f}%).") if len(spread) else ""
    histogram = charts.histogram(spread.tolist(), title="Councils by forecast change in "
                                 "children looked after over five years", description=spread_text,
                                 bin_width=2.5, fmt=lambda v: f"{v:+.0f}%")
    return _environment().get_template("england.html").render(
        title="England: children's social care briefing pack", year=pack.year,
        running=f"England · data to 31 March {pack.year}",
        forecast_text=forecast_text, forecast_figure=figure,
        forecast_table=_forecast_table(pack.forecast), spend=_spend_table(pack.spend),
        regions=_rank_table(pack.regions, "Regions on the headline indicators, latest year "
                            "(ordered by children looked after per 10,000)", ["region"], kinds,
                            labels),
        councils=_rank_table(pack.councils, "Councils ranked by children looked after per "
                             "10,000 (1 = highest), with the other headline indicators",
                             ["rank", "name", "region"], kinds, labels),
        spread_text=spread_text, spread=Figure(histogram, caption="Each bar counts councils "
                                               "whose forecast change falls in a 2.5-point "
                                               "band."),
        **_context_common(pack))


def render_pdf(html: str) -> bytes:
    """The PDF printed from the pack's HTML (for downloads)."""
    return pdf.render(html)


def write(html: str, fmt: str, out: str | Path) -> Path:
    """Save the pack as ``fmt`` (html, or pdf printed from the same HTML) at ``out``."""
    if fmt not in FORMATS:
        raise ValueError(f"--format must be html or pdf, not {fmt!r}")
    body = html.encode("utf-8") if fmt == "html" else render_pdf(html)
    return export.write_bytes(body, out)


def suffixes(fmt: str) -> Sequence[str]:
    return (".html", ".htm") if fmt == "html" else (".pdf",)
