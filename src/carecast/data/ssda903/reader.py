"""Read a folder of SSDA903 annual returns (CSV or XML) into raw tables, refusing bad files.

Files are named freely: a CSV's table is recognised by its exact column set, as DfE's
validator does. Files are grouped into returns by sub-folder and by any four-digit year in
the file name (``2019-episodes.csv`` and ``2019-header.csv`` are one return); each return's
collection year is read from its dates, not its name. Every refusal is an
:class:`~carecast.data.errors.InputError` naming file, row and column, never a child id.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from pyarrow import csv as pa_csv

from carecast import params
from carecast.data.errors import InputError

# Exact column sets (DfE 903 guide; csc-validator-be-903 config.column_names).
TABLES: dict[str, tuple[str, ...]] = {
    "Header": ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"),
    "Episodes": (
        "CHILD",
        "DECOM",
        "RNE",
        "LS",
        "CIN",
        "PLACE",
        "PLACE_PROVIDER",
        "DEC",
        "REC",
        "REASON_PLACE_CHANGE",
        "HOME_POST",
        "PL_POST",
        "URN",
    ),
    "UASC": ("CHILD", "SEX", "DOB", "DUC"),
    "Reviews": ("CHILD", "DOB", "REVIEW", "REVIEW_CODE"),
    "Missing": ("CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"),
    "OC2": (
        "CHILD",
        "DOB",
        "SDQ_SCORE",
        "SDQ_REASON",
        "CONVICTED",
        "HEALTH_CHECK",
        "IMMUNISATIONS",
        "TEETH_CHECK",
        "HEALTH_ASSESSMENT",
        "SUBSTANCE_MISUSE",
        "INTERVENTION_RECEIVED",
        "INTERVENTION_OFFERED",
    ),
    "OC3": ("CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"),
    "AD1": (
        "CHILD",
        "DOB",
        "DATE_INT",
        "DATE_MATCH",
        "FOSTER_CARE",
        "NB_ADOPTR",
        "SEX_ADOPTR",
        "LS_ADOPTR",
    ),
    "PlacedAdoption": (
        "CHILD",
        "DOB",
        "DATE_PLACED",
        "DATE_PLACED_CEASED",
        "REASON_PLACED_CEASED",
    ),
    "PrevPerm": ("CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM"),
    "SWEpisodes": ("CHILD", "DOB", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON"),
    "DoLo": ("CHILD", "DOB", "DOLO_START", "DOLO_END"),
}
# Episodes before 2021-22 had no URN column.
_OLD_EPISODES = TABLES["Episodes"][:-1]
CORE = ("Header", "Episodes", "UASC")
XML_RENAME = {"CHILDID": "CHILD", "PL": "PLACE"}
_SPACES = re.compile(r"[ \t]*,[ \t]*")
_TRAILING = re.compile(r"[ \t]+\n")
_LEADING = re.compile(r"\n +")  # as skipinitialspace: spaces only
_YEAR_TOKEN = re.compile(r"(?<!\d)(20\d\d|19\d\d)(?!\d)")


@dataclass
class Return:
    """One annual return: its files and tables (strings, with ``_file``, the file's path
    relative to the folder read, and ``_row``)."""

    key: str
    files: list[Path] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    table_files: dict[str, Path] = field(default_factory=dict)  # as shown to users
    paths: dict[str, Path] = field(default_factory=dict)  # to open
    ignored: list[str] = field(default_factory=list)
    year: int = 0  # collection year, named by the year it ends (31 March)
    fmt: str = "csv"
    _dates: dict[tuple[str, str], pd.Series] = field(default_factory=dict, repr=False)

    def dates(self, table: str, column: str) -> pd.Series:
        """``table[column]`` parsed by :func:`parse_dates`, once: checks and build share it."""
        key = (table, column)
        if key not in self._dates:
            self._dates[key] = parse_dates(self.tables[table][column])
        return self._dates[key]


def _rules() -> dict:
    return params.value("ssda903.ingest_rules")


NAMES = frozenset(c for columns in TABLES.values() for c in columns)
"""Every SSDA903 column name: the only cell text a message may quote. Any other cell of a
first row may be a child's data (a file without its header row starts with a record)."""


def _cell(cells: list[str], index: int) -> str | int:
    """A first-row cell as a message may name it: the name itself when it is an SSDA903
    column name, else its 1-based position (never the text)."""
    name = cells[index].strip().upper() if index < len(cells) else ""
    return name if name in NAMES else index + 1


def identify(columns: list[str], file: Path) -> str:
    """The table a CSV header names, or an error naming the first wrong column (by name
    when it is a 903 column name, else by position: the text is never quoted)."""
    found = set(columns)
    for name, expected in TABLES.items():
        if found == set(expected) or (name == "Episodes" and found == set(_OLD_EPISODES)):
            return name
    if not found & NAMES:
        raise InputError(
            f"the first row holds no SSDA903 column names: the header row may be missing "
            f"(an Episodes file starts {','.join(TABLES['Episodes'][:3])},...)",
            file=file, row=1,
        )
    best = max(TABLES, key=lambda n: len(found & set(TABLES[n])) - len(found ^ set(TABLES[n])))
    missing = [c for c in TABLES[best] if c not in found and c != "URN"]
    extra = [i for i, c in enumerate(columns) if c not in TABLES[best]]
    unknown = [i for i in extra if isinstance(_cell(columns, i), int)]
    detail = []
    if missing:
        detail.append(f"missing {', '.join(missing)}")
    for index in extra:
        cell = _cell(columns, index)
        if isinstance(cell, str):
            detail.append(f"{cell} is not a {best} column")
            continue
        near = (missing if len(missing) == len(unknown) == 1
                else difflib.get_close_matches(columns[index], missing or TABLES[best], n=1))
        hint = f" (perhaps {near[0]})" if near else ""
        detail.append(f"column {cell} is not an SSDA903 column name{hint}")
    column = _cell(columns, extra[0]) if extra else (missing or [None])[0]
    raise InputError(
        f"columns do not match any SSDA903 table (closest: {best}; {'; '.join(detail)})",
        file=file,
        row=1,
        column=column,
    )


def _decode(raw: bytes, file: Path) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        row = raw.count(b"\n", 0, exc.start) + 1
        header = raw.split(b"\n", 1)[0].decode("utf-8-sig", "replace").split(",")
        index = raw.count(b",", line_start, exc.start)
        raise InputError(
            f"byte 0x{raw[exc.start]:02x} is not UTF-8 text; save the file as UTF-8 CSV",
            file=file,
            row=row,
            column=_cell(header, index),
        ) from None


def _short_or_long(width: int, count: int, columns: list[str], path: Path, line: int) -> None:
    if count == width:
        return
    short = count < width
    raise InputError(
        f"too few fields ({count} of {width}); the file may be truncated" if short
        else f"too many fields ({count} of {width})",
        file=path, row=line, column=columns[count] if short else None,
    )


def _read_quoted(text: str, path: Path) -> tuple[list[str], list[list[str]], list[int]]:
    """Exact but slower: the csv module, for files with quoted fields."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    lines: list[int] = []
    try:
        header = next(reader, None) or []
        columns = [h.strip().upper() for h in header]
        for record in reader:
            if not record or (len(record) == 1 and not record[0].strip()):
                continue
            _short_or_long(len(columns), len(record), columns, path, reader.line_num)
            rows.append([cell.strip() for cell in record])
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise InputError(f"not valid CSV ({exc})", file=path, row=reader.line_num) from None
    return columns, rows, lines


def _data_lines(data: bytes, width: int, columns: list[str], path: Path) -> np.ndarray:
    """Line numbers of the non-blank data lines; refuses the first with a wrong field count.

    Vectorised: commas are counted per line with numpy; only lines without a comma (blank,
    or one field) are looked at one by one.
    """
    raw = np.frombuffer(data, dtype=np.uint8)
    breaks = np.flatnonzero(raw == 10)
    starts = np.r_[0, breaks + 1]
    ends = np.r_[breaks, len(raw)]
    commas = np.flatnonzero(raw == 44)
    counts = np.searchsorted(commas, ends) - np.searchsorted(commas, starts)
    keep = np.ones(len(starts), dtype=bool)
    keep[0] = False  # the header
    for i in np.flatnonzero((counts == 0) & keep):
        keep[i] = bool(data[starts[i]:ends[i]].decode("utf-8").strip())
    numbers = np.flatnonzero(keep)
    bad = numbers[counts[numbers] != width - 1]
    if len(bad):
        _short_or_long(width, int(counts[bad[0]]) + 1, columns, path, int(bad[0]) + 1)
    return numbers + 1


def _parse_plain(data: bytes, columns: list[str], path: Path) -> pd.DataFrame:
    """Unquoted CSV (field counts already checked) as strings, blanks missing, via Arrow."""
    try:
        table = pa_csv.read_csv(
            io.BytesIO(data),
            read_options=pa_csv.ReadOptions(column_names=columns, skip_rows=1),
            parse_options=pa_csv.ParseOptions(quote_char=False),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(columns, pa.string()),
                null_values=[""], strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid:  # e.g. a line of other whitespace (form feed)
        # Arrow's message quotes the line it could not read: never shown.
        raise InputError("not valid CSV (a line could not be split into fields)",
                         file=path) from None
    return table.to_pandas()


def read_csv(path: Path, raw: bytes) -> tuple[str, pd.DataFrame]:
    """One CSV file as (table name, strings frame); refuses short rows and bad quoting.
    ``path`` is the name shown to users (relative to the folder given), in errors and in
    the frame's ``_file``.

    Files without quotes (the usual export) take a fast path: spaces around fields are
    dropped, field counts are checked for every line at once, then Arrow reads the text.
    """
    text = _decode(raw, path)
    header_line = text.split("\n", 1)[0]
    if not header_line.strip():
        raise InputError("file is empty (no header row)", file=path, row=1)
    if '"' in text or "\r" in text.replace("\r\n", ""):
        columns, rows, lines = _read_quoted(text, path)
        table = identify(columns, path)
        frame = pd.DataFrame(rows, columns=columns, dtype=object).replace("", None)
    else:
        columns = [h.strip().upper() for h in header_line.rstrip("\r").split(",")]
        table = identify(columns, path)
        text = text.replace("\r\n", "\n").removesuffix("\n") + "\n"
        if " ," in text or ", " in text or "\t" in text or " \n" in text or "\n " in text:
            text = _LEADING.sub("\n", _TRAILING.sub("\n", _SPACES.sub(",", text)))
        data = text.encode("utf-8")
        lines = _data_lines(data, len(columns), columns, path)
        frame = _parse_plain(data, columns, path)
    frame["_file"] = str(path)
    frame["_row"] = lines
    return table, frame


def read_xml(path: Path, raw: bytes) -> dict[str, pd.DataFrame]:
    """Header, Episodes and UASC from the validator's XML layout (CHILDID, PL); ``path`` as
    in :func:`read_csv`."""
    head = raw[:4096].upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in raw.upper():
        raise InputError("XML with a DOCTYPE or entities is refused", file=path, row=1)
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise InputError(f"not well-formed XML ({exc.msg})", file=path, row=line) from None
    children = [c for c in root if c.tag == "CHILD"]
    if not children:
        raise InputError(
            f"not an SSDA903 return: root <{root.tag[:40]}> holds no <CHILD> records",
            file=path, row=1
        )
    records: dict[str, list[dict[str, str | int | None]]] = {t: [] for t in CORE}
    for number, child in enumerate(children, start=1):
        header = child.find("HEADER")
        values = {
            XML_RENAME.get(n.tag, n.tag): (n.text or "").strip() or None
            for n in (header.iter() if header is not None else [])
            if len(n) == 0
        }
        base = {"_file": str(path), "_row": number}
        records["Header"].append(base | {c: values.get(c) for c in TABLES["Header"]})
        if values.get("UASC") or values.get("DUC"):
            records["UASC"].append(base | {c: values.get(c) for c in TABLES["UASC"]})
        for episode in child.findall("EPISODE"):
            data = values | {
                XML_RENAME.get(n.tag, n.tag): (n.text or "").strip() or None
                for n in episode
                if len(n) == 0
            }
            records["Episodes"].append(base | {c: data.get(c) for c in TABLES["Episodes"]})
    return {
        name: pd.DataFrame(rows, columns=[*TABLES[name], "_file", "_row"], dtype=object)
        for name, rows in records.items()
    }


def _group_key(path: Path, folder: Path) -> str:
    parent = path.parent.relative_to(folder).as_posix() if path.parent != folder else ""
    token = _YEAR_TOKEN.search(path.stem)
    if path.suffix.lower() == ".xml":
        return f"{parent}/{path.name}"
    return f"{parent}/{token.group(1) if token else ''}"


def list_files(folder: Path) -> list[Path]:
    if not folder.exists():
        raise InputError("no such file or folder", file=folder)
    if folder.is_file():
        return [folder]
    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.suffix.lower() in {".csv", ".xml"}
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )
    if not files:
        raise InputError("folder holds no .csv or .xml files", file=folder)
    return files


def _parse_ddmmyyyy(text: np.ndarray) -> np.ndarray:
    """Strict dd/mm/YYYY strings as datetime64[ns]; NaT for anything else (left to strptime).

    Vectorised on the ten characters, so the usual 903 dates skip strptime; other shapes
    (``1/5/2020``, ISO) still go through ``pd.to_datetime`` and give the same answer.
    """
    out = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[ns]")
    shaped = np.array([isinstance(t, str) and len(t) == 10 and t.isascii() for t in text],
                      dtype=bool)
    if not shaped.any():
        return out
    chars = np.array(text[shaped].tolist(), dtype="S10").view(np.uint8).reshape(-1, 10)
    b = chars.astype(np.int64) - 48
    digits = np.delete(b, [2, 5], axis=1)
    day = b[:, 0] * 10 + b[:, 1]
    month = b[:, 3] * 10 + b[:, 4]
    year = b[:, 6] * 1000 + b[:, 7] * 100 + b[:, 8] * 10 + b[:, 9]
    ok = ((b[:, 2] == -1) & (b[:, 5] == -1) & ((digits >= 0) & (digits <= 9)).all(axis=1)
          & (month >= 1) & (month <= 12) & (day >= 1) & (year >= 1678) & (year <= 2261))
    months = np.where(ok, (year - 1970) * 12 + month - 1, 0).astype("datetime64[M]")
    first = months.astype("datetime64[D]")
    ok &= day <= ((months + 1).astype("datetime64[D]") - first).astype(np.int64)
    out[np.flatnonzero(shaped)[ok]] = (first + (day - 1))[ok]
    return out


def parse_dates(values: pd.Series) -> pd.Series:
    """Dates in any accepted format (dd/mm/YYYY; ISO for regional extracts); NaT if not.

    Each distinct text is parsed once: returns repeat the same dates many times.
    """
    codes, uniques = pd.factorize(values)
    text = pd.Series(uniques, dtype=object)
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    for fmt in _rules()["date_formats"]:
        todo = out.isna()
        if not todo.any():
            break
        if fmt == "%d/%m/%Y":
            out[todo] = _parse_ddmmyyyy(text[todo].to_numpy())
            todo = out.isna()
        out[todo] = pd.to_datetime(text[todo], format=fmt, errors="coerce")
    parsed = np.append(out.to_numpy(), np.datetime64("NaT", "ns"))
    return pd.Series(parsed[codes], index=values.index)


def _year_ending(dates: pd.Series) -> pd.Series:
    return dates.dt.year + (dates.dt.month > 3).astype(int)


def _collection_year(ret: Return) -> int:
    """The year (ending 31 March) most episode end dates fall in, else the latest DECOM's.

    A mode, not a maximum, so one mistyped date does not move the whole return.
    """
    dec = ret.dates("Episodes", "DEC").dropna()
    if not dec.empty:
        return int(_year_ending(dec).mode().max())
    decom = ret.dates("Episodes", "DECOM").dropna()
    return int(_year_ending(decom).max()) if not decom.empty else 0


def read_folder(folder: str | Path, *, max_bytes: int | None = None) -> list[Return]:
    """Every return in ``folder``, oldest first; raises InputError on any unusable file."""
    folder = Path(folder)
    limit = max_bytes if max_bytes is not None else int(_rules()["max_file_mb"] * 1024 * 1024)
    files = list_files(folder)
    base = folder if folder.is_dir() else folder.parent
    returns: dict[str, Return] = {}
    for path in files:
        size = path.stat().st_size
        shown = path.relative_to(base)
        if size > limit:
            raise InputError(
                f"file is {size / 1048576:.1f} MB, over the {limit / 1048576:.1f} MB limit",
                file=shown,
            )
        if size == 0:
            raise InputError("file is empty", file=shown, row=1)
        key = _group_key(path, base)
        ret = returns.setdefault(key, Return(key=key))
        ret.files.append(path)
        raw = path.read_bytes()
        if path.suffix.lower() == ".xml":
            ret.fmt = "xml"
            tables = read_xml(shown, raw)
        else:
            name, frame = read_csv(shown, raw)
            tables = {name: frame}
        for name, frame in tables.items():
            if name in ret.tables:
                if name in CORE:
                    raise InputError(
                        f"a second {name} table in the same return "
                        f"(first: {ret.table_files[name]}); put each year in its own folder "
                        "or name files with their year",
                        file=shown,
                    )
                ret.ignored.append(str(shown))
                continue
            ret.tables[name] = frame
            ret.table_files[name] = shown
            ret.paths[name] = path
    for ret in returns.values():
        for name in ("Episodes", "Header"):
            if name not in ret.tables:
                where = ", ".join(str(p.relative_to(base)) for p in ret.files)
                raise InputError(f"return has no {name} table (files: {where})", file=folder)
        ret.year = _collection_year(ret)
    return sorted(returns.values(), key=lambda r: (r.year, r.key))
