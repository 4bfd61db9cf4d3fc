"""Run independent tasks (origins, scenarios, draw chunks) locally or on a Dask cluster.

``run_tasks(func, items)`` keeps results in input order. Without a scheduler, few items
run in-process and more in a local process pool; with ``scheduler="tcp://host:8786"`` (or
a ``distributed.Client``) they run on that Dask cluster. ``func`` must be picklable (a
module-level function).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def run_tasks(func: Callable[[T], R], items: Sequence[T], scheduler: Any = None,
              max_workers: int | None = None) -> list[R]:
    """Apply ``func`` to each item; local processes by default, Dask when asked."""
    items = list(items)
    if scheduler is not None:
        from distributed import Client

        client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
        try:
            return client.gather(client.map(func, items, pure=False))
        finally:
            if client is not scheduler:
                client.close()
    workers = min(max_workers or os.cpu_count() or 1, len(items))
    if workers <= 1:
        return [func(item) for item in items]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(func, items))
