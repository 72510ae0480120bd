"""Bodies that stream in without a length (chunked transfer), against the production server.

Nothing announces their size, so the limit (1 MB by default) must be counted while reading:
a server that read such a body whole could be made to hold any amount of memory, and one
that silently cut it at the limit would act on a truncated request.
"""

from __future__ import annotations

from collections.abc import Iterator

import requests

AS = "https://www.w3.org/ns/activitystreams#"


def over_the_limit(head: bytes, filler: bytes = b"#") -> Iterator[bytes]:
    """`head`, then 1.1 MB of `filler` lines (comments in SPARQL and Turtle)."""
    yield head
    for _ in range(1_100):
        yield filler * 999 + b"\n"


def test_a_sparql_query_stops_at_the_body_limit(server) -> None:
    response = requests.post(server.base_url + "/sparql", data=over_the_limit(b"ASK { }\n"),
                             headers={"Content-Type": "application/sparql-query"}, timeout=60)
    assert response.status_code == 413
    assert "1,000,000-byte limit" in response.text


def test_a_sparql_form_stops_at_the_body_limit(server) -> None:
    response = requests.post(server.base_url + "/sparql",
                             data=over_the_limit(b"query=ASK+%7B+%7D%0A", b"+"),
                             headers={"Content-Type": "application/x-www-form-urlencoded"},
                             timeout=60)
    assert response.status_code == 413


def test_a_patch_stops_at_the_body_limit_and_changes_nothing(server) -> None:
    alice = f"{server.base_url}/persons/alice"
    auth = {"Authorization": f"Bearer {server.tokens['alice']}"}
    before = requests.get(alice, headers={"Accept": "application/n-triples"}, timeout=30)
    update = f'INSERT DATA {{ <{alice}> <{AS}summary> "streamed" }}\n'.encode()
    response = requests.patch(alice, data=over_the_limit(update), timeout=60, headers={
        "Content-Type": "application/sparql-update", **auth})
    assert response.status_code == 413
    after = requests.get(alice, headers={"Accept": "application/n-triples"}, timeout=30)
    assert after.headers["ETag"] == before.headers["ETag"]
    assert "streamed" not in after.text


def test_a_chunked_patch_within_the_limit_is_applied(server) -> None:
    alice = f"{server.base_url}/persons/alice"
    update = f'INSERT DATA {{ <{alice}> <{AS}summary> "arrivée par morceaux" }}'.encode()
    response = requests.patch(alice, data=iter([update[:20], update[20:]]), timeout=30,
                              headers={"Content-Type": "application/sparql-update",
                                       "Authorization": f"Bearer {server.tokens['alice']}"})
    assert response.status_code in (200, 204), response.text
    after = requests.get(alice, headers={"Accept": "application/n-triples"}, timeout=30)
    assert "arrivée par morceaux" in after.text


def test_a_turtle_post_stops_at_the_body_limit(server) -> None:
    body = f"@prefix as: <{AS}> .\n<> as:name \"too long\" .\n".encode()
    response = requests.post(server.base_url + "/events/", data=over_the_limit(body),
                             timeout=60, headers={
                                 "Content-Type": "text/turtle",
                                 "Authorization": f"Bearer {server.tokens['alice']}"})
    assert response.status_code == 413
