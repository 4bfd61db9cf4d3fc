"""Validation: carecast's blocking checks and DfE's rules through the isolated validator."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from carecast.cli import app
from carecast.data.errors import InputError
from carecast.data.ssda903 import synth, synth_writer, validate
from carecast.data.workspace import Workspace

SAMPLES = Path("/work/shared/data/ssda903_samples")
try:
    validate.validator_python()
    HAVE_VALIDATOR = True
except InputError:
    HAVE_VALIDATOR = False
needs_validator = pytest.mark.skipif(not HAVE_VALIDATOR,
                                     reason="run scripts/setup-validator.sh first")


def test_ruleset_for_collection_year() -> None:
    assert validate.ruleset(2024) == "lac2023_24"
    assert validate.ruleset(2025) == "lac2024_25"
    assert validate.ruleset(2018) == "lac2022_23"  # earliest shipped ruleset
    assert validate.ruleset(2031) == "lac2026_27"


def test_missing_validator_says_how_to_create_it(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv(validate.ENV_VAR, str(tmp_path / "nope" / "python"))
    with pytest.raises(InputError, match="setup-validator.sh"):
        validate.validator_python()


def test_blocking_checks_without_dfe(tmp_path: Path) -> None:
    folder = tmp_path / "r"
    folder.mkdir()
    (folder / "header.csv").write_text("CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
                                       "77,1,,WBRI,UN2,,\n")
    (folder / "episodes.csv").write_text(
        "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,"
        "PL_POST,URN\n77,2022-13-01,S,V2,N1,U4,PR1,,,,,,\n,01/05/2022,S,V2,N1,U4,PR1,,,,,,\n")
    result = validate.validate_folder(folder, Workspace.open(tmp_path / "ws"), dfe=False)
    rules = set(result.blocking["rule"])
    assert {"missing_child", "missing_dob", "bad_date"} <= rules
    assert "77" not in result.issues["child"].astype(str).tolist()
    assert result.issues["child"].dropna().str.startswith("c").all()
    cli = CliRunner().invoke(app, ["ssda903", "validate", str(folder), "--no-dfe", "--json",
                                   "--workspace", str(tmp_path / "ws")])
    assert cli.exit_code == 1
    assert json.loads(cli.stdout)["blocking"] == len(result.blocking)


@needs_validator
def test_generated_return_has_no_blocking_dfe_issues(tmp_path: Path) -> None:
    syn = synth.generate(children=800, years=1, seed=3)
    synth_writer.write_returns(syn, tmp_path / "gen")
    result = validate.validate_folder(tmp_path / "gen", Workspace.open(tmp_path / "ws"))
    assert result.blocking.empty
    rules = set(result.issues["rule"])
    # Only the fictitious-postcode rules fire (no real postcodes in synthetic data).
    assert rules <= {"DfE 392c", "DfE 169", "DfE 179", "DfE 1015"}, rules


@needs_validator
@pytest.mark.skipif(not SAMPLES.exists(), reason="shared samples not present")
def test_faulty_sample_reports_errors_without_crashing(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "ws")
    folder = tmp_path / "fake"
    folder.mkdir()
    for path in (SAMPLES / "csc_validator_903_fake").glob("*.csv"):  # the CSV return only
        shutil.copy(path, folder)
    result = validate.validate_folder(folder, ws)
    assert len(result.issues) > 10000
    assert result.issues["rule"].nunique() > 50
    assert result.issues["file"].notna().all()
    issues = result.issues
    episodes = issues[(issues["table"] == "Episodes") & issues["file"].str.endswith(".csv")]
    assert episodes["row"].min() >= 2  # CSV file rows: the header is row 1
    raw = set((SAMPLES / "csc_validator_903_fake" / "header.csv").read_text().split())
    assert not set(result.issues["child"].dropna()) & raw
