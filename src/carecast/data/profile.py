"""A council's profile: its key figures by year beside England, its region and its neighbours.

This is what ``carecast la show`` prints and the web council page shows. The JSON keys are
stable and documented in docs/cli.md; numbers are as published (DfE suppression flags kept),
with abolished councils carried into their successors.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from carecast import OGL_ATTRIBUTION, params
from carecast.data import bundled, catalogue, councils, store
from carecast.data.councils import ENGLAND
from carecast.data.measures import get as measure
from carecast.data.workspace import Workspace

HEADLINE = [
    "cla_at_31_march",
    "cla_at_31_march_rate_per_10000",
    "cla_started",
    "cla_started_rate_per_10000",
    "cla_ceased",
    "cla_ceased_rate_per_10000",
    "cin_rate_per_10000",
    "cpp_rate_per_10000",
    "referral_rate_per_10000",
    "spend_per_child_gbp",
    "cla_spend_per_child_gbp",
    "pop_0_17",
]
TREND = ["cla_at_31_march", "cla_at_31_march_rate_per_10000", "cla_started", "cla_ceased"]
COMPARED_TREND = "cla_at_31_march_rate_per_10000"
# Placements (issue 11): the datasets the profile's placements block cites.
PLACEMENT_DATASETS = ("cla_placements", "cla_placement_stability", "cla_new_placements",
                      "cla_school_moves")
DATASETS = {
    *PLACEMENT_DATASETS,
    "cla_panel",
    "cin_panel",
    "ro3_spend",
    "population",
    "imd2019",
    "ofsted",
    "stat_neighbours",
    "councils",
}


def _clean(value: float | None, digits: int = 1) -> float | int | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    rounded = round(float(value), digits)
    return int(rounded) if rounded.is_integer() else rounded


def _neighbour_stats(panel: store.Panel, codes: list[str], year: int, m: str) -> dict[str, Any]:
    values = [panel.value(c, year, m) for c in codes]
    present = pd.Series([v for v in values if v is not None], dtype=float)
    return {
        "neighbours_mean": _clean(present.mean()) if len(present) else None,
        "neighbours_median": _clean(present.median()) if len(present) else None,
        "neighbours_reporting": int(len(present)),
    }


def council_profile(ws: Workspace, council: str, year: int | None = None) -> dict[str, Any]:
    """The profile of ``council`` (code, ONS code or name) for ``year`` (default: latest)."""
    found = councils.lookup(council)
    if not found.is_current:
        raise LookupError(
            f"{found.name} ({found.code}) was abolished; its figures are in its successors' "
            f"series. Try the successor council instead."
        )
    la = store.la_panel(ws)
    england = store.area_panel(ws, "england")
    region = store.area_panel(ws, "region")
    latest = store.latest_year(ws)
    year = year or latest
    years = la.years
    if year not in years or la.value(found.code, year, "cla_at_31_march") is None and year > latest:
        raise LookupError(f"no data for {year}; years available: {years[0]}-{latest}")
    neighbours = councils.official_neighbours(found.code)

    indicators = {}
    for m in HEADLINE:
        info = measure(m)
        indicators[m] = {
            "label": info.label,
            "unit": info.unit,
            "value": _clean(la.value(found.code, year, m)),
            "flag": la.flag(found.code, year, m),
            "england": _clean(england.value(ENGLAND, year, m)),
            "region": _clean(region.value(found.region_code, year, m)),
            **_neighbour_stats(la, neighbours, year, m),
        }

    placements = {}
    for m in _placement_measures():
        info = measure(m)
        known = la.series(found.code, m)
        known = known[known.index <= year]
        at = int(known.index.max()) if len(known) else year
        placements[m] = {
            "label": info.label,
            "unit": info.unit,
            "year": at,
            "value": _clean(la.value(found.code, at, m)),
            "flag": la.flag(found.code, at, _count_of(m)),
            "england": _clean(england.value(ENGLAND, at, m)),
            "region": _clean(region.value(found.region_code, at, m)),
            **_neighbour_stats(la, neighbours, at, m),
        }

    trend = []
    for y in years:
        if y > year or la.value(found.code, y, "cla_at_31_march") is None:
            continue
        row: dict[str, Any] = {"year": y}
        for m in TREND:
            row[m] = _clean(la.value(found.code, y, m))
        row[f"england_{COMPARED_TREND}"] = _clean(england.value(ENGLAND, y, COMPARED_TREND))
        row[f"region_{COMPARED_TREND}"] = _clean(region.value(found.region_code, y, COMPARED_TREND))
        row[f"neighbours_{COMPARED_TREND}"] = _neighbour_stats(la, neighbours, y, COMPARED_TREND)[
            "neighbours_mean"
        ]
        trend.append(row)

    ofsted = bundled.read_table("ofsted_judgements")
    judgement = ofsted[ofsted["code"] == found.code]
    notes = sorted({note for (code, _), note in la.notes.items() if code == found.code})
    return {
        "council": {
            "code": found.code,
            "name": found.name,
            "ons_code": found.ons_code,
            "region_code": found.region_code,
            "region_name": found.region_name,
        },
        "year": year,
        "latest_year": latest,
        "indicators": indicators,
        "placements": placements,
        "trend": trend,
        "ofsted": (
            {
                "overall": judgement.iloc[0]["overall"] or None,
                "inspection_date": str(judgement.iloc[0]["inspection_date"]),
                "publication_date": str(judgement.iloc[0]["publication_date"]),
            }
            if len(judgement)
            else None
        ),
        "deprivation": {
            "imd_rank_of_average_score": _clean(
                la.value(found.code, 2019, "imd_rank_of_average_score"), 0
            ),
            "imd_average_score": _clean(la.value(found.code, 2019, "imd_average_score"), 2),
            "idaci_rank_of_average_score": _clean(
                la.value(found.code, 2019, "idaci_rank_of_average_score"), 0
            ),
            "year": 2019,
            # IoD2019 ranks the 151 upper-tier areas of 2019; councils made since carry
            # their predecessor's rank, so the count is the published one, not ours.
            "councils_ranked": int(la.values["imd_rank_of_average_score"].max()),
        },
        "population": _population(la, found.code, year),
        "neighbours": {
            "edition": 2025,
            "codes": neighbours,
            "names": [councils.name_of(c) for c in neighbours],
        },
        "notes": notes,
        "sources": catalogue.sources_for(DATASETS),
        "attribution": OGL_ATTRIBUTION,
    }


def _placement_measures() -> list[str]:
    """Measures of the benchmark registry's placement indicators (section ``placements``),
    in registry order."""
    specs = params.value("benchmark.indicators").values()
    return [s["measure"] for s in specs if s.get("section") == "placements"]


def _count_of(m: str) -> str:
    """The count a derived share is made from, whose suppression flag the share inherits."""
    return measure(m).numerator or m


def _population(la: store.Panel, code: str, year: int) -> dict[str, Any]:
    series = la.series(code, "pop_0_17_mid_year")
    series = series[series.index <= year]
    if series.empty:
        return {"pop_0_17_mid_year": None, "mid_year": None}
    return {"pop_0_17_mid_year": _clean(series.iloc[-1], 0), "mid_year": int(series.index[-1])}
