"""The indicator registry (``parameters/benchmark/indicators.yaml``) and each indicator's values.

An indicator reads from one of two places: a measure of the harmonised council panel (every
DfE series, placements included, so a release added with ``carecast data add-release``
updates it), or the latest Ofsted judgement. Whatever the source, :func:`load` returns the
same shape, so ranking and comparison code is shared.
Small counts are suppressed here by :mod:`carecast.disclosure` (value, count and
denominator set to NaN, flag the rule's marker), so nothing downstream can rank, publish or
export them; the counts are DfE's published ones, so DfE's own secondary suppression already
stands behind the totals. Council values carried from another council (a predecessor before
a reorganisation, or a shared service reporting jointly) have ``filled`` set, so outputs can
say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd

from carecast import disclosure, params
from carecast.data import bundled, catalogue, periods, store
from carecast.data.workspace import Workspace

POLARITIES = ("higher", "lower", "neutral")
KINDS = ("rate", "percent", "money", "ordinal", "number")
ENGLAND = "E92000001"
OFSTED_ORDINAL = {
    "Outstanding": 1,
    "Good": 2,
    "Requires improvement to be good": 3,
    "Inadequate": 4,
}
COLUMNS = ["value", "count", "denominator", "flag", "filled"]


@dataclass(frozen=True)
class Indicator:
    id: str
    label: str
    unit: str
    polarity: str
    kind: str  # rate | percent | money | ordinal | number
    source: str  # panel | ofsted
    dataset: str
    years: str
    note: str = ""
    measure: str | None = None
    count: str | None = None
    denominator: str | None = None
    scale: float = 1.0
    period: str = periods.DEFAULT  # how a year is written (parameters/data/periods.yaml)
    section: str = ""  # council-page group: "" (benchmarking), workforce, outcomes, assessment

    def period_label(self, year: int | None) -> str:
        """The year in the publisher's terms, e.g. "at 30 September 2024"."""
        return periods.label(self.period, year)

    @property
    def rate_scale(self) -> float:
        """Multiplier from a proportion to the value's unit (10,000 for rates, 100 for %)."""
        return 100.0 if self.kind == "percent" else self.scale

    @property
    def citation(self) -> str:
        """Catalogue citation of the source dataset, or its id if the catalogue lacks it."""
        try:
            return catalogue.get(self.dataset).citation
        except LookupError:
            return self.dataset


@cache
def registry() -> dict[str, Indicator]:
    out = {}
    for indicator_id, spec in params.value("benchmark.indicators").items():
        indicator = Indicator(id=indicator_id, **{**spec, "years": str(spec["years"])})
        if indicator.polarity not in POLARITIES:
            raise ValueError(f"indicator {indicator_id}: polarity must be one of {POLARITIES}")
        if indicator.kind not in KINDS:
            raise ValueError(f"indicator {indicator_id}: kind must be one of {KINDS}")
        periods.label(indicator.period, None)  # an unknown period type fails here
        out[indicator_id] = indicator
    return out


def get(indicator_id: str) -> Indicator:
    found = registry()
    if indicator_id not in found:
        raise LookupError(f"no indicator {indicator_id!r}; known: {', '.join(found)}")
    return found[indicator_id]


@dataclass
class IndicatorData:
    """Values by council (index code, year), England (index year) and region (region, year).

    Each frame has columns value, count, denominator (NaN where not applicable) and flag;
    England and region frames add ``n_reporting`` and ``n_councils`` where their figure is
    summed over councils rather than published (NaN otherwise).
    """

    indicator: Indicator
    la: pd.DataFrame
    england: pd.DataFrame
    region: pd.DataFrame
    notes: dict[tuple[str, int], str] = field(default_factory=dict, repr=False)
    # Results derived from these values alone (funnel overdispersion by year and peers).
    cache: dict[object, object] = field(default_factory=dict, repr=False)

    def year_rows(self, year: int) -> pd.DataFrame:
        """Every council's row in ``year`` (index code); empty when the year has no data."""
        key = ("year_rows", year)
        if key not in self.cache:
            self.cache[key] = (self.la.xs(year, level=1) if year in self.years()
                               else self.la.iloc[:0].droplevel(1))
        return self.cache[key]  # type: ignore[return-value]

    def year_values(self, year: int) -> pd.Series:
        """Council values in ``year`` (index code), suppressed and missing values dropped."""
        return self.year_rows(year)["value"].dropna()

    def years(self) -> list[int]:
        """Years in which some council has a value."""
        if "years" not in self.cache:
            shown = self.la["value"].notna().to_numpy()
            self.cache["years"] = sorted(
                {int(y) for y in self.la.index.get_level_values(1)[shown]})
        return self.cache["years"]  # type: ignore[return-value]

    def latest_year(self) -> int:
        return self.years()[-1]


def _suppress(frame: pd.DataFrame) -> pd.DataFrame:
    small = disclosure.rule().is_small(frame["count"])
    out = frame.copy()
    out.loc[small, ["value", "count", "denominator"]] = np.nan
    out.loc[small, "flag"] = disclosure.rule().marker
    return out


def _from_panel(panel: store.Panel, ind: Indicator) -> pd.DataFrame:
    values = panel.values
    frame = pd.DataFrame(index=values.index)
    frame["value"] = values[ind.measure] if ind.measure else np.nan
    for column, measure in (("count", ind.count), ("denominator", ind.denominator)):
        frame[column] = values[measure] if measure and measure in values else np.nan
    flags = panel.flags
    flag_source = next((m for m in (ind.measure, ind.count) if m and m in flags), None)
    frame["flag"] = flags[flag_source] if flag_source else None
    frame["flag"] = frame["flag"].astype(object).where(frame["value"].isna(), None)
    filled = panel.filled
    has = filled is not None and ind.measure in filled
    frame["filled"] = filled[ind.measure].reindex(frame.index).fillna(False) if has else False
    frame["filled"] = frame["filled"].astype(bool) & frame["value"].notna()
    return frame[COLUMNS]


def _with_coverage(frame: pd.DataFrame, panel: store.Panel, ind: Indicator) -> pd.DataFrame:
    """Add how many councils a summed area figure covers (see :mod:`carecast.data.store`)."""
    measure = ind.measure or ind.count
    cover = [panel.coverage(str(a), int(y), measure) if measure else None
             for a, y in frame.index]
    out = frame.copy()
    out["n_reporting"] = [c[0] if c else np.nan for c in cover]
    out["n_councils"] = [c[1] if c else np.nan for c in cover]
    return out


def _ofsted() -> pd.DataFrame:
    table = bundled.read_table("ofsted_judgements")
    year = int(pd.to_datetime(table["publication_date"]).max().year)
    frame = pd.DataFrame(
        {
            "area_code": table["code"].astype(str),
            "year": year,
            "value": table["overall"].map(OFSTED_ORDINAL).astype(float),
            "count": np.nan,
            "denominator": np.nan,
            "flag": None,
            "filled": False,
        }
    )
    return frame.set_index(["area_code", "year"])[COLUMNS]


def _region_of() -> pd.Series:
    table = bundled.read_table("councils")
    table = table[table["status"] == "current"]
    return table.set_index("code")["region_code"]


def _mean_by_area(la: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """England and region as the mean of council values (for ordinal indicators)."""
    regions = _region_of()
    frame = la.reset_index()
    frame["region"] = frame["area_code"].map(regions)
    england = frame.groupby("year")[["value"]].mean()
    region = frame.groupby(["region", "year"])[["value"]].mean()
    region.index = region.index.set_names(["area_code", "year"])
    for out in (england, region):
        out["count"] = np.nan
        out["denominator"] = np.nan
        out["flag"] = None
        out["filled"] = False
    return england[COLUMNS], region[COLUMNS]


def load(ws: Workspace, indicator_id: str) -> IndicatorData:
    """All values of one indicator, for current councils, England and regions."""
    ind = get(indicator_id)
    current = set(_region_of().index)
    notes: dict[tuple[str, int], str] = {}
    if ind.source == "panel":
        panel = store.la_panel(ws)
        la = _from_panel(panel, ind)
        notes = panel.notes
        eng_panel, region_panel = store.area_panel(ws, "england"), store.area_panel(ws, "region")
        england = _with_coverage(_from_panel(eng_panel, ind), eng_panel, ind).xs(
            ENGLAND, level=0)
        region = _with_coverage(_from_panel(region_panel, ind), region_panel, ind)
    elif ind.source == "ofsted":
        la = _ofsted()
        england, region = _mean_by_area(la)
    else:
        raise ValueError(f"indicator {ind.id}: unknown source {ind.source!r}")
    la = la[la.index.get_level_values(0).isin(current)]
    return IndicatorData(ind, _suppress(la), _suppress(england), _suppress(region), notes)
