"""The placement supply register: one row per foster household or children's home.

A council keeps it in a spreadsheet or exports it from its fostering system; carecast reads
CSV or XLSX (first sheet), checks every row, replaces carer identifiers by keyed pseudonyms
(the workspace secret, as for children: :mod:`carecast.data.ssda903.pseudonymise`) and
stores the result in one transaction, all or nothing. The format is documented column by
column in docs/placements.md; vocabularies are ``placements.register``. Columns outside the
format are refused, so names, addresses or other personal details never reach the
workspace by accident. ``carer`` (the pseudonym) is the key later work (matching children
to carers) joins referrals to.

Tables: ``placements_supply`` (replaced on each load) and ``placements_supply_loads`` (a
log: when, file name, rows, households, homes, places; never an identifier).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa

from carecast import params
from carecast.data import tabular
from carecast.data.ssda903.pseudonymise import pseudonymise, workspace_secret
from carecast.data.workspace import Workspace
from carecast.placements import rowcheck
from carecast.placements.rowcheck import Column, Problems

TABLE = "placements_supply"
LOG = "placements_supply_loads"

COLUMNS = (
    Column("carer_id", True, "the council's identifier of the household or home "
           "(pseudonymised on load)"),
    Column("type", True, "foster, kinship, childrens_home, secure_childrens_home "
           "or supported_accommodation"),
    Column("provider", True, "in_house or agency"),
    Column("status", True, "active, on_hold, in_assessment or closed"),
    Column("approved_places", True, "children the household or home is approved "
           "or registered for"),
    Column("occupied_places", True, "places filled by looked-after children today"),
    Column("vacancies", True, "empty places available to take a child now"),
    Column("age_min", True, "youngest age approved for (0-17)"),
    Column("age_max", True, "oldest age approved for (0-17)"),
    Column("postcode_district", True, "outward code of the home, e.g. NR1 (a "
           "full postcode is cut to its district)"),
    Column("sibling_capacity", False, "largest sibling group taken together"),
    Column("skills", False, "skills and specialisms, separated by ';'"),
    Column("in_area", False, "yes if the home is inside the council's boundary"),
    Column("weekly_cost_gbp", False, "weekly cost of a place (allowance and fee, or "
           "agency price)"),
    Column("approved_date", False, "date of approval or registration (YYYY-MM-DD)"),
    Column("easting", False, "British National Grid easting of the home in metres "
           "(else the postcode district's centroid is used)"),
    Column("northing", False, "British National Grid northing in metres"),
    Column("pets", False, "yes if there are pets in the home"),
    Column("children_ages", False, "ages of the children already living in the home "
           "(looked-after and the carers' own), separated by ';'"),
    Column("languages", False, "languages spoken in the home, separated by ';'"),
    Column("cultures", False, "religions and cultures of the household, separated by ';'"),
    Column("risk_trained", False, "risks the household is approved or trained to manage "
           "(the referral vocabulary), separated by ';'"),
    Column("adaptations", False, "adaptations of the home (wheelchair_access, "
           "ground_floor_bedroom, ...), separated by ';'"),
    Column("placements_held", False, "children placed with the household or home so far"),
    Column("unplanned_endings", False, "of those, placements that ended unplanned"),
)
STORED = ["carer", "type", "group", "provider", "status", "approved_places", "occupied_places",
          "vacancies", "age_min", "age_max", "sibling_capacity", "skills",
          "postcode_district", "in_area", "weekly_cost_gbp", "approved_date", "easting",
          "northing", "pets", "children_ages", "languages", "cultures", "risk_trained",
          "adaptations", "placements_held", "unplanned_endings"]
COUNTS = ("approved_places", "occupied_places", "vacancies", "age_min", "age_max",
          "sibling_capacity", "placements_held", "unplanned_endings")


def vocabulary() -> dict:
    """``placements.register``: types (with their group), providers, statuses, skills."""
    return dict(params.value("placements.register"))


def risks() -> list[str]:
    """Every risk a household may be trained for (the referral vocabulary's risks)."""
    v = params.value("placements.referrals")
    return [*v["risks_to_child"], *v["risks_to_others"]]


def check(frame: pd.DataFrame, file: str) -> pd.DataFrame:
    """The rows typed and checked (carer ids still raw); raises on the first problem."""
    v = vocabulary()
    frame = rowcheck.header(frame, file, COLUMNS, "register")
    problems = Problems(file, frame["_row"], COLUMNS)
    out = pd.DataFrame(index=frame.index)
    ids = frame["carer_id"]
    problems.add(ids.isna(), "carer_id", lambda i: "a carer_id is required")
    repeats, first = rowcheck.first_rows(ids, frame["_row"])
    problems.add(repeats, "carer_id",
                 lambda i: f"this carer_id is also on row {first[ids.iloc[i]]}")
    out["carer_id"] = ids
    for column, allowed in (("type", v["types"]), ("provider", v["providers"]),
                            ("status", v["statuses"])):
        out[column] = rowcheck.choices(frame, column, list(allowed), problems)
    for column in COUNTS:
        out[column] = rowcheck.integers(frame[column], column, problems,
                                        column in {c.name for c in COLUMNS if c.required})
    places, occupied, vacant = (out[c].astype(float) for c in
                                ("approved_places", "occupied_places", "vacancies"))
    problems.add(places > v["max_places"], "approved_places",
                 lambda i: f"more than {v['max_places']} places on one row")
    problems.add((out["status"] == "active") & (places == 0), "approved_places",
                 lambda i: "an active household or home needs at least 1 approved place")
    problems.add(occupied > places, "occupied_places",
                 lambda i: f"{int(occupied.iloc[i])} occupied of {int(places.iloc[i])} "
                 "approved places")
    problems.add((occupied <= places) & (occupied + vacant > places), "vacancies",
                 lambda i: f"{int(occupied.iloc[i])} occupied and {int(vacant.iloc[i])} "
                 f"vacant places exceed the {int(places.iloc[i])} approved")
    lo, hi = out["age_min"].astype(float), out["age_max"].astype(float)
    problems.add(lo > 17, "age_min", lambda i: "ages run from 0 to 17 (children in care)")
    problems.add(hi > 17, "age_max", lambda i: "ages run from 0 to 17 (children in care)")
    problems.add((lo <= 17) & (hi <= 17) & (hi < lo), "age_max",
                 lambda i: f"age_max {int(hi.iloc[i])} is below age_min {int(lo.iloc[i])}")
    minimum = out["type"].map({t: s.get("min_age", 0) for t, s in v["types"].items()})
    problems.add(lo < minimum, "age_min", lambda i: f"{out['type'].iloc[i]} is for children "
                 f"aged {int(minimum.iloc[i])} and over")
    siblings = out["sibling_capacity"].astype(float)
    problems.add((siblings < 1) | (siblings > places), "sibling_capacity",
                 lambda i: "sibling_capacity must be from 1 to the approved places")
    for column, allowed in (("skills", v["skills"]), ("risk_trained", risks()),
                            ("adaptations", params.value("placements.referrals")[
                                "adaptations"]), ("languages", None), ("cultures", None)):
        out[column] = rowcheck.lists(frame[column], column, allowed, problems)
    out["postcode_district"] = rowcheck.districts(frame["postcode_district"],
                                                  "postcode_district", problems)
    problems.add(frame["postcode_district"].isna(), "postcode_district",
                 lambda i: "a value is required")
    for column in ("in_area", "pets"):
        out[column] = rowcheck.yes_no(frame[column], column, problems).astype(object).where(
            lambda s: s.notna(), None)
    for column in ("easting", "northing"):
        out[column] = rowcheck.numbers(frame[column], column, problems)
    problems.add(out["easting"].isna() != out["northing"].isna(), "northing",
                 lambda i: "give both easting and northing, or neither")
    ages = frame["children_ages"].map(lambda t: None if t is None else [
        a.strip() for a in t.replace(",", ";").split(";") if a.strip()])
    problems.add(ages.map(lambda a: bool(a) and not all(x.isdigit() and int(x) <= 25
                                                         for x in a)), "children_ages",
                 lambda i: f"{frame['children_ages'].iloc[i]!r} is not ages separated by ';'")
    out["children_ages"] = ages.map(lambda a: ";".join(sorted(a, key=int)) if a and all(
        x.isdigit() for x in a) else None)
    held, ended = (out[c].astype(float) for c in ("placements_held", "unplanned_endings"))
    problems.add(ended > held, "unplanned_endings",
                 lambda i: "more unplanned endings than placements held")
    cost = frame["weekly_cost_gbp"].map(
        lambda t: None if t is None else t.replace("£", "").replace(",", "").strip())
    amount = pd.to_numeric(cost, errors="coerce")
    bad = cost.notna() & (amount.isna() | (amount < 0))
    problems.add(bad, "weekly_cost_gbp",
                 lambda i: f"{frame['weekly_cost_gbp'].iloc[i]!r} is not an amount in GBP")
    out["weekly_cost_gbp"] = amount.where(~bad)
    text = frame["approved_date"]
    day = pd.to_datetime(text, format="ISO8601", errors="coerce")
    day = day.fillna(pd.to_datetime(text, format="%d/%m/%Y", errors="coerce"))
    bad = text.notna() & day.isna()
    problems.add(bad, "approved_date",
                 lambda i: f"{text.iloc[i]!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)")
    out["approved_date"] = day.dt.date.where(day.notna(), None)
    problems.raise_first()
    out["group"] = out["type"].map({t: s["group"] for t, s in v["types"].items()})
    return out


@dataclass(frozen=True)
class Register:
    """A checked register with carers pseudonymised (columns ``STORED``)."""

    file: str
    rows: pd.DataFrame

    def summary(self) -> dict:
        r = self.rows
        active = r[r["status"] == "active"]
        return {
            "file": Path(self.file).name,
            "rows": len(r),
            "foster_households": int((r["group"] == "fostering").sum()),
            "homes": int((r["group"] != "fostering").sum()),
            "active": len(active),
            "approved_places": int(active["approved_places"].sum()),
            "occupied_places": int(active["occupied_places"].sum()),
            "vacancies": int(active["vacancies"].sum()),
        }


def prepare(path: str | Path, ws: Workspace) -> Register:
    """Read, check and pseudonymise ``path``; touches nothing in the workspace."""
    limit = int(vocabulary()["max_file_mb"] * 1024 * 1024)
    frame = tabular.read(path, max_bytes=limit)
    rows = check(frame, str(path))
    rows["carer"] = pseudonymise(rows["carer_id"].astype(str), workspace_secret(ws.root),
                                 kind="carer")
    return Register(str(path), rows[STORED].reset_index(drop=True))


def write(ws: Workspace, register: Register) -> None:
    """Replace the workspace's register and log the load, in one transaction (the log's
    time is the database's, so nothing here reads the clock)."""
    rows = register.rows.astype({c: "float64" for c in COUNTS})
    info = register.summary()
    with ws.change() as con:
        con.register("_incoming", pa.Table.from_pandas(rows, preserve_index=False))
        con.execute(f'CREATE OR REPLACE TABLE "{TABLE}" AS SELECT * FROM _incoming')
        con.unregister("_incoming")
        con.execute(f"""CREATE TABLE IF NOT EXISTS "{LOG}" (
            loaded_at TIMESTAMP DEFAULT current_timestamp, source VARCHAR, rows INTEGER,
            detail VARCHAR)""")
        con.execute(f'INSERT INTO "{LOG}" (source, rows, detail) VALUES (?, ?, ?)',
                    [info["file"], info["rows"], json.dumps(info)])


def load_file(path: str | Path, ws: Workspace) -> Register:
    """Read ``path`` and replace the workspace's register; all or nothing."""
    register = prepare(path, ws)
    write(ws, register)
    return register


def stored(ws: Workspace) -> pd.DataFrame | None:
    """The workspace's register (``STORED`` columns; columns added to the format since it
    was loaded are empty), or None when none is loaded."""
    if not ws.has_table(TABLE):
        return None
    return ws.query(f'SELECT * FROM "{TABLE}" ORDER BY carer').reindex(columns=STORED)
