"""Fixtures: demand drawn once per module, a synthetic register, a workspace with 903 data."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from carecast.data.ssda903 import store, synth, synth_writer, targets
from carecast.data.workspace import Workspace
from carecast.placements import demand, synth_supply

# A mix unlike England's, so recovering it is a test of the record-level route.
PLANTED = {
    "Foster placements": 0.55,
    "Independent and semi-independent living arrangements/supported accommodation": 0.12,
    "Other placements": 0.02,
    "Other residential settings": 0.01,
    "Placed for adoption": 0.04,
    "Placed with parents or other person with parental responsibility": 0.06,
    "Residential schools": 0.0,
    "Secure homes and children's homes": 0.20,
}


@pytest.fixture(scope="session")
def all_demand(workspace: Workspace) -> demand.Demand:
    """Every council's public demand, 300 draws (tests need shape, not precision)."""
    return demand.public(workspace, horizon=4, draws=300, seed=5)


@pytest.fixture(scope="session")
def planted_returns(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, synth.Synthetic]:
    tg = dataclasses.replace(targets.load(None), placement=PLANTED)
    syn = synth.generate(children=4000, years=5, seed=3, targets=tg)
    out = tmp_path_factory.mktemp("planted") / "returns"
    synth_writer.write_returns(syn, out, "csv")
    return out, syn


@pytest.fixture(scope="module")
def ws_903(_seed_workspace: Path, tmp_path_factory: pytest.TempPathFactory,
           planted_returns: tuple[Path, synth.Synthetic]) -> Workspace:
    """A workspace holding the planted synthetic 903 returns."""
    root = tmp_path_factory.mktemp("ws903") / "ws"
    shutil.copytree(_seed_workspace, root)
    ws = Workspace.open(root)
    store.ingest(planted_returns[0], ws)
    return ws


@pytest.fixture(scope="session")
def register_csv(workspace: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic register for Norfolk (926) as CSV."""
    path = tmp_path_factory.mktemp("register") / "supply.csv"
    return synth_supply.write(synth_supply.generate(workspace, "926", seed=2), path)
