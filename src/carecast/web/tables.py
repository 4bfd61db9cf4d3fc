"""Tables shown on pages, served as JSON and downloaded as CSV or XLSX from one definition.

Downloads go through :func:`carecast.report.export.render`, the writer every export uses,
so each carries its source, the licence line (for public data) and the small-number rule
(:mod:`carecast.disclosure`: hidden counts shown as "c", DfE's marker), as pages do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from carecast import OGL_ATTRIBUTION
from carecast.report import export
from carecast.report.text import format_value


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

    def frame(self) -> pd.DataFrame:
        """The rows as a frame keyed by column key, hidden counts already the marker."""
        frame = pd.DataFrame([{c.key: row.get(c.key) for c in self.columns}
                              for row in self.rows], columns=[c.key for c in self.columns])
        counts = [c.key for c in self.columns if c.kind == "count"]
        return export.publishable(frame, counts)

    def safe_rows(self) -> list[dict[str, Any]]:
        """Rows with small counts suppressed and missing numbers as None (JSON-safe)."""
        out = []
        for record in self.frame().to_dict(orient="records"):
            out.append({k: None if isinstance(v, float) and math.isnan(v) else v
                        for k, v in record.items()})
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

    def download(self, fmt: str) -> bytes:
        """The table as a CSV or XLSX file, headed by the column labels."""
        frame = self.frame().rename(columns={c.key: c.label for c in self.columns})
        return export.render(frame, fmt, title=self.caption, sources=[self.source],
                             licence=self.licence,
                             count_columns=[c.label for c in self.columns if c.kind == "count"])
