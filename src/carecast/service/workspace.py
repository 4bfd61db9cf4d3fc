"""What every service call shares: the workspace, councils, and checked arguments.

Faces pass user input through these checks, so a bad value gets the same one-line message
(file, row and column where it has them) from the CLI, the web app and the API.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

from carecast import params
from carecast.data import councils as _councils
from carecast.data.councils import Council
from carecast.data.errors import InputError, WorkspaceBusy
from carecast.data.workspace import Workspace

__all__ = ["Council", "InputError", "Workspace", "WorkspaceBusy", "council", "councils",
           "open_workspace"]


def open_workspace(path: str | Path | None = None) -> Workspace:
    """The workspace at ``path`` (default ``$CARECAST_WORKSPACE`` or ./carecast-workspace)."""
    return Workspace.open(path)


def council(name_or_code: str) -> Council:
    """A council by DfE code, ONS code or name (``LookupError`` names close matches)."""
    return _councils.lookup(name_or_code)


def councils(current_only: bool = True) -> list[Council]:
    return _councils.all_councils(current_only=current_only)


def draws(n: int | None) -> int:
    """``n`` draws (default ``model.draws``), within ``model.draws_limits``."""
    if n is None:
        return int(params.value("model.draws"))
    limits = params.value("model.draws_limits")
    if not limits["min"] <= n <= limits["max"]:
        raise InputError(f"--draws must be a whole number from {limits['min']:,} to "
                         f"{limits['max']:,}, not {n:,}")
    return int(n)


def seed(n: int | None) -> int:
    return int(params.value("model.seed")) if n is None else int(n)


def date(text: str | dt.date | None, what: str = "date") -> dt.date | None:
    """A date from YYYY-MM-DD (None passes through)."""
    if text is None or isinstance(text, dt.date):
        return text
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        raise InputError(f"{what} must be a date like 2026-04-01, not '{text}'") from None


def overrides(items: list[str] | None) -> dict[str, Any]:
    """``NAME=VALUE`` strings (VALUE read as YAML) as parameter overrides; names are checked."""
    out: dict[str, Any] = {}
    for item in items or []:
        name, sep, text = item.partition("=")
        if not sep or not name.strip():
            raise InputError(f"--set takes NAME=VALUE (e.g. costs.inflation_assumption=high), "
                             f"not '{item}'")
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError:
            raise InputError(f"--set {name}: '{text}' is not a value") from None
        try:
            with params.overridden({name.strip(): value}):
                pass
        except KeyError as exc:
            raise InputError(f"--set: {exc.args[0]}") from None
        out[name.strip()] = value
    return out
