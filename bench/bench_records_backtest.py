"""Benchmark: accuracy and interval coverage of the record-level model on synthetic returns.

Issue 10, item 6. Each of ``SEEDS`` synthetic councils (``carecast synth``'s generator,
about 600 children in care, calibrated to England's published mix) is cut at 1 April 2022;
the record-level model (without and with process noise) forecasts 31 March 2023 and 2024,
scored against what the generator simulated; the same council's yearly counts join the
published panel so the council-level models forecast it too. Writes
bench/results/records_backtest.json. Run: .venv/bin/python bench/bench_records_backtest.py
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path

from carecast.data.workspace import Workspace
from carecast.model import load_council_data
from carecast.model import records_backtest as rb

RESULTS = Path(__file__).parent / "results" / "records_backtest.json"
SEEDS = list(range(1, 21))
SETTINGS = {"children": 3000, "years": 10, "origin": 2022, "horizons": (1, 2), "draws": 1000,
            "region": "E12000006",  # East of England: the synthetic council's region
            "council_models": ("stock_flow", "stock_flow_combined")}


def main() -> dict[str, object]:
    ws = Workspace.open(os.environ.get("CARECAST_WORKSPACE") or Path(tempfile.mkdtemp()) / "ws")
    rows = rb.run(load_council_data(ws), seeds=SEEDS, **SETTINGS)
    payload = {
        "generated": dt.date.today().isoformat(),
        "command": ".venv/bin/python bench/bench_records_backtest.py",
        "synthetic_councils": len(SEEDS),
        "settings": {k: list(v) if isinstance(v, tuple) else v for k, v in SETTINGS.items()},
        "cut": f"{SETTINGS['origin']}-04-01",
        "summary": rb.summary(rows).to_dict(orient="records"),
        "councils": rows.round(2).to_dict(orient="records"),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(payload, indent=2) + "\n")
    return payload


if __name__ == "__main__":
    for row in main()["summary"]:
        print(row)
