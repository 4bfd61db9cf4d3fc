"""Fitted baselines shared by the scenario tests: a few councils (council level) and a
synthetic council's ingested 903 records (record level)."""

from __future__ import annotations

import pytest

from carecast.data.ssda903 import store, synth, synth_writer
from carecast.data.workspace import Workspace
from carecast.scenarios import records, run


@pytest.fixture(scope="session")
def baseline(workspace: Workspace) -> run.Baseline:
    return run.prepare(workspace, ["336", "307", "926"], draws=200, seed=7)


@pytest.fixture(scope="session")
def records_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """500 synthetic children over 3 returns, ingested into a fresh workspace."""
    root = tmp_path_factory.mktemp("records")
    synth_writer.write_returns(synth.generate(children=500, years=3, seed=3), root / "returns")
    ws = Workspace.open(root / "ws")
    store.ingest(root / "returns", ws)
    return ws


@pytest.fixture(scope="session")
def record_baseline(records_ws: Workspace) -> records.RecordBaseline:
    return records.prepare(store.load_episodes(records_ws), draws=60, seed=5)
