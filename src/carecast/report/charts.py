"""Every chart carecast draws, as self-contained SVG: maps, lines with interval bands, the
drivers scatter, and the scenario charts (web pages, CLI files and report packs).

Drawn in Python so pages and reports are fast, need no JavaScript, no chart library and no
network; every chart sits beside a table holding the same numbers. Map outlines are
projected once per app (:func:`project_shapes`) and only the colours change per request.
Files are written through :func:`carecast.report.export.write_bytes` (atomically).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from html import escape as html_escape
from pathlib import Path
from typing import Any

import pandas as pd
from markupsafe import Markup, escape

from carecast import OGL_ATTRIBUTION
from carecast.report.export import write_bytes

# Sequential blues, light to dark; the darkest classes carry white text nowhere, so only
# fill contrast against the white borders matters. Missing data is a pale grey.
MAP_CLASSES = ("#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
MISSING = "#f3f2f1"
# Line colours (GOV.UK palette) paired with dash patterns, so series differ without colour.
LINE_STYLES = (
    ("#1d70b8", ""),
    ("#0b0c0c", "6 4"),
    ("#d4351c", "2 3"),
    ("#00703c", "10 3 2 3"),
    ("#6f72af", "1 0"),
    ("#f47738", "8 2"),
)


@dataclass(frozen=True)
class Shape:
    """One council's outline as an SVG path, already projected to the map's box."""

    code: str
    name: str
    path: str


@dataclass(frozen=True)
class MapFrame:
    width: int
    height: int
    shapes: tuple[Shape, ...]


def _rings(geometry: dict[str, Any]) -> Iterable[list[list[float]]]:
    coords = geometry["coordinates"]
    polygons = [coords] if geometry["type"] == "Polygon" else coords
    for polygon in polygons:
        yield from polygon


def project_shapes(geojson: dict[str, Any], *, geographic: bool, width: int = 480) -> MapFrame:
    """Project GeoJSON features (with a ``code`` property) into an SVG box ``width`` wide.

    Longitude/latitude get a plate carree with longitudes shrunk by cos(mean latitude),
    close enough for England at this size; planar cartogram coordinates are used as they are.
    """
    features = [f for f in geojson["features"] if f["properties"].get("code")]
    points = [pt for f in features for ring in _rings(f["geometry"]) for pt in ring]
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    x_scale = math.cos(math.radians((min(ys) + max(ys)) / 2)) if geographic else 1.0
    span_x = (max(xs) - min(xs)) * x_scale
    span_y = max(ys) - min(ys)
    pad = 4
    scale = (width - 2 * pad) / span_x
    height = round(span_y * scale + 2 * pad)

    min_x, max_y = min(xs), max(ys)

    def xy(pt: list[float]) -> str:
        x = pad + (pt[0] - min_x) * x_scale * scale
        y = pad + (max_y - pt[1]) * scale
        return f"{x:.0f} {y:.0f}" if geographic else f"{x:.1f} {y:.1f}"

    shapes = []
    for feature in features:
        parts = []
        for ring in _rings(feature["geometry"]):
            # Points that land on the same tenth of a pixel add bytes but no detail.
            points = [xy(pt) for pt in ring]
            kept = [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]
            if len(kept) >= 3:
                parts.append("M" + "L".join(kept) + "Z")
        props = feature["properties"]
        name = props.get("utla23_name") or props.get("cua-name") or props["code"]
        shapes.append(Shape(code=str(props["code"]), name=str(name), path="".join(parts)))
    return MapFrame(width=width, height=height, shapes=tuple(sorted(shapes, key=lambda s: s.name)))


def quantile_breaks(values: Iterable[float], n_classes: int = len(MAP_CLASSES)) -> list[float]:
    """Upper bounds of equal-count classes (the last is the maximum)."""
    ordered = sorted(v for v in values if v is not None and not math.isnan(v))
    if not ordered:
        return []
    return [ordered[min(len(ordered) - 1, math.ceil(len(ordered) * k / n_classes) - 1)]
            for k in range(1, n_classes + 1)]


def colour_for(value: float | None, breaks: Sequence[float]) -> str:
    if value is None or math.isnan(value) or not breaks:
        return MISSING
    for colour, upper in zip(MAP_CLASSES, breaks, strict=False):
        if value <= upper:
            return colour
    return MAP_CLASSES[-1]


def choropleth(
    frame: MapFrame,
    values: dict[str, float | None],
    *,
    title: str,
    href: Callable[[str], str],
    describe: Callable[[str, str, float | None], str],
    breaks: Sequence[float],
    selected: str | None = None,
) -> Markup:
    """A map whose shapes are links named "<council>: <value>", coloured by ``breaks``."""
    body = []
    for shape in frame.shapes:
        value = values.get(shape.code)
        label = escape(describe(shape.code, shape.name, value))
        css = ' class="selected"' if shape.code == selected else ""
        body.append(
            f'<a href="{escape(href(shape.code))}" aria-label="{label}"{css}>'
            f'<path d="{shape.path}" fill="{colour_for(value, breaks)}"><title>{label}</title>'
            "</path></a>"
        )
    return Markup(
        f'<svg class="cc-map" viewBox="0 0 {frame.width} {frame.height}" role="group" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f"{''.join(body)}</svg>"
    )


def legend(breaks: Sequence[float], fmt: Callable[[float], str]) -> list[dict[str, str]]:
    """Legend rows (colour, range text) for the map's classes and the missing-data grey."""
    rows = []
    lower: float | None = None
    for colour, upper in zip(MAP_CLASSES, breaks, strict=False):
        text = f"up to {fmt(upper)}" if lower is None else f"over {fmt(lower)} to {fmt(upper)}"
        rows.append({"colour": colour, "text": text})
        lower = upper
    rows.append({"colour": MISSING, "text": "no data"})
    return rows


@dataclass
class Series:
    """A line, with optional interval bands as (x, low, high) triples keyed by label."""

    name: str
    points: list[tuple[int, float]]
    bands: dict[str, list[tuple[int, float, float]]] = field(default_factory=dict)


def _nice_ticks(low: float, high: float, n: int = 5) -> list[float]:
    if high <= low:
        high = low + 1
    raw = (high - low) / n
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value <= high + step * 0.5:
        ticks.append(round(value, 10))
        value += step
    return ticks


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    description: str,
    fmt: Callable[[float], str],
    width: int = 640,
    height: int = 300,
) -> Markup:
    """Lines over years with shaded interval bands (widest first); role="img" named by title
    and summary."""
    xs = [x for s in series for x, _ in s.points] + [
        x for s in series for band in s.bands.values() for x, _, _ in band
    ]
    ys = [y for s in series for _, y in s.points] + [
        v for s in series for band in s.bands.values() for _, lo, hi in band for v in (lo, hi)
    ]
    if not xs:
        return Markup("")
    left, right, top, bottom = 64, 16, 12, 36
    ticks = _nice_ticks(min(0.0, min(ys)), max(ys))
    x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    y0, y1 = ticks[0], ticks[-1]

    def px(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * (width - left - right)

    def py(y: float) -> float:
        return top + (y1 - y) / (y1 - y0) * (height - top - bottom)

    uid = zlib.crc32(f"{title}|{description}".encode())
    out = [
        f'<svg class="cc-chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="t{uid} d{uid}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="t{uid}">{escape(title)}</title><desc id="d{uid}">{escape(description)}</desc>',
    ]
    for tick in ticks:
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{py(tick):.1f}" y2="{py(tick):.1f}" '
            f'stroke="#b1b4b6" stroke-width="0.5"/><text x="{left - 6}" y="{py(tick) + 4:.1f}" '
            f'text-anchor="end">{escape(fmt(tick))}</text>'
        )
    step = max(1, math.ceil((x1 - x0) / 8))
    for year in range(int(x0), int(x1) + 1, step):
        out.append(
            f'<text x="{px(year):.1f}" y="{height - 12}" text-anchor="middle">{year}</text>'
        )
    for index, s in enumerate(series):
        colour, dash = LINE_STYLES[index % len(LINE_STYLES)]
        for opacity, band in zip((0.15, 0.3), s.bands.values(), strict=False):
            upper = " ".join(f"{px(x):.1f},{py(hi):.1f}" for x, _, hi in band)
            lower = " ".join(f"{px(x):.1f},{py(lo):.1f}" for x, lo, _ in reversed(band))
            out.append(f'<polygon points="{upper} {lower}" fill="{colour}" '
                       f'fill-opacity="{opacity}"/>')
        line = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in s.points)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<polyline points="{line}" fill="none" stroke="{colour}" '
                   f'stroke-width="2.5"{dash_attr}/>')
    out.append("</svg>")
    return Markup("".join(out))


def line_legend(series: Sequence[Series]) -> list[dict[str, str]]:
    """Legend rows (colour, dash, name) in the order lines were drawn."""
    return [
        {"colour": LINE_STYLES[i % len(LINE_STYLES)][0],
         "dash": LINE_STYLES[i % len(LINE_STYLES)][1], "name": s.name}
        for i, s in enumerate(series)
    ]


# The drivers of variation: expected against actual for every council.

SCATTER_W, SCATTER_H, PAD = 640, 520, 60
COLOURS = {"above": "#d4351c", "below": "#1d70b8", "within": "#b1b4b6"}


def expected_actual_svg(
    predictions: pd.DataFrame, *, title: str, highlight: str | None = None
) -> str:
    """Points coloured by position against the 95% prediction interval; y = x line."""
    lo = float(min(predictions["expected"].min(), predictions["actual"].min()))
    hi = float(max(predictions["expected"].max(), predictions["actual"].max()))
    span = (hi - lo) or 1.0
    lo, hi = lo - 0.05 * span, hi + 0.05 * span

    def sx(v: float) -> float:
        return PAD + (v - lo) / (hi - lo) * (SCATTER_W - 2 * PAD)

    def sy(v: float) -> float:
        return SCATTER_H - PAD - (v - lo) / (hi - lo) * (SCATTER_H - 2 * PAD)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SCATTER_W}" height="{SCATTER_H}" '
        f'viewBox="0 0 {SCATTER_W} {SCATTER_H}" role="img" aria-label="{html_escape(title)}">',
        f"<title>{html_escape(title)}</title>",
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="{SCATTER_W / 2}" y="24" text-anchor="middle" font-size="15" '
        f'font-family="sans-serif">{html_escape(title)}</text>',
        f'<line x1="{sx(lo)}" y1="{sy(lo)}" x2="{sx(hi)}" y2="{sy(hi)}" stroke="#505a5f" '
        'stroke-dasharray="4 4"/>',
        f'<line x1="{PAD}" y1="{SCATTER_H - PAD}" x2="{SCATTER_W - PAD}" y2="{SCATTER_H - PAD}" '
        'stroke="black"/>',
        f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{SCATTER_H - PAD}" stroke="black"/>',
        f'<text x="{SCATTER_W / 2}" y="{SCATTER_H - 20}" text-anchor="middle" font-size="12" '
        'font-family="sans-serif">Expected (from external drivers)</text>',
        f'<text x="16" y="{SCATTER_H / 2}" text-anchor="middle" font-size="12" '
        f'font-family="sans-serif" transform="rotate(-90 16 {SCATTER_H / 2})">Actual</text>',
    ]
    for value in (lo, (lo + hi) / 2, hi):
        parts.append(
            f'<text x="{sx(value)}" y="{SCATTER_H - PAD + 16}" text-anchor="middle" '
            f'font-size="10" font-family="sans-serif">{value:,.0f}</text>'
        )
        parts.append(
            f'<text x="{PAD - 6}" y="{sy(value) + 3}" text-anchor="end" font-size="10" '
            f'font-family="sans-serif">{value:,.0f}</text>'
        )
    for code, row in predictions.iterrows():
        label = html_escape(
            f"{row.get('name', code)}: actual {row['actual']:,.1f}, expected {row['expected']:,.1f}"
        )
        colour = COLOURS.get(str(row["position"]), COLOURS["within"])
        parts.append(
            f'<circle cx="{sx(row["expected"]):.1f}" '
            f'cy="{sy(row["actual"]):.1f}" r="4" fill="{colour}" fill-opacity="0.8">'
            f"<title>{label}</title></circle>"
        )
    if highlight is not None and highlight in predictions.index:
        row = predictions.loc[highlight]
        x, y = sx(row["expected"]), sy(row["actual"])
        name = html_escape(str(row.get("name", highlight)))
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="8" fill="none" stroke="black" stroke-width="2"/>'
        )
        parts.append(
            f'<text x="{x + 11:.1f}" y="{y + 4:.1f}" font-size="12" '
            f'font-family="sans-serif" font-weight="bold">{name}</text>'
        )
    parts.append(
        f'<text x="{PAD}" y="{SCATTER_H - 4}" font-size="9" font-family="sans-serif">'
        f"{html_escape(OGL_ATTRIBUTION)}</text>"
    )
    parts.append("</svg>")
    return "\n".join(parts)


def write_chart(
    predictions: pd.DataFrame, path: str | Path, *, title: str, highlight: str | None = None
) -> Path:
    return write_svg(expected_actual_svg(predictions, title=title, highlight=highlight), path)


def write_svg(svg: str, path: str | Path) -> Path:
    """Write one chart to an .svg file (ValueError for any other suffix, before writing)."""
    target = Path(path)
    if target.suffix.lower() != ".svg":
        raise ValueError(f"{target}: charts are written as SVG; use a .svg file name")
    return write_bytes(str(svg).encode("utf-8"), target)


# Scenarios: baseline against scenario, and the sensitivity of NPV.


def _year(period: object) -> int:
    """A year ending 31 March from 2025 or '2024-25'."""
    text = str(period)
    return int(text[:4]) + 1 if "-" in text else int(text)


def _series(name: str, frame: pd.DataFrame) -> Series:
    rows = frame.reset_index(drop=True)
    x = [_year(p) for p in rows["period"]]
    return Series(name=name, points=list(zip(x, rows["mean"], strict=True)),
                  bands={"80%": list(zip(x, rows["lo_80"], rows["hi_80"], strict=True))})


CHART_TITLES = {
    "children": "Children looked after at 31 March",
    "spend": "Placement spend by financial year (£m)",
    "savings": "Cumulative net savings after investment (£m)",
}


def result_charts(result: Any) -> dict[str, Markup]:
    """SVG charts of one council's result: children in care, spend and cumulative savings."""
    frames = result.to_frames()
    children = frames["children"]
    stock = children[children["measure"] == "cla_at_31_march"]
    spend = frames["spend"]
    name = result.scenario.name
    return {
        "children": line_chart(
            [_series("Baseline", stock[stock["variant"] == "baseline"]),
             _series(name, stock[stock["variant"] == "scenario"])],
            title=CHART_TITLES["children"],
            description=f"Baseline and '{name}', mean and 80% interval.",
            fmt=lambda v: f"{v:,.0f}"),
        "spend": line_chart(
            [_series("Baseline", spend[spend["measure"] == "baseline_gbp"]),
             _series(name, spend[spend["measure"] == "scenario_gbp"])],
            title=CHART_TITLES["spend"],
            description="Year ending 31 March; mean and 80% interval.",
            fmt=lambda v: f"{v / 1e6:,.0f}"),
        "savings": line_chart(
            [_series("Cumulative net savings", spend[spend["measure"]
                                                     == "cumulative_savings_gbp"])],
            title=CHART_TITLES["savings"],
            description="Year ending 31 March; mean and 80% interval of paired draws.",
            fmt=lambda v: f"{v / 1e6:,.1f}"),
    }


def tornado_chart(table: pd.DataFrame, width: int = 640) -> Markup:
    """Horizontal bars of NPV at the low and high value of each assumption."""
    rows = table.head(10)
    centre = float(rows["central_npv_gbp"].iloc[0])
    lo = min(rows[["npv_low_gbp", "npv_high_gbp"]].min().min(), centre)
    hi = max(rows[["npv_low_gbp", "npv_high_gbp"]].max().max(), centre)
    left, right, bar = 260, 20, 22
    height = 30 + bar * len(rows)

    def px(v: float) -> float:
        return left + (v - lo) / ((hi - lo) or 1) * (width - left - right)

    out = [f'<svg class="cc-chart" viewBox="0 0 {width} {height}" role="img" '
           f'xmlns="http://www.w3.org/2000/svg"><title>NPV sensitivity (tornado)</title>']
    for i, (_, r) in enumerate(rows.iterrows()):
        y = 10 + i * bar
        a, b = sorted((px(r["npv_low_gbp"]), px(r["npv_high_gbp"])))
        out.append(f'<text x="{left - 6}" y="{y + 14}" text-anchor="end" font-size="11">'
                   f'{Markup.escape(r["assumption"])}</text><rect x="{a:.1f}" y="{y + 3}" '
                   f'width="{max(b - a, 1):.1f}" height="{bar - 6}" fill="#1d70b8"/>')
    out.append(f'<line x1="{px(centre):.1f}" x2="{px(centre):.1f}" y1="5" y2="{height - 20}" '
               f'stroke="#0b0c0c"/><text x="{px(centre):.1f}" y="{height - 5}" '
               f'text-anchor="middle" font-size="11">NPV £{centre / 1e6:,.1f}m</text></svg>')
    return Markup("".join(out))


def histogram(values: Sequence[float], *, title: str, description: str, bin_width: float,
              fmt: Callable[[float], str], width: int = 640, height: int = 260) -> Markup:
    """Counts of values in equal bins (e.g. councils by forecast change), as bars."""
    clean = [v for v in values if v is not None and not math.isnan(v)]
    if not clean:
        return Markup("")
    lo = math.floor(min(clean) / bin_width) * bin_width
    hi = math.floor(max(clean) / bin_width) * bin_width + bin_width
    edges = [lo + i * bin_width for i in range(round((hi - lo) / bin_width) + 1)]
    counts = [sum(1 for v in clean if a <= v < b) for a, b in zip(edges, edges[1:],
                                                                  strict=False)]
    left, right, top, bottom = 48, 12, 12, 40
    ticks = _nice_ticks(0, max(counts))
    bar = (width - left - right) / len(counts)

    def py(y: float) -> float:
        return top + (ticks[-1] - y) / (ticks[-1] or 1) * (height - top - bottom)

    uid = zlib.crc32(f"{title}|{description}".encode())
    out = [f'<svg class="cc-chart" viewBox="0 0 {width} {height}" role="img" '
           f'aria-labelledby="t{uid} d{uid}" xmlns="http://www.w3.org/2000/svg">',
           f'<title id="t{uid}">{escape(title)}</title>'
           f'<desc id="d{uid}">{escape(description)}</desc>']
    for tick in ticks:
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{py(tick):.1f}" '
                   f'y2="{py(tick):.1f}" stroke="#b1b4b6" stroke-width="0.5"/>'
                   f'<text x="{left - 6}" y="{py(tick) + 4:.1f}" text-anchor="end">'
                   f'{tick:,.0f}</text>')
    for i, n in enumerate(counts):
        x = left + i * bar
        out.append(f'<rect x="{x + 1:.1f}" y="{py(n):.1f}" width="{bar - 2:.1f}" '
                   f'height="{py(0) - py(n):.1f}" fill="#1d70b8"/>')
    step = max(1, math.ceil(len(edges) / 10))
    for i in range(0, len(edges), step):
        out.append(f'<text x="{left + i * bar:.1f}" y="{height - 22}" text-anchor="middle">'
                   f'{escape(fmt(edges[i]))}</text>')
    out.append("</svg>")
    return Markup("".join(out))
