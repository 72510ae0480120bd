"""A local person following remote accounts: pending until the remote server accepts,
then their public posts are kept; Reject, Block and Move from the remote side.

The application runs in-process (Flask's test client) with loopback fetches allowed; the
remote server is tests/inbox_support.Peer, which signs what it sends to our inboxes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from federation.activities import Activity
from federation.handlers import follows
from tests.inbox_support import BASE, Peer, in_process, running_peer


@pytest.fixture(scope="module")
def peer() -> Iterator[Peer]:
    yield from running_peer()


@pytest.fixture
def app(tmp_path: Path) -> SimpleNamespace:
    return in_process(tmp_path)


ALICE = f"{BASE}/persons/alice"


def deliver(app: SimpleNamespace, peer: Peer, activity: dict, name: str | None = None) -> str:
    headers, body = peer.signed(f"{BASE}/inbox", activity, name)
    response = app.client.post("/inbox", data=body, headers=headers, base_url=BASE)
    assert response.status_code == 202, (response.status_code, response.get_data(True))
    return response.get_data(True).strip()


def refused(app: SimpleNamespace, peer: Peer, activity: dict) -> int:
    headers, body = peer.signed(f"{BASE}/inbox", activity)
    return app.client.post("/inbox", data=body, headers=headers, base_url=BASE).status_code


def following(app: SimpleNamespace, person: str = ALICE) -> list[str]:
    return follows.following_of(app.site.activities, person)


def pending(app: SimpleNamespace, person: str = ALICE) -> list[str]:
    return follows.pending_follows_of(app.site.activities, person)


def follow(app: SimpleNamespace, actor: str, person: str = ALICE) -> None:
    app.site.activities.apply(Activity("Follow", person, actor))


def acceptance(peer: Peer, name: str, kind: str = "Accept", person: str = ALICE) -> dict:
    inner = {"id": f"{person}#follow-1", "type": "Follow", "actor": person,
             "object": peer.actor(name)}
    return peer.activity(name, kind, inner)


def test_a_follow_waits_for_the_accept_then_posts_are_kept(app, peer: Peer) -> None:
    amy = peer.actor("amy")
    follow(app, amy)
    assert pending(app) == [amy] and following(app) == []
    # Mallory cannot accept what alice never asked her, nor accept on amy's behalf.
    assert refused(app, peer, acceptance(peer, "mallory")) == 404
    forged = peer.activity("mallory", "Accept", {
        "id": f"{ALICE}#follow-1", "type": "Follow", "actor": ALICE, "object": amy})
    assert deliver(app, peer, forged).startswith("ignored")
    assert pending(app) == [amy] and following(app) == []
    assert deliver(app, peer, acceptance(peer, "amy")) == "applied"
    assert following(app) == [amy] and pending(app) == []
    # amy's public posts are kept now; mallory's (followed by nobody here) are not.
    note = peer.note("amy", "<p>Marché demain</p>")
    assert deliver(app, peer, peer.activity("amy", "Create", note)) == "applied"
    assert app.site.store.graph(note["id"]) is not None
    other = peer.note("mallory", "<p>Personne ne me suit</p>")
    assert deliver(app, peer, peer.activity("mallory", "Create", other)).startswith("ignored")
    assert app.site.store.graph(other["id"]) is None


def test_an_accept_naming_only_the_follow_id_is_understood(app, peer: Peer) -> None:
    amy = peer.actor("amy")
    follow(app, amy)
    accept = peer.activity("amy", "Accept", f"{ALICE}#follow-0123456789abcdef")
    assert deliver(app, peer, accept) == "applied"
    assert following(app) == [amy]


def test_reject_ends_a_follow(app, peer: Peer) -> None:
    amy = peer.actor("amy")
    follow(app, amy)
    deliver(app, peer, acceptance(peer, "amy"))
    deliver(app, peer, acceptance(peer, "amy", "Reject"))
    assert following(app) == [] and pending(app) == []


def test_a_remote_block_ends_following_both_ways(app, peer: Peer) -> None:
    amy = peer.actor("amy")
    follow(app, amy)
    deliver(app, peer, acceptance(peer, "amy"))
    deliver(app, peer, peer.activity("amy", "Follow", ALICE))
    assert amy in follows.followers_of(app.site.activities, ALICE)
    deliver(app, peer, peer.activity("amy", "Block", ALICE))
    assert amy not in follows.followers_of(app.site.activities, ALICE)
    assert following(app) == []


def test_a_move_carries_the_followers_over(app, peer: Peer) -> None:
    old = peer.add_actor("oldname")
    follow(app, old)
    deliver(app, peer, acceptance(peer, "oldname"))
    new = peer.add_actor("newname", alsoKnownAs=[old])
    peer.add_actor("stranger")
    # A Move to an account that does not name the old one is refused.
    bogus = peer.activity("oldname", "Move", old, target=peer.actor("stranger"))
    assert refused(app, peer, bogus) == 403
    assert following(app) == [old]
    deliver(app, peer, peer.activity("oldname", "Move", old, target=new))
    assert following(app) == [] and pending(app) == [new]


def test_a_person_who_blocks_a_remote_account_hears_nothing_from_it(app, peer: Peer) -> None:
    from rdflib import Graph, Literal, URIRef
    from rdflib.namespace import RDF

    from federation import moderation
    from federation.activities import Activity as Act
    from ontology import AS, CC

    site = app.site
    post = f"{BASE}/posts/bloque"
    graph = Graph()
    graph.add((URIRef(post), RDF.type, CC.Post))
    graph.add((URIRef(post), CC.wall, URIRef(ALICE)))
    graph.add((URIRef(post), AS.attributedTo, URIRef(ALICE)))
    graph.add((URIRef(post), AS.content, Literal("Bonjour")))
    site.activities.apply(Act("Create", ALICE, post, graph))
    moderation.block(site.private, ALICE, peer.actor("amy"))
    reply = peer.note("amy", "<p>Coucou</p>", in_reply_to=post)
    for activity in (peer.activity("amy", "Follow", ALICE), peer.activity("amy", "Like", post),
                     peer.activity("amy", "Create", reply)):
        assert refused(app, peer, activity) == 403
    assert follows.followers_of(site.activities, ALICE) == []
    assert site.store.graph(reply["id"]) is None


def queued_answers(app: SimpleNamespace, kind: str) -> list[dict]:
    import json
    import sqlite3

    path = app.site.settings.data_dir / "deliveries.sqlite3"
    if not path.exists():
        return []
    with sqlite3.connect(path) as db:
        bodies = [json.loads(row[0]) for row in db.execute(
            "SELECT body FROM deliveries WHERE body IS NOT NULL")]
    return [b for b in bodies if b.get("type") == kind]


def test_a_person_who_approves_followers_by_hand_decides(app, peer: Peer) -> None:
    from federation import follow_requests

    site = app.site
    account = site.accounts.create("alice@example.org", ALICE, f"{BASE}/territories/97411",
                                   "fr")
    site.accounts.update(account.id, settings={**account.settings,
                                               "manually_approves_followers": True})
    amy, mallory = peer.actor("amy"), peer.actor("mallory")
    follow_amy = peer.activity("amy", "Follow", ALICE)
    assert deliver(app, peer, follow_amy).startswith("applied: waiting")
    deliver(app, peer, peer.activity("mallory", "Follow", ALICE))
    assert follows.followers_of(site.activities, ALICE) == []
    assert queued_answers(app, "Accept") == []
    assert follow_requests.requests_of(site.activities, ALICE) == [amy, mallory]
    site.activities.apply(Activity("Accept", ALICE, amy, content="Follow"))
    site.activities.apply(Activity("Reject", ALICE, mallory, content="Follow"))
    assert follows.followers_of(site.activities, ALICE) == [amy]
    assert follow_requests.requests_of(site.activities, ALICE) == []
    assert [a["object"]["id"] for a in queued_answers(app, "Accept")] == [follow_amy["id"]]
    assert [a["object"]["actor"] for a in queued_answers(app, "Reject")] == [mallory]
