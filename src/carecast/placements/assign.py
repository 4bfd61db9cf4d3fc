"""The best joint assignment of children to homes, and the first-come baseline beside it.

A *unit* is a child, or a sibling group the plan keeps together; it uses ``size`` places
(every place, for a child who must be the only one in the home). The best assignment places
as many children as possible and, among those, has the highest total score
(``placements.matching.objective``). Where every unit takes one place it is a plain
assignment: SciPy's ``linear_sum_assignment`` on the homes' places. Sibling groups, children
who must live alone and children who cannot live with younger (or older) children make it
an integer programme, solved exactly with HiGHS through SciPy: its linear relaxation, then
(when that is not whole) ``milp`` on the few variables reduced costs cannot rule out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linear_sum_assignment, linprog, milp

FIRST_COLUMNS = 40


@dataclass(frozen=True)
class Units:
    """What the solver needs: ``eligible`` and ``score`` are units x homes; ``size`` the
    places each unit takes, ``solo`` whether it needs the home to itself, ``young`` and
    ``old`` the ages of its youngest and oldest child and ``rule`` its live-alongside rule
    ('any', 'no_younger', 'no_older', 'solo'); ``vacancies`` per home."""

    eligible: np.ndarray
    score: np.ndarray
    size: np.ndarray
    solo: np.ndarray
    young: np.ndarray
    old: np.ndarray
    rule: np.ndarray
    vacancies: np.ndarray

    def weight(self) -> np.ndarray:
        """Places each unit would take in each home."""
        return np.where(self.solo[:, None], self.vacancies[None, :], self.size[:, None])

    def conflicts(self) -> np.ndarray:
        """Pairs of units that may not share a home (units x units)."""
        no_young = self.rule == "no_younger"
        no_old = self.rule == "no_older"
        clash = (no_young[:, None] & (self.young[None, :] < self.young[:, None])) | (
            no_old[:, None] & (self.old[None, :] > self.old[:, None]))
        clash |= clash.T
        np.fill_diagonal(clash, False)
        return clash


def _big(units: Units) -> float:
    """A child placed outweighs any change in total score (scores are at most 100)."""
    return 100.0 * float(units.size.sum()) + 1.0


def plain(units: Units) -> bool:
    """Every unit takes one place and has no age rule: a plain assignment."""
    return bool((units.size == 1).all() and not units.solo.any()
                and (units.rule == "any").all())


def solve(units: Units) -> np.ndarray:
    """The home each unit goes to (-1: none) in the best joint assignment."""
    n, m = units.eligible.shape
    if n == 0 or m == 0 or not units.eligible.any():
        return np.full(n, -1)
    return _assignment(units) if plain(units) else _programme(units)


def _assignment(units: Units) -> np.ndarray:
    slots = np.repeat(np.arange(units.eligible.shape[1]), units.vacancies.astype(int))
    gain = np.where(units.eligible, _big(units) + units.score, 0.0)[:, slots]
    rows, cols = linear_sum_assignment(gain, maximize=True)
    out = np.full(units.eligible.shape[0], -1)
    keep = units.eligible[rows, slots[cols]]
    out[rows[keep]] = slots[cols[keep]]
    return out


def _programme(units: Units) -> np.ndarray:
    """The integer programme: one home per unit, places per home, age rules (see
    :func:`_exact`)."""
    u, h = np.nonzero(units.eligible)
    k = len(u)
    gain = _big(units) * units.size[u] + units.score[u, h]
    weight = units.weight()[u, h].astype(float)
    n, m = units.eligible.shape
    rows = [sparse.csr_matrix((np.ones(k), (u, np.arange(k))), shape=(n, k)),
            sparse.csr_matrix((weight, (h, np.arange(k))), shape=(m, k))]
    upper = [np.ones(n), units.vacancies.astype(float)]
    conflict, bound = _conflict_rows(units, u, h)
    if conflict is not None:
        rows.append(conflict)
        upper.append(bound)
    top = np.zeros(k, bool)  # each unit's best few homes start the relaxation
    order = np.lexsort((-gain, u))
    rank = np.arange(k) - np.searchsorted(u[order], u[order])
    top[order[rank < FIRST_COLUMNS]] = True
    chosen = _exact(gain, sparse.vstack(rows).tocsr(), np.concatenate(upper), top) > 0.5
    out = np.full(n, -1)
    out[u[chosen]] = h[chosen]
    return out


def _relaxation(c: np.ndarray, a: sparse.csr_matrix, b: np.ndarray, first: np.ndarray
                ) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """The linear relaxation over every variable by column generation: solved on the
    columns in ``first``, then on every column whose reduced cost is positive, until none
    is. Returns x, the bound, and each variable's cost of forcing it to 1 (at 0) or to 0
    (at 1)."""
    cols = first.copy()
    a_csc = a.tocsc()
    while True:
        lp = linprog(-c[cols], A_ub=a_csc[:, cols], b_ub=b, bounds=(0, 1), method="highs")
        if lp.x is None:
            raise RuntimeError(f"the assignment solver failed: {lp.message}")
        duals = -np.asarray(lp.ineqlin.marginals)
        gain = c - a_csc.T @ duals
        enter = ~cols & (gain > 1e-7)
        if not enter.any():
            break
        cols |= enter
    x = np.zeros(len(c))
    x[cols] = lp.x
    to_one = np.maximum(-gain, 0.0)
    to_zero = np.zeros(len(c))
    to_zero[cols] = -np.asarray(lp.upper.marginals)
    return x, -float(lp.fun), to_one, to_zero


def _exact(c: np.ndarray, a: sparse.csr_matrix, b: np.ndarray, first: np.ndarray
           ) -> np.ndarray:
    """Maximise ``c @ x`` over 0/1 ``x`` with ``a @ x <= b``, exactly. The linear relaxation
    first (:func:`_relaxation`); if it is not whole, ``milp`` with every variable whose
    forcing (to 1 from 0, or to 0 from 1) costs ``delta`` or more held at its relaxed
    value. Any solution breaking those holds is bounded below ``relaxation - delta``; so
    once the restricted optimum is within ``delta`` of the relaxation it is optimal
    (reduced-cost fixing, as branch and bound does). Otherwise ``delta`` widens, at worst
    to every variable."""
    x, bound, to_one, to_zero = _relaxation(c, a, b, first)
    a_csc = a.tocsc()
    if np.abs(x - np.round(x)).max() <= 1e-6:
        return np.round(x)
    slack = 1e-3 + 1e-10 * abs(bound)
    delta = 1.0
    while True:
        ones = (x > 1 - 1e-6) & (to_zero >= delta)
        free = ~ones & ((x > 1e-6) | (to_one < delta))
        rest = b - a @ ones.astype(float)
        sub = a_csc[:, free]  # a variable that no longer fits with the held ones is 0
        over = sub.data > rest[sub.indices] + 1e-9
        column = np.repeat(np.arange(sub.shape[1]), np.diff(sub.indptr))
        free[np.flatnonzero(free)[np.unique(column[over])]] = False
        out = ones.astype(float)
        if free.any():
            result = milp(-c[free], constraints=LinearConstraint(a[:, free], -np.inf, rest),
                          integrality=np.ones(int(free.sum())), bounds=Bounds(0, 1),
                          options={"mip_rel_gap": 0.0, "presolve": False})
            if result.x is None:
                raise RuntimeError(f"the assignment solver failed: {result.message}")
            out[free] = np.round(result.x)
        gap = bound - c @ out
        if gap < delta - slack or (free | ones).all():
            return out
        delta = max(2 * delta, 1.0 + 1.02 * gap)


def _conflict_rows(units: Units, u: np.ndarray, h: np.ndarray
                   ) -> tuple[sparse.csr_matrix | None, np.ndarray]:
    """x[a,h] + x[v,h] <= 1 for every pair of units that may not share home h (a unit with
    an age rule and a child it may not live with); pairwise rows keep the relaxation tight."""
    clash = units.conflicts()
    edge = np.full(units.eligible.shape, -1)
    edge[u, h] = np.arange(len(u))
    many = units.vacancies >= 2
    first, second = [], []
    for a in np.flatnonzero((units.rule == "no_younger") | (units.rule == "no_older")):
        others = clash[a][:, None] & units.eligible & (units.eligible[a] & many)[None, :]
        v, home = np.nonzero(others)
        keep = v > a
        if not keep.all():  # a pair of ruled units is listed once
            ruled = (units.rule[v] == "no_younger") | (units.rule[v] == "no_older")
            keep |= ~ruled
        first.append(edge[a, home[keep]])
        second.append(edge[v[keep], home[keep]])
    if not first or not sum(len(f) for f in first):
        return None, np.empty(0)
    one, two = np.concatenate(first), np.concatenate(second)
    n = len(one)
    rows = np.repeat(np.arange(n), 2)
    cols = np.column_stack([one, two]).ravel()
    return sparse.csr_matrix((np.ones(2 * n), (rows, cols)), shape=(n, len(u))), np.ones(n)


def greedy(units: Units, order: np.ndarray) -> np.ndarray:
    """First come, first served: each unit in ``order`` takes its best-scoring eligible
    home with room left (the baseline the joint assignment is measured against)."""
    left = units.vacancies.astype(float).copy()
    weight = units.weight()
    clash = units.conflicts()
    placed: list[list[int]] = [[] for _ in range(len(left))]
    out = np.full(units.eligible.shape[0], -1)
    for a in order:
        ok = units.eligible[a] & (weight[a] <= left)
        for home in np.flatnonzero(ok):
            if any(clash[a, v] or units.solo[v] for v in placed[home]):
                ok[home] = False
        if ok.any():
            home = int(np.flatnonzero(ok)[np.argmax(units.score[a, ok])])
            out[a] = home
            left[home] -= weight[a, home]
            placed[home].append(int(a))
    return out


def violations(units: Units, chosen: np.ndarray) -> list[str]:
    """Every hard rule ``chosen`` breaks (empty when it is a valid assignment)."""
    found = []
    weight, clash = units.weight(), units.conflicts()
    for a, home in enumerate(chosen):
        if home >= 0 and not units.eligible[a, home]:
            found.append(f"unit {a} placed in ineligible home {home}")
    for home in range(len(units.vacancies)):
        here = np.flatnonzero(chosen == home)
        if weight[here, home].sum() > units.vacancies[home]:
            found.append(f"home {home} over its {units.vacancies[home]} vacancies")
        if len(here) > 1 and (units.solo[here].any() or clash[np.ix_(here, here)].any()):
            found.append(f"home {home} holds children who may not live together")
    return found
