"""Where children and homes are: British National Grid coordinates (metres) and straight-line
distances between them.

A file gives a place as an easting and northing, or as a postcode district whose centroid
comes from a file the council supplies (an extract of the ONS Postcode Directory, say: no
postcode data is bundled). Synthetic files draw points inside (or outside) a council's
bundled boundary, converted from longitude and latitude by the Ordnance Survey's transverse
Mercator formulae on the Airy 1830 ellipsoid without the datum shift (about 100 m off: plenty
for synthetic homes).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from carecast.data import bundled, councils, tabular
from carecast.data.workspace import Workspace
from carecast.placements import rowcheck
from carecast.placements.rowcheck import Column, Problems

TABLE = "placements_centroids"
COLUMNS = (Column("postcode_district", True, "outward code, e.g. NR1"),
           Column("easting", True, "British National Grid easting of its centroid (m)"),
           Column("northing", True, "British National Grid northing (m)"))
MAX_FILE_MB = 20

# Ordnance Survey, A guide to coordinate systems in Great Britain (2020), annex C.
_A, _B = 6377563.396, 6356256.909
_F0, _LAT0, _LON0, _E0, _N0 = 0.9996012717, np.radians(49.0), np.radians(-2.0), 400000.0, -100000.0


def to_grid(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Easting and northing (m) of longitudes and latitudes in degrees."""
    phi, lam = np.radians(lat), np.radians(lon)
    e2 = 1 - _B**2 / _A**2
    n = (_A - _B) / (_A + _B)
    s, c, t = np.sin(phi), np.cos(phi), np.tan(phi)
    nu = _A * _F0 / np.sqrt(1 - e2 * s**2)
    rho = _A * _F0 * (1 - e2) / (1 - e2 * s**2) ** 1.5
    eta2 = nu / rho - 1
    d, p = phi - _LAT0, phi + _LAT0
    m = _B * _F0 * ((1 + n + 1.25 * n**2 + 1.25 * n**3) * d
                    - (3 * n + 3 * n**2 + 21 / 8 * n**3) * np.sin(d) * np.cos(p)
                    + (15 / 8 * n**2 + 15 / 8 * n**3) * np.sin(2 * d) * np.cos(2 * p)
                    - 35 / 24 * n**3 * np.sin(3 * d) * np.cos(3 * p))
    i, ii = m + _N0, nu / 2 * s * c
    iii = nu / 24 * s * c**3 * (5 - t**2 + 9 * eta2)
    iiia = nu / 720 * s * c**5 * (61 - 58 * t**2 + t**4)
    iv, v = nu * c, nu / 6 * c**3 * (nu / rho - t**2)
    vi = nu / 120 * c**5 * (5 - 18 * t**2 + t**4 + 14 * eta2 - 58 * t**2 * eta2)
    dl = lam - _LON0
    north = i + ii * dl**2 + iii * dl**4 + iiia * dl**6
    east = _E0 + iv * dl + v * dl**3 + vi * dl**5
    return east, north


@cache
def _rings(code: str) -> tuple[np.ndarray, ...]:
    """The council's boundary rings in grid metres (bundled ``boundaries``)."""
    for feature in bundled.read_geojson("boundaries")["features"]:
        if feature["properties"].get("code") == code:
            geom = feature["geometry"]
            polygons = geom["coordinates"] if geom["type"] == "MultiPolygon" else [
                geom["coordinates"]]
            rings = []
            for polygon in polygons:
                for ring in polygon:
                    xy = np.asarray(ring, float)
                    rings.append(np.column_stack(to_grid(xy[:, 0], xy[:, 1])))
            return tuple(rings)
    raise LookupError(f"no bundled boundary for council {code}")


def inside(code: str, east: np.ndarray, north: np.ndarray) -> np.ndarray:
    """Whether each point lies inside the council's boundary (even-odd rule over rings)."""
    hit = np.zeros(len(east), bool)
    for ring in _rings(code):
        x0, y0 = ring[:-1, 0], ring[:-1, 1]
        x1, y1 = ring[1:, 0], ring[1:, 1]
        for a, b, c, d in zip(x0, y0, x1, y1, strict=True):
            crosses = (b > north) != (d > north)
            with np.errstate(divide="ignore", invalid="ignore"):
                at = a + (north - b) * (c - a) / (d - b)
            hit ^= crosses & (east < at)
    return hit


def sample(rng: np.random.Generator, council: str, n: int, *, within: bool = True,
           margin_km: float = 40.0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points inside the council's boundary, or (``within=False``) outside it but no
    more than ``margin_km`` beyond its bounding box."""
    code = councils.lookup(council).code
    points = np.vstack(_rings(code))
    lo, hi = points.min(axis=0), points.max(axis=0)
    if not within:
        lo, hi = lo - margin_km * 1000, hi + margin_km * 1000
    east, north = np.empty(0), np.empty(0)
    while len(east) < n:
        e = rng.uniform(lo[0], hi[0], 4 * n + 16)
        m = rng.uniform(lo[1], hi[1], 4 * n + 16)
        keep = inside(code, e, m) == within
        east, north = np.r_[east, e[keep]], np.r_[north, m[keep]]
    return np.round(east[:n]), np.round(north[:n])


def distance_km(e1: np.ndarray, n1: np.ndarray, e2: np.ndarray, n2: np.ndarray
                ) -> np.ndarray:
    """Straight-line distances in km between every point 1 (rows) and point 2 (columns)."""
    return np.hypot(e1[:, None] - e2[None, :], n1[:, None] - n2[None, :]) / 1000.0


def load_centroids(path: str | Path, ws: Workspace) -> int:
    """Store a postcode-district centroid file (replacing any before); rows stored."""
    frame = tabular.read(path, max_bytes=MAX_FILE_MB * 1024 * 1024)
    frame = rowcheck.header(frame, str(path), COLUMNS, "centroid file")
    problems = Problems(str(path), frame["_row"], COLUMNS)
    out = pd.DataFrame({"postcode_district": rowcheck.districts(
        frame["postcode_district"], "postcode_district", problems)})
    for column in ("postcode_district", "easting", "northing"):
        problems.add(frame[column].isna(), column, lambda i: "a value is required")
    for column in ("easting", "northing"):
        out[column] = rowcheck.numbers(frame[column], column, problems)
    repeats, first = rowcheck.first_rows(out["postcode_district"], frame["_row"])
    problems.add(repeats, "postcode_district", lambda i: (
        f"this district is also on row {first[out['postcode_district'].iloc[i]]}"))
    problems.raise_first()
    with ws.change() as con:
        con.register("_incoming", pa.Table.from_pandas(out, preserve_index=False))
        con.execute(f'CREATE OR REPLACE TABLE "{TABLE}" AS SELECT * FROM _incoming')
        con.unregister("_incoming")
    return len(out)


def centroids(ws: Workspace) -> pd.DataFrame:
    """The workspace's district centroids (index postcode_district), empty when none."""
    if not ws.has_table(TABLE):
        return pd.DataFrame(columns=["easting", "northing"],
                            index=pd.Index([], name="postcode_district"))
    return ws.query(f'SELECT * FROM "{TABLE}"').set_index("postcode_district")


def locate(east: pd.Series, north: pd.Series, district: pd.Series, table: pd.DataFrame
           ) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates from the file's easting/northing, else its district's centroid (NaN when
    neither is known)."""
    e = pd.to_numeric(east, errors="coerce").to_numpy(float)
    n = pd.to_numeric(north, errors="coerce").to_numpy(float)
    if len(table):
        missing = np.isnan(e)
        found = table.reindex(district.to_numpy())
        e = np.where(missing, found["easting"].to_numpy(float), e)
        n = np.where(missing, found["northing"].to_numpy(float), n)
    return e, n

