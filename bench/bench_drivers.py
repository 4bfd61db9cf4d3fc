"""Accuracy benchmark: the drivers model for every target, chosen by cross-validation and
scored by nested cross-validation, and the cross-validated gain from the lagged workforce
and assessment-factor terms (issue 13).

Writes bench/results/drivers.json. Run: .venv/bin/python bench/bench_drivers.py
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path

from carecast.benchmark import drivers
from carecast.data.workspace import Workspace
from carecast.service import drivers_terms

RESULTS = Path(__file__).parent / "results" / "drivers.json"


def main() -> dict[str, object]:
    ws = Workspace.open(os.environ.get("CARECAST_WORKSPACE") or Path(tempfile.mkdtemp()) / "ws")
    targets = {}
    for target in drivers.spec()["targets"]:
        _, summary = drivers.run(ws, target)
        payload, _ = drivers_terms.comparison(ws, target)
        keep = ("year", "specification", "drivers", "councils", "r2", "cv_r2",
                "nested_cv_r2", "nested_cv", "candidates", "coefficients", "vif", "carried")
        targets[target] = {**{k: summary[k] for k in keep},
                           "extra_terms": {k: payload[k] for k in
                                           ("councils", "term_years", "lags", "repeats",
                                            "comparisons")}}
    result = {"generated": dt.date.today().isoformat(),
              "command": ".venv/bin/python bench/bench_drivers.py",
              "caveat": drivers.spec()["caveat"], "targets": targets}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    out = main()
    for name, t in out["targets"].items():  # type: ignore[union-attr]
        gains = ", ".join(f"{c['terms']} {c['gain']:+.3f}" for c in t["extra_terms"]["comparisons"])
        print(f"{name}: {t['specification']}, CV R2 {t['cv_r2']:.3f}, nested "
              f"{t['nested_cv_r2']:.3f}; gains {gains}")
