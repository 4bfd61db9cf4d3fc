"""Shared model fixtures: the public council data, and episodes simulated with known rates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from carecast.model.council import load_council_data

END = pd.Timestamp("2022-01-01")


def planted_episodes(n_children: int = 4000, exit_per_day: float = 1 / 500,
                     seed: int = 1) -> pd.DataFrame:
    """Children enter fostering uniformly in 2016-2021 aged 0-16 and leave at a constant
    daily hazard (returned home), or at 18; open at the end if neither happened."""
    rng = np.random.default_rng(seed)
    decom = pd.Timestamp("2016-01-01") + pd.to_timedelta(rng.integers(0, 6 * 365, n_children),
                                                          unit="D")
    age_days = rng.integers(0, 16 * 365, n_children)
    dob = decom - pd.to_timedelta(age_days, unit="D")
    stay = np.minimum(rng.exponential(1 / exit_per_day, n_children), 20 * 365).astype(int) + 1
    turn18 = dob + pd.to_timedelta(np.round(18 * 365.25).astype(int), unit="D")
    dec = pd.Series(np.minimum(decom + pd.to_timedelta(stay, unit="D"), turn18))
    rec = np.where(dec >= turn18, "E5", "E4A")
    still_open = dec >= END
    return pd.DataFrame({
        "child": [f"c{i}" for i in range(n_children)], "decom": decom,
        "dec": dec.where(~still_open), "rec": np.where(still_open, None, rec),
        "category": "fostering", "dob": dob,
    })


@pytest.fixture(scope="session")
def planted():
    """The planted-rate episode generator (ends on ``END``)."""
    return planted_episodes


@pytest.fixture(scope="session")
def data(workspace):
    """The harmonised public council data the council-level models fit."""
    return load_council_data(workspace)
