"""Shared fixtures: a workspace seeded from the bundled data in a temporary folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from carecast.data.workspace import Workspace

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "public"


@pytest.fixture(scope="session")
def _seed_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("seed") / "ws"
    Workspace.open(root)
    return root


@pytest.fixture(scope="session")
def workspace(_seed_workspace: Path) -> Workspace:
    """A read-mostly workspace shared by the session; do not change it in tests."""
    return Workspace.open(_seed_workspace)


@pytest.fixture()
def fresh_workspace(_seed_workspace: Path, tmp_path: Path) -> Workspace:
    """A private copy of the seeded workspace that a test may change."""
    root = tmp_path / "ws"
    shutil.copytree(_seed_workspace, root)
    return Workspace.open(root)


@pytest.fixture(scope="session")
def shared_public() -> Path:
    """The public source data beside the repository (as on a developer machine and in CI)."""
    if not SHARED.exists():
        pytest.fail(f"source data not found at {SHARED}")
    return SHARED


@pytest.fixture(scope="session")
def pack_national(workspace: Workspace):  # type: ignore[no-untyped-def]
    """The national figures every briefing pack shares (200 draws, to keep tests quick;
    the published accuracy is the default model's own)."""
    from carecast.service import report

    return report.national(workspace, draws=200)
