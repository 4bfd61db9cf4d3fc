"""Query the workspace's public data: effective observations, panels by level, comparators.

Bundled rows and rows users add with ``carecast data add-release`` live in two tables; the
effective value of a cell is the one from the latest release, a user's file winning a tie.
Panels are wide (one column per measure) and indexed by (area_code, year).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from carecast.data import bundled
from carecast.data.councils import ENGLAND
from carecast.data.harmonise import harmonise
from carecast.data.measures import registry
from carecast.data.workspace import Workspace

USER_TABLE = "user_observations"

_cache: dict[tuple[object, ...], object] = {}


def _key(ws: Workspace) -> tuple[str, float]:
    return (str(ws.db_path.resolve()), ws.db_path.stat().st_mtime)


def observations(ws: Workspace) -> pd.DataFrame:
    """Effective long observations: one row per (level, area_code, year, measure)."""
    key = (*_key(ws), "observations")
    if key in _cache:
        return _cache[key]  # type: ignore[return-value]
    user = (
        "UNION ALL SELECT level, area_code, year, measure, value, flag, source, release, "
        "1 AS rank "
        f"FROM {USER_TABLE}"
        if ws.has_table(USER_TABLE)
        else ""
    )
    frame = ws.query(
        f"""
        SELECT level, area_code, year, measure, value, flag, source, release FROM (
            SELECT *, row_number() OVER (
                PARTITION BY level, area_code, year, measure ORDER BY release DESC, rank DESC
            ) AS pick
            FROM (
                SELECT level, area_code, year, measure, value, flag, source, release, 0 AS rank
                FROM bundled_observations {user}
            )
        ) WHERE pick = 1
        """
    )
    frame["year"] = frame["year"].astype(int)
    for stale in [k for k in _cache if k[:2] != key[:2]]:
        del _cache[stale]
    _cache[key] = frame
    return frame


def _memo(name: str, ws: Workspace, build: Callable[[], Panel]) -> Panel:
    """Panels are rebuilt only when the workspace file changes."""
    key = (*_key(ws), name)
    if key not in _cache:
        _cache[key] = build()
    return _cache[key]  # type: ignore[return-value]


@dataclass
class Panel:
    """Wide values and suppression flags by (area_code, year), and notes on filled cells."""

    values: pd.DataFrame
    flags: pd.DataFrame
    notes: dict[tuple[str, int], str] = field(default_factory=dict)

    def value(self, code: str, year: int, measure: str) -> float | None:
        try:
            v = self.values.at[(code, year), measure]
        except KeyError:
            return None
        return None if pd.isna(v) else float(v)

    def flag(self, code: str, year: int, measure: str) -> str | None:
        try:
            f = self.flags.at[(code, year), measure]
        except KeyError:
            return None
        return None if pd.isna(f) else str(f)

    def series(self, code: str, measure: str) -> pd.Series:
        if measure not in self.values or code not in self.values.index.get_level_values(0):
            return pd.Series(dtype=float)
        return self.values.loc[code, measure].dropna()

    @property
    def years(self) -> list[int]:
        return sorted({int(y) for y in self.values.index.get_level_values(1)})


def _wide(long: pd.DataFrame, column: str) -> pd.DataFrame:
    return long.pivot_table(
        index=["area_code", "year"],
        columns="measure",
        values=column,
        aggfunc="first",
        dropna=False,
    )


def _add_derived(values: pd.DataFrame) -> pd.DataFrame:
    """Fill derived measures (rates, shares) from their parts wherever none was published."""
    out = values.copy()
    for measure in registry().values():
        if not measure.is_derived:
            continue
        if measure.numerator not in out or measure.denominator not in out:
            continue
        computed = out[measure.numerator] / out[measure.denominator] * measure.scale
        out[measure.id] = out[measure.id].fillna(computed) if measure.id in out else computed
    return out


def _current_codes() -> list[str]:
    table = bundled.read_table("councils")
    return table.loc[table["status"] == "current", "code"].tolist()


def la_panel(ws: Workspace, harmonised: bool = True) -> Panel:
    """Council panel; ``harmonised`` carries abolished councils into their successors."""
    return _memo(f"la:{harmonised}", ws, lambda: _build_la_panel(ws, harmonised))


def _build_la_panel(ws: Workspace, harmonised: bool) -> Panel:
    obs = observations(ws)
    la = obs[obs["level"] == "la"]
    values = _wide(la, "value").astype(float)
    flags = _wide(la.assign(flag=la["flag"].astype(object)), "flag").reindex_like(values)
    notes: dict[tuple[str, int], str] = {}
    if harmonised:
        values, notes = harmonise(values)
        current = _current_codes()
        values = values[values.index.get_level_values(0).isin(current)]
        flags = flags.reindex(values.index)
    return Panel(_add_derived(values), flags, notes)


def _aggregate(la: Panel, groups: dict[str, list[str]]) -> pd.DataFrame:
    """Sum count measures over councils for each group; levels are derived afterwards."""
    counts = [m for m in la.values.columns if registry().get(m) and registry()[m].kind == "count"]
    frames = {}
    for area, codes in groups.items():
        rows = la.values[la.values.index.get_level_values(0).isin(codes)]
        frames[area] = rows[counts].groupby(level="year").sum(min_count=1)
    return pd.concat(frames, names=["area_code", "year"])


def area_panel(ws: Workspace, level: str) -> Panel:
    """England ('england') or regions ('region'): published figures, else sums of councils."""
    if level not in ("england", "region"):
        raise ValueError(f"level must be 'england' or 'region', not {level!r}")
    return _memo(level, ws, lambda: _build_area_panel(ws, level))


def _build_area_panel(ws: Workspace, level: str) -> Panel:
    obs = observations(ws)
    rows = obs[obs["level"] == level]
    if level == "region":
        rows = rows[rows["area_code"].str.startswith("E12")]
    published = _wide(rows, "value").astype(float)
    flags = _wide(rows.assign(flag=rows["flag"].astype(object)), "flag")
    la = la_panel(ws)
    table = bundled.read_table("councils")
    table = table[table["status"] == "current"]
    if level == "england":
        groups = {ENGLAND: table["code"].tolist()}
    else:
        groups = {r: g["code"].tolist() for r, g in table.groupby("region_code")}
    summed = _aggregate(la, groups)
    values = published.combine_first(summed) if len(published) else summed
    values = _add_derived(values)
    return Panel(values, flags.reindex_like(values), {})


def latest_year(ws: Workspace, measure: str = "cla_at_31_march") -> int:
    obs = observations(ws)
    return int(obs.loc[(obs["measure"] == measure) & obs["value"].notna(), "year"].max())
