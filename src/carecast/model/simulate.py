"""Vectorised Monte Carlo core shared by the council-level and record-level models.

Arrays are laid out (draws, councils or states, horizon) so one numpy expression advances
every draw of every council at once; the only Python loop is over forecast steps.
"""

from __future__ import annotations

import numpy as np


def log_rate_draws(
    centre: np.ndarray,
    sd_transient: np.ndarray,
    sd_walk: np.ndarray,
    sd_common: float,
    n_draws: int,
    rng: np.random.Generator,
    scale: float = 1.0,
) -> np.ndarray:
    """Draws of a log rate: centre + transient noise + an idiosyncratic and a common walk.

    ``centre`` is (units, horizon); the sds are per unit. The common walk is shared by all
    units in a draw, so sums over units (England) carry the correlation that adding bounds
    would miss. Returns (draws, units, horizon).
    """
    n_units, horizon = centre.shape
    walk = rng.standard_normal((n_draws, n_units, horizon)) * sd_walk[None, :, None]
    walk += rng.standard_normal((n_draws, 1, horizon)) * sd_common
    noise = rng.standard_normal((n_draws, n_units, horizon)) * sd_transient[None, :, None]
    return centre[None] + scale * (np.cumsum(walk, axis=2) + noise)


def stock_flow(
    stock0: np.ndarray, entries: np.ndarray, hazard: np.ndarray, exit_fraction: float
) -> tuple[np.ndarray, np.ndarray]:
    """Advance stock by the identity stock_t = stock_{t-1} + entries_t - exits_t.

    Exits are ``hazard * (stock_{t-1} + exit_fraction * entries_t)``, capped at the number
    at risk, so the stock never goes negative and the identity holds exactly in every draw.
    Returns (stock, exits), each shaped like ``entries`` (draws, units, horizon).
    """
    stock = np.empty_like(entries)
    exits = np.empty_like(entries)
    level = np.broadcast_to(stock0, entries.shape[:2]).astype(float)
    for h in range(entries.shape[2]):
        at_risk = level + exit_fraction * entries[:, :, h]
        out = np.minimum(hazard[:, :, h] * at_risk, level + entries[:, :, h])
        level = level + entries[:, :, h] - out
        exits[:, :, h] = out
        stock[:, :, h] = level
    return stock, exits
