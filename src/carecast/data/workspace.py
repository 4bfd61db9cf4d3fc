"""The workspace: a folder holding one DuckDB file with the bundled data and what users add.

Chosen in this order: an explicit path (``--workspace``), ``$CARECAST_WORKSPACE``, then
``./carecast-workspace``. A new workspace is seeded from the bundled Parquet tables, so it
works with no network and no source files.

Access model: any number of readers and one writer at once, across processes. Readers open
the file read-only. :meth:`Workspace.change` holds the writer lock (``data.lock``), writes
into a copy of the file and swaps the copy in with one atomic rename, so readers keep
reading the previous state until the new one is complete, a failure or ``kill -9`` leaves
the file as it was, and a second writer is told the workspace is busy. The folder is made
owner-only (0700) and its database and secrets are 0600: they hold children's records.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb
import pandas as pd

from carecast.data import bundled, lock

DEFAULT_DIR = "carecast-workspace"
DB_NAME = "carecast.duckdb"
ENV_VAR = "CARECAST_WORKSPACE"
LOCK_NAME = "carecast.lock"
NEXT_SUFFIX = ".duckdb.next"
COPY_CHUNK = 1024 * 1024
SETUP_WAIT_S = 120.0
"""How long opening a workspace waits for another process creating or upgrading it."""


def resolve(path: str | Path | None = None) -> Path:
    """The workspace folder to use, by flag, then environment, then default."""
    if path:
        return Path(path)
    return Path(os.environ.get(ENV_VAR) or DEFAULT_DIR)


class Workspace:
    """A workspace folder; create or open it with :meth:`open`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.db_path = root / DB_NAME
        self._held: duckdb.DuckDBPyConnection | None = None

    @classmethod
    def open(cls, path: str | Path | None = None) -> Workspace:
        """Open the workspace, creating and seeding it on first use."""
        ws = cls(resolve(path))
        if not ws.db_path.exists():
            ws._create()
        elif ws._bundled_version() != bundled.version():
            ws._refresh_bundled()
        private(ws.db_path)
        return ws

    def _bundled_version(self) -> str | None:
        return self.setting("bundled_version")

    def _refresh_bundled(self) -> None:
        """Replace the bundled tables after a package upgrade; users' own tables stay."""
        with self.change("bundled data upgrade", wait_s=SETUP_WAIT_S) as con:
            row = con.execute("SELECT value FROM meta WHERE key = 'bundled_version'").fetchone()
            if row and row[0] == bundled.version():
                return  # another process upgraded it while this one waited
            self._load_bundled(con)
            con.execute(
                "UPDATE meta SET value = ? WHERE key = 'bundled_version'", [bundled.version()]
            )

    @staticmethod
    def _load_bundled(con: duckdb.DuckDBPyConnection) -> None:
        for name in bundled.table_names():
            frame = bundled.read_table(name)  # noqa: F841 - referenced by DuckDB by name
            con.execute(f'CREATE OR REPLACE TABLE "bundled_{name}" AS SELECT * FROM frame')

    def _create(self) -> None:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        with self._writer("workspace creation", wait_s=SETUP_WAIT_S):
            if self.db_path.exists():
                return  # another process created it while this one waited
            work = self._work_file()
            con = duckdb.connect(str(work))
            private(work)  # before any data is in it (DuckDB makes the file itself)
            try:
                self._load_bundled(con)
                con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
                con.execute("INSERT INTO meta VALUES ('bundled_version', ?)", [bundled.version()])
            finally:
                con.close()
            self._publish(work)

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection: it sees the state at the time it opened, never a change
        in progress, and never blocks or is blocked by a writer."""
        if self._held is not None:
            yield self._held
            return
        con = duckdb.connect(str(self.db_path), read_only=True)
        try:
            yield con
        finally:
            con.close()

    @contextmanager
    def snapshot(self) -> Iterator[Workspace]:
        """This workspace as one consistent state: every read in the block sees the same
        file, even if a writer swaps in a new one meanwhile (a page's tables then agree)."""
        view = Workspace(self.root)
        with duckdb.connect(str(self.db_path), read_only=True) as con:
            view._held = con
            yield view

    @contextmanager
    def change(
        self, what: str = "a change", *, wait_s: float = 0.0
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A writable connection to a copy of the workspace, swapped in atomically when the
        block succeeds and thrown away when it raises.

        Raises :class:`~carecast.data.errors.WorkspaceBusy` (after ``wait_s`` seconds) when
        another process is changing the workspace; ``what`` is shown to such a process.
        """
        with self._writer(what, wait_s=wait_s):
            work = self._work_file()
            fd = os.open(work, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out, self.db_path.open("rb") as current:
                shutil.copyfileobj(current, out, COPY_CHUNK)
            con = duckdb.connect(str(work))
            try:
                con.execute("BEGIN TRANSACTION")
                yield con
                con.execute("COMMIT")
            except BaseException:
                con.close()
                self._discard(work)
                raise
            con.close()
            self._publish(work)

    @contextmanager
    def _writer(self, what: str, *, wait_s: float) -> Iterator[None]:
        with lock.exclusive(self.root / LOCK_NAME, what, wait_s=wait_s):
            yield

    def _work_file(self) -> Path:
        """Where the next state is written; a leftover from a killed writer is removed."""
        work = self.db_path.with_suffix(NEXT_SUFFIX)
        self._discard(work)
        return work

    @staticmethod
    def _discard(work: Path) -> None:
        work.unlink(missing_ok=True)
        Path(f"{work}.wal").unlink(missing_ok=True)

    def _publish(self, work: Path) -> None:
        """Make the written state durable, then the workspace's, in one rename."""
        private(work)
        with work.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(work, self.db_path)
        folder = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)

    def secret(self, name: str) -> bytes:
        """A per-workspace secret (32 random bytes, owner-only file), made on first use.

        Keys pseudonyms of children and signs web sessions; it never leaves the workspace.
        Written to a temporary file and linked into place, so processes starting at once
        agree on one secret and none reads a half-written file.
        """
        path = self.root / name
        if not path.exists():
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-")  # 0600
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(secrets.token_bytes(32))
                with suppress(FileExistsError):  # another process made it first: use theirs
                    os.link(tmp, path)
            finally:
                os.unlink(tmp)
        return path.read_bytes()

    def setting(self, key: str) -> str | None:
        """A workspace-wide setting (the ``meta`` table), or None when it was never set."""
        with self.connect() as con:
            row = con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def set_setting(self, key: str, value: str) -> None:
        with self.change(f"setting {key}") as con:
            con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])

    def has_table(self, name: str) -> bool:
        with self.connect() as con:
            found = con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
            ).fetchone()
        return bool(found and found[0])

    def query(self, sql: str, params: list[object] | None = None) -> pd.DataFrame:
        """Run a read-only query and return a DataFrame."""
        with self.connect() as con:
            return con.execute(sql, params or []).df()


def private(path: Path) -> None:
    """Owner-only access (0600) to a file of the workspace, tightening older workspaces."""
    if path.exists() and path.stat().st_mode & 0o077 and path.stat().st_uid == os.getuid():
        path.chmod(0o600)

