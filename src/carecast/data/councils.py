"""Find a council by DfE code (926), ONS code (E10000020) or name (norfolk)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cache

import pandas as pd

from carecast.data import bundled

ENGLAND = "E92000001"


@dataclass(frozen=True)
class Council:
    code: str
    name: str
    ons_code: str
    region_code: str
    region_name: str
    status: str

    @property
    def is_current(self) -> bool:
        return self.status == "current"


@cache
def _table() -> pd.DataFrame:
    return bundled.read_table("councils")


def _council(row: pd.Series) -> Council:
    return Council(
        code=str(row["code"]),
        name=str(row["name"]),
        ons_code=str(row["ons_code"]),
        region_code=str(row["region_code"]),
        region_name=str(row["region_name"]),
        status=str(row["status"]),
    )


@cache
def code_index() -> dict[str, str]:
    """Every DfE code and every ONS code a council has used -> its DfE code."""
    index: dict[str, str] = {}
    for row in _table().itertuples():
        index[str(row.code)] = str(row.code)
        for ons in str(row.all_ons_codes).split("|"):
            index[ons] = str(row.code)
    return index


@cache
def _by_code() -> dict[str, Council]:
    """Every council (current or not) by DfE code: a lookup by code is a dict read."""
    return {str(row["code"]): _council(row) for _, row in _table().iterrows()}


def _normalise(name: str) -> str:
    text = name.lower().replace("&", "and").replace(",", " ").replace("-", " ")
    return " ".join(w for w in text.split() if w not in {"city", "of", "county", "the"})


def all_councils(current_only: bool = True) -> list[Council]:
    """Councils by name (read once: benchmarks and reports ask for every council)."""
    return list(_all_councils(current_only))


@cache
def _all_councils(current_only: bool) -> tuple[Council, ...]:
    table = _table()
    if current_only:
        table = table[table["status"] == "current"]
    fields = ["code", "name", "ons_code", "region_code", "region_name", "status"]
    rows = table.sort_values("name")[fields].astype(str).itertuples(index=False)
    return tuple(Council(*row) for row in rows)


def lookup(text: str) -> Council:
    """The council ``text`` names; raises LookupError with the nearest names on a miss."""
    query = str(text).strip()
    table = _table()
    code = code_index().get(query.upper()) or code_index().get(query)
    if code is not None:
        return _by_code()[code]
    wanted = _normalise(query)
    names = {_normalise(n): n for n in table["name"]}
    if wanted in names:
        return _council(table[table["name"] == names[wanted]].iloc[0])
    close = difflib.get_close_matches(wanted, list(names), n=3, cutoff=0.6)
    hint = f" Did you mean {' or '.join(repr(names[c]) for c in close)}?" if close else ""
    raise LookupError(
        f"no council called {query!r}.{hint} Use a DfE code (926), an ONS code "
        "(E10000020) or a name; `carecast la list` shows them all."
    )


@cache
def _neighbour_lists() -> dict[tuple[int, str], tuple[str, ...]]:
    table = bundled.read_table("stat_neighbours").sort_values("rank")
    return {(int(e), str(c)): tuple(rows["neighbour_code"])
            for (e, c), rows in table.groupby(["edition", "code"])}


def official_neighbours(code: str, edition: int = 2025) -> list[str]:
    """The council's 10 statistical neighbours in DfE/NFER order (closest first)."""
    found = _neighbour_lists().get((int(edition), str(code)))
    if found is None:
        editions = sorted({e for e, _ in _neighbour_lists()})
        raise LookupError(
            f"council {code} has no statistical neighbours in edition {edition}; "
            f"editions: {editions}"
        )
    return list(found)


def name_of(code: str) -> str:
    match = _table().loc[_table()["code"] == code, "name"]
    return str(match.iloc[0]) if len(match) else code
