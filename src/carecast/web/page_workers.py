"""Page builds in worker processes, so they run beside the event loop, not under its GIL.

A council page takes a few hundred milliseconds of pandas to build. Built in a thread it
competes with the event loop for Python's global lock, and every cached page waits behind
it; in a worker process (each with its own copy of the public data, loaded at start-up
from the same workspace) it uses another core and the loop stays free. ``Build`` names the
builder and its arguments, so it can run here or in a worker alike.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carecast.web import pages
from carecast.web.public import PublicData

_data: PublicData | None = None  # a worker's own public data
PARENT_CHECK_S = 1.0


@dataclass(frozen=True)
class Build:
    """``pages.<page>(data, *args)``: a public page's data, by builder name."""

    page: str
    args: tuple[Any, ...] = ()

    def __call__(self, data: PublicData) -> dict[str, Any]:
        return getattr(pages, self.page)(data, *self.args)


def _start(workspace: str) -> None:
    global _data
    _exit_with(os.getppid())
    _data = PublicData(Path(workspace))


def _exit_with(parent: int) -> None:
    """End this worker when the server that started it is gone, however it ended (even
    ``kill -9``), so no worker outlives its server holding memory."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_S)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _run(build: Build) -> dict[str, Any]:
    assert _data is not None, "the page worker did not start"
    return build(_data)


class PageWorkers:
    """A pool of ``processes`` page workers (spawned, so nothing of this process's threads
    or open files is inherited), started at once so they load while the app starts;
    ``ready()`` waits until every one has its data, so the first page is not a cold load."""

    def __init__(self, workspace: Path, processes: int) -> None:
        self._pool = ProcessPoolExecutor(
            max_workers=processes, mp_context=multiprocessing.get_context("spawn"),
            initializer=_start, initargs=(str(workspace),),
        )
        # Start each worker now; a task runs only after its worker's initializer.
        self._started = [self._pool.submit(int) for _ in range(processes)]

    async def ready(self) -> None:
        await asyncio.gather(*(asyncio.wrap_future(f) for f in self._started))

    async def run(self, build: Build) -> dict[str, Any]:
        return await asyncio.wrap_future(self._pool.submit(_run, build))

    def close(self) -> None:
        """Stop the workers (a build in progress finishes first)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
