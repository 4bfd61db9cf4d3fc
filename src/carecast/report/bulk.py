"""Every council's pack in one run (``carecast report --all --out DIR``).

The national figures (indicators, drivers, every council's forecast and spend, accuracy)
are computed once; each council's pack is then assembled, rendered and printed as a task of
:func:`carecast.model.executor.run_tasks`, one local process per core. Local workers are
forked after the national figures exist, so they share them; a worker that was not forked
(another start method, a Dask cluster) computes them once for itself. Files are named
``<DfE code>-<name>.<format>`` and written atomically, with England's pack beside them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carecast.model.executor import run_tasks
from carecast.report import pack
from carecast.service import report as content
from carecast.service.workspace import Workspace

_SHARED: dict[tuple[str, int | None], content.National] = {}


@dataclass(frozen=True)
class Task:
    root: str
    code: str
    fmt: str
    path: str
    scenarios: tuple[str, ...]
    draws: int | None


def file_name(code: str, name: str, fmt: str) -> str:
    """926-norfolk.pdf: the DfE code, then the name in lower case with hyphens."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return f"{code}-{slug}.{fmt}"


def remember_national(ws: Workspace, draws: int | None, nat: content.National) -> None:
    """Use ``nat`` for this workspace and draws (figures already computed elsewhere)."""
    _SHARED[(str(ws.root.resolve()), draws)] = nat


def _national(ws: Workspace, draws: int | None) -> content.National:
    key = (str(ws.root.resolve()), draws)
    if key not in _SHARED:
        _SHARED[key] = content.national(ws, draws=draws)
    return _SHARED[key]


def _one(task: Task) -> str:
    ws = Workspace.open(task.root)
    built = content.council_pack(ws, task.code, scenarios=task.scenarios,
                                 nat=_national(ws, task.draws), draws=task.draws)
    return str(pack.write(pack.council_html(built), task.fmt, task.path))


def england(ws: Workspace, nat: content.National) -> str:
    """England's pack as HTML (its labels and number kinds from the indicator registry)."""
    built = content.england_pack(ws, nat)
    labels = {i: nat.indicators[i].indicator.label for i in content.HEADLINE}
    kinds = {i: pack.KIND.get(nat.indicators[i].indicator.kind, "number")
             for i in content.HEADLINE}
    return pack.england_html(built, labels, kinds)


def write_all(ws: Workspace, out: Path, fmt: str, *, scenarios: Sequence[str] = (),
              draws: int | None = None, on_done: Callable[[], None] | None = None,
              scheduler: Any = None, codes: Sequence[str] | None = None) -> list[Path]:
    """Write every current council's pack (or those of ``codes``) and England's into
    ``out``; returns the paths (councils in name order, England last)."""
    if fmt not in pack.FORMATS:
        raise ValueError(f"--format must be html or pdf, not {fmt!r}")
    content.load_scenarios(scenarios)   # a bad scenario fails before any model runs
    nat = _national(ws, draws)
    wanted = None if codes is None else {content.checks.council(c).code for c in codes}
    tasks = [Task(str(ws.root), c.code, fmt, str(out / file_name(c.code, c.name, fmt)),
                  tuple(scenarios), draws) for c in nat.councils
             if wanted is None or c.code in wanted]
    written = run_tasks(_one, tasks, scheduler, on_done=on_done)
    national_path = pack.write(england(ws, nat), fmt, out / f"england.{fmt}")
    if on_done:
        on_done()
    return [Path(p) for p in written] + [national_path]


def count(ws: Workspace) -> int:
    """How many files :func:`write_all` writes (for a progress bar's total)."""
    return len(content.checks.councils(current_only=True)) + 1
