"""Tables shown on pages, served as JSON and downloaded as CSV or XLSX from one definition.

Every download carries its source and (for public data) the Open Government Licence
attribution, and counts under the suppression threshold are replaced by "c" (DfE's marker)
before they leave.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook

from carecast import OGL_ATTRIBUTION

SUPPRESS_BELOW = 5
"""Counts from 1 to 4 are suppressed in downloads: the project's disclosure rule."""
SUPPRESSED = "c"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"
    """text, count (suppressed when small), number, rate, percent or money."""


@dataclass
class Table:
    """Rows of dicts keyed by column key, with a caption and where the numbers come from."""

    name: str
    caption: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    source: str
    links: dict[str, str] = field(default_factory=dict)
    """Optional column key -> URL template with ``{value}``, for cells that link."""
    licence: str | None = OGL_ATTRIBUTION
    """None for a council's own record-level data, which is not published under the OGL."""

    def cell(self, row: dict[str, Any], column: Column) -> str:
        """Text for one cell as pages show it."""
        return format_value(row.get(column.key), column.kind)

    def safe_rows(self) -> list[dict[str, Any]]:
        """Rows with small counts suppressed and missing numbers as None (JSON-safe)."""
        out = []
        for row in self.rows:
            clean = {}
            for column in self.columns:
                value = row.get(column.key)
                if isinstance(value, float) and math.isnan(value):
                    value = None
                if column.kind == "count" and isinstance(value, int | float) and (
                    0 < value < SUPPRESS_BELOW
                ):
                    value = SUPPRESSED
                clean[column.key] = value
            out.append(clean)
        return out

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "caption": self.caption,
            "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in self.columns],
            "rows": self.safe_rows(),
            "source": self.source,
            "licence": self.licence,
        }

    def _footer(self) -> list[list[str]]:
        licence = [[self.licence]] if self.licence else []
        return [[], [f"Source: {self.source}"], *licence]

    def to_csv(self) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([c.label for c in self.columns])
        for row in self.safe_rows():
            writer.writerow(["" if row[c.key] is None else row[c.key] for c in self.columns])
        writer.writerows(self._footer())
        return buffer.getvalue().encode("utf-8-sig")

    def to_xlsx(self) -> bytes:
        book = Workbook()
        sheet = book.active
        sheet.title = self.name[:31]
        sheet.append([self.caption])
        sheet.append([c.label for c in self.columns])
        for row in self.safe_rows():
            sheet.append([row[c.key] for c in self.columns])
        for line in self._footer():
            sheet.append(line)
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()


def format_value(value: Any, kind: str) -> str:
    """Numbers as analysts read them: thousands separators, one decimal for rates."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if kind == "count" and isinstance(value, int | float):
        if 0 < value < SUPPRESS_BELOW:
            return SUPPRESSED
        return f"{value:,.0f}"
    if kind in ("rate", "number") and isinstance(value, int | float):
        return f"{value:,.1f}" if abs(value) < 1000 or kind == "rate" else f"{value:,.0f}"
    if kind == "percent" and isinstance(value, int | float):
        return f"{value:.1f}%"
    if kind == "money" and isinstance(value, int | float):
        return f"£{value:,.0f}"
    return str(value)
