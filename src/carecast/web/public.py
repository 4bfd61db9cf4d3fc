"""The aggregate public data every page reads, loaded into memory once per app.

Everything comes through the service layer (:mod:`carecast.service`), the functions the
CLI and reports call, so the pages show the same numbers; this module only indexes it in
dictionaries at start-up, so a request is lookups and string building, and the server
never holds the workspace's DuckDB file open.
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import pandas as pd

from carecast.report.charts import MapFrame, project_shapes
from carecast.service import benchmark, forecast
from carecast.service import data as public_data
from carecast.service import placements as placement_service
from carecast.service import workspace as svc
from carecast.service.benchmark import Indicator, IndicatorData
from carecast.service.workspace import Council, Workspace

ENGLAND = forecast.ENGLAND
FORECAST_HORIZON = 5
Points = list[tuple[int, float]]


def _series(frame: pd.DataFrame) -> dict[str, Points]:
    """(area, year)-indexed values -> area -> [(year, value)], missing values dropped."""
    out: dict[str, Points] = defaultdict(list)
    for (area, year), value in frame["value"].dropna().sort_index().items():
        out[str(area)].append((int(year), float(value)))
    return out


class PublicData:
    """Councils, indicators, drivers, forecasts and projected maps, indexed for fast pages."""

    def __init__(self, workspace: Path) -> None:
        self.ws = Workspace.open(workspace)
        self.councils: list[Council] = svc.councils(current_only=True)
        self.by_code = {c.code: c for c in self.councils}
        self.indicator_data: dict[str, IndicatorData] = {
            i: benchmark.indicators.load(self.ws, i) for i in benchmark.indicators.registry()
        }
        self.indicators: dict[str, Indicator] = {
            i: d.indicator for i, d in self.indicator_data.items()
        }
        self.la_series = {i: _series(d.la) for i, d in self.indicator_data.items()}
        self.region_series = {i: _series(d.region) for i, d in self.indicator_data.items()}
        self.england_series = {
            i: [(int(y), float(v)) for y, v in d.england["value"].dropna().sort_index().items()]
            for i, d in self.indicator_data.items()
        }
        self.drivers = {t: benchmark.drivers(self.ws, t)[1]
                        for t in benchmark.drivers_spec()["targets"]}
        self.forecast = self._forecast()
        self.boundaries: MapFrame = project_shapes(public_data.geography("boundaries"),
                                                   geographic=True)
        self.hexes: MapFrame = project_shapes(public_data.geography("hex_cartogram"),
                                              geographic=False, width=420)
        self._placement_demand: placement_service.Demand | None = None

    def _forecast(self) -> pd.DataFrame:
        """Every council's forecast from the default model: the CLI's and the reports'."""
        return forecast.forecast(self.ws, horizon=FORECAST_HORIZON).frame

    def placement_demand(self) -> placement_service.Demand:
        """Every council's placement demand (carecast.service.placements), drawn on first
        use and kept, so each council page after the first is a lookup."""
        if self._placement_demand is None:
            self._placement_demand = placement_service.public_demand(self.ws)
        return self._placement_demand

    def years(self, indicator: str) -> list[int]:
        data = self.indicator_data[indicator].la["value"].dropna()
        return sorted({int(y) for y in data.index.get_level_values(1)})

    def la_values(self, indicator: str, year: int) -> dict[str, float]:
        """Council code -> value (suppressed and missing values absent)."""
        values = self.indicator_data[indicator].year_values(year)
        return {str(c): float(v) for c, v in values.items() if not math.isnan(v)}

    def neighbours(self, code: str) -> list[str]:
        """The council's official (DfE/NFER 2025) statistical neighbours."""
        return [c for c in benchmark.official_neighbours(code) if c in self.by_code]

    def search(self, text: str) -> list[Council]:
        """Councils whose name or code contains ``text``; an exact lookup wins outright."""
        text = text.strip()
        if not text:
            return []
        try:
            exact = svc.council(text)
        except LookupError:
            exact = None
        if exact is not None and exact.code in self.by_code:
            return [exact]
        lowered = text.lower()
        return [c for c in self.councils if lowered in c.name.lower() or lowered in c.code]

    def driver_rows(self, code: str) -> list[dict[str, Any]]:
        """Expected against actual for each drivers target, for one council."""
        rows = []
        for target, summary in self.drivers.items():
            found = next((r for r in summary["councils_table"] if r["code"] == code), None)
            if found is not None:
                rows.append({"target": target, "measure": summary["measure"],
                             "year": summary["year"], "cv_r2": summary["cv_r2"], **found})
        return rows
