"""Each council's latest published placement position: children by group of home needing
carers, its own-provision share and its share placed outside the boundary (31 March)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from carecast.data import categories, store
from carecast.data.councils import ENGLAND
from carecast.data.workspace import Workspace


def _position(values: pd.DataFrame) -> pd.DataFrame:
    """The latest year with a placement table of each area in ``values`` (index area,
    year): ``year``, children per supply group, ``own_share`` (own provision among
    placements with a provider other than parents) and ``outside_share``."""
    rows = values[values["cla_placement_total"].notna()].reset_index()
    if rows.empty:
        return pd.DataFrame(columns=["year", "own_share", "outside_share"])
    last = rows.loc[rows.groupby("area_code")["year"].idxmax()].set_index("area_code")
    out = pd.DataFrame({"year": last["year"]}, index=last.index)
    groups = categories.published_groups()
    for group in categories.supply_groups():
        measures = [m for m, g in groups.items() if g == group and m in last]
        out[group] = last[measures].sum(axis=1, min_count=1)
    def get(m: str) -> pd.Series:
        return last[m] if m in last else pd.Series(np.nan, index=last.index)

    base = get("cla_provider_total") - get("cla_provider_parents").fillna(0) - get(
        "cla_provider_not_reported").fillna(0)
    out["own_share"] = (get("cla_provider_own") / base).where(base > 0)
    out["outside_share"] = get("cla_placed_outside_la_pct") / 100
    return out


def latest(ws: Workspace, codes: list[str] | np.ndarray) -> pd.DataFrame:
    """One row per council in ``codes`` (index code) as :func:`_position`; shares a council
    does not publish are England's, counts it does not publish are missing."""
    frame = _position(store.la_panel(ws).values).reindex(pd.Index(codes, name="code"))
    england = _position(store.area_panel(ws, "england").values).loc[ENGLAND]
    for share in ("own_share", "outside_share"):
        frame[share] = frame[share].fillna(england[share])
    return frame
