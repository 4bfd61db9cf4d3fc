"""The foster-carer lever reads the sufficiency gap through the service layer."""

import json

import pytest
from typer.testing import CliRunner

from carecast.cli import app
from carecast.data.errors import InputError
from carecast.scenarios import run, schema
from carecast.scenarios.levers import phase_fraction
from carecast.service import placements
from carecast.service import scenarios as service_scenarios

RUNNER = CliRunner()


def test_the_lever_takes_a_number_or_sufficiency_gap():
    lever = {"kind": "foster_carers", "start": "2026-04-01", "children_per_carer": 1.3,
             "ifa_minus_in_house_gbp_per_week": 300}
    assert schema.Scenario.model_validate(
        {"name": "a", "levers": [{**lever, "carers_per_year": "sufficiency_gap"}]})
    with pytest.raises(ValueError):
        schema.Scenario.model_validate(
            {"name": "a", "levers": [{**lever, "carers_per_year": "lots"}]})
    with pytest.raises(ValueError):
        schema.Scenario.model_validate({"name": "a", "levers": [{**lever,
                                                                  "carers_per_year": 0}]})


def test_an_unresolved_lever_is_refused_by_the_scenario_run(workspace):
    scenario = schema.load("close_fostering_gap")
    with pytest.raises(InputError, match="resolve_scenario"):
        run.run(run.prepare(workspace, ["926"], draws=50), scenario)


def test_the_service_sets_the_lever_from_the_gap(workspace):
    scenario = schema.load("close_fostering_gap")
    resolved, notes = placements.resolve_scenario(workspace, scenario, "926")
    value = resolved.levers[0].carers_per_year
    expected = placements.gap_lever_value(workspace, "926")
    assert value == pytest.approx(expected) and value > 0
    assert notes and f"{value:,.1f} households a year" in notes[0]
    assert scenario.levers[0].carers_per_year == "sufficiency_gap"  # the file is not edited
    result = service_scenarios.run_scenario(workspace, scenario, "926", draws=50)
    assert result.scenario.levers[0].carers_per_year == pytest.approx(value)
    assert "from the sufficiency gap" in result.scenario.description
    lever = resolved.levers[0]
    years_on = phase_fraction(lever.start, 0, result.years).sum()
    assert float(result.investment_gbp.sum()) == pytest.approx(
        value * lever.cost_gbp_per_carer * years_on)


def test_scenario_run_resolves_the_preset(workspace):
    result = RUNNER.invoke(app, ["scenario", "run", "close_fostering_gap", "--council", "926",
                                 "--draws", "50", "--json", "--workspace",
                                 str(workspace.root)])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert isinstance(payload["scenario"]["levers"][0]["carers_per_year"], float)
