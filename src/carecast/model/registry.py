"""The council forecast models by name, and the one default every face uses.

``make()`` builds the default (``model.default_forecast``); the CLI's ``--model``, the web
app, scenarios and reports all go through it, so one council never gets two futures.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from carecast import params
from carecast.model.council import CouncilModel
from carecast.model.pooled import PooledModel

MODELS: dict[str, Callable[..., Any]] = {
    "stock_flow_pooled": PooledModel,
    "stock_flow": CouncilModel,
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
