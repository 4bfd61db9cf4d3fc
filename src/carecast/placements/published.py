"""A council's latest published placement position: children by group of home needing
carers, its own-provision share and its share placed outside the boundary (31 March)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from carecast.data import categories, store
from carecast.data.councils import ENGLAND
from carecast.data.workspace import Workspace


def _position(frame: pd.DataFrame | None) -> dict[str, float]:
    """The latest year's figures from one area's panel rows (index year)."""
    if frame is None or frame["cla_placement_total"].dropna().empty:
        return {"year": np.nan}
    year = int(frame["cla_placement_total"].dropna().index.max())
    row = frame.loc[year]
    out: dict[str, float] = {"year": year}
    groups = categories.published_groups()
    for group in categories.supply_groups():
        out[group] = float(np.nansum([row.get(m, np.nan) for m, g in groups.items()
                                      if g == group]))
    base = row.get("cla_provider_total", np.nan) - np.nansum(
        [row.get("cla_provider_parents", 0.0), row.get("cla_provider_not_reported", 0.0)])
    own = row.get("cla_provider_own", np.nan)
    out["own_share"] = float(own / base) if base > 0 else np.nan
    out["outside_share"] = float(row.get("cla_placed_outside_la_pct", np.nan)) / 100
    return out


def latest(ws: Workspace, codes: list[str] | np.ndarray) -> pd.DataFrame:
    """One row per council (index code): ``year``, children in each supply group
    (fostering, residential, supported), ``own_share`` (own provision among placements
    with a provider other than parents) and ``outside_share``. Shares a council does not
    publish are England's."""
    values = store.la_panel(ws).values
    present = set(values.index.get_level_values(0))
    frame = pd.DataFrame([{"code": c, **_position(values.loc[c] if c in present else None)}
                          for c in codes]).set_index("code")
    england = _position(store.area_panel(ws, "england").values.loc[ENGLAND])
    for share in ("own_share", "outside_share"):
        frame[share] = frame.get(share, pd.Series(np.nan, index=frame.index)).fillna(
            england[share])
    return frame
