"""Do workforce stability and assessment factors explain demand beyond external drivers?

:func:`comparison` runs :func:`carecast.benchmark.drivers.compare_terms` for one target and
returns the payload with a tidy table (one row per group of extra terms) that the CLI
prints and ``bench/bench_drivers.py`` publishes.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from carecast.benchmark import drivers
from carecast.data.workspace import Workspace

TABLE_COLUMNS = ["terms", "cv_r2_without", "cv_r2_with", "gain", "gain_min", "gain_max",
                 "share_of_repeats_improved"]


def comparison(ws: Workspace, target: str, year: int | None = None
               ) -> tuple[dict[str, Any], pd.DataFrame]:
    """The comparison payload for ``target`` and its table of cross-validated gains."""
    payload = drivers.compare_terms(ws, target, year)
    table = pd.DataFrame(payload["comparisons"])[TABLE_COLUMNS]
    return payload, table


def coefficient_table(payload: dict[str, Any]) -> pd.DataFrame:
    """The extra terms' coefficients (log scale) with 95% CIs, p-values and VIFs."""
    rows = [{"terms": c["terms"], **k, "vif": c["vif"][k["term"]]}
            for c in payload["comparisons"] for k in c["coefficients"]]
    return pd.DataFrame(rows)
