"""``python -m carecast.data.ssda903.ingest_process FOLDER WORKSPACE``: one ingest in a
process of its own, answering in one JSON line on stdout.

For servers: reading a return takes memory in proportion to its size (about 20 times the
CSV), which a long-running process would keep; a child returns it to the system when it
exits. It imports only the data layer, so it starts in about a second. The workspace's
writer lock and atomic swap make its writes as safe as the CLI's.

Answer: ``{"files": n}``, or ``{"error": {message, file, row, column}, "busy": bool}`` for
an :class:`~carecast.data.errors.InputError` (messages never quote record values); any
other ending is a failed ingest, and nothing is changed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from carecast.data.errors import InputError, WorkspaceBusy
from carecast.data.ssda903 import store
from carecast.data.workspace import Workspace


def answer(folder: Path, workspace: Path) -> dict:
    try:
        result = store.ingest(folder, Workspace.open(workspace))
    except InputError as exc:
        error = {"message": exc.message, "file": exc.file, "row": exc.row, "column": exc.column}
        return {"error": error, "busy": isinstance(exc, WorkspaceBusy)}
    return {"files": sum(len(r.files) for r in result.returns)}


def raise_for(reply: dict) -> int:
    """The number of files read, or the child's InputError raised again here."""
    if "error" in reply:
        error = reply["error"]
        kind = WorkspaceBusy if reply.get("busy") else InputError
        raise kind(error["message"], file=error["file"], row=error["row"],
                   column=error["column"])
    return int(reply["files"])


if __name__ == "__main__":
    folder, workspace = (Path(a) for a in sys.argv[1:3])
    sys.stdout.write(json.dumps(answer(folder, workspace)) + "\n")
