"""The transparent score: points out of 100 in parts, each with the reason it got them.

Parts (weights in ``placements.matching``): distance from the child's home, keeping the
child's school, the carers' skills against the child's needs, language and culture, the
type of home the plan prefers, the carer's track record and the weekly cost. A part whose
data are missing gets ``unknown_share`` of its points, one that does not apply (no school to
keep, no needs) gets them all, so missing data never ranks a home first or last silently.
The parts add up to the score exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from carecast.placements import register
from carecast.placements.constraints import bit_count, masks
from carecast.placements.referrals import GROUP_OF, SUITABILITY

PARTS = ("distance", "school", "skills", "language_culture", "type_preference",
         "track_record", "cost")


def points(cfg: dict) -> dict[str, float]:
    """Each part's maximum points, the weights scaled to sum to 100."""
    w = {p: float(cfg["weights"][p]) for p in PARTS}
    total = sum(w.values())
    if total <= 0 or any(v < 0 for v in w.values()):
        raise ValueError("placements.matching.weights must be 0 or more and not all 0")
    return {p: 100 * v / total for p, v in w.items()}


def _near(km: np.ndarray, scale: float, unknown: float) -> np.ndarray:
    return np.where(np.isnan(km), unknown, np.clip(1 - km / scale, 0, 1))


def _shared(child: pd.Series, home: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Share of each child's items the home has (1 when the child lists none), and whether
    the child's first item is among them."""
    vocab = sorted({x for v in pd.concat([child, home]) if isinstance(v, str)
                    for x in v.split(";")})[:62]
    need, have = masks(child, vocab), masks(home, vocab)
    both = need[:, None] & have[None, :]
    wanted = bit_count(need).astype(float)[:, None]
    share = np.where(wanted > 0, bit_count(both) / np.maximum(wanted, 1), 1.0)
    first = masks(child.map(lambda t: t.split(";")[0] if isinstance(t, str) else None), vocab)
    return share, (first[:, None] & have[None, :]) != 0


def parts(children: pd.DataFrame, homes: pd.DataFrame, km_home: np.ndarray,
          km_school: np.ndarray, cfg: dict) -> dict[str, np.ndarray]:
    """Each part's points, children (rows) by homes (columns); they sum to the score."""
    pts, unknown = points(cfg), float(cfg["unknown_share"])
    out = {"distance": _near(km_home, float(cfg["distance_scale_km"]), unknown)}
    stay = children["stay_at_school"].to_numpy(bool)[:, None]
    out["school"] = np.where(stay, _near(km_school, float(cfg["school_scale_km"]), unknown), 1.0)
    soft = [s for s in register.vocabulary()["skills"] if s not in cfg["hard_skills"]]
    need, have = masks(children["needs"], soft), masks(homes["skills"], soft)
    wanted = bit_count(need).astype(float)[:, None]
    out["skills"] = np.where(wanted > 0, bit_count(need[:, None] & have[None, :])
                             / np.maximum(wanted, 1), 1.0)
    talk = children["languages"].fillna("").str.cat(children["communication"].fillna(""),
                                                    sep=";").str.strip(";").replace("", None)
    share, first = _shared(talk, homes["languages"])
    language = np.where(first, 1.0, 0.5 * share)
    language = np.where(talk.isna().to_numpy()[:, None], 1.0, language)
    language = np.where(homes["languages"].isna().to_numpy()[None, :]
                        & talk.notna().to_numpy()[:, None], unknown, language)
    cultures = children["cultures"].where(children["cultures"] != "none")
    culture, _ = _shared(cultures, homes["cultures"])
    culture = np.where(homes["cultures"].isna().to_numpy()[None, :]
                       & cultures.notna().to_numpy()[:, None], unknown, culture)
    out["language_culture"] = (language + culture) / 2
    group = homes["group"].to_numpy()
    pref = np.zeros(km_home.shape)
    for column in SUITABILITY:
        level = children[column].map({"preferred": 1.0, "suitable": float(cfg["suitable_share"]),
                                      "unsuitable": 0.0}).to_numpy(float)
        pref = np.where((group == GROUP_OF[column])[None, :], level[:, None], pref)
    out["type_preference"] = pref
    a, b = (float(cfg["track_record_prior"][k]) for k in ("stable", "unstable"))
    held, ended = (pd.to_numeric(homes[c], errors="coerce").fillna(0).to_numpy(float)
                   for c in ("placements_held", "unplanned_endings"))
    out["track_record"] = np.broadcast_to((held - ended + a) / (held + a + b), km_home.shape)
    lo, hi = float(cfg["cost_floor_gbp"]), float(cfg["cost_ceiling_gbp"])
    cost = pd.to_numeric(homes["weekly_cost_gbp"], errors="coerce").to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = 1 - np.clip(np.log(cost / lo) / np.log(hi / lo), 0, 1)
    out["cost"] = np.broadcast_to(np.where(np.isnan(cost), unknown, value), km_home.shape)
    return {p: (pts[p] * np.asarray(v, float)).astype(np.float64) for p, v in out.items()}


def total(by_part: dict[str, np.ndarray]) -> np.ndarray:
    return np.sum([by_part[p] for p in PARTS], axis=0)


def reasons(part: str, child: pd.DataFrame, home: pd.DataFrame, km_home: np.ndarray,
            km_school: np.ndarray) -> list[str]:
    """Why each child (row of ``child``) and home (same row of ``home``) got their points
    for ``part``."""
    def km(x: float) -> str:
        return "location unknown" if np.isnan(x) else f"{x:.1f} km"

    def items(v: object) -> list[str]:
        return [x for x in v.split(";") if x] if isinstance(v, str) else []

    if part == "distance":
        return [f"{km(x)} from the child's home" for x in km_home]
    if part == "school":
        return [f"{km(x)} from the child's school" if stay else "no school placement to keep"
                for x, stay in zip(km_school, child["stay_at_school"], strict=True)]
    if part == "skills":
        out = []
        for needs, skills in zip(child["needs"], home["skills"], strict=True):
            wanted, have = items(needs), set(items(skills))
            met = [n for n in wanted if n in have]
            out.append(f"meets {len(met)} of {len(wanted)} needs ({', '.join(met) or 'none'})"
                       if wanted else "no specialist needs recorded")
        return out
    if part == "language_culture":
        return [f"speaks {hl or 'unknown'}; culture {hc or 'unknown'} (child: {cl or '-'}; "
                f"{cc or '-'})" for hl, hc, cl, cc in zip(
                    home["languages"], home["cultures"], child["languages"], child["cultures"],
                    strict=True)]
    if part == "type_preference":
        column = {GROUP_OF[c]: c for c in SUITABILITY}
        return [f"{g} is {child[column[g]].iloc[k]} in the plan"
                for k, g in enumerate(home["group"])]
    if part == "track_record":
        return ["no track record recorded" if pd.isna(held) else
                f"{int(held)} placements, {int(0 if pd.isna(ended) else ended)} ended unplanned"
                for held, ended in zip(home["placements_held"], home["unplanned_endings"],
                                       strict=True)]
    return ["weekly cost unknown" if pd.isna(cost) else f"£{cost:,.0f} a week"
            for cost in home["weekly_cost_gbp"]]
