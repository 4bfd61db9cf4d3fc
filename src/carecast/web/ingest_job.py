"""An SSDA903 ingest run in its own process for the web app's upload form.

Reading a return takes memory in proportion to its size (about 20 times the CSV), and a
long-running server would keep that memory once the ingest is done. In a child process
the server's own memory stays flat and the child's is returned to the system when it
exits. The workspace's writer lock and atomic swap make the child's writes as safe as the
CLI's. ``run`` is the server's side; ``main`` the child's (``python -m``).

The child prints one JSON line: ``{"files": n}``, or ``{"error": {message, file, row,
column}, "busy": bool}`` for an :class:`InputError`; anything else is a failed ingest.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from carecast.data.errors import InputError, WorkspaceBusy


async def run(folder: Path, workspace: Path) -> int:
    """Ingest ``folder`` into ``workspace`` in a child process; returns the files read.

    Raises the child's InputError (or WorkspaceBusy) as if it had been raised here.
    """
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", __name__, str(folder), str(workspace),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )
    out, _ = await process.communicate()
    try:
        answer = json.loads(out.decode("utf-8").strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise RuntimeError(f"the ingest process ended with code {process.returncode}") from None
    if "error" in answer:
        error = answer["error"]
        kind = WorkspaceBusy if answer.get("busy") else InputError
        raise kind(error["message"], file=error["file"], row=error["row"],
                   column=error["column"])
    return int(answer["files"])


def main(argv: list[str]) -> None:
    from carecast.data.ssda903 import store
    from carecast.data.workspace import Workspace

    folder, workspace = (Path(a) for a in argv)
    try:
        result = store.ingest(folder, Workspace.open(workspace))
    except InputError as exc:
        error = {"message": exc.message, "file": exc.file, "row": exc.row, "column": exc.column}
        answer: dict = {"error": error, "busy": isinstance(exc, WorkspaceBusy)}
    else:
        answer = {"files": sum(len(r.files) for r in result.returns)}
    sys.stdout.write(json.dumps(answer) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
