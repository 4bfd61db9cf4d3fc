"""One matching problem: referrals against the register, checked, scored and solved.

:class:`Problem` holds the children and homes with their coordinates, every constraint's
pass matrix and every score part; :func:`shortlist`, :func:`joint`, :func:`unmatched` and
:func:`recruitment_brief` read it. Nothing here is learned from past decisions: a worker's
rejection removes that one pair (shown as a constraint), an acceptance holds the places.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from carecast.placements import assign, constraints, geo, score
from carecast.placements.referrals import SUITABILITY

RULE_ORDER = ("solo", "no_younger", "no_older", "any")


@dataclass(frozen=True)
class Problem:
    children: pd.DataFrame        # referral rows (index 0..n-1) with home_e/n, school_e/n
    homes: pd.DataFrame           # register rows (index 0..m-1) with e/n
    unit_of: np.ndarray           # each child's unit
    group_size: np.ndarray        # each child's unit size
    passes: dict[str, np.ndarray]
    parts: dict[str, np.ndarray]
    km_home: np.ndarray
    km_school: np.ndarray
    cfg: dict
    eligible: np.ndarray          # passes every constraint
    score: np.ndarray             # the parts' sum


def build(children: pd.DataFrame, homes: pd.DataFrame, *, centroids: pd.DataFrame | None = None,
          rejected: set[tuple[str, str]] | None = None, cfg: dict | None = None) -> Problem:
    """The problem for ``children`` (stored referrals) and ``homes`` (stored register)."""
    cfg = constraints.settings() if cfg is None else cfg
    table = pd.DataFrame(columns=["easting", "northing"]) if centroids is None else centroids
    children = children.reset_index(drop=True).copy()
    homes = homes.reset_index(drop=True).copy()
    for place in ("home", "school"):
        children[f"{place}_e"], children[f"{place}_n"] = geo.locate(
            children[f"{place}_easting"], children[f"{place}_northing"],
            children[f"{place}_district"], table)
    homes["e"], homes["n"] = geo.locate(homes["easting"], homes["northing"],
                                        homes["postcode_district"], table)
    key = children["sibling_group"].where(children["place_together"].astype(bool))
    key = key.fillna(children["child"])
    unit_of = pd.factorize(key)[0]
    group_size = np.bincount(unit_of)[unit_of]
    km_home = constraints.distances(children, homes, "home")
    km_school = constraints.distances(children, homes, "school")
    pairs = rejected or set()
    reject = np.zeros(km_home.shape, bool)
    if pairs:
        c_index = {c: i for i, c in enumerate(children["child"])}
        h_index = {h: j for j, h in enumerate(homes["carer"])}
        for c, h in pairs:
            if c in c_index and h in h_index:
                reject[c_index[c], h_index[h]] = True
    passes = constraints.evaluate(children, homes, group_size, km_home, reject, cfg)
    parts = score.parts(children, homes, km_home, km_school, cfg)
    return Problem(children, homes, unit_of, group_size, passes, parts, km_home, km_school,
                   cfg, constraints.eligible(passes), score.total(parts))


def units(p: Problem) -> assign.Units:
    """Per unit: eligible where every child is; score the sum of its children's."""
    n_units = int(p.unit_of.max()) + 1 if len(p.unit_of) else 0
    m = len(p.homes)
    eligible = np.ones((n_units, m), bool)
    total = np.zeros((n_units, m))
    np.logical_and.at(eligible, p.unit_of, p.eligible)
    np.add.at(total, p.unit_of, p.score)
    rule_rank = p.children["live_alongside"].map({r: i for i, r in enumerate(RULE_ORDER)})
    by_unit = pd.DataFrame({"u": p.unit_of, "age": p.children["age"], "rule": rule_rank})
    g = by_unit.groupby("u")
    return assign.Units(
        eligible=eligible, score=total, size=np.bincount(p.unit_of),
        solo=(g["rule"].min() == 0).to_numpy(), young=g["age"].min().to_numpy(float),
        old=g["age"].max().to_numpy(float),
        rule=np.array(RULE_ORDER, dtype=object)[g["rule"].min().to_numpy()],
        vacancies=np.where(p.homes["status"] == "active", p.homes["vacancies"], 0
                           ).astype(float))


def _pairs(p: Problem, i: np.ndarray, j: np.ndarray, reasons: bool = True) -> pd.DataFrame:
    """Facts, score and every part's points (and reasons) for child ``i[k]`` in home
    ``j[k]``."""
    h = p.homes.iloc[j]
    km = p.km_home[i, j]
    out = pd.DataFrame({"carer": h["carer"].to_numpy(), "type": h["type"].to_numpy(),
                        "provider": h["provider"].to_numpy(),
                        "distance_km": np.round(km, 1), "score": np.round(p.score[i, j], 2)})
    c = p.children.iloc[i].reset_index(drop=True)
    for part in score.PARTS:
        out[f"{part}_points"] = np.round(p.parts[part][i, j], 2)
        if reasons:
            out[f"{part}_reason"] = score.reasons(part, c, h.reset_index(drop=True), km,
                                                  p.km_school[i, j])
    return out


def shortlist(p: Problem, child: str, limit: int | None = None
              ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One child's eligible homes ranked by score (every part and its reason), and every
    other home with each constraint that removed it."""
    found = np.flatnonzero(p.children["child"].to_numpy() == child)
    if not len(found):
        raise LookupError(f"no referral for child {child}")
    i = int(found[0])
    ok = p.eligible[i]
    order = np.flatnonzero(ok)[np.argsort(-p.score[i, ok], kind="stable")]
    order = order[:limit] if limit else order
    ranked = _pairs(p, np.full(len(order), i), order)
    ranked.insert(0, "rank", np.arange(1, len(order) + 1))
    out = np.flatnonzero(~ok)
    excluded = _pairs(p, np.full(len(out), i), out, reasons=False)[
        ["carer", "type", "provider", "distance_km"]]
    failed = np.column_stack([~p.passes[n][i, out] for n in constraints.NAMES])
    names = np.array(constraints.NAMES, dtype=object)
    texts = np.array([constraints.REASONS[n] for n in constraints.NAMES], dtype=object)
    excluded["constraints"] = [";".join(names[f]) for f in failed]
    excluded["reasons"] = ["; ".join(texts[f]) for f in failed]
    return ranked, excluded


def joint(p: Problem, *, method: str = "best") -> pd.DataFrame:
    """One proposal per child: the home of the best joint assignment (``method='best'``) or
    of the first-come baseline (``'greedy'``, in referral order, most urgent first)."""
    u = units(p)
    if method == "best":
        chosen = assign.solve(u)
    else:
        first = pd.DataFrame({"u": p.unit_of, "date": p.children["referral_date"],
                              "urgency": p.children["urgency"].map(
                                  {"today": 0, "within_5_days": 1, "planned": 2})})
        order = first.groupby("u")[["urgency", "date"]].min().sort_values(
            ["urgency", "date"], kind="stable").index.to_numpy()
        chosen = assign.greedy(u, order)
    broken = assign.violations(u, chosen)
    if broken:
        raise RuntimeError("assignment breaks a hard constraint: " + "; ".join(broken[:3]))
    home = chosen[p.unit_of]
    base = pd.DataFrame({"child": p.children["child"].to_numpy(),
                         "sibling_group": p.children["sibling_group"].to_numpy(),
                         "eligible_homes": p.eligible.sum(axis=1)})
    placed = np.flatnonzero(home >= 0)
    detail = _pairs(p, placed, home[placed]).set_index(placed)
    return base.join(detail).reindex(columns=[*base.columns, *detail.columns])


def unmatched(p: Problem, proposals: pd.DataFrame) -> pd.DataFrame:
    """Children without a proposal: why (no eligible home, and which constraints each ruled
    out every home, or homes taken by others) and the homes each constraint removed."""
    rows = []
    for i in np.flatnonzero(proposals["carer"].isna().to_numpy()):
        alone = {n: int((~v[i]).sum()) for n, v in p.passes.items()}
        blocking = [n for n in constraints.NAMES if alone[n] == len(p.homes)]
        rows.append({"child": p.children["child"].iloc[i],
                     "why": "no eligible home" if not p.eligible[i].any()
                     else "eligible homes went to other children",
                     "ruled_out_every_home": ";".join(blocking),
                     **{f"removed_by_{n}": alone[n] for n in constraints.NAMES}})
    return pd.DataFrame(rows)


def profile(p: Problem, i: int) -> dict:
    """The carer who would have fitted child ``i``: what the home must offer."""
    c = p.children.iloc[i]
    groups = [s for s in SUITABILITY if c[s] != "unsuitable"]
    preferred = next((s for s in SUITABILITY if c[s] == "preferred"), groups[0])
    return {
        "type_of_home": preferred, "age": int(c["age"]),
        "places_together": int(p.group_size[i]),
        "alongside": c["live_alongside"],
        "no_pets": (not bool(c["pets_ok"])) or "harm_to_animals" in str(c["risks_to_others"]),
        "trained_for": ";".join(x for x in (c["risks_to_child"], c["risks_to_others"])
                                if isinstance(x, str)) or None,
        "specialisms": ";".join(n for n in str(c["needs"] or "").split(";")
                                if n in p.cfg["hard_skills"]) or None,
        "adaptations": c["adaptations"] if isinstance(c["adaptations"], str) else None,
    }


def recruitment_brief(p: Problem, proposals: pd.DataFrame) -> pd.DataFrame:
    """What the homes for the children nobody fitted must offer, summed over children:
    one row per requirement and value with the number of children (``n_children``)."""
    rows = []
    for i in np.flatnonzero(proposals["carer"].isna().to_numpy()):
        if p.eligible[i].any():
            continue
        prof = profile(p, i)
        band = next(b for b in p.cfg["audit"]["age_bands"]
                    if int(b.split("-")[0]) <= prof["age"] <= int(b.split("-")[1]))
        rows += [("type_of_home", prof["type_of_home"]), ("age_band", band),
                 ("places_together", str(prof["places_together"]))]
        if prof["alongside"] != "any":
            rows.append(("live_alongside", prof["alongside"]))
        if prof["no_pets"]:
            rows.append(("pets", "no pets in the home"))
        for column in ("trained_for", "specialisms", "adaptations"):
            rows += [(column, x) for x in (prof[column] or "").split(";") if x]
    if not rows:
        return pd.DataFrame(columns=["requirement", "value", "n_children"])
    frame = pd.DataFrame(rows, columns=["requirement", "value"])
    return (frame.value_counts().rename("n_children").reset_index()
            .sort_values(["requirement", "n_children", "value"], ascending=[True, False, True])
            .reset_index(drop=True))
