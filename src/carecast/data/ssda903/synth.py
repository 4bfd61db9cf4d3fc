"""A synthetic council: simulated children's lives in care, calibrated to published figures.

Each period of care is drawn reason-first: the reason it will end (published reasons-ceased
mix) and the age at entry (published age-at-start mix) come jointly from a table fitted by
iterative proportional fitting, with pathways ruling out implausible pairs (no adoption at
15). Durations, moves, legal-status changes and returns to care follow the assumptions in
``ssda903.synth``. Placement choices are scaled per DfE group, re-running the simulation,
until the stock at each 31 March matches the published placement mix. Entries arrive at a
constant rate from 18 years before the first return, so the first return starts in a
steady state. Vectorised with numpy; 100k episodes take about a second.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from carecast import params
from carecast.data.ssda903 import targets as targets_mod
from carecast.data.ssda903.codes import dfe_group, placement_category
from carecast.data.ssda903.summary import reason_group

YEAR = 365.25
BURN_IN_YEARS = 18
CALIBRATION_ROUNDS = 6
PARENTS = "Placed with parents or other person with parental responsibility"
CARE_ORDERS = ["C1", "C2", "D1", "E1"]


@dataclass
class Synthetic:
    """Generated records (raw CHILD ids) and what they were calibrated to."""

    episodes: pd.DataFrame
    header: pd.DataFrame
    years: list[int]
    targets: targets_mod.Targets
    multipliers: dict[str, float] = field(default_factory=dict)


def _choice(rng: np.random.Generator, probs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """One category per item from a row of ``probs`` chosen by ``rows`` (vectorised)."""
    cum = np.cumsum(probs, axis=1)
    cum = cum / cum[:, -1:]
    draw = rng.random(len(rows))
    return (draw[:, None] > cum[rows]).sum(axis=1).clip(0, probs.shape[1] - 1)


def _pick(rng: np.random.Generator, shares: dict[str, float], n: int) -> np.ndarray:
    keys = list(shares)
    p = np.array([shares[k] for k in keys], dtype=float)
    return np.array(keys, dtype=object)[rng.choice(len(keys), size=n, p=p / p.sum())]


def _birthday(dob: np.ndarray, years: int) -> np.ndarray:
    d = pd.DatetimeIndex(dob)
    day = np.where((d.month == 2) & (d.day == 29), 28, d.day)
    out = pd.to_datetime(pd.DataFrame({"year": d.year + years, "month": d.month, "day": day}))
    return out.to_numpy().astype("datetime64[D]")


class _Model:
    """Settings and fitted tables shared by every simulation round."""

    def __init__(self, tg: targets_mod.Targets) -> None:
        self.cfg = params.value("ssda903.synth")
        labels = params.value("ssda903.dfe_labels")
        self.tg = tg
        self.bands = np.array(list(labels["age_group_started"].values()), dtype=float)
        band_share = np.array([tg.age_at_entry.get(k, 0.0)
                               for k in labels["age_group_started"]])
        split = self.cfg["reason_code_split"]
        code_share = {}
        for group, codes in labels["reason_ceased"].items():
            for code in codes:
                code_share[code] = tg.reason_ceased.get(group, 0.0) * split.get(code, 1.0)
        self.codes = [c for c in code_share if c in self.cfg["pathways"]]
        p_code = np.array([code_share[c] for c in self.codes])
        compat = np.array([[b in self.cfg["pathways"][c]["bands"] for b in range(len(band_share))]
                           for c in self.codes], dtype=float)
        joint = compat * np.outer(p_code, band_share)
        for _ in range(200):  # iterative proportional fitting to both margins
            joint *= (p_code / np.maximum(joint.sum(1), 1e-12))[:, None]
            joint *= (band_share / np.maximum(joint.sum(0), 1e-12))[None, :]
        self.joint = joint / joint.sum()
        self.path = {k: np.array([self.cfg["pathways"][c].get(k, d) for c in self.codes])
                     for k, d in (("p_at_18", 0.0), ("median_days", 1.0), ("sigma", 0.0),
                                  ("min_exit_age", 0.0), ("p_final", 1.0),
                                  ("final_days", 0.0), ("final_sigma", 0.0),
                                  ("final_min_age", 0.0))}
        self.final_ls = np.array([self.cfg["pathways"][c].get("final_legal_status", "")
                                  for c in self.codes], dtype=object)
        self.final = np.array([self.cfg["pathways"][c].get("final", "") for c in self.codes])
        self.groups = list(self.cfg["placement_weights"])
        self.weights = np.array([self.cfg["placement_weights"][g] for g in self.groups]).T
        self.multipliers = np.ones(len(self.groups))


def _periods(model: _Model, rng: np.random.Generator, entry: np.ndarray,
             age: np.ndarray | None) -> pd.DataFrame:
    """Periods of care starting on ``entry``; ``age`` given for returns to care."""
    n = len(entry)
    if age is None:
        flat = rng.choice(model.joint.size, size=n, p=model.joint.ravel())
        code_i, band = np.divmod(flat, model.joint.shape[1])
        lo, hi = model.bands[band, 0], np.minimum(model.bands[band, 1], 17.9)
        age = lo + rng.random(n) * (hi - lo)
    else:
        band = np.clip(np.searchsorted(model.bands[:, 1], age, side="right"), 0,
                       len(model.bands) - 1)
        cond = model.joint.T[band] + 1e-12
        code_i = _choice(rng, cond, np.arange(n))
    dob = entry - np.round(age * YEAR).astype("timedelta64[D]")
    at18 = _birthday(dob, 18)
    p = model.path
    duration = np.exp(np.log(np.maximum(p["median_days"][code_i], 1)) +
                      p["sigma"][code_i] * rng.standard_normal(n))
    exit_ = entry + np.round(duration).astype("timedelta64[D]")
    exit_ = np.where(rng.random(n) < p["p_at_18"][code_i], at18, exit_)
    earliest = dob + np.round(p["min_exit_age"][code_i] * YEAR).astype("timedelta64[D]")
    exit_ = np.minimum(np.maximum(exit_, earliest), at18)
    exit_ = np.maximum(exit_, entry + np.timedelta64(1, "D"))
    return pd.DataFrame({"entry": entry, "exit": exit_, "dob": dob, "code_i": code_i,
                         "reason": np.array(model.codes)[code_i]})


def _life_courses(model: _Model, rng: np.random.Generator, rate: float, start: np.datetime64,
                  end: np.datetime64) -> pd.DataFrame:
    """First entries at ``rate`` a year over [start, end], then returns to care."""
    span = int((end - start).astype(int))
    n = rng.poisson(rate * span / YEAR)
    entry = start + np.sort(rng.integers(0, span, n)).astype("timedelta64[D]")
    periods = _periods(model, rng, entry, None)
    periods["child"] = np.arange(n)
    back = model.cfg["returns_to_care"]
    done = [periods]
    latest = periods
    for _ in range(3):
        exit_age = (latest["exit"] - latest["dob"]).dt.days / YEAR
        gap = np.exp(np.log(back["gap_days"]["median"]) +
                     back["gap_days"]["sigma"] * rng.standard_normal(len(latest)))
        again = latest["exit"] + pd.to_timedelta(np.round(gap), unit="D")
        age = (again - latest["dob"]).dt.days / YEAR
        keep = (latest["reason"].isin(back["reasons"]) & (exit_age < 17)
                & (rng.random(len(latest)) < back["probability"]) & (age < 17.9)
                & (again <= end)).to_numpy()
        if not keep.any():
            break
        nxt = _periods(model, rng, again[keep].to_numpy().astype("datetime64[D]"),
                       age[keep].to_numpy())
        nxt["dob"] = latest["dob"][keep].to_numpy()
        nxt["child"] = latest["child"][keep].to_numpy()
        done.append(nxt)
        latest = nxt
    out = pd.concat(done, ignore_index=True)
    return out.sort_values(["child", "entry"], ignore_index=True)


def _legal_events(model: _Model, rng: np.random.Generator, per: pd.DataFrame,
                  final_start: np.ndarray) -> tuple[np.ndarray, pd.DataFrame]:
    """Initial legal status and later changes (protection -> ICO/s20, ICO -> full order)."""
    cfg = model.cfg
    n = len(per)
    entry, exit_ = (per[c].to_numpy().astype("datetime64[D]") for c in ("entry", "exit"))
    ls0 = _pick(rng, {k: v for k, v in model.tg.legal_status.items() if not k.startswith("J")},
                n)
    forced = np.array([cfg["pathways"][c].get("legal_status", "") for c in model.codes])
    fixed = forced[per["code_i"]]
    ls0 = np.where(fixed != "", fixed, ls0)
    adopted = per["reason"].isin(["E11", "E12"]).to_numpy()
    ls0 = np.where(adopted & ~np.isin(ls0, ["L1", "L2", "L3"]), "C1", ls0)
    events = []
    days = np.vectorize(lambda s: cfg["police_protection_days"].get(s, 0))(ls0)
    protect = days > 0
    t1 = entry + days.astype("timedelta64[D]")
    to_ico = adopted | (rng.random(n) < cfg["p_care_order_after_protection"])
    ls1 = np.where(to_ico, "C1", "V2")
    ok = protect & (t1 < exit_)
    events.append(pd.DataFrame({"pid": np.flatnonzero(ok), "t": t1[ok], "ls": ls1[ok]}))
    on_ico = (ls0 == "C1") | (ok & (ls1 == "C1"))
    ico_start = np.where(ok, t1, entry)
    pro = cfg["care_proceedings_days"]
    t2 = ico_start + np.round(np.exp(np.log(pro["median"]) + pro["sigma"] *
                                     rng.standard_normal(n))).astype("timedelta64[D]")
    limit = np.where(np.isnat(final_start), exit_, final_start)
    ok2 = on_ico & (t2 < limit)
    events.append(pd.DataFrame({"pid": np.flatnonzero(ok2), "t": t2[ok2], "ls": "C2"}))
    return ls0, pd.concat(events, ignore_index=True)


def _episodes(model: _Model, rng: np.random.Generator, per: pd.DataFrame) -> pd.DataFrame:
    cfg = model.cfg
    n = len(per)
    entry, exit_, dob = (per[c].to_numpy().astype("datetime64[D]")
                         for c in ("entry", "exit", "dob"))
    length = (exit_ - entry).astype(int)
    code_i = per["code_i"].to_numpy()
    path = model.path
    # Pathways with a timed final placement (adoption, independent living) get a move to it.
    has_final = (path["final_days"][code_i] > 0) & (rng.random(n) < path["p_final"][code_i])
    f_len = np.exp(np.log(np.maximum(path["final_days"][code_i], 1)) +
                   path["final_sigma"][code_i] * rng.standard_normal(n))
    f_start = exit_ - np.round(f_len).astype("timedelta64[D]")
    f_start = np.maximum(f_start, dob + np.round(
        path["final_min_age"][code_i] * YEAR).astype("timedelta64[D]"))
    f_start = np.maximum(f_start, entry + np.round(length * 0.2).astype("timedelta64[D]"))
    has_final &= f_start < exit_
    final_start = np.where(has_final, f_start, np.datetime64("NaT"))
    pre_len = np.where(has_final, (f_start - entry).astype(int), length)
    moves = np.minimum(rng.poisson(cfg["moves_per_year"] * pre_len / YEAR), cfg["max_moves"])
    pid = np.repeat(np.arange(n), moves)
    offset = np.floor(rng.random(len(pid)) * pre_len[pid]).astype(int)
    move_t = entry[pid] + offset.astype("timedelta64[D]")
    ls0, legal = _legal_events(model, rng, per, final_start)
    f_pid = np.flatnonzero(has_final)
    parts = [
        pd.DataFrame({"pid": np.arange(n), "t": entry, "kind": "S", "ls": ls0}),
        pd.DataFrame({"pid": pid, "t": move_t, "kind": "P", "ls": None}),
        legal.assign(kind="L"),
        pd.DataFrame({"pid": f_pid, "t": final_start[f_pid], "kind": "F",
                      "ls": model.final_ls[code_i[f_pid]]}).replace({"ls": {"": None}}),
    ]
    ev = pd.concat(parts, ignore_index=True)
    ev = ev[(ev["kind"] == "S") | ((ev["t"] > entry[ev["pid"]]) & (ev["t"] < exit_[ev["pid"]]))]
    ev = ev.sort_values(["pid", "t", "kind"], ignore_index=True)
    # Merge events on the same day: a legal change with a move is RNE B.
    for kind in "SPLF":
        ev[kind] = ev["kind"].eq(kind)
    agg = ev.groupby(["pid", "t"], sort=False).agg(
        S=("S", "max"), P=("P", "max"), L=("L", "max"), F=("F", "max"), ls=("ls", "last"),
    ).reset_index()
    moved = agg["S"] | agg["P"] | agg["F"]
    legal_change = agg["L"] | (agg["F"] & agg["ls"].notna())
    agg["rne"] = np.select([agg["S"], moved & legal_change, moved], ["S", "B", "P"], "L")
    agg["ls"] = agg.groupby("pid")["ls"].ffill()
    p = agg["pid"].to_numpy()
    age = (agg["t"].to_numpy().astype("datetime64[D]") - dob[p]).astype(int) / YEAR
    band = np.clip(np.searchsorted(model.bands[:, 1], age, side="right"), 0,
                   len(model.bands) - 1)
    probs = model.weights * model.multipliers[None, :]
    group = np.array(model.groups, dtype=object)[_choice(rng, probs, band)]
    # The last placement-bearing event of each period takes the pathway's final placement.
    after = moved[::-1].astype(int).groupby(agg["pid"][::-1]).cumsum()[::-1]
    last_move = moved & (after == 1)
    final = model.final[code_i[p]]
    untimed = (path["final_days"][code_i[p]] == 0) & last_move.to_numpy() & (
        rng.random(len(p)) < path["p_final"][code_i[p]])
    use_final = (final != "") & (agg["F"].to_numpy() | untimed)
    group = np.where(use_final, final, group)
    agg["group"] = np.where(moved, group, None)
    agg["group"] = agg.groupby("pid")["group"].ffill()
    return _codes(model, rng, agg, per)


def _codes(model: _Model, rng: np.random.Generator, agg: pd.DataFrame,
           per: pd.DataFrame) -> pd.DataFrame:
    cfg = model.cfg
    moved = agg["rne"].ne("L").to_numpy()
    # Placement with parents needs a care order (rule 378); otherwise foster care.
    parents = agg["group"].eq(PARENTS) & ~agg["ls"].isin(CARE_ORDERS)
    agg.loc[parents, "group"] = "Foster placements"
    place = np.empty(len(agg), dtype=object)
    for group, shares in cfg["place_codes"].items():
        hit = moved & (agg["group"] == group).to_numpy()
        place[hit] = _pick(rng, shares, int(hit.sum()))
    provider = np.empty(len(agg), dtype=object)
    for code, shares in cfg["providers"].items():
        hit = moved & (place == code)
        provider[hit] = _pick(rng, shares, int(hit.sum()))
    agg["place"] = pd.Series(place).where(moved)
    agg["place_provider"] = pd.Series(provider).where(moved)
    agg[["place", "place_provider"]] = agg.groupby("pid")[["place", "place_provider"]].ffill()
    nxt_same = agg["pid"].eq(agg["pid"].shift(-1))
    p = agg["pid"].to_numpy()
    agg["dec"] = agg["t"].shift(-1).where(nxt_same, per["exit"].to_numpy()[p])
    agg["rec"] = np.where(nxt_same, "X1", per["reason"].to_numpy()[p])
    change = nxt_same & agg["rne"].shift(-1).isin(["P", "B"])
    agg["reason_place_change"] = None
    agg.loc[change, "reason_place_change"] = _pick(rng, cfg["reason_place_change"],
                                                   int(change.sum()))
    agg["child"] = per["child"].to_numpy()[p]
    agg["dob"] = per["dob"].to_numpy()[p]
    agg["cin"] = per["cin"].to_numpy()[p]
    return agg.rename(columns={"t": "decom"})


def _stock_mix(eps: pd.DataFrame, years: list[int]) -> pd.Series:
    counts = []
    for year in years:
        day = np.datetime64(f"{year}-03-31")
        on = eps[(eps["decom"] <= day) & (eps["dec"] > day)]
        counts.append(dfe_group(on["place"]).value_counts())
    total = pd.concat(counts).groupby(level=0).sum()
    return total / total.sum()


def generate(*, children: int = 5000, years: int = 5, last_year: int = 2024, seed: int = 1,
             council: str | None = None, targets: targets_mod.Targets | None = None
             ) -> Synthetic:
    """Simulate ``children`` children in care across ``years`` returns ending ``last_year``,
    calibrated to ``targets`` (default: ``council``'s published figures, else England's)."""
    tg = targets if targets is not None else targets_mod.load(council)
    model = _Model(tg)
    window_start = np.datetime64(f"{last_year - years}-04-01")
    window_end = np.datetime64(f"{last_year}-03-31")
    sim_start = np.datetime64(f"{last_year - years - BURN_IN_YEARS}-04-01")
    year_list = list(range(last_year - years + 1, last_year + 1))

    def run(rate: float) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        per = _life_courses(model, rng, rate, sim_start, window_end)
        per = per[per["exit"] >= window_start].reset_index(drop=True)
        per["cin"] = _pick(rng, tg.cin, len(per))
        return _episodes(model, rng, per)

    rate = children / (years + 3.0)
    eps = run(rate)
    rate *= 1.03 * children / max(eps["child"].nunique(), 1)
    target = pd.Series(tg.placement)
    for _ in range(CALIBRATION_ROUNDS):
        eps = run(rate)
        mix = _stock_mix(eps, year_list).reindex(target.index).fillna(1e-4)
        ratio = (target / mix).reindex(model.groups).fillna(1.0).to_numpy()
        model.multipliers *= ratio ** 0.9
    eps = run(rate)
    eps = eps[(eps["dec"] >= window_start) & (eps["decom"] <= window_end)]
    rng = np.random.default_rng(seed + 1)
    ids = eps["child"].unique()
    if len(ids) > children:
        eps = eps[eps["child"].isin(rng.choice(ids, children, replace=False))]
    return _finish(eps, tg, model, year_list, rng)


def _uasc(eps: pd.DataFrame, children: pd.DataFrame, share: float, year_list: list[int],
          min_age: float, rng: np.random.Generator) -> np.ndarray:
    """Which children are unaccompanied asylum-seeking: children first entering care at
    ``min_age`` or older, in random order, until they make up ``share`` of the stock at
    the 31 Marches (aligned with ``children``)."""
    first = eps.groupby("child")["decom"].min()
    age = (first - eps.groupby("child")["dob"].first()).dt.days / YEAR
    stock = pd.Series(0, index=first.index)
    for year in year_list:
        day = np.datetime64(f"{year}-03-31")
        on = eps.loc[(eps["decom"] <= day) & (eps["dec"] > day), "child"].unique()
        stock[on] += 1
    eligible = age.index[(age >= min_age).to_numpy()].to_numpy()
    order = eligible[rng.permutation(len(eligible))]
    taken = np.cumsum(stock[order].to_numpy()) <= share * stock.sum()
    return children["child"].isin(order[taken]).to_numpy()


def _finish(eps: pd.DataFrame, tg: targets_mod.Targets, model: _Model, year_list: list[int],
            rng: np.random.Generator) -> Synthetic:
    ids = np.sort(eps["child"].unique())
    labels = rng.choice(np.arange(100000, 1000000), size=len(ids), replace=False)
    rename = dict(zip(ids, labels.astype(str), strict=True))
    eps = eps.assign(child=eps["child"].map(rename)).sort_values(["child", "decom"])
    eps["category"] = placement_category(eps["place"], eps["place_provider"])
    eps["reason_group"] = reason_group(eps["rec"])
    children = eps.drop_duplicates("child")[["child", "dob"]].reset_index(drop=True)
    n = len(children)
    children["sex"] = _pick(rng, tg.sex, n)
    broad = _pick(rng, tg.ethnicity, n)
    ethnic = np.empty(n, dtype=object)
    for group, shares in model.cfg["ethnic_codes"].items():
        hit = broad == group
        ethnic[hit] = _pick(rng, shares, int(hit.sum()))
    children["ethnic"] = pd.Series(ethnic).fillna("NOBT")
    children["uasc"] = _uasc(eps, children, tg.uasc, year_list,
                             float(model.cfg["uasc_min_entry_age"]), rng)
    children["duc"] = pd.Series(_birthday(children["dob"].to_numpy(), 18)).where(
        children["uasc"])
    columns = ["child", "decom", "dec", "rne", "ls", "cin", "place", "place_provider", "rec",
               "reason_place_change", "category", "reason_group", "dob"]
    return Synthetic(
        episodes=eps[columns].reset_index(drop=True), header=children, years=year_list,
        targets=tg, multipliers=dict(zip(model.groups, model.multipliers.round(3), strict=True)),
    )
