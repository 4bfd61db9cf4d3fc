"""Joining overlapping returns: de-duplication, overlap repair, periods of care, codes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from carecast.data.ssda903 import codes
from carecast.data.ssda903.episodes import build
from carecast.data.ssda903.reader import read_folder

COLUMNS = ("CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,"
           "PL_POST,URN\n")


def _returns(tmp_path: Path) -> Path:
    y1 = tmp_path / "2022"
    y2 = tmp_path / "2023"
    for folder, sex in ((y1, "1"), (y2, "M")):
        folder.mkdir()
        (folder / "h.csv").write_text("CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
                                      f"9,{sex},15/06/2010,WBRI,UN2,,\n")
    # Year 1: an episode open at year end, and one DEC running past the next DECOM.
    (y1 / "e.csv").write_text(COLUMNS + (
        "9,01/05/2021,S,V2,N1,U4,PR1,20/08/2021,X1,CARPL,AB1 2CD,ab2 3ef,XXXXXXX\n"
        "9,15/08/2021,P,V2,N1,U6,PR4,,,,AB1 2CD,AB23EF,XXXXXXX\n"))
    # Year 2: the same open episode, now closed, then a return home and a new period.
    (y2 / "e.csv").write_text(COLUMNS + (
        "9,15/08/2021,P,V2,N1,U6,PR4,01/09/2022,E4A,,AB1 2CD,AB2 3EF,XXXXXXX\n"
        "9,01/01/2023,S,C1,N1,K2,PR4,,,,AB1 2CD,AB2 3EF,SC111111\n"))
    return tmp_path


def test_overlapping_returns_are_joined(tmp_path: Path) -> None:
    returns = read_folder(_returns(tmp_path))
    assert [r.year for r in returns] == [2022, 2023]
    recs = build(returns, b"k" * 32)
    eps = recs.episodes
    assert len(eps) == 3  # the episode in both returns is kept once, closed
    assert eps["dec"].iloc[0] == pd.Timestamp("2021-08-15")  # overlap closed at next DECOM
    assert eps["repair"].iloc[0].startswith("overlap")
    assert eps["rec"].iloc[1] == "E4A"
    assert eps["home_district"].tolist() == ["AB1"] * 3
    assert eps["pl_district"].iloc[0] == "AB2"
    periods = recs.periods
    assert len(periods) == 2
    assert periods["rec"].iloc[0] == "E4A" and pd.isna(periods["end"].iloc[1])
    assert round(periods["age_at_start"].iloc[0], 1) == 10.9
    assert recs.header["sex"].tolist() == ["M"]
    assert eps["category"].tolist() == ["fostering_in_house", "fostering_ifa",
                                        "residential_external"]


def test_codes() -> None:
    assert codes.harmonise_sex(pd.Series(["1", "2", "m", "F", "U", None])).tolist() == [
        "M", "F", "M", "F", "U", "U"]
    assert codes.postcode_district(pd.Series(["SW1A 1AA", "m11ab", None])).tolist()[:2] == [
        "SW1A", "M1"]
    cats = codes.placement_category(pd.Series(["U1", "K1", "H5", "P1", "A6", "Z1"]),
                                    pd.Series(["PR1", "PR1", "PR4", "PR0", "PR1", None]))
    assert cats.tolist() == ["fostering_kinship", "secure", "supported", "placed_with_parents",
                             "placed_for_adoption", "other"]
