"""The referral format: checked row by row, pseudonymised, stored all or nothing."""

import json

import pandas as pd
import pytest

from carecast.data.errors import InputError
from carecast.placements import referrals, synth_referrals


def test_synthetic_referrals_follow_the_published_mix(referral_frame):
    from carecast.data.ssda903 import targets

    tg = targets.load("926")
    frame = synth_referrals.generate("926", 2000, seed=9)
    assert (frame["uasc"] == "yes").mean() == pytest.approx(tg.uasc, abs=0.03)
    female = (frame.loc[frame["uasc"] == "no", "sex"] == "female").mean()
    assert female == pytest.approx(tg.sex["F"], abs=0.04)
    young = (frame["age"] == 0).mean()
    assert young == pytest.approx(tg.age_at_entry["Under 1 year"] * (1 - tg.uasc), abs=0.04)
    assert (frame.loc[frame["age"] < 16, "supported"] != "preferred").all()


def test_load_pseudonymises_and_keeps_siblings(ws, referral_frame):
    rows = referrals.stored(ws)
    assert len(rows) == len(referral_frame)
    raw = set(referral_frame["child_id"])
    assert not raw & set(rows["child"]) and rows["child"].str.match(r"^c[0-9a-f]{16}$").all()
    text = rows.astype(str).to_csv()
    assert not any(r in text for r in raw)
    groups = referral_frame["sibling_group"].dropna().value_counts()
    assert sorted(rows["sibling_group"].dropna().value_counts()) == sorted(groups)


def test_json_gives_the_same_rows_as_csv(ws, files, referral_frame, tmp_path):
    path = synth_referrals.write(referral_frame, tmp_path / "r.json")
    assert isinstance(json.loads(path.read_text()), list)
    from_json, from_csv = referrals.prepare(path, ws).rows, referrals.prepare(files[1], ws).rows
    pd.testing.assert_frame_equal(from_json.astype(str), from_csv.astype(str))


@pytest.mark.parametrize("column,value,message", [
    ("age", "19", "ages run from 0 to 17"),
    ("urgency", "soon", "is not one of today"),
    ("sex", "x", "is not one of male"),
    ("ethnicity", "ZZZZ", "SSDA903 ethnicity code"),
    ("risks_to_child", "dragons", "unknown risks_to_child 'dragons'"),
    ("needs", "juggling", "unknown need 'juggling'"),
    ("foster", "maybe", "is not one of preferred"),
    ("home_easting", "-5", "is not a number of 0 or more"),
    ("referral_date", "yesterday", "is not a date"),
    ("pets_ok", "perhaps", "is not yes or no"),
])
def test_bad_values_are_refused_with_file_row_and_column(ws, referral_frame, tmp_path,
                                                         column, value, message):
    before = referrals.stored(ws)
    frame = referral_frame.copy()
    frame[column] = frame[column].astype(object)
    frame.loc[3, column] = value
    path = synth_referrals.write(frame, tmp_path / "bad.csv")
    with pytest.raises(InputError, match=message) as caught:
        referrals.load_file(path, ws)
    assert "row 5" in str(caught.value) and column in str(caught.value)
    pd.testing.assert_frame_equal(referrals.stored(ws), before)


def test_unknown_columns_and_repeated_children_are_refused(ws, referral_frame, tmp_path):
    frame = referral_frame.assign(name="Alice")
    with pytest.raises(InputError, match="unexpected column 'name'"):
        referrals.load_file(synth_referrals.write(frame, tmp_path / "a.csv"), ws)
    frame = referral_frame.copy()
    frame.loc[7, "child_id"] = frame.loc[2, "child_id"]
    with pytest.raises(InputError, match="also on row 4"):
        referrals.load_file(synth_referrals.write(frame, tmp_path / "b.csv"), ws)
    frame = referral_frame.copy()
    frame[["foster", "residential", "supported"]] = "unsuitable"
    with pytest.raises(InputError, match="every type of home is unsuitable"):
        referrals.load_file(synth_referrals.write(frame, tmp_path / "c.csv"), ws)
