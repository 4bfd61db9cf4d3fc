"""Recognise a DfE Explore Education Statistics CSV by its columns and read it as observations.

Formats and aliases live in ``parameters/data/release_formats.yaml``, so next year's file,
with a renamed column or reworded label, goes in by editing data rather than code.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from carecast import params
from carecast.data import councils, store
from carecast.data.councils import ENGLAND
from carecast.data.errors import InputError
from carecast.data.values import parse_numbers

OBSERVATION_COLUMNS = ["level", "area_code", "year", "measure", "value", "flag", "source"]
MAX_BYTES = 200 * 1024 * 1024
JOINT = " / "  # how DfE writes councils that report together (a shared children's service)


@dataclass(frozen=True)
class Release:
    """A parsed release file: its format id, dataset and tidy observations."""

    file: str
    format_id: str
    dataset: str
    observations: pd.DataFrame

    @property
    def years(self) -> list[int]:
        return sorted(int(y) for y in self.observations["year"].unique())


def _formats() -> dict[str, Any]:
    return dict(params.value("data.release_formats"))


def read_csv_strict(path: Path, max_bytes: int = MAX_BYTES) -> pd.DataFrame:
    """Read a CSV as text, refusing wrong encodings and short or long rows with their row."""
    name = str(path)
    if not path.exists():
        raise InputError("file not found", file=name)
    size = path.stat().st_size
    if size == 0:
        raise InputError("the file is empty", file=name)
    if size > max_bytes:
        raise InputError(
            f"the file is {size / 1e6:.0f} MB, over the {max_bytes / 1e6:.0f} MB limit", file=name
        )
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = data[: exc.start].count(b"\n") + 1
        raise InputError(
            f"byte {data[exc.start]:#x} is not UTF-8 text; save the file as UTF-8 CSV",
            file=name,
            row=row,
        ) from None
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise InputError(f"not a readable CSV file: {exc}", file=name) from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise InputError("no header row", file=name, row=1)
    header = [c.strip() for c in rows[0]]
    body = rows[1:]
    while body and not any(cell.strip() for cell in body[-1]):
        body.pop()
    for number, row in enumerate(body, start=2):
        if len(row) != len(header):
            hint = " (is the file truncated?)" if number == len(body) + 1 else ""
            raise InputError(
                f"{len(row)} fields where the header has {len(header)}{hint}",
                file=name,
                row=number,
                column=header[min(len(row), len(header)) - 1] if row else None,
            )
    if not body:
        raise InputError("the file has a header but no data rows", file=name, row=2)
    return pd.DataFrame(body, columns=header, dtype="string")


def _resolve(frame: pd.DataFrame, aliases: list[str]) -> str | None:
    lowered = {c.lower(): c for c in frame.columns}
    for alias in aliases:
        if alias.lower() in lowered:
            return lowered[alias.lower()]
    return None


def _selector_labels(frame: pd.DataFrame, selector: dict[str, Any]) -> pd.Series | None:
    """Each row's selector label: one column's value, or several joined by ' | '.

    ``None`` when the file lacks a selector column."""
    groups = selector.get("columns") or [selector["column"]]
    columns = [_resolve(frame, aliases) for aliases in groups]
    if any(c is None for c in columns):
        return None
    parts = [frame[c].astype("string").str.strip() for c in columns]  # type: ignore[index]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + " | " + part
    return joined


def _known_labels(selector: dict[str, Any]) -> set[str]:
    labels = {lbl for lbls in selector["labels"].values() for lbl in lbls}
    return {lbl.lower() for lbl in labels | set(selector.get("ignore", []))}


def detect_format(frame: pd.DataFrame, file: str) -> str:
    """The id of the release format whose columns the file has, or a clear error.

    Formats are scored by how many of their value columns the file has; formats with a
    selector break ties by how many of their labels the file's rows use, so two tables
    with the same columns (care leavers' accommodation and activity) are told apart."""
    spec = _formats()
    common = spec["common"]["aliases"]
    for required in ("time_period", "geographic_level"):
        if _resolve(frame, common[required]) is None:
            raise InputError(
                f"missing column {required!r} (or one of {common[required]}); "
                "is this a DfE Explore Education Statistics file?",
                file=file,
                row=1,
                column=required,
            )
    best, best_score = None, (0, 0)
    for format_id, fmt in spec["formats"].items():
        matched = 0
        if "selector" in fmt:
            labels = _selector_labels(frame, fmt["selector"])
            if labels is None:
                continue
            found = labels.dropna().str.lower().drop_duplicates()
            matched = int(found.isin(_known_labels(fmt["selector"])).sum())
        hits = sum(_resolve(frame, names) is not None for names in fmt["values"].values())
        if hits and (hits, matched) > best_score:
            best, best_score = format_id, (hits, matched)
    if best is None:
        known = ", ".join(f"{k} ({v['label']})" for k, v in spec["formats"].items())
        raise InputError(
            f"columns {list(frame.columns)} match no known release table; known: {known}",
            file=file,
            row=1,
        )
    return best


def _years(raw: pd.Series, file: str, column: str) -> pd.Series:
    text = raw.str.strip()
    # Financial-year periods print as 202324; the year ending 31 March is the second half.
    six = text.str.fullmatch(r"\d{6}").fillna(False)
    text = text.where(~six, "20" + text.str[-2:])
    ok = text.str.fullmatch(r"(19|20)\d{2}").fillna(False)
    if not ok.all():
        position = int((~ok).to_numpy().nonzero()[0][0])
        raise InputError(
            f"{raw.iloc[position]!r} is not a year", file=file, row=position + 2, column=column
        )
    return text.astype(int)


def _area_codes(frame: pd.DataFrame, levels: pd.Series, file: str) -> pd.Series:
    common = _formats()["common"]["aliases"]
    region_col = _resolve(frame, common["region_code"])
    old_col = _resolve(frame, common["old_la_code"])
    new_col = _resolve(frame, common["new_la_code"])
    codes = pd.Series(ENGLAND, index=frame.index, dtype="object")
    by_code = councils.code_index()
    for position, (index, level) in enumerate(levels.items()):
        if level == "region":
            if region_col is None or not str(frame.at[index, region_col] or "").strip():
                raise InputError(
                    "regional row without a region code",
                    file=file,
                    row=position + 2,
                    column="region_code",
                )
            codes[index] = str(frame.at[index, region_col]).strip()
        elif level == "la":
            old = str(frame.at[index, old_col]).strip() if old_col else ""
            new = str(frame.at[index, new_col]).strip() if new_col else ""
            # Shared services report jointly ("940 / 941"): every part must be a council.
            olds = [p.strip() for p in old.split(JOINT)] if old else []
            news = [p.strip() for p in new.split(JOINT)] if new else []
            parts = [by_code.get(p) for p in olds] if olds else [by_code.get(p) for p in news]
            if not parts or None in parts:
                column = (old_col if old else new_col) or "old_la_code"
                raise InputError(
                    f"unknown council code {old or new!r}",
                    file=file,
                    row=position + 2,
                    column=column,
                )
            if olds and news and [by_code.get(p) for p in news] not in (
                [None] * len(news), parts
            ):
                raise InputError(
                    f"council codes disagree: {old!r} is not {new!r}",
                    file=file,
                    row=position + 2,
                    column=new_col,
                )
            codes[index] = JOINT.join(str(p) for p in parts)
    return codes


def parse_release(path: str | Path, release: int | None = None) -> Release:
    """Read and validate one EES file; nothing is written anywhere."""
    path = Path(path)
    file = str(path)
    frame = read_csv_strict(path)
    format_id = detect_format(frame, file)
    spec = _formats()
    fmt = spec["formats"][format_id]
    common = spec["common"]
    level_col = _resolve(frame, common["aliases"]["geographic_level"])
    assert level_col is not None
    levels = frame[level_col].str.strip().map(common["levels"])
    keep = levels.notna()  # other geographies (e.g. LADs) are not carecast's unit
    if not keep.any():
        raise InputError(
            f"no National, Regional or Local authority rows in {level_col!r}",
            file=file,
            column=level_col,
        )
    time_col = _resolve(frame, common["aliases"]["time_period"])
    assert time_col is not None
    years = _years(frame[time_col], file, time_col)
    areas = _area_codes(frame, levels, file)
    base = pd.DataFrame({"level": levels, "area_code": areas, "year": years})
    base["file_row"] = range(2, len(frame) + 2)

    parts = []
    if "selector" in fmt:
        selector = fmt["selector"]
        groups = selector.get("columns") or [selector["column"]]
        selector_col = " | ".join(str(_resolve(frame, aliases)) for aliases in groups)
        label_to_measure = {
            label.lower(): measure
            for measure, labels in selector["labels"].items()
            for label in labels
        }
        labels = _selector_labels(frame, selector)
        assert labels is not None
        lowered = labels.str.lower()
        stems = lowered.map(label_to_measure)
        # Rows the format deliberately does not read (other breakdowns of the same table).
        ignored = lowered.isin({lbl.lower() for lbl in selector.get("ignore", [])}).fillna(False)
        if selector.get("skip_other_groups"):
            # Whole groups it does not read (e.g. ethnicity rows of a characteristics file);
            # an unknown label inside a group it reads is still refused.
            known_groups = {label.split(" | ", 1)[0] for label in label_to_measure}
            first = lowered.str.split(" | ", n=1, regex=False).str[0]
            ignored |= ~first.isin(known_groups).fillna(False)
        unknown = keep & stems.isna() & ~ignored
        if unknown.any():
            position = int(unknown.to_numpy().nonzero()[0][0])
            raise InputError(
                f"unknown label {labels.iloc[position]!r}; known: "
                f"{sorted({lbl for lbls in selector['labels'].values() for lbl in lbls})}",
                file=file,
                row=position + 2,
                column=selector_col,
            )
        if not (keep & ~ignored).any():
            raise InputError(f"no row has a label the {format_id} format reads",
                             file=file, row=2, column=selector_col)
        for suffix, names in fmt["values"].items():
            column = _resolve(frame, names)
            if column is None:
                continue
            values, flags = parse_numbers(frame[column], file=file, column=column)
            if suffix == "" or suffix.startswith("_"):
                parts.append(base.assign(measure=stems + suffix, value=values, flag=flags))
            else:
                # A per-area figure (the population) repeated on each selector row: keep one.
                shared = base.assign(measure=suffix, value=values, flag=flags)
                parts.append(shared.drop_duplicates(["level", "area_code", "year", "value"]))
    else:
        for measure, names in fmt["values"].items():
            column = _resolve(frame, names)
            if column is None:
                continue
            values, flags = parse_numbers(frame[column], file=file, column=column)
            parts.append(base.assign(measure=measure, value=values, flag=flags))
    obs = pd.concat(parts, ignore_index=True)
    obs = obs[obs["level"].notna() & obs["measure"].notna()]
    duplicated = obs.duplicated(["level", "area_code", "year", "measure"], keep="first")
    if duplicated.any():
        row = obs[duplicated].iloc[0]
        raise InputError(
            f"a second {row['measure']} value for {row['area_code']} in {row['year']} "
            "(duplicate year)",
            file=file,
            row=int(row["file_row"]),
            column=time_col,
        )
    obs = obs.drop(columns="file_row")
    obs["source"] = fmt["dataset"]
    obs["release"] = release if release is not None else int(obs["year"].max())
    return Release(file, format_id, fmt["dataset"], obs.reset_index(drop=True))


KEY = ["level", "area_code", "year", "measure"]


@dataclass(frozen=True)
class ReleaseReport:
    """What adding a release changed: rows added, revised, unchanged, and the years touched."""

    file: str
    format_id: str
    dataset: str
    years: list[int]
    added: int
    revised: int
    unchanged: int
    superseded: int
    years_added: list[int]
    years_revised: list[int]

    @property
    def changed(self) -> bool:
        return bool(self.added or self.revised)

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "changed": self.changed}


def _compare(new: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    merged = new.merge(
        current[[*KEY, "value", "flag", "release"]],
        on=KEY,
        how="left",
        suffixes=("", "_current"),
        indicator=True,
    )
    exists = merged["_merge"] == "both"
    same_value = (merged["value"] == merged["value_current"]) | (
        merged["value"].isna() & merged["value_current"].isna()
    )
    same_flag = merged["flag"].fillna("") == merged["flag_current"].fillna("")
    older = exists & (merged["release"] < merged["release_current"])
    merged["status"] = "added"
    merged.loc[exists & ~(same_value & same_flag), "status"] = "revised"
    merged.loc[exists & same_value & same_flag, "status"] = "unchanged"
    merged.loc[older & (merged["status"] == "revised"), "status"] = "superseded"
    return merged


def add_release(ws: Any, path: str | Path) -> ReleaseReport:
    """Validate ``path`` fully, then add its rows to the workspace in one transaction.

    Re-adding a file changes nothing; a file revising earlier years updates them (the later
    release wins); a bad file raises :class:`InputError` before anything is written.
    """
    release = parse_release(path)
    current = store.observations(ws)
    compared = _compare(release.observations, current)
    counts = compared["status"].value_counts()

    measures = set(release.observations["measure"])
    held = current[current["measure"].isin(measures) & current["value"].notna()]
    known_years = set(held["year"])

    def years_with(status: str) -> list[int]:
        return sorted(int(y) for y in compared.loc[compared["status"] == status, "year"].unique())

    report = ReleaseReport(
        file=release.file,
        format_id=release.format_id,
        dataset=release.dataset,
        years=release.years,
        added=int(counts.get("added", 0)),
        revised=int(counts.get("revised", 0)),
        unchanged=int(counts.get("unchanged", 0)),
        superseded=int(counts.get("superseded", 0)),
        years_added=[y for y in years_with("added") if y not in known_years],
        years_revised=years_with("revised"),
    )
    if not report.changed:
        return report
    rows = release.observations.assign(file=Path(release.file).name)  # noqa: F841 - used by SQL
    with ws.change("data add-release") as con:
        con.execute(
            """CREATE TABLE IF NOT EXISTS user_observations (
                level VARCHAR, area_code VARCHAR, year INTEGER, measure VARCHAR, value DOUBLE,
                flag VARCHAR, source VARCHAR, release INTEGER, file VARCHAR,
                added_at TIMESTAMP DEFAULT current_timestamp)"""
        )
        con.execute(
            """DELETE FROM user_observations u USING rows r
               WHERE u.level = r.level AND u.area_code = r.area_code AND u.year = r.year
               AND u.measure = r.measure AND u.release = r.release"""
        )
        con.execute(
            """INSERT INTO user_observations
               (level, area_code, year, measure, value, flag, source, release, file)
               SELECT level, area_code, year, measure, value, flag, source, release, file
               FROM rows"""
        )
    return report
