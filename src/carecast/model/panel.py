"""The published series the council-level models fit, as council x year arrays.

Counts come from the harmonised council panel (``carecast.data.store.la_panel``); the shares
of children aged 16 and over and of UASC at 31 March from the bundled ``cla_age_uasc`` table
(carried into successor councils like every other level); England's own published series
(1994 on) sits beside them for the national parts of the models and for backtests.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from carecast import params
from carecast.data import bundled, store
from carecast.data.councils import ENGLAND
from carecast.data.harmonise import first_own_years, harmonise
from carecast.data.workspace import Workspace

COUNCIL_ARRAYS = ("stock", "starts", "ceased", "population", "share_16_plus", "share_uasc",
                  "own")
NATIONAL = {"stock": "cla_at_31_march", "starts": "cla_started", "ceased": "cla_ceased",
            "uasc": "cla_uasc_at_31_march"}


@dataclass(frozen=True)
class CouncilData:
    """Council x year arrays (NaN where missing) and England's series by ``national_years``.

    ``own`` is False for years a council created by a split did not report itself (its
    series there is apportioned from the abolished council).
    """

    codes: np.ndarray
    regions: np.ndarray
    years: np.ndarray
    stock: np.ndarray
    starts: np.ndarray
    ceased: np.ndarray
    population: np.ndarray
    share_16_plus: np.ndarray
    share_uasc: np.ndarray
    own: np.ndarray
    national_years: np.ndarray = field(default_factory=lambda: np.array([], dtype=int))
    national: dict[str, np.ndarray] = field(default_factory=dict)

    def until(self, origin: int) -> CouncilData:
        """Only what was published by ``origin`` (years ending 31 March <= origin)."""
        keep = self.years <= origin
        national = self.national_years <= origin
        return replace(self, years=self.years[keep],
                       **{k: getattr(self, k)[:, keep] for k in COUNCIL_ARRAYS},
                       national_years=self.national_years[national],
                       national={k: v[national] for k, v in self.national.items()})

    def select(self, codes: list[str]) -> CouncilData:
        idx = [int(np.flatnonzero(self.codes == c)[0]) for c in codes]
        return replace(self, codes=self.codes[idx], regions=self.regions[idx],
                       **{k: getattr(self, k)[idx] for k in COUNCIL_ARRAYS})

    def england(self, name: str) -> pd.Series:
        """England's published series ``name`` (stock, starts, ceased, uasc) by year."""
        return pd.Series(self.national[name], index=self.national_years, dtype=float)


def _shares(ws: Workspace, codes: pd.Index, years: np.ndarray) -> dict[str, pd.DataFrame]:
    """Shares of the 31 March count aged 16+ and UASC. The counts are carried into successor
    councils like the panel's (merged councils add up, split ones are apportioned) before
    they are divided; a UASC count DfE suppressed (1 to 5 children) counts as
    ``suppressed_count``."""
    table = bundled.read_table("cla_age_uasc")
    table = table[table["level"] == "la"]
    wide = table.pivot_table(index=["area_code", "year"], columns="measure", values="value",
                             aggfunc="first", dropna=False)
    flags = table.pivot_table(index=["area_code", "year"], columns="measure", values="flag",
                              aggfunc="first").reindex_like(wide)
    suppressed = flags["cla_uasc_at_31_march"].notna() & wide["cla_uasc_at_31_march"].isna()
    small = float(params.value("model.uasc_forecast")["suppressed_count"])
    wide["cla_uasc_at_31_march"] = wide["cla_uasc_at_31_march"].mask(suppressed, small)
    pop = store.la_panel(ws, harmonised=False).values["pop_0_17"]
    values = wide.join(pop, how="outer")
    values.index.names = ["area_code", "year"]
    filled, _ = harmonise(values)
    total = filled["cla_at_31_march"]
    return {"share_16_plus": filled["cla_aged_16_plus_at_31_march"] / total,
            "share_uasc": filled["cla_uasc_at_31_march"] / total}


def _by_year(shares: pd.Series, codes: pd.Index, years: np.ndarray) -> np.ndarray:
    return shares.unstack("year").reindex(index=codes, columns=years).to_numpy(float)


def load_council_data(ws: Workspace) -> CouncilData:
    """The harmonised council panel as arrays (153 current councils)."""
    values = store.la_panel(ws).values
    councils = bundled.read_table("councils").set_index("code")
    wide = {
        m: values[m].unstack("year").sort_index(axis=1)
        for m in ("cla_at_31_march", "cla_started", "cla_ceased", "pop_0_17", "pop_0_17_mid_year")
    }
    stock = wide["cla_at_31_march"]
    stock = stock.loc[:, stock.notna().any()]
    years = stock.columns.to_numpy(dtype=int)
    frames = {k: v.reindex(index=stock.index, columns=years) for k, v in wide.items()}
    # pop_0_17 for year t is ONS mid-(t-1); fill gaps from the mid-year series shifted a year.
    population = frames["pop_0_17"].fillna(
        wide["pop_0_17_mid_year"].reindex(index=stock.index)
        .rename(columns=lambda y: y + 1).reindex(columns=years)
    )
    codes = stock.index.to_numpy(dtype=str)
    first = first_own_years()
    own = np.array([[y >= first.get(c, 0) for y in years] for c in codes], dtype=bool)
    shares = _shares(ws, stock.index, years)
    england = store.area_panel(ws, "england").values.loc[ENGLAND].sort_index()
    england = england[england["cla_at_31_march"].notna()]
    return CouncilData(
        codes=codes, regions=councils.loc[codes, "region_code"].to_numpy(dtype=str),
        years=years, stock=stock.to_numpy(float), starts=frames["cla_started"].to_numpy(float),
        ceased=frames["cla_ceased"].to_numpy(float), population=population.to_numpy(float),
        share_16_plus=_by_year(shares["share_16_plus"], stock.index, years),
        share_uasc=_by_year(shares["share_uasc"], stock.index, years), own=own,
        national_years=england.index.to_numpy(dtype=int),
        national={k: england[m].to_numpy(float) if m in england else
                  np.full(len(england), np.nan) for k, m in NATIONAL.items()},
    )
