"""A council beside England, its region and its neighbours; drivers of variation.

The functions are :mod:`carecast.benchmark`'s and :mod:`carecast.data.profile`'s: pure
functions of the workspace, so every face gets the same figures.
"""

from __future__ import annotations

from carecast.benchmark import indicators
from carecast.benchmark.compare import benchmark, benchmark_table, sources
from carecast.benchmark.drivers import run as drivers
from carecast.benchmark.drivers import spec as drivers_spec
from carecast.benchmark.indicators import Indicator, IndicatorData
from carecast.benchmark.neighbours import compare as neighbours
from carecast.benchmark.neighbours import official as official_neighbours
from carecast.data.measures import registry as _measures
from carecast.data.profile import council_profile as profile


def measure_label(measure_id: str) -> str:
    """A measure's label (its id when the registry has none)."""
    found = _measures().get(measure_id)
    return found.label if found else measure_id

__all__ = ["Indicator", "IndicatorData", "benchmark", "benchmark_table", "drivers",
           "drivers_spec", "indicators", "measure_label", "neighbours", "official_neighbours",
           "profile", "sources"]
