"""Historical reductions: councils whose children-in-care rate fell a lot within a few years.

A check on scenario ambition from the public panel: for each council, the largest fall in
the rate of children looked after per 10,000 under-18s (``cla_at_31_march_rate_per_10000``)
from some year to a later year at most ``window`` years on (peak to trough within any
window, 2010 onwards). Councils with a fall of at least ``threshold`` are listed with their
starts and ceased at both ends and CLA spend where published (S251 outturn 2008-09 to
2013-14 bundled as ``s251_outturn``; RO3 2022-23 on in the panel). Councils are harmonised
across reorganisations (``store.la_panel``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from carecast.data import bundled, councils, store
from carecast.data.workspace import Workspace

RATE = "cla_at_31_march_rate_per_10000"
CLAIMS = {"336": "Wolverhampton", "307": "Ealing"}


@dataclass(frozen=True)
class Fall:
    code: str
    start: int
    end: int
    rate_start: float
    rate_end: float

    @property
    def fall(self) -> float:
        return 1 - self.rate_end / self.rate_start


def largest_fall(series: pd.Series, window: int) -> tuple[int, int, float, float] | None:
    """(start year, end year, start rate, end rate) of the largest proportional fall within
    ``window`` years in a year-indexed series; None when it never falls."""
    s = series.dropna()
    years, rates = s.index.to_numpy(int), s.to_numpy(float)
    best: tuple[int, int, float, float] | None = None
    best_fall = 0.0
    for i, (y0, r0) in enumerate(zip(years, rates, strict=True)):
        if r0 <= 0:
            continue
        later = (years > y0) & (years <= y0 + window)
        later[: i + 1] = False
        if not later.any():
            continue
        j = int(np.flatnonzero(later)[np.argmin(rates[later])])
        fall = 1 - rates[j] / r0
        if fall > best_fall:
            best_fall, best = fall, (int(y0), int(years[j]), float(r0), float(rates[j]))
    return best


def s251_cla_spend() -> pd.Series:
    """S251 net 'Total Children Looked After' (GBP thousands) by (code, year)."""
    table = bundled.read_table("s251_outturn")
    lines = table["line_description"].str.strip().str.lower()
    rows = table[lines == "total children looked after"]
    return (rows.groupby(["code", "year"])["net_current_expenditure_gbp"].sum(min_count=1)
            / 1000)


def reductions(ws: Workspace, threshold: float = 0.25, window: int = 5,
               include: tuple[str, ...] = tuple(CLAIMS)) -> pd.DataFrame:
    """Councils whose rate fell by >= ``threshold`` within ``window`` years, largest first,
    plus the councils in ``include`` (flagged ``meets_threshold``) whatever their fall."""
    panel = store.la_panel(ws).values
    names = {c.code: c.name for c in councils.all_councils()}
    s251 = s251_cla_spend()
    ro3 = panel["spend_cla_total_net_gbp_thousands"]
    rows = []
    for code, frame in panel.groupby(level="area_code"):
        series = frame.droplevel("area_code")
        found = largest_fall(series[RATE], window)
        if found is None:
            continue
        y0, y1, r0, r1 = found
        fall = 1 - r1 / r0
        if fall < threshold and code not in include:
            continue
        row = {"code": code, "name": names.get(code, code), "start_year": y0, "end_year": y1,
               "rate_start": r0, "rate_end": r1, "fall": round(fall, 4),
               "meets_threshold": fall >= threshold}
        for measure in ("cla_at_31_march", "cla_started", "cla_ceased",
                        "cla_started_rate_per_10000", "cla_ceased_rate_per_10000"):
            for label, year in (("start", y0), ("end", y1)):
                value = series[measure].get(year, np.nan)
                row[f"{measure}_{label}"] = None if pd.isna(value) else float(value)
        for label, year in (("start", y0), ("end", y1)):
            value = s251.get((code, year), ro3.get((code, year), np.nan))
            row[f"spend_cla_gbp_thousands_{label}"] = None if pd.isna(value) else float(value)
        rows.append(row)
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    return out.sort_values("fall", ascending=False, ignore_index=True)


def claim_check(table: pd.DataFrame, window: int) -> list[str]:
    """One sentence per named claim (Wolverhampton, Ealing) saying what the data show."""
    lines = []
    for code, name in CLAIMS.items():
        row = table[table["code"] == code]
        if row.empty:
            lines.append(f"{name} ({code}): no fall in its rate in the published data.")
            continue
        r = row.iloc[0]
        verdict = "meets" if r["meets_threshold"] else "does not meet"
        lines.append(
            f"{name} ({code}): rate per 10,000 fell {r['fall']:.0%} from {r['rate_start']:.0f} "
            f"({int(r['start_year'])}) to {r['rate_end']:.0f} ({int(r['end_year'])}), the "
            f"largest fall within {window} years; it {verdict} the threshold."
        )
    return lines
