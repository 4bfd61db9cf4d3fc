"""The council profile's indicator sections: workforce, outcomes and assessment factors.

``carecast la show``, the web council page and the JSON API all call :func:`sections`, so
a council's turnover or care leavers' outcomes read the same everywhere, each with its
period in the publisher's terms (workforce figures are at 30 September, care figures for
the year ending 31 March).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from carecast.benchmark import compare
from carecast.benchmark.indicators import IndicatorData
from carecast.data.workspace import Workspace

SECTIONS = {
    "workforce": "Workforce",
    "outcomes": "Outcomes for care leavers",
    "assessment": "Factors identified at the end of assessment",
}
COLUMNS = ["indicator", "label", "unit", "period", "value", "suppressed", "filled", "england",
           "region", "neighbour_mean", "neighbour_median", "rank", "rank_of", "quartile",
           "trend", "outlier", "polarity", "source"]


def sections(ws: Workspace, council: str, year: int | None = None,
             neighbours: str = "official",
             data_by_id: Mapping[str, IndicatorData] | None = None) -> dict[str, pd.DataFrame]:
    """One benchmark frame per section (keys of :data:`SECTIONS`), each indicator in
    ``year`` if it has data then, else its latest year."""
    out = {}
    for section in SECTIONS:
        frame = compare.benchmark_table(ws, council, year, neighbours, data_by_id=data_by_id,
                                        section=section)
        out[section] = frame[COLUMNS] if len(frame) else pd.DataFrame(columns=COLUMNS)
    return out


def as_json(frames: Mapping[str, pd.DataFrame]) -> dict[str, Any]:
    """JSON-ready sections: {section: {title, indicators: [rows]}} (NaN as null)."""
    return {
        key: {"title": SECTIONS[key],
              "indicators": frame.astype(object).where(frame.notna(), None).to_dict("records")}
        for key, frame in frames.items()
    }
