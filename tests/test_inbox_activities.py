"""What remote actors do reaches the same lists and graphs as what local people do.

A real server receives signed activities from a loopback "remote server" (amy and
mallory on tests/inbox_support.Peer): follows, replies, likes, shares, attendance,
reports, updates and deletions, in both signature formats.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
import requests

from federation.signatures import ResolvedKey, verify_request
from tests.conftest import Server
from tests.inbox_support import (
    AP_JSON,
    AS,
    PUBLIC,
    TURTLE_PREFIXES,
    Peer,
    collection,
    create,
    graph_exists,
    new_event,
    new_post,
    private_rows,
    queued,
    running_local,
    running_peer,
    sparql,
)


@pytest.fixture(scope="module")
def peer() -> Iterator[Peer]:
    yield from running_peer()


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from running_local(tmp_path_factory)


def alice(local: Server) -> str:
    return f"{local.base_url}/persons/alice"


def shared_inbox(local: Server) -> str:
    return f"{local.base_url}/inbox"


def accepted(response: requests.Response) -> str:
    assert response.status_code == 202, (response.status_code, response.text)
    return response.text.strip()


def count(local: Server, kind: str, obj: str) -> int:
    rows = sparql(local, "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { "
                         f"?g a <{AS}#{kind}> ; <{AS}#object> <{obj}> }} }}")
    return int(rows[0]["n"])


def values(local: Server, iri: str, predicate: str) -> set[str]:
    rows = sparql(local, f"SELECT ?o WHERE {{ GRAPH <{iri}> {{ <{iri}> <{predicate}> ?o }} }}")
    return {row["o"] for row in rows}


@pytest.mark.parametrize("name, format, algorithm", [
    ("amy", "cavage", None), ("mallory", "rfc9421", None), ("hugo", "cavage", "hs2019")],
    ids=["cavage-rsa-sha256", "rfc9421", "cavage-hs2019"])
def test_a_signed_follow_adds_a_follower_and_queues_an_accept(
        local: Server, peer: Peer, name: str, format: str, algorithm: str | None) -> None:
    if name not in peer.keys:
        peer.add_actor(name)
    follow = peer.activity(name, "Follow", alice(local))
    sent = peer.send(f"{alice(local)}/inbox", follow, format=format, algorithm=algorithm)
    assert accepted(sent) == "applied"
    assert peer.actor(name) in collection(local, f"{alice(local)}/followers")
    accepts = queued(local, "Accept", f"{peer.actor(name)}/inbox", wait=5, peer=peer)
    accepts = [a for a in accepts if a["object"].get("actor") == peer.actor(name)]
    assert [a["object"]["id"] for a in accepts] == [follow["id"]]
    assert accepts[0]["actor"] == alice(local)
    # The follower is known by its handle from now on (its actor document is cached).
    assert values(local, peer.actor(name), f"{AS}#preferredUsername") == {name}
    # Following again changes nothing and is accepted again (the follower asked twice).
    again = peer.activity(name, "Follow", alice(local))
    accepted(peer.send(shared_inbox(local), again, format=format, algorithm=algorithm))
    assert collection(local, f"{alice(local)}/followers").count(peer.actor(name)) == 1


def test_our_fetches_are_signed_by_the_instance_actor(local: Server, peer: Peer) -> None:
    """Servers in "authorized fetch" mode answer only signed GETs: ours are signed by the
    instance actor, whose key our server publishes."""
    peer.add_actor("strict")
    accepted(peer.send(shared_inbox(local), peer.activity("strict", "Follow", alice(local))))
    url, headers = next((u, h) for u, h in peer.fetch_requests if u == peer.actor("strict"))
    instance = requests.get(f"{local.base_url}/actor", headers={"Accept": AP_JSON},
                            timeout=30).json()
    verified = verify_request("GET", url, headers, None,
                              lambda key_id: ResolvedKey(instance["publicKey"]["publicKeyPem"],
                                                         instance["id"]))
    assert verified.key_id == instance["publicKey"]["id"] == f"{local.base_url}/actor#main-key"


def test_undo_of_a_follow_and_replays_applied_once(local: Server, peer: Peer) -> None:
    peer.add_actor("zoe")
    follow = peer.activity("zoe", "Follow", alice(local))
    accepted(peer.send(shared_inbox(local), follow))
    assert peer.actor("zoe") in collection(local, f"{alice(local)}/followers")
    undo = peer.activity("zoe", "Undo", follow["id"])  # only the Follow's id
    accepted(peer.send(shared_inbox(local), undo))
    assert peer.actor("zoe") not in collection(local, f"{alice(local)}/followers")
    # The same Follow delivered again (a retry, a replay) is not applied twice.
    assert accepted(peer.send(shared_inbox(local), follow)) == "duplicate"
    assert peer.actor("zoe") not in collection(local, f"{alice(local)}/followers")
    seen = private_rows(local, "SELECT COUNT(*) FROM inbound_activities WHERE id = ?",
                        follow["id"])
    assert seen == [(1,)]


def test_a_remote_reply_joins_the_thread_sanitised(local: Server, peer: Peer) -> None:
    post = new_post(local, "Qui vient au marché samedi ?")
    note = peer.note("amy", '<p>Moi ! <script>alert("x")</script></p>', in_reply_to=post)
    create = peer.activity("amy", "Create", note, to=note["to"], cc=note["cc"],
                           bcc=[peer.actor("mallory")])
    assert accepted(peer.send(shared_inbox(local), create, format="rfc9421")) == "applied"
    iri = note["id"]
    assert values(local, iri, f"{AS}#inReplyTo") == {post}
    assert values(local, iri, f"{AS}#context") == {post}
    assert values(local, iri, f"{AS}#attributedTo") == {peer.actor("amy")}
    assert "https://w3id.org/communecter/ns#Post" in values(
        local, iri, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    assert values(local, iri, f"{AS}#content") == {"<p>Moi ! </p>"}
    assert values(local, iri, f"{AS}#bcc") == set()
    page = requests.get(post, headers={"Accept": "text/html"}, timeout=30).text
    assert "Moi !" in page and "alert(" not in page
    told = private_rows(local, "SELECT kind, actor FROM notifications WHERE recipient = ? "
                               "AND object = ?", alice(local), note["id"])
    assert told == [("comment", peer.actor("amy"))]
    # A reply to the reply stays in the same thread.
    answer = peer.note("mallory", "<p>Moi aussi</p>", in_reply_to=iri)
    accepted(peer.send(shared_inbox(local), peer.activity("mallory", "Create", answer)))
    assert values(local, answer["id"], f"{AS}#context") == {post}
    # Update by its author changes it; by anybody else, it is refused.
    changed = dict(note, content="<p>Finalement non</p>")
    accepted(peer.send(shared_inbox(local), peer.activity("amy", "Update", changed)))
    assert values(local, iri, f"{AS}#content") == {"<p>Finalement non</p>"}
    assert values(local, iri, f"{AS}#context") == {post}
    # Delete leaves a Tombstone.
    accepted(peer.send(shared_inbox(local), peer.activity("amy", "Delete", iri)))
    assert values(local, iri, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type") == {
        f"{AS}#Tombstone"}
    assert "Finalement non" not in requests.get(post, headers={"Accept": "text/html"},
                                                timeout=30).text


def test_followers_only_replies_are_not_published(local: Server, peer: Peer) -> None:
    post = new_post(local, "Un billet public")
    note = peer.note("amy", "<p>Pour mes abonnés</p>", in_reply_to=post,
                     to=[f"{peer.actor('amy')}/followers"])
    note["cc"] = []
    result = accepted(peer.send(shared_inbox(local),
                                peer.activity("amy", "Create", note, to=note["to"])))
    assert result.startswith("ignored")
    assert not graph_exists(local, note["id"])


def test_likes_and_shares_are_counted_and_undone(local: Server, peer: Peer) -> None:
    post = new_post(local, "Aimez-moi")
    like = peer.activity("amy", "Like", post)
    share = peer.activity("amy", "Announce", post, to=["as:Public"])
    accepted(peer.send(shared_inbox(local), like))
    accepted(peer.send(shared_inbox(local), peer.activity("mallory", "Like", post),
                       format="rfc9421"))
    ld_json = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
    accepted(peer.send(shared_inbox(local), share, content_type=ld_json))
    assert count(local, "Like", post) == 2
    assert count(local, "Announce", post) == 1
    accepted(peer.send(shared_inbox(local), peer.activity("amy", "Undo", like["id"])))
    accepted(peer.send(shared_inbox(local), peer.activity("amy", "Undo", {
        "id": share["id"], "type": "Announce", "actor": peer.actor("amy"), "object": post})))
    assert count(local, "Like", post) == 1
    assert count(local, "Announce", post) == 0
    # Mallory cannot undo amy's like: the Undo names amy's activity, not hers.
    refused = peer.send(shared_inbox(local), peer.activity("mallory", "Undo", {
        "id": like["id"], "type": "Like", "actor": peer.actor("amy"), "object": post}))
    assert refused.status_code == 403


def test_remote_people_join_and_leave_events(local: Server, peer: Peer) -> None:
    event = new_event(local, "Pique-nique")
    join = peer.activity("amy", "Join", event)
    accepted(peer.send(shared_inbox(local), join))
    assert peer.actor("amy") in collection(local, f"{event}/attendees")
    accepts = queued(local, "Accept", f"{peer.actor('amy')}/inbox", wait=5, peer=peer)
    assert join["id"] in [a["object"]["id"] for a in accepts]
    accepted(peer.send(shared_inbox(local), peer.activity("amy", "Leave", event)))
    assert peer.actor("amy") not in collection(local, f"{event}/attendees")
    # Events are no actors: following one from another server means nothing here.
    ignored = accepted(peer.send(shared_inbox(local), peer.activity("amy", "Follow", event)))
    assert ignored.startswith("ignored") and collection(local, f"{event}/followers") == []


def test_a_full_event_answers_reject(local: Server, peer: Peer) -> None:
    event = new_event(local, "Atelier", "schema:maximumAttendeeCapacity 1 ;")
    accepted(peer.send(shared_inbox(local), peer.activity("amy", "Join", event)))
    late = peer.activity("mallory", "Join", event)
    assert accepted(peer.send(shared_inbox(local), late)).startswith("applied: refused")
    assert collection(local, f"{event}/attendees") == [peer.actor("amy")]
    rejects = queued(local, "Reject", f"{peer.actor('mallory')}/inbox", wait=5, peer=peer)
    assert late["id"] in [r["object"]["id"] for r in rejects]


def test_flags_reach_the_moderation_queue(local: Server, peer: Peer) -> None:
    post = new_post(local, "Un billet signalé")
    flag = peer.activity("amy", "Flag", [peer.actor("amy"), post],
                         content="Spam commercial")
    accepted(peer.send(shared_inbox(local), flag))
    rows = private_rows(local, "SELECT object, reporter, reason FROM moderation_reports "
                               "WHERE object = ?", post)
    assert rows == [(post, peer.actor("amy"), "other: Spam commercial")]
    origins = private_rows(local, "SELECT origin_host FROM report_origins")
    assert ("127.0.0.1",) in origins or any(o[0].startswith("127.0.0.1") for o in origins)


def test_a_remote_actor_deleting_itself_leaves_every_list(local: Server, peer: Peer) -> None:
    peer.add_actor("leaving")
    post = new_post(local, "Au revoir")
    accepted(peer.send(shared_inbox(local), peer.activity("leaving", "Follow", alice(local))))
    accepted(peer.send(shared_inbox(local), peer.activity("leaving", "Like", post)))
    assert peer.actor("leaving") in collection(local, f"{alice(local)}/followers")
    gone = peer.activity("leaving", "Delete", peer.actor("leaving"))
    accepted(peer.send(shared_inbox(local), gone))
    assert peer.actor("leaving") not in collection(local, f"{alice(local)}/followers")
    assert count(local, "Like", post) == 0
    assert values(local, peer.actor("leaving"),
                  "http://www.w3.org/1999/02/22-rdf-syntax-ns#type") == {f"{AS}#Tombstone"}


def test_a_rotated_key_is_fetched_again(local: Server, peer: Peer) -> None:
    peer.add_actor("rotor")
    accepted(peer.send(shared_inbox(local), peer.activity("rotor", "Follow", alice(local))))
    peer.rotate_key("rotor")
    fetched = len(peer.fetches)
    post = new_post(local, "Clé neuve")
    accepted(peer.send(shared_inbox(local), peer.activity("rotor", "Like", post)))
    assert len(peer.fetches) == fetched + 1
    assert count(local, "Like", post) == 1


def test_replies_are_forwarded_to_the_followers_of_the_thread(local: Server,
                                                              peer: Peer) -> None:
    """A follower of alice on a third server gets amy's public reply to alice's post, as
    amy sent it, signed by alice; amy's own server does not get it back."""
    far = Peer()
    try:
        far.add_actor("far")
        accepted(far.send(shared_inbox(local), far.activity("far", "Follow", alice(local))))
        post = new_post(local, "Qui a vu le chat ?")
        note = peer.note("amy", "<p>Il est chez moi</p>", in_reply_to=post)
        create = peer.activity("amy", "Create", note, to=note["to"], cc=note["cc"])
        accepted(peer.send(shared_inbox(local), create))
        def reply_forwarded() -> list[dict]:
            return [a for a in queued(local, "Create", f"{far.origin}/inbox", peer=far)
                    if a["id"] == create["id"]]

        deadline = time.monotonic() + 10
        while not reply_forwarded() and time.monotonic() < deadline:
            time.sleep(0.2)
        forwarded = reply_forwarded()
        assert forwarded and forwarded[0]["object"]["content"] == note["content"]
        assert "bcc" not in forwarded[0]
        time.sleep(1)  # the queue had time to send to amy's server too, had it been wrong
        assert create["id"] not in [a["id"] for a in queued(
            local, "Create", f"{peer.origin}/inbox", peer=peer)]
    finally:
        far.close()


def test_poll_votes_count_and_stay_out_of_the_thread(local: Server, peer: Peer) -> None:
    """A vote as Mastodon sends it (Create{Note{name, inReplyTo}} to the poll's author
    only) counts in the Question's figures; it is not a comment; other names are refused."""
    proposal = create(local, "proposals", TURTLE_PREFIXES + (
        '<> a cc:Proposal ; as:name "Un marché le dimanche ?" ; as:content "Votez." ; '
        'cc:option "Oui", "Non" ; as:endTime "2030-01-01T00:00:00Z"^^xsd:dateTime ; '
        f"cc:territory <{local.base_url}/territories/97411> ."), "marche-dimanche")
    def vote(voter: str, choice: str) -> dict:
        return {"id": f"{peer.actor(voter)}/votes/{uuid.uuid4().hex[:8]}", "type": "Note",
                "name": choice, "inReplyTo": proposal, "attributedTo": peer.actor(voter),
                "to": [alice(local)]}

    for name, choice in (("amy", "Oui"), ("mallory", "Non")):
        assert accepted(peer.send(shared_inbox(local), peer.activity(
            name, "Create", vote(name, choice), to=[alice(local)]))) == "applied"
    question = requests.get(proposal, headers={"Accept": AP_JSON}, timeout=30).json()
    assert question["votersCount"] == 2
    assert {o["name"]: o["replies"]["totalItems"] for o in question["oneOf"]} == {
        "Oui": 1, "Non": 1}
    bogus = vote("amy", "Peut-être")
    refused = peer.send(shared_inbox(local), peer.activity("amy", "Create", bogus))
    assert refused.status_code == 422
    assert not graph_exists(local, bogus["id"])
    page = requests.get(proposal, headers={"Accept": "text/html"}, timeout=30).text
    assert "Peut-être" not in page


@pytest.mark.parametrize("public", [PUBLIC, "as:Public", "Public", [PUBLIC], ["as:Public"]],
                         ids=["iri", "as-prefixed", "bare", "list", "prefixed-list"])
def test_every_spelling_of_public_makes_a_public_reply(local: Server, peer: Peer,
                                                       public: object) -> None:
    post = new_post(local, "Quelle orthographe ?")
    note = peer.note("amy", "<p>Publique</p>", in_reply_to=post, to=public)
    note["cc"] = []
    assert accepted(peer.send(shared_inbox(local), peer.activity("amy", "Create", note))) \
        == "applied"
    assert values(local, note["id"], f"{AS}#context") == {post}
