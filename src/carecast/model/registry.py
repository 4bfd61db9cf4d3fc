"""The council forecast models by name, and the one default every face uses.

``make()`` builds the default (``model.default_forecast``); the CLI's ``--model``, the web
app, scenarios and reports all go through it, so one council never gets two futures.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from carecast import params
from carecast.model.combined import CombinedModel
from carecast.model.council import CouncilForecast, CouncilModel, CouncilRates
from carecast.model.pooled import PooledModel

PROJECTION_YEARS = 10
"""Every face projects this many years and keeps the ones it shows, so a year's draws (and
so its numbers) never depend on the horizon a user asked for."""

MODELS: dict[str, Callable[..., Any]] = {
    "stock_flow_combined": CombinedModel,
    "stock_flow": CouncilModel,
    "stock_flow_pooled": PooledModel,
}


def default_name() -> str:
    """The name of the default council model (``model.default_forecast``)."""
    return str(params.value("model.default_forecast"))


def make(name: str | None = None, **settings: Any) -> Any:
    """A new, unfitted council model: ``name`` (default: the default) with ``settings``."""
    name = default_name() if name is None else name
    if name not in MODELS:
        raise KeyError(f"no council model {name!r}; known: {', '.join(MODELS)}")
    return MODELS[name](**settings)


def project(fitted: Any, horizon: int, *, rates: CouncilRates | None = None,
            n_draws: int | None = None, random_state: int | None = None) -> CouncilForecast:
    """A fitted model's draws for ``horizon`` years, simulated ``PROJECTION_YEARS`` ahead
    and cut (the one projection every face and scenario uses)."""
    if not 1 <= horizon <= PROJECTION_YEARS:
        raise ValueError(f"the horizon is 1 to {PROJECTION_YEARS} years, not {horizon}")
    full = fitted.project(PROJECTION_YEARS, rates=rates, n_draws=n_draws,
                          random_state=random_state)
    return CouncilForecast(codes=full.codes, years=full.years[:horizon],
                           draws={k: v[..., :horizon] for k, v in full.draws.items()},
                           model=full.model)
