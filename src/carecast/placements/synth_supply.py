"""A synthetic supply register for one council, calibrated to its published figures.

The council's latest 31 March counts give the children in foster care, residential care
and supported accommodation, its own-provision share how many of them live with in-house
carers (group shares in ``placements.synth_supply`` scaled until the in-house total matches
that share), and its share placed outside the boundary how many agency homes lie outside
the area. Households and homes are then drawn until their filled places hold those
children; sizes, occupancy, age ranges, skills and costs are the file's assumptions. The
rows are in the register format (:mod:`carecast.placements.register`), for tests and
demonstrations: a real register replaces them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from carecast import params
from carecast.data import councils
from carecast.data.errors import InputError
from carecast.data.workspace import Workspace
from carecast.placements import geo, published, register
from carecast.placements.register import COLUMNS


def _in_house_shares(counts: dict[str, float], base: dict[str, float], target: float
                     ) -> dict[str, float]:
    """Group shares ``base`` scaled by one factor so the in-house share is ``target``."""
    total = sum(counts[g] for g in base)
    lo, hi = 0.0, 20.0
    for _ in range(60):
        k = (lo + hi) / 2
        share = sum(counts[g] * min(1.0, k * base[g]) for g in base) / max(total, 1)
        lo, hi = (k, hi) if share < target else (lo, k)
    return {g: min(1.0, lo * base[g]) for g in base}


def _pick(rng: np.random.Generator, shares: dict, n: int) -> np.ndarray:
    keys = list(shares)
    p = np.array([shares[k] for k in keys], float)
    return np.array(keys, dtype=object)[rng.choice(len(keys), n, p=p / p.sum())]


def _fill(rng: np.random.Generator, target: int, places: np.ndarray, rate: float
          ) -> list[tuple[int, int]]:
    """(approved, occupied) for households or homes drawn until ``target`` are placed."""
    out: list[tuple[int, int]] = []
    placed = 0
    while placed < target:
        size = int(rng.choice(places))
        occupied = min(int(rng.binomial(size, rate)), target - placed)
        out.append((size, occupied))
        placed += occupied
    return out


def generate(ws: Workspace, council: str, *, seed: int = 1) -> pd.DataFrame:
    """Register rows (raw carer ids) for ``council`` (any code or name)."""
    code = councils.lookup(council).code
    cfg = params.value("placements.synth_supply")
    pub = published.latest(ws, [code]).iloc[0].to_dict()
    if not np.isfinite(pub["year"]):
        raise LookupError(f"no published placement figures for council {code}")
    rng = np.random.default_rng(seed)
    shares = _in_house_shares(pub, cfg["in_house_share"], pub["own_share"])
    inside = {g: round(pub[g] * shares[g]) for g in shares}
    outside = {g: round(pub[g]) - inside[g] for g in shares}
    kin = round(inside["fostering"] * cfg["kinship_share"])
    sizes = np.array([int(k) for k, _ in cfg["places"].items() for _ in
                      range(round(cfg["places"][k] * 20))])
    rows = []

    def add(kind: str, provider: str, approved: int, occupied: int, vacancies: int,
            ages: str, status: str = "active") -> None:
        lo, hi = (int(a) for a in ages.split("-"))
        rows.append({"type": kind, "provider": provider, "status": status,
                     "approved_places": approved, "occupied_places": occupied,
                     "vacancies": vacancies, "age_min": lo, "age_max": hi})

    for _ in range(kin):
        size = 1 if rng.random() < 0.8 else 2
        age = int(rng.integers(0, 17))
        add("kinship", "in_house", size, size, 0, f"{max(age - 2, 0)}-{min(age + 4, 17)}")
    for provider, target in (("in_house", inside["fostering"] - kin),
                             ("agency", outside["fostering"])):
        for size, occupied in _fill(rng, target, sizes, cfg["filled_rate"]):
            vacant = int(rng.binomial(size - occupied, cfg["available_vacancy"]))
            add("foster", provider, size, occupied, vacant, _pick(rng, cfg["foster_ages"], 1)[0])
    n_foster = len(rows)
    for status, share in cfg["not_active"].items():
        for _ in range(round(n_foster * share)):
            size = int(rng.choice(sizes))
            add("foster", "in_house", size if status == "on_hold" else 0, 0, 0,
                _pick(rng, cfg["foster_ages"], 1)[0], status)
    for group, kind, places, ages, rate in (
            ("residential", "childrens_home", cfg["home_places"], cfg["home_ages"],
             cfg["home_filled_rate"]),
            ("supported", "supported_accommodation", cfg["supported_places"], {"16-17": 1},
             cfg["home_filled_rate"])):
        for provider, target in (("in_house", inside[group]), ("agency", outside[group])):
            for size, occupied in _fill(rng, target, np.asarray(places), rate):
                add(kind, provider, size, occupied, int(rng.binomial(size - occupied, 0.5)),
                    _pick(rng, ages, 1)[0])
    if not rows:
        raise InputError(f"council {code} has no published children to calibrate a register to")
    frame = pd.DataFrame(rows)
    return _finish(frame, pub, cfg, rng, code)


def _finish(frame: pd.DataFrame, pub: dict, cfg: dict, rng: np.random.Generator, code: str
            ) -> pd.DataFrame:
    n = len(frame)
    frame["carer_id"] = [f"SYN{x:06d}" for x in rng.choice(10 ** 6, n, replace=False)]
    frame["postcode_district"] = [f"ZZ{x}" for x in rng.integers(1, 99, n)]
    occupied = frame["occupied_places"].to_numpy(float)
    in_house = (frame["provider"] == "in_house").to_numpy()
    p_in = float(cfg["in_house_out_of_area"])
    total = occupied.sum()
    p_out = np.clip((pub["outside_share"] * total - occupied[in_house].sum() * p_in)
                    / max(occupied[~in_house].sum(), 1), 0, 1)
    outside = rng.random(n) < np.where(in_house, p_in, p_out)
    frame["in_area"] = np.where(outside, "no", "yes")
    skills = cfg["skills"]
    frame["skills"] = [";".join(s for s, p in skills.items() if rng.random() < p) or None
                       for _ in range(n)]
    home = frame["type"].isin(["childrens_home", "supported_accommodation"]).to_numpy()
    places = frame["approved_places"].to_numpy()
    frame["sibling_capacity"] = np.where(home | (places == 0), None,
                                         np.minimum(places, rng.integers(1, 4, n)))
    cost = cfg["weekly_cost_gbp"]
    mean = np.select([frame["type"].eq("childrens_home").to_numpy(), in_house],
                     [cost["childrens_home"], cost["foster_in_house"]], cost["foster_agency"])
    weekly = np.round(mean * np.exp(0.15 * rng.standard_normal(n)), 2)
    frame["weekly_cost_gbp"] = np.where(frame["type"].eq("supported_accommodation"), None,
                                        weekly)
    days = rng.integers(0, 3650, n)
    end = np.datetime64(f"{int(pub['year'])}-03-31")
    frame["approved_date"] = [str(end - np.timedelta64(int(d), "D")) for d in days]
    _for_matching(frame, cfg["matching"], rng, code)
    return frame[[c.name for c in COLUMNS]]


def _for_matching(frame: pd.DataFrame, cfg: dict, rng: np.random.Generator, code: str
                  ) -> None:
    """What the matching engine reads: where the home is (inside the boundary when in the
    area), pets, the children already there, languages, cultures, risk training,
    adaptations and the track record."""
    n = len(frame)
    east, north = np.zeros(n), np.zeros(n)
    for within in (True, False):
        rows = (frame["in_area"] == "yes").to_numpy() == within
        east[rows], north[rows] = geo.sample(rng, code, int(rows.sum()), within=within)
    frame["easting"], frame["northing"] = east, north
    home = frame["type"].isin(["childrens_home", "secure_childrens_home",
                               "supported_accommodation"]).to_numpy()
    frame["pets"] = np.where(home, "no", np.where(rng.random(n) < cfg["pets"], "yes", "no"))
    lo, hi = frame["age_min"].to_numpy(int), frame["age_max"].to_numpy(int)
    frame["children_ages"] = [";".join(str(a) for a in sorted(rng.integers(lo[i], hi[i] + 1, k)))
                              or None for i, k in enumerate(frame["occupied_places"])]
    extra = list(cfg["languages"])
    frame["languages"] = [";".join(["english", *(x for x in extra if rng.random() <
                                                 cfg["languages"][x])]) for _ in range(n)]
    frame["cultures"] = _pick(rng, cfg["cultures"], n)
    trained = np.where(home, cfg["risk_trained"]["home"], cfg["risk_trained"]["foster"])
    risks = register.risks()
    frame["risk_trained"] = [";".join(r for r in risks if rng.random() < p) or None
                             for p in trained]
    adaptations = params.value("placements.referrals")["adaptations"]
    frame["adaptations"] = [";".join(a for a in adaptations if rng.random() <
                                     cfg["adaptations"]) or None for _ in range(n)]
    held = rng.poisson(cfg["placements_held"], n)
    frame["placements_held"] = held
    frame["unplanned_endings"] = rng.binomial(held, cfg["unplanned"])


def write(frame: pd.DataFrame, path: str | Path) -> Path:
    """The rows as CSV, or XLSX when ``path`` ends in .xlsx."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".xlsx":
        frame.to_excel(path, index=False, sheet_name="register")
    elif path.suffix.lower() == ".csv":
        frame.to_csv(path, index=False)
    else:
        raise InputError("write the register as .csv or .xlsx", file=path)
    return path
