"""Checks shared by the placement files a council loads (the supply register, referrals):
headings against a documented column list, choices, whole numbers, yes/no, ';' lists and
postcode districts, each problem kept with its file row and column so the first can be
raised with a count of the rest."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from carecast.data.errors import InputError

FULL_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][0-9A-Z]?) ?[0-9][A-Z]{2}$")
DISTRICT = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?$")
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    help: str


class Problems:
    """Problems found while checking, each with its file row and column; the first (by row,
    then column order) is raised with a count of the rest."""

    def __init__(self, file: str, rows: pd.Series, columns: Sequence[Column]) -> None:
        self.file, self.rows, self.found = file, rows.to_numpy(), []
        self.order = {c.name: i for i, c in enumerate(columns)}

    def add(self, bad: np.ndarray | pd.Series, column: str,
            message: Callable[[int], str]) -> None:
        flags = pd.Series(bad).fillna(False).to_numpy(bool)
        for i in np.flatnonzero(flags):
            self.found.append((int(self.rows[i]), column, message(int(i))))

    def raise_first(self) -> None:
        if not self.found:
            return
        row, column, message = min(self.found,
                                   key=lambda p: (p[0], self.order.get(p[1], len(self.order))))
        more = len(self.found) - 1
        suffix = f" ({more} more problem{'s' * (more > 1)} in the file)" if more else ""
        raise InputError(message + suffix, file=self.file, row=row, column=column)


def key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def header(frame: pd.DataFrame, file: str, columns: Sequence[Column], what: str
           ) -> pd.DataFrame:
    """Headings matched case- and punctuation-insensitively; unknown or missing refused
    (so names, addresses or other personal details never reach the workspace)."""
    known = {c.name for c in columns}
    rename: dict[str, str] = {}
    for heading in frame.columns:
        if heading == "_row":
            continue
        k = key(str(heading))
        if k not in known:
            raise InputError(f"unexpected column {heading!r}: the {what} holds only "
                             f"{', '.join(c.name for c in columns)} (names, addresses and "
                             "other personal details are not needed)",
                             file=file, row=1, column=str(heading))
        if k in rename.values():
            raise InputError(f"column {k!r} appears twice", file=file, row=1,
                             column=str(heading))
        rename[heading] = k
    frame = frame.rename(columns=rename)
    for column in columns:
        if column.required and column.name not in frame:
            raise InputError(f"missing column {column.name!r} ({column.help})", file=file,
                             row=1, column=column.name)
        if column.name not in frame:
            frame[column.name] = None
    return frame


def district(text: str | None) -> str | None:
    """A postcode district as given, or cut from a full postcode (never kept whole)."""
    if text is None:
        return None
    text = " ".join(text.upper().split())
    full = FULL_POSTCODE.match(text)
    return full.group(1) if full else text


def districts(text: pd.Series, column: str, problems: Problems) -> pd.Series:
    value = text.map(district)
    bad = value.notna() & ~value.map(lambda v: bool(v and DISTRICT.match(v)))
    problems.add(bad, column, lambda i: f"{text.iloc[i]!r} is not a postcode district "
                 "(e.g. NR1) or a full postcode")
    return value.where(~bad)


def choice(text: pd.Series) -> pd.Series:
    return text.map(lambda v: None if v is None else re.sub(r"[\s-]+", "_", v.strip().lower()))


def choices(frame: pd.DataFrame, column: str, allowed: Sequence[str], problems: Problems, *,
            required: bool = True) -> pd.Series:
    value = choice(frame[column])
    bad = value.notna() & ~value.isin(list(allowed))
    problems.add(bad, column, lambda i: f"{frame[column].iloc[i]!r} is not one of "
                 f"{', '.join(allowed)}")
    if required:
        problems.add(value.isna(), column, lambda i: "a value is required")
    return value.where(~bad)


def integers(text: pd.Series, column: str, problems: Problems, required: bool) -> pd.Series:
    number = pd.to_numeric(text, errors="coerce")
    missing = text.isna().to_numpy()
    bad = ~missing & (number.isna() | (number % 1 != 0) | (number < 0)).to_numpy()
    problems.add(bad, column, lambda i: f"{text.iloc[i]!r} is not a whole number of 0 or more")
    if required:
        problems.add(missing, column, lambda i: "a value is required")
    return number.where(~bad).astype("Float64")


def numbers(text: pd.Series, column: str, problems: Problems) -> pd.Series:
    """Optional numbers of 0 or more (floats)."""
    number = pd.to_numeric(text, errors="coerce")
    bad = text.notna().to_numpy() & (number.isna() | (number < 0)).to_numpy()
    problems.add(bad, column, lambda i: f"{text.iloc[i]!r} is not a number of 0 or more")
    return number.where(~bad).astype(float)


def yes_no(text: pd.Series, column: str, problems: Problems) -> pd.Series:
    """yes/no as booleans (missing stays missing)."""
    low = text.map(lambda v: None if v is None else v.strip().lower())
    bad = low.notna() & ~low.isin(YES | NO)
    problems.add(bad, column, lambda i: f"{text.iloc[i]!r} is not yes or no")
    return low.map(lambda v: None if v is None or v not in YES | NO else v in YES).astype(
        "boolean")


def lists(text: pd.Series, column: str, allowed: Sequence[str] | None, problems: Problems
          ) -> pd.Series:
    """';'-separated lists, normalised and sorted, as one ';' string (None when empty);
    items outside ``allowed`` (when given) are refused."""
    items = choice(text).map(lambda v: sorted({p.strip("_") for p in re.split(r"[;,]", v)
                                               if p.strip("_")}) if v else [])
    if allowed is not None:
        ok = set(allowed)
        bad = items.map(lambda xs: any(x not in ok for x in xs))
        problems.add(bad, column, lambda i: (
            f"unknown {column.removesuffix('s')} "
            f"{next(x for x in items.iloc[i] if x not in ok)!r}; known: {', '.join(allowed)}"))
    return items.map(lambda xs: ";".join(xs) or None)


def first_rows(ids: pd.Series, rows: pd.Series) -> tuple[np.ndarray, dict]:
    """Which ids repeat an earlier row, and the row each id first appears on."""
    first: dict = {}
    repeats = np.zeros(len(ids), bool)
    for i, value in enumerate(ids):
        if value is not None:
            if value in first:
                repeats[i] = True
            first.setdefault(value, int(rows.iloc[i]))
    return repeats, first
