"""Reorganised councils: successors carry their predecessors' series, by an explicit mapping."""

import pytest

from carecast.data import store


@pytest.fixture(scope="module")
def panels(workspace):
    return store.la_panel(workspace), store.la_panel(workspace, harmonised=False)


def test_bcp_before_2019_is_bournemouth_plus_poole(panels):
    harmonised, published = panels
    for year in (2012, 2016, 2019):
        expected = published.value("836", year, "cla_at_31_march") + published.value(
            "837", year, "cla_at_31_march"
        )
        assert harmonised.value("839", year, "cla_at_31_march") == pytest.approx(expected)
    # From 2020 BCP reports itself; the mapping never overwrites published figures.
    assert harmonised.value("839", 2021, "cla_at_31_march") == published.value(
        "839", 2021, "cla_at_31_march"
    )


def test_cumbria_split_apportions_counts_and_copies_rates(panels):
    harmonised, published = panels
    cumbria = published.value("909", 2020, "cla_at_31_march")
    parts = [harmonised.value(c, 2020, "cla_at_31_march") for c in ("942", "943")]
    assert sum(parts) == pytest.approx(cumbria)
    share = published.value("942", 2024, "pop_0_17") / (
        published.value("942", 2024, "pop_0_17") + published.value("943", 2024, "pop_0_17")
    )
    assert parts[0] / cumbria == pytest.approx(share)
    rate = published.value("909", 2020, "cla_at_31_march_rate_per_10000")
    assert harmonised.value("942", 2020, "cla_at_31_march_rate_per_10000") == rate
    assert harmonised.value("943", 2020, "cla_at_31_march_rate_per_10000") == rate
    assert ("942", 2020) in harmonised.notes


def test_every_current_council_has_a_series_from_2010(panels):
    harmonised, _ = panels
    codes = harmonised.values.index.get_level_values(0).unique()
    assert len(codes) == 153
    for code in codes:
        assert harmonised.value(code, 2010, "cla_at_31_march") is not None, code


def test_as_published_series_keeps_abolished_councils(panels):
    _, published = panels
    assert published.value("909", 2023, "cla_at_31_march") is not None
    assert published.value("942", 2020, "cla_at_31_march") is None
