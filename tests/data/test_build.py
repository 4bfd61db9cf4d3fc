"""The bundled tables are reproducible from the public sources and keep suppression flags."""

import math

import pandas as pd
import pytest

from carecast.data import bundled
from carecast.data.build import build


@pytest.fixture(scope="module")
def rebuilt(shared_public, tmp_path_factory):
    out = tmp_path_factory.mktemp("bundled")
    manifest = build(shared_public, out_dir=out)
    return out, manifest


def test_build_reproduces_the_shipped_tables(rebuilt):
    out, manifest = rebuilt
    assert manifest == bundled.manifest()
    for name in manifest["tables"]:
        pd.testing.assert_frame_equal(
            pd.read_parquet(out / f"{name}.parquet"), bundled.read_table(name)
        )


def test_suppressed_values_are_missing_with_their_flag_never_zero():
    obs = bundled.read_table("observations")
    city = obs[
        (obs["area_code"] == "201") & (obs["year"] == 2010) & (obs["measure"] == "cla_started")
    ]
    assert len(city) == 1
    assert math.isnan(city["value"].iloc[0])
    assert city["flag"].iloc[0] == "x"
    flagged = obs[obs["flag"].notna()]
    assert len(flagged) > 100
    assert flagged["value"].isna().all()


def test_observations_cover_the_issue_series():
    obs = bundled.read_table("observations")
    span = obs.dropna(subset=["value"]).groupby("measure")["year"].agg(["min", "max"])
    assert span.loc["cla_at_31_march", "max"] == 2024
    assert span.loc["cla_started", "min"] <= 2010
    assert span.loc["cin_at_31_march", "min"] == 2013
    assert span.loc["cpp_at_31_march", "max"] == 2024
    assert span.loc["spend_csc_total_net_gbp_thousands", "max"] == 2025
    la_2024 = obs[
        (obs["level"] == "la") & (obs["year"] == 2024) & (obs["measure"] == "cla_at_31_march")
    ]
    assert la_2024["area_code"].nunique() == 153
    chars = bundled.read_table("cla_characteristics")
    assert {"at_31_march", "started", "ceased", "placement_sfr"} == set(chars["table"])
    assert {"2021", "2025"} == {
        str(e) for e in bundled.read_table("stat_neighbours")["edition"].unique()
    }
    assert len(bundled.read_geojson("boundaries")["features"]) == 153
    assert len(bundled.read_geojson("hex_cartogram")["features"]) == 153
