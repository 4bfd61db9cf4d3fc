"""Harmonise SSDA903 codes across years: sex, placement categories, postcode districts.

The placement mapping is part of the category hierarchy ``placements.categories`` (with its
sources; :mod:`carecast.data.categories`), so a council can see and change how each PLACE x
PLACE_PROVIDER pair is grouped.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from carecast import params
from carecast.data import categories


def map_unique(values: pd.Series, func: Callable[[str], object]) -> pd.Series:
    """``func`` applied once per distinct value (None stays None): fast on repetitive codes."""
    codes, uniques = pd.factorize(values)
    mapped = np.array([func(str(u)) for u in uniques] + [None], dtype=object)
    return pd.Series(mapped[codes], index=values.index, dtype=object)


def upper(values: pd.Series) -> pd.Series:
    return map_unique(values, lambda s: s.strip().upper() or None)


SEX = {"1": "M", "2": "F", "M": "M", "F": "F", "U": "U", "0": "U", "9": "U"}


def harmonise_sex(values: pd.Series) -> pd.Series:
    """SEX as M/F/U whatever the year: 1/2 up to 2023-24, M/F/U from 2024-25."""
    return map_unique(values, lambda s: SEX.get(s.strip().upper(), "U")).fillna("U")


def placement_category(place: pd.Series, provider: pd.Series) -> pd.Series:
    """carecast's detailed placement category for each PLACE and PLACE_PROVIDER."""
    mapping = categories.spec()
    place = upper(place).fillna("")
    provider = upper(provider).fillna("")
    out = np.full(len(place), mapping["default_category"], dtype=object)
    done = np.zeros(len(place), dtype=bool)
    for rule in mapping["place_codes"]:
        hit = place.isin(rule["codes"]).to_numpy()
        if "providers" in rule:
            hit &= provider.isin(rule["providers"]).to_numpy()
        hit &= ~done
        out[hit] = rule["category"]
        done |= hit
    return pd.Series(out, index=place.index)


def broad_category(category: pd.Series) -> pd.Series:
    return categories.roll_up(category, "broad")


def dfe_group(place: pd.Series) -> pd.Series:
    """DfE's published 31 March placement group for each PLACE code."""
    mapping = categories.spec()
    lookup = {code: group for group, codes in mapping["dfe_groups"].items() for code in codes}
    return upper(place).map(lookup).fillna(mapping["dfe_default_group"])


def _district(text: str) -> str | None:
    text = " ".join(text.upper().split())
    out = text.split(" ")[0] if " " in text else text[:-3]
    return out or None


def postcode_district(values: pd.Series) -> pd.Series:
    """The outward code (district) of each postcode, so no full postcode is kept.

    Well-formed ASCII postcodes (``AB1 2CD``) are cut in one Arrow pass; anything else
    goes through the same rule in Python.
    """
    found, uniques = pd.factorize(values)
    text = pa.array(np.asarray(uniques, dtype=object), type=pa.string())
    plain = pc.match_substring_regex(text, r"^[A-Za-z0-9]+ [A-Za-z0-9]+$").to_numpy(
        zero_copy_only=False)
    out = np.asarray(
        pc.ascii_upper(pc.replace_substring_regex(text, r" .*$", "")).to_numpy(
            zero_copy_only=False), dtype=object)
    for i in np.flatnonzero(~plain):
        out[i] = _district(str(uniques[i]))
    mapped = np.append(out, None)
    return pd.Series(mapped[found], index=values.index, dtype=object)


@cache
def age_bands() -> list[dict]:
    return params.value("ssda903.age_bands")


def age_band(age_years: pd.Series) -> pd.Series:
    """The age band label for ages in whole or fractional years."""
    bands = age_bands()
    edges = [b["min"] for b in bands] + [bands[-1]["max"]]
    labels = [b["label"] for b in bands]
    return pd.cut(age_years, bins=edges, labels=labels, right=False).astype(object)
