"""Years, financial years and child-weeks: the one rule for each.

Counts are at 31 March and spend is by financial year (1 April to 31 March). Both are
keyed by the year they end in: stock 2025 is at 31 March 2025, spend 2025 is 2024-25.
A financial year's child-weeks from yearly stocks are the trapezium (opening + closing) / 2
x ``costs.days_per_year`` / 7; from daily or monthly stocks they use the exact dates.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from carecast import params


def days_per_year() -> float:
    return float(params.value("costs.days_per_year"))


def weeks_per_year() -> float:
    return days_per_year() / 7


def financial_year(year_ending: int) -> str:
    """'2024-25' for the financial year ending 31 March 2025."""
    return f"{year_ending - 1}-{str(year_ending)[-2:]}"


def year_ending(day: dt.date | pd.Timestamp) -> int:
    """The year ending 31 March that contains ``day`` (1 April 2024 -> 2025)."""
    return day.year + 1 if day.month >= 4 else day.year


def child_weeks(opening: np.ndarray, closing: np.ndarray) -> np.ndarray:
    """Child-weeks in a year from children at its opening and closing 31 March."""
    return (np.asarray(opening, float) + np.asarray(closing, float)) / 2 * weeks_per_year()


def yearly_child_weeks(stock0: np.ndarray, stock: np.ndarray) -> np.ndarray:
    """Child-weeks per year from a 31 March path: ``stock`` (..., years) after ``stock0``
    (broadcast to ``stock``'s leading axes)."""
    stock = np.asarray(stock, float)
    opening = np.concatenate(
        [np.broadcast_to(np.asarray(stock0, float), stock.shape[:-1])[..., None],
         stock[..., :-1]], axis=-1)
    return child_weeks(opening, stock)


def monthly_child_weeks(start: pd.Timestamp, dates: pd.DatetimeIndex, stock0: np.ndarray,
                        stock: np.ndarray) -> tuple[list[int], np.ndarray]:
    """Child-weeks per financial year from a stock on ``start`` and on each of ``dates``
    (month starts, as the record-level model gives them): trapezium between consecutive
    dates x exact days / 7. ``stock`` is (..., len(dates)); ``stock0`` broadcasts to (...).
    Each interval ends on the 1st of a month, so it lies in the financial year of its first
    day. Returns the years (ending 31 March) and child-weeks (..., n_years)."""
    bounds = pd.DatetimeIndex([start.normalize(), *dates])
    lengths = np.diff(bounds.values.astype("datetime64[D]")).astype(float)
    full = np.concatenate(
        [np.broadcast_to(np.asarray(stock0, float), stock.shape[:-1])[..., None],
         np.asarray(stock, float)], axis=-1)
    weeks = (full[..., :-1] + full[..., 1:]) / 2 * lengths / 7
    labels = np.array([year_ending(d) for d in bounds[:-1]])
    years = sorted(set(labels.tolist()))
    return years, np.stack([weeks[..., labels == y].sum(-1) for y in years], -1)


def days_in(years: list[int], start: pd.Timestamp, dates: pd.DatetimeIndex) -> np.ndarray:
    """Days of each financial year covered between ``start`` and the last of ``dates``."""
    bounds = pd.DatetimeIndex([start.normalize(), *dates])
    labels = np.array([year_ending(d) for d in bounds[:-1]])
    lengths = np.diff(bounds.values.astype("datetime64[D]")).astype(int)
    return np.array([int(lengths[labels == y].sum()) for y in years])
