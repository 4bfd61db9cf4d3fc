"""Overdispersed funnel limits (Spiegelhalter 2005): real between-council variation widens the
limits; pure chance leaves them exact."""

from __future__ import annotations

import numpy as np
import pandas as pd

from carecast.benchmark import compare, indicators
from carecast.benchmark.indicators import IndicatorData


def _planted(tau: float, seed: int = 0) -> tuple[IndicatorData, dict[str, list[str]]]:
    rng = np.random.default_rng(seed)
    codes = [f"c{i:03d}" for i in range(150)]
    population = rng.integers(20_000, 300_000, len(codes)).astype(float)
    true_rate = np.clip(0.007 + rng.normal(0, tau, len(codes)), 1e-4, None)
    count = rng.poisson(true_rate * population).astype(float)
    la = pd.DataFrame({"value": count / population * 10_000, "count": count,
                       "denominator": population, "flag": None, "filled": False},
                      index=pd.MultiIndex.from_product([codes, [2024]]))
    empty = la.iloc[:0]
    ind = indicators.get("cla_rate")
    peers = {c: [codes[(i + j) % len(codes)] for j in range(1, 11)] for i, c in enumerate(codes)}
    return IndicatorData(ind, la, empty, empty), peers


def test_pure_chance_gives_no_extra_spread():
    data, peers = _planted(tau=0.0)
    spread = compare.overdispersion(data, 2024, peers)
    assert spread["phi"] < 1.6
    assert spread["tau2"] * 1e8 < 0.5


def test_planted_between_council_variation_is_recovered_and_widens_limits():
    data, peers = _planted(tau=0.0015)
    spread = compare.overdispersion(data, 2024, peers)
    assert 0.0009 < np.sqrt(spread["tau2"]) < 0.0025  # planted 0.0015 (peer targets add noise)
    flagged_exact = flagged_wide = 0
    for code in data.la.index.get_level_values(0):
        flagged_exact += compare.outlier(data, code, 2024, peers[code])["is_outlier"]
        flagged_wide += compare.outlier(data, code, 2024, peers[code], peers)["is_outlier"]
    assert flagged_exact > 60  # chance-only limits flag most councils
    assert flagged_wide < 25  # about 5% + 0.2% expected beyond the 95% limits


def test_cla_rate_funnel_no_longer_flags_most_councils(workspace):
    data = indicators.load(workspace, "cla_rate")
    lists = compare._peer_lists(workspace, "official")
    outside = [compare.outlier(data, c, 2024, lists[c], lists)["position"]
               for c in data.year_values(2024).index]
    assert sum(p.endswith("99.8%") for p in outside) <= 15  # Poisson limits alone: 89
