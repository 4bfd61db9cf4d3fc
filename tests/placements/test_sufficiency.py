"""Sufficiency: the gap respects ages, supply follows turnover, cost and out-of-area follow."""

import numpy as np
import pytest
from scipy.optimize import linprog

from carecast import params
from carecast.costs.calendar import weeks_per_year
from carecast.costs.unit_costs import england_weekly
from carecast.placements import published, register, sufficiency


def _max_placed(demand: np.ndarray, classes: list[tuple[int, int, float]]) -> float:
    """The most children placeable, by linear programming (the reference answer)."""
    pairs = [(b, c) for b in range(len(demand)) for c, (lo, hi, _) in enumerate(classes)
             if lo <= b <= hi]
    if not pairs:
        return 0.0
    a_ub, b_ub = [], []
    for b in range(len(demand)):
        a_ub.append([1.0 if p[0] == b else 0.0 for p in pairs])
        b_ub.append(demand[b])
    for c, (_, _, cap) in enumerate(classes):
        a_ub.append([1.0 if p[1] == c else 0.0 for p in pairs])
        b_ub.append(cap)
    res = linprog(-np.ones(len(pairs)), A_ub=a_ub, b_ub=b_ub, bounds=(0, None))
    return -res.fun


def test_age_aware_allocation_places_as_many_children_as_possible():
    rng = np.random.default_rng(4)
    for _ in range(200):
        demand = rng.integers(0, 12, 5).astype(float)
        classes = []
        for _ in range(rng.integers(1, 6)):
            lo, hi = sorted(rng.integers(0, 5, 2))
            classes.append((int(lo), int(hi), float(rng.integers(0, 10))))
        placed = sufficiency._allocate(demand, classes)
        assert (placed <= demand + 1e-9).all()
        assert placed.sum() == pytest.approx(_max_placed(demand, classes))


def test_public_supply_is_the_own_provision_share_of_todays_children(workspace, all_demand):
    gap = sufficiency.run(workspace, all_demand.select("926"), use_register=False)
    pub = published.latest(workspace, ["926"]).iloc[0]
    supply = gap.supply
    for group in ("fostering", "residential", "supported"):
        expected = pub[group] * pub["own_share"]
        assert supply.places(group=group, provider="in_house")[0] == pytest.approx(expected)
    assert supply.places(group="fostering", provider="agency")[0] == pytest.approx(
        pub["fostering"] * (1 - pub["own_share"]))
    assert gap.supply.source == "public"
    assert "No supply register is loaded" in " ".join(gap.notes)


def test_gap_identities_hold_in_every_draw(workspace, all_demand):
    gap = sufficiency.run(workspace, all_demand, use_register=False)
    wanted = gap.supply_demand()
    assert (gap.placed <= wanted + 1e-9).all()
    assert (gap.placed.sum(-1) <= gap.capacity + 1e-6).all()
    fi = gap.groups.index("fostering")
    rest = wanted[..., fi, :] - gap.placed[..., fi, :]
    np.testing.assert_allclose(gap.agency + gap.spill, rest, atol=1e-9)
    assert (gap.spill >= -1e-9).all()


def test_households_follow_turnover_and_approvals(workspace, all_demand):
    gap = sufficiency.run(workspace, all_demand, use_register=False)
    h0 = gap.supply.households
    net = 1 - params.value("placements.carer_turnover") + params.value(
        "placements.carer_approvals")
    expected = np.round(h0)[:, None] * net ** np.arange(1, 5)
    big = h0 > 100
    assert gap.households.mean(0)[big] == pytest.approx(expected[big], rel=0.03)
    per = gap.supply.places_per_household
    fi = gap.groups.index("fostering")
    np.testing.assert_allclose(gap.needed, gap.supply_demand()[..., fi, :].sum(-1)
                               / per[None, :, None])


def test_extra_cost_is_the_spill_at_s251_residential_over_fostering(workspace, all_demand):
    gap = sufficiency.run(workspace, all_demand.select("926"), use_register=False)
    years = all_demand.years
    premium = np.array([england_weekly("residential", int(y)) - england_weekly("fostering",
                                                                                int(y))
                        for y in years])
    expected = gap.spill.sum(-1) * premium * weeks_per_year()
    np.testing.assert_allclose(gap.extra_gbp, expected)
    costs = sufficiency.unit_costs(years)
    assert costs["source"].str.contains("S251").all()


def test_register_supply_uses_ages_and_kinship(fresh_workspace, register_csv, all_demand):
    register.load_file(register_csv, fresh_workspace)
    d = all_demand.select("926")
    gap = sufficiency.run(fresh_workspace, d)
    rows = register.stored(fresh_workspace)
    active = rows[(rows["status"] == "active")]
    in_house = active[(active["provider"] == "in_house") & (active["group"] == "fostering")]
    mainstream = in_house[in_house["type"] == "foster"]
    assert gap.supply.source == "register"
    assert gap.supply.households[0] == len(mainstream)
    assert gap.capacity[:, 0, 0, gap.groups.index("fostering")].mean() == pytest.approx(
        (in_house["occupied_places"] + in_house["vacancies"]).sum(), rel=0.05)
    kin = in_house[in_house["type"] == "kinship"]
    per = gap.supply.places_per_household[0]
    fi = gap.groups.index("fostering")
    np.testing.assert_allclose(gap.needed[:, 0], np.maximum(
        gap.supply_demand()[:, 0, :, fi].sum(-1) - (kin["occupied_places"]
                                                    + kin["vacancies"]).sum(), 0) / per)
    no_register = sufficiency.run(fresh_workspace, d, use_register=False)
    assert no_register.supply.source == "public"


def test_every_exported_table_hides_small_numbers(workspace, all_demand):
    frames = sufficiency.run(workspace, all_demand.select("926"), use_register=False).frames()
    for name in ("gap", "recruitment", "out_of_area"):
        means = frames[name]["mean"].dropna()
        assert not ((means > 0) & (means < 5)).any(), name
        assert frames[name]["suppressed"].any() or name != "gap"
    summary = frames["summary"].iloc[0]
    assert summary["supply_source"] == "public"
    assert summary["carers_per_year_to_close"] >= 0
    assert set(frames["gap"]["measure"]) == {"demand", "in_house_places", "gap", "agency",
                                             "spill_to_residential"}


def test_out_of_area_attributes_the_published_share_to_external_placements(workspace,
                                                                          all_demand):
    gap = sufficiency.run(workspace, all_demand.select("926"), use_register=False)
    pub = published.latest(workspace, ["926"]).iloc[0]
    share = pub["outside_share"] / (1 - pub["own_share"])
    external = (gap.supply_demand() - gap.placed).sum(-1)
    fi = gap.groups.index("fostering")
    external[..., fi] = (gap.agency + gap.spill).sum(-1)
    np.testing.assert_allclose(gap.out_of_area, external.sum(-1) * share)
    assert gap.frames()["out_of_area"]["period"].iloc[0] == int(all_demand.years[0])
