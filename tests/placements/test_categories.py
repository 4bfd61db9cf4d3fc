"""One category hierarchy: 903 codes -> detailed -> group -> broad, read by every layer."""

import pandas as pd

from carecast.data import categories
from carecast.data.ssda903 import codes
from carecast.model import records
from carecast.scenarios import schema


def test_layers_read_the_same_lists():
    assert categories.names("broad") == records.CATEGORIES
    assert categories.names("group") == schema.CATEGORIES


def test_every_detailed_category_rolls_up_through_a_group_to_a_broad_state():
    detailed = pd.Series(categories.names("detailed"))
    groups = categories.roll_up(detailed, "group")
    assert set(groups) <= set(categories.names("group"))
    direct = categories.roll_up(detailed, "broad")
    via_group = categories.roll_up(groups, "broad")
    assert direct.tolist() == via_group.tolist()
    assert categories.roll_up(pd.Series(["no_such", None]), "group").tolist() == ["other"] * 2


def test_place_codes_map_provider_and_kinship_apart():
    place = pd.Series(["U1", "U4", "U4", "K2", "K2", "H5", "P1", "A6", "Z1"])
    provider = pd.Series(["PR1", "PR1", "PR4", "PR1", "PR5", "PR4", "PR0", "PR1", "PR4"])
    got = codes.placement_category(place, provider).tolist()
    assert got == ["fostering_kinship", "fostering_in_house", "fostering_ifa",
                   "residential_in_house", "residential_external", "supported",
                   "placed_with_parents", "placed_for_adoption", "other"]
    assert codes.broad_category(pd.Series(got)).tolist() == [
        "fostering", "fostering", "fostering", "residential", "residential", "supported",
        "other", "other", "other"]


def test_published_labels_cover_every_dfe_placement_group():
    labels = categories.published_label_groups()
    assert set(labels) == set(categories.spec()["dfe_groups"]) | {"Other placements"}
    assert labels["Secure homes and children's homes"] == "residential"
    assert set(categories.supply_groups()) == {"fostering", "residential", "supported"}
