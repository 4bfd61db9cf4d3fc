"""Write any table to CSV or Excel with its sources, the OGL line and small-count suppression.

Every table carecast publishes (CLI ``--csv``/``--xlsx``, web downloads) goes through
:func:`write_table`, so attribution and disclosure control are applied in one place:

- CSV: a header block of ``# `` comment lines (title, each source, the licence line), then the
  table. ``pandas.read_csv(path, comment="#")`` reads it back.
- XLSX: the table on a "Data" sheet and the title, sources and licence on an "About" sheet.
- Count columns (``count_columns``; by default every column whose name ends in ``_count``, is
  ``number`` or ``count``, or starts with ``n_``) have values from 1 to 4 replaced by
  ``SUPPRESSED`` ("<5"), the DfE convention for small numbers. Zero is kept, as DfE publishes it.

This module is a leaf: it imports only pandas, openpyxl and ``carecast.OGL_ATTRIBUTION``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from carecast import OGL_ATTRIBUTION

SUPPRESSED = "<5"
SUPPRESS_BELOW = 5
FORMATS = (".csv", ".xlsx")


def is_count_column(name: object) -> bool:
    """The default rule for which columns hold counts of children (and so are suppressed)."""
    text = str(name).lower()
    return text.endswith("_count") or text in {"count", "number"} or text.startswith("n_")


def suppress_counts(
    frame: pd.DataFrame, count_columns: Iterable[str] | None = None
) -> pd.DataFrame:
    """A copy of ``frame`` with counts 1-4 in the count columns shown as ``<5``."""
    columns = (
        [c for c in frame.columns if is_count_column(c)]
        if count_columns is None
        else list(count_columns)
    )
    out = frame.copy()
    for column in columns:
        if column not in out:
            continue
        numbers = pd.to_numeric(out[column], errors="coerce")
        small = numbers.notna() & (numbers > 0) & (numbers < SUPPRESS_BELOW)
        if small.any():
            out[column] = out[column].astype(object).where(~small, SUPPRESSED)
    return out


def about_lines(title: str, sources: Iterable[str]) -> list[str]:
    """Title, sources and the licence line, de-duplicated, in the order they should appear."""
    lines = [title, *(f"Source: {s}" for s in sources if s and s != OGL_ATTRIBUTION)]
    lines.append(OGL_ATTRIBUTION)
    lines.append(f"Counts from 1 to {SUPPRESS_BELOW - 1} are shown as {SUPPRESSED}.")
    return list(dict.fromkeys(lines))


def write_table(
    frame: pd.DataFrame,
    path: str | Path,
    *,
    title: str,
    sources: Iterable[str],
    count_columns: Iterable[str] | None = None,
) -> Path:
    """Write ``frame`` to ``path`` (.csv or .xlsx by suffix) with attribution; returns the path.

    Raises ValueError for any other suffix, before anything is written.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"{target}: unsupported file type {suffix!r}; use .csv or .xlsx")
    table = suppress_counts(frame, count_columns)
    lines = about_lines(title, list(sources))
    target.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        with target.open("w", encoding="utf-8", newline="") as handle:
            for line in lines:
                handle.write(f"# {line}\n")
            table.to_csv(handle, index=False)
    else:
        with pd.ExcelWriter(target, engine="openpyxl") as writer:
            table.to_excel(writer, sheet_name="Data", index=False)
            pd.DataFrame({"About": lines}).to_excel(writer, sheet_name="About", index=False)
    return target
