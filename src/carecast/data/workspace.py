"""The workspace: a folder holding one DuckDB file with the bundled data and what users add.

Chosen in this order: an explicit path (``--workspace``), ``$CARECAST_WORKSPACE``, then
``./carecast-workspace``. A new workspace is seeded from the bundled Parquet tables, so it
works with no network and no source files. Every change goes through :meth:`Workspace.change`,
one DuckDB transaction: a failure rolls back and leaves the file as it was.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

from carecast.data import bundled

DEFAULT_DIR = "carecast-workspace"
DB_NAME = "carecast.duckdb"
ENV_VAR = "CARECAST_WORKSPACE"


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

    @classmethod
    def open(cls, path: str | Path | None = None) -> Workspace:
        """Open the workspace, creating and seeding it on first use."""
        ws = cls(resolve(path))
        if not ws.db_path.exists():
            ws._create()
        elif ws._bundled_version() != bundled.version():
            ws._refresh_bundled()
        return ws

    def _bundled_version(self) -> str | None:
        with self.connect(read_only=True) as con:
            row = con.execute("SELECT value FROM meta WHERE key = 'bundled_version'").fetchone()
        return row[0] if row else None

    def _refresh_bundled(self) -> None:
        """Replace the bundled tables after a package upgrade; users' own tables stay."""
        with self.change() as con:
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
        self.root.mkdir(parents=True, exist_ok=True)
        partial = self.db_path.with_suffix(".duckdb.partial")
        partial.unlink(missing_ok=True)
        con = duckdb.connect(str(partial))
        try:
            self._load_bundled(con)
            con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
            con.execute("INSERT INTO meta VALUES ('bundled_version', ?)", [bundled.version()])
        finally:
            con.close()
        partial.rename(self.db_path)

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        con = duckdb.connect(str(self.db_path), read_only=read_only)
        try:
            yield con
        finally:
            con.close()

    @contextmanager
    def change(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection inside one transaction: committed on success, rolled back on error."""
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def secret(self, name: str) -> bytes:
        """A per-workspace secret (32 random bytes, owner-only file), made on first use.

        Keys pseudonyms of children and signs web sessions; it never leaves the workspace.
        """
        path = self.root / name
        if not path.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(secrets.token_bytes(32))
        return path.read_bytes()

    def has_table(self, name: str) -> bool:
        with self.connect(read_only=True) as con:
            found = con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
            ).fetchone()
        return bool(found and found[0])

    def query(self, sql: str, params: list[object] | None = None) -> pd.DataFrame:
        """Run a read-only query and return a DataFrame."""
        with self.connect(read_only=True) as con:
            return con.execute(sql, params or []).df()
