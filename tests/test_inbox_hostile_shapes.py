"""Activities of every odd shape a hostile server may send, correctly signed: each gets a
clear answer below 500 (refused with a 4xx, or accepted and ignored), and nothing a
person would see comes of them: no follower, no comment, no like.

The application runs in-process; the remote server is tests/inbox_support.Peer.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from federation.handlers import follows
from tests.inbox_support import BASE, Peer, in_process, running_peer

ALICE = f"{BASE}/persons/alice"


@pytest.fixture(scope="module")
def peer() -> Iterator[Peer]:
    yield from running_peer()


def shapes(amy: str) -> list[object]:
    """Odd values: the last four are objects that look almost right."""
    return [
        None, 5, "", [], {}, [5, ALICE], {"id": 5}, "javascript:alert(1)",
        {"id": f"{amy}/n/1", "type": "Note", "content": {"x": 1}, "inReplyTo": 7, "to": 5},
        {"id": f"{amy}/n/2", "type": ["Note", 3], "inReplyTo": {"id": ALICE},
         "to": ["Public"], "tag": "x", "attributedTo": [amy, "x"]},
        {"id": f"{amy}/n/3", "type": "Note", "inReplyTo": ALICE, "to": "as:Public",
         "published": "yesterday", "content": "<b>on her wall?</b>"},
        {"id": f"{amy}#f", "type": "Follow", "actor": ALICE, "object": 3},
    ]


KINDS = ["Create", "Update", "Delete", "Follow", "Undo", "Like", "Announce", "Join", "Leave",
         "Accept", "Reject", "Flag", "Block", "Move", ["Create", "Like"], 5]


def test_odd_shapes_get_clear_answers_and_change_nothing(tmp_path: Path, peer: Peer) -> None:
    app = in_process(tmp_path)
    amy = peer.actor("amy")
    answers = set()
    odd = shapes(amy)
    cases = [*itertools.product(KINDS, odd[-4:]),  # odd objects: every activity type
             *itertools.product(["Create", "Undo", "Flag", "Accept", "Move"], odd[:-4])]
    for number, (kind, value) in enumerate(cases):
        activity = {"@context": "https://www.w3.org/ns/activitystreams",
                    "id": f"{amy}/activities/{number}", "type": kind, "actor": amy,
                    "object": value, "target": value, "content": value}
        headers, body = peer.signed(f"{BASE}/inbox", activity, "amy")
        response = app.client.post("/inbox", data=body, headers=headers, base_url=BASE)
        assert response.status_code < 500, (kind, value, response.get_data(True))
        answers.add(response.status_code)
    assert answers <= {202, 400, 401, 403, 404, 409, 410, 422}
    store = app.site.store
    assert follows.followers_of(app.site.activities, ALICE) == []
    assert not store.ask("ASK { GRAPH ?g { ?g a <https://www.w3.org/ns/activitystreams#Like> } }")
    assert not store.ask("ASK { GRAPH ?g { ?g <https://www.w3.org/ns/activitystreams#context> "
                         f"<{ALICE}> }} }}")
    for number in (1, 2, 3):
        assert store.graph(f"{amy}/n/{number}") is None


def test_iris_the_store_refuses_get_clear_answers(tmp_path: Path, peer: Peer) -> None:
    """An object or target no store could name (a space, a bracket, a bad percent-escape)
    names nothing here: every activity type answers below 500 and changes nothing."""
    app = in_process(tmp_path)
    amy = peer.actor("amy")
    hostile = [f"{BASE}/persons/a b", f"{BASE}/<x>", f"{BASE}/persons/a%zz",
               f"{BASE}/persons/alice\\", f"{peer.origin}/notes/a b"]
    before = sorted(b"".join(app.site.store.dump("application/n-quads")).splitlines())
    for number, (kind, iri) in enumerate(itertools.product(KINDS[:-2], hostile)):
        activity = {"@context": "https://www.w3.org/ns/activitystreams",
                    "id": f"{amy}/odd-iris/{number}", "type": kind, "actor": amy,
                    "object": iri, "target": iri}
        headers, body = peer.signed(f"{BASE}/inbox", activity, "amy")
        response = app.client.post("/inbox", data=body, headers=headers, base_url=BASE)
        assert response.status_code < 500, (kind, iri, response.get_data(True))
    after = sorted(b"".join(app.site.store.dump("application/n-quads")).splitlines())
    cached_actor = f"<{amy}> .".encode()  # fetched to check the signatures: the only change
    assert [line for line in after if line not in before and not line.endswith(cached_actor)] == []
