"""Options and output helpers shared by every command."""

from __future__ import annotations

import functools
import importlib.util
import json
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from carecast.service.workspace import InputError

console = Console()
err_console = Console(stderr=True)

WorkspaceOpt = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        help="Workspace folder (default $CARECAST_WORKSPACE or ./carecast-workspace).",
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]

F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(func: F) -> F:
    """Turn bad input and unknown names into a clear message and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (InputError, LookupError) as exc:
            message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
            err_console.print(f"[bold red]Error:[/] {message}", highlight=False, soft_wrap=True)
            raise typer.Exit(code=2) from None
        except OSError as exc:  # a folder given for a file, a missing or unreadable path
            where = f"{exc.filename}: " if exc.filename else ""
            err_console.print(f"[bold red]Error:[/] {where}{exc.strerror or exc}",
                              highlight=False, soft_wrap=True)
            raise typer.Exit(code=2) from None

    return wrapper  # type: ignore[return-value]


def print_json(payload: Any) -> None:
    """Write JSON to stdout unwrapped, so it can be piped to other tools."""
    sys.stdout.write(json.dumps(payload, indent=2, default=str, allow_nan=False) + "\n")


def lazy_import(name: str) -> ModuleType:
    """A module loaded on first attribute access, so ``carecast --help`` starts quickly.

    The statistics stack (scipy, statsmodels, scikit-learn) takes seconds to import; only the
    command that needs it should pay for it.
    """
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module
