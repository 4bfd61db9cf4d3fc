"""Public pages and their JSON twins: numbers match the bundled data, downloads carry the
licence and suppress small counts."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from carecast import OGL_ATTRIBUTION
from carecast.data import bundled
from carecast.web.tables import Column, Table


def bundled_value(measure: str, code: str, year: int, level: str = "la") -> float:
    obs = bundled.read_table("observations")
    rows = obs[(obs["measure"] == measure) & (obs["area_code"] == code) & (obs["year"] == year)
               & (obs["level"] == level)]
    return float(rows.sort_values("release")["value"].iloc[-1])


def test_norfolk_cla_2024_matches_the_bundled_panel(client) -> None:
    body = client.get("/api/map", params={"indicator": "cla_rate",
                                           "year": 2024}).json()
    assert body["indicator"] == "cla_rate"
    assert body["values"]["926"] == bundled_value("cla_at_31_march_rate_per_10000", "926", 2024)
    page = client.get("/api/councils/926").json()
    assert page["council"]["name"] == "Norfolk"
    profile = dict(page["profile"])
    count = bundled_value("cla_at_31_march", "926", 2024)
    assert profile["Children looked after at 31 March (2024)"].startswith(f"{count:,.0f} (England")


def test_council_trend_table_has_council_region_and_england(client) -> None:
    page = client.get("/api/councils/926").json()
    trend = next(t for t in page["tables"] if t["name"] == "trend-cla_rate")
    labels = [c["label"] for c in trend["columns"]]
    assert labels == ["Year", "Norfolk", "East of England (region)", "England",
                      "Statistical neighbours (mean)"]
    row_2024 = next(r for r in trend["rows"] if r["year"] == 2024)
    assert row_2024["s2"] == bundled_value("cla_at_31_march_rate_per_10000", "E92000001", 2024,
                                           "england")
    assert trend["licence"] == OGL_ATTRIBUTION


def test_map_table_ranks_every_council_with_a_value(client) -> None:
    body = client.get("/api/map", params={"indicator": "cla_rate",
                                           "year": 2024}).json()
    rows = body["tables"][0]["rows"]
    assert len(rows) == len(body["values"]) > 140
    values = [r["value"] for r in rows]
    assert values == sorted(values, reverse=True)
    assert rows[0]["position"] == 1


def test_home_page_has_both_maps_with_named_council_links(client) -> None:
    html = client.get("/", params={"indicator": "cla_rate",
                                   "year": 2024}).text
    assert html.count('href="/council/926" aria-label="Norfolk: ') == 2
    assert '<html lang="en-GB"' in html and 'class="govuk-skip-link"' in html
    assert "<caption" in html and OGL_ATTRIBUTION in html


def test_no_parameters_mean_the_default_indicator_and_latest_year(client) -> None:
    body = client.get("/api/map").json()
    assert body["indicator"] == "cla_rate"
    assert body["year"] == max(i["years"] for i in client.get("/api/indicators").json()
                               if i["id"] == body["indicator"])[-1]


@pytest.mark.parametrize("path, params, field", [
    ("/api/map", {"indicator": "nonsense"}, "indicator"),
    ("/api/map", {"year": "0.0"}, "year"),
    ("/api/map", {"year": "2024.0"}, "year"),
    ("/api/map", {"year": 1066}, "year"),
    ("/api/compare", {"councils": "-926"}, "councils"),
    ("/api/compare", {"councils": ["926"] * 7}, "councils"),
    ("/api/compare", {"indicator": "nonsense"}, "indicator"),
])
def test_invalid_query_values_are_refused_not_ignored(client, path, params, field) -> None:
    response = client.get(path, params=params)
    assert response.status_code == 422, response.text
    assert [e["loc"] for e in response.json()["detail"]][0][:2] == ["query", field]


def test_a_year_without_data_is_not_found(client) -> None:
    response = client.get("/api/map", params={"indicator": "cla_rate", "year": 2000})
    assert response.status_code == 404
    assert "cla_rate has no data for 2000" in response.json()["detail"]


def test_pages_refuse_invalid_values_with_an_error_page(client) -> None:
    page = client.get("/compare", params={"councils": "-926"})
    assert page.status_code == 422 and "govuk-heading-xl" in page.text
    assert "councils" in page.text
    # A year the chosen indicator lacks (left in the year chooser) shows its latest year.
    assert client.get("/", params={"indicator": "cla_rate", "year": 2000}).status_code == 200


def test_benchmark_table_matches_the_benchmark_api(app, client) -> None:
    from carecast.benchmark import compare, indicators

    page = client.get("/api/councils/926").json()
    table = next(t for t in page["tables"] if t["name"] == "benchmark")
    sections = [t for t in page["tables"] if t["name"].startswith("benchmark")]
    assert sum(len(t["rows"]) for t in sections) == len(indicators.registry())
    assert len(table["rows"]) == sum(1 for i in indicators.registry().values() if not i.section)
    expected = compare.benchmark(app.state.data.ws, "926", "cla_rate")
    row = next(r for r in table["rows"] if r["label"] == expected["label"])
    assert row["rank"] == f"{expected['rank']} of {expected['rank_of']}"
    assert row["quartile"] == expected["quartile"]


def test_forecast_intervals_nest_around_the_mean(client) -> None:
    page = client.get("/api/councils/926").json()
    rows = next(t for t in page["tables"] if t["name"] == "forecast")["rows"]
    assert [r["year"] for r in rows] == [2025, 2026, 2027, 2028, 2029]
    for r in rows:
        assert r["lo_95"] <= r["lo_80"] <= r["mean"] <= r["hi_80"] <= r["hi_95"]


def test_drivers_show_actual_against_expected(client) -> None:
    page = client.get("/api/councils/926").json()
    rows = next(t for t in page["tables"] if t["name"] == "drivers")["rows"]
    cla = next(r for r in rows if r["label"] == "Children looked after per 10,000 children")
    assert cla["actual"] == bundled_value("cla_at_31_march_rate_per_10000", "926", cla["year"])
    assert cla["lower"] < cla["expected"] < cla["upper"]


def test_csv_download_carries_source_and_licence(client) -> None:
    response = client.get("/council/926", params={
        "format": "csv", "table": "trend-cla_rate"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    about = [line[2:] for line in lines if line.startswith("# ")]
    rows = list(csv.reader(io.StringIO("\n".join(lines[len(about):]))))
    assert rows[0][:4] == ["Year", "Norfolk", "East of England (region)", "England"]
    assert about[1].startswith("Source: Department for Education, Children looked after")
    assert OGL_ATTRIBUTION in about and about[-1].startswith("Counts of children from 1 to 4")


def test_xlsx_download_opens_with_the_same_numbers(client) -> None:
    response = client.get("/", params={"indicator": "cla_rate",
                                       "year": 2024, "format": "xlsx", "table": "councils"})
    sheet = load_workbook(io.BytesIO(response.content))["Data"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["Position (1 = highest)", "DfE code", "Council"]
    norfolk = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[1] == "926")
    assert norfolk[4] == bundled_value("cla_at_31_march_rate_per_10000", "926", 2024)


def test_small_counts_are_suppressed_in_downloads() -> None:
    table = Table("t", "c", [Column("n", "Children", "count")], [{"n": 3}, {"n": 0}, {"n": 12}],
                  "s")
    assert [r["n"] for r in table.safe_rows()] == ["c", 0, 12]
    back = pd.read_csv(io.BytesIO(table.download("csv")), comment="#", dtype=str)
    assert back["Children"].tolist() == ["c", "0", "12"]
    sheet = load_workbook(io.BytesIO(table.download("xlsx")))["Data"]
    assert [sheet.cell(row=r, column=1).value for r in (2, 3, 4)] == ["c", 0, 12]


def test_unknown_table_or_council_is_404(client) -> None:
    assert client.get("/council/926", params={"format": "csv", "table": "x"}).status_code == 404
    assert client.get("/council/999").status_code == 404
    assert client.get("/api/councils/999").status_code == 404


def test_search_goes_straight_to_a_single_match(client) -> None:
    response = client.get("/search", params={"q": "Norfolk"}, follow_redirects=False)
    assert response.headers["location"] == "/council/926"
    several = client.get("/search", params={"q": "north"}).text
    assert "North Yorkshire" in several and "Northumberland" in several


def test_compare_draws_each_council_and_england(client) -> None:
    body = client.get("/api/compare", params={"councils": ["926", "873"]}).json()
    labels = [c["label"] for c in body["tables"][0]["columns"]]
    assert labels == ["Year", "Norfolk", "Cambridgeshire", "England"]


def test_sources_list_files_and_attribution(client) -> None:
    html = client.get("/sources").text
    assert "Children looked after in England including adoptions" in html
    assert "Contains OS data" in html and "Open Parliament Licence" in html


def test_openapi_schema_lists_the_api(client) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {"/api/councils", "/api/map", "/api/councils/{code}", "/api/compare"} <= set(paths)
    assert not any(p.startswith("/council/") for p in paths)


def test_security_headers_on_every_page(client) -> None:
    headers = client.get("/").headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"


def test_norfolk_workforce_and_outcomes_sections_equal_the_published_files(client) -> None:
    page = client.get("/api/councils/926").json()
    workforce = next(t for t in page["tables"] if t["name"] == "benchmark-workforce")
    turnover = next(r for r in workforce["rows"] if r["label"] == "Social worker turnover rate")
    assert turnover["value"] == "12.4%" and turnover["period"] == "at 30 September 2024"
    assert turnover["england"] == "13.9%"
    outcomes = next(t for t in page["tables"] if t["name"] == "benchmark-outcomes")
    eet = next(r for r in outcomes["rows"]
               if r["label"] == "Care leavers aged 19-21 in education, employment or training")
    count = bundled_value("care_leavers_19_21_eet", "926", 2024)
    base = bundled_value("care_leavers_19_21_activity_total", "926", 2024)
    assert eet["value"] == f"{count / base * 100:.1f}%"
    assert eet["period"] == "year ending 31 March 2024"
    html = client.get("/council/926").text
    for heading in ('id="workforce">Workforce</h2>', 'id="outcomes">Outcomes</h2>',
                    "Factors identified at the end of assessment"):
        assert heading in html
    indicators = {i["id"]: i for i in client.get("/api/indicators").json()}
    assert indicators["sw_turnover"]["period"] == "at_30_september"
    assert indicators["sw_turnover"]["section"] == "workforce"
    body = client.get("/api/map", params={"indicator": "sw_turnover", "year": 2024}).json()
    assert body["values"]["926"] == 12.4
    assert "at 30 September 2024" in client.get("/", params={"indicator": "sw_turnover"}).text


def test_workforce_table_downloads_with_licence(client) -> None:
    response = client.get("/council/926", params={"format": "csv", "table": "benchmark-workforce"})
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert "Social worker turnover rate" in text and OGL_ATTRIBUTION in text


def test_tables_of_years_say_what_a_year_means(client) -> None:
    page = client.get("/api/compare", params={"councils": ["926"],
                                              "indicator": "sw_turnover"}).json()
    assert "(2024 = at 30 September 2024)" in page["tables"][0]["caption"]
    council = client.get("/api/councils/926").json()
    trend = next(t for t in council["tables"] if t["name"] == "trend-cla_rate")
    assert "(2024 = year ending 31 March 2024)" in trend["caption"]
