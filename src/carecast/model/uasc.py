"""Unaccompanied asylum-seeking children (UASC) forecast apart from the other children in care.

Their numbers follow national policy (arrivals, the National Transfer Scheme's dispersal),
not a council's own history, and DfE publishes them by council only as a count at 31 March
(2011-2017 and 2020-2024 here), not as starts or ceased. So UASC are a stock: England's UASC
follow a random walk in logs (sd of its yearly log changes, 2004 to the origin) and each
council's share of England's moves a fraction ``share_adjustment`` a year towards its share
of England's children aged 0-17 (the dispersal the transfer scheme aims at), with its own
yearly noise. The other children ("rest") follow the stock-flow model; a council's total is
rest + UASC in every draw (:func:`add_apart`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from carecast import params


def settings() -> dict[str, float]:
    return dict(params.value("model.uasc_forecast"))


@dataclass(frozen=True)
class UascRates:
    """UASC state at the origin, per council; copied and subset with the council rates."""

    uasc0: np.ndarray       # (councils,) UASC at 31 March of the origin
    share: np.ndarray       # (councils, max_horizon) expected share of England's UASC
    sd_national: float      # yearly log change of England's UASC
    sd_share: float         # yearly log noise of a council's share

    def select(self, idx: np.ndarray) -> UascRates:
        return replace(self, uasc0=self.uasc0[idx].copy(), share=self.share[idx].copy())


def known_counts(share: np.ndarray, stock: np.ndarray) -> np.ndarray:
    """UASC at 31 March per council and year from published shares: gaps between published
    years interpolated, later years carried forward, years before the first carried back
    (all within the data given, so nothing after its last year is used); NaN for a council
    that never had one published."""
    filled = (pd.DataFrame(share).interpolate(axis=1, limit_area="inside")
              .ffill(axis=1).bfill(axis=1).to_numpy())
    return np.clip(filled, 0.0, 1.0) * stock


def fit(uasc: np.ndarray, population: np.ndarray, national: np.ndarray, max_horizon: int
        ) -> UascRates:
    """UASC rates from council counts (councils, years; a row of NaN: never published), 0-17
    populations at the origin and England's published UASC series up to the origin."""
    s = settings()
    lam = float(s["share_adjustment"])
    # A council with no published count has none, and no known share of the dispersal.
    published = np.isfinite(uasc).any(axis=1)
    uasc = np.nan_to_num(uasc)
    u0 = uasc[:, -1]
    total = max(float(u0.sum()), 1.0)
    share0 = u0 / total
    target = np.where(published, population, 0.0) / np.nansum(population[published])
    steps = np.arange(1, max_horizon + 1)
    share = share0[:, None] + (1 - (1 - lam) ** steps)[None] * (target - share0)[:, None]
    changes = np.diff(np.log(national[np.isfinite(national) & (national > 0)]))
    sd_national = float(changes.std(ddof=1)) if len(changes) > 2 else float(s["sd_national"])
    # Council share noise: one-year log errors of the share rule where both years are large.
    before, after = uasc[:, :-1], uasc[:, 1:]
    sums = np.maximum(uasc.sum(0), 1.0)
    c0, c1 = before / sums[:-1], after / sums[1:]
    expected = c0 + lam * (target[:, None] - c0)
    big = (before >= float(s["min_count"])) & (after >= float(s["min_count"]))
    errors = np.log(c1[big] / expected[big])
    sd_share = float(errors.std(ddof=1)) if big.sum() > 10 else float(s["sd_share"])
    return UascRates(uasc0=u0.copy(), share=share, sd_national=sd_national, sd_share=sd_share)


def draws(rates: UascRates, horizon: int, n_draws: int, rng: np.random.Generator,
          scale: float = 1.0, common: float = 1.0) -> np.ndarray:
    """UASC draws (draws, councils, horizon): England's walk is shared by every council in a
    draw, so England's UASC is the sum of coherent council draws; the mean over draws is the
    expected level. ``scale`` multiplies all noise, ``common`` England's walk as well."""
    n_units = len(rates.uasc0)
    sd_national = rates.sd_national * common
    national = np.cumsum(rng.standard_normal((n_draws, 1, horizon)) * sd_national, axis=2)
    own = np.cumsum(rng.standard_normal((n_draws, n_units, horizon)) * rates.sd_share, axis=2)
    level = rates.uasc0.sum() * rates.share[None, :, :horizon]
    # Centred so the mean over draws is the expected level (a lognormal's mean exceeds its
    # median by exp(variance / 2)).
    variance = scale ** 2 * (sd_national ** 2 + rates.sd_share ** 2) * np.arange(
        1, horizon + 1)
    return level * np.exp(scale * (national + own) - variance / 2)


def add_apart(rest: np.ndarray, rest_exits: np.ndarray, uasc: np.ndarray,
              uasc0: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Total stock, total ceased and UASC from the rest's stock and exits and UASC draws.

    The rest's exits include children moving into the UASC count (its growth), so published
    ceased = rest exits - UASC growth; UASC growth is capped at the rest's exits so ceased is
    never negative. stock_t = stock_{t-1} + starts_t - ceased_t holds exactly in every draw.
    """
    uasc = uasc.copy()
    ceased = np.empty_like(rest_exits)
    previous = np.broadcast_to(uasc0, uasc.shape[:2]).astype(float)
    for h in range(uasc.shape[2]):
        uasc[:, :, h] = np.minimum(uasc[:, :, h], previous + rest_exits[:, :, h])
        ceased[:, :, h] = np.maximum(rest_exits[:, :, h] - (uasc[:, :, h] - previous), 0.0)
        previous = uasc[:, :, h]
    return rest + uasc, ceased, uasc
