"""Generate the command reference (docs/cli.md) from the command definitions themselves.

``python -m carecast.cli.reference > docs/cli.md`` rewrites it; a test fails when the file
and the commands disagree, so the reference cannot drift.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from carecast.cli import app

HEADER = """# Command reference

Generated from the commands by `python -m carecast.cli.reference > docs/cli.md`; a test
checks it matches. Every command takes `--workspace DIR` (default `$CARECAST_WORKSPACE`, else
`./carecast-workspace`). Errors in input end with one line naming file, row and column and
exit code 2.
"""


def _walk(command: Any, path: list[str]) -> list[tuple[list[str], Any]]:
    """Every leaf command under ``command`` (Typer's own click classes, duck-typed)."""
    children = getattr(command, "commands", None)
    if children is None:
        return [(path, command)]
    found: list[tuple[list[str], Any]] = []
    for name in sorted(children):
        found += _walk(children[name], [*path, name])
    return found


def _is_argument(param: Any) -> bool:
    return param.param_type_name == "argument"


def _option_row(param: Any) -> str:
    if _is_argument(param):
        return f"| `{param.name.upper()}` | {param.help or ''} | |"
    names = ", ".join(f"`{o}`" for o in param.opts + param.secondary_opts)
    default = ""
    if isinstance(param.default, str | int | float | Path) and param.default is not False:
        default = f"`{param.default}`"
    text = (param.help or "").replace("|", "\\|")
    return f"| {names} | {text} | {default} |"


def render() -> str:
    root = typer.main.get_command(app)
    parts = [HEADER]
    for path, command in _walk(root, ["carecast"]):
        params = [p for p in command.params if p.name != "help"]
        parts.append(f"\n## `{' '.join(path)}`\n")
        parts.append((command.help or "").strip().split("\n\n")[0] + "\n")
        arguments = [p.name.upper() for p in params if _is_argument(p)]
        usage = " ".join(path + arguments)
        parts.append(f"```\n{usage} [OPTIONS]\n```\n")
        if params:
            parts.append("| option | meaning | default |\n|---|---|---|")
            parts.extend(_option_row(p) for p in params)
    return "\n".join(parts).rstrip() + "\n"


if __name__ == "__main__":
    print(render(), end="")
