"""Run independent tasks (origins, scenarios, draw chunks) locally or on a Dask cluster.

``run_tasks(func, items)`` keeps results in input order. Without a scheduler, few items
run in-process and more in a local process pool; with ``scheduler="tcp://host:8786"`` (or
a ``distributed.Client``) they run on that Dask cluster. ``func`` must be picklable (a
module-level function). ``on_done`` is called in the caller's process as each item
finishes, in any order (a progress bar's tick).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def run_tasks(func: Callable[[T], R], items: Sequence[T], scheduler: Any = None,
              max_workers: int | None = None,
              on_done: Callable[[], None] | None = None) -> list[R]:
    """Apply ``func`` to each item; local processes by default, Dask when asked."""
    items = list(items)
    tick = on_done or (lambda: None)
    if scheduler is not None:
        from distributed import Client
        from distributed import as_completed as dask_completed

        client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
        try:
            futures = client.map(func, items, pure=False)
            for _ in dask_completed(futures):
                tick()
            return client.gather(futures)
        finally:
            if client is not scheduler:
                client.close()
    workers = min(max_workers or os.cpu_count() or 1, len(items))
    if workers <= 1:
        out = []
        for item in items:
            out.append(func(item))
            tick()
        return out
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(func, item) for item in items]
        for _ in as_completed(futures):
            tick()
        return [f.result() for f in futures]
