"""One fitted baseline for a few councils, shared by the scenario tests."""

from __future__ import annotations

import pytest

from carecast.data.workspace import Workspace
from carecast.scenarios import run


@pytest.fixture(scope="session")
def baseline(workspace: Workspace) -> run.Baseline:
    return run.prepare(workspace, ["336", "307", "926"], draws=200, seed=7)
