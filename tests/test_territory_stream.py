"""New items reach an open territory page without reload: server-sent events, in process."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import BASE
from tests.territory_support import event_turtle

TURTLE = {"Content-Type": "text/turtle"}


@pytest.fixture
def quick_streams(monkeypatch):
    from store import feeds
    from web.ui import territory

    monkeypatch.setattr(territory, "STREAM_SECONDS", 1.0)
    monkeypatch.setattr(territory, "STREAM_TICK", 0.1)
    monkeypatch.setattr(territory, "KEEPALIVE_SECONDS", 0.3)
    monkeypatch.setattr(feeds, "poll_seconds", lambda perimeter: 0.2)
    return territory


def read_stream(site, url: str, headers: dict | None = None) -> tuple[object, str]:
    response = site.client.get(url, headers=headers or {}, buffered=False)
    chunks = []
    began = time.monotonic()
    for chunk in response.response:
        chunks.append(chunk.decode() if isinstance(chunk, bytes) else chunk)
        assert time.monotonic() - began < 15, "the stream did not end"
    return response, "".join(chunks)


def events_of(text: str) -> list[dict]:
    found = []
    for block in text.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines()
                     if ": " in line and not line.startswith(":"))
        if lines.get("event") == "item":
            found.append({"id": lines.get("id"), **json.loads(lines["data"])})
    return found


def since(seconds_ago: int = 1) -> str:
    moment = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=seconds_ago)
    return moment.isoformat().replace("+00:00", "Z")


def post_event(site, name: str, commune: str = "97411", themes=("culture",)) -> str:
    body = event_turtle(name, f"{BASE}/territories/{commune}", "2099-03-01T10:00:00+04:00",
                        themes=themes)
    created = site.client.post("/events/", data=body.encode(), headers={**site.auth(), **TURTLE})
    assert created.status_code == 201, created.get_data(as_text=True)
    return created.headers["Location"]


def test_new_items_are_streamed_as_the_page_shows_them(site, quick_streams):
    start = since()
    iri = post_event(site, "Atelier compost du Butor")
    elsewhere = post_event(site, "Concert à Saint-Pierre", commune="97416")
    response, text = read_stream(site, f"/territories/97411/stream?since={start}")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/event-stream")
    assert response.headers["Cache-Control"] == "no-cache"
    assert text.startswith("retry: ")
    assert ": keep-alive" in text
    items = events_of(text)
    assert [i["iri"] for i in items] == [iri]
    assert items[0]["section"] == "events" and "Atelier compost du Butor" in items[0]["html"]
    assert f'data-iri="{iri}"' in items[0]["html"] and items[0]["id"]
    # the département's stream has both; a theme filter keeps only what matches
    _, text = read_stream(site, f"/territories/97411/stream?level=departement&since={start}")
    assert {i["iri"] for i in events_of(text)} == {iri, elsewhere}
    _, text = read_stream(site, f"/territories/97411/stream?theme=sport&since={start}")
    assert events_of(text) == []


def test_a_reconnecting_stream_resumes_after_the_last_item(site, quick_streams):
    start = since()
    first = post_event(site, "Première réunion")
    _, text = read_stream(site, f"/territories/97411/stream?since={start}")
    last_id = events_of(text)[-1]["id"]
    time.sleep(1.1)  # dcterms:created has second precision
    second = post_event(site, "Deuxième réunion")
    _, text = read_stream(site, f"/territories/97411/stream?since={start}",
                          headers={"Last-Event-ID": last_id})
    iris = [i["iri"] for i in events_of(text)]
    assert second in iris and first not in iris


def test_items_created_while_the_stream_is_open_arrive(site, quick_streams):
    import threading

    start = since(0)
    done = {}

    def later():
        time.sleep(0.5)
        with site.app.app_context():
            done["iri"] = post_event(site, "Nettoyage de la ravine")

    worker = threading.Thread(target=later)
    worker.start()
    _, text = read_stream(site, f"/territories/97411/stream?since={start}")
    worker.join()
    assert [i["iri"] for i in events_of(text)] == [done["iri"]]


def test_streams_are_bounded(site, quick_streams, monkeypatch):
    """Each stream ends on its own, and a worker serves a bounded number at once."""
    began = time.monotonic()
    read_stream(site, "/territories/97411/stream")
    assert time.monotonic() - began < 6
    for _ in range(quick_streams.STREAM_SLOTS):
        assert quick_streams._SLOTS.acquire(blocking=False)
    try:
        response, text = read_stream(site, "/territories/97411/stream")
        assert response.status_code == 200 and text.startswith("retry: 20000")
    finally:
        for _ in range(quick_streams.STREAM_SLOTS):
            quick_streams._SLOTS.release()
