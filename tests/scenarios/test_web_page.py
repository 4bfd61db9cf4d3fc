"""The scenario page, mounted on a test app: analysts only, runs levers, downloads YAML."""

from __future__ import annotations

import warnings
from pathlib import Path

from carecast.web import Settings, create_app
from carecast.web.accounts import add_user
from carecast.web.scenarios_page import router
from carecast.web.settings import database_url, find_govuk_frontend

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PASSWORD = "correct horse battery staple"


def _csrf(html: str) -> str:
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start: html.index('"', start)]


def test_scenario_page(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    app = create_app(Settings(workspace=root, database_url=database_url(None, root),
                              secret_key="test-secret-" + "x" * 40,
                              govuk_frontend=find_govuk_frontend()))
    app.include_router(router)
    for role in ("viewer", "analyst"):
        add_user(app.state.db, role, PASSWORD, role)
    with TestClient(app) as client:
        assert client.get("/scenarios", follow_redirects=False).status_code in (302, 303, 401)
        token = _csrf(client.get("/login").text)
        client.post("/login", data={"username": "analyst", "password": PASSWORD,
                                    "csrf_token": token, "next": "/scenarios"})
        page = client.get("/scenarios?council=307")
        assert page.status_code == 200 and "Net present value" in page.text
        token = _csrf(page.text)
        ran = client.post("/scenarios", data={"csrf_token": token, "council": "307",
                                              "start": "2026-04-01", "entries_percent": "10",
                                              "investment": "100000"})
        assert ran.status_code == 200 and "<svg" in ran.text
        bad = client.post("/scenarios", data={"csrf_token": token, "council": "307",
                                              "entries_percent": "lots"})
        assert bad.status_code == 400 and "must be a number" in bad.text
        yaml_text = "name: Analyst scenario\n"
        got = client.post("/scenarios/download", data={"csrf_token": token,
                                                       "yaml_text": yaml_text})
        assert got.status_code == 200 and got.text.startswith("name: Analyst scenario")
