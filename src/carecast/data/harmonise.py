"""Carry abolished councils' series into their successors (parameters: data.reorganisations).

Merges add counts and population-weight levels; splits apportion counts by each successor's
share of the 0-17 population in its first reporting year and copy levels. Only cells the
successor lacks are filled, and each filled cell is recorded so outputs can say so.
"""

from __future__ import annotations

import pandas as pd

from carecast import params
from carecast.data import bundled
from carecast.data.measures import registry

WEIGHT = "pop_0_17"


def reorganisations() -> list[dict]:
    return list(params.value("data.reorganisations"))


def _first_year(code: str) -> int | None:
    """The first year (ending 31 March) the council reported, from the council lookup."""
    table = bundled.read_table("councils")
    match = table.loc[table["code"] == code, "first_year"]
    return int(match.iloc[0]) if len(match) else None


def first_own_years() -> dict[str, int]:
    """Councils created by a split, with the first year they reported themselves: their
    earlier series are apportioned from the abolished council, not their own."""
    out = {}
    for reorg in reorganisations():
        targets = list(reorg["to"])
        if len(targets) > 1:
            out.update({t: y for t in targets if (y := _first_year(t)) is not None})
    return out


def harmonise(values: pd.DataFrame) -> tuple[pd.DataFrame, dict[tuple[str, int], str]]:
    """Return (values with successors' earlier years filled, notes per filled council-year).

    ``values`` is indexed by (area_code, year) with one column per measure.
    """
    kinds = {m: registry()[m].kind if m in registry() else "level" for m in values.columns}
    counts = [m for m, k in kinds.items() if k == "count"]
    levels = [m for m, k in kinds.items() if k != "count"]
    out = values.copy()
    notes: dict[tuple[str, int], str] = {}
    for reorg in reorganisations():
        sources, targets = list(reorg["from"]), list(reorg["to"])
        firsts = {t: _first_year(t) for t in targets}
        if any(f is None for f in firsts.values()):
            continue
        present = [s for s in sources if s in values.index.get_level_values(0)]
        if not present:
            continue
        old = pd.concat({s: values.loc[s] for s in present}, names=["area_code", "year"])
        if len(targets) == 1:
            by_year = old.groupby(level="year")
            merged_counts = by_year[counts].sum(min_count=1)
            weights = old[WEIGHT] if WEIGHT in old else pd.Series(1.0, index=old.index)
            weighted = old[levels].mul(weights, axis=0)
            merged_levels = (
                weighted.groupby(level="year")
                .sum(min_count=1)
                .div(old[levels].notna().mul(weights, axis=0).groupby(level="year").sum(), axis=0)
            )
            contributions = {targets[0]: pd.concat([merged_counts, merged_levels], axis=1)}
            how = "sum of " + " + ".join(present)
        else:
            shares = {}
            for t in targets:
                shares[t] = values.at[(t, firsts[t]), WEIGHT] if WEIGHT in values else float("nan")
            total = sum(shares.values())
            source = old.droplevel("area_code")
            contributions = {}
            for t in targets:
                share = shares[t] / total if total else 1 / len(targets)
                frame = source.copy()
                frame[counts] = frame[counts] * share
                contributions[t] = frame
            how = f"apportioned from {present[0]} by 0-17 population share"
        for target, frame in contributions.items():
            first = firsts[target]
            assert first is not None
            earlier = frame[frame.index < first]
            for year, row in earlier.iterrows():
                key = (target, int(year))
                if key not in out.index:
                    out.loc[key, :] = float("nan")
                current = out.loc[key]
                fill = row[current.isna() & row.notna()]
                if len(fill):
                    out.loc[key, fill.index] = fill.to_numpy()
                    notes[key] = f"{reorg['name']}: {how}"
    return out.sort_index(), notes


JOINT = " / "


def spread_joint(values: pd.DataFrame) -> tuple[pd.DataFrame, dict[tuple[str, int], str]]:
    """Give councils that report as one shared service ("940 / 941") their part of it.

    DfE publishes some tables (the social work workforce) once for a shared children's
    service. Counts are split by each member's share of the 0-17 population that year
    (equally if unknown) and levels (rates, caseloads) are copied; only cells a member lacks
    are filled, and each filled council-year gets a note. The joint rows are dropped.
    """
    codes = values.index.get_level_values(0).astype(str)
    joint = sorted({c for c in codes if JOINT in c})
    if not joint:
        return values, {}
    kinds = {m: registry()[m].kind if m in registry() else "level" for m in values.columns}
    counts = [m for m, k in kinds.items() if k == "count"]
    out = values[~codes.isin(joint)].copy()
    notes: dict[tuple[str, int], str] = {}
    for area in joint:
        members = area.split(JOINT)
        names = JOINT.join(str(bundled_name(m)) for m in members)
        for year, row in values.loc[area].iterrows():
            weights = pd.Series(
                [out.at[(m, year), WEIGHT] if (m, year) in out.index and WEIGHT in out else
                 float("nan") for m in members], index=members, dtype=float)
            shares = weights / weights.sum() if weights.notna().all() and weights.sum() > 0 \
                else pd.Series(1 / len(members), index=members)
            for member in members:
                key = (member, int(year))
                if key not in out.index:
                    out.loc[key, :] = float("nan")
                part = row.copy()
                present = [c for c in counts if c in part.index]
                part[present] = part[present] * shares[member]
                fill = part[out.loc[key].isna() & part.notna()]
                if len(fill):
                    out.loc[key, fill.index] = fill.to_numpy()
                    notes[key] = (f"reported jointly as {names}: counts split by 0-17 "
                                  "population, rates shared")
    return out.sort_index(), notes


def bundled_name(code: str) -> str:
    table = bundled.read_table("councils")
    match = table.loc[table["code"] == code, "name"]
    return str(match.iloc[0]) if len(match) else code
