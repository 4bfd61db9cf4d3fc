"""Cross-validation for the drivers model: scores, choice of specification, nested scores.

Least squares by ``numpy.linalg.lstsq`` (minimum norm, so a region absent from a training
fold just gets no effect), predictions back on the target's own scale, and R² of pooled
out-of-fold predictions. Choosing a specification by the same cross-validation that scores
it flatters the winner (Varma and Simon 2006; Cawley and Talbot 2010), so
:func:`nested_cv` repeats the choice inside every outer training fold and scores only on
councils the choice never saw.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold

REGION = "region_code"


@dataclass(frozen=True)
class Spec:
    """One candidate: its drivers and whether region effects are added."""

    name: str
    drivers: tuple[str, ...]
    region_effects: bool


def design(frame: pd.DataFrame, drivers: Sequence[str], region_effects: bool) -> np.ndarray:
    """Constant, drivers and (optionally) region dummies, North East... first region dropped."""
    parts = [np.ones((len(frame), 1)), frame[list(drivers)].to_numpy(dtype=float)]
    if region_effects:
        dummies = pd.get_dummies(frame[REGION], drop_first=True, dtype=float)
        parts.append(dummies.to_numpy())
    return np.hstack(parts)


def r2(actual: np.ndarray, predicted: np.ndarray) -> float:
    return float(1 - ((actual - predicted) ** 2).sum() / ((actual - actual.mean()) ** 2).sum())


def _fit_predict(x: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray
                 ) -> np.ndarray:
    coef, *_ = np.linalg.lstsq(x[train], y[train], rcond=None)
    return x[test] @ coef


def out_of_fold(x: np.ndarray, actual: np.ndarray, log_target: bool, folds: KFold,
                rows: np.ndarray | None = None) -> np.ndarray:
    """Out-of-fold predictions (target scale) for ``rows`` (default all) split by ``folds``."""
    rows = np.arange(len(actual)) if rows is None else rows
    y = np.log(actual) if log_target else actual
    predicted = np.empty(len(rows))
    for train, test in folds.split(rows):
        fitted = _fit_predict(x, y, rows[train], rows[test])
        predicted[test] = np.exp(fitted) if log_target else fitted
    return predicted


def cv_runs(x: np.ndarray, actual: np.ndarray, log_target: bool, folds: int, repeats: int,
            random_state: int) -> list[float]:
    """R² of pooled out-of-fold predictions, one per repeat (shuffled KFold, seeds r0, r0+1..)."""
    return [r2(actual, out_of_fold(x, actual, log_target,
                                   KFold(folds, shuffle=True, random_state=random_state + r)))
            for r in range(repeats)]


def choose(designs: Mapping[str, np.ndarray], actual: np.ndarray, log_target: bool, folds: int,
           random_state: int, rows: np.ndarray | None = None) -> tuple[str, dict[str, float]]:
    """The specification with the best cross-validated R² on ``rows``; ties go to the first."""
    rows = np.arange(len(actual)) if rows is None else rows
    split = KFold(folds, shuffle=True, random_state=random_state)
    scores = {name: r2(actual[rows], out_of_fold(x, actual, log_target, split, rows))
              for name, x in designs.items()}
    return max(scores, key=lambda k: scores[k]), scores


@dataclass(frozen=True)
class NestedScore:
    """Nested cross-validated R² (mean over repeats) and how often each candidate won."""

    r2: float
    runs: list[float]
    choices: dict[str, int]


def nested_cv(designs: Mapping[str, np.ndarray], actual: np.ndarray, log_target: bool,
              folds: int, inner_folds: int, repeats: int, random_state: int) -> NestedScore:
    """Outer shuffled KFold; inside each outer training fold the specification is chosen by
    an inner KFold, refitted on the whole training fold and scored on the outer test fold."""
    runs, choices = [], Counter[str]()
    n = len(actual)
    y = {True: np.log(actual), False: actual}[log_target]
    for repeat in range(repeats):
        predicted = np.empty(n)
        outer = KFold(folds, shuffle=True, random_state=random_state + repeat)
        for train, test in outer.split(np.arange(n)):
            name, _ = choose(designs, actual, log_target, inner_folds,
                             random_state + 1000 + repeat, rows=train)
            choices[name] += 1
            fitted = _fit_predict(designs[name], y, train, test)
            predicted[test] = np.exp(fitted) if log_target else fitted
        runs.append(r2(actual, predicted))
    return NestedScore(float(np.mean(runs)), runs, dict(choices.most_common()))


def paired_gain(base: np.ndarray, extended: np.ndarray, actual: np.ndarray, log_target: bool,
                folds: int, repeats: int, random_state: int) -> dict[str, float | list[float]]:
    """Cross-validated R² of two designs on the same councils and the same folds, and the
    gain of ``extended`` over ``base`` in each repeat (so fold luck cancels)."""
    without = cv_runs(base, actual, log_target, folds, repeats, random_state)
    with_terms = cv_runs(extended, actual, log_target, folds, repeats, random_state)
    gains = np.subtract(with_terms, without)
    return {"cv_r2_without": float(np.mean(without)), "cv_r2_with": float(np.mean(with_terms)),
            "gain": float(gains.mean()), "gain_min": float(gains.min()),
            "gain_max": float(gains.max()), "share_of_repeats_improved": float((gains > 0).mean()),
            "runs_gain": [float(g) for g in gains]}
