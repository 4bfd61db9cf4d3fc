"""Public pages under heavy use: builds off the event loop, one build per cold page,
cache keys from validated parameters only, bounded per kind."""

from __future__ import annotations

import threading

from carecast.web import pages
from carecast.web.cache import PageCache

from .conftest import TestClient


def test_a_cold_page_build_does_not_hold_up_other_requests(app, monkeypatch) -> None:
    """While a council page is being built, the API still answers: the build runs in a
    worker thread. (Built on the event loop, the second request would wait for the
    first, and the build would see its release time out.)"""
    original = pages.council
    started, release = threading.Event(), threading.Event()
    released: list[bool] = []

    def slow(data, code):  # type: ignore[no-untyped-def]
        if code == "926":
            started.set()
            released.append(release.wait(30))
        return original(data, code)

    monkeypatch.setattr(pages, "council", slow)
    app.state.cache = PageCache(app.state.data)
    with TestClient(app) as client:
        answers = []
        cold = threading.Thread(target=lambda: answers.append(client.get("/council/926")))
        cold.start()
        assert started.wait(30)
        assert client.get("/api/councils").status_code == 200
        assert client.get("/council/873").status_code == 200  # another cold page, too
        release.set()
        cold.join(60)
    assert released[0] is True and answers[0].status_code == 200


def test_visitors_asking_at_once_for_a_cold_page_share_one_build(app, monkeypatch) -> None:
    original = pages.council
    calls: list[str] = []
    gate = threading.Event()

    def counted(data, code):  # type: ignore[no-untyped-def]
        calls.append(code)
        gate.wait(30)
        return original(data, code)

    monkeypatch.setattr(pages, "council", counted)
    app.state.cache = PageCache(app.state.data)
    with TestClient(app) as client:
        answers = []
        visitors = [threading.Thread(target=lambda: answers.append(client.get("/council/926")))
                    for _ in range(10)]
        for visitor in visitors:
            visitor.start()
        while not calls:
            gate.wait(0.01)
        gate.set()
        for visitor in visitors:
            visitor.join(60)
    assert [a.status_code for a in answers] == [200] * 10
    assert calls == ["926"]


def test_unknown_query_parameters_neither_grow_the_cache_nor_reach_links(app) -> None:
    app.state.cache = PageCache(app.state.data)
    with TestClient(app) as client:
        first = client.get("/council/926")
        size = len(app.state.cache)
        for n in range(50):
            page = client.get("/council/926", params={"probe": n})
            assert page.status_code == 200
        assert len(app.state.cache) == size
        assert "probe=" not in page.text and page.text == first.text
        client.get("/", params={"indicator": "cla_rate", "year": 1999, "utm": "a"})
        client.get("/", params={"indicator": "cla_rate"})
        assert len([k for k in app.state.cache if k[0] == "home"]) == 1


def test_a_flood_of_one_kind_cannot_evict_another(app) -> None:
    app.state.cache = PageCache(app.state.data, limits={"council": 5, "compare": 3})
    with TestClient(app) as client:
        client.get("/council/926")
        codes = [c.code for c in app.state.data.councils[:8]]
        for i, a in enumerate(codes):
            for b in codes[i + 1:]:
                assert client.get("/compare", params={"councils": [a, b]}).status_code == 200
    kinds = [k[0] if k[0] != "html" else f"html/{k[1]}" for k in app.state.cache]
    assert kinds.count("compare") == 3 and kinds.count("html/compare") == 3
    assert ("council", "926") in list(app.state.cache)
    assert ("html", "council", "926") in list(app.state.cache)


def test_page_workers_build_the_same_pages_in_another_process(app) -> None:
    """With a page worker (as ``carecast serve`` runs) pages are built in a process of
    their own, from the same workspace: the same HTML and JSON as a build in this one."""
    import dataclasses

    from carecast.web import create_app

    app.state.cache = PageCache(app.state.data)
    with TestClient(app) as client:
        here = client.get("/council/926").text, client.get("/api/councils/873").json()
    with TestClient(create_app(dataclasses.replace(app.state.settings, page_workers=1))) as client:
        there = client.get("/council/926").text, client.get("/api/councils/873").json()
        workers = client.app.state.cache.workers
        assert workers is not None and workers._pool._processes
    assert here == there
