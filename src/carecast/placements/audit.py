"""The fairness audit: do children of one ethnicity, sex, disability or age band fare worse?

For each group: children, the share with at least one eligible home, and the median score,
distance and days waiting of their proposals (or, for stored decisions, the share accepted
and the medians of what was accepted). A group is flagged when it falls beyond the stated
ratio of the best-off group (the four-fifths rule: a share under 0.8 of the best, a median
distance or wait over 1.25 times the lowest, a median score under 0.8 of the highest) *and*
the difference is significant after Holm's adjustment over every test in the audit
(Fisher's exact test for shares, Mann-Whitney for medians). Groups under ``min_group``
children are shown, not tested; exports hide counts under 5.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

CHARACTERISTICS = {"ethnic_group": "ethnicity", "sex": "sex", "disability": "disability",
                   "age_band": "age band"}
MEDIANS = {"median_score": ("score", "lower"), "median_distance_km": ("distance_km", "higher"),
           "median_days_waiting": ("days_waiting", "higher")}


def age_bands(age: pd.Series, bands: list[str]) -> pd.Series:
    edges = [tuple(int(x) for x in b.split("-")) for b in bands]
    return age.map(lambda a: next(b for b, (lo, hi) in zip(bands, edges, strict=True)
                                  if lo <= a <= hi))


def run(frame: pd.DataFrame, cfg: dict, *, share: str = "has_home", label: str = "with_home"
        ) -> pd.DataFrame:
    """One row per characteristic and group: counts, share, medians, ratios, p-values
    (Holm-adjusted) and ``flag``s. ``frame`` has the characteristics, the boolean
    ``share`` column and ``score``, ``distance_km``, ``days_waiting`` (NaN when none)."""
    share_label = f"share_{label}"
    ratio, alpha, smallest = float(cfg["ratio"]), float(cfg["alpha"]), int(cfg["min_group"])
    frame = frame.assign(disability=frame["disability"].map({True: "disabled",
                                                              False: "not disabled"}))
    rows, tests = [], []
    for column, label in CHARACTERISTICS.items():
        groups = {g: part for g, part in frame.groupby(column, sort=True)}
        summary = {g: {"characteristic": label, "group": str(g), "n_children": len(part),
                       f"n_{label}": int(part[share].sum()),
                       share_label: float(part[share].mean()),
                       **{m: _median(part[c]) for m, (c, _) in MEDIANS.items()}}
                   for g, part in groups.items()}
        tested = [g for g, part in groups.items() if len(part) >= smallest]
        if len(tested) >= 2:
            best = max(tested, key=lambda g: summary[g][share_label])
            for g in tested:
                s = summary[g]
                s["share_ratio"] = s[share_label] / summary[best][share_label] if summary[
                    best][share_label] > 0 else np.nan
                if g != best:
                    a, b = groups[g][share], groups[best][share]
                    table = [[a.sum(), len(a) - a.sum()], [b.sum(), len(b) - b.sum()]]
                    p = stats.fisher_exact(table, alternative="less").pvalue
                    tests.append((g, column, share_label, s["share_ratio"] < ratio, p))
            for m, (c, worse) in MEDIANS.items():
                known = [g for g in tested if groups[g][c].notna().sum() >= smallest]
                if len(known) < 2:
                    continue
                pick = min if worse == "higher" else max
                ref = pick(known, key=lambda g: summary[g][m])
                for g in known:
                    if g == ref or summary[ref][m] == 0:
                        continue
                    r = summary[g][m] / summary[ref][m]
                    summary[g][f"{m}_ratio"] = r
                    beyond = r > 1 / ratio if worse == "higher" else r < ratio
                    p = stats.mannwhitneyu(groups[g][c].dropna(), groups[ref][c].dropna(),
                                           alternative="greater" if worse == "higher"
                                           else "less").pvalue
                    tests.append((g, column, m, beyond, p))
        rows += [{"key": (column, g), **s} for g, s in summary.items()]
    out = pd.DataFrame(rows)
    out["flags"] = ""
    if tests:
        p = np.array([t[4] for t in tests])
        adjusted = _holm(p)
        for (g, column, measure, beyond, _), q in zip(tests, adjusted, strict=True):
            at = out["key"] == (column, g)
            out.loc[at, f"p_{measure}"] = q
            if beyond and q < alpha:
                out.loc[at, "flags"] = out.loc[at, "flags"].map(
                    lambda f, m=measure: ";".join(x for x in (f, m) if x))
    return out.drop(columns="key")


def _median(values: pd.Series) -> float:
    """The median of the known values (NaN when none is known)."""
    known = values.dropna()
    return float(known.median()) if len(known) else np.nan


def _holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values."""
    order = np.argsort(p)
    scaled = np.maximum.accumulate((len(p) - np.arange(len(p))) * p[order])
    out = np.empty(len(p))
    out[order] = np.minimum(scaled, 1.0)
    return out
