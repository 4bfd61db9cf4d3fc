"""Numbers as analysts read them, the same on pages, in packs and in files: thousands
separators, one decimal for rates, pounds, financial years, and the small-number marker."""

from __future__ import annotations

import math
from typing import Any

from carecast import disclosure


def format_value(value: Any, kind: str) -> str:
    """One cell's text; ``kind`` is text, count (hidden when small), number, rate, percent
    or money."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, str):
        return value
    if kind == "count" and isinstance(value, int | float):
        rule = disclosure.rule()
        return rule.marker if rule.is_small([value])[0] else f"{value:,.0f}"
    if kind in ("rate", "number") and isinstance(value, int | float):
        return f"{value:,.1f}" if abs(value) < 1000 or kind == "rate" else f"{value:,.0f}"
    if kind == "percent" and isinstance(value, int | float):
        return f"{value:.1f}%"
    if kind == "money" and isinstance(value, int | float):
        return f"£{value:,.0f}"
    return str(value)


def millions(value: float | None, digits: int = 1) -> str:
    """£144.4m; a dash for missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    sign = "-" if value < 0 else ""
    return f"{sign}£{abs(value) / 1e6:,.{digits}f}m"


def financial_year(year_ending: int | float) -> str:
    """2025 -> '2024-25' (the financial year ending 31 March 2025)."""
    y = int(year_ending)
    return f"{y - 1}-{str(y)[-2:]}"


def compared(value: float | None, other: float | None, tolerance: float = 0.02) -> str:
    """'above', 'below' or 'close to' (within ``tolerance`` of ``other``)."""
    if value is None or other is None or (isinstance(other, float) and math.isnan(other)):
        return "not comparable with"
    if abs(value - other) <= tolerance * abs(other):
        return "close to"
    return "above" if value > other else "below"
