"""One question, one number: the forecast's spend is every scenario's baseline, to the
pound, for every council; costs reconcile to RO3; overrides and dates behave."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import numpy as np
import pytest

from carecast import params
from carecast.scenarios import run
from carecast.scenarios.schema import Scenario
from carecast.service import forecast, scenarios
from carecast.service.workspace import InputError

DRAWS = 100
SRC = Path(__file__).resolve().parents[2] / "src" / "carecast"


@pytest.fixture(scope="module")
def costed(workspace) -> forecast.CostForecast:
    return forecast.forecast_costs(workspace, horizon=6, draws=DRAWS)


@pytest.fixture(scope="module")
def nothing(workspace) -> run.ScenarioResult:
    return run.run(scenarios.baseline(workspace, None, draws=DRAWS, horizon=6),
                   Scenario(name="nothing"))


def test_forecast_spend_is_every_scenario_baseline_for_all_153_councils(costed, nothing):
    frames = nothing.to_frames()
    base = frames["spend"].query("measure == 'baseline_gbp'").set_index(["la_code", "period"])
    spend = costed.spend[costed.spend["la_code"] != "E92000001"].set_index(["la_code", "period"])
    assert len(spend) == 153 * 6
    joined = spend[["mean", "lo_80", "hi_95"]].join(base[["mean", "lo_80", "hi_95"]],
                                                      rsuffix="_scenario")
    for column in ("mean", "lo_80", "hi_95"):
        np.testing.assert_allclose(joined[column], joined[f"{column}_scenario"], atol=0.5)
    children = frames["children"].query("measure == 'cla_at_31_march' & variant == 'baseline'")
    stock = costed.forecast.query("measure == 'cla_at_31_march' & la_code != 'E92000001'")
    np.testing.assert_allclose(stock.sort_values(["la_code", "period"])["mean"],
                               children.sort_values(["la_code", "period"])["mean"])


def test_the_web_and_cli_forecast_is_the_service_forecast(workspace, costed):
    """The CLI's --costs path and the plain forecast (what the web page shows) agree."""
    plain = forecast.forecast(workspace, horizon=6, draws=DRAWS).council("926")
    a = plain[plain["measure"] == "cla_at_31_march"]["mean"].to_numpy()
    b = costed.forecast.query("la_code == '926' & measure == 'cla_at_31_march'")["mean"]
    np.testing.assert_allclose(a, b.to_numpy())


def test_first_forecast_year_reconciles_to_ro3_outturn(costed):
    cal = costed.calibration.set_index("la_code")
    reconciled = cal.index[cal["outturn_year"] == "2024-25"]
    assert len(reconciled) >= 145
    spend = costed.spend.set_index(["la_code", "period"])
    for code in reconciled:
        row = spend.loc[(code, "2024-25")]
        assert row["mean"] == pytest.approx(row["ro3_actual_gbp"], abs=1.0), code
    # Norfolk: GBP 144,396,000 outturn in 2024-25 (MHCLG RO3).
    assert spend.loc[("926", "2024-25"), "mean"] == pytest.approx(144_396_000, abs=1.0)
    # A council whose RO3 line is not a cost per child keeps England's costs, and says so.
    assert cal.at["333", "factor"] == 1.0 and "not a cost per child" in cal.at["333", "source"]


def test_a_scenario_overriding_inflation_changes_its_costs_only(workspace):
    base = scenarios.baseline(workspace, "926", draws=DRAWS)
    dearer = Scenario.model_validate({"name": "dearer", "parameter_changes": {
        "costs.inflation": {dt.date(2025, 4, 1): 0.15}}})
    result = run.run(base, dearer)
    assert (result.changed.total_gbp[..., 0] == result.baseline.total_gbp[..., 0]).all()
    assert (result.changed.total_gbp[..., 2:] > result.baseline.total_gbp[..., 2:]).all()
    np.testing.assert_array_equal(result.changed.stock, result.baseline.stock)
    assert any("scenario side" in a for a in result.assumptions)


def test_an_override_nothing_reads_is_refused(workspace):
    base = scenarios.baseline(workspace, "926", draws=DRAWS)
    unused = Scenario.model_validate({"name": "x", "parameter_changes": {
        "model.council_forecast": {dt.date(2024, 3, 31): {"window": 3}}}})
    with pytest.raises(InputError, match="nothing in this run reads"):
        run.run(base, unused)
    with pytest.raises(ValueError, match="no parameter"):
        Scenario.model_validate({"name": "y", "parameter_changes": {
            "costs.no_such_thing": {dt.date(2025, 4, 1): 1}}})


def test_user_overrides_through_the_service(workspace):
    low = forecast.forecast_costs(workspace, "926", horizon=4, draws=DRAWS,
                                  overrides={"costs.inflation_assumption": "low"})
    central = forecast.forecast_costs(workspace, "926", horizon=4, draws=DRAWS)
    assert low.spend["mean"].iloc[0] == pytest.approx(central.spend["mean"].iloc[0])
    assert (low.spend["mean"].iloc[1:] < central.spend["mean"].iloc[1:]).all()
    with pytest.raises(InputError, match="nothing in this run reads"):
        forecast.forecast(workspace, horizon=2, draws=DRAWS,
                          overrides={"scenarios.tornado_swing": 0.3})


class _Later(dt.date):
    @classmethod
    def today(cls) -> dt.date:
        return dt.date(2031, 6, 1)


def test_the_same_inputs_on_two_dates_give_identical_results(workspace, monkeypatch):
    scenario = scenarios.load("early_help_young_children")

    def result() -> str:
        scenarios._BASELINES.clear()
        out = scenarios.run_scenario(workspace, scenario, "926", draws=60)
        return json.dumps(out.to_json(), sort_keys=True, default=str)

    first = result()
    monkeypatch.setattr(dt, "date", _Later)
    assert result() == first


def test_no_result_reads_the_clock():
    """Model, costs, scenarios and the service never ask for today's date."""
    clock = re.compile(r"\b(date|datetime)\.(today|now|utcnow)\(")
    for layer in ("model", "costs", "scenarios", "service", "benchmark", "placements"):
        for path in (SRC / layer).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            hits = [m.group(0) for m in clock.finditer(text)]
            allowed = path.name == "compare.py" and layer == "model"  # the bench's stamp
            assert allowed or not hits, f"{path.relative_to(SRC)} reads the clock: {hits}"


def test_no_parameter_or_preset_cites_carecast_itself():
    own = re.compile(r"github\.com/carecast|carecast (documentation|docs|issue|backtest)", re.I)
    for name, parameter in params.all_parameters().items():
        for value in parameter.values:
            for ref in value.references:
                assert not own.search(f"{ref.title} {ref.href}"), f"{name}: {ref}"
                assert ref.href.startswith("https://"), f"{name}: {ref.title} has no address"
    for _, preset in scenarios.presets():
        for source in preset.sources:
            assert not own.search(f"{source.title} {source.href}"), f"{preset.name}: {source}"


def test_region_rates_count_only_councils_that_reported(workspace):
    from carecast.service import benchmark

    result = benchmark.benchmark(workspace, "333", "spend_per_child", 2024)
    region = result["region"]
    assert region["reporting"] == {"councils": 12, "of": 14}
    # 1,273 over the councils that reported; counting every council's children gave 928.
    assert region["value"] == pytest.approx(1273.17, abs=0.5)


def test_spend_per_child_uses_the_latest_outturn(workspace):
    from carecast.service import benchmark

    latest = benchmark.benchmark(workspace, "908", "spend_per_child")
    assert latest["year"] == 2025 and latest["value"] is not None   # Cornwall: 2024-25 RO3
