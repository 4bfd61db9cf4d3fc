"""Validate SSDA903 returns: carecast's blocking checks plus DfE's rules, as one issue table.

DfE's rules come from ``csc-validator-be-903``, which pins pandas<2 and numpy<1.25 and so
runs in its own environment (``scripts/setup-validator.sh`` makes ``.venv-validator``),
called as a subprocess on the raw files. Child ids in its answer are replaced by the
workspace's pseudonyms before anything is shown. Issues are ``blocking`` (modelling is
impossible: missing CHILD, DECOM or DOB, unreadable dates) or ``warning``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from carecast import params
from carecast.data.errors import InputError
from carecast.data.ssda903.episodes import ISSUE_COLUMNS, blocking_issues
from carecast.data.ssda903.pseudonymise import pseudonymise, workspace_secret
from carecast.data.ssda903.reader import Return, read_folder
from carecast.data.workspace import Workspace

ENV_VAR = "CARECAST_VALIDATOR_PYTHON"
RUNNER = Path(__file__).with_name("validator_runner.py")
REPO = Path(__file__).resolve().parents[4]
RULESET_YEARS = range(2023, 2028)  # lac2022_23 .. lac2026_27 in csc-validator-be-903 0.1.17
DEFAULT_LA = "E92000001"
_EXCEPTION = re.compile(r"([A-Za-z_][\w.]{0,79})(?::|$)")


@dataclass
class Validation:
    issues: pd.DataFrame  # ISSUE_COLUMNS, child pseudonymised
    notes: list[str] = field(default_factory=list)

    @property
    def blocking(self) -> pd.DataFrame:
        return self.issues[self.issues["severity"] == "blocking"]

    def to_json(self) -> dict:
        counts = self.issues.groupby(["severity", "rule"]).size()
        return {
            "blocking": int((self.issues["severity"] == "blocking").sum()),
            "warnings": int((self.issues["severity"] == "warning").sum()),
            "by_rule": [{"severity": s, "rule": r, "count": int(n)}
                        for (s, r), n in counts.items()],
            "notes": self.notes,
            "issues": self.issues.astype(object).where(self.issues.notna(), None)
            .to_dict(orient="records"),
        }


def validator_python() -> Path:
    """The isolated interpreter, or a clear message saying how to create it."""
    configured = os.environ.get(ENV_VAR)
    candidates = [Path(configured)] if configured else [
        REPO / ".venv-validator" / "bin" / "python",
        Path.cwd() / ".venv-validator" / "bin" / "python",
    ]
    for candidate in candidates:
        if candidate.exists():
            return candidate
    raise InputError(
        "DfE validator environment not found: run scripts/setup-validator.sh (creates "
        f".venv-validator) or set {ENV_VAR} to a Python with csc-validator-be-903 0.1.17; "
        "or use --no-dfe to run carecast's blocking checks only"
    )


def ruleset(year: int) -> str:
    """The DfE ruleset for a collection year ending 31 March ``year`` (nearest available)."""
    year = min(max(year, RULESET_YEARS.start), RULESET_YEARS.stop - 1)
    return f"lac{year - 1}_{str(year)[2:]}"


def _run(python: Path, ret: Return, previous: Return | None, la: str) -> dict:
    files = [{"path": str(p), "description": "This year"} for p in _files(ret)]
    if previous is not None and previous.fmt == ret.fmt == "csv":
        files += [{"path": str(p), "description": "Prev year"} for p in _files(previous)]
    request = {"collection_year": str(ret.year), "la": la, "ruleset": ruleset(ret.year),
               "files": files}
    done = subprocess.run([str(python), str(RUNNER)], input=json.dumps(request),
                          capture_output=True, text=True, timeout=1800, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [""])[-1]
        # The exception's type only: its message (and any other line) may quote records.
        named = _EXCEPTION.match(last)
        kind = named.group(1) if named else "an error"
        raise InputError(f"the DfE validator stopped with {kind}",
                         file=", ".join(p.name for p in ret.files))
    return json.loads(done.stdout)


def _files(ret: Return) -> list[Path]:
    """One file per table (duplicates were already set aside by the reader)."""
    return sorted(set(ret.paths.values()))


def _dfe_issues(answer: dict, ret: Return) -> tuple[pd.DataFrame, list[str]]:
    rules = params.value("ssda903.ingest_rules")
    raw = pd.DataFrame(answer["issues"],
                       columns=["child", "table", "column", "row", "rule", "message"])
    raw = raw[~raw["table"].str.endswith("_last")]
    notes = []
    if answer["failed"]:
        notes.append(f"{ret.year}: DfE rules that crashed in the validator: "
                     f"{', '.join(map(str, answer['failed']))}")
    for rule, spec in rules["false_positives"].get(ruleset(ret.year), {}).items():
        table = ret.tables.get("Episodes")
        if table is None:
            continue
        flagged = raw["rule"].eq(rule) & raw["row"].map(
            lambda r, t=table, s=spec: r < len(t) and t[s["field"]].iat[r] == s["code"])
        if flagged.any():
            notes.append(f"{ret.year}: dropped {int(flagged.sum())} rule {rule} issues on "
                         f"{spec['code']}, a known validator defect ({spec['why']})")
            raw = raw[~flagged]
    files, rows = [], []
    for table, row in zip(raw["table"], raw["row"], strict=True):
        frame = ret.tables.get(table)
        ok = frame is not None and 0 <= row < len(frame)
        shown = ret.table_files.get(table)
        if shown is None and ret.fmt == "xml":  # tables carecast does not keep
            shown = next(iter(ret.table_files.values()))
        files.append(str(shown) if shown is not None else None)
        rows.append(int(frame["_row"].iat[row]) if ok else None)
    raw = raw.assign(file=files, row=rows)
    raw["severity"] = raw["rule"].isin(rules["blocking_dfe_rules"]).map(
        {True: "blocking", False: "warning"})
    raw["rule"] = "DfE " + raw["rule"]
    return raw.reindex(columns=ISSUE_COLUMNS), notes


def validate_folder(folder: str | Path, ws: Workspace, *, dfe: bool = True, la: str | None = None,
                    max_bytes: int | None = None) -> Validation:
    """Every issue in the returns in ``folder``; only structural problems raise."""
    returns = read_folder(folder, max_bytes=max_bytes)
    found = [blocking_issues(returns)]
    notes = []
    if dfe:
        python = validator_python()
        previous = None
        for ret in returns:
            issues, more = _dfe_issues(_run(python, ret, previous, la or DEFAULT_LA), ret)
            found.append(issues)
            notes += more
            previous = ret
    issues = pd.concat([f for f in found if not f.empty] or [found[0]], ignore_index=True)
    issues["child"] = pseudonymise(issues["child"], workspace_secret(ws.root))
    issues = issues.sort_values(["severity", "file", "row", "rule"], kind="stable",
                                ignore_index=True)
    return Validation(issues=issues, notes=notes)
