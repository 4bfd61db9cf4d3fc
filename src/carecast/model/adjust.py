"""Move a council forecast's stock draws by fixed factors, keeping every identity.

The pooled correction and the combination with persistence both learn, at fit, a log factor
per council and year ahead; applying the same factors to any projection (the baseline or a
scenario's changed rates) keeps a lever's effect instead of undoing it.
"""

from __future__ import annotations

import numpy as np

from carecast.model.council import CouncilForecast


def recentre(base: CouncilForecast, stock0: np.ndarray, codes: np.ndarray,
             log_adjustment: np.ndarray, name: str) -> CouncilForecast:
    """Stock draws of ``base`` times exp(``log_adjustment``) (rows aligned to ``codes``, so
    a forecast of some councils only takes theirs), with ceased recomputed so the stock
    identity holds in every draw (a move that would need negative ceased is capped) and the
    UASC split scaled with its total."""
    where = {c: i for i, c in enumerate(codes)}
    horizon = base.draws["cla_at_31_march"].shape[2]
    factor = np.exp(log_adjustment[[where[c] for c in base.codes], :horizon])
    stock = base.draws["cla_at_31_march"] * factor[None]
    entries = base.draws["cla_started"]
    exits = np.empty_like(stock)
    level = np.broadcast_to(stock0, stock.shape[:2]).astype(float)
    for h in range(horizon):
        exits[:, :, h] = np.maximum(level + entries[:, :, h] - stock[:, :, h], 0.0)
        stock[:, :, h] = level = level + entries[:, :, h] - exits[:, :, h]
    draws = {"cla_at_31_march": stock, "cla_started": entries, "cla_ceased": exits}
    if "cla_uasc_at_31_march" in base.draws:
        old = base.draws["cla_at_31_march"]
        share = np.divide(base.draws["cla_uasc_at_31_march"], old,
                          out=np.zeros_like(old), where=old > 0)
        draws["cla_uasc_at_31_march"] = share * stock
        draws["cla_not_uasc_at_31_march"] = stock - draws["cla_uasc_at_31_march"]
    return CouncilForecast(codes=base.codes, years=base.years, draws=draws, model=name)
