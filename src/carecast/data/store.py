"""Query the workspace's public data: effective observations, panels by level, comparators.

Bundled rows and rows users add with ``carecast data add-release`` live in two tables; the
effective value of a cell is the one from the latest release, a user's file winning a tie.
Panels are wide (one column per measure) and indexed by (area_code, year).

Areas (England, regions) take the published figure where there is one; otherwise counts
are summed over the area's councils, and a rate or share is its numerator over its
denominator summed over the *same* councils (those that published both), so a council
that did not report adds neither. ``Panel.reporting`` says how many councils each summed
figure covers, of ``Panel.members``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from carecast.data import bundled
from carecast.data.councils import ENGLAND
from carecast.data.harmonise import harmonise, spread_joint
from carecast.data.measures import registry
from carecast.data.workspace import Workspace

USER_TABLE = "user_observations"

_cache: dict[tuple[object, ...], object] = {}


def _key(ws: Workspace) -> tuple[str, tuple[int, int]]:
    """The workspace file's identity: every change swaps in a new file (a new inode)."""
    stat = ws.db_path.stat()
    return (str(ws.db_path.resolve()), (stat.st_ino, stat.st_mtime_ns))


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
    """Wide values and suppression flags by (area_code, year), and notes on filled cells.

    ``filled`` marks (True) each cell carried from another council: a predecessor before a
    reorganisation (Cumbria's rates and IMD copied to Cumberland and Westmorland & Furness)
    or a shared service reporting jointly. Outputs flag those cells wherever they are used.
    """

    values: pd.DataFrame
    flags: pd.DataFrame
    notes: dict[tuple[str, int], str] = field(default_factory=dict)
    reporting: pd.DataFrame | None = None
    members: dict[str, int] = field(default_factory=dict)
    filled: pd.DataFrame | None = None

    def coverage(self, code: str, year: int, measure: str) -> tuple[int, int] | None:
        """(councils reporting, councils in the area) behind a summed area figure; None
        for a published figure or a council."""
        if self.reporting is None or measure not in self.reporting:
            return None
        try:
            n = self.reporting.at[(code, year), measure]
        except KeyError:
            return None
        return None if pd.isna(n) else (int(n), self.members.get(code, int(n)))

    def is_filled(self, code: str, year: int, measure: str) -> bool:
        if self.filled is None:
            return False
        try:
            return bool(self.filled.at[(code, year), measure])
        except KeyError:
            return False

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


def _fill_population(values: pd.DataFrame) -> pd.DataFrame:
    """The 0-17 denominator of year t is ONS's mid-(t-1) estimate (DfE's convention): where
    a DfE table gives none (e.g. spend in 2024-25), take it from the ONS mid-year series."""
    if "pop_0_17" not in values or "pop_0_17_mid_year" not in values:
        return values
    mid = values["pop_0_17_mid_year"].dropna().reset_index()
    mid["year"] += 1
    lagged = mid.set_index(["area_code", "year"])["pop_0_17_mid_year"]
    out = values.reindex(values.index.union(lagged.index))
    out["pop_0_17"] = out["pop_0_17"].fillna(lagged)
    return out.reindex(values.index)


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
    if not harmonised:
        return Panel(_add_derived(_fill_population(values)), flags, notes)
    published = _add_derived(_fill_population(values))
    values, notes = harmonise(values)
    values, joint_notes = spread_joint(values)
    for key, note in joint_notes.items():
        notes[key] = f"{notes[key]}; {note}" if key in notes else note
    current = _current_codes()
    values = _add_derived(_fill_population(values[values.index.get_level_values(0).isin(current)]))
    flags = flags.reindex(values.index)
    own = published.reindex(index=values.index, columns=values.columns)
    return Panel(values, flags, notes, filled=values.notna() & own.isna())


def _aggregate(la: Panel, groups: dict[str, list[str]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Counts summed over each group's councils, and derived rates over the councils that
    published both parts; with the number of councils behind each figure."""
    measures = registry()
    counts = [m for m in la.values.columns if m in measures and measures[m].kind == "count"]
    derived = [m for m in measures.values() if m.is_derived and m.numerator in counts
               and m.denominator in counts]
    values, reporting = {}, {}
    for area, codes in groups.items():
        rows = la.values[la.values.index.get_level_values(0).isin(codes)]
        by_year = rows.groupby(level="year")
        summed = by_year[counts].sum(min_count=1)
        n = by_year[counts].count()
        rates, rated = {}, {}
        for m in derived:
            both = rows[[m.numerator, m.denominator]].notna().all(axis=1)
            parts = rows[both].groupby(level="year")[[m.numerator, m.denominator]].sum()
            rates[m.id] = (parts[m.numerator] / parts[m.denominator] * m.scale).reindex(
                summed.index)
            rated[m.id] = both.groupby(level="year").sum().reindex(summed.index)
        # One concat, not a column at a time: dozens of derived measures fragment a frame.
        values[area] = pd.concat([summed, pd.DataFrame(rates, index=summed.index)], axis=1)
        reporting[area] = pd.concat([n, pd.DataFrame(rated, index=summed.index)], axis=1)
    return (pd.concat(values, names=["area_code", "year"]),
            pd.concat(reporting, names=["area_code", "year"]))


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
    summed, reporting = _aggregate(la, groups)
    if len(published):
        # Rates whose parts the area publishes are DfE's own (England's CIN rate 2024 is
        # 332.9 on DfE's denominator, not 331.4 over the councils' sum).
        published = _add_derived(published)
    values = published.combine_first(summed) if len(published) else summed
    if len(published):
        # A published figure covers every council; only summed figures carry a count.
        reporting = reporting.where(published.reindex_like(reporting).isna())
    values = _add_derived(values)
    return Panel(values, flags.reindex_like(values), {}, reporting,
                 {area: len(codes) for area, codes in groups.items()})


def latest_year(ws: Workspace, measure: str = "cla_at_31_march") -> int:
    obs = observations(ws)
    return int(obs.loc[(obs["measure"] == measure) & obs["value"].notna(), "year"].max())
