"""``carecast placements`` and ``carecast synth --supply`` through the command line."""

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from carecast import disclosure
from carecast.cli import app

RUNNER = CliRunner()


def _invoke(ws, *args: str):  # type: ignore[no-untyped-def]
    return RUNNER.invoke(app, [*args, "--workspace", str(ws.root)])


def test_demand_json_adds_up_and_hides_small_cells(workspace):
    result = _invoke(workspace, "placements", "demand", "926", "--horizon", "3", "--draws",
                     "200", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    rows = pd.DataFrame(payload["rows"])
    assert payload["source"] == "public" and payload["suppressed_below"] == 5
    assert sorted(rows["period"].unique()) == [2025, 2026, 2027]
    totals = rows[(rows["group"] == "all") & (rows["age_band"] == "all")].set_index("period")
    by_group = rows[(rows["group"] != "all") & (rows["age_band"] == "all")
                    & rows["mean"].notna()].groupby("period")["mean"].sum()
    assert (by_group <= totals["mean"] + 1e-6).all()
    means = rows["mean"].dropna()
    assert not ((means > 0) & (means < 5)).any()
    assert any("Contains public sector information" in s for s in payload["sources"])


def test_demand_table_and_csv(workspace, tmp_path):
    out = tmp_path / "demand.csv"
    result = _invoke(workspace, "placements", "demand", "Norfolk", "--horizon", "2",
                     "--draws", "200", "--csv", str(out))
    assert result.exit_code == 0, result.output
    assert "By type of home" in result.stdout and "By age band" in result.stdout
    written = pd.read_csv(out, comment="#")
    assert {"group", "age_band", "mean", "lo_95", "hi_95"} <= set(written.columns)


def test_synth_supply_load_and_sufficiency(fresh_workspace, tmp_path):
    ws = fresh_workspace
    path = tmp_path / "supply.xlsx"
    made = _invoke(ws, "synth", "--supply", "--council", "926", "--out", str(path))
    assert made.exit_code == 0, made.output
    assert path.exists() and "calibrated to 926" in made.stdout
    loaded = _invoke(ws, "placements", "load-supply", str(path), "--json")
    assert loaded.exit_code == 0, loaded.output
    info = json.loads(loaded.stdout)
    assert info["rows"] > 100 and info["foster_households"] > 0
    supply = json.loads(_invoke(ws, "placements", "supply", "--json").stdout)
    assert {r["provider"] for r in supply} == {"in_house", "agency"}
    result = _invoke(ws, "placements", "sufficiency", "926", "--draws", "200", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["supply_source"] == "register"
    assert set(payload["tables"]) == {"gap", "recruitment", "cost", "out_of_area",
                                      "unit_costs", "summary"}
    xlsx = tmp_path / "sufficiency.xlsx"
    written = _invoke(ws, "placements", "sufficiency", "926", "--draws", "200", "--xlsx",
                      str(xlsx))
    assert written.exit_code == 0, written.output
    sheets = pd.read_excel(xlsx, sheet_name=None)
    assert {"gap", "recruitment", "cost", "About"} <= set(sheets)
    gap, rule = sheets["gap"], disclosure.rule()
    assert not rule.is_small(pd.to_numeric(gap["mean"], errors="coerce").dropna()).any()
    assert (gap.loc[gap["suppressed"], "mean"] == rule.marker).all()
    table = _invoke(ws, "placements", "sufficiency", "926", "--draws", "200", "--no-register")
    assert table.exit_code == 0, table.output
    assert "No supply register is loaded" in " ".join(table.stdout.split())


def test_bad_register_exits_2_naming_file_row_and_column(fresh_workspace, tmp_path: Path):
    bad = tmp_path / "bad.csv"
    bad.write_text("carer_id,type,provider,status,approved_places,occupied_places,vacancies,"
                   "age_min,age_max,postcode_district\nA1,foster,in_house,active,2,1,1,0,17,NR1\n"
                   "A2,foster,in_house,active,2,3,0,0,17,NR1\n", encoding="utf-8")
    result = _invoke(fresh_workspace, "placements", "load-supply", str(bad))
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "bad.csv, row 3, column 'occupied_places'" in text and "Traceback" not in text
    assert not fresh_workspace.has_table("placements_supply")
    missing = _invoke(fresh_workspace, "placements", "supply")
    assert missing.exit_code == 2 and "no supply register" in missing.output


def test_synth_supply_needs_a_council(workspace, tmp_path):
    result = _invoke(workspace, "synth", "--supply", "--out", str(tmp_path / "s.csv"))
    assert result.exit_code == 2 and "--council" in result.output
