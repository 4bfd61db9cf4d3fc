"""The scenario page: a signed-in analyst sets levers, sees baseline and scenario side by
side, and downloads the scenario file. Mount with ``app.include_router(router)``.

The page is a plain form (no JavaScript): GET shows a preset, POST (CSRF-checked) runs the
levers as set, and POST /scenarios/download returns the scenario as YAML. Charts and the
scenario charts are :mod:`carecast.report.charts`' (shared with ``carecast scenario charts``
and the report packs).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from carecast.report.charts import CHART_TITLES, Series, line_legend, result_charts
from carecast.service import scenarios
from carecast.service.workspace import InputError, Workspace
from carecast.web.accounts import Account
from carecast.web.security import check_csrf, require
from carecast.web.views import render

router = APIRouter(include_in_schema=False)
Csrf = Depends(check_csrf)
FIELDS = ("entries_percent", "reunification_percent", "residential_moves", "carers",
          "ifa_premium", "investment")


def _form_scenario(values: dict[str, float], start: dt.date) -> scenarios.Scenario:
    """A scenario from the page's levers (zero means 'not used')."""
    levers: list[dict[str, Any]] = []
    common = {"start": start, "phase_in_years": 2}
    if values["entries_percent"]:
        levers.append({"kind": "entries", "reduce_percent": values["entries_percent"], **common})
    if values["reunification_percent"]:
        levers.append({"kind": "exits", "route": "reunification",
                       "raise_percent": values["reunification_percent"], **common})
    if values["residential_moves"]:
        levers.append({"kind": "placement_move",
                       "children_per_year": values["residential_moves"], **common})
    if values["carers"]:
        levers.append({"kind": "foster_carers", "carers_per_year": values["carers"],
                       "children_per_carer": 1.5,
                       "ifa_minus_in_house_gbp_per_week": values["ifa_premium"], **common})
    investment = ([{"start": start, "gbp_per_year": values["investment"]}]
                  if values["investment"] else [])
    return scenarios.scenario_from({"name": "Analyst scenario", "levers": levers,
                                    "investment": investment})


def _page(request: Request, council: str, values: dict[str, float], start: dt.date,
          error: str | None = None) -> Response:
    context: dict[str, Any] = {"title": "Scenarios", "council": council, "values": values,
                               "start": start.isoformat(), "error": error}
    if error is None:
        scenario = _form_scenario(values, start)
        ws = Workspace.open(request.app.state.settings.workspace)
        result = scenarios.run_scenario(ws, scenario, council)
        charts = result_charts(result)
        context.update(
            charts=charts, chart_titles=CHART_TITLES, legend=line_legend([Series("Baseline", []),
                                               Series(scenario.name, [])]),
            spend=result.to_frames()["spend"].pivot(index="period", columns="measure",
                                                    values="mean").reset_index()
            .to_dict(orient="records"),
            summary=result.summary().set_index("measure")["mean"].to_dict(),
            invested=result.appraisal.invested,
            base_year=f"{result.appraisal.base_year - 1}-{str(result.appraisal.base_year)[-2:]}",
            yaml=scenario.to_yaml(),
            fy=lambda y: f"{int(y) - 1}-{str(int(y))[-2:]}",
        )
    return render(request, "scenario.html", context, status_code=200 if error is None else 400)


DEFAULTS = {"entries_percent": 5.0, "reunification_percent": 0.0, "residential_moves": 0.0,
            "carers": 0.0, "ifa_premium": 0.0, "investment": 0.0}


@router.get("/scenarios")
def scenario_form(request: Request, council: str = "926",
                  account: Account = require("analyst")) -> Response:
    return _page(request, council, dict(DEFAULTS), dt.date(2026, 4, 1))


def _values(form: dict[str, str]) -> dict[str, float]:
    try:
        return {f: float(form.get(f) or 0) for f in FIELDS}
    except ValueError as exc:
        raise InputError(f"each lever must be a number ({exc})") from None


@router.post("/scenarios", dependencies=[Csrf])
async def scenario_run(request: Request, account: Account = require("analyst")) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    council = form.get("council", "926")
    try:
        values = _values(form)
        start = dt.date.fromisoformat(form.get("start", "2026-04-01"))
        _form_scenario(values, start)
    except (InputError, ValueError) as exc:
        return _page(request, council, DEFAULTS, dt.date(2026, 4, 1), error=str(exc))
    return _page(request, council, values, start)


@router.post("/scenarios/download", dependencies=[Csrf])
def scenario_download(request: Request, yaml_text: Annotated[str, Form()],
                      account: Account = require("analyst")) -> Response:
    scenario = scenarios.parse(yaml_text, file="scenario.yaml")
    return Response(scenario.to_yaml(), media_type="application/x-yaml",
                    headers={"Content-Disposition": 'attachment; filename="scenario.yaml"'})
