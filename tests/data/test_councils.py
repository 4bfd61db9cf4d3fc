import pytest

from carecast.data import councils


@pytest.mark.parametrize("text", ["926", "E10000020", "Norfolk", "norfolk", " NORFOLK "])
def test_lookup_by_dfe_code_ons_code_or_name(text):
    assert councils.lookup(text).code == "926"


def test_lookup_resolves_old_ons_codes_and_name_variants():
    assert councils.lookup("E10000023").name == "North Yorkshire"  # county code before 2023
    assert councils.lookup("Bristol").code == "801"  # published as "Bristol, City of"
    assert councils.lookup("Herefordshire").code == "884"


def test_near_miss_suggests_the_council():
    with pytest.raises(LookupError, match="Did you mean 'Norfolk'"):
        councils.lookup("Norfok")


def test_unknown_council_says_how_to_find_one():
    with pytest.raises(LookupError, match="carecast la list"):
        councils.lookup("Atlantis")


def test_there_are_153_current_councils_including_the_newest():
    current = {c.code for c in councils.all_councils()}
    assert len(current) == 153
    assert {"942", "943", "940", "941", "839", "838"} <= current
    assert not {"909", "928", "835", "836", "837"} & current


def test_official_neighbours_are_ten_in_rank_order():
    assert len(councils.official_neighbours("926")) == 10
    with pytest.raises(LookupError):
        councils.official_neighbours("926", edition=1999)
