"""The workspace's writer lock: one change at a time across every process on the machine.

An advisory ``flock`` on a file in the workspace, so the kernel drops it when its holder
exits or is killed (no stale locks after ``kill -9``). The holder writes what it is doing
into the file, so a refused writer can say who is busy and since when.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from carecast.data.errors import WorkspaceBusy

POLL_S = 0.1


def _holder(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        return ""
    return f" ({text})" if text else ""


@contextmanager
def exclusive(path: Path, what: str, *, wait_s: float = 0.0) -> Iterator[None]:
    """Hold the lock at ``path`` while the block runs; waits up to ``wait_s`` seconds for a
    current holder to finish, then raises :class:`WorkspaceBusy` naming it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WorkspaceBusy(
                        "the workspace is busy: another change is being written"
                        f"{_holder(path)}; try again when it has finished"
                    ) from None
                time.sleep(POLL_S)
        since = dt.datetime.now(dt.UTC).strftime("%H:%M:%S UTC")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{what}, process {os.getpid()}, since {since}".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
