"""Browser tests: Playwright drives Debian's chromium against a live server on loopback.

Every page visited is checked with axe-core (from node_modules) for serious or critical
accessibility violations, and a screenshot is saved in tests/web/screenshots/.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).parent / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-gpu"]
PASSWORD = "correct horse battery staple"  # the fixture accounts' password (conftest)


def _missing(what: str) -> None:
    """Fail under CI, where setup must have installed it; skip on a developer's machine."""
    message = f"{what} is missing; run scripts/setup-web.sh"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def live_server(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        _missing(str(CHROMIUM))
    if not AXE.exists():
        _missing(str(AXE))
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):  # type: ignore[no-untyped-def]
    # bypass_csp lets the test inject axe-core; the app itself allows no inline scripts.
    context = browser.new_context(base_url=live_server, bypass_csp=True, accept_downloads=True,
                                  viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def check(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Screenshot the page and assert axe-core finds nothing serious or critical."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} e.g. {v['nodes'][0]['target']}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{name}: " + "; ".join(bad)


def sign_in(page, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/records")


def test_home_page_and_changing_the_indicator(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    assert page.locator("h1").inner_text() == "Every council at a glance"
    assert page.locator("#map a").count() > 140 and page.locator("#hexmap a").count() > 140
    check(page, "home")
    page.select_option("#indicator", "cla_starts_rate")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**indicator=cla_starts_rate**")
    assert "Children starting care per 10,000" in page.locator("h2").first.inner_text()
    check(page, "home-starts")


def test_open_a_council_from_the_map(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    page.locator('#map a[href="/council/926"]').click()
    page.wait_for_url("**/council/926")
    assert page.locator("h1").inner_text() == "Norfolk"
    assert page.locator("svg.cc-chart").count() >= 3
    page.locator("details summary").first.click()
    assert page.locator("table.cc-table").first.is_visible()
    check(page, "council-norfolk")


def test_open_a_council_from_the_hex_map_and_search(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    page.locator('#hexmap a[href="/council/873"]').click()
    page.wait_for_url("**/council/873")
    assert page.locator("h1").inner_text() == "Cambridgeshire"
    page.goto("/")
    page.get_by_label("Find a council").fill("Norfolk")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/council/926")
    page.goto("/search?q=north")
    check(page, "search")


def test_download_a_csv(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    with page.expect_download() as info:
        page.locator("#table-councils ~ p a", has_text="CSV").click()
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    header = [line for line in text.splitlines() if not line.startswith("# ")][0]
    assert header.startswith("Position (1 = highest),DfE code,Council,Region,")
    assert "Open Government Licence v3.0" in text


def test_compare_sources_and_error_pages(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/compare?councils=926&councils=873")
    assert page.locator("svg.cc-chart").count() == 1
    check(page, "compare")
    page.goto("/sources")
    check(page, "sources")
    page.goto("/council/999")
    assert page.locator("h1").inner_text() == "Page not found"
    check(page, "not-found")


def test_record_pages_refused_when_signed_out(page) -> None:  # type: ignore[no-untyped-def]
    for path in ("/records", "/records/users", "/records/audit"):
        page.goto(path)
        assert page.url.endswith(f"/login?next={path}")
    check(page, "login")
    page.get_by_label("Username").fill("viewer")
    page.get_by_label("Password").fill("wrong password, twelve+")
    page.get_by_role("button", name="Sign in").click()
    summary = page.locator(".govuk-error-summary").inner_text()
    assert "Enter a correct username and password" in summary
    check(page, "login-error")


def test_sign_in_and_see_record_pages(page) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "admin")
    assert page.locator("h1").inner_text() == "Record-level data"
    check(page, "records")
    page.goto("/records/users")
    check(page, "users")
    page.goto("/records/audit")
    assert "admin" in page.locator("table").inner_text()
    check(page, "audit")
    page.goto("/records/account")
    check(page, "account")
    page.goto("/records/account/two-factor")
    assert page.locator(".cc-qr svg").count() == 1
    check(page, "two-factor")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(lambda url: url.rstrip("/").endswith(str(page.url).split("/")[2]))
    page.goto("/records")
    assert "/login" in page.url


def test_analyst_uploads_returns_and_sees_record_pages(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from carecast.data.ssda903 import synth, synth_writer

    # One folder of files named with their year, as a user picks them in a file dialog.
    written = synth_writer.write_returns(synth.generate(children=300, years=2, seed=5),
                                         tmp_path / "out")
    files = []
    for path in written:
        files.append(tmp_path / f"{path.parent.name}-{path.name}")
        files[-1].write_bytes(path.read_bytes())
    bad = tmp_path / "2024-episodes.csv"
    bad.write_text("CHILD,DECOM\n1,01/01/2024\n")

    sign_in(page, "analyst")
    page.get_by_role("link", name="Summary of the ingested returns").click()
    page.wait_for_url("**/records/ssda903")
    assert "No SSDA903 returns have been ingested" in page.locator("main").inner_text()
    check(page, "ssda903-empty")
    page.goto("/records/ssda903/upload")
    check(page, "ssda903-upload")
    page.get_by_label("Return files").set_input_files([bad])
    page.get_by_role("button", name="Upload and ingest").click()
    assert "There is a problem" in page.locator(".govuk-error-summary").inner_text()
    check(page, "ssda903-upload-error")
    page.get_by_label("Return files").set_input_files(files)
    page.get_by_role("button", name="Upload and ingest").click()
    page.wait_for_url("**/records/ssda903")
    assert page.locator("table.cc-table").count() == 4
    assert "2022-23 (CSV), 2023-24 (CSV)" in page.locator("main").inner_text()
    check(page, "ssda903-summary")
    page.get_by_role("link", name="Scenarios").click()
    page.wait_for_url("**/scenarios")
    assert page.locator("svg.cc-chart").count() >= 3
    check(page, "scenarios")


def test_briefing_packs_pass_axe(page, workspace, pack_national) -> None:  # type: ignore[no-untyped-def]
    """The pack's HTML (what the PDF is printed from), with a scenario, and England's."""
    from carecast.report import bulk, pack
    from carecast.service import report

    council = report.council_pack(workspace, "926", scenarios=["reunification"],
                                  nat=pack_national, draws=200)
    page.set_content(pack.council_html(council))
    assert page.locator("h1").inner_text() == "Norfolk"
    assert page.locator("svg.cc-chart").count() >= 7
    check(page, "pack-norfolk")
    page.set_content(bulk.england(workspace, pack_national))
    check(page, "pack-england")
