"""Read a user's table (CSV or XLSX) as text, with each row's line in the file, refusing
unreadable files with the file, row and column, so every record-level input reads alike."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pandas as pd

from carecast.data.errors import InputError
from carecast.data.releases import read_csv_strict

SUFFIXES = (".csv", ".xlsx")


def _text(value: object) -> str | None:
    """A spreadsheet cell as the text a CSV would hold (whole numbers without '.0')."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def _read_xlsx(path: Path) -> pd.DataFrame:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputError(f"not a readable XLSX workbook ({exc.__class__.__name__})",
                         file=path) from None
    try:
        sheet = book.worksheets[0]
        rows = [[_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()
    if not rows or not any(rows[0]):
        raise InputError("no header row on the first sheet", file=path, row=1)
    header = [h or "" for h in rows[0]]
    while header and not header[-1]:
        header.pop()
    width = len(header)
    body = []
    for number, row in enumerate(rows[1:], start=2):
        cells = (list(row) + [None] * width)[:width]
        extra = [v for v in row[width:] if v is not None]
        if extra:
            raise InputError(f"a value beyond the last heading ({extra[0]!r})", file=path,
                             row=number, column=None)
        if any(c is not None for c in cells):
            body.append([*cells, number])
    if not body:
        raise InputError("the sheet has a header but no data rows", file=path, row=2)
    return pd.DataFrame(body, columns=[*header, "_row"], dtype=object)


def read(path: str | Path, *, max_bytes: int) -> pd.DataFrame:
    """The file's rows as text (missing cells None), headings stripped, plus ``_row``: the
    line a user sees in a text editor or spreadsheet (the header is row 1)."""
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise InputError(f"unsupported file type {path.suffix or '(none)'!r}; use .csv or .xlsx",
                         file=path)
    if not path.exists():
        raise InputError("file not found", file=path)
    if path.stat().st_size > max_bytes:
        raise InputError(f"the file is {path.stat().st_size / 1e6:.1f} MB, over the "
                         f"{max_bytes / 1e6:.0f} MB limit", file=path)
    if path.suffix.lower() == ".xlsx":
        return _read_xlsx(path)
    frame = read_csv_strict(path, max_bytes=max_bytes).astype(object)
    frame = frame.apply(lambda col: col.str.strip() if col.dtype == object else col)
    frame = frame.where(frame.notna() & (frame != ""), None)
    frame["_row"] = range(2, len(frame) + 2)
    return frame
