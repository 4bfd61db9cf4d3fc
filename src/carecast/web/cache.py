"""The per-app cache of built public pages and their rendered HTML.

Three rules keep pages fast under load and the cache from being abused:

- Builds never run on the event loop, so a cold page does not hold up requests that are
  already cached or cheap: a page's data (a :class:`~.page_workers.Build`) is built in a
  page worker process when the app has them (``Settings.page_workers``), else in a worker
  thread; rendering runs in worker threads (at most ``builders`` at once).
- One build per key at a time: twenty visitors asking for the same cold page wait for one
  build instead of starting twenty.
- Entries are bounded per kind (the first item of a key: ``council``, ``compare``, ...), least
  recently used first out, so a flood of one kind (every pair of councils to compare)
  cannot evict the others. Keys are built from validated parameters only.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Any, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter

from carecast.web.page_workers import Build, PageWorkers
from carecast.web.public import PublicData

T = TypeVar("T")
Key = tuple[Hashable, ...]
LIMITS = {"council": 400, "home": 1000, "compare": 300, "sources": 4, "councils": 1,
          "report-pdf": 200}
"""Entries kept per kind: every council (plus room), every indicator and year, the most
recent comparisons, every council's PDF pack. Rendered HTML and JSON (keys ``("html" |
"json", kind, ...)``) have the same limits."""
RENDERED = ("html", "json")
DEFAULT_LIMIT = 100


class PageCache:
    """Built values by key; see the module docstring for the rules."""

    def __init__(self, data: PublicData, *, workers: PageWorkers | None = None,
                 builders: int = 2, limits: dict[str, int] | None = None) -> None:
        self.data = data
        self.workers = workers
        self.builders = builders
        self.limits = dict(LIMITS if limits is None else limits)
        self._entries: dict[str, OrderedDict[Key, Any]] = {}
        self._building: dict[Key, asyncio.Lock] = {}
        self._limiter: CapacityLimiter | None = None

    def _kind(self, key: Key) -> str:
        return "/".join(str(k) for k in key[:2]) if key[0] in RENDERED else str(key[0])

    def _limit(self, kind: str) -> int:
        return self.limits.get(kind.split("/")[-1], DEFAULT_LIMIT)

    def peek(self, key: Key) -> Any | None:
        entries = self._entries.get(self._kind(key))
        if entries is None or key not in entries:
            return None
        entries.move_to_end(key)
        return entries[key]

    def __iter__(self) -> Iterator[Key]:
        return iter([k for entries in self._entries.values() for k in entries])

    def __len__(self) -> int:
        return sum(len(entries) for entries in self._entries.values())

    async def get(self, key: Key, build: Build | Callable[[], T]) -> T:
        """The cached value, else built off the event loop and kept."""
        found = self.peek(key)
        if found is not None:
            return found
        lock = self._building.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                found = self.peek(key)  # built while this request waited
                if found is not None:
                    return found
                value = await self._build(build)
                self._keep(key, value)
                return value
        finally:
            if not lock.locked():
                self._building.pop(key, None)

    async def _build(self, build: Build | Callable[[], T]) -> Any:
        if isinstance(build, Build):
            if self.workers is not None:
                return await self.workers.run(build)
            return await self._in_thread(lambda: build(self.data))
        return await self._in_thread(build)

    async def _in_thread(self, build: Callable[[], T]) -> T:
        if self._limiter is None:  # made inside the event loop that uses it
            self._limiter = CapacityLimiter(self.builders)
        return await anyio.to_thread.run_sync(build, limiter=self._limiter)

    def _keep(self, key: Key, value: Any) -> None:
        kind = self._kind(key)
        entries = self._entries.setdefault(kind, OrderedDict())
        entries[key] = value
        while len(entries) > self._limit(kind):
            entries.popitem(last=False)
