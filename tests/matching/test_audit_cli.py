"""The fairness audit finds a planted gap and none where none was planted; the CLI."""

import json
import logging

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from carecast.cli import app
from carecast.placements import audit, constraints, referrals, register

RUNNER = CliRunner()
GROUPS = ["White", "Black", "Asian", "Mixed"]


def _frame(seed: int, black_share: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 800
    group = rng.choice(GROUPS, n, p=[0.55, 0.15, 0.15, 0.15])
    p = np.where(group == "Black", black_share, 0.9)
    return pd.DataFrame({
        "ethnic_group": group, "sex": rng.choice(["male", "female"], n),
        "disability": rng.random(n) < 0.1, "age_band": rng.choice(["0-4", "5-9", "10-15"], n),
        "has_home": rng.random(n) < p, "score": rng.normal(75, 8, n),
        "distance_km": rng.gamma(2, 6, n), "days_waiting": rng.exponential(30, n)})


def test_a_planted_disparity_is_flagged_and_nothing_else():
    cfg = constraints.settings()["audit"]
    out = audit.run(_frame(1, 0.5), cfg).set_index(["characteristic", "group"])
    assert out.loc[("ethnicity", "Black"), "flags"] == "share_with_home"
    assert (out.drop(index=("ethnicity", "Black"))["flags"] == "").all()


@pytest.mark.parametrize("seed", range(5))
def test_no_flag_where_none_was_planted(seed):
    out = audit.run(_frame(seed, 0.9), constraints.settings()["audit"])
    assert (out["flags"] == "").all()


def test_audit_through_the_service_finds_a_gap_planted_in_the_referrals(ws, files, tmp_path):
    from carecast.placements import synth_referrals
    from carecast.service import matching

    frame = synth_referrals.generate("926", 400, seed=11)
    frame["ethnicity"] = np.where(np.arange(400) % 4 == 0, "BAFR", "WBRI")
    frame.loc[np.arange(400) % 8 == 0, "adaptations"] = "hoist"   # half the Black children
    homes = pd.read_csv(files[0])
    homes["adaptations"] = None                                     # and no home has one
    register.load_file(synth_referrals.write(homes, tmp_path / "s.csv"), ws)
    referrals.load_file(synth_referrals.write(frame, tmp_path / "r.csv"), ws)
    result = matching.audit(ws, as_of="2024-04-01")
    flagged = result.flagged()
    assert ((flagged["group"] == "Black") & flagged["flags"].str.contains("share")).any()
    assert not ((flagged["characteristic"] == "ethnicity") & (flagged["group"] == "White")).any()


def _invoke(ws, *args):
    return RUNNER.invoke(app, [*args, "--workspace", str(ws.root)])


def test_cli_shortlist_run_decide_audit_without_identifiers(ws, referral_frame, caplog,
                                                            tmp_path):
    caplog.set_level(logging.DEBUG)
    raw = referral_frame["child_id"].iloc[0]
    shown = _invoke(ws, "match", "child", raw, "--json")
    assert shown.exit_code == 0, shown.output
    payload = json.loads(shown.stdout)
    child = payload["child"]
    assert child.startswith("c") and raw not in shown.stdout
    run = _invoke(ws, "match", "run", "--json", "--xlsx", str(tmp_path / "run.xlsx"))
    assert run.exit_code == 0, run.output
    proposals = pd.DataFrame(json.loads(run.stdout.split("\n", 1)[1])["proposals"])
    pick = proposals[proposals["carer"].notna()].iloc[0]
    rejected = _invoke(ws, "match", "decide", pick["child"], pick["carer"], "--reject",
                       "--reason", "carer on leave", "--by", "worker1")
    assert rejected.exit_code == 0, rejected.output
    again = json.loads(_invoke(ws, "match", "child", pick["child"], "--json", "--limit",
                               "500").stdout)
    gone = [r for r in again["excluded"] if r["carer"] == pick["carer"]]
    assert gone and "rejected" in gone[0]["constraints"]
    no_reason = _invoke(ws, "match", "decide", pick["child"], pick["carer"], "--reject",
                        "--reason", " ", "--by", "worker1")
    assert no_reason.exit_code == 2 and "reason" in no_reason.output
    audit_out = _invoke(ws, "match", "audit", "--json", "--as-of", "2024-04-01")
    assert audit_out.exit_code == 0, audit_out.output
    tables = json.loads(audit_out.stdout)
    assert "decisions" in tables and all(
        not isinstance(r["n_children"], int) or r["n_children"] == 0 or r["n_children"] >= 5
        for r in tables["current_run"])
    every = shown.stdout + run.stdout + audit_out.stdout + caplog.text
    assert not any(i in every for i in referral_frame["child_id"])


def test_set_overrides_the_distance_limit(ws, referral_frame):
    raw = referral_frame["child_id"].iloc[0]
    wide = json.loads(_invoke(ws, "match", "child", raw, "--json").stdout)
    near = json.loads(_invoke(ws, "match", "child", raw, "--json", "--set",
                              "placements.matching.max_distance_km=5").stdout)
    by = {r["constraint"]: r["homes_removed"] for r in near["removed_by"]}
    assert by["distance"] > 0 and len(near["ranked"]) <= len(wide["ranked"])
    assert all(r["distance_km"] is None or r["distance_km"] <= 5 for r in near["ranked"])


def test_sufficiency_shows_the_recruitment_brief(ws):
    from carecast.service import matching

    brief = matching.recruitment_brief(ws)
    assert brief is not None and not brief.empty
    assert set(brief["requirement"]) >= {"type_of_home", "age_band", "places_together"}
    nobody = matching.run(ws)
    no_home = int((nobody.proposals["eligible_homes"] == 0).sum())
    per_child = brief[brief["requirement"] == "age_band"]["n_children"].sum()
    assert per_child == no_home  # one age band per child nobody fits
    shown = _invoke(ws, "placements", "sufficiency", "926", "--horizon", "2", "--draws", "200")
    assert shown.exit_code == 0, shown.output
    assert "Recruitment brief" in shown.stdout
