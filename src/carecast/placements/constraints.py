"""Hard constraints: which homes a child may be offered at all, each with its reason.

Each constraint is a boolean matrix, children (rows) by homes (columns), True where the home
passes; a home is eligible for a child only when it passes every one. They are checked
before any scoring, so no weight can trade a constraint away, and every home a child is not
offered is listed with the constraints that removed it.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from carecast import params
from carecast.placements import geo, register
from carecast.placements.referrals import GROUP_OF, SUITABILITY

REASONS = {
    "available": "not active or no vacancy",
    "age_range": "child's age outside the approval range",
    "type": "type of home unsuitable for the child",
    "siblings": "cannot take the sibling group together",
    "live_alongside": "the children already there do not fit who the child can live with",
    "pets": "pets in the home and the child cannot live with pets",
    "risks": "not approved or trained for the child's risks",
    "adaptations": "lacks an adaptation the child needs",
    "skills": "lacks a specialism the child needs",
    "distance": "beyond the distance limit",
    "rejected": "a worker rejected this match for the child",
}
NAMES = tuple(REASONS)


def settings() -> dict:
    """``placements.matching`` (read once per run, so ``--set`` overrides apply)."""
    return dict(params.value("placements.matching"))


def masks(values: Iterable[str | None], vocabulary: list[str]) -> np.ndarray:
    """';' lists as bit masks over ``vocabulary`` (unknown items ignored), one distinct
    list at a time."""
    bit = {v: 1 << i for i, v in enumerate(vocabulary)}
    codes, lists = pd.factorize(pd.Series(list(values), dtype=object))
    table = np.array([sum(bit.get(x, 0) for x in str(v).split(";")) for v in lists] + [0],
                     dtype=np.int64)
    return table[codes]


_BITS16 = np.array([bin(i).count("1") for i in range(1 << 16)], dtype=np.int8)


def bit_count(x: np.ndarray) -> np.ndarray:
    """Set bits of each non-negative int64 (``np.bitwise_count`` before NumPy 2)."""
    return sum(_BITS16[(x >> s) & 0xFFFF].astype(np.int64) for s in (0, 16, 32, 48))


def _subset(need: np.ndarray, have: np.ndarray) -> np.ndarray:
    return (need[:, None] & ~have[None, :]) == 0


def _ages(homes: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    ages = homes["children_ages"].map(lambda t: [int(a) for a in t.split(";")]
                                      if isinstance(t, str) and t else [])
    return (ages.map(lambda a: min(a) if a else np.inf).to_numpy(float),
            ages.map(lambda a: max(a) if a else -np.inf).to_numpy(float))


def evaluate(children: pd.DataFrame, homes: pd.DataFrame, group_size: np.ndarray,
             distance: np.ndarray, rejected: np.ndarray, cfg: dict) -> dict[str, np.ndarray]:
    """Every constraint's pass matrix for ``children`` (referral rows) against ``homes``
    (register rows with coordinates); ``group_size`` is each child's sibling group placed
    together (1 when alone), ``distance`` km from the child's home (NaN unknown) and
    ``rejected`` the pairs a worker turned down."""
    age = children["age"].to_numpy(float)[:, None]
    vac = homes["vacancies"].to_numpy(float)
    active = (homes["status"] == "active").to_numpy()
    out = {"available": np.broadcast_to(active & (vac >= 1), distance.shape)}
    out["age_range"] = ((homes["age_min"].to_numpy(float) <= age)
                        & (age <= homes["age_max"].to_numpy(float)))
    group = homes["group"].to_numpy()
    ok = np.zeros(distance.shape, bool)
    for column in SUITABILITY:
        allowed = (children[column] != "unsuitable").to_numpy()
        ok |= allowed[:, None] & (group == GROUP_OF[column])[None, :]
    out["type"] = ok
    size = group_size.astype(float)[:, None]
    capacity = homes["sibling_capacity"].to_numpy(float)
    capacity = np.where(np.isnan(capacity), np.where(group == "fostering", 1, np.inf), capacity)
    out["siblings"] = (size <= 1) | ((capacity >= size) & (vac >= size))
    youngest, oldest = _ages(homes)
    rule = children["live_alongside"].to_numpy()[:, None]
    empty = (homes["occupied_places"].to_numpy(float) == 0) & np.isinf(youngest)
    out["live_alongside"] = ((rule == "any") | ((rule == "solo") & empty)
                             | ((rule == "no_younger") & (youngest >= age))
                             | ((rule == "no_older") & (oldest <= age)))
    animals = children["risks_to_others"].fillna("").str.contains("harm_to_animals")
    no_pets = (~children["pets_ok"].astype(bool) | animals).to_numpy()
    pets = (homes["pets"].astype(object) == True).to_numpy()  # noqa: E712 - nullable
    out["pets"] = ~(no_pets[:, None] & pets[None, :])
    risks = register.risks()
    need = masks(children["risks_to_child"], risks) | masks(children["risks_to_others"], risks)
    out["risks"] = _subset(need, masks(homes["risk_trained"], risks))
    adapt = params.value("placements.referrals")["adaptations"]
    out["adaptations"] = _subset(masks(children["adaptations"], adapt),
                                 masks(homes["adaptations"], adapt))
    hard = list(cfg["hard_skills"])
    out["skills"] = _subset(masks(children["needs"], hard), masks(homes["skills"], hard))
    limit = pd.to_numeric(children["max_distance_km"], errors="coerce").fillna(
        np.inf if cfg["max_distance_km"] is None else float(cfg["max_distance_km"]))
    out["distance"] = ~(distance > limit.to_numpy(float)[:, None])
    out["rejected"] = ~rejected
    return {k: np.asarray(v, bool) for k, v in out.items()}


def eligible(passes: dict[str, np.ndarray]) -> np.ndarray:
    """Homes passing every constraint."""
    return np.logical_and.reduce(list(passes.values()))


def distances(children: pd.DataFrame, homes: pd.DataFrame, prefix: str) -> np.ndarray:
    """km from each child's ``prefix`` place (home or school) to each home (NaN unknown)."""
    return geo.distance_km(children[f"{prefix}_e"].to_numpy(float),
                           children[f"{prefix}_n"].to_numpy(float),
                           homes["e"].to_numpy(float), homes["n"].to_numpy(float))
