"""Synthetic referrals for one council, calibrated to its published figures.

Age comes from the council's children starting to be looked after by age group, sex from
those starting by gender, ethnicity and the UASC share from its children at 31 March, and
the preferred type of home from its 31 March placement mix (foster, children's homes,
supported accommodation; the rest dropped) - all through ``ssda903.targets``, which falls
back to England where a council's cells are suppressed (the bundled ``cla_characteristics``
table). Siblings, needs, risks, languages and locations (inside the council's boundary) are
the assumptions in ``placements.synth_referrals``. Rows are in the referral format
(:mod:`carecast.placements.referrals`), for tests and demonstrations only.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from carecast import params
from carecast.data import councils
from carecast.data.errors import InputError
from carecast.data.ssda903 import targets
from carecast.placements import geo
from carecast.placements.referrals import COLUMNS, SUITABILITY

PLACEMENT_GROUPS = {
    "Foster placements": "fostering",
    "Secure homes and children's homes": "residential",
    "Independent and semi-independent living arrangements/supported accommodation":
        "supported",
}
ETHNIC_CODES = {"White": "WBRI", "Mixed": "MOTH", "Asian": "AOTH", "Black": "BAFR",
                "Other": "OOTH", "Refused": "REFU"}
SUIT_COLUMN = {"fostering": "foster", "residential": "residential", "supported": "supported"}


def _ages(label: str) -> tuple[int, int]:
    """'10 to 15 years' -> (10, 15); 'Under 1 year' -> (0, 0); '16 years and over' -> 16-17."""
    found = [int(x) for x in re.findall(r"\d+", label)]
    if label.lower().startswith("under"):
        return 0, found[0] - 1
    return (found[0], found[1]) if len(found) > 1 else (found[0], 17)


def _draw(rng: np.random.Generator, shares: dict, n: int = 1) -> np.ndarray:
    keys = list(shares)
    p = np.array([shares[k] for k in keys], float)
    return np.array(keys, dtype=object)[rng.choice(len(keys), n, p=p / p.sum())]


def generate(council: str, children: int, *, seed: int = 1) -> pd.DataFrame:
    """``children`` referral rows (raw ids) for ``council`` (any code or name)."""
    if not 1 <= children <= int(params.value("placements.referrals")["max_children"]):
        raise InputError("children must be from 1 to the referral file's limit")
    code = councils.lookup(council).code
    tg = targets.load(code)
    cfg = params.value("placements.synth_referrals")
    rng = np.random.default_rng(seed)
    mix = {PLACEMENT_GROUPS[k]: v for k, v in tg.placement.items() if k in PLACEMENT_GROUPS}
    year = int(tg.sources["at_31_march: Placement"].split()[-1])
    end = np.datetime64(f"{year}-03-31")
    sizes = {int(k): v for k, v in cfg["sibling_sizes"].items()}
    rows: list[dict] = []
    group = 0
    while len(rows) < children:
        uasc = rng.random() < tg.uasc
        size = 1 if uasc or rng.random() >= cfg["sibling_share"] / np.mean(
            [k for k in sizes]) else int(_draw(rng, sizes)[0])
        size = min(size, children - len(rows))
        group += size > 1
        rows.extend(_unit(rng, tg, cfg, mix, code, size, uasc, group, end, len(rows)))
    frame = pd.DataFrame(rows)
    return frame.reindex(columns=[c.name for c in COLUMNS])


def _unit(rng: np.random.Generator, tg: targets.Targets, cfg: dict, mix: dict, code: str,
          size: int, uasc: bool, group: int, end: np.datetime64, start: int) -> list[dict]:
    """One child, or a sibling group sharing a home, culture and plan."""
    if uasc:
        lead = int(rng.integers(cfg["uasc_ages"][0], cfg["uasc_ages"][1] + 1))
    else:
        lo, hi = _ages(str(_draw(rng, tg.age_at_entry)[0]))
        lead = int(rng.integers(lo, hi + 1))
    east, north = geo.sample(rng, code, 1)
    ethnic = "Refused" if uasc else str(_draw(rng, tg.ethnicity)[0]).split()[0].strip(",")
    languages = ([str(_draw(rng, cfg["uasc_languages"])[0]), "english"] if uasc else
                 [str(_draw(rng, cfg["languages"])[0])])
    culture = str(_draw(rng, cfg["cultures"])[0])
    urgency = str(_draw(rng, cfg["urgency"])[0])
    waited = int(rng.exponential(cfg["waiting_days"]))
    out = []
    for k in range(size):
        age = lead if k == 0 else int(np.clip(lead + rng.integers(-4, 5), 0, 17))
        out.append(_child(rng, cfg, mix, tg, age, uasc, ethnic, languages, culture, urgency,
                          end - np.timedelta64(waited, "D"), float(east[0]), float(north[0]),
                          start + k))
        if size > 1:
            out[-1].update(sibling_group=f"SYNG{group:05d}", place_together="yes",
                           foster="preferred", residential="unsuitable",
                           supported="unsuitable")
    return out


def _child(rng: np.random.Generator, cfg: dict, mix: dict, tg: targets.Targets, age: int,
           uasc: bool, ethnic: str, languages: list[str], culture: str, urgency: str,
           referred: np.datetime64, east: float, north: float, number: int) -> dict:
    allowed = {g: s for g, s in mix.items() if age >= cfg["youngest"].get(g, 0)}
    preferred = str(_draw(rng, allowed)[0])
    suit = {c: "unsuitable" for c in SUITABILITY}
    for g in allowed:
        if g != preferred and rng.random() < cfg["also_suitable"][g]:
            suit[SUIT_COLUMN[g]] = "suitable"
    suit[SUIT_COLUMN[preferred]] = "preferred"
    disabled = rng.random() < cfg["disability"]
    sex = "male" if (rng.random() < cfg["uasc_male"] if uasc else
                     str(_draw(rng, tg.sex)[0]) == "M") else "female"
    needs = [n for n, p in cfg["needs"].items() if rng.random() < p
             and (n != "teenagers" or age >= 13) and (n != "emergency" or urgency == "today")]
    needs += ["disability"] * disabled + ["uasc"] * uasc
    risky = age >= cfg["risk_from_age"]
    school = age >= cfg["in_school_from_age"]
    offset = rng.normal(0, cfg["school_km"] * 1000, 2)
    adaptations = params.value("placements.referrals")["adaptations"]
    return {
        "child_id": f"SYNC{number:06d}", "referral_date": str(referred), "urgency": urgency,
        "age": age, "sex": sex, "ethnicity": ETHNIC_CODES.get(ethnic, "OOTH"),
        "disability": "yes" if disabled else "no", "uasc": "yes" if uasc else "no",
        **suit,
        "live_alongside": str(_draw(rng, cfg["live_alongside"])[0]) if age >= 5 else "any",
        "pets_ok": "no" if rng.random() < cfg["no_pets"] else "yes",
        "home_easting": round(east), "home_northing": round(north),
        "school_easting": round(east + offset[0]) if school else None,
        "school_northing": round(north + offset[1]) if school else None,
        "stay_at_school": "yes" if school and rng.random() < cfg["stay_at_school"] else "no",
        "needs": ";".join(sorted(set(needs))) or None,
        "languages": ";".join(languages), "cultures": culture,
        "adaptations": (str(rng.choice(adaptations)) if disabled
                        and rng.random() < cfg["adaptations"] else None),
        "risks_to_child": ";".join(r for r, p in cfg["risks_to_child"].items()
                                   if risky and rng.random() < p) or None,
        "risks_to_others": ";".join(r for r, p in cfg["risks_to_others"].items()
                                    if risky and rng.random() < p) or None,
    }


def write(frame: pd.DataFrame, path: str | Path) -> Path:
    """The rows as CSV, XLSX or JSON by the path's suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx", ".json"):
        raise InputError("write referrals as .csv, .xlsx or .json", file=path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".xlsx":
        frame.to_excel(path, index=False, sheet_name="referrals")
    elif suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        records = frame.astype(object).where(frame.notna(), None).to_dict("records")
        path.write_text(json.dumps([{k: v for k, v in r.items() if v is not None}
                                    for r in records], indent=1), encoding="utf-8")
    return path
