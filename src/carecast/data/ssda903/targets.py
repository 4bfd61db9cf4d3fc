"""Published figures the synthetic generator is calibrated to, from ``cla_characteristics``.

National by default; a council's own figures when a council is given, falling back to
national for any group whose suppressed cells hide more than 3% of its total.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from carecast import params
from carecast.data import bundled

ENGLAND = "E92000001"
MAX_HIDDEN = 0.03


@dataclass(frozen=True)
class Targets:
    area: str
    stock: float  # children looked after at 31 March
    starts: float  # children starting per year
    ceased: float
    age_at_entry: dict[str, float]  # DfE started age group -> share
    placement: dict[str, float]  # DfE 31 March placement group -> share
    reason_ceased: dict[str, float]  # DfE reason group -> share
    legal_status: dict[str, float]  # LS code at entry -> share
    cin: dict[str, float]
    sex: dict[str, float]
    ethnicity: dict[str, float]
    sources: dict[str, str]
    uasc: float = 0.0  # UASC share of children looked after at 31 March


def _shares(table: pd.DataFrame, which: str, group: str, area: str) -> tuple[dict, float, str]:
    """Latest unsuppressed shares for one group (area, else England) and the total."""
    for code, level in ((area, "la"), (ENGLAND, "england")):
        rows = table[(table["table"] == which) & (table["cla_group"] == group)
                     & (table["area_code"] == code) & (table["level"] == level)]
        for year in sorted(rows["year"].unique(), reverse=True):
            year_rows = rows[rows["year"] == year]
            total = year_rows.loc[year_rows["characteristic"].isin(["Total", "Total children"]),
                                  "number"]
            parts = year_rows[~year_rows["characteristic"].str.startswith("Total")]
            if total.isna().all() or parts.empty:
                continue
            # Usable when suppressed cells hide under 3% of the total (counted as zero).
            if parts["number"].sum() < (1 - MAX_HIDDEN) * float(total.iloc[0]):
                continue
            known = parts.set_index("characteristic")["number"].fillna(0.0)
            shares = known / known.sum()
            return shares.to_dict(), float(total.iloc[0]), f"{level} {code} {year}"
    raise LookupError(f"no published {which} '{group}' figures for {area} or England")


def load(council: str | None = None) -> Targets:
    """Targets for ``council`` (DfE 3-digit code) or England."""
    area = council or ENGLAND
    table = bundled.read_table("cla_characteristics")
    table = table[table["area_code"].isin([area, ENGLAND])]
    labels = params.value("ssda903.dfe_labels")
    sources = {}

    def get(which: str, group: str) -> tuple[dict, float]:
        shares, total, source = _shares(table, which, group, area)
        sources[f"{which}: {group}"] = source
        return shares, total

    age, starts = get("started", "Age group")
    placement, stock = get("at_31_march", "Placement")
    reason, ceased = get("ceased", "Reason episode ceased")
    legal, _ = get("started", "Legal status")
    cin, _ = get("started", "Category of need")
    sex, _ = get("started", "Gender")
    ethnicity, _ = get("at_31_march", "Ethnicity")
    uasc, _ = get("at_31_march", "Unaccompanied asylum-seeking children")
    return Targets(
        area=area, stock=stock, starts=starts, ceased=ceased, age_at_entry=age,
        placement=placement, reason_ceased=reason,
        legal_status={labels["legal_status_started"][k]: v for k, v in legal.items()
                      if k in labels["legal_status_started"]},
        cin={k[:2]: v for k, v in cin.items()},
        sex={labels["gender"][k]: v for k, v in sex.items() if k in labels["gender"]},
        ethnicity=ethnicity, sources=sources, uasc=float(uasc.get("UASC", 0.0)),
    )
