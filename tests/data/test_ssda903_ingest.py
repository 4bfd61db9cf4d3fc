"""Ingest of SSDA903 returns: samples, round trip with the generator, privacy, atomicity."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from carecast.data.ssda903 import store, summary, synth, synth_writer
from carecast.data.ssda903.pseudonymise import SECRET_FILE
from carecast.data.workspace import Workspace

SAMPLES = Path("/work/shared/data/ssda903_samples")
needs_samples = pytest.mark.skipif(not SAMPLES.exists(), reason="shared samples not present")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[synth.Synthetic, Path]:
    syn = synth.generate(children=1500, years=3, seed=7)
    out = tmp_path_factory.mktemp("synth")
    synth_writer.write_returns(syn, out)
    return syn, out


def test_round_trip_reproduces_generator_counts(generated, tmp_path: Path) -> None:
    syn, out = generated
    ws = Workspace.open(tmp_path / "ws")
    store.ingest(out, ws)
    mine = summary.counts(syn.episodes, syn.years)
    theirs = summary.counts(store.load_episodes(ws), syn.years)
    for name in ("stock", "starts", "ceased", "stock_by_category", "stock_by_dfe_group"):
        pd.testing.assert_frame_equal(
            mine[name].reset_index(drop=True), theirs[name].reset_index(drop=True),
            check_dtype=False, obj=name,
        )
    periods = store.load_periods(ws)
    assert periods["child"].nunique() == syn.episodes["child"].nunique()


def test_child_ids_are_pseudonymised_and_postcodes_cut(generated, tmp_path: Path) -> None:
    syn, out = generated
    ws = Workspace.open(tmp_path / "ws")
    store.ingest(out, ws)
    eps = store.load_episodes(ws)
    raw_ids = set(syn.episodes["child"])
    assert not raw_ids & set(eps["child"])
    assert eps["child"].str.fullmatch(r"c[0-9a-f]{16}").all()
    assert not eps["home_district"].dropna().str.contains(" ").any()
    assert (tmp_path / "ws" / SECRET_FILE).stat().st_mode & 0o777 == 0o600
    with ws.connect() as con:
        for (table,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'ssda903%'"
        ).fetchall():
            text = con.execute(f'SELECT * FROM "{table}"').df().astype(str).to_csv()
            assert not any(f",{child}," in text for child in list(raw_ids)[:200])


def test_xml_returns_ingest_like_csv(generated, tmp_path: Path) -> None:
    syn, _ = generated
    synth_writer.write_returns(syn, tmp_path / "xml", "xml")
    ws = Workspace.open(tmp_path / "ws")
    store.ingest(tmp_path / "xml", ws)
    got = summary.counts(store.load_episodes(ws), syn.years)["stock"]
    want = summary.counts(syn.episodes, syn.years)["stock"]
    assert got["count"].tolist() == want["count"].tolist()


@needs_samples
@pytest.mark.parametrize("name", ["cs_demand_model_combined", "csc_validator_903_fake"])
def test_samples_ingest(name: str, tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "ws")
    result = store.ingest(SAMPLES / name, ws)
    eps = store.load_episodes(ws)
    assert len(eps) == result.summary()["episodes"] > 400
    # De-duplication: one row per (child, DECOM) across overlapping years.
    assert not eps.duplicated(["child", "decom"]).any()
    # Repairs: no episode ends after the next one starts.
    same = eps["child"].eq(eps["child"].shift(-1))
    assert not (same & (eps["dec"] > eps["decom"].shift(-1))).any()


@needs_samples
def test_combined_sample_years_and_sex_harmonised(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "ws")
    result = store.ingest(SAMPLES / "cs_demand_model_combined", ws)
    assert [r.year for r in result.returns] == [2018, 2019, 2020, 2021, 2022]
    assert set(store.load_header(ws)["sex"]) <= {"M", "F", "U"}


def test_failed_ingest_leaves_previous_state(generated, tmp_path: Path) -> None:
    syn, out = generated
    ws = Workspace.open(tmp_path / "ws")
    store.ingest(out, ws)
    before = store.load_episodes(ws)
    smaller = tmp_path / "smaller"
    shutil.copytree(out / sorted(p.name for p in out.iterdir())[0], smaller / "one")
    result = store.prepare(smaller, ws)
    # A table DuckDB cannot store, written after episodes and periods were replaced.
    result.records.uasc = pd.DataFrame({"child": [1 + 2j]})
    with pytest.raises(Exception):  # noqa: B017 - any failure mid-transaction
        store.write(ws, result, "smaller")
    pd.testing.assert_frame_equal(store.load_episodes(ws), before)
    assert len(ws.query("SELECT * FROM ssda903_ingests")) == 1


@pytest.mark.parametrize("fmt", ["csv", "xml"])
def test_generated_uasc_rows_are_ingested(generated, tmp_path: Path, fmt: str) -> None:
    syn, _ = generated
    out = tmp_path / "returns"
    synth_writer.write_returns(syn, out, fmt=fmt, uasc=True)
    ws = Workspace.open(tmp_path / "ws")
    store.ingest(out, ws)
    uasc = ws.query("SELECT * FROM ssda903_uasc")
    assert len(uasc) == int(syn.header["uasc"].sum()) > 0
    assert uasc["child"].str.fullmatch(r"c[0-9a-f]{16}").all()
    header = store.load_header(ws).drop_duplicates("child").set_index("child")
    dob = header.loc[uasc["child"], "dob"].to_numpy()
    assert (pd.DatetimeIndex(uasc["duc"]).year - pd.DatetimeIndex(dob).year == 18).all()
