"""The measure registry (``parameters/data/measures.yaml``): label, unit, kind and dataset."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from carecast import params


@dataclass(frozen=True)
class Measure:
    id: str
    label: str
    unit: str
    kind: str  # "count" adds up across areas; "level" (rate, score, percentage) does not
    dataset: str
    numerator: str | None = None
    denominator: str | None = None
    scale: float = 1.0

    @property
    def is_derived(self) -> bool:
        return self.numerator is not None


@cache
def registry() -> dict[str, Measure]:
    out = {}
    for measure_id, spec in params.value("data.measures").items():
        derived = spec.get("derived") or {}
        out[measure_id] = Measure(
            id=measure_id,
            label=spec["label"],
            unit=spec["unit"],
            kind=spec["kind"],
            dataset=spec["dataset"],
            numerator=derived.get("numerator"),
            denominator=derived.get("denominator"),
            scale=float(derived.get("scale", 1)),
        )
    return out


def get(measure_id: str) -> Measure:
    measures = registry()
    if measure_id not in measures:
        raise LookupError(f"no measure {measure_id!r}; known: {', '.join(sorted(measures))}")
    return measures[measure_id]
