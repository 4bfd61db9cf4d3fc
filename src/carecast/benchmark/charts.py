"""An expected-versus-actual scatter as a self-contained SVG (no plotting library needed)."""

from __future__ import annotations

from html import escape
from pathlib import Path

import pandas as pd

from carecast import OGL_ATTRIBUTION

WIDTH, HEIGHT, PAD = 640, 520, 60
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
        return PAD + (v - lo) / (hi - lo) * (WIDTH - 2 * PAD)

    def sy(v: float) -> float:
        return HEIGHT - PAD - (v - lo) / (hi - lo) * (HEIGHT - 2 * PAD)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="{WIDTH / 2}" y="24" text-anchor="middle" font-size="15" '
        f'font-family="sans-serif">{escape(title)}</text>',
        f'<line x1="{sx(lo)}" y1="{sy(lo)}" x2="{sx(hi)}" y2="{sy(hi)}" stroke="#505a5f" '
        'stroke-dasharray="4 4"/>',
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" '
        'stroke="black"/>',
        f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{HEIGHT - PAD}" stroke="black"/>',
        f'<text x="{WIDTH / 2}" y="{HEIGHT - 20}" text-anchor="middle" font-size="12" '
        'font-family="sans-serif">Expected (from external drivers)</text>',
        f'<text x="16" y="{HEIGHT / 2}" text-anchor="middle" font-size="12" '
        f'font-family="sans-serif" transform="rotate(-90 16 {HEIGHT / 2})">Actual</text>',
    ]
    for value in (lo, (lo + hi) / 2, hi):
        parts.append(
            f'<text x="{sx(value)}" y="{HEIGHT - PAD + 16}" text-anchor="middle" '
            f'font-size="10" font-family="sans-serif">{value:,.0f}</text>'
        )
        parts.append(
            f'<text x="{PAD - 6}" y="{sy(value) + 3}" text-anchor="end" font-size="10" '
            f'font-family="sans-serif">{value:,.0f}</text>'
        )
    for code, row in predictions.iterrows():
        label = escape(
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
        name = escape(str(row.get("name", highlight)))
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="8" fill="none" stroke="black" stroke-width="2"/>'
        )
        parts.append(
            f'<text x="{x + 11:.1f}" y="{y + 4:.1f}" font-size="12" '
            f'font-family="sans-serif" font-weight="bold">{name}</text>'
        )
    parts.append(
        f'<text x="{PAD}" y="{HEIGHT - 4}" font-size="9" font-family="sans-serif">'
        f"{escape(OGL_ATTRIBUTION)}</text>"
    )
    parts.append("</svg>")
    return "\n".join(parts)


def write_chart(
    predictions: pd.DataFrame, path: str | Path, *, title: str, highlight: str | None = None
) -> Path:
    target = Path(path)
    if target.suffix.lower() != ".svg":
        raise ValueError(f"{target}: charts are written as SVG; use a .svg file name")
    target.write_text(
        expected_actual_svg(predictions, title=title, highlight=highlight), encoding="utf-8"
    )
    return target
