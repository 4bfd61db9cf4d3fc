"""Read published numbers: suppression markers become missing values with a flag, never zeros."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from carecast import params
from carecast.data.errors import InputError


@cache
def suppression_codes() -> dict[str, str]:
    """Marker -> meaning, from ``parameters/data/suppression_codes.yaml``."""
    return dict(params.value("data.suppression_codes"))


def parse_numbers(
    raw: pd.Series, *, file: str, column: str, first_row: int = 2
) -> tuple[pd.Series, pd.Series]:
    """Split printed values into floats and flags.

    Empty cells are missing with no flag; suppression markers are missing with the marker as
    flag; anything else that is not a number is an error naming file, row and column.
    ``first_row`` is the file row of the series' first element (2 below a header).
    """
    text = raw.astype("string").str.strip().str.replace(",", "", regex=False)
    codes = suppression_codes()
    is_code = text.str.lower().isin([c.lower() for c in codes]).fillna(False)
    numbers = pd.to_numeric(text.where(~is_code), errors="coerce")
    bad = text.notna() & (text != "") & ~is_code & numbers.isna()
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        value = text.iloc[position]
        raise InputError(
            f"{value!r} is neither a number nor a known suppression code "
            f"({', '.join(sorted(codes))})",
            file=file,
            row=first_row + position,
            column=column,
        )
    flags = text.where(is_code).str.lower()
    return numbers.astype("float64"), flags.astype("object").where(flags.notna(), None)
