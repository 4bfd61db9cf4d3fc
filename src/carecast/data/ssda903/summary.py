"""Counts from record-level episodes, as DfE publishes them: stock at 31 March, starts, ceased.

Works on any frame with the :func:`carecast.data.ssda903.store.load_episodes` columns
(child, decom, dec, rne, rec, place, place_provider, dob; with ls, short breaks are left
out), so the generator's own counts and the ingested data's counts come from the same
code. Published counts go through :mod:`carecast.disclosure` (small counts hidden, shown
as None here, and secondary suppression within each year, whose totals are published).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import pandas as pd

from carecast import disclosure, params
from carecast.data.ssda903 import cla, codes

if TYPE_CHECKING:
    from carecast.data.workspace import Workspace

@cache
def _reason_lookup() -> dict[str, str]:
    groups = params.value("ssda903.dfe_labels")["reason_ceased"]
    return {code: group for group, codes_ in groups.items() for code in codes_}


def reason_group(rec: pd.Series) -> pd.Series:
    """DfE's published reason-ceased group for each REC code (None for X1 or blank)."""
    return rec.map(_reason_lookup())


def _year_bounds(year: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    return pd.Timestamp(f"{year - 1}-04-01"), pd.Timestamp(f"{year}-03-31")


def _once_per_child(events: pd.DataFrame, date: str, rule: str) -> pd.DataFrame:
    """One event per child and year: the first or the last (``ssda903.counting``)."""
    if rule not in ("first", "last"):
        raise ValueError(f"ssda903.counting: {rule!r} is neither 'first' nor 'last'")
    ordered = events.sort_values(["year", "child", date], kind="stable")
    return ordered.drop_duplicates(["year", "child"], keep=rule)


def counts(episodes: pd.DataFrame, years: list[int]) -> dict[str, pd.DataFrame]:
    """Unsuppressed counts per collection year (named by the year it ends), as DfE counts:
    children at 31 March, and children (not episodes) who started or ceased in the year
    (``ssda903.counting``: the first start, the last end).

    Short-break episodes (``ssda903.cla_exclusions``: V3, V4) are not counted, as in
    DfE's figures (:func:`carecast.data.ssda903.cla.counted_episodes`).
    """
    rule = params.value("ssda903.counting")
    eps = cla.counted_episodes(episodes).copy()
    eps["category"] = codes.placement_category(eps["place"], eps["place_provider"])
    eps["dfe_group"] = codes.dfe_group(eps["place"])
    stock, starts, ceased = [], [], []
    for year in years:
        first, last = _year_bounds(year)
        on = eps[(eps["decom"] <= last) & (eps["dec"].isna() | (eps["dec"] > last))]
        age = (last.year - on["dob"].dt.year) - (
            (on["dob"].dt.month > 3) | ((on["dob"].dt.month == 3) & (on["dob"].dt.day > 31))
        ).astype(int)
        stock.append(on.assign(year=year, age_band=codes.age_band(age)))
        starts.append(eps[(eps["rne"] == "S") & eps["decom"].between(first, last)]
                      .assign(year=year))
        end = eps[eps["dec"].between(first, last) & eps["rec"].notna() & eps["rec"].ne("X1")]
        ceased.append(end.assign(year=year, reason=reason_group(end["rec"]).fillna("Unknown")))
    stock_df = pd.concat(stock, ignore_index=True)
    started = _once_per_child(pd.concat(starts, ignore_index=True), "decom", rule["started"])
    left = _once_per_child(pd.concat(ceased, ignore_index=True), "dec", rule["ceased"])
    return {
        "stock_by_category": _count(stock_df, ["year", "category", "age_band"]),
        "stock_by_dfe_group": _count(stock_df, ["year", "dfe_group"]),
        "stock": _count(stock_df, ["year"]),
        "starts": _count(started, ["year"]),
        "ceased": _count(left, ["year", "reason"]),
    }


def _count(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    return frame.groupby(by, observed=True).size().rename("count").reset_index()


def shares(table: pd.DataFrame, key: str) -> pd.Series:
    """Share of each ``key`` value over all years in a counts table."""
    total = table.groupby(key)["count"].sum()
    return total / total.sum()


# Each breakdown's cells add up to a total a reader can see: each year's children in care
# (the ``stock`` table) or children ceased (the sum of the year's reasons).
TOTALS: dict[str, list[list[str]]] = {
    "stock_by_category": [["year"]],
    "stock_by_dfe_group": [["year"]],
    "ceased": [["year"]],
}


def suppress(table: pd.DataFrame, name: str | None = None) -> pd.DataFrame:
    """Counts hidden by :mod:`carecast.disclosure` replaced by None (and flagged
    ``suppressed``), for anything shown or exported; ``name`` (a :func:`counts` key) says
    which totals the cells add up to."""
    return disclosure.suppress(table, "count", within=TOTALS.get(name or "", []))


def report(episodes: pd.DataFrame, years: list[int]) -> dict[str, list[dict]]:
    """Suppressed counts as JSON-ready records."""
    return {
        name: suppress(table, name).to_dict(orient="records")
        for name, table in counts(episodes, years).items()
    }


def from_workspace(ws: Workspace) -> dict[str, Any]:
    """The workspace's ingested episodes summarised for every collection year they hold:
    ``years`` and :func:`report`'s suppressed records (what ``carecast ssda903 summary``
    and the web page show)."""
    from carecast.data.ssda903.store import load_episodes

    episodes = load_episodes(ws)
    years = sorted(int(y) for y in episodes["return_year"].unique())
    return {"years": years, **report(episodes, years)}
