"""Choosing the drivers specification honestly: nested cross-validation, positive intervals,
collinearity, flagged carried values, the caveat, and the workforce terms' gain."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from carecast.benchmark import drivers, drivers_cv
from carecast.cli import app

runner = CliRunner()


def _noise_frame(n: int = 120, k: int = 15, seed: int = 0) -> tuple[dict, np.ndarray]:
    rng = np.random.default_rng(seed)
    actual = np.exp(rng.normal(4, 0.3, n))
    frame = pd.DataFrame({f"x{i}": rng.normal(size=n) for i in range(k)})
    designs = {f"x{i}": drivers_cv.design(frame, [f"x{i}"], False) for i in range(k)}
    return designs, actual


def test_nested_cv_does_not_reward_picking_the_luckiest_specification():
    designs, actual = _noise_frame()
    plain = {name: np.mean(drivers_cv.cv_runs(x, actual, True, 10, 3, 0))
             for name, x in designs.items()}
    nested = drivers_cv.nested_cv(designs, actual, True, 10, 10, 3, 0)
    # Noise drivers: the best plain score is flattered by selection; nested is not.
    assert nested.r2 < max(plain.values())
    assert nested.r2 < 0.01
    assert sum(nested.choices.values()) == 30


def test_nested_cv_recovers_a_real_driver():
    rng = np.random.default_rng(1)
    n = 150
    frame = pd.DataFrame({"real": rng.normal(size=n), "noise": rng.normal(size=n)})
    actual = np.exp(3 + 0.5 * frame["real"].to_numpy() + rng.normal(0, 0.2, n))
    designs = {k: drivers_cv.design(frame, [k], False) for k in ("noise", "real")}
    nested = drivers_cv.nested_cv(designs, actual, True, 10, 10, 2, 0)
    assert nested.choices == {"real": 20}
    assert nested.r2 > 0.7


def test_paired_gain_finds_a_useful_term_and_not_a_useless_one():
    rng = np.random.default_rng(2)
    n = 150
    frame = pd.DataFrame({"base": rng.normal(size=n), "useful": rng.normal(size=n),
                          "useless": rng.normal(size=n)})
    actual = np.exp(3 + 0.4 * frame["base"] + 0.3 * frame["useful"] + rng.normal(0, 0.2, n))
    base = drivers_cv.design(frame, ["base"], False)
    good = drivers_cv.paired_gain(base, drivers_cv.design(frame, ["base", "useful"], False),
                                  actual.to_numpy(), True, 10, 5, 0)
    bad = drivers_cv.paired_gain(base, drivers_cv.design(frame, ["base", "useless"], False),
                                 actual.to_numpy(), True, 10, 5, 0)
    assert good["gain_min"] > 0.1
    assert bad["gain"] < 0.01 and bad["share_of_repeats_improved"] < 1


def test_vif_flags_collinear_drivers():
    rng = np.random.default_rng(4)
    x1 = rng.normal(size=100)
    frame = pd.DataFrame({"x1": x1, "x2": x1 + rng.normal(0, 0.1, 100),
                          "x3": rng.normal(size=100)})
    frame["actual"] = np.exp(1 + frame["x1"] * 0.2 + rng.normal(0, 0.1, 100))
    model = drivers.DriversModel(drivers=["x1", "x2", "x3"], log_target=True, folds=5,
                                 repeats=1).fit(frame)
    assert model.vif_["x1"] > 50 and model.vif_["x2"] > 50
    assert model.vif_["x3"] < 1.5


@pytest.mark.parametrize("target", ["cla_rate", "cin_rate", "cpp_rate", "spend_per_child"])
def test_real_models_are_chosen_by_nested_cv_with_positive_intervals(workspace, target):
    _, summary = drivers.run(workspace, target)
    assert summary["log_target"] is True
    assert summary["specification"] in {c["name"] for c in summary["candidates"]}
    best = max(summary["candidates"], key=lambda c: c["cv_r2"])
    assert best["name"] == summary["specification"]
    assert summary["nested_cv_r2"] <= best["cv_r2"] + 1e-9
    lower = [r["lower"] for r in summary["councils_table"]]
    assert min(lower) > 0
    terms = {v["term"] for v in summary["vif"]}
    assert set(summary["drivers"]) <= terms
    assert "Correlation, not cause" in summary["caveat"]


def test_cumbria_and_northamptonshire_values_are_flagged(workspace):
    _, summary = drivers.run(workspace, "cla_rate")
    carried = {c["code"]: c["terms"] for c in summary["carried"]}
    for code in ("942", "943", "940", "941"):
        assert "idaci" in carried[code]
    assert "926" not in carried
    row = next(r for r in summary["councils_table"] if r["code"] == "942")
    assert "idaci" in row["carried"]


def test_drivers_cli_carries_the_caveat_and_the_comparison(workspace):
    base = ["drivers", "--target", "cla_rate", "--workspace", str(workspace.root)]
    text = runner.invoke(app, base)
    assert text.exit_code == 0, text.output
    assert "Correlation, not cause" in text.output and "nested" in text.output
    payload = json.loads(runner.invoke(app, [*base, "--json"]).stdout)
    assert payload["caveat"].startswith("Correlation, not cause")
    compared = runner.invoke(app, [*base, "--compare-terms", "--json"])
    assert compared.exit_code == 0, compared.output
    result = json.loads(compared.stdout)
    assert [c["terms"] for c in result["comparisons"]] == [
        "workforce", "assessment", "workforce+assessment"]
    assert result["councils"] >= 140 and result["term_years"]["turnover"] == [2022]
    for c in result["comparisons"]:
        assert c["cv_r2_without"] == pytest.approx(result["comparisons"][0]["cv_r2_without"])
        assert c["gain_min"] <= c["gain"] <= c["gain_max"]
    assert "partly consequences of demand" in result["caveat"]
