"""Workforce planning: social workers needed at a caseload and the agency premium, by hand
and for Norfolk against its published workforce."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from carecast.cli import app
from carecast.costs import workforce as wf
from carecast.data import store
from carecast.data.errors import InputError
from carecast.service import workforce as service

runner = CliRunner()


def _position(**overrides) -> wf.Position:
    values = dict(codes=np.array(["a", "b"]), year=2024, employed_fte=np.array([90.0, 50.0]),
                  agency_fte=np.array([10.0, 0.0]), leavers_fte=np.array([18.0, 5.0]),
                  case_holders_fte=np.array([60.0, 25.0]), cases=np.array([960.0, 400.0]),
                  children_in_need=np.array([1200.0, 500.0]), england_agency_rate=0.16,
                  england_turnover_rate=0.14)
    return wf.Position(**{**values, **overrides})


def test_social_workers_needed_follow_children_and_the_caseload():
    position = _position()
    children = np.array([[[1500.0], [500.0]]])        # (draws, councils, years)
    needed = wf.social_workers_needed(position, children, caseload=16.0)
    assert needed["cases"][0, :, 0] == pytest.approx([1500 * 0.8, 500 * 0.8])
    assert needed["case_holding_fte"][0, :, 0] == pytest.approx([75.0, 25.0])
    assert needed["all_fte"][0, :, 0] == pytest.approx([75 / 0.6, 25 / 0.5])
    with pytest.raises(ValueError):
        wf.social_workers_needed(position, children, caseload=0)


def test_agency_conversion_and_premium_by_hand():
    position = _position()
    converted = wf.agency_fte_converted(position, 0.04)
    assert converted == pytest.approx([10 - 0.04 * 100, 0.0])  # never negative
    weeks = wf.weeks_per_year()
    assert wf.agency_premium_gbp_per_year(converted, 520.0) == pytest.approx(
        [6 * 520 * weeks, 0.0])
    assert wf.leavers_avoided(position, 0.10) == pytest.approx([18 - 9.0, 0.0])
    assert wf.premium_gbp_per_week() == 520 and wf.target_caseload() == 15.4


def test_norfolk_plan_uses_its_published_workforce(workspace):
    plan = service.plan(workspace, "926", draws=200, horizon=3)
    panel = store.la_panel(workspace)
    now = plan.position.iloc[0]
    assert now["period_label"] == "at 30 September 2024"
    assert now["employed_fte"] == panel.value("926", 2024, "sw_fte")
    assert now["agency_fte"] == panel.value("926", 2024, "sw_agency_fte")
    assert now["cases"] == panel.value("926", 2024, "sw_cases")
    rows = plan.plan
    assert list(rows["period"]) == [2025, 2026, 2027]
    for name in ("children_in_need", "case_holding_fte_needed", "all_fte_needed"):
        assert (rows[f"{name}_lo_80"] <= rows[name]).all() and (
            rows[name] <= rows[f"{name}_hi_80"]).all()
    ratio = now["cases"] / now["children_in_need"]
    assert rows["cases"].iloc[0] == pytest.approx(ratio * rows["children_in_need"].iloc[0],
                                                  rel=0.01)
    assert rows["case_holding_fte_needed"].iloc[0] == pytest.approx(rows["cases"].iloc[0] / 15.4,
                                                                    rel=1e-6)
    assert (rows["gap_fte"] == rows["all_fte_needed"] - rows["all_fte_now"]).all()
    agency = plan.agency.iloc[0]
    # Norfolk (3.8% agency) is already below England's 16.2%: nothing to convert.
    assert agency["target_agency_rate_pct"] == pytest.approx(16.2)
    assert agency["saving_gbp_per_year"] == 0
    none = service.plan(workspace, "926", draws=50, horizon=1, agency_rate=0).agency.iloc[0]
    assert none["saving_gbp_per_year"] == pytest.approx(
        none["agency_fte"] * 520 * wf.weeks_per_year())


def test_bad_workforce_input_is_refused(workspace):
    with pytest.raises(InputError, match="caseload"):
        service.plan(workspace, "926", caseload=0, draws=10)
    with pytest.raises(InputError, match="agency-rate"):
        service.plan(workspace, "926", agency_rate=140, draws=10)
    result = runner.invoke(app, ["workforce", "926", "--caseload", "-3", "--workspace",
                                 str(workspace.root)])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_workforce_cli_json(workspace):
    result = runner.invoke(app, ["workforce", "norfolk", "--json", "--draws", "100",
                                 "--horizon", "2", "--caseload", "18",
                                 "--workspace", str(workspace.root)])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["council"] == {"code": "926", "name": "Norfolk"}
    assert payload["assumptions"]["target_caseload"] == 18
    assert "St Helens" in payload["assumptions"]["agency_premium_source"]
    assert len(payload["plan"]) == 2 and payload["position"]["cases"] > 0
