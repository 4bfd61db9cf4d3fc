"""The placement category hierarchy (``placements.categories``), one reader for every layer.

Detailed categories (what a 903 episode's PLACE and PLACE_PROVIDER codes say, e.g. foster
care with an independent agency) roll up to groups (what scenarios move children between,
what placement demand is forecast for and what costs price: fostering, residential,
supported, placed with parents, placed for adoption, other; ``costs.category_costs`` prices
each) and groups to the broad states
of the record-level model (fostering, residential, supported, other). It lives in the data
layer so the record model, scenarios and placements all read the same lists.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

import pandas as pd

from carecast import params

LEVELS = ("detailed", "group", "broad")
OTHER = "other"


@cache
def spec() -> dict[str, Any]:
    """The parameter's value (detailed, groups, broad, place_codes, dfe_groups, published)."""
    return dict(params.value("placements.categories"))


def names(level: str) -> tuple[str, ...]:
    """The categories at one level, in the parameter's order."""
    s = spec()
    if level == "detailed":
        return tuple(s["detailed"])
    if level == "group":
        return tuple(s["groups"])
    if level == "broad":
        return tuple(s["broad"])
    raise ValueError(f"no category level {level!r}; use one of {', '.join(LEVELS)}")


@cache
def _parents(level: str) -> dict[str, str]:
    """Every known name at or below ``level`` mapped to its category at ``level``."""
    s = spec()
    to_group = {**{d: v["group"] for d, v in s["detailed"].items()}, **{g: g for g in s["groups"]}}
    if level == "detailed":
        return {d: d for d in s["detailed"]}
    if level == "group":
        return to_group
    to_broad = {g: v["broad"] for g, v in s["groups"].items()}
    return {**{k: to_broad[v] for k, v in to_group.items()}, **{b: b for b in s["broad"]}}


def roll_up(values: pd.Series | Iterable[str], level: str) -> pd.Series:
    """Each category (detailed, group or broad name) as its category at ``level``; unknown
    names and missing values become 'other'."""
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    return series.map(_parents(level)).fillna(OTHER).astype(object)


def label(name: str) -> str:
    """A category's label for outputs (groups and detailed categories; broad names as is)."""
    s = spec()
    for table in (s["groups"], s["detailed"]):
        if name in table:
            return str(table[name]["label"])
    return name.replace("_", " ").capitalize()


def supply_groups() -> tuple[str, ...]:
    """Groups that need homes the council recruits or buys (fostering, residential,
    supported): the ones sufficiency compares with the supply register."""
    return tuple(g for g, v in spec()["groups"].items() if v["supply"])


def provider(detailed: str) -> str | None:
    """'in_house', 'external' or None (no carer to recruit) for a detailed category."""
    return spec()["detailed"][detailed].get("provider")


def published_groups() -> dict[str, str]:
    """Published 31 March placement measure (e.g. ``cla_placed_foster``) -> group."""
    return {m: v["group"] for m, v in spec()["published"].items()}


def sfr_columns() -> dict[str, list[str]]:
    """Published placement measure -> the SFR underlying-data columns (2011-2017) it sums."""
    return {m: list(v["sfr"]) for m, v in spec()["published"].items()}


def published_label_groups() -> dict[str, str]:
    """DfE 31 March 'Placement' label (every alias in ``data.release_formats``) -> group,
    for code that reads the published characteristics table by label."""
    fmt = params.value("data.release_formats")["formats"]["cla_31_march_placements"]
    groups = published_groups()
    out = {}
    for measure, labels in fmt["selector"]["labels"].items():
        if measure in groups:
            for text in labels:
                out[text.split(" | ", 1)[1]] = groups[measure]
    return out
