"""The referral file: one row per child needing a home, with what the home must offer.

The columns follow the SocialCareData placements standard and the South West sufficiency
data model (urgency, siblings, locations, suitability of each type of home, who the child
can live alongside, pets, language, culture, adaptations, risks, extra support); they are
documented in docs/matching.md, vocabularies in ``placements.referrals``. Files are CSV,
XLSX (first sheet) or JSON (a list of objects with the same keys); every row is checked
with the register's rules (:mod:`carecast.placements.rowcheck`), child and sibling-group
ids are replaced by the workspace's keyed pseudonyms (a child gets the pseudonym its 903
records have), and the rows are stored in one transaction, all or nothing. Columns outside
the format (names, addresses) are refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from carecast import params
from carecast.data import tabular
from carecast.data.errors import InputError
from carecast.data.ssda903.pseudonymise import pseudonymise, workspace_secret
from carecast.data.workspace import Workspace
from carecast.placements import register, rowcheck
from carecast.placements.rowcheck import Column, Problems

TABLE = "placements_referrals"
LOG = "placements_referral_loads"
SUITABILITY = ("foster", "residential", "supported")
GROUP_OF = {"foster": "fostering", "residential": "residential", "supported": "supported"}
LISTS = ("needs", "languages", "cultures", "communication", "adaptations", "risks_to_child",
         "risks_to_others", "extra_support")

COLUMNS = (
    Column("child_id", True, "the council's identifier of the child (pseudonymised on load)"),
    Column("referral_date", True, "date the home was requested (YYYY-MM-DD)"),
    Column("urgency", True, "today, within_5_days or planned"),
    Column("age", True, "age in whole years (0-17)"),
    Column("sex", True, "male or female"),
    Column("ethnicity", False, "SSDA903 ethnicity code, e.g. WBRI (for the fairness audit)"),
    Column("disability", False, "yes if the child is disabled (for the fairness audit)"),
    Column("uasc", False, "yes for an unaccompanied asylum-seeking child"),
    Column("sibling_group", False, "an id shared by brothers and sisters referred together "
           "(pseudonymised on load)"),
    Column("place_together", False, "yes (default) if the plan keeps the sibling group "
           "together"),
    Column("foster", False, "fostering: preferred, suitable (default) or unsuitable"),
    Column("residential", False, "children's home: preferred, suitable or unsuitable "
           "(default)"),
    Column("supported", False, "supported accommodation (16-17): preferred, suitable or "
           "unsuitable (default)"),
    Column("live_alongside", False, "any (default), solo, no_younger or no_older"),
    Column("pets_ok", False, "no if the child cannot live with pets (default yes)"),
    Column("home_district", False, "postcode district of the family home or preferred "
           "location, e.g. NR2"),
    Column("home_easting", False, "its British National Grid easting (m)"),
    Column("home_northing", False, "its northing (m)"),
    Column("school_district", False, "postcode district of the child's school"),
    Column("school_easting", False, "the school's easting (m)"),
    Column("school_northing", False, "the school's northing (m)"),
    Column("stay_at_school", False, "yes if the plan keeps the child at their school"),
    Column("max_distance_km", False, "furthest a home may be from home_ (km); else "
           "placements.matching.max_distance_km"),
    Column("needs", False, "skills the carers need (the register's skills), ';'-separated"),
    Column("languages", False, "languages the child speaks, first language first"),
    Column("cultures", False, "religion and culture to be respected, ';'-separated"),
    Column("communication", False, "bsl, makaton, esol or interpreter"),
    Column("adaptations", False, "adaptations the home must have"),
    Column("risks_to_child", False, "self_harm, sexual_exploitation, criminal_exploitation, "
           "drugs_alcohol, eating_disorder, missing"),
    Column("risks_to_others", False, "physical_harm, sexual_harm, fire_setting, "
           "harm_to_animals, criminal_exploitation_of_others"),
    Column("extra_support", False, "support the placement needs (shown to the worker)"),
)
TEXT = ("child", "sibling_group", "urgency", "sex", "ethnicity", "ethnic_group", *SUITABILITY,
        "live_alongside", "home_district", "school_district", *LISTS)
STORED = ["child", "sibling_group", "place_together", "referral_date", "urgency", "age",
          "sex", "ethnicity", "ethnic_group", "disability", "uasc", *SUITABILITY,
          "live_alongside", "pets_ok", "home_district", "home_easting", "home_northing",
          "school_district", "school_easting", "school_northing", "stay_at_school",
          "max_distance_km", *LISTS]


def vocabulary() -> dict:
    """``placements.referrals``: urgency, sexes, ethnicity groups, suitability, risks..."""
    return dict(params.value("placements.referrals"))


def _read(path: Path, limit: int) -> pd.DataFrame:
    """CSV/XLSX through :func:`tabular.read`; JSON as a list of objects, read as text."""
    if path.suffix.lower() != ".json":
        return tabular.read(path, max_bytes=limit)
    if not path.exists():
        raise InputError("file not found", file=path)
    if path.stat().st_size > limit:
        raise InputError(f"the file is over the {limit / 1e6:.0f} MB limit", file=path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"not valid JSON ({exc})", file=path) from None
    if isinstance(data, dict):
        data = data.get("referrals")
    if not isinstance(data, list) or not data or not all(isinstance(r, dict) for r in data):
        raise InputError("expected a list of referral objects (or {\"referrals\": [...]})",
                         file=path)
    frame = pd.DataFrame(data, dtype=object)
    frame = frame.map(_text)
    frame["_row"] = range(1, len(frame) + 1)  # JSON rows are counted from 1
    return frame


def _text(value: object) -> str | None:
    """A JSON value as the text a CSV cell would hold (lists joined with ';')."""
    if isinstance(value, list):
        return ";".join(map(str, value)) or None
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip() or None


def check(frame: pd.DataFrame, file: str) -> pd.DataFrame:
    """The rows typed and checked (ids still raw); raises on the first problem."""
    v = vocabulary()
    skills = register.vocabulary()["skills"]
    frame = rowcheck.header(frame, file, COLUMNS, "referral file")
    problems = Problems(file, frame["_row"], COLUMNS)
    if len(frame) > v["max_children"]:
        raise InputError(f"{len(frame)} rows: a referral file holds at most "
                         f"{v['max_children']}", file=file)
    out = pd.DataFrame(index=frame.index)
    ids = frame["child_id"]
    problems.add(ids.isna(), "child_id", lambda i: "a child_id is required")
    repeats, first = rowcheck.first_rows(ids, frame["_row"])
    problems.add(repeats, "child_id", lambda i: f"this child_id is also on row "
                 f"{first[ids.iloc[i]]}")
    out["child_id"], out["sibling_group_id"] = ids, frame["sibling_group"]
    day = pd.to_datetime(frame["referral_date"], format="ISO8601", errors="coerce")
    problems.add(frame["referral_date"].notna() & day.isna(), "referral_date",
                 lambda i: f"{frame['referral_date'].iloc[i]!r} is not a date (YYYY-MM-DD)")
    problems.add(frame["referral_date"].isna(), "referral_date", lambda i: "a value is required")
    out["referral_date"] = day.dt.date.where(day.notna(), None)
    out["urgency"] = rowcheck.choices(frame, "urgency", v["urgency"], problems)
    out["sex"] = rowcheck.choices(frame, "sex", v["sexes"], problems)
    age = rowcheck.integers(frame["age"], "age", problems, True)
    problems.add(age.astype(float) > 17, "age", lambda i: "ages run from 0 to 17")
    out["age"] = age
    codes = {c: g for g, cs in v["ethnicity_groups"].items() for c in cs}
    ethnic = frame["ethnicity"].map(lambda t: None if t is None else t.strip().upper())
    problems.add(ethnic.notna() & ~ethnic.isin(list(codes)), "ethnicity",
                 lambda i: f"{frame['ethnicity'].iloc[i]!r} is not an SSDA903 ethnicity code")
    out["ethnicity"] = ethnic.where(ethnic.isin(list(codes)))
    out["ethnic_group"] = out["ethnicity"].map(codes).fillna("Not known")
    for column, default in (("disability", False), ("uasc", False), ("place_together", True),
                            ("pets_ok", True), ("stay_at_school", False)):
        out[column] = rowcheck.yes_no(frame[column], column, problems).fillna(default).astype(
            bool)
    for column, default in zip(SUITABILITY, ("suitable", "unsuitable", "unsuitable"),
                               strict=True):
        out[column] = rowcheck.choices(frame, column, v["suitability"], problems,
                                       required=False).fillna(default)
    problems.add((out[list(SUITABILITY)] == "unsuitable").all(axis=1), "foster",
                 lambda i: "every type of home is unsuitable: mark at least one suitable")
    problems.add((out["supported"] != "unsuitable") & (age.astype(float) < 16)
                 & (out[["foster", "residential"]] == "unsuitable").all(axis=1), "supported",
                 lambda i: "supported accommodation is for 16 and 17 year olds only")
    out["live_alongside"] = rowcheck.choices(frame, "live_alongside", list(v["live_alongside"]),
                                             problems, required=False).fillna("any")
    for place in ("home", "school"):
        out[f"{place}_district"] = rowcheck.districts(frame[f"{place}_district"],
                                                      f"{place}_district", problems)
        for axis in ("easting", "northing"):
            out[f"{place}_{axis}"] = rowcheck.numbers(frame[f"{place}_{axis}"],
                                                      f"{place}_{axis}", problems)
        problems.add(out[f"{place}_easting"].isna() != out[f"{place}_northing"].isna(),
                     f"{place}_northing", lambda i: "give both easting and northing, or "
                     "neither")
    out["max_distance_km"] = rowcheck.numbers(frame["max_distance_km"], "max_distance_km",
                                              problems)
    for column in LISTS:
        allowed = {"needs": skills, "cultures": None}.get(column, v.get(column))
        out[column] = (_languages(frame[column]) if column == "languages" else
                       rowcheck.lists(frame[column], column, allowed, problems))
    _siblings(out, problems, v["max_sibling_group"])
    problems.raise_first()
    return out


def _languages(text: pd.Series) -> pd.Series:
    """Languages in the order given (the first is the child's first language)."""
    return rowcheck.choice(text).map(lambda t: None if not t else ";".join(
        dict.fromkeys(p.strip("_") for p in t.replace(",", ";").split(";") if p.strip("_")))
        or None)


def _siblings(out: pd.DataFrame, problems: Problems, largest: int) -> None:
    """Groups no larger than ``largest``, one plan (together or not) per group."""
    group = out["sibling_group_id"]
    sizes = group.map(group.value_counts())
    problems.add(sizes > largest, "sibling_group",
                 lambda i: f"a sibling group of {int(sizes.iloc[i])}: at most {largest}")
    together = out.groupby(group)["place_together"].transform("nunique")
    problems.add(group.notna() & (together > 1), "place_together",
                 lambda i: "place_together differs within this sibling group")
    out["place_together"] = out["place_together"] & group.notna()


@dataclass(frozen=True)
class Referrals:
    """Checked referrals with children and sibling groups pseudonymised (``STORED``)."""

    file: str
    rows: pd.DataFrame

    def summary(self) -> dict:
        r = self.rows
        return {"file": Path(self.file).name, "children": len(r),
                "sibling_groups": int(r["sibling_group"].nunique()),
                "urgent_today": int((r["urgency"] == "today").sum())}


def prepare(path: str | Path, ws: Workspace) -> Referrals:
    """Read, check and pseudonymise ``path``; touches nothing in the workspace."""
    path = Path(path)
    if path.suffix.lower() not in (".csv", ".xlsx", ".json"):
        raise InputError(f"unsupported file type {path.suffix or '(none)'!r}; use .csv, "
                         ".xlsx or .json", file=path)
    rows = check(_read(path, int(vocabulary()["max_file_mb"] * 1024 * 1024)), str(path))
    secret = workspace_secret(ws.root)
    rows["child"] = pseudonymise(rows["child_id"].astype(str), secret)
    groups = rows["sibling_group_id"]
    rows["sibling_group"] = pseudonymise(groups.astype(str), secret, kind="sibling_group"
                                         ).where(groups.notna(), None)
    return Referrals(str(path), rows[STORED].reset_index(drop=True))


def write(ws: Workspace, referrals: Referrals) -> None:
    """Replace the workspace's referrals and log the load, in one transaction."""
    rows = referrals.rows.astype({"age": "float64", **{c: "string" for c in TEXT}})
    info = referrals.summary()
    with ws.change() as con:
        con.register("_incoming", pa.Table.from_pandas(rows, preserve_index=False))
        con.execute(f'CREATE OR REPLACE TABLE "{TABLE}" AS SELECT * FROM _incoming')
        con.unregister("_incoming")
        con.execute(f"""CREATE TABLE IF NOT EXISTS "{LOG}" (
            loaded_at TIMESTAMP DEFAULT current_timestamp, source VARCHAR, rows INTEGER,
            detail VARCHAR)""")
        con.execute(f'INSERT INTO "{LOG}" (source, rows, detail) VALUES (?, ?, ?)',
                    [info["file"], info["children"], json.dumps(info)])


def load_file(path: str | Path, ws: Workspace) -> Referrals:
    """Read ``path`` and replace the workspace's referrals; all or nothing."""
    referrals = prepare(path, ws)
    write(ws, referrals)
    return referrals


def stored(ws: Workspace) -> pd.DataFrame | None:
    """The workspace's referrals (``STORED`` columns), or None when none are loaded."""
    if not ws.has_table(TABLE):
        return None
    rows = ws.query(f'SELECT * FROM "{TABLE}" ORDER BY referral_date, child')
    rows["age"] = rows["age"].astype(int)
    return rows


def loaded_on(ws: Workspace) -> np.datetime64 | None:
    """The day the referrals were last loaded (days waiting are counted to it by default)."""
    if not ws.has_table(LOG):
        return None
    at = ws.query(f'SELECT max(loaded_at) AS at FROM "{LOG}"')["at"].iloc[0]
    return None if pd.isna(at) else np.datetime64(pd.Timestamp(at).date())
