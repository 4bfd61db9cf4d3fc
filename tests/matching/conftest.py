"""Fixtures: a workspace holding a synthetic Norfolk register and synthetic referrals."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from carecast.data.workspace import Workspace
from carecast.placements import register, synth_referrals, synth_supply

COUNCIL = "926"


@pytest.fixture(scope="session")
def referral_frame():
    return synth_referrals.generate(COUNCIL, 160, seed=4)


@pytest.fixture(scope="session")
def files(workspace: Workspace, referral_frame, tmp_path_factory: pytest.TempPathFactory
          ) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("matching")
    supply = synth_supply.write(synth_supply.generate(workspace, COUNCIL, seed=2),
                                folder / "supply.csv")
    return supply, synth_referrals.write(referral_frame, folder / "referrals.csv")


@pytest.fixture()
def ws(_seed_workspace: Path, files, tmp_path: Path) -> Workspace:
    """A fresh workspace with the register and referrals loaded."""
    from carecast.placements import referrals

    root = tmp_path / "ws"
    shutil.copytree(_seed_workspace, root)
    w = Workspace.open(root)
    register.load_file(files[0], w)
    referrals.load_file(files[1], w)
    return w
