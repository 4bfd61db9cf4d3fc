"""The workspace under concurrent use: readers and one writer at once, a clear message for
a second writer, nothing half-written after kill -9, owner-only files."""

from __future__ import annotations

import hashlib
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from carecast.data import lock
from carecast.data.errors import InputError, WorkspaceBusy
from carecast.data.ssda903 import store, synth, synth_writer
from carecast.data.workspace import LOCK_NAME, Workspace

INGEST = "from carecast.cli import main; main()"


@pytest.fixture(scope="module")
def returns(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two synthetic return folders of different sizes (the second replaces the first)."""
    small, large = tmp_path_factory.mktemp("small"), tmp_path_factory.mktemp("large")
    synth_writer.write_returns(synth.generate(children=400, years=2, seed=1), small)
    synth_writer.write_returns(synth.generate(children=6000, years=3, seed=2), large)
    return small, large


def episodes(ws: Workspace) -> int:
    return int(ws.query("SELECT count(*) AS n FROM ssda903_episodes")["n"].iloc[0])


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cli_ingest(folder: Path, ws: Workspace) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", INGEST, "ssda903", "ingest", str(folder), "--workspace",
         str(ws.root)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_reader_keeps_its_state_while_a_writer_swaps_in_the_next(returns, tmp_path) -> None:
    small, large = returns
    ws = Workspace.open(tmp_path / "ws")
    store.ingest(small, ws)
    before = episodes(ws)
    with ws.snapshot() as view:
        store.ingest(large, ws)  # a writer while a read-only connection is open
        assert episodes(view) == before
    assert episodes(ws) > before


def test_a_second_writer_is_told_the_workspace_is_busy(returns, tmp_path) -> None:
    small, _ = returns
    ws = Workspace.open(tmp_path / "ws")
    unchanged = digest(ws.db_path)
    with lock.exclusive(ws.root / LOCK_NAME, "SSDA903 ingest"), \
            pytest.raises(WorkspaceBusy, match="busy.*SSDA903 ingest, process"):
        store.ingest(small, ws)
    assert digest(ws.db_path) == unchanged
    store.ingest(small, ws)  # the lock is released with its holder
    assert episodes(ws) > 0


def test_cli_ingest_while_another_process_reads(returns, tmp_path) -> None:
    """Reads in this process never fail while a CLI ingest writes, and the CLI is never
    refused because of them."""
    small, large = returns
    ws = Workspace.open(tmp_path / "ws")
    store.ingest(small, ws)
    first = episodes(ws)
    seen: set[int] = set()
    process = cli_ingest(large, ws)
    while process.poll() is None:
        seen.add(episodes(ws))
    out, err = process.communicate()
    assert process.returncode == 0, err
    seen.add(episodes(ws))
    assert first in seen and max(seen) > first and len(seen) == 2


def held(ws: Workspace, process: subprocess.Popen) -> bool:
    """Whether ``process`` holds the writer lock, read from the holder's note in the lock
    file (probing by taking the lock would make the writer find it busy)."""
    try:
        note = (ws.root / LOCK_NAME).read_text(encoding="utf-8")
    except FileNotFoundError:
        return False
    return f"process {process.pid}," in note


@pytest.mark.slow
def test_kill_9_mid_change_leaves_a_whole_state(returns, tmp_path) -> None:
    """Killed at several points while it holds the writer lock (reading, writing the copy,
    publishing it), a writer leaves the previous file untouched, or its complete result if
    it had already swapped it in; the next writer is not hindered by what it left."""
    small, large = returns
    reference = Workspace.open(tmp_path / "reference")
    started = time.monotonic()
    store.ingest(large, reference)
    whole = time.monotonic() - started
    complete = episodes(reference)
    ws = Workspace.open(tmp_path / "ws")
    store.ingest(small, ws)
    for fraction in (0.1, 0.5, 0.9, 1.1):
        before = digest(ws.db_path)
        process = cli_ingest(large, ws)
        while not held(ws, process):
            assert process.poll() is None, process.communicate()
            time.sleep(0.005)
        time.sleep(fraction * whole)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        if digest(ws.db_path) != before:  # killed after the swap: the new state is whole
            assert episodes(Workspace.open(ws.root)) == complete
            store.ingest(small, ws)
    store.ingest(large, ws)
    assert episodes(ws) == complete
    assert not list(ws.root.glob("*.next*"))


def test_bad_input_leaves_the_file_byte_identical(returns, tmp_path) -> None:
    small, _ = returns
    ws = Workspace.open(tmp_path / "ws")
    store.ingest(small, ws)
    before = digest(ws.db_path)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "episodes.csv").write_text("CHILD,DECOM\n1,2\n")
    with pytest.raises(InputError):
        store.ingest(bad, ws)
    assert digest(ws.db_path) == before
    assert sorted(p.name for p in ws.root.iterdir()) == ["carecast.duckdb", LOCK_NAME,
                                                          "secret.key"]


def test_files_are_owner_only(returns, tmp_path) -> None:
    ws = Workspace.open(tmp_path / "new")
    store.ingest(returns[0], ws)
    assert stat.S_IMODE(ws.root.stat().st_mode) == 0o700
    for path in ws.root.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    ws.db_path.chmod(0o644)  # a workspace made by an older version
    Workspace.open(ws.root)
    assert stat.S_IMODE(ws.db_path.stat().st_mode) == 0o600


def test_processes_starting_at_once_agree_on_one_secret(tmp_path) -> None:
    root = tmp_path / "ws"
    got: list[bytes] = []
    threads = [threading.Thread(target=lambda: got.append(Workspace(root).secret("s.key")))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(got) == 8 and len(set(got)) == 1 and len(got[0]) == 32
