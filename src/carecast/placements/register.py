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
import re
from collections.abc import Callable
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

TABLE = "placements_supply"
LOG = "placements_supply_loads"
DISTRICT = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?$")
FULL_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][0-9A-Z]?) ?[0-9][A-Z]{2}$")
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    help: str


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
)
STORED = ["carer", "type", "group", "provider", "status", "approved_places", "occupied_places",
          "vacancies", "age_min", "age_max", "sibling_capacity", "skills",
          "postcode_district", "in_area", "weekly_cost_gbp", "approved_date"]


def vocabulary() -> dict:
    """``placements.register``: types (with their group), providers, statuses, skills."""
    return dict(params.value("placements.register"))


class _Problems:
    """Problems found while checking, each with its file row and column; the first is
    raised (with a count of the rest) so one message names one place to fix."""

    def __init__(self, file: str, rows: pd.Series) -> None:
        self.file, self.rows, self.found = file, rows.to_numpy(), []

    def add(self, bad: np.ndarray | pd.Series, column: str,
            message: Callable[[int], str]) -> None:
        flags = pd.Series(bad).fillna(False).to_numpy(bool)
        for i in np.flatnonzero(flags):
            self.found.append((int(self.rows[i]), column, message(int(i))))

    def raise_first(self) -> None:
        if not self.found:
            return
        row, column, message = min(self.found, key=lambda p: (p[0], _ORDER[p[1]]))
        more = len(self.found) - 1
        suffix = f" ({more} more problem{'s' * (more > 1)} in the file)" if more else ""
        raise InputError(message + suffix, file=self.file, row=row, column=column)


_ORDER = {c.name: i for i, c in enumerate(COLUMNS)}


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def _header(frame: pd.DataFrame, file: str) -> pd.DataFrame:
    """Headings matched case- and punctuation-insensitively; unknown or missing refused."""
    known = {c.name for c in COLUMNS}
    rename = {}
    for heading in frame.columns:
        if heading == "_row":
            continue
        key = _key(str(heading))
        if key not in known:
            raise InputError(f"unexpected column {heading!r}: the register holds only "
                             f"{', '.join(c.name for c in COLUMNS)} (names, addresses and "
                             "other personal details are not needed)",
                             file=file, row=1, column=str(heading))
        if key in rename.values():
            raise InputError(f"column {key!r} appears twice", file=file, row=1,
                             column=str(heading))
        rename[heading] = key
    frame = frame.rename(columns=rename)
    for column in COLUMNS:
        if column.required and column.name not in frame:
            raise InputError(f"missing column {column.name!r} ({column.help})", file=file,
                             row=1, column=column.name)
        if column.name not in frame:
            frame[column.name] = None
    return frame


def _district(text: str | None) -> str | None:
    """A postcode district as given, or cut from a full postcode (never kept whole)."""
    if text is None:
        return None
    text = " ".join(text.upper().split())
    full = FULL_POSTCODE.match(text)
    return full.group(1) if full else text


def _choice(text: pd.Series) -> pd.Series:
    return text.map(lambda v: None if v is None else re.sub(r"[\s-]+", "_", v.strip().lower()))


def _integers(text: pd.Series, column: str, problems: _Problems, required: bool
              ) -> pd.Series:
    number = pd.to_numeric(text, errors="coerce")
    missing = text.isna().to_numpy()
    bad = ~missing & (number.isna() | (number % 1 != 0) | (number < 0)).to_numpy()
    problems.add(bad, column, lambda i: f"{text.iloc[i]!r} is not a whole number of 0 or more")
    if required:
        problems.add(missing, column, lambda i: "a value is required")
    return number.where(~bad).astype("Float64")


def check(frame: pd.DataFrame, file: str) -> pd.DataFrame:
    """The rows typed and checked (carer ids still raw); raises on the first problem."""
    v = vocabulary()
    frame = _header(frame, file)
    problems = _Problems(file, frame["_row"])
    out = pd.DataFrame(index=frame.index)
    ids = frame["carer_id"]
    problems.add(ids.isna(), "carer_id", lambda i: "a carer_id is required")
    first = {}
    repeats = np.zeros(len(ids), bool)
    for i, value in enumerate(ids):
        if value is not None:
            if value in first:
                repeats[i] = True
            first.setdefault(value, int(frame["_row"].iloc[i]))
    problems.add(repeats, "carer_id",
                 lambda i: f"this carer_id is also on row {first[ids.iloc[i]]}")
    out["carer_id"] = ids
    for column, allowed in (("type", v["types"]), ("provider", v["providers"]),
                            ("status", v["statuses"])):
        value = _choice(frame[column])
        bad = value.notna() & ~value.isin(list(allowed))
        problems.add(bad, column, lambda i, c=column, a=allowed: (
            f"{frame[c].iloc[i]!r} is not one of {', '.join(a)}"))
        problems.add(value.isna(), column, lambda i: "a value is required")
        out[column] = value.where(~bad)
    for column in ("approved_places", "occupied_places", "vacancies", "age_min", "age_max",
                   "sibling_capacity"):
        out[column] = _integers(frame[column], column, problems, column != "sibling_capacity")
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
    skills = frame["skills"].map(lambda t: None if t is None else [
        _key(s) for s in re.split(r"[;,]", t) if s.strip()])
    unknown = skills.map(lambda s: [x for x in (s or []) if x not in v["skills"]])
    problems.add(unknown.map(bool), "skills", lambda i: (
        f"unknown skill {unknown.iloc[i][0]!r}; known: {', '.join(v['skills'])}"))
    out["skills"] = skills.map(lambda s: None if not s else ";".join(sorted(set(s))))
    raw = frame["postcode_district"]
    district = raw.map(_district)
    bad = raw.notna() & ~district.fillna("").str.match(DISTRICT)
    problems.add(bad, "postcode_district",
                 lambda i: f"{raw.iloc[i]!r} is not a postcode district such as NR1")
    problems.add(raw.isna(), "postcode_district", lambda i: "a value is required")
    out["postcode_district"] = district.where(~bad)
    flag = frame["in_area"].map(lambda t: None if t is None else t.strip().lower())
    bad = flag.notna() & ~flag.isin(YES | NO)
    problems.add(bad, "in_area", lambda i: f"{frame['in_area'].iloc[i]!r} is not yes or no")
    out["in_area"] = flag.map(lambda t: None if t is None or t not in YES | NO else t in YES)
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
    rows = register.rows.astype({c: "float64" for c in (
        "approved_places", "occupied_places", "vacancies", "age_min", "age_max",
        "sibling_capacity")})
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
    """The workspace's register (``STORED`` columns), or None when none is loaded."""
    if not ws.has_table(TABLE):
        return None
    return ws.query(f'SELECT * FROM "{TABLE}" ORDER BY carer')
