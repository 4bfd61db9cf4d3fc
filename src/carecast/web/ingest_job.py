"""The upload form's ingest, run in a child process (``data.ssda903.ingest_process``) so
the server's memory stays flat whatever the size of the returns, and awaited without
holding a worker thread."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from carecast.service.ssda903 import ingest_process


async def run(folder: Path, workspace: Path) -> int:
    """Ingest ``folder`` into ``workspace``; returns the files read, or raises the child's
    InputError (or WorkspaceBusy) as if it had been raised here."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", ingest_process.__name__, str(folder), str(workspace),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,  # a traceback could quote records: never kept
    )
    out, _ = await process.communicate()
    try:
        reply = json.loads(out.decode("utf-8").strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise RuntimeError(f"the ingest process ended with code {process.returncode}") from None
    return ingest_process.raise_for(reply)
