"""Record-level multistate model from SSDA903 episodes.

States are age in whole months (0-215, so single years of age 0-17) x placement category
at one level of the hierarchy (:mod:`carecast.data.categories`): by default the broad
states (fostering, residential, supported, other); ``category_level="group"`` keeps
placed with parents and for adoption apart (what placement demand uses). From a
reference window the model estimates, by single year of age and category, exposure-based
daily rates (events / days at risk) of leaving care (by reason) and of moving category,
each shrunk towards the category's all-age rate by a gamma prior worth ``prior_days`` of
exposure; and entries by age and category as a daily count, or a rate per 10,000 children
when a 0-17 population is given. Leaving at 18 is explicit: children reaching 216 months
leave with reason ``age_18``; nobody is ever in care at 18 (staying put is not modelled).

``project_draws`` runs a vectorised Monte Carlo: each draw takes its own rates from the
gamma posteriors (rate uncertainty), entries are Poisson, flows between states are expected
values within a draw and, with ``process_noise``, each month's leavers vary around their
expected number as a Poisson count would; optional per-month ``RateFactors`` change
arrivals, exit and move hazards (the record-level scenarios' levers). ``project``
summarises its draws in the tidy schema plus ``state``/``reason``: monthly stock by state,
entries, and exits by reason.
``MultistateRates`` is a plain copyable structure a scenario may change on a deep copy
(entries never touch exit or move rates).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from carecast import params
from carecast.data import categories
from carecast.data.ssda903.cla import counted_episodes
from carecast.model.schema import FORECAST_COLUMNS, summarise

CATEGORIES = categories.names("broad")
REASONS = ("adopted", "special_guardianship", "returned_home", "independence", "other",
           "age_18")
N_AGES = 18
MONTHS = N_AGES * 12
DAY = pd.Timedelta(days=1)


def exit_reason(rec: pd.Series) -> np.ndarray:
    """Group SSDA903 REC codes into the model's exit reasons (age 18 is added separately).

    Decided once per distinct code, then spread to every row.
    """
    found, uniques = pd.factorize(rec)
    codes = pd.Series([*uniques, ""], dtype=object).astype(str).str.upper()  # "": missing
    out = np.full(len(codes), "other", dtype=object)
    out[codes.isin(["E11", "E12"]).to_numpy()] = "adopted"
    out[codes.str.match(r"^E4[1-8]$").to_numpy() & ~codes.isin(["E4A", "E4B"]).to_numpy()] = (
        "special_guardianship")
    out[codes.isin(["E4A", "E4B", "E13"]).to_numpy()] = "returned_home"
    out[codes.isin(["E5", "E6", "E7", "E17"]).to_numpy()] = "independence"
    return out[found]


def _by_child(eps: pd.DataFrame) -> pd.DataFrame:
    """Episodes ordered by child then DECOM (as ingested: checked, not re-sorted)."""
    child = eps["child"].to_numpy()
    decom = eps["decom"].to_numpy()
    same = child[1:] == child[:-1]
    ordered = eps["child"].is_monotonic_increasing and bool(
        (decom[1:][same] >= decom[:-1][same]).all())
    if not ordered:
        eps = eps.sort_values(["child", "decom"])
    return eps.reset_index(drop=True)


@dataclass(frozen=True)
class MultistateRates:
    """Learned rates; gamma posteriors as (events, exposure days) pairs.

    exit_events (18, C, reasons-1), move_events (18, C, C), exposure (18, C),
    entry_events (18, C) over ``window_days``; stock0 (216, C) on ``start``, for the C
    ``categories``. ``entry_multiplier`` (scalar or per month ahead) scales entries only.
    """

    start: pd.Timestamp
    window_days: float
    stock0: np.ndarray
    exposure: np.ndarray
    exit_events: np.ndarray
    exit_prior: np.ndarray
    move_events: np.ndarray
    move_prior: np.ndarray
    entry_events: np.ndarray
    population: float | None
    prior_days: float
    entry_multiplier: float | np.ndarray = 1.0
    categories: tuple[str, ...] = CATEGORIES

    def with_entries(self, multiplier: float | np.ndarray) -> MultistateRates:
        """A copy with entries scaled (e.g. 0.9 for 10% fewer); exit and move rates untouched."""
        return replace(copy.deepcopy(self), entry_multiplier=multiplier)


@dataclass(frozen=True)
class RateFactors:
    """Per-month changes to one draw set: arrival keep-probability (months, ages,
    categories), exit hazard multiplier (months, ages, categories, reasons without
    age 18) and added daily move hazard (months, ages, from, to). None: unchanged."""

    entries: np.ndarray | None = None
    exits: np.ndarray | None = None
    moves: np.ndarray | None = None


@dataclass(frozen=True)
class RecordDraws:
    """Simulated months: stock on each of ``dates`` by age year and category (months,
    draws, ages, categories in the rates' order), entries (months, draws) and exits by
    reason, ``REASONS`` order (months, draws, reasons), during the month ending on each
    date."""

    dates: pd.DatetimeIndex
    stock: np.ndarray
    entries: np.ndarray
    exits: np.ndarray
    categories: tuple[str, ...] = CATEGORIES

    @property
    def category_stock(self) -> np.ndarray:
        """Stock summed over ages, (draws, categories, months)."""
        return self.stock.sum(2).transpose(1, 2, 0)


def month_dates(start: pd.Timestamp, months: int) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Month starts after ``start`` and each month's length in days (as the model steps)."""
    first = start.normalize()
    dates = pd.date_range(first + pd.offsets.MonthBegin(1), periods=months, freq="MS")
    lengths = np.diff(np.r_[np.datetime64(first.date()),
                            dates.values.astype("datetime64[D]")]).astype(int)
    return dates, lengths


def forecast_start(episodes: pd.DataFrame) -> pd.Timestamp | None:
    """Where a record-level forecast of these episodes starts: 1 April after the latest
    collection year (903 returns run to 31 March), so the first financial year is whole;
    None (the model's default, the day after the last date) without a ``return_year`` or
    when the data run past that 1 April."""
    if "return_year" not in episodes or not episodes["return_year"].notna().any():
        return None
    last = max(pd.to_datetime(episodes["decom"]).max(), pd.to_datetime(episodes["dec"]).max())
    start = pd.Timestamp(int(episodes["return_year"].max()), 4, 1)
    return start if last < start else None


def day_matrix(exit_rate: np.ndarray, move_rate: np.ndarray) -> np.ndarray:
    """One-day transition matrix over categories + absorbing exit reasons, per draw and age,
    from daily exit (draws, ages, categories, reasons without age 18) and move (draws,
    ages, from, to; zero diagonal) hazards."""
    n_cat, n_exit = move_rate.shape[-1], len(REASONS) - 1
    idx = np.arange(n_cat)
    rates_out = np.concatenate([move_rate, exit_rate], axis=-1)
    total = rates_out.sum(-1, keepdims=True)
    p_out = 1 - np.exp(-total)
    day = np.zeros((exit_rate.shape[0], N_AGES, n_cat + n_exit, n_cat + n_exit))
    day[..., :n_cat, :] = np.where(total > 0, rates_out / np.maximum(total, 1e-300), 0) * p_out
    day[..., idx, idx] = 1 - p_out[..., 0]
    day[..., n_cat:, n_cat:] = np.eye(n_exit)
    return day


def _events(eps: pd.DataFrame, lo: pd.Timestamp, hi: pd.Timestamp,
            cats: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Exposure, exits by reason, moves and entries by (age year, category) in [lo, hi)."""
    eps = _by_child(eps)
    cat = pd.Categorical(eps["category"], categories=cats).codes
    cat = np.where(cat < 0, cats.index("other"), cat)
    start = eps["decom"].to_numpy("datetime64[D]")
    end = eps["dec"].fillna(hi).to_numpy("datetime64[D]")
    dob = eps["dob"].to_numpy("datetime64[D]")
    lo_d, hi_d = np.datetime64(lo.date()), np.datetime64(hi.date())
    s, e = np.maximum(start, lo_d), np.minimum(end, hi_d)
    exposure = np.zeros((N_AGES, len(cats)))
    age_start = (s - dob).astype(float) / 365.25
    for a in range(N_AGES):
        a_lo = dob + np.round(a * 365.25).astype("timedelta64[D]")
        a_hi = dob + np.round((a + 1) * 365.25).astype("timedelta64[D]")
        days = (np.minimum(e, a_hi) - np.maximum(s, a_lo)).astype(float)
        np.add.at(exposure[a], cat, np.clip(days, 0, None))
    same_child_next = (eps["child"].shift(-1) == eps["child"]).to_numpy()
    next_start = eps["decom"].shift(-1).to_numpy("datetime64[D]")
    next_cat = np.roll(cat, -1)
    ended = eps["dec"].notna().to_numpy() & (end >= lo_d) & (end < hi_d)
    continues = ended & same_child_next & (next_start == end)
    age_end = np.clip(((end - dob).astype(float) / 365.25).astype(int), 0, N_AGES - 1)
    leaves = ended & ~continues & ((end - dob).astype(float) / 365.25 < N_AGES - 1 / 365.25)
    reasons = exit_reason(eps["rec"])
    exits = np.zeros((N_AGES, len(cats), len(REASONS) - 1))
    for j, reason in enumerate(REASONS[:-1]):
        m = leaves & (reasons == reason)
        np.add.at(exits[:, :, j], (age_end[m], cat[m]), 1)
    moves = np.zeros((N_AGES, len(cats), len(cats)))
    m = continues & (next_cat != cat)
    np.add.at(moves, (age_end[m], cat[m], next_cat[m]), 1)
    prev_end = eps["dec"].shift(1).to_numpy("datetime64[D]")
    same_child_prev = (eps["child"].shift(1) == eps["child"]).to_numpy()
    new = ~(same_child_prev & (prev_end == start)) & (start >= lo_d) & (start < hi_d)
    entries = np.zeros((N_AGES, len(cats)))
    age_in = np.clip(age_start.astype(int), 0, N_AGES - 1)
    np.add.at(entries, (age_in[new], cat[new]), 1)
    return {"exposure": exposure, "exits": exits, "moves": moves, "entries": entries}


class MultistateModel:
    """Exposure-based multistate model of one council's children in care (see module doc).

    Settings: ``reference_days`` (window before the last date in the data), ``prior_days``
    (shrinkage strength), ``process_noise`` (None -> ``model.records_forecast``), ``n_draws``,
    ``random_state``, ``population`` (0-17; None -> entries are a flat daily count),
    ``category_level`` (``broad`` or ``group``).
    """

    def __init__(self, *, reference_days: int = 730, prior_days: float = 365.0,
                 process_noise: bool | None = None, n_draws: int = 1000, random_state: int = 0,
                 population: float | None = None, category_level: str = "broad",
                 name: str = "multistate") -> None:
        self.reference_days = reference_days
        self.prior_days = prior_days
        self.process_noise = process_noise
        self.n_draws = n_draws
        self.random_state = random_state
        self.population = population
        self.category_level = category_level
        self.name = name

    def fit(self, episodes: pd.DataFrame, end: pd.Timestamp | None = None) -> MultistateModel:
        """Estimate rates from episodes (columns child, decom, dec, rec, category, dob).

        ``category`` may hold detailed, group or broad names; each is rolled up to the
        model's ``category_level``. With an ``ls`` column, short-break episodes
        (``ssda903.cla_exclusions``) are left out first
        (:func:`carecast.data.ssda903.cla.counted_episodes`), as DfE counts.
        """
        episodes = counted_episodes(episodes)
        cats = categories.names(self.category_level)
        broad = self.category_level == "broad" and "category_broad" in episodes
        eps = episodes[["child", "decom", "dec", "rec", "dob"]].copy()
        eps["category"] = (episodes["category_broad"] if broad else
                           categories.roll_up(episodes["category"], self.category_level))
        for c in ("decom", "dec", "dob"):
            if eps[c].dtype.kind != "M":
                eps[c] = pd.to_datetime(eps[c])
        if end is None:
            end = max(eps["decom"].max(), eps["dec"].max()) + DAY
        start = end - pd.Timedelta(days=self.reference_days)
        ev = _events(eps, start, end, cats)
        exposure = ev["exposure"]
        cat_exposure = exposure.sum(0)[None, :, None]
        k = self.prior_days
        exit_prior = ev["exits"].sum(0, keepdims=True) / np.maximum(cat_exposure, 1) * k
        move_prior = ev["moves"].sum(0, keepdims=True) / np.maximum(cat_exposure, 1) * k
        open_at_end = (eps["decom"] < end) & (eps["dec"].isna() | (eps["dec"] >= end))
        now = eps[open_at_end]
        months = ((end - now["dob"]).dt.days / 365.25 * 12).astype(int).clip(0, MONTHS - 1)
        cat = pd.Categorical(now["category"], categories=cats).codes
        stock0 = np.zeros((MONTHS, len(cats)))
        np.add.at(stock0, (months.to_numpy(), np.where(cat < 0, cats.index("other"), cat)), 1)
        self.rates_ = MultistateRates(
            start=end, window_days=float(self.reference_days), stock0=stock0,
            exposure=exposure, exit_events=ev["exits"],
            exit_prior=np.broadcast_to(exit_prior, ev["exits"].shape).copy(),
            move_events=ev["moves"],
            move_prior=np.broadcast_to(move_prior, ev["moves"].shape).copy(),
            entry_events=ev["entries"], population=self.population, prior_days=k,
            categories=cats,
        )
        return self

    def project(self, months: int, *, rates: MultistateRates | None = None,
                n_draws: int | None = None, random_state: int | None = None,
                population: np.ndarray | float | None = None) -> pd.DataFrame:
        """Simulate ``months`` months; returns the tidy schema with ``state``/``reason``.

        The draws are :meth:`project_draws`' (same arguments), summarised.
        """
        return self.summarise(self.project_draws(months, rates=rates, n_draws=n_draws,
                                                 random_state=random_state,
                                                 population=population))

    def summarise(self, d: RecordDraws) -> pd.DataFrame:
        """Draws in the tidy schema with ``state``: stock by state and in all, entries and
        exits by reason, per month."""
        return self._frame(d.dates, d.stock, d.entries, d.exits, d.categories)

    def project_draws(self, months: int, *, rates: MultistateRates | None = None,
                      factors: RateFactors | None = None, n_draws: int | None = None,
                      random_state: int | None = None,
                      population: np.ndarray | float | None = None,
                      cache: dict[str, Any] | None = None) -> RecordDraws:
        """The Monte Carlo draws behind :meth:`project`: ``months`` months after the start.

        Daily dynamics are exact: within a month rates are constant, so each month applies
        the one-day transition matrix raised to the month's length (and its geometric sum
        for entries spread over the month). ``population`` (scalar or per month) rescales
        entries when the model has a population: entries = rate per child x population.

        One random stream, in a fixed order: rate posteriors, then Poisson arrivals month
        by month. ``factors`` multiply each draw's sampled exit hazards, add to its move
        hazards and thin its arrivals binomially with a second stream (seeded
        ``[random_state, 1]``), so they never shift the first and every draw stays paired
        with the unchanged one. ``cache`` keeps the month transition powers of unchanged
        hazards between calls with the same rates, seed and months.
        """
        r = self.rates_ if rates is None else rates
        seed = self.random_state if random_state is None else random_state
        rng = np.random.default_rng(seed)
        n = self.n_draws if n_draws is None else n_draws
        f = factors or RateFactors()
        k, n_cat, n_exit = r.prior_days, len(r.categories), len(REASONS) - 1
        exposure = (r.exposure + k)[None, :, :, None]
        exit_rate = rng.gamma(r.exit_events + r.exit_prior, size=(n, *r.exit_events.shape)
                              ) / exposure
        move_rate = rng.gamma(r.move_events + r.move_prior, size=(n, *r.move_events.shape)
                              ) / exposure
        idx = np.arange(n_cat)
        move_rate[:, :, idx, idx] = 0.0
        entry_rate = rng.gamma(r.entry_events + 0.01, size=(n, *r.entry_events.shape)
                               ) / r.window_days
        thin = None if f.entries is None else np.random.default_rng([seed, 1])
        noise = self._noise(seed)
        ratio = np.ones(months)
        if population is not None and r.population:
            ratio = np.broadcast_to(np.asarray(population, float) / r.population, (months,))
        mult = np.broadcast_to(np.asarray(r.entry_multiplier, float), (months,)) * ratio
        dates, lengths = month_dates(r.start, months)
        cache = {} if cache is None else cache
        key = None
        stock = np.broadcast_to(r.stock0.reshape(N_AGES, 12, n_cat),
                                (n, N_AGES, 12, n_cat)).astype(float).copy()
        out_stock = np.empty((months, n, N_AGES, n_cat))
        out_entries = np.empty((months, n))
        out_exits = np.zeros((months, n, len(REASONS)))
        for month, d in enumerate(lengths):
            ex = None if f.exits is None else f.exits[month]
            mv = None if f.moves is None else f.moves[month]
            new_key = (f"{seed}:{n}:"
                       + ("" if ex is None or (ex == 1).all() else ex.tobytes().hex())
                       + ("" if mv is None or not mv.any() else mv.tobytes().hex()))
            if new_key != key:
                key = new_key
                if cache.get("key") != key:
                    day = day_matrix(exit_rate if ex is None else exit_rate * ex[None],
                                     move_rate if mv is None else move_rate + mv[None])
                    cache.clear()
                    cache.update(key=key, powers=self._powers(day, set(lengths.tolist())))
                powers, sums = cache["powers"]
            arrivals = rng.poisson(entry_rate * d * mult[month])
            if thin is not None:
                arrivals = thin.binomial(arrivals, np.broadcast_to(f.entries[month],
                                                                   arrivals.shape))
            out_entries[month] = arrivals.sum((1, 2))
            moved = stock @ powers[d][..., :n_cat, :]
            moved += (arrivals / (12 * d))[:, :, None, :] @ sums[d][..., :n_cat, :]
            if noise is not None:
                _vary_exits(moved, n_cat, noise.standard_normal(n))
            out_exits[month, :, :n_exit] = moved[..., n_cat:].sum((1, 2))
            stock = moved[..., :n_cat].reshape(n, MONTHS, n_cat)
            out_exits[month, :, -1] = stock[:, -1].sum(-1)
            stock = np.concatenate([np.zeros_like(stock[:, :1]), stock[:, :-1]], axis=1)
            stock = stock.reshape(n, N_AGES, 12, n_cat)
            out_stock[month] = stock.sum(2)
        return RecordDraws(dates=dates, stock=out_stock, entries=out_entries, exits=out_exits,
                           categories=r.categories)

    def _noise(self, seed: int) -> np.random.Generator | None:
        """The process-noise stream (seeded ``[random_state, 2]``), if the model has it."""
        on = self.process_noise
        if on is None:
            on = bool(params.value("model.records_forecast")["process_noise"])
        return np.random.default_rng([seed, 2]) if on else None

    @staticmethod
    def _powers(day: np.ndarray, lengths: set[int]
                ) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
        """A^d and sum_{j<d} A^j for each month length d needed."""
        powers, sums = {}, {}
        power = np.broadcast_to(np.eye(day.shape[-1]), day.shape).copy()
        total = np.zeros_like(day)
        for d in range(1, max(lengths) + 1):
            total += power
            power = power @ day
            if d in lengths:
                powers[d], sums[d] = power.copy(), total.copy()
        return powers, sums

    def _frame(self, dates: pd.DatetimeIndex, stock: np.ndarray, entries: np.ndarray,
               exits: np.ndarray, cats: tuple[str, ...]) -> pd.DataFrame:
        months = len(dates)
        periods = np.array([d.strftime("%Y-%m-01") for d in dates])
        frames = []
        s = summarise(stock.reshape(months, stock.shape[1], -1).transpose(1, 0, 2))
        states = [f"{a}:{c}" for a in range(N_AGES) for c in cats]
        frames.append(pd.DataFrame({
            "period": np.repeat(periods, len(states)), "measure": "stock",
            "state": np.tile(states, months), **{k: v.ravel() for k, v in s.items()}}))
        frames.append(pd.DataFrame({"period": periods, "measure": "stock", "state": "all",
                                    **summarise(stock.sum((2, 3)).T)}))
        frames.append(pd.DataFrame({"period": periods, "measure": "entries", "state": "all",
                                    **summarise(entries.T)}))
        e = summarise(exits.transpose(1, 0, 2))
        frames.append(pd.DataFrame({
            "period": np.repeat(periods, len(REASONS)), "measure": "exits",
            "state": np.tile(REASONS, months), **{k: v.ravel() for k, v in e.items()}}))
        out = pd.concat(frames, ignore_index=True).assign(la_code="workspace", model=self.name)
        return out[[*FORECAST_COLUMNS[:3], "state", *FORECAST_COLUMNS[3:]]]


def _vary_exits(moved: np.ndarray, n_cat: int, z: np.ndarray) -> None:
    """Process noise between states, in place: a draw's leavers in the month vary as a
    Poisson count would around their expected number (normal approximation on the draw's
    own standard normal ``z``, so scenario draws stay paired with the baseline's); the
    children who stay are scaled to match, so none is created or lost."""
    leaving = moved[..., n_cat:]
    staying = moved[..., :n_cat]
    expected = leaving.sum((1, 2, 3))
    present = staying.sum((1, 2, 3)) + expected
    drawn = np.clip(expected + np.sqrt(expected) * z, 0.0, present)
    scale = np.divide(drawn, expected, out=np.ones_like(expected), where=expected > 0)
    kept = np.divide(present - drawn, present - expected, out=np.ones_like(expected),
                     where=present > expected)
    leaving *= scale[:, None, None, None]
    staying *= kept[:, None, None, None]

