"""Coordinates: the grid conversion, points inside a council's boundary, district centroids."""

import numpy as np
import pandas as pd
import pytest

from carecast.data.errors import InputError
from carecast.placements import geo


def test_grid_conversion_matches_ordnance_survey():
    # OS worked example (A guide to coordinate systems in Great Britain, annex C):
    # 52 39' 27.2531" N, 1 43' 4.5177" E -> E 651409.903, N 313177.270 (OSGB36).
    east, north = geo.to_grid(np.array([1 + 43 / 60 + 4.5177 / 3600]),
                              np.array([52 + 39 / 60 + 27.2531 / 3600]))
    assert east[0] == pytest.approx(651409.903, abs=0.01)
    assert north[0] == pytest.approx(313177.270, abs=0.01)


def test_synthetic_points_fall_inside_or_outside_the_boundary():
    rng = np.random.default_rng(3)
    e, n = geo.sample(rng, "926", 200)
    assert geo.inside("926", e, n).all()
    e, n = geo.sample(rng, "Norfolk", 200, within=False)
    assert not geo.inside("926", e, n).any()
    assert (e > 450000).all() and (e < 720000).all()  # within 40 km of Norfolk's box


def test_centroids_locate_districts_and_refuse_bad_rows(fresh_workspace, tmp_path):
    good = tmp_path / "c.csv"
    good.write_text("postcode_district,easting,northing\nNR1,623500,308300\nNR2,621800,308900\n")
    assert geo.load_centroids(good, fresh_workspace) == 2
    table = geo.centroids(fresh_workspace)
    e, n = geo.locate(pd.Series([None, 600000.0]), pd.Series([None, 300000.0]),
                      pd.Series(["NR2", "NR1"]), table)
    assert e.tolist() == [621800.0, 600000.0] and n.tolist() == [308900.0, 300000.0]
    bad = tmp_path / "b.csv"
    bad.write_text("postcode_district,easting,northing\nNR1,623500,308300\nNR1,1,2\n")
    with pytest.raises(InputError, match="row 3.*also on row 2"):
        geo.load_centroids(bad, fresh_workspace)
    assert len(geo.centroids(fresh_workspace)) == 2
