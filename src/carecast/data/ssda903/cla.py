"""Which episodes count as being looked after, as DfE counts children looked after.

DfE's published figures exclude children looked after under an agreed series of short-term
placements (short breaks: legal status V3 or V4). The excluded legal statuses are the
parameter ``ssda903.cla_exclusions``. The workspace keeps every episode as ingested; the
summary (:mod:`carecast.data.ssda903.summary`) and the record-level model
(:mod:`carecast.model.records`, :mod:`carecast.scenarios.records`) pass episodes through
:func:`counted_episodes` before they count or fit anything.
"""

from __future__ import annotations

import pandas as pd

from carecast import params


def excluded_legal_status() -> list[str]:
    """Legal status codes whose episodes are not care for counting (``ssda903.cla_exclusions``)."""
    return [str(c).upper() for c in params.value("ssda903.cla_exclusions")]


def is_short_break(ls: pd.Series) -> pd.Series:
    """True for episodes whose legal status is excluded from counts (V3/V4 by default)."""
    return ls.astype("string").str.strip().str.upper().isin(excluded_legal_status()).fillna(
        False).astype(bool)


def counted_episodes(episodes: pd.DataFrame) -> pd.DataFrame:
    """The episodes that count as care: short-break episodes removed.

    An episode that follows a short-break episode on the day it ends (the child moves from
    short breaks into ordinary care, e.g. RNE L) starts care, so its ``rne`` becomes ``S``.
    Frames without an ``ls`` column, or with no excluded episode, are returned unchanged.
    Idempotent; never changes its input.
    """
    if "ls" not in episodes:
        return episodes
    short = is_short_break(episodes["ls"])
    if not short.any():
        return episodes
    eps = episodes.sort_values(["child", "decom"], kind="stable")
    short = short.loc[eps.index]
    same_child = eps["child"].eq(eps["child"].shift(1))
    after_short = same_child & short.shift(1, fill_value=False).astype(bool) & eps[
        "decom"].eq(eps["dec"].shift(1))
    eps = eps[~short].copy()
    if "rne" in eps:
        eps.loc[after_short[~short], "rne"] = "S"
    return eps.sort_index()
