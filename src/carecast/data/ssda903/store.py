"""Put ingested SSDA903 records into the workspace, atomically, and read them back.

Tables (replaced as a whole on each ingest, in one transaction, so a failed or interrupted
ingest leaves the previous state intact):

- ``ssda903_header``: child (pseudonym), sex (M/F/U), dob, ethnic, mother, return_year.
- ``ssda903_episodes``: see :func:`load_episodes`.
- ``ssda903_periods``: see :func:`load_periods`.
- ``ssda903_uasc``: child, duc.
- ``ssda903_returns``: one row per return read (collection year, format, table row counts).
- ``ssda903_ingests``: a log (when, folder name, file names, row counts); never an identifier.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from carecast.data.errors import InputError
from carecast.data.ssda903 import episodes as episodes_mod
from carecast.data.ssda903.pseudonymise import workspace_secret
from carecast.data.ssda903.reader import Return, read_folder
from carecast.data.workspace import Workspace

EPISODE_COLUMNS = [
    "child",
    "period",
    "decom",
    "dec",
    "rne",
    "ls",
    "cin",
    "place",
    "place_provider",
    "rec",
    "reason_place_change",
    "category",
    "category_broad",
    "dob",
    "age_at_start",
    "duration_days",
    "open",
    "repair",
    "home_district",
    "pl_district",
    "urn",
    "return_year",
]
CHANGE = "SSDA903 ingest"
PERIOD_COLUMNS = [
    "child",
    "period",
    "start",
    "end",
    "rec",
    "episodes",
    "age_at_start",
    "age_at_end",
    "duration_days",
    "first_category",
    "last_category",
    "ls_at_start",
    "cin",
]


@dataclass
class IngestResult:
    returns: list[Return]
    records: episodes_mod.Records

    def summary(self) -> dict:
        return {
            "returns": [
                {
                    "collection_year": f"{r.year - 1}-{str(r.year)[2:]}",
                    "format": r.fmt,
                    "files": [p.name for p in r.files],
                    "ignored": r.ignored,
                    "rows": {name: len(frame) for name, frame in r.tables.items()},
                }
                for r in self.returns
            ],
            "children": int(self.records.header["child"].nunique()),
            "episodes": len(self.records.episodes),
            "periods": len(self.records.periods),
            "repaired_episodes": int(self.records.episodes["repair"].notna().sum()),
            "open_episodes": int(self.records.episodes["open"].sum()),
        }


def refuse_blocking(returns: list[Return]) -> None:
    """Raise on the first blocking problem, naming file, row and column (never a child)."""
    issues = episodes_mod.blocking_issues(returns)
    if issues.empty:
        return
    first = issues.iloc[0]
    more = (
        f" ({len(issues) - 1} more blocking problems: run 'carecast ssda903 validate')"
        if (len(issues) > 1)
        else ""
    )
    raise InputError(
        f"{first['message']}{more}",
        file=first["file"],
        row=int(first["row"]),
        column=first["column"],
    )


def prepare(folder: str | Path, ws: Workspace, *, max_bytes: int | None = None) -> IngestResult:
    """Read, check and build everything in memory; touches nothing in the workspace."""
    returns = read_folder(folder, max_bytes=max_bytes)
    refuse_blocking(returns)
    for ret in returns:
        if not ret.year:
            raise InputError("return has no episodes", file=str(ret.table_files["Episodes"]))
    records = episodes_mod.build(returns, workspace_secret(ws.root))
    return IngestResult(returns=returns, records=records)


def write(ws: Workspace, result: IngestResult, source: str) -> None:
    """Replace the workspace's record-level tables in one change (all or nothing)."""
    with ws.change(CHANGE) as con:
        _write(con, result, source)


def _write(con: duckdb.DuckDBPyConnection, result: IngestResult, source: str) -> None:
    recs = result.records
    summary = result.summary()
    returns = pd.DataFrame(
        [
            {
                "collection_year": r["collection_year"],
                "format": r["format"],
                "files": json.dumps(r["files"]),
                "rows": json.dumps(r["rows"]),
            }
            for r in summary["returns"]
        ]
    )
    log = pd.DataFrame(
        [
            {
                "ingested_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
                "source": source,
                "returns": len(result.returns),
                "children": summary["children"],
                "episodes": summary["episodes"],
                "periods": summary["periods"],
                "detail": json.dumps(summary),
            }
        ]
    )
    frames = {
        "ssda903_header": recs.header,
        "ssda903_episodes": recs.episodes[EPISODE_COLUMNS],
        "ssda903_periods": recs.periods[PERIOD_COLUMNS],
        "ssda903_uasc": recs.uasc,
        "ssda903_returns": returns,
    }
    for name, frame in frames.items():
        # Arrow converts object columns faster than DuckDB's pandas scan.
        con.register("_incoming", pa.Table.from_pandas(frame, preserve_index=False))
        con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM _incoming')
        con.unregister("_incoming")
    con.register("_incoming", log)
    con.execute(
        "CREATE TABLE IF NOT EXISTS ssda903_ingests AS SELECT * FROM _incoming WHERE false"
    )
    con.execute("INSERT INTO ssda903_ingests SELECT * FROM _incoming")
    con.unregister("_incoming")


def ingest(folder: str | Path, ws: Workspace, *, max_bytes: int | None = None) -> IngestResult:
    """Read ``folder`` and replace the workspace's SSDA903 records; all or nothing.

    The writer lock is taken first, so a second writer hears at once that the workspace is
    busy (not after reading its files); readers see the previous records until the end.
    """
    with ws.change(CHANGE) as con:
        result = prepare(folder, ws, max_bytes=max_bytes)
        _write(con, result, Path(folder).name)
    return result


def _load(ws: Workspace, table: str) -> pd.DataFrame:
    if not ws.has_table(table):
        raise InputError("no SSDA903 data in this workspace: run 'carecast ssda903 ingest DIR'")
    return ws.query(f'SELECT * FROM "{table}" ORDER BY ALL')


def load_episodes(ws: Workspace) -> pd.DataFrame:
    """Every ingested episode, one row per (child, DECOM), ordered by child and DECOM.

    Columns: child (pseudonym), period (``<child>-<n>``), decom, dec (NaT if open), rne, ls,
    cin, place, place_provider, rec, reason_place_change, category (detailed placement
    category, see ``placements.categories``), category_broad (fostering, residential,
    supported, other), dob, age_at_start (years, fractional), duration_days, open (bool),
    repair (text when an overlap or open episode was closed at the next DECOM),
    home_district, pl_district (postcode districts), urn, return_year.
    """
    return _load(ws, "ssda903_episodes").sort_values(["child", "decom"], ignore_index=True)


def load_periods(ws: Workspace) -> pd.DataFrame:
    """Periods of care: child, period, start, end (NaT if open), rec (reason ceased), episodes,
    age_at_start, age_at_end, duration_days, first_category, last_category, ls_at_start, cin.
    """
    return _load(ws, "ssda903_periods").sort_values(["child", "start"], ignore_index=True)


def load_header(ws: Workspace) -> pd.DataFrame:
    return _load(ws, "ssda903_header")
