"""A worker's decisions on proposed matches: accept or reject, always with a reason.

Nothing is placed automatically and nothing is learned from decisions: a rejection removes
that one child-home pair from later proposals (shown as the ``rejected`` constraint), an
acceptance takes the child out of later runs and holds the places it uses until the next
register load. Decisions are kept in the workspace (``placements_match_decisions``) with
the worker's account name and the database's time; the web app also writes them to its
audit log.
"""

from __future__ import annotations

import pandas as pd

from carecast.data.errors import InputError
from carecast.data.workspace import Workspace
from carecast.placements import referrals, register

TABLE = "placements_match_decisions"
CHOICES = ("accept", "reject")
MAX_REASON = 500


def record(ws: Workspace, *, child: str, carer: str, decision: str, reason: str, worker: str,
           score: float | None = None) -> dict:
    """Store one decision (pseudonyms only); refuses unknown children or carers, a missing
    reason and a second acceptance for a child."""
    decision = decision.strip().lower()
    if decision not in CHOICES:
        raise InputError(f"a decision is accept or reject, not {decision!r}")
    reason = " ".join(reason.split())
    if not reason:
        raise InputError("give the reason for the decision")
    if len(reason) > MAX_REASON:
        raise InputError(f"keep the reason under {MAX_REASON} characters")
    if not worker.strip():
        raise InputError("name the worker making the decision")
    kids, homes = referrals.stored(ws), register.stored(ws)
    if kids is None or child not in set(kids["child"]):
        raise InputError(f"no referral for child {child}")
    if homes is None or carer not in set(homes["carer"]):
        raise InputError(f"no household or home {carer} in the register")
    if decision == "accept" and child in accepted(ws):
        raise InputError(f"child {child} already has an accepted match")
    with ws.change() as con:
        con.execute(f"""CREATE TABLE IF NOT EXISTS "{TABLE}" (
            decided_at TIMESTAMP DEFAULT current_timestamp, child VARCHAR, carer VARCHAR,
            decision VARCHAR, reason VARCHAR, worker VARCHAR, score DOUBLE)""")
        con.execute(f'INSERT INTO "{TABLE}" (child, carer, decision, reason, worker, score) '
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [child, carer, decision, reason, worker.strip(), score])
    return {"child": child, "carer": carer, "decision": decision, "reason": reason,
            "worker": worker.strip()}


def stored(ws: Workspace) -> pd.DataFrame:
    """Every decision, oldest first (empty when none)."""
    if not ws.has_table(TABLE):
        return pd.DataFrame(columns=["decided_at", "child", "carer", "decision", "reason",
                                     "worker", "score"])
    return ws.query(f'SELECT * FROM "{TABLE}" ORDER BY decided_at, child')


def rejected(ws: Workspace) -> set[tuple[str, str]]:
    d = stored(ws)
    d = d[d["decision"] == "reject"]
    return set(zip(d["child"], d["carer"], strict=True))


def accepted(ws: Workspace) -> dict[str, str]:
    """Child -> carer for accepted matches."""
    d = stored(ws)
    d = d[d["decision"] == "accept"]
    return dict(zip(d["child"], d["carer"], strict=True))


def held_places(ws: Workspace) -> dict[str, int]:
    """Places taken by matches accepted since the register was last loaded, per carer."""
    d = stored(ws)
    d = d[d["decision"] == "accept"]
    if d.empty or not ws.has_table(register.LOG):
        return {}
    loaded = ws.query(f'SELECT max(loaded_at) AS at FROM "{register.LOG}"')["at"].iloc[0]
    d = d[pd.to_datetime(d["decided_at"]) >= pd.Timestamp(loaded)]
    return d.groupby("carer").size().astype(int).to_dict()
