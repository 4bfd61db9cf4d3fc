"""Join annual returns into one clean episode history, and derive periods of care.

Each return holds every episode open at any time in its year, so consecutive returns
overlap. Joining them: keep one copy of each (child, DECOM), preferring a closed copy and
then the latest return; close an episode at the next DECOM when it overlaps it (DEC after
the next DECOM) or was left open (flagged ``repair``). A period of care runs from an episode
with RNE S (or the first, or one after a gap) to the first episode ending with a REC other
than X1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from carecast.data.ssda903 import codes
from carecast.data.ssda903.pseudonymise import pseudonymise
from carecast.data.ssda903.reader import Return

DAYS_PER_YEAR = 365.25
ISSUE_COLUMNS = ["child", "table", "file", "row", "column", "rule", "message", "severity"]


@dataclass
class Records:
    """Record-level tables ready for the workspace (children pseudonymised)."""

    header: pd.DataFrame
    episodes: pd.DataFrame
    periods: pd.DataFrame
    uasc: pd.DataFrame


def _issue(
    frame: pd.DataFrame, mask: pd.Series, table: str, column: str, rule: str, message: str
) -> pd.DataFrame:
    hit = frame[mask]
    return pd.DataFrame(
        {
            "child": hit["CHILD"],
            "table": table,
            "file": hit["_file"],
            "row": hit["_row"],
            "column": column,
            "rule": rule,
            "message": message,
            "severity": "blocking",
        }
    )


def blocking_issues(returns: list[Return]) -> pd.DataFrame:
    """Problems that make modelling impossible: no CHILD, DECOM or DOB, or unreadable dates.

    ``child`` holds raw ids here; callers pseudonymise before showing anything.
    """
    found = []
    for ret in returns:
        for table, frame in ret.tables.items():
            if table not in ("Header", "Episodes", "UASC"):
                continue
            found.append(
                _issue(
                    frame, frame["CHILD"].isna(), table, "CHILD", "missing_child", "CHILD is blank"
                )
            )
            for column in ("DOB", "DECOM", "DEC", "DUC"):
                if column not in frame:
                    continue
                parsed = ret.dates(table, column)
                bad = frame[column].notna() & parsed.isna()
                found.append(
                    _issue(
                        frame, bad, table, column, "bad_date", f"{column} is not a dd/mm/YYYY date"
                    )
                )
        episodes, header = ret.tables["Episodes"], ret.tables["Header"]
        found.append(
            _issue(
                episodes,
                episodes["DECOM"].isna(),
                "Episodes",
                "DECOM",
                "missing_decom",
                "DECOM is blank",
            )
        )
        found.append(
            _issue(header, header["DOB"].isna(), "Header", "DOB", "missing_dob", "DOB is blank")
        )
        orphan = episodes["CHILD"].notna() & ~episodes["CHILD"].isin(header["CHILD"])
        found.append(
            _issue(
                episodes,
                orphan,
                "Episodes",
                "CHILD",
                "missing_dob",
                "child has no Header row, so no DOB",
            )
        )
    out = pd.concat(found, ignore_index=True) if found else pd.DataFrame()
    return out.reindex(columns=ISSUE_COLUMNS)


def _stack(returns: list[Return], table: str, dates: tuple[str, ...] = ()) -> pd.DataFrame:
    """One table from every return, with ``return_year`` and ``<column>_date`` for ``dates``."""
    frames = [
        r.tables[table].assign(
            return_year=r.year, **{f"{c}_date": r.dates(table, c) for c in dates}
        )
        for r in returns
        if table in r.tables
    ]
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


def _header(returns: list[Return], secret: bytes, known: dict[str, str]) -> pd.DataFrame:
    raw = _stack(returns, "Header", ("DOB",)).sort_values("return_year", kind="stable")
    raw = raw.drop_duplicates("CHILD", keep="last")
    return pd.DataFrame(
        {
            "child": pseudonymise(raw["CHILD"], secret, known),
            "sex": codes.harmonise_sex(raw["SEX"]).to_numpy(),
            "dob": raw["DOB_date"].to_numpy(),
            "ethnic": codes.upper(raw["ETHNIC"]).to_numpy(),
            "mother": raw["MOTHER"].to_numpy(),
            "return_year": raw["return_year"].to_numpy(),
        }
    ).reset_index(drop=True)


def _uasc(returns: list[Return], secret: bytes, known: dict[str, str]) -> pd.DataFrame:
    raw = _stack(returns, "UASC", ("DUC",))
    if raw.empty:
        return pd.DataFrame(
            {"child": pd.Series(dtype=object), "duc": pd.Series(dtype="datetime64[ns]")}
        )
    raw = raw.sort_values("return_year", kind="stable").drop_duplicates("CHILD", keep="last")
    return pd.DataFrame(
        {
            "child": pseudonymise(raw["CHILD"], secret, known).to_numpy(),
            "duc": raw["DUC_date"].to_numpy(),
        }
    )


def _sort_key(values: pd.Series) -> np.ndarray:
    """Integers that sort like ``values`` (missing last), for one numpy lexsort."""
    if values.dtype.kind == "M":
        key = values.to_numpy().view(np.int64).copy()
        key[values.isna().to_numpy()] = np.iinfo(np.int64).max
        return key
    key, _ = pd.factorize(values, sort=True)
    return np.where(key < 0, len(key), key)


def _upper_string(values: pd.Series) -> pd.Series:
    """``values.astype("string").str.upper()``, computed once per distinct code."""
    found, uniques = pd.factorize(values)
    upper = pd.Series(uniques, dtype=object).astype("string").str.upper().array
    return pd.Series(upper.take(found, allow_fill=True), index=values.index)


def _episodes(returns: list[Return], secret: bytes, known: dict[str, str]) -> pd.DataFrame:
    raw = _stack(returns, "Episodes", ("DECOM", "DEC"))
    found, ids = pd.factorize(raw["CHILD"])
    names = pseudonymise(pd.Series(ids, dtype=object), secret, known)
    child = pd.Series(np.append(names.to_numpy(), None)[found], dtype=object)
    # One copy per (child, DECOM): the closed one, then the one from the latest return.
    # Sorted like sort_values([child, decom, closed, return_year]) (stable), then the last
    # row of each (child, decom) kept; everything else is derived for kept rows only.
    keys = (
        raw["return_year"].to_numpy(),
        raw["DEC_date"].notna().to_numpy(),
        _sort_key(raw["DECOM_date"]),
        np.append(_sort_key(names), len(names))[found],  # missing CHILD last
    )
    order = np.lexsort(keys)
    same_next = np.ones(len(order), dtype=bool)
    same_next[-1:] = False
    for key in keys[2:]:
        same_next[:-1] &= key[order][1:] == key[order][:-1]
    raw = raw.iloc[order[~same_next]].reset_index(drop=True)
    child = child.iloc[order[~same_next]].reset_index(drop=True)
    return pd.DataFrame(
        {
            "child": child,
            "decom": raw["DECOM_date"],
            "dec": raw["DEC_date"],
            "rne": _upper_string(raw["RNE"]),
            "ls": _upper_string(raw["LS"]),
            "cin": _upper_string(raw["CIN"]),
            "place": _upper_string(raw["PLACE"]),
            "place_provider": _upper_string(raw["PLACE_PROVIDER"]),
            "rec": _upper_string(raw["REC"]),
            "reason_place_change": codes.upper(raw["REASON_PLACE_CHANGE"]),
            "home_district": codes.postcode_district(raw["HOME_POST"]),
            "pl_district": codes.postcode_district(raw["PL_POST"]),
            "urn": raw.get("URN", None),
            "return_year": raw["return_year"],
        }
    )


def _repair(eps: pd.DataFrame) -> pd.DataFrame:
    """Close overlapping or open-then-superseded episodes at the next DECOM; flag each."""
    same_child = eps["child"].eq(eps["child"].shift(-1))
    next_decom = eps["decom"].shift(-1).where(same_child)
    overlap = same_child & eps["dec"].notna() & (eps["dec"] > next_decom)
    opened = same_child & eps["dec"].isna()
    eps["repair"] = None
    eps.loc[overlap, "repair"] = "overlap: DEC after next DECOM, closed at next DECOM"
    eps.loc[opened, "repair"] = "open episode followed by another, closed at next DECOM"
    fix = overlap | opened
    eps.loc[fix, "dec"] = next_decom[fix]
    next_rne = eps["rne"].shift(-1)
    eps.loc[opened & eps["rec"].isna() & next_rne.ne("S"), "rec"] = "X1"
    return eps


def _periods(eps: pd.DataFrame, dob: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    prev_child = eps["child"].shift(1)
    prev_dec = eps["dec"].shift(1)
    prev_rec = eps["rec"].shift(1)
    starts = (
        eps["child"].ne(prev_child)
        | eps["rne"].eq("S")
        | prev_dec.ne(eps["decom"])
        | prev_rec.ne("X1")
    )
    # Episodes are sorted by child, and each child's first episode starts a period, so a
    # running count of starts numbers every period, and restarts at 1 for each child.
    group = starts.astype(int).cumsum().to_numpy()
    child_first = np.maximum.accumulate(np.where(eps["child"].ne(prev_child), group, 0))
    number = pd.Series(group - child_first + 1, index=eps.index)
    eps["period"] = eps["child"] + "-" + number.astype(str)
    eps["dob"] = eps["child"].map(dob)
    eps["age_at_start"] = (eps["decom"] - eps["dob"]).dt.days / DAYS_PER_YEAR
    eps["duration_days"] = (eps["dec"] - eps["decom"]).dt.days
    eps["category"] = codes.placement_category(eps["place"], eps["place_provider"])
    eps["category_broad"] = codes.broad_category(eps["category"])
    grouped = eps.groupby(group, sort=False)
    periods = grouped.agg(
        period=("period", "first"),
        child=("child", "first"),
        start=("decom", "first"),
        end=("dec", "last"),
        rec=("rec", "last"),
        episodes=("decom", "size"),
        dob=("dob", "first"),
        first_category=("category", "first"),
        last_category=("category", "last"),
        ls_at_start=("ls", "first"),
        cin=("cin", "first"),
    ).reset_index(drop=True)
    followed = periods["child"].eq(periods["child"].shift(-1))
    ended = (periods["rec"].notna() & periods["rec"].ne("X1")) | (followed & periods["end"].notna())
    periods.loc[~ended, "end"] = pd.NaT
    periods.loc[periods["rec"].eq("X1"), "rec"] = None
    periods.loc[~ended, "rec"] = None
    periods["age_at_start"] = (periods["start"] - periods["dob"]).dt.days / DAYS_PER_YEAR
    periods["age_at_end"] = (periods["end"] - periods["dob"]).dt.days / DAYS_PER_YEAR
    periods["duration_days"] = (periods["end"] - periods["start"]).dt.days
    periods = periods.drop(columns="dob")
    return eps, periods


def build(returns: list[Return], secret: bytes) -> Records:
    """Pseudonymised, harmonised, de-duplicated records from validated returns."""
    known: dict[str, str] = {}  # each child id is hashed once across the tables
    header = _header(returns, secret, known)
    eps = _repair(_episodes(returns, secret, known))
    dob = header.set_index("child")["dob"]
    eps, periods = _periods(eps, dob)
    eps["open"] = eps["dec"].isna()
    return Records(header=header, episodes=eps, periods=periods,
                   uasc=_uasc(returns, secret, known))
