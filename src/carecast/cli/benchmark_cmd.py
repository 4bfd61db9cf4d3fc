"""``carecast benchmark``, ``carecast neighbours`` and ``carecast drivers``.

Thin shells over :mod:`carecast.service.benchmark`: Rich tables by default, ``--json`` for the
documented keys, ``--csv``/``--xlsx`` through :func:`carecast.report.export.write_table`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.table import Table

from carecast import OGL_ATTRIBUTION
from carecast.cli.common import (
    JsonOpt,
    WorkspaceOpt,
    console,
    friendly_errors,
    lazy_import,
    print_json,
)
from carecast.report import charts
from carecast.report.export import write_table
from carecast.service import workspace as svc
from carecast.service.workspace import InputError

benchmarking = lazy_import("carecast.service.benchmark")
drivers_terms = lazy_import("carecast.service.drivers_terms")

CsvOpt = Annotated[Path | None, typer.Option("--csv", help="Also write the table to this CSV.")]
XlsxOpt = Annotated[
    Path | None, typer.Option("--xlsx", help="Also write the table to this Excel file.")
]
YearOpt = Annotated[int | None, typer.Option(help="Year ending 31 March (default: latest).")]


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


def _export(
    frame: pd.DataFrame, csv: Path | None, xlsx: Path | None, title: str, sources: list[str]
) -> None:
    for path, suffix in ((csv, ".csv"), (xlsx, ".xlsx")):
        if path is None:
            continue
        if path.suffix.lower() != suffix:
            raise InputError(f"expected a {suffix} file name", file=str(path))
        write_table(frame, path, title=title, sources=sources)
        console.print(f"[dim]Wrote {path}[/]", highlight=False)


@friendly_errors
def benchmark(
    council: Annotated[str, typer.Argument(help="DfE code (926), ONS code or name.")],
    indicator: Annotated[
        str | None, typer.Option(help="Indicator id (default: all); see docs/benchmarking.md.")
    ] = None,
    year: YearOpt = None,
    neighbours_model: Annotated[
        str, typer.Option("--neighbours", help="official (DfE 2025), official-2021 or open.")
    ] = "official",
    json: JsonOpt = False,
    csv: CsvOpt = None,
    xlsx: XlsxOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """A council against England, its region and its statistical neighbours."""
    ws = svc.open_workspace(workspace)
    if indicator is not None:
        result = benchmarking.benchmark(ws, council, indicator, year, neighbours_model)
        if json:
            print_json(result)
            return
        _print_one(result)
        table = pd.DataFrame(
            [
                {"code": v["code"], "name": v["name"], "value": v["value"]}
                for v in result["neighbours"]["values"]
            ]
        )
        title = f"{result['label']}, {result['council']['name']}, {result['year']}: neighbours"
        _export(table, csv, xlsx, title, result["sources"])
        return
    frame = benchmarking.benchmark_table(ws, council, year, neighbours_model)
    found = svc.council(council)
    if json:
        print_json(
            {
                "council": {"code": found.code, "name": found.name},
                "neighbours": neighbours_model,
                "indicators": frame.to_dict(orient="records"),
                "sources": [*benchmarking.sources(frame), OGL_ATTRIBUTION],
            }
        )
        return
    table = Table(
        "indicator",
        "year",
        "value",
        "England",
        "region",
        "SN mean",
        "SN median",
        "rank",
        "band",
        "trend",
        "outlier",
        title=f"{found.name} ({found.code}) against {neighbours_model} neighbours",
    )
    for row in frame.to_dict(orient="records"):
        table.add_row(
            f"{row['label']} [dim]({row['unit']}; {row['polarity']})[/]",
            str(row["year"]),
            "[dim]suppressed[/]" if row["suppressed"] else _fmt(row["value"]),
            _fmt(row["england"]),
            _fmt(row["region"]),
            _fmt(row["neighbour_mean"]),
            _fmt(row["neighbour_median"]),
            f"{_fmt(row['rank'])}/{row['rank_of']}",
            _fmt(row["quartile"]),
            _fmt(row["trend"]),
            _fmt(row["outlier"]),
        )
    console.print(table)
    console.print("[dim]Rank 1 and band A = best; for neutral indicators, the highest value.[/]")
    cited = benchmarking.sources(frame)
    _footer(cited)
    _export(frame, csv, xlsx, f"Benchmark of {found.name} ({found.code})", cited)


def _print_one(result: dict[str, Any]) -> None:
    c = result["council"]
    value = "suppressed" if result["suppressed"] else _fmt(result["value"])
    console.print(
        f"[bold]{c['name']}[/] ({c['code']}): {result['label']} "
        f"({result['unit']}), {result['year']}: [bold]{value}[/]"
    )
    table = Table("comparator", "value")
    table.add_row("England" + _over(result["england_reporting"]), _fmt(result["england"]))
    table.add_row(f"Region ({result['region']['name']})" + _over(result["region"]["reporting"]),
                  _fmt(result["region"]["value"]))
    table.add_row(
        f"Neighbours mean ({result['neighbours']['model']})", _fmt(result["neighbours"]["mean"])
    )
    table.add_row("Neighbours median", _fmt(result["neighbours"]["median"]))
    table.add_row(f"Rank ({result['rank_rule']})", f"{result['rank']} of {result['rank_of']}")
    table.add_row("Quartile band", _fmt(result["quartile"]))
    trend = result["trend"]
    table.add_row(
        "Five-year trend",
        ", ".join(f"{p['year']}: {p['value']:,.1f}" for p in trend["values"])
        + f" ({trend['direction']})",
    )
    if result["outlier"]:
        table.add_row(
            "Against neighbours",
            f"{result['outlier']['position']} [dim]({result['outlier']['method']})[/]",
        )
    console.print(table)
    _footer(result["sources"])


def _over(reporting: dict[str, int] | None) -> str:
    """' (13 of 14 councils reported)' for a figure summed over councils; '' if published."""
    return "" if not reporting else (f" [dim]({reporting['councils']} of {reporting['of']} "
                                     "councils reported)[/]")


def _compare_terms(ws: Any, target: str, year: int | None, json: bool,
                   csv: Path | None, xlsx: Path | None) -> None:
    payload, table = drivers_terms.comparison(ws, target, year)
    if json:
        print_json(payload)
        return
    lags = ", ".join(f"{t} {'/'.join(map(str, y))}" for t, y in payload["term_years"].items())
    console.print(
        f"[bold]{target}[/] {payload['year']}: {payload['councils']} councils, specification "
        f"{payload['specification']}; cross-validated R² ({payload['folds']}-fold x "
        f"{payload['repeats']}, same folds with and without); extra terms read at: {lags}")
    console.print(f"[yellow]{payload['caveat']}[/]", highlight=False)
    out = Table("terms added", "CV R² without", "CV R² with", "gain", "gain range",
                "repeats improved", title="Cross-validated gain from extra terms")
    for r in table.to_dict(orient="records"):
        out.add_row(r["terms"], f"{r['cv_r2_without']:.3f}", f"{r['cv_r2_with']:.3f}",
                    f"{r['gain']:+.3f}", f"{r['gain_min']:+.3f} to {r['gain_max']:+.3f}",
                    f"{r['share_of_repeats_improved']:.0%}")
    console.print(out)
    _footer(payload["sources"])
    _export(table, csv, xlsx, f"Drivers of {target}, {payload['year']}: gain from extra terms",
            payload["sources"])


def _footer(sources: list[str]) -> None:
    for line in dict.fromkeys([*sources, OGL_ATTRIBUTION]):
        console.print(f"[dim]{line}[/]", highlight=False)


@friendly_errors
def neighbours_command(
    council: Annotated[str, typer.Argument(help="DfE code (926), ONS code or name.")],
    model: Annotated[str, typer.Option(help="Show official, open or both.")] = "both",
    edition: Annotated[int, typer.Option(help="Official edition: 2025 or 2021.")] = 2025,
    json: JsonOpt = False,
    csv: CsvOpt = None,
    xlsx: XlsxOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Official DfE/NFER and open-model statistical neighbours, and their overlap."""
    if model not in ("official", "open", "both"):
        raise InputError(f"--model must be official, open or both, not {model!r}")
    result = benchmarking.neighbours(svc.open_workspace(workspace), council, edition)
    if json:
        print_json(result)
        return
    rows = []
    for key in ("official", "open"):
        if model in (key, "both"):
            for n in result[key]["neighbours"]:
                rows.append({"model": key, **n})
    frame = pd.DataFrame(rows)
    c = result["council"]
    table = Table(
        "model",
        "rank",
        "code",
        "name",
        "open distance",
        "closeness",
        title=f"Statistical neighbours of {c['name']} ({c['code']})",
    )
    overlap = set(result["overlap"]["codes"])
    for row in rows:
        mark = " [green]*[/]" if row["code"] in overlap else ""
        table.add_row(
            row["model"],
            str(row["rank"]),
            row["code"],
            row["name"] + mark,
            _fmt(row["open_distance"]),
            row.get("closeness") or "",
        )
    console.print(table)
    stats = result["model_overlap"]
    console.print(
        f"Overlap: {result['overlap']['count']} of 10 ([green]*[/]). Across all "
        f"{stats['councils']} councils the open model reproduces {stats['mean']} of the "
        f"official {stats['edition']} neighbours on average."
    )
    if result["carried_features"]:
        console.print(f"[dim]{c['name']}: {', '.join(result['carried_features'])} carried from "
                      "a predecessor council in the open model's features.[/]")
    _footer(result["sources"])
    _export(frame, csv, xlsx, f"Statistical neighbours of {c['name']}", result["sources"])


@friendly_errors
def drivers_command(
    target: Annotated[str, typer.Option(help="cla_rate, cin_rate, cpp_rate or spend_per_child.")],
    year: YearOpt = None,
    council: Annotated[
        str | None, typer.Option(help="Council to highlight in the table and chart.")
    ] = None,
    chart: Annotated[
        Path | None, typer.Option(help="Write an expected-versus-actual scatter (.svg).")
    ] = None,
    compare_terms: Annotated[bool, typer.Option(
        "--compare-terms", help="Test whether lagged workforce and assessment-factor terms "
        "add cross-validated R² beyond the external drivers.")] = False,
    json: JsonOpt = False,
    csv: CsvOpt = None,
    xlsx: XlsxOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Regress a rate or spend on external drivers: expected values and residuals."""
    if chart is not None and chart.suffix.lower() != ".svg":
        raise InputError("charts are written as SVG; use a .svg file name", file=str(chart))
    highlight = svc.council(council).code if council else None
    if compare_terms:
        _compare_terms(svc.open_workspace(workspace), target, year, json, csv, xlsx)
        return
    model, summary = benchmarking.drivers(svc.open_workspace(workspace), target, year)
    preds = pd.DataFrame(summary["councils_table"]).set_index("code")
    if chart is not None:
        charts.write_chart(
            preds,
            chart,
            highlight=highlight,
            title=f"{target}, {summary['year']}: actual against expected",
        )
    if json:
        print_json(summary)
        return
    console.print(
        f"[bold]{target}[/] {summary['year']}: {summary['councils']} councils; specification "
        f"[bold]{summary['specification']}[/] (log scale); in-sample R² {summary['r2']:.2f} "
        f"({summary['r2_scale']}), cross-validated R² {summary['cv_r2']:.2f} "
        f"({model.folds}-fold x {model.repeats}), nested cross-validated R² "
        f"{summary['nested_cv_r2']:.2f}"
    )
    console.print(f"[yellow]{summary['caveat']}[/]", highlight=False)
    years = ", ".join(f"{k} {'/'.join(map(str, v))}" for k, v in summary["driver_years"].items())
    console.print(f"[dim]Driver years used (nearest to {summary['year']}): {years}[/]")
    vif = {v["term"]: v["vif"] for v in summary["vif"]}
    coefs = Table("term", "coef (log scale)", "95% CI", "p", "effect per SD", "VIF",
                  title="Coefficients")
    for c in summary["coefficients"]:
        coefs.add_row(
            c["term"],
            f"{c['coef']:,.3f}",
            f"{c['ci_lower']:,.3f} to {c['ci_upper']:,.3f}",
            f"{c['p_value']:.3f}",
            f"{c['effect_per_sd']:,.2f}",
            _fmt(vif.get(c["term"])),
        )
    console.print(coefs)
    for c in summary["carried"]:
        console.print(f"[dim]{c['name']}: {', '.join(c['terms'])} carried from another council "
                      "(predecessor or shared service).[/]")
    for key, word in (("above_expectation", "above"), ("below_expectation", "below")):
        names = ", ".join(f"{c['name']} ({c['residual']:+,.1f})" for c in summary[key])
        console.print(f"Significantly {word} expectation (outside 95% PI): {names or 'none'}")
    if highlight and highlight in preds.index:
        r = preds.loc[highlight]
        console.print(
            f"[bold]{r['name']}[/]: actual {r['actual']:,.1f}, expected "
            f"{r['expected']:,.1f} (95% PI {r['lower']:,.1f} to {r['upper']:,.1f}), "
            f"residual {r['residual']:+,.1f}: {r['position']}"
        )
    _footer(summary["sources"])
    _export(
        preds.reset_index(),
        csv,
        xlsx,
        f"Drivers of {target}, {summary['year']}: expected and actual",
        summary["sources"],
    )
