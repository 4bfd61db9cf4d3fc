"""Short breaks (legal status V3/V4) are stored but not counted as children looked after."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from carecast.data.ssda903 import cla, store, summary
from carecast.data.workspace import Workspace
from carecast.model.records import MultistateModel, forecast_start
from carecast.scenarios.records import prepare

HEADER = ("CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
          "1001,1,01/02/2010,WBRI,UN2,,\n1002,2,03/04/2012,WBRI,UN2,,\n"
          "1003,1,05/06/2011,WBRI,UN2,,\n1004,2,07/08/2013,WBRI,UN2,,\n")
EPISODES = (
    "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,"
    "PL_POST,URN\n"
    # 1001 in care at 31 March; 1002 starts and goes home.
    "1001,01/05/2022,S,V2,N1,U4,PR1,,,,AB1 2CD,AB2 3EF,XXXXXXX\n"
    "1002,10/10/2022,S,C1,N1,K2,PR4,01/03/2023,E4A,,AB1 2CD,AB2 3EF,SC123456\n"
    # 1003 has only short breaks, one open at 31 March: never counted.
    "1003,01/06/2022,S,V3,N2,U4,PR1,03/06/2022,E8,,AB1 2CD,AB2 3EF,XXXXXXX\n"
    "1003,01/09/2022,S,V3,N2,U4,PR1,,,,AB1 2CD,AB2 3EF,XXXXXXX\n"
    # 1004 moves from short breaks into ordinary care (RNE L): care starts then.
    "1004,01/07/2022,S,V4,N2,U4,PR1,01/08/2022,X1,,AB1 2CD,AB2 3EF,XXXXXXX\n"
    "1004,01/08/2022,L,C1,N2,U4,PR1,,,,AB1 2CD,AB2 3EF,XXXXXXX\n"
)


@pytest.fixture()
def ws(tmp_path: Path) -> Workspace:
    folder = tmp_path / "2023"
    folder.mkdir()
    (folder / "header.csv").write_text(HEADER)
    (folder / "episodes.csv").write_text(EPISODES)
    ws = Workspace.open(tmp_path / "ws")
    store.ingest(folder, ws)
    return ws


def test_short_breaks_are_stored_but_not_counted(ws: Workspace) -> None:
    eps = store.load_episodes(ws)
    assert len(eps) == 6
    assert set(eps["ls"]) >= {"V3", "V4"}
    got = summary.counts(eps, [2023])
    assert got["stock"]["count"].tolist() == [2]
    assert got["starts"]["count"].tolist() == [3]
    assert got["ceased"]["count"].sum() == 1
    assert got["ceased"]["reason"].tolist() == summary.reason_group(pd.Series(["E4A"])).tolist()
    counted = cla.counted_episodes(eps)
    assert not counted["ls"].isin(["V3", "V4"]).any()
    assert counted.loc[counted["ls"] == "C1", "rne"].tolist() == ["S", "S"]
    pd.testing.assert_frame_equal(cla.counted_episodes(counted), counted)


def test_model_entries_leave_out_short_breaks(ws: Workspace) -> None:
    eps = store.load_episodes(ws)
    model = MultistateModel(n_draws=10).fit(eps, end=forecast_start(eps))
    assert model.rates_.entry_events.sum() == 3
    assert model.rates_.stock0.sum() == 2
    baseline = prepare(eps, draws=10)
    assert len(baseline.entries) == 3


def test_exclusions_are_a_parameter() -> None:
    assert cla.excluded_legal_status() == ["V3", "V4"]
    ls = pd.Series(["v3", "V4", "V2", None, "C1"])
    assert cla.is_short_break(ls).tolist() == [True, True, False, False, False]
