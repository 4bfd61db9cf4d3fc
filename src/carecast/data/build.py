"""Build the bundled tables from the public source files (``carecast data build``).

Reads ``shared/data/public`` (DfE, ONS, MHCLG, DWP, Ofsted; Open Government Licence) and
writes tidy, typed Parquet tables and GeoJSON into ``carecast/data/bundled`` with a manifest
of row counts and source hashes, so an installed carecast needs neither network nor sources.
The build is deterministic: the same sources give byte-identical tables.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from carecast.data import bundled, categories, councils
from carecast.data.councils import ENGLAND
from carecast.data.releases import OBSERVATION_COLUMNS, parse_release
from carecast.data.values import parse_numbers

LEVELS = {"National": "england", "Regional": "region", "Local authority": "la"}


class Sources:
    """Paths under the public data folder, recording each file read for the manifest."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.used: dict[str, str] = {}

    def path(self, relative: str) -> Path:
        path = self.root / relative
        self.used[relative] = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        return path

    def csv(self, relative: str) -> pd.DataFrame:
        return pd.read_csv(self.path(relative), dtype=str, encoding="utf-8-sig")


def _numbers(frame: pd.DataFrame, column: str, file: str) -> tuple[pd.Series, pd.Series]:
    return parse_numbers(frame[column], file=file, column=column)


def build_councils(src: Sources) -> pd.DataFrame:
    raw = src.csv("lookups/la_codes_lookup_dfe_ons.csv")
    return pd.DataFrame(
        {
            "code": raw["old_la_code"],
            "name": raw["la_name"],
            "ons_code": raw["new_la_code"],
            "all_ons_codes": raw["all_new_la_codes_used"],
            "region_code": raw["ons_region_code"],
            "region_name": raw["ons_region_name"],
            "dfe_region_code": raw["region_code"],
            "dfe_region_name": raw["region_name"],
            "first_year": raw["first_year"].astype(int),
            "last_year": raw["last_year"].astype(int),
            "status": raw["status"],
            "successor": raw["successor"].fillna(""),
            "note": raw["note"].fillna(""),
        }
    )


def _long(
    frame: pd.DataFrame,
    *,
    level: pd.Series | str,
    area: pd.Series,
    year: pd.Series,
    measures: dict[str, str],
    source: str,
    release: int | pd.Series,
    file: str,
    flag_columns: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Reshape wide columns into observation rows; ``measures`` maps column -> measure."""
    parts = []
    for column, measure in measures.items():
        values, flags = _numbers(frame, column, file)
        if flag_columns and column in flag_columns:
            _, raw_flags = _numbers(frame, flag_columns[column], file)
            flags = raw_flags.where(values.isna(), None)
        parts.append(
            pd.DataFrame(
                {
                    "level": level,
                    "area_code": area,
                    "year": year.astype(int),
                    "measure": measure,
                    "value": values,
                    "flag": flags,
                    "source": source,
                    "release": release,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _cla_panel(src: Sources) -> pd.DataFrame:
    file = "cla/la_cla_panel_2010_2024.csv"
    raw = src.csv(file)
    # Each row names the release it came from; later releases revise earlier ones.
    release = raw["source"].str.extract(r"(20\d\d) release")[0].astype(float)
    release = release.fillna(raw["time_period"].astype(float)).astype(int)
    return _long(
        raw,
        level="la",
        area=raw["old_la_code"],
        year=raw["time_period"],
        measures={
            "cla_at_31_march": "cla_at_31_march",
            "cla_started": "cla_started",
            "cla_ceased": "cla_ceased",
            "rate_per_10000": "cla_at_31_march_rate_per_10000",
            "starts_rate_published": "cla_started_rate_per_10000",
            "ceased_rate_published": "cla_ceased_rate_per_10000",
            "pop_0_17": "pop_0_17",
        },
        flag_columns={
            "cla_at_31_march": "cla_at_31_march_raw",
            "cla_started": "cla_started_raw",
            "cla_ceased": "cla_ceased_raw",
        },
        source="cla_panel",
        release=release,
        file=file,
    )


def _cla_national_series(src: Sources) -> pd.DataFrame:
    file = "cla/cla_time_series_1994_2024_national.csv"
    raw = src.csv(file)
    labels = {
        "Children looked after at 31 March": "cla_at_31_march",
        "Children starting to be looked after during the year": "cla_started",
        "Children ceasing to be looked after during the year": "cla_ceased",
        "Children looked after who were adopted during the year": "cla_adopted",
        "Children looked after at 31 March who were unaccompanied asylum-seeking children": (
            "cla_uasc_at_31_march"
        ),
    }
    raw = raw[raw["population_count"].isin(labels)]
    values, flags = _numbers(raw, "number", file)
    return pd.DataFrame(
        {
            "level": "england",
            "area_code": ENGLAND,
            "year": raw["time_period"].astype(int),
            "measure": raw["population_count"].map(labels),
            "value": values,
            "flag": flags,
            "source": "cla_national_series",
            "release": 2024,
        }
    )


def _cin_population(src: Sources) -> pd.DataFrame:
    """Regional and national 0-17 denominators (ONS mid t-1) as used in the CIN release."""
    file = "cin/cin_cpp_panel_2013_2024.csv"
    raw = src.csv(file)
    raw = raw[raw["geographic_level"] != "Local authority"]
    level = raw["geographic_level"].map(LEVELS)
    area = raw["region_code"].where(level == "region", ENGLAND)
    return _long(
        raw,
        level=level,
        area=area,
        year=raw["time_period"],
        measures={"pop_0_17": "pop_0_17"},
        source="cin_panel",
        release=2025,
        file=file,
    )


def _mid_year_population(src: Sources) -> pd.DataFrame:
    file = "population/ons_mid-year_population_estimates_0_17_2012_to_2024_dfe.csv"
    raw = src.csv(file)
    level = raw["geographic_level"].map(LEVELS)
    raw, level = raw[level.notna()], level[level.notna()]
    area = raw["old_la_code"].where(
        level == "la", raw["region_code"].where(level == "region", ENGLAND)
    )
    return _long(
        raw,
        level=level,
        area=area,
        year=raw["time_period"],
        measures={"population_estimate": "pop_0_17_mid_year"},
        source="population",
        release=2025,
        file=file,
    )


def _area_for_ons(codes: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Map ONS codes to (level, area_code): councils by DfE code, regions and England as is."""
    index = councils.code_index()
    la = codes.map(index)
    level = pd.Series("la", index=codes.index).where(la.notna())
    level = level.fillna(codes.str[:3].map({"E92": "england", "E12": "region"}))
    area = la.fillna(codes)
    return level, area


def _age_band_population(src: Sources) -> pd.DataFrame:
    file = "population/ons_population_utla_age_bands_2011_2022_2023.csv"
    raw = src.csv(file)
    level, area = _area_for_ons(raw["code"])
    keep = level.notna()
    return _long(
        raw[keep],
        level=level[keep],
        area=area[keep],
        year=raw.loc[keep, "mid_year"],
        measures={
            "pop_all_ages": "pop_all_ages_mid_year",
            "pop_0_24": "pop_0_24_mid_year",
            "pop_18_24": "pop_18_24_mid_year",
            "pop_16_64": "pop_16_64_mid_year",
        },
        source="population_age_bands",
        release=2024,
        file=file,
    )


IMD_MEASURES = {
    "IMD - Average score": "imd_average_score",
    "IMD - Rank of average score": "imd_rank_of_average_score",
    "Income - Average score": "imd_income_score",
    "Employment - Average score": "imd_employment_score",
    "Crime - Average score": "imd_crime_score",
    "Barriers to Housing and Services - Average score": "imd_housing_barriers_score",
    "Health Deprivation and Disability - Average score": "imd_health_score",
    "Living Environment - Average score": "imd_living_environment_score",
    "IDACI - Average score": "idaci_average_score",
    "IDACI - Rank of average score": "idaci_rank_of_average_score",
}


def _imd(src: Sources) -> pd.DataFrame:
    file = "imd/imd2019_utla_summaries_all_domains.csv"
    raw = src.csv(file)
    raw.columns = [c.strip() for c in raw.columns]
    level, area = _area_for_ons(raw["utla19_code"])
    measures = {c: m for c, m in IMD_MEASURES.items() if c in raw.columns}
    return _long(
        raw,
        level=level,
        area=area,
        year=pd.Series(2019, index=raw.index),
        measures=measures,
        source="imd2019",
        release=2019,
        file=file,
    )


def _drivers(src: Sources) -> pd.DataFrame:
    poverty_file = "drivers/children_relative_low_income_utla23_fye2015_2022.csv"
    poverty = src.csv(poverty_file)
    level, area = _area_for_ons(poverty["utla23_code"])
    poverty_obs = _long(
        poverty,
        level=level,
        area=area,
        year=poverty["fye"],
        measures={
            "children_in_relative_low_income": "children_in_relative_low_income",
            "ons_population_0_15": "pop_0_15_mid_year",
        },
        source="child_poverty",
        release=2022,
        file=poverty_file,
    )
    unemployment_file = "drivers/unemployment_model_based_utla23_approx_fye2015_2020.csv"
    unemployment = src.csv(unemployment_file)
    level, area = _area_for_ons(unemployment["utla23_code"])
    unemployment_obs = _long(
        unemployment,
        level=level,
        area=area,
        year=unemployment["fye"],
        measures={"unemployment_rate_pct_approx": "unemployment_rate_pct"},
        source="unemployment",
        release=2020,
        file=unemployment_file,
    )
    return pd.concat([poverty_obs, unemployment_obs], ignore_index=True)


RO3_LINES = {
    "total_childrens_social_care": "csc_total",
    "cla_total": "cla_total",
    "cla_residential_care": "cla_residential",
    "cla_fostering_services": "cla_fostering",
    "cla_uasc": "cla_uasc",
    "cla_other": "cla_other",
    "safeguarding_services": "safeguarding",
    "family_support_services": "family_support",
    "youth_justice": "youth_justice",
    "sure_start_early_years": "sure_start_early_years",
    "services_for_young_people": "services_for_young_people",
    "asylum_seekers": "asylum_seekers",
    "other_children_family_services": "other_children_family_services",
}


def _spend(src: Sources) -> pd.DataFrame:
    file = "spend/la_childrens_social_care_spend_RO3_2022_23_to_2024_25.csv"
    raw = src.csv(file)
    level = pd.Series("la", index=raw.index).where(raw["ons_code"] != ENGLAND, "england")
    area = raw["old_la_code"].where(level == "la", ENGLAND)
    year = raw["financial_year"].str[:4].astype(int) + 1
    measures = {}
    for line, name in RO3_LINES.items():
        measures[f"{line}__net_current_exp"] = f"spend_{name}_net_gbp_thousands"
        measures[f"{line}__total_exp"] = f"spend_{name}_gross_gbp_thousands"
    return _long(
        raw,
        level=level,
        area=area,
        year=year,
        measures=measures,
        source="ro3_spend",
        release=2025,
        file=file,
    )


# Workforce and children's outcomes (issue 13): read through the release formats, so a later
# release of each file goes in with ``carecast data add-release`` and no code change. The
# release number is the file's latest year, as add-release assigns it.
OUTCOME_RELEASES = [
    "workforce/csww_indicators_2017_to_2024.csv",
    "workforce/la_cla_social_worker_changes_2024.csv",
    "cin/raw/c3_factors_identified_at_end_of_assessment_2018_to_2024.csv",
    "care_leavers/la_care_leavers_accommodation_2021_2024.csv",
    "care_leavers/la_care_leavers_activity_2021_2024.csv",
]


def _outcome_releases(src: Sources) -> pd.DataFrame:
    frames = [parse_release(src.path(relative)).observations for relative in OUTCOME_RELEASES]
    return pd.concat(frames, ignore_index=True)


def _dfe_denominators(obs: pd.DataFrame) -> pd.DataFrame:
    """England's and regions' 0-17 denominators as DfE printed them in its release files.

    The derived CIN panel carries a later population vintage (England 2024: 12,059,476,
    giving a CIN rate of 331.2 per 10,000 where DfE published 332.9 from 11,998,646); its
    figure is kept only for years no DfE release file in the sources covers.
    """
    pop = (obs["measure"] == "pop_0_17") & obs["level"].isin(["england", "region"])
    key = ["level", "area_code", "year"]
    released = obs.loc[pop & (obs["source"] == "cla_panel"), key].drop_duplicates()
    panel = obs[pop & (obs["source"] == "cin_panel")]
    covered = panel.reset_index().merge(released, on=key)["index"]
    return obs.drop(index=covered)


def _releases(src: Sources) -> pd.DataFrame:
    frames = []
    for relative, release in [
        ("cla/raw/cla_number_and_rate_per_10k_children_release2023.csv", 2023),
        ("cla/raw/cla_number_and_rate_per_10k_children_release2024.csv", 2024),
        ("cin/raw/b1_children_in_need_2013_to_2024.csv", 2025),
        ("cin/raw/c1_children_in_need_referrals_and_rereferrals_2013_to_2024.csv", 2025),
        ("cin/raw/c4_children_in_need_section_47s_and_icpcs_2013_to_2024.csv", 2025),
        ("cin/raw/d3_cpps_subsequent_plan_2013_to_2024.csv", 2025),
        ("cin/raw/d5_cpps_at31march_by_duration_2013_to_2024.csv", 2025),
    ]:
        frames.append(parse_release(src.path(relative), release=release).observations)
    return pd.concat(frames, ignore_index=True)


# Placements (issue 11): DfE files read through data.release_formats, so a later release of
# the same files goes in with ``carecast data add-release``; the 2022 release's stability
# file adds 2018-2020 (later releases win where years overlap).
PLACEMENT_RELEASES = [
    ("cla/raw/la_cla_at_31_march_placement_stability_indicator_release2022.csv", 2022),
    ("placements/la_cla_placement_stability_2021_2024.csv", 2025),
    ("placements/la_cla_new_placements_during_year_2021_2024.csv", 2025),
    ("placements/la_cla_school_moves_2020_2024.csv", 2025),
    ("cla/la_cla_31march_by_characteristics_2020_2024.csv", 2025),
]
SFR_PLACEMENTS = "cla/cla_placements_31march_sfr_2011_2017_long.csv"


def _placements(src: Sources, panel: pd.DataFrame) -> pd.DataFrame:
    """Placement releases, plus the SFR placement groups 2011-2017 as the same measures
    (``placements.categories`` published), with their total from the CLA panel's stock."""
    frames = [parse_release(src.path(relative), release=release).observations
              for relative, release in PLACEMENT_RELEASES]
    raw = src.csv(SFR_PLACEMENTS)
    values, flags = _numbers(raw, "number", SFR_PLACEMENTS)
    cells = pd.DataFrame({"area_code": raw["old_la_code"], "year": raw["time_period"].astype(int),
                          "column": raw["placement_sfr_code"], "value": values, "flag": flags})
    for measure, columns in categories.sfr_columns().items():
        part = cells[cells["column"].isin(columns)].groupby(["area_code", "year"])
        summed = part["value"].sum(min_count=1).rename("value").reset_index()
        summed["flag"] = part["flag"].first().where(summed["value"].isna().to_numpy()).to_numpy()
        frames.append(summed.assign(level="la", measure=measure, source="cla_placements",
                                    release=2017))
    stock = panel[(panel["measure"] == "cla_at_31_march")
                  & panel["year"].isin(cells["year"].unique())]
    frames.append(stock.assign(measure="cla_placement_total", source="cla_placements"))
    return pd.concat(frames, ignore_index=True)


def build_observations(src: Sources) -> pd.DataFrame:
    panel = _cla_panel(src)
    frames = [
        panel,
        _cla_national_series(src),
        _releases(src),
        _placements(src, panel),
        _cin_population(src),
        _mid_year_population(src),
        _age_band_population(src),
        _imd(src),
        _drivers(src),
        _spend(src),
        _outcome_releases(src),
    ]
    obs = _dfe_denominators(pd.concat(frames, ignore_index=True))
    obs = obs[OBSERVATION_COLUMNS + ["release"]]
    obs["year"] = obs["year"].astype("int32")
    obs["release"] = obs["release"].astype("int32")
    obs["flag"] = obs["flag"].astype("string")
    # Rows for councils that did not exist carry "z" and nothing else: they are not data.
    obs = obs[~((obs["flag"] == "z") & obs["value"].isna())]
    obs = obs.drop_duplicates(["level", "area_code", "year", "measure", "source", "release"])
    return obs.sort_values(["measure", "level", "area_code", "year", "release"]).reset_index(
        drop=True
    )


CHARACTERISTIC_FILES = {
    "at_31_march": "cla/la_cla_31march_by_characteristics_2020_2024.csv",
    "started": "cla/la_cla_started_during_year_by_characteristics_2018_2022.csv",
    "ceased": "cla/la_cla_ceased_during_year_by_characteristics_2018_2024.csv",
}


def build_cla_characteristics(src: Sources) -> pd.DataFrame:
    frames = []
    for table, file in CHARACTERISTIC_FILES.items():
        raw = src.csv(file)
        level = raw["geographic_level"].map(LEVELS)
        area = raw["old_la_code"].where(
            level == "la", raw["region_code"].where(level == "region", ENGLAND)
        )
        number, flag = _numbers(raw, "number", file)
        percentage, _ = _numbers(raw, "percentage", file)
        frames.append(
            pd.DataFrame(
                {
                    "year": raw["time_period"].astype(int),
                    "level": level,
                    "area_code": area,
                    "table": table,
                    "cla_group": raw["cla_group"],
                    "characteristic": raw["characteristic"],
                    "number": number,
                    "percentage": percentage,
                    "flag": flag,
                }
            )
        )
    sfr_file = "cla/cla_placements_31march_sfr_2011_2017_long.csv"
    sfr = src.csv(sfr_file)
    number, flag = _numbers(sfr, "number", sfr_file)
    frames.append(
        pd.DataFrame(
            {
                "year": sfr["time_period"].astype(int),
                "level": "la",
                "area_code": sfr["old_la_code"],
                "table": "placement_sfr",
                "cla_group": "Placement",
                "characteristic": sfr["placement"],
                "number": number,
                "percentage": float("nan"),
                "flag": flag,
            }
        )
    )
    out = pd.concat(frames, ignore_index=True)
    out["flag"] = out["flag"].astype("string")
    out["year"] = out["year"].astype("int32")
    return out.sort_values(
        ["table", "year", "level", "area_code", "cla_group", "characteristic"]
    ).reset_index(drop=True)


AGE_UASC_SFR = {  # year -> the SFR underlying-data file with CLA at 31 March by age and UASC
    2011: "2011_SFR21_CLA.csv", 2012: "2012_SFR20_CLA2012.csv", 2013: "2013_SFR36_CLA2013.csv",
    2014: "2014_SFR36_CLA2014.csv", 2015: "2015_SFR34_CLA2015.csv",
    2016: "2016_SFR41_CLA2016.csv", 2017: "2017_SFR50_CLA2017.csv",
}
AGE_UASC_EES = {  # measure -> (cla_group, characteristic) in the 2020-2024 characteristics file
    "cla_at_31_march": ("Age group", "Total"),
    "cla_aged_16_plus_at_31_march": ("Age group", "16 years and over"),
    "cla_uasc_at_31_march": ("Unaccompanied asylum-seeking children", "UASC"),
}


def _age_uasc_rows(year: pd.Series, level: pd.Series, area: pd.Series, measure: str,
                   raw: pd.Series, file: str, column: str) -> pd.DataFrame:
    value, flag = parse_numbers(raw, file=file, column=column)
    return pd.DataFrame({"year": year.astype(int).to_numpy(), "level": level.to_numpy(),
                         "area_code": area.to_numpy(), "measure": measure,
                         "value": value.to_numpy(), "flag": flag.to_numpy(), "source": file})


def build_cla_age_uasc(src: Sources) -> pd.DataFrame:
    """Children looked after at 31 March in total, aged 16 and over, and unaccompanied
    asylum-seeking (UASC), for councils and England: SFR underlying data 2011-2017 and the
    characteristics file 2020-2024 (DfE publishes no council breakdown for 2018-2019 here).
    Totals come from the same file as their parts, so shares are consistent."""
    frames = []
    for year, name in AGE_UASC_SFR.items():
        file = f"cla/raw_sfr_2010_2017/{name}"
        raw = pd.read_csv(src.path(file), dtype=str, encoding="latin-1")
        raw.columns = [c.strip() for c in raw.columns]
        kind = raw["geog_l"].str.strip().str.upper()
        raw, kind = raw[kind.isin(["LA", "NATIONAL"])], kind[kind.isin(["LA", "NATIONAL"])]
        level = kind.map({"LA": "la", "NATIONAL": "england"})
        area = raw["geog_c"].str.strip().where(level == "la", ENGLAND)
        years = pd.Series(year, index=raw.index)
        for measure, column in (("cla_at_31_march", f"CLA_Mar{year}"),
                                ("cla_aged_16_plus_at_31_march", "CLA_16over"),
                                ("cla_uasc_at_31_march", "CLA_UASC")):
            frames.append(_age_uasc_rows(years, level, area, measure, raw[column], file, column))
    file = CHARACTERISTIC_FILES["at_31_march"]
    raw = src.csv(file)
    raw = raw[raw["geographic_level"].isin(["National", "Local authority"])]
    level = raw["geographic_level"].map(LEVELS)
    area = raw["old_la_code"].where(level == "la", ENGLAND)
    for measure, (group, characteristic) in AGE_UASC_EES.items():
        keep = (raw["cla_group"] == group) & (raw["characteristic"] == characteristic)
        frames.append(_age_uasc_rows(raw["time_period"][keep], level[keep], area[keep], measure,
                                     raw["number"][keep], file, "number"))
    out = pd.concat(frames, ignore_index=True)
    out = out[~((out["flag"] == "z") & out["value"].isna())]
    out["year"] = out["year"].astype("int32")
    out["flag"] = out["flag"].astype("string")
    return out.sort_values(["measure", "level", "area_code", "year"]).reset_index(drop=True)


OFSTED_COLUMNS = {
    "Overall effectiveness": "overall",
    "The impact of leaders on social work practice with children and families": "leaders",
    "The experiences and progress of children who need help and protection": "help_and_protection",
    "The experiences and progress of children in care": "children_in_care",
    "The experiences and progress of care leavers": "care_leavers",
}


def _ofsted(src: Sources, relative: str, extra: dict[str, str]) -> pd.DataFrame:
    raw = src.csv(relative)
    codes = raw["Local authority area code"].map(councils.code_index())
    out = pd.DataFrame({"code": codes, "name": raw["Local authority name"]})
    for column, name in {**extra, **OFSTED_COLUMNS}.items():
        if column in raw.columns:
            out[name] = raw[column].fillna("").str.strip()
    for column in ("inspection_date", "publication_date"):
        if column in out.columns:
            out[column] = pd.to_datetime(out[column], errors="coerce").dt.date
    return out[out["code"].notna()].reset_index(drop=True)


def build_ofsted(src: Sources) -> dict[str, pd.DataFrame]:
    dates = {"Inspection date": "inspection_date", "Publication date": "publication_date"}
    return {
        "ofsted_judgements": _ofsted(
            src, "ofsted/ofsted_ilacs_judgements_as_at_31_march_2025.csv", dates
        ),
        "ofsted_history": _ofsted(
            src,
            "ofsted/ofsted_ilacs_inspection_history_2018_2025.csv",
            {**dates, "Inspection type": "inspection_type"},
        ),
    }


def build_stat_neighbours(src: Sources) -> pd.DataFrame:
    rows = []
    new = src.csv("stat_neighbours/stat_neighbours_2025_wide.csv")
    for _, r in new.iterrows():
        for rank in range(1, 11):
            rows.append(
                (2025, r["old_la_code"], rank, r[f"SN_{rank}"], str(r[f"SN_{rank}P"]).strip())
            )
    old = pd.read_csv(
        src.path("stat_neighbours/stat_neighbours_april_2021_lgr_wide.csv"),
        dtype=str,
        encoding="utf-8-sig",
        header=None,
        skiprows=1,
    )
    for _, r in old.iterrows():
        for rank in range(1, 11):
            rows.append((2021, r[0], rank, r[3 + 2 * rank], str(r[4 + 2 * rank]).strip()))
    out = pd.DataFrame(rows, columns=["edition", "code", "rank", "neighbour_code", "closeness"])
    out["closeness"] = out["closeness"].str.capitalize()
    out["edition"] = out["edition"].astype("int32")
    out["rank"] = out["rank"].astype("int32")
    return out


def build_s251(src: Sources) -> pd.DataFrame:
    file = "spend/s251_outturn_cyp_services_lines_2008_09_to_2013_14.csv"
    raw = src.csv(file)
    out = raw[
        ["financial_year", "old_la_code", "line_number", "line_description", "report_group"]
    ].rename(columns={"old_la_code": "code"})
    out["year"] = raw["financial_year"].str[:4].astype("int32") + 1
    for column in ("total_expenditure", "income", "net_current_expenditure"):
        out[f"{column}_gbp"], _ = _numbers(raw, column, file)
    return out


def _geojson(src: Sources, relative: str, code_property: str) -> dict:
    data = json.loads(src.path(relative).read_text(encoding="utf-8"))
    index = councils.code_index()
    for feature in data["features"]:
        feature["properties"]["code"] = index.get(feature["properties"][code_property])
    return data


def build(
    source_root: Path, out_dir: Path | None = None, progress: Callable[[str], None] | None = None
) -> dict:
    """Build every bundled table from ``source_root``; returns the manifest written."""
    out_dir = out_dir or bundled.directory()
    out_dir.mkdir(parents=True, exist_ok=True)
    src = Sources(source_root)
    say = progress or (lambda _: None)
    say("councils")
    council_table = build_councils(src)
    # Lookups during the build must use the fresh council table, not an older bundled one.
    council_table.to_parquet(out_dir / "councils.parquet", index=False)
    councils.code_index.cache_clear()
    councils._table.cache_clear()
    bundled._read.cache_clear()
    tables: dict[str, pd.DataFrame] = {"councils": council_table}
    for name, builder in [
        ("observations", build_observations),
        ("cla_characteristics", build_cla_characteristics),
        ("cla_age_uasc", build_cla_age_uasc),
        ("stat_neighbours", build_stat_neighbours),
        ("s251_outturn", build_s251),
    ]:
        say(name)
        tables[name] = builder(src)
    say("ofsted")
    tables.update(build_ofsted(src))
    manifest: dict = {"tables": {}, "geojson": {}, "sources": {}}
    for name, frame in sorted(tables.items()):
        frame.to_parquet(out_dir / f"{name}.parquet", index=False, compression="zstd")
        manifest["tables"][name] = {"rows": len(frame), "columns": list(frame.columns)}
    say("boundaries")
    for name, relative, prop in [
        ("boundaries", "geo/utla_2023_england_from_lad2024_buc.geojson", "utla23_code"),
        ("hex_cartogram", "geo/hex_cartogram_utla_2023_england.geojson", "cua-code"),
    ]:
        data = _geojson(src, relative, prop)
        (out_dir / f"{name}.geojson").write_text(json.dumps(data, separators=(",", ":")))
        manifest["geojson"][name] = {"features": len(data["features"])}
    manifest["sources"] = dict(sorted(src.used.items()))
    (out_dir / bundled.MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    bundled._read.cache_clear()
    return manifest
