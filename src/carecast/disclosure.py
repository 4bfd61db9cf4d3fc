"""The one small-number rule for everything carecast publishes about children.

Tables, chart tables, downloads, exports and reports all ask here, so a count is hidden
the same way on every path. The rule is the parameter ``disclosure.small_counts`` (DfE's
practice for children's social care statistics): counts from 1 to ``threshold - 1`` are
hidden and shown as ``marker`` ("c"); zeros are shown, since DfE shows a submitted zero;
and with ``secondary`` on, more cells are hidden wherever a hidden one could be worked out
from its total and the other cells (2024: 1,345 in care, 1,344 in the other placement
groups, so residential schools = 1).

Secondary suppression works on groups of cells whose total is published (or can be): in a
group, one hidden cell is recoverable (total minus the rest), and so is any set of hidden
cells summing to a small number (two hidden cells summing to 2 are both 1). So the smallest
other non-zero cells are hidden until each group hides none, or two or more cells that add
up to at least the threshold. Groups are re-checked until nothing changes, since hiding a
cell in one group can expose another group it belongs to.

Like :mod:`carecast.params`, this module may be imported by any layer; it imports none.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from carecast import params

PARAMETER = "disclosure.small_counts"


@dataclass(frozen=True)
class Rule:
    """The small-number rule in force: threshold, marker, zeros and secondary suppression."""

    threshold: float
    marker: str
    zeros_shown: bool
    secondary: bool
    source: str

    def is_small(self, values: Iterable[float], scale: float = 1.0) -> np.ndarray:
        """Cells to hide on their own: non-zero magnitudes under ``threshold x scale``
        (and zeros, were zeros not shown); missing values are never small."""
        v = np.abs(pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce")
                   .to_numpy(dtype=float))
        small = (v > 0) & (v < self.threshold * scale)
        return small | (v == 0) if not self.zeros_shown else small

    @property
    def note(self) -> str:
        """The sentence every published table carries."""
        top = int(self.threshold) - 1
        text = f"Counts of children from 1 to {top} are shown as {self.marker}"
        if self.secondary:
            text += (", and where one could be worked out from a total, other cells are "
                     f"shown as {self.marker} too")
        return text + (" (zeros are true zeros)." if self.zeros_shown else ".")


@cache
def _rule(values: tuple[tuple[str, object], ...], source: str) -> Rule:
    v = dict(values)
    if v["zeros"] not in ("shown", "hidden"):
        raise ValueError(f"{PARAMETER}: zeros must be 'shown' or 'hidden', not {v['zeros']!r}")
    return Rule(threshold=float(v["threshold"]), marker=str(v["marker"]),
                zeros_shown=v["zeros"] == "shown", secondary=bool(v["secondary"]),
                source=source)


def rule() -> Rule:
    """The rule in force (an override of ``disclosure.small_counts`` is seen)."""
    value = params.value(PARAMETER)
    return _rule(tuple(sorted(value.items())), params.get(PARAMETER).source())


def hidden(values: Sequence[float], groups: Sequence[Sequence[Hashable]] = (),
           scale: float = 1.0) -> np.ndarray:
    """Which cells to hide: the small ones, then (secondary) enough others in each group
    that no hidden cell can be worked out from the group's total.

    ``groups`` holds one label sequence per kind of published total (as long as
    ``values``): cells with the same label add up to a total a reader can see. ``scale``
    multiplies the threshold (child-weeks: weeks in a year).
    """
    r = rule()
    v = pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce").to_numpy(float)
    hide = r.is_small(v, scale)
    if not r.secondary or not len(groups):
        return hide
    size = np.abs(v)
    limit = r.threshold * scale
    labels = [pd.factorize(pd.Series(list(g), dtype=object))[0] for g in groups]
    changed = True
    while changed:
        changed = False
        for ids in labels:
            for gid in np.unique(ids):
                cells = np.flatnonzero(ids == gid)
                while _recoverable(size[cells], hide[cells], limit):
                    spare = cells[~hide[cells] & (size[cells] > 0)]
                    if not len(spare):
                        break
                    hide[spare[np.argmin(size[spare])]] = True
                    changed = True
    return hide


def _recoverable(size: np.ndarray, hide: np.ndarray, limit: float) -> bool:
    """A group's hidden cells can be worked out: exactly one, or a sum under the limit."""
    n = int(hide.sum())
    total = float(np.nansum(size[hide]))
    return n == 1 or (n > 1 and 0 < total < limit)


def suppress(frame: pd.DataFrame, value: str, *, columns: Sequence[str] | None = None,
             within: Sequence[Sequence[str]] = (), scale: float = 1.0) -> pd.DataFrame:
    """A copy of a long frame with ``columns`` (default ``[value]``) blanked (missing) on
    the rows :func:`hidden` hides, judged on ``value``, and a ``suppressed`` flag column.

    ``within`` lists the key columns of each published total, e.g. ``[["year"]]`` when
    each year's cells add up to that year's total.
    """
    groups = [frame[list(keys)].astype(str).agg("|".join, axis=1) for keys in within]
    mask = hidden(frame[value].tolist(), groups, scale) if len(frame) else np.zeros(0, bool)
    out = frame.copy()
    cols = list(columns) if columns is not None else [value]
    keep = np.repeat(~mask[:, None], len(cols), axis=1)
    out[cols] = out[cols].astype(object).where(keep, None)
    out["suppressed"] = mask
    return out


def mark(frame: pd.DataFrame, columns: Sequence[str], *, within_columns: bool = False
         ) -> pd.DataFrame:
    """A copy of a wide table with hidden cells of ``columns`` shown as the marker: each
    column on its own, and (``within_columns``) with each column's cells adding up to a
    published column total."""
    out = frame.copy()
    marker = rule().marker
    for column in columns:
        if column not in out:
            continue
        cells = out[column].tolist()
        groups = [["all"] * len(cells)] if within_columns else []
        mask = hidden([None if c == marker else c for c in cells], groups)
        mask |= np.array([c == marker for c in cells], dtype=bool)
        out[column] = out[column].astype(object).where(~mask, marker)
    return out
