"""The dataset catalogue: what each bundled dataset is, who publishes it, and its licence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from carecast import OGL_ATTRIBUTION, params

LICENCES = {
    "OGL-3.0": "Open Government Licence v3.0",
    "Open Parliament Licence": "Open Parliament Licence v3.0",
}


@dataclass(frozen=True)
class Dataset:
    id: str
    name: str
    unit: str
    publisher: str
    source: str
    href: str
    licence: str
    files: tuple[str, ...]
    years: str = ""

    @property
    def citation(self) -> str:
        return f"{self.publisher}, {self.source}. {LICENCES.get(self.licence, self.licence)}."


def datasets() -> dict[str, Dataset]:
    out = {}
    for dataset_id, spec in params.value("data.catalogue").items():
        fields: dict[str, Any] = {**spec, "files": tuple(spec.get("files", []))}
        out[dataset_id] = Dataset(id=dataset_id, **fields)
    return out


def get(dataset_id: str) -> Dataset:
    found = datasets()
    if dataset_id not in found:
        raise LookupError(f"no dataset {dataset_id!r}; known: {', '.join(sorted(found))}")
    return found[dataset_id]


def sources_for(dataset_ids: list[str] | set[str]) -> list[str]:
    """Citations for the datasets an output used, then the licence attribution."""
    cites = [get(d).citation for d in sorted(set(dataset_ids))]
    return [*cites, OGL_ATTRIBUTION]


def table(observations: pd.DataFrame | None = None) -> pd.DataFrame:
    """The catalogue as a table, with the years each dataset covers in ``observations``."""
    rows = []
    years: dict[str, str] = {}
    if observations is not None and len(observations):
        span = observations.dropna(subset=["value"]).groupby("source")["year"].agg(["min", "max"])
        years = {s: f"{int(r['min'])}-{int(r['max'])}" for s, r in span.iterrows()}
    for d in datasets().values():
        rows.append(
            {
                "id": d.id,
                "name": d.name,
                "years": years.get(d.id, d.years),
                "unit": d.unit,
                "publisher": d.publisher,
                "source": d.source,
                "licence": LICENCES.get(d.licence, d.licence),
                "href": d.href,
            }
        )
    return pd.DataFrame(rows)
