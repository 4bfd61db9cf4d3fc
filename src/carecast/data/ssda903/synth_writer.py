"""Write generated records as real-format SSDA903 annual returns (CSV folders or XML files).

Each return (year ending 31 March) holds every episode open at any time in its year, with
DEC and REC left blank for episodes still open at its end, and a header row for each child
in it (and, when asked, a UASC row, DUC the 18th birthday, for each unaccompanied
asylum-seeking child in it): the same overlap rules as councils' own returns. SEX is 1/2
up to 2023-24 and M/F from 2024-25, as the DfE rules require.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd

from carecast.data.ssda903.reader import TABLES
from carecast.data.ssda903.synth import Synthetic

FIRST_MF_YEAR = 2025  # 2024-25 return: SEX M/F/U (rule 101)
NO_PROVIDER = {"T0", "T1", "T2", "T3", "T4", "Z1"}  # rule 178 (2022-23 to 2024-25)
URN_PLACES = {"K1", "K2", "S1"}  # Ofsted-registered settings (rules 221, 222)


def label(year: int) -> str:
    return f"{year - 1}-{str(year)[2:]}"


def _postcodes(rng: np.random.Generator, n: int) -> np.ndarray:
    """Well-formed but fictitious postcodes (outward 'ZZ' areas are not in use)."""
    district = rng.integers(1, 99, n).astype(str)
    sector = rng.integers(0, 9, n).astype(str)
    letters = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))
    unit = letters[rng.integers(0, len(letters), n)].astype(object) + letters[
        rng.integers(0, len(letters), n)]
    return ("ZZ" + district.astype(object) + " " + sector.astype(object) + unit).astype(object)


def _fmt(dates: pd.Series) -> pd.Series:
    return dates.dt.strftime("%d/%m/%Y").astype(object).where(dates.notna(), None)


def _with_places(syn: Synthetic) -> pd.DataFrame:
    """Episodes with a home postcode per child and a placement postcode and URN per
    placement (kept across legal-status-only episodes, RNE L)."""
    rng = np.random.default_rng(len(syn.episodes))
    eps = syn.episodes.copy()
    home = dict(zip(syn.header["child"], _postcodes(rng, len(syn.header)), strict=True))
    eps["home_post"] = eps["child"].map(home)
    new_place = eps["rne"].ne("L") | eps["child"].ne(eps["child"].shift(1))
    urn = "SC" + pd.Series(rng.integers(100000, 999999, len(eps)).astype(str), index=eps.index)
    eps["pl_post"] = pd.Series(_postcodes(rng, len(eps)), index=eps.index).where(new_place)
    eps["urn"] = urn.where(eps["place"].isin(URN_PLACES), "XXXXXXX").where(new_place)
    eps[["pl_post", "urn"]] = eps.groupby("child")[["pl_post", "urn"]].ffill()
    return eps


def _tables(syn: Synthetic, eps: pd.DataFrame, year: int, uasc_rows: bool = False
            ) -> dict[str, pd.DataFrame]:
    first, last = pd.Timestamp(f"{year - 1}-04-01"), pd.Timestamp(f"{year}-03-31")
    eps = eps[(eps["decom"] <= last) & (eps["dec"] >= first)].copy()
    still_open = eps["dec"] > last
    eps.loc[still_open, ["rec", "reason_place_change"]] = None
    eps["dec"] = eps["dec"].where(~still_open)
    provider = eps["place_provider"].where(~eps["place"].isin(NO_PROVIDER))
    episodes = pd.DataFrame({
        "CHILD": eps["child"], "DECOM": _fmt(eps["decom"]), "RNE": eps["rne"], "LS": eps["ls"],
        "CIN": eps["cin"], "PLACE": eps["place"], "PLACE_PROVIDER": provider,
        "DEC": _fmt(eps["dec"]), "REC": eps["rec"],
        "REASON_PLACE_CHANGE": eps["reason_place_change"],
        "HOME_POST": eps["home_post"], "PL_POST": eps["pl_post"], "URN": eps["urn"],
    })
    in_return = syn.header[syn.header["child"].isin(eps["child"])]
    sex = in_return["sex"] if year >= FIRST_MF_YEAR else in_return["sex"].map({"M": "1",
                                                                               "F": "2"})
    header = pd.DataFrame({
        "CHILD": in_return["child"], "SEX": sex, "DOB": _fmt(in_return["dob"]),
        "ETHNIC": in_return["ethnic"], "UPN": "UN2",
        "MOTHER": np.where(in_return["sex"] == "F", "0", None), "MC_DOB": None,
    })
    flagged = uasc_rows and "uasc" in in_return
    uasc = in_return[in_return["uasc"]] if flagged else in_return.iloc[:0]
    table = pd.DataFrame({
        "CHILD": uasc["child"], "SEX": sex[uasc.index] if len(uasc) else None,
        "DOB": _fmt(uasc["dob"]), "DUC": _fmt(uasc["duc"]) if len(uasc) else None,
    })
    return {"Header": header, "Episodes": episodes, **({"UASC": table} if uasc_rows else {})}


def write_returns(syn: Synthetic, out: str | Path, fmt: str = "csv", *,
                  uasc: bool = False) -> list[Path]:
    """Write one return per year into ``out``; returns the paths written.

    ``uasc``: also write the UASC table (CSV ``uasc.csv``; XML ``UASC``/``DUC`` in HEADER)
    for the generated unaccompanied asylum-seeking children. Off by default: with a UASC
    table the DfE validator also runs rule 392a (no placement distance), which fires on
    every non-UASC episode because the postcodes are fictitious.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    eps = _with_places(syn)
    written = []
    for year in syn.years:
        tables = _tables(syn, eps, year, uasc)
        if fmt == "xml":
            path = out / f"ssda903_{label(year)}.xml"
            path.write_bytes(_xml(tables))
            written.append(path)
            continue
        folder = out / label(year)
        folder.mkdir(exist_ok=True)
        for name, frame in tables.items():
            path = folder / f"{name.lower()}.csv"
            frame[list(TABLES[name])].to_csv(path, index=False)
            written.append(path)
    return written


def _xml(tables: dict[str, pd.DataFrame]) -> bytes:
    root = ET.Element("EXPSSDA903")
    episodes = tables["Episodes"].rename(columns={"PLACE": "PL"})
    by_child = {child: rows for child, rows in episodes.groupby("CHILD", sort=False)}
    uasc = tables.get("UASC", pd.DataFrame({"CHILD": [], "DUC": []}))
    duc = dict(zip(uasc["CHILD"], uasc["DUC"], strict=True))
    for record in tables["Header"].to_dict(orient="records"):
        child = ET.SubElement(root, "CHILD")
        header = ET.SubElement(child, "HEADER")
        for column in ("CHILD", "UPN", "SEX", "DOB", "ETHNIC", "UASC", "DUC", "MOTHER",
                       "MC_DOB"):
            if column in ("UASC", "DUC"):
                if record["CHILD"] not in duc:
                    continue
                record = record | {"UASC": "1", "DUC": duc[record["CHILD"]]}
            ET.SubElement(header, "CHILDID" if column == "CHILD" else column).text = (
                record[column] if isinstance(record[column], str) else None)
        for row in by_child[record["CHILD"]].drop(columns="CHILD").to_dict(orient="records"):
            node = ET.SubElement(child, "EPISODE")
            for column, value in row.items():
                ET.SubElement(node, column).text = value if isinstance(value, str) else None
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
