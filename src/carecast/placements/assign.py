"""The best joint assignment of children to homes, and the first-come baseline beside it.

A *unit* is a child, or a sibling group the plan keeps together; it uses ``size`` places
(every place, for a child who must be the only one in the home). The best assignment places
as many children as possible and, among those, has the highest total score
(``placements.matching.objective``). Where every unit takes one place it is a plain
assignment: SciPy's ``linear_sum_assignment`` on the homes' places. Sibling groups, children
who must live alone and children who cannot live with younger (or older) children make it
an integer programme, solved exactly with HiGHS through SciPy: its linear relaxation first
(almost always integral here, and then optimal), branch and bound (``milp``) only if not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linear_sum_assignment, linprog, milp


@dataclass(frozen=True)
class Units:
    """What the solver needs: ``eligible`` and ``score`` are units x homes; ``size`` the
    places each unit takes, ``solo`` whether it needs the home to itself, ``ages`` its
    youngest and oldest child and ``rule`` its live-alongside rule ('any', 'no_younger',
    'no_older', 'solo'); ``vacancies`` per home."""

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
    u, h = np.nonzero(units.eligible)
    k = len(u)
    gain = _big(units) * units.size[u] + units.score[u, h]
    weight = units.weight()[u, h].astype(float)
    n, m = units.eligible.shape
    rows = [sparse.csr_matrix((np.ones(k), (u, np.arange(k))), shape=(n, k)),
            sparse.csr_matrix((weight, (h, np.arange(k))), shape=(m, k))]
    upper = [np.ones(n), units.vacancies.astype(float)]
    rows_c, upper_c = _conflict_rows(units, u, h)
    if rows_c is not None:
        rows.append(rows_c)
        upper.append(upper_c)
    a = sparse.vstack(rows).tocsr()
    b = np.concatenate(upper)
    relaxed = linprog(-gain, A_ub=a, b_ub=b, bounds=(0, 1), method="highs")
    x = relaxed.x
    if x is None or np.abs(x - np.round(x)).max() > 1e-6:
        result = milp(-gain, constraints=LinearConstraint(a, -np.inf, b),
                      integrality=np.ones(k), bounds=Bounds(0, 1),
                      options={"mip_rel_gap": 0.0, "presolve": False})
        if result.x is None:
            raise RuntimeError(f"the assignment solver failed: {result.message}")
        x = result.x
    chosen = x > 0.5
    out = np.full(n, -1)
    out[u[chosen]] = h[chosen]
    return out


def _conflict_rows(units: Units, u: np.ndarray, h: np.ndarray
                   ) -> tuple[sparse.csr_matrix | None, np.ndarray]:
    """For a unit with an age rule in a home: vacancies * x[u,h] + the conflicting units
    placed there <= vacancies, so it shares the home only with children its rule allows."""
    clash = units.conflicts()
    ruled = np.flatnonzero((units.rule == "no_younger") | (units.rule == "no_older"))
    edge = {(int(a), int(b)): i for i, (a, b) in enumerate(zip(u, h, strict=True))}
    data, r, c, upper = [], [], [], []
    for a in ruled:
        for home in np.flatnonzero(units.eligible[a]):
            vac = units.vacancies[home]
            others = [edge[(int(v), int(home))] for v in np.flatnonzero(clash[a])
                      if (int(v), int(home)) in edge]
            if vac < 2 or not others:
                continue
            row = len(upper)
            r += [row] * (len(others) + 1)
            c += [edge[(int(a), int(home))], *others]
            data += [float(vac), *([1.0] * len(others))]
            upper.append(float(vac))
    if not upper:
        return None, np.empty(0)
    return sparse.csr_matrix((data, (r, c)), shape=(len(upper), len(u))), np.array(upper)


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
