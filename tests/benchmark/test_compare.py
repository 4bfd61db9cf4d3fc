"""Ranks, quartile bands and funnel limits by polarity; the benchmark of one council."""

from __future__ import annotations

import pandas as pd
import pytest
from scipy import stats

from carecast.benchmark import compare
from carecast.data import store

VALUES = pd.Series({"a": 10.0, "b": 20.0, "c": 30.0, "d": 40.0, "e": 20.0})


def test_rank_higher_is_better_puts_highest_first_and_shares_ties() -> None:
    ranks = compare.rank(VALUES, "higher")
    assert ranks.to_dict() == {"a": 5, "b": 3, "c": 2, "d": 1, "e": 3}


def test_rank_lower_is_better_puts_lowest_first() -> None:
    ranks = compare.rank(VALUES, "lower")
    assert ranks.to_dict() == {"a": 1, "b": 2, "c": 4, "d": 5, "e": 2}


def test_rank_neutral_puts_highest_first() -> None:
    assert compare.rank(VALUES, "neutral").to_dict() == compare.rank(VALUES, "higher").to_dict()


def test_quartile_bands_follow_polarity() -> None:
    values = pd.Series({str(i): float(i) for i in range(1, 9)})  # q1 2.75, q2 4.5, q3 6.25
    higher = compare.quartile_band(values, "higher")
    lower = compare.quartile_band(values, "lower")
    assert "".join(higher[str(i)] for i in range(1, 9)) == "DDCCBBAA"
    assert "".join(lower[str(i)] for i in range(1, 9)) == "AABBCCDD"
    assert compare.quartile_band(values, "neutral").equals(higher)


def test_poisson_funnel_limits_match_poisson_quantiles() -> None:
    limits = compare.funnel_limits(60.0, 100_000, "rate", 10_000)
    expected = 600.0
    assert limits["95%"]["count_upper"] == stats.poisson(expected).ppf(0.975)
    assert limits["99.8%"]["count_lower"] == stats.poisson(expected).ppf(0.001)
    assert limits["99.8%"]["lower"] < limits["95%"]["lower"] < 60 < limits["95%"]["upper"]


def test_binomial_funnel_narrows_with_a_bigger_denominator() -> None:
    small = compare.funnel_limits(20.0, 100, "percent", 100)["95%"]
    big = compare.funnel_limits(20.0, 10_000, "percent", 100)["95%"]
    assert small["upper"] - small["lower"] > big["upper"] - big["lower"]


def test_benchmark_926_cla_rate_matches_the_panel(workspace) -> None:
    result = compare.benchmark(workspace, "926", "cla_rate")
    panel = store.la_panel(workspace)
    year = store.latest_year(workspace, "cla_at_31_march")
    measure = "cla_at_31_march_rate_per_10000"
    assert result["year"] == year
    assert result["value"] == panel.value("926", year, measure)
    england = store.area_panel(workspace, "england").value("E92000001", year, measure)
    assert result["england"] == england
    region = store.area_panel(workspace, "region").value("E12000006", year, measure)
    assert result["region"]["value"] == region
    peers = [panel.value(c, year, measure) for c in result["neighbours"]["codes"]]
    assert result["neighbours"]["mean"] == pytest.approx(sum(peers) / len(peers))
    assert result["neighbours"]["median"] == pytest.approx(pd.Series(peers).median())
    everyone = panel.values.xs(year, level=1)[measure].dropna()
    assert result["rank"] == int((everyone > result["value"]).sum()) + 1  # neutral: highest = 1
    assert result["rank_of"] == len(everyone)
    assert result["quartile"] in {"A", "B", "C", "D"}
    trend = result["trend"]["values"]
    assert [p["year"] for p in trend] == list(range(year - 4, year + 1))
    assert trend[-1]["value"] == result["value"]
    assert result["outlier"]["method"].startswith("poisson funnel")
    assert result["sources"][-1].startswith("Contains public sector information")


def test_lower_is_better_indicator_ranks_the_lowest_value_first(workspace) -> None:
    result = compare.benchmark(workspace, "926", "rereferral_pct", 2024)
    panel = store.la_panel(workspace).values.xs(2024, level=1)["rereferral_percent"].dropna()
    assert result["rank"] == int((panel < result["value"]).sum()) + 1
    assert result["rank_rule"] == "1 = best"


def test_benchmark_table_has_every_indicator(workspace) -> None:
    table = compare.benchmark_table(workspace, "926")
    assert {"cla_rate", "fostering_pct", "spend_per_child", "ofsted_overall"} <= set(
        table["indicator"]
    )
    ofsted = table.set_index("indicator").loc["ofsted_overall"]
    assert ofsted["value"] in {1.0, 2.0, 3.0, 4.0}


def test_unknown_year_is_a_clear_lookup_error(workspace) -> None:
    with pytest.raises(LookupError, match="available years"):
        compare.benchmark(workspace, "926", "cla_rate", 1990)
