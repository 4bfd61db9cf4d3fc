"""Matching on the web: every page refused without login and to viewers, referral upload
refused with file, row and column, shortlists with reasons, decisions audited."""

from __future__ import annotations

import pytest

from carecast.data.workspace import Workspace
from carecast.placements import decisions, referrals, register, synth_referrals, synth_supply
from carecast.service import matching
from carecast.web.accounts import audit_log

from .conftest import TestClient, csrf_from, sign_in

PAGE = "/records/matching"
UPLOAD = "/records/matching/upload"


@pytest.fixture(scope="module")
def loaded(app, tmp_path_factory):  # type: ignore[no-untyped-def]
    ws = Workspace.open(app.state.settings.workspace)
    folder = tmp_path_factory.mktemp("match-web")
    register.load_file(synth_supply.write(synth_supply.generate(ws, "926", seed=3),
                                          folder / "s.csv"), ws)
    frame = synth_referrals.generate("926", 60, seed=5)
    return frame, synth_referrals.write(frame, folder / "r.csv")


@pytest.mark.parametrize("path", [PAGE, UPLOAD, f"{PAGE}/child/c0123456789abcdef"])
def test_every_matching_page_needs_an_analyst(client: TestClient, path: str) -> None:
    assert client.get(path, follow_redirects=False).status_code in (303, 307, 401)
    sign_in(client, "viewer")
    assert client.get(path).status_code == 403
    assert client.post(f"{PAGE}/decision", data={"child": "x", "carer": "y",
                                                 "choice": "accept"}).status_code in (400, 403)


def test_upload_shortlist_and_decision(app, client: TestClient, loaded) -> None:
    frame, path = loaded
    sign_in(client, "analyst")
    token = csrf_from(client.get(UPLOAD).text)
    lines = path.read_text(encoding="utf-8").splitlines()
    cells = lines[3].split(",")
    cells[3] = "42"  # age, on file row 4
    bad = "\n".join([*lines[:3], ",".join(cells), *lines[4:]]).encode()
    ws = Workspace.open(app.state.settings.workspace)
    refused = client.post(UPLOAD, data={"csrf_token": token},
                          files={"file": ("referrals.csv", bad, "text/csv")})
    assert refused.status_code == 400
    assert "referrals.csv, row 4, column &#39;age&#39;" in refused.text
    assert referrals.stored(ws) is None
    ok = client.post(UPLOAD, data={"csrf_token": token}, follow_redirects=False,
                     files={"file": ("r.csv", path.read_bytes(), "text/csv")})
    assert ok.status_code == 303
    page = client.get(PAGE)
    assert page.status_code == 200 and "Proposals" in page.text
    assert not any(raw in page.text for raw in frame["child_id"])
    proposals = matching.run(ws).proposals
    child = proposals.loc[proposals["carer"].notna(), "child"].iloc[0]
    short = client.get(f"{PAGE}/child/{child}")
    assert short.status_code == 200 and "Homes removed by each constraint" in short.text
    assert "points of 100" in short.text
    carer = short.text.split("name=\"carer\" value=\"")[1].split("\"")[0]
    token = csrf_from(short.text)
    blank = client.post(f"{PAGE}/decision", data={"csrf_token": token, "child": child,
                                                  "carer": carer, "choice": "accept",
                                                  "reason": ""})
    assert blank.status_code == 400 and "reason" in blank.text
    done = client.post(f"{PAGE}/decision", follow_redirects=False,
                       data={"csrf_token": token, "child": child, "carer": carer,
                             "choice": "accept", "reason": "near school, carers agree"})
    assert done.status_code == 303
    assert decisions.accepted(ws) == {child: carer}
    events = [e for e in audit_log(app.state.db) if e.action == "match-accept"]
    assert events and events[0].username == "analyst"
    brief = client.get(PAGE, params={"format": "csv", "table": "brief"})
    assert brief.status_code == 200
    assert not any(raw in brief.text for raw in frame["child_id"])


def test_sufficiency_page_shows_the_recruitment_brief(app, client: TestClient, loaded) -> None:
    ws = Workspace.open(app.state.settings.workspace)
    if referrals.stored(ws) is None:
        referrals.load_file(loaded[1], ws)
    sign_in(client, "viewer")
    page = client.get("/records/placements", params={"council": "926"})
    assert page.status_code == 200 and "Recruitment brief" in page.text
    table = client.get("/records/placements", params={"council": "926", "format": "csv",
                                                      "table": "recruitment-brief"})
    assert table.status_code == 200 and "requirement" in table.text.lower()
