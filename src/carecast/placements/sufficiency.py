"""Demand against supply: the gap, foster carers to recruit, its cost, out-of-area placements.

For every council, year and joint draw of :class:`~carecast.placements.demand.Demand`:

1. *Supply.* From the workspace's register (:mod:`carecast.placements.register`): active
   households and homes, each offering its filled places plus the vacancies it will take a
   child in, for the ages it is approved for. With no register, the council's published
   own-provision share of today's children in each group is its in-house supply (DfE
   publishes one share for all placements), spread over ages like the first forecast
   year's children, and the output says so. In-house mainstream foster households change
   each year in each draw: leavers ~ Binomial(households, ``placements.carer_turnover``),
   approvals ~ Poisson(households x ``placements.carer_approvals``); their places move with
   them. Kinship carers, homes and agency capacity stay at today's level.
2. *The gap.* Children are placed in in-house homes band by band, youngest first, each
   band taking the places whose approved age range ends soonest (optimal for matching ages
   to ranges), so the gap respects whom each home can take. Foster children the council
   cannot place in-house go to agency foster places (the register's agency households, or
   today's agency children) and beyond them to residential care (the spill).
3. *Recruitment.* Households needed to foster all mainstream foster demand in-house; per
   year, the households to recruit to reach that given turnover, beside the leavers and
   the approvals a service makes anyway. ``carers_per_year_to_close`` is the net extra a
   year, beyond usual approvals, that closes the gap by the last year (the number the
   foster-carer scenario lever takes).
4. *Cost.* Children in each route x (the route's England weekly unit cost - in-house) x
   weeks, the gap at 31 March held over the financial year ending then; unit costs come
   from ``placements.gap_costs`` through the costs engine
   (:func:`carecast.costs.unit_costs.england_weekly`), at one call site (:func:`unit_costs`).
5. *Out of area.* External placements x the share of agency places outside the boundary
   (from the register's ``in_area``, else the published outside share over the share not in
   own provision), plus in-house placements x the register's in-house outside share.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from carecast import params
from carecast.costs.calendar import financial_year, weeks_per_year
from carecast.costs.unit_costs import england_source, england_weekly
from carecast.data import categories
from carecast.data.workspace import Workspace
from carecast.model.schema import summarise
from carecast.placements import published, register
from carecast.placements.demand import ALL, Demand, summarise_draws
from carecast.placements.mix import council_rng
from carecast.scenarios.run import STAT_COLUMNS, suppress


@dataclass(frozen=True)
class SupplyClass:
    """Places of one kind open to ages in bands ``lo``..``hi``, per council."""

    group: str
    provider: str   # in_house or agency
    kind: str       # mainstream (foster), kinship or home
    lo: int
    hi: int
    places: np.ndarray
    households: np.ndarray


@dataclass
class Supply:
    """Supply of several councils (``codes``) as classes of places."""

    codes: np.ndarray
    source: str
    classes: list[SupplyClass]
    p_out: dict[str, np.ndarray]
    notes: list[str] = field(default_factory=list)

    def _sum(self, attr: str, **match: str) -> np.ndarray:
        out = np.zeros(len(self.codes))
        for c in self.classes:
            if all(getattr(c, k) == v for k, v in match.items()):
                out = out + getattr(c, attr)
        return out

    @property
    def households(self) -> np.ndarray:
        """Active in-house mainstream foster households (councils,)."""
        return self._sum("households", kind="mainstream", provider="in_house")

    @property
    def places_per_household(self) -> np.ndarray:
        places = self._sum("places", kind="mainstream", provider="in_house")
        default = float(params.value("placements.children_per_household"))
        homes = self.households
        return np.where(homes > 0, places / np.where(homes > 0, homes, 1), default)

    def places(self, **match: str) -> np.ndarray:
        return self._sum("places", **match)


def _band_index(ages: pd.Series) -> np.ndarray:
    bands = params.value("ssda903.age_bands")
    return np.array([next(i for i, b in enumerate(bands) if b["min"] <= a < b["max"])
                     for a in ages.astype(int)], dtype=int)


def _public_p_out(public: pd.DataFrame) -> np.ndarray:
    """Outside-boundary share of external placements: the published outside share over
    the share not in own provision, in-house carers taken as inside."""
    external = np.maximum(1 - public["own_share"].to_numpy(float), 1e-9)
    return np.clip(public["outside_share"].to_numpy(float) / external, 0, 1)


def from_register(rows: pd.DataFrame, code: str, public: pd.DataFrame) -> Supply:
    """One council's supply from its stored register (``register.STORED`` columns)."""
    active = rows[rows["status"] == "active"].copy()
    active["places"] = active["occupied_places"] + active["vacancies"]
    active["kind"] = np.select([active["type"] == "foster", active["type"] == "kinship"],
                               ["mainstream", "kinship"], "home")
    active["lo"] = _band_index(active["age_min"])
    active["hi"] = _band_index(active["age_max"])
    active["households"] = (active["kind"] == "mainstream").astype(float)
    grouped = active.groupby(["group", "provider", "kind", "lo", "hi"], as_index=False)[
        ["places", "households"]].sum()
    classes = [SupplyClass(r.group, r.provider, r.kind, int(r.lo), int(r.hi),
                           np.array([r.places], float), np.array([r.households], float))
               for r in grouped.itertuples()]
    p_out, notes = {}, []
    for provider, name in (("in_house", "in_house"), ("agency", "external")):
        part = active[(active["provider"] == provider) & active["in_area"].notna()]
        weight = part["occupied_places"].astype(float)
        if weight.sum() > 0:
            outside = ~part["in_area"].astype(bool)
            p_out[name] = np.array([float((weight * outside).sum() / weight.sum())])
    if "external" not in p_out:
        p_out["external"] = _public_p_out(public)
        notes.append("Out of area: the register does not say where agency homes are, so "
                     "the published share placed outside the boundary is used.")
    p_out.setdefault("in_house", np.zeros(1))
    return Supply(np.array([code]), "register", classes, p_out, notes)


def from_public(public: pd.DataFrame, band_mix: dict[str, np.ndarray]) -> Supply:
    """Supply from published figures (one row per council in ``public``): in-house =
    own-provision share x today's children in each group, agency foster capacity = the
    rest of today's foster children, both spread over bands by ``band_mix`` (group ->
    (councils, bands) shares)."""
    share = public["own_share"].to_numpy(float)
    per_household = float(params.value("placements.children_per_household"))
    classes = []
    for group in categories.supply_groups():
        children = np.nan_to_num(public[group].to_numpy(float)) if group in public else 0.0
        for provider, amount in (("in_house", children * share),
                                 ("agency", children * (1 - share))):
            if provider == "agency" and group != "fostering":
                continue
            kind = "mainstream" if group == "fostering" else "home"
            for b in range(band_mix[group].shape[1]):
                places = amount * band_mix[group][:, b]
                classes.append(SupplyClass(group, provider, kind, b, b, places,
                                           places / per_household if kind == "mainstream"
                                           else np.zeros_like(places)))
    note = ("No supply register is loaded: in-house supply is the council's published "
            "own-provision share of children (31 March, latest year) applied to today's "
            "children in each group, and agency foster capacity the rest of today's foster "
            "children. Load a register (carecast placements load-supply) to use the "
            "council's own homes.")
    return Supply(public.index.to_numpy(), "public", classes,
                  {"in_house": np.zeros(len(public)), "external": _public_p_out(public)},
                  [note])


def supply_for(ws: Workspace, demand: Demand, use_register: bool = True) -> Supply:
    """The workspace's register when one is loaded and ``demand`` is one council's (and
    ``use_register``), else every council's published figures."""
    public = published.latest(ws, demand.codes)
    rows = register.stored(ws) if use_register and len(demand.codes) == 1 else None
    if rows is not None and len(rows):
        return from_register(rows, str(demand.codes[0]), public)
    first = demand.draws[:, :, 0].mean(0)                      # (councils, groups, bands)
    mix = {}
    for g in categories.supply_groups():
        part = first[:, demand.groups.index(g)]
        total = part.sum(-1, keepdims=True)
        mix[g] = np.where(total > 0, part / np.where(total > 0, total, 1), 1 / part.shape[1])
    return from_public(public, mix)


def _allocate(demand: np.ndarray, classes: list[tuple[int, int, np.ndarray]]
              ) -> np.ndarray:
    """Place ``demand`` (..., bands) in ``classes`` (lo, hi, capacity broadcasting to
    demand without its band axis), youngest band first, each band taking the classes
    whose range ends soonest; returns the children placed by band."""
    left = [np.broadcast_to(np.asarray(cap, float), demand.shape[:-1]).copy()
            for _, _, cap in classes]
    order = sorted(range(len(classes)), key=lambda i: (classes[i][1], classes[i][0]))
    placed = np.zeros_like(demand)
    for b in range(demand.shape[-1]):
        want = demand[..., b].copy()
        for i in order:
            lo, hi, _ = classes[i]
            if lo <= b <= hi:
                take = np.minimum(want, left[i])
                left[i] -= take
                want -= take
                placed[..., b] += take
    return placed


def _household_paths(h0: np.ndarray, codes: np.ndarray, years: int, draws: int, seed: int
                     ) -> np.ndarray:
    """In-house mainstream foster households at each 31 March (draws, councils, years),
    each council on its own random stream."""
    turnover = float(params.value("placements.carer_turnover"))
    approvals = float(params.value("placements.carer_approvals"))
    out = np.empty((draws, len(h0), years))
    for i, code in enumerate(codes):
        rng = council_rng(seed, 23, str(code))
        now = np.full(draws, np.round(h0[i]))
        for y in range(years):
            now = now - rng.binomial(now.astype(int), turnover) + rng.poisson(approvals * now)
            out[:, i, y] = now
    return out


def unit_costs(years: np.ndarray) -> pd.DataFrame:
    """England weekly unit cost of each route (``placements.gap_costs``) in the financial
    year ending each of ``years``, with its source: the one place sufficiency prices,
    through the costs engine (:func:`carecast.costs.unit_costs.england_weekly`)."""
    rows = []
    for year in (int(y) for y in years):
        for group, routes in params.value("placements.gap_costs").items():
            for route, category in routes.items():
                rows.append({"period": financial_year(year), "group": group, "route": route,
                             "cost_category": category,
                             "gbp_per_week": england_weekly(category, year),
                             "source": england_source(category, year)})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Gap:
    """Draw-level results (draws, councils, years, ...); ``groups`` are the supply groups."""

    demand: Demand
    supply: Supply
    groups: tuple[str, ...]
    placed: np.ndarray      # in-house placed (draws, councils, years, groups, bands)
    cover: np.ndarray       # in-house places open to each band, same shape
    capacity: np.ndarray    # in-house places in all (draws, councils, years, groups)
    agency: np.ndarray      # foster children in agency places (draws, councils, years, bands)
    spill: np.ndarray       # foster children needing residential care, same shape
    households: np.ndarray  # in-house mainstream foster households (draws, councils, years)
    needed: np.ndarray      # households to foster all mainstream foster demand in-house
    recruits: np.ndarray    # to recruit in each year to reach ``needed``
    extra_gbp: np.ndarray
    out_of_area: np.ndarray
    notes: tuple[str, ...]

    def supply_demand(self) -> np.ndarray:
        """Demand of the supply groups (draws, councils, years, groups, bands)."""
        return self.demand.draws[:, :, :, [self.demand.groups.index(g) for g in self.groups]]

    def frames(self) -> dict[str, pd.DataFrame]:
        """Tidy tables, means and 80%/95% intervals over draws, small means suppressed
        (:mod:`carecast.disclosure`):
        ``gap`` (by group and age band), ``recruitment``, ``cost``, ``out_of_area``,
        ``unit_costs`` and ``summary``."""
        codes, years = self.demand.codes, self.demand.years.astype(int)
        bands = (*self.demand.bands, ALL)
        demand = self.supply_demand()
        gap = demand - self.placed
        parts = []
        for name, cube, total in (("demand", demand, demand.sum(-1)),
                                  ("in_house_places", self.cover, self.capacity),
                                  ("gap", gap, gap.sum(-1))):
            parts.append(_tidy(cube, total, codes, years, self.groups, bands, name))
        for name, cube in (("agency", self.agency), ("spill_to_residential", self.spill)):
            parts.append(_tidy(cube[:, :, :, None], cube.sum(-1)[..., None], codes, years,
                               ("fostering",), bands, name))
        turnover = float(params.value("placements.carer_turnover"))
        approvals = float(params.value("placements.carer_approvals"))
        before = np.concatenate([np.broadcast_to(self.supply.households[None, :, None],
                                                 (*self.households.shape[:2], 1)),
                                 self.households[..., :-1]], -1)
        per_year = {"households": self.households, "households_needed": self.needed,
                    "recruit_to_close": self.recruits, "leavers": before * turnover,
                    "approvals": before * approvals}
        recruitment = pd.concat([_flat(v, codes, years, k) for k, v in per_year.items()],
                                ignore_index=True)
        fy = [financial_year(int(y)) for y in years]
        return {
            "gap": suppress(pd.concat(parts, ignore_index=True), 1.0),
            "recruitment": suppress(recruitment, 1.0),
            "cost": _flat(self.extra_gbp, codes, fy, "extra_cost_gbp"),
            "out_of_area": suppress(_flat(self.out_of_area, codes, years,
                                          "placed_out_of_area"), 1.0),
            "unit_costs": unit_costs(years),
            "summary": self.summary(),
        }

    def summary(self) -> pd.DataFrame:
        """Headline numbers per council (means over draws)."""
        turnover = float(params.value("placements.carer_turnover"))
        approvals = float(params.value("placements.carer_approvals"))
        horizon = len(self.demand.years)
        h0 = self.supply.households
        baseline_end = h0 * (1 - turnover + approvals) ** horizon
        close = np.maximum(self.needed[:, :, -1].mean(0) - baseline_end, 0) / horizon
        fi = self.groups.index("fostering")
        foster_gap = (self.supply_demand()[:, :, -1, fi] - self.placed[:, :, -1, fi]).sum(-1)
        return pd.DataFrame({
            "la_code": self.demand.codes, "supply_source": self.supply.source,
            "in_house_foster_households": h0.round(1),
            "places_per_household": self.supply.places_per_household.round(2),
            "foster_gap_last_year": foster_gap.mean(0).round(1),
            "carers_per_year_to_close": close.round(1),
            "extra_cost_total_gbp": self.extra_gbp.sum(-1).mean(0).round(0),
            "placed_out_of_area_last_year": self.out_of_area[:, :, -1].mean(0).round(1),
            "first_year": int(self.demand.years[0]), "last_year": int(self.demand.years[-1]),
        })

    def to_json(self) -> dict[str, Any]:
        return {"notes": list(self.notes), "supply_source": self.supply.source,
                "tables": {k: v.astype(object).where(v.notna(), None).to_dict("records")
                           for k, v in self.frames().items()}}


def _tidy(cube: np.ndarray, total: np.ndarray, codes: np.ndarray, years: np.ndarray,
          groups: tuple[str, ...], bands: tuple[str, ...], measure: str) -> pd.DataFrame:
    """Rows (la_code, period, group, age_band, measure, stats) from a (draws, councils,
    years, groups, bands) cube and its all-bands ``total`` (draws, councils, years, groups)."""
    stats = summarise_draws(cube)
    totals = summarise_draws(total)
    grid = pd.MultiIndex.from_product([codes, years, groups, bands],
                                      names=["la_code", "period", "group", "age_band"])
    frame = grid.to_frame(index=False)
    frame.insert(4, "measure", measure)
    for key in STAT_COLUMNS:
        frame[key] = np.concatenate([stats[key], totals[key][..., None]], -1).ravel()
    return frame


def _flat(draws: np.ndarray, codes: np.ndarray, periods: list[Any] | np.ndarray,
          measure: str) -> pd.DataFrame:
    """Rows (la_code, period, measure, stats) from (draws, councils, years)."""
    stats = summarise(draws)
    frame = pd.MultiIndex.from_product([codes, list(periods)],
                                       names=["la_code", "period"]).to_frame(index=False)
    frame["measure"] = measure
    for key in STAT_COLUMNS:
        frame[key] = stats[key].ravel()
    return frame


def gap(demand: Demand, supply: Supply, *, seed: int = 0) -> Gap:
    """The gap for ``demand`` given ``supply`` (same councils); see the module docstring."""
    groups = categories.supply_groups()
    n, k, h = demand.draws.shape[:3]
    h0 = supply.households
    homes = _household_paths(h0, demand.codes, h, n, seed)
    scale = np.where((h0 > 0)[None, :, None], homes / np.where(h0 > 0, h0, 1)[None, :, None], 1.0)
    wanted = demand.draws[:, :, :, [demand.groups.index(g) for g in groups]]
    placed = np.zeros_like(wanted)
    cover = np.zeros_like(wanted)
    capacity = np.zeros(wanted.shape[:4])
    agency = spill = np.zeros((n, k, h, wanted.shape[-1]))
    for gi, group in enumerate(groups):
        classes = []
        for c in supply.classes:
            if c.group == group and c.provider == "in_house":
                cap = c.places[None, :, None] * (scale if c.kind == "mainstream" else 1.0)
                cap = np.broadcast_to(cap, (n, k, h))
                classes.append((c.lo, c.hi, cap))
                cover[:, :, :, gi, c.lo:c.hi + 1] += cap[..., None]
                capacity[:, :, :, gi] += cap
        placed[:, :, :, gi] = _allocate(wanted[:, :, :, gi], classes)
        if group == "fostering":
            rest = wanted[:, :, :, gi] - placed[:, :, :, gi]
            external = [(c.lo, c.hi, c.places[None, :, None]) for c in supply.classes
                        if c.group == group and c.provider == "agency"]
            agency = _allocate(rest, external)
            spill = rest - agency
    fi = groups.index("fostering")
    kin = supply.places(group="fostering", provider="in_house", kind="kinship")
    per = supply.places_per_household
    needed = np.maximum(wanted[:, :, :, fi].sum(-1) - kin[None, :, None], 0) / per[None, :, None]
    turnover = float(params.value("placements.carer_turnover"))
    recruits = np.zeros((n, k, h))
    level = np.broadcast_to(h0, (n, k)).astype(float)
    for y in range(h):
        kept = level * (1 - turnover)
        recruits[..., y] = np.maximum(needed[..., y] - kept, 0)
        level = np.maximum(needed[..., y], kept)
    shortfall = wanted - placed
    extra = _extra_cost(shortfall, agency, spill, groups, demand.years)
    external = shortfall.sum(-1)
    external[..., fi] = (agency + spill).sum(-1)
    out = (external.sum(-1) * supply.p_out["external"][None, :, None]
           + placed.sum((3, 4)) * supply.p_out["in_house"][None, :, None])
    notes = (*demand.notes, *supply.notes,
             "Extra cost at England S251 weekly unit costs (placements.gap_costs): S251 has "
             "one unit cost per placement type, so an agency foster placement costs what an "
             "in-house one does and the extra cost is that of children who would need "
             "residential care for want of any foster home.")
    return Gap(demand, supply, groups, placed, cover, capacity, agency, spill, homes,
               needed, recruits, extra, out, notes)


def _extra_cost(shortfall: np.ndarray, agency: np.ndarray, spill: np.ndarray,
                groups: tuple[str, ...], years: np.ndarray) -> np.ndarray:
    """Extra GBP per financial year (draws, councils, years): children in each route x
    (route - in-house) weekly cost x weeks in a year."""
    costs = unit_costs(years).set_index(["period", "group", "route"])["gbp_per_week"]
    extra = np.zeros(shortfall.shape[:3])
    for j, year in enumerate(years):
        fy = financial_year(int(year))
        for gi, group in enumerate(groups):
            inside = costs[(fy, group, "in_house")]
            if group == "fostering":
                extra[..., j] += agency[..., j, :].sum(-1) * (costs[(fy, group, "external")]
                                                               - inside)
                extra[..., j] += spill[..., j, :].sum(-1) * (costs[(fy, group, "spill")]
                                                              - inside)
            else:
                extra[..., j] += shortfall[..., j, gi, :].sum(-1) * (
                    costs[(fy, group, "external")] - inside)
    return extra * weeks_per_year()


def run(ws: Workspace, demand: Demand, *, use_register: bool = True, seed: int = 0) -> Gap:
    """Sufficiency of every council in ``demand`` (see the module docstring)."""
    return gap(demand, supply_for(ws, demand, use_register), seed=seed)
