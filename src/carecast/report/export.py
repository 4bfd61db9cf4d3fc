"""The one table writer: every table carecast publishes leaves through here, as CSV, XLSX or
JSON, with its title, sources, licence line and the small-number rule applied.

CLI ``--csv``/``--xlsx``/``--json`` files, ``forecast --csv`` on stdout, the web app's
downloads, scenario workbooks and the report packs' tables all call :func:`render` (or
:func:`write_table`, which writes it atomically), so attribution and disclosure control
(:mod:`carecast.disclosure`) cannot differ by path:

- CSV (UTF-8 with a byte-order mark, so Excel reads "£" and "–"): a header block of ``# ``
  comment lines (title, each source, the licence, the suppression note), then the table;
  ``pandas.read_csv(path, comment="#")`` reads it back.
- XLSX: the table on a "Data" sheet (or one sheet per table) and the same lines on "About".
- JSON: ``{"title", "sources", "licence", "note", "columns", "rows"}``; hidden cells are the
  marker, as in the other formats.

Count columns (``count_columns``; by default every column whose name ends in ``_count``, is
``number``, ``count`` or ``children``, or starts with ``n_``) have hidden cells replaced by
the marker ("c"); zeros are kept. A frame that arrives already suppressed (a boolean
``suppressed`` column, from the record-level paths) shows its blanked numbers as the marker.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from carecast import OGL_ATTRIBUTION, disclosure

FORMATS = ("csv", "xlsx", "json")
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


def is_count_column(name: object) -> bool:
    """The default rule for which columns hold counts of children (and so are suppressed)."""
    text = str(name).lower()
    return (text.endswith("_count") or text in {"count", "number", "children"}
            or text.startswith("n_"))


def publishable(frame: pd.DataFrame, count_columns: Iterable[str] | None = None, *,
                within_columns: bool = False) -> pd.DataFrame:
    """A copy of ``frame`` as it may be published: hidden counts (and, in rows flagged
    ``suppressed``, the blanked numbers) shown as the marker."""
    columns = ([c for c in frame.columns if is_count_column(c)] if count_columns is None
               else [c for c in count_columns if c in frame])
    out = disclosure.mark(frame, columns, within_columns=within_columns)
    if "suppressed" in out and out["suppressed"].dtype == bool and out["suppressed"].any():
        marker = disclosure.rule().marker
        rows = out["suppressed"].to_numpy()
        for column in out.columns:
            if column == "suppressed" or not (pd.api.types.is_numeric_dtype(frame[column])
                                              or column in columns):
                continue
            blank = rows & pd.isna(frame[column]).to_numpy()
            if blank.any():
                out[column] = out[column].astype(object).where(~blank, marker)
    for column in columns:   # counts read as counts: 12, not 12.0
        out[column] = [int(v) if isinstance(v, float) and v.is_integer() else v
                       for v in out[column]]
    return out


def about_lines(title: str, sources: Iterable[str], licence: str | None = OGL_ATTRIBUTION
                ) -> list[str]:
    """Title, sources, the licence line (None for a council's own records) and the
    suppression note, de-duplicated, in the order they should appear."""
    lines = [title, *(f"Source: {s}" for s in sources if s and s != OGL_ATTRIBUTION)]
    if licence:
        lines.append(licence)
    lines.append(disclosure.rule().note)
    return list(dict.fromkeys(lines))


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def render(tables: pd.DataFrame | Mapping[str, pd.DataFrame], fmt: str, *, title: str,
           sources: Iterable[str], licence: str | None = OGL_ATTRIBUTION,
           count_columns: Iterable[str] | None = None, within_columns: bool = False,
           extra: Mapping[str, list[str]] | None = None) -> bytes:
    """One table (or several named ones: XLSX sheets, JSON keys; CSV takes one) as bytes.

    ``extra`` adds sheets of plain lines (e.g. a scenario's YAML) to XLSX and JSON.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unsupported format {fmt!r}; use {', '.join(FORMATS)}")
    named = {"Data": tables} if isinstance(tables, pd.DataFrame) else dict(tables)
    if fmt == "csv" and len(named) != 1:
        raise ValueError("a CSV file holds one table")
    ready = {name: publishable(t, count_columns, within_columns=within_columns)
             for name, t in named.items()}
    lines = about_lines(title, list(sources), licence)
    if fmt == "csv":
        buffer = io.StringIO()
        for line in lines:
            buffer.write(f"# {line}\n")
        next(iter(ready.values())).to_csv(buffer, index=False, lineterminator="\n")
        return buffer.getvalue().encode("utf-8-sig")
    if fmt == "json":
        payload: dict[str, Any] = {"title": title, "sources": [s for s in sources if s],
                                   "licence": licence, "note": lines[-1]}
        payload["tables"] = {name: {"columns": [str(c) for c in t.columns],
                                    "rows": [[_cell(v) for v in row]
                                             for row in t.itertuples(index=False)]}
                             for name, t in ready.items()}
        payload.update(extra or {})
        return (json.dumps(payload, indent=2, allow_nan=False) + "\n").encode("utf-8")
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, table in ready.items():
            table.to_excel(writer, sheet_name=name[:31], index=False)
        for name, rows in (extra or {}).items():
            pd.DataFrame({name: rows}).to_excel(writer, sheet_name=name[:31], index=False)
        pd.DataFrame({"About": lines}).to_excel(writer, sheet_name="About", index=False)
    return buffer.getvalue()


def write_bytes(body: bytes, path: str | Path) -> Path:
    """Write ``body`` to ``path`` atomically (a temporary file renamed over it), so a failed
    export never leaves half a file."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def format_of(path: str | Path) -> str:
    """The export format a file name asks for; ValueError for any other suffix."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ValueError(f"{path}: unsupported file type .{suffix}; use .csv, .xlsx or .json")
    return suffix


def write_table(tables: pd.DataFrame | Mapping[str, pd.DataFrame], path: str | Path, *,
                title: str, sources: Iterable[str], licence: str | None = OGL_ATTRIBUTION,
                count_columns: Iterable[str] | None = None,
                extra: Mapping[str, list[str]] | None = None) -> Path:
    """Write a table to ``path`` (.csv, .xlsx or .json by suffix) with attribution; returns
    the path. A bad suffix raises ValueError before anything is written."""
    fmt = format_of(path)
    return write_bytes(render(tables, fmt, title=title, sources=sources, licence=licence,
                              count_columns=count_columns, extra=extra), path)
