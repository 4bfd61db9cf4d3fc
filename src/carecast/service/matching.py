"""Matching children with foster carers and homes, for every face (``carecast match``, the
signed-in matching pages, the sufficiency page's recruitment brief, the Python API).

Each function checks its arguments, reads the workspace's referrals, register, centroids
and decisions, runs :mod:`carecast.placements.engine` under any ``--set`` overrides of
``placements.matching`` and returns tidy frames. Children are named only by their
pseudonyms; nothing is placed without a worker's decision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from carecast import disclosure, params
from carecast.data.errors import InputError
from carecast.data.ssda903.pseudonymise import pseudonym, workspace_secret
from carecast.data.workspace import Workspace
from carecast.placements import audit as audit_mod
from carecast.placements import (
    constraints,
    decisions,
    engine,
    geo,
    referrals,
    register,
    synth_referrals,
)
from carecast.service.workspace import date as parse_date

METHODS = ("best", "greedy")


def load_referrals(ws: Workspace, path: str | Path) -> dict[str, Any]:
    """Check, pseudonymise and store a referral file; its summary (no identifiers)."""
    return referrals.load_file(path, ws).summary()


def load_centroids(ws: Workspace, path: str | Path) -> int:
    """Store the council's postcode-district centroid file; rows stored."""
    return geo.load_centroids(path, ws)


def synthetic_referrals(council: str, out: str | Path, *, children: int = 200, seed: int = 1
                        ) -> tuple[Path, pd.DataFrame]:
    """Write synthetic referrals calibrated to ``council`` (CSV, XLSX or JSON by suffix)."""
    frame = synth_referrals.generate(council, children, seed=seed)
    return synth_referrals.write(frame, out), frame


def _inputs(ws: Workspace) -> tuple[pd.DataFrame, pd.DataFrame]:
    kids, homes = referrals.stored(ws), register.stored(ws)
    if kids is None:
        raise InputError("no referrals in this workspace: run 'carecast match load FILE'")
    if homes is None:
        raise InputError("no supply register in this workspace: run "
                         "'carecast placements load-supply FILE'")
    taken = decisions.accepted(ws)
    kids = kids[~kids["child"].isin(list(taken))]
    held = decisions.held_places(ws)
    if held:
        homes = homes.copy()
        homes["vacancies"] = (homes["vacancies"] - homes["carer"].map(held).fillna(0)).clip(
            lower=0)
    return kids, homes


def problem(ws: Workspace, *, child: str | None = None,
            overrides: dict[str, Any] | None = None) -> engine.Problem:
    """The matching problem for every waiting child against the homes with a vacancy (or
    one child and the siblings placed with it against every home, so the shortlist can say
    why each was removed), under ``overrides`` of parameters."""
    kids, homes = _inputs(ws)
    if child is not None:
        found = kids[kids["child"] == child]
        if found.empty:
            raise InputError(f"no waiting child {child} (an accepted match or not referred)")
        group = found["sibling_group"].iloc[0]
        if found["place_together"].iloc[0] and isinstance(group, str):
            found = kids[kids["sibling_group"] == group]
        kids = found
    else:  # a joint run needs only homes that could take a child now
        homes = homes[(homes["status"] == "active") & (homes["vacancies"] > 0)]
    with params.overridden(overrides or {}, "--set") as view:
        cfg = constraints.settings()
        built = engine.build(kids, homes, centroids=geo.centroids(ws),
                             rejected=decisions.rejected(ws), cfg=cfg)
        view.require_used()
    return built


def child_key(ws: Workspace, text: str) -> str:
    """A child's pseudonym from the pseudonym itself or the council's own id."""
    text = text.strip()
    kids = referrals.stored(ws)
    known = set() if kids is None else set(kids["child"])
    if text in known:
        return text
    guess = pseudonym(text, workspace_secret(ws.root))
    if guess in known:
        return guess
    raise InputError(f"no referral for child {text!r}")


@dataclass(frozen=True)
class Shortlist:
    child: str
    facts: dict[str, Any]
    ranked: pd.DataFrame
    excluded: pd.DataFrame
    summary: pd.DataFrame   # per constraint: homes it removed
    profile: dict[str, Any] | None

    def to_json(self) -> dict[str, Any]:
        def rows(f: pd.DataFrame) -> list[dict]:
            return f.astype(object).where(f.notna(), None).to_dict("records")
        return {"child": self.child, "facts": self.facts, "ranked": rows(self.ranked),
                "excluded": rows(self.excluded), "removed_by": rows(self.summary),
                "profile_needed": self.profile}


def shortlist(ws: Workspace, child: str, *, limit: int | None = 10,
              overrides: dict[str, Any] | None = None) -> Shortlist:
    """One child's ranked homes with every score part and reason, and every home removed
    with the constraints that removed it; the profile that would fit when none does."""
    if limit is not None and limit < 1:
        raise InputError("--limit must be 1 or more")
    key = child_key(ws, child)
    p = problem(ws, child=key, overrides=overrides)
    ranked, excluded = engine.shortlist(p, key, limit)
    i = int(np.flatnonzero(p.children["child"].to_numpy() == key)[0])
    removed = pd.DataFrame([{"constraint": n, "reason": constraints.REASONS[n],
                             "homes_removed": int((~p.passes[n][i]).sum())}
                            for n in constraints.NAMES])
    c = p.children.iloc[i]
    facts = {k: (None if pd.isna(c[k]) else (c[k].item() if hasattr(c[k], "item") else c[k]))
             for k in ("age", "sex", "urgency", "sibling_group", "live_alongside", "needs",
                       "risks_to_child", "risks_to_others", "foster", "residential",
                       "supported", "extra_support")}
    facts["siblings_placed_together"] = int(p.group_size[i])
    facts["homes_considered"] = len(p.homes)
    return Shortlist(key, facts, ranked, excluded, removed,
                     None if p.eligible[i].any() else engine.profile(p, i))


@dataclass(frozen=True)
class Run:
    method: str
    proposals: pd.DataFrame
    unmatched: pd.DataFrame
    brief: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        def rows(f: pd.DataFrame) -> list[dict]:
            return f.astype(object).where(f.notna(), None).to_dict("records")
        return {"method": self.method, "summary": self.summary,
                "proposals": rows(self.proposals), "unmatched": rows(self.unmatched),
                "recruitment_brief": rows(disclosure.mark(self.brief, ["n_children"]))}


def _summary(proposals: pd.DataFrame) -> dict[str, Any]:
    placed = proposals[proposals["carer"].notna()]
    return {"children": len(proposals), "matched": len(placed),
            "no_eligible_home": int((proposals["eligible_homes"] == 0).sum()),
            "mean_score": None if placed.empty else round(float(placed["score"].mean()), 2),
            "mean_distance_km": None if placed["distance_km"].isna().all()
            else round(float(placed["distance_km"].mean()), 2)}


def run(ws: Workspace, *, method: str = "best", overrides: dict[str, Any] | None = None
        ) -> Run:
    """Proposals for every waiting child at once: the best joint assignment (or the
    first-come baseline), children left without a home and why, and the recruitment
    brief for the children nobody fits."""
    if method not in METHODS:
        raise InputError(f"--method must be one of {', '.join(METHODS)}, not {method!r}")
    p = problem(ws, overrides=overrides)
    proposals = engine.joint(p, method=method)
    return Run(method, proposals, engine.unmatched(p, proposals),
               engine.recruitment_brief(p, proposals), _summary(proposals))


def compare(ws: Workspace, *, overrides: dict[str, Any] | None = None) -> pd.DataFrame:
    """The best joint assignment beside the first-come baseline on the same data."""
    p = problem(ws, overrides=overrides)
    return pd.DataFrame([{"method": m, **_summary(engine.joint(p, method=m))}
                         for m in METHODS])


def recruitment_brief(ws: Workspace) -> pd.DataFrame | None:
    """The brief for the children nobody fits (None without referrals and a register)."""
    if referrals.stored(ws) is None or register.stored(ws) is None:
        return None
    return run(ws).brief


def _days(later: pd.Series, earlier: pd.Series) -> pd.Series:
    return (pd.to_datetime(later) - pd.to_datetime(earlier)).dt.days.astype(float)


@dataclass(frozen=True)
class Audit:
    current: pd.DataFrame
    decided: pd.DataFrame | None
    as_of: str
    notes: tuple[str, ...]

    def flagged(self) -> pd.DataFrame:
        parts = [f.assign(on=on) for on, f in (("current run", self.current),
                                               ("decisions", self.decided)) if f is not None]
        frame = pd.concat(parts, ignore_index=True)
        return frame[frame["flags"] != ""][["on", "characteristic", "group", "flags"]]


def audit(ws: Workspace, *, as_of: str | None = None,
          overrides: dict[str, Any] | None = None) -> Audit:
    """The fairness audit on the current best run and on stored decisions."""
    p = problem(ws, overrides=overrides)
    cfg = p.cfg["audit"]
    day = parse_date(as_of, "--as-of") if as_of else None
    when = pd.Timestamp(day) if day else pd.Timestamp(referrals.loaded_on(ws))
    proposals = engine.joint(p)
    kids = p.children
    frame = pd.DataFrame({
        "ethnic_group": kids["ethnic_group"], "sex": kids["sex"],
        "disability": kids["disability"].astype(bool),
        "age_band": audit_mod.age_bands(kids["age"], cfg["age_bands"]),
        "has_home": p.eligible.any(axis=1), "score": proposals["score"].astype(float),
        "distance_km": proposals["distance_km"].astype(float),
        "days_waiting": _days(pd.Series(when, index=kids.index), kids["referral_date"])})
    current = audit_mod.run(frame, cfg)
    made = decisions.stored(ws)
    decided = None
    if not made.empty:
        everyone = referrals.stored(ws)
        d = made.merge(everyone, on="child", how="inner")
        frame = pd.DataFrame({
            "ethnic_group": d["ethnic_group"], "sex": d["sex"],
            "disability": d["disability"].astype(bool),
            "age_band": audit_mod.age_bands(d["age"], cfg["age_bands"]),
            "accepted": d["decision"] == "accept", "score": d["score"].astype(float),
            "distance_km": np.nan,
            "days_waiting": _days(d["decided_at"], d["referral_date"])})
        decided = audit_mod.run(frame, cfg, share="accepted", label="accepted")
    notes = (f"Days waiting to {when.date()}.",
             f"Flags: beyond a ratio of {cfg['ratio']} to the best-off group and significant "
             f"at {cfg['alpha']} after Holm's adjustment; groups under {cfg['min_group']} "
             "children are not tested.")
    return Audit(current, decided, str(when.date()), notes)


def decide(ws: Workspace, *, child: str, carer: str, decision: str, reason: str,
           worker: str) -> dict[str, Any]:
    """Record a worker's decision on a proposal (the score it had is kept with it)."""
    key = child_key(ws, child)
    score = None
    try:
        ranked = shortlist(ws, key, limit=None).ranked
        hit = ranked[ranked["carer"] == carer] if not ranked.empty else ranked
        score = float(hit["score"].iloc[0]) if len(hit) else None
    except InputError:
        pass
    if decision.strip().lower() == "accept" and score is None:
        raise InputError(f"{carer} is not an eligible home for child {key}: it cannot be "
                         "accepted")
    return decisions.record(ws, child=key, carer=carer, decision=decision, reason=reason,
                            worker=worker, score=score)


def decision_log(ws: Workspace) -> pd.DataFrame:
    """Every stored decision (pseudonyms, worker, reason, time)."""
    return decisions.stored(ws)


__all__ = ["Audit", "Run", "Shortlist", "audit", "child_key", "compare", "decide",
           "decision_log", "load_centroids", "load_referrals", "problem", "recruitment_brief",
           "run", "shortlist", "synthetic_referrals"]
