"""Hostile deliveries to our inboxes: each refused with a 4xx, and nothing stored.

A real server (`communecter serve`) receives signed POSTs from a loopback "remote server"
(tests/inbox_support.Peer) that publishes its actors' keys. Every case below is a Follow
of alice that would add the sender to alice's followers if it were accepted; after each
refusal, alice's followers, the delivery queue and the record of applied activities are
checked to be unchanged.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests

from federation import keys
from tests.conftest import Server, stop_server
from tests.inbox_support import (
    AP_JSON,
    Peer,
    collection,
    graphs_mentioning,
    new_post,
    private_rows,
    queued,
    running_local,
    running_peer,
    start_inbox_server,
)


@pytest.fixture(scope="module")
def peer() -> Iterator[Peer]:
    yield from running_peer()


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from running_local(tmp_path_factory)


def alice(local) -> str:
    return f"{local.base_url}/persons/alice"


def inbox(local) -> str:
    return f"{alice(local)}/inbox"


def follow(peer: Peer, local, name: str = "amy") -> dict:
    return peer.activity(name, "Follow", alice(local))


def assert_nothing_stored(local, peer: Peer) -> None:
    assert collection(local, f"{alice(local)}/followers") == []
    assert graphs_mentioning(local, peer.origin) == []
    assert private_rows(local, "SELECT id FROM inbound_activities") == []
    assert queued(local, "Accept", f"{peer.actor('amy')}/inbox", peer=peer) == []


def refused(response: requests.Response, *statuses: int) -> None:
    assert response.status_code in statuses, (response.status_code, response.text)


def test_forged_signature_is_refused(local, peer: Peer) -> None:
    forger = keys.generate_key_pair()  # amy's key id, somebody else's private key
    response = peer.send(inbox(local), follow(peer, local), "amy",
                         private_pem=forger.private_pem)
    refused(response, 401)
    assert "WWW-Authenticate" in response.headers
    assert_nothing_stored(local, peer)


@pytest.mark.parametrize("format", ["cavage", "rfc9421"])
def test_replayed_request_with_an_old_date_is_refused(local, peer: Peer, format: str) -> None:
    old = datetime.now(UTC) - timedelta(hours=13)
    refused(peer.send(inbox(local), follow(peer, local), format=format, now=old), 401)
    future = datetime.now(UTC) + timedelta(hours=13)
    refused(peer.send(inbox(local), follow(peer, local), format=format, now=future), 401)
    assert_nothing_stored(local, peer)


@pytest.mark.parametrize("format", ["cavage", "rfc9421"])
def test_digest_mismatch_is_refused(local, peer: Peer, format: str) -> None:
    signed = follow(peer, local)
    other = dict(signed, object=f"{local.base_url}/persons/bob")
    response = peer.send(inbox(local), signed, format=format,
                         body=json.dumps(other).encode())
    refused(response, 400, 401)
    assert_nothing_stored(local, peer)


def test_unknown_key_is_refused(local, peer: Peer) -> None:
    response = peer.send(inbox(local), follow(peer, local),
                         key_id=f"{peer.actor('amy')}#no-such-key")
    refused(response, 401)
    nobody = "http://127.0.0.1:9/users/nobody"  # nothing listens there
    activity = dict(follow(peer, local), actor=nobody, id=f"{nobody}/follows/1")
    refused(peer.send(inbox(local), activity, "amy", key_id=f"{nobody}#main-key"), 401)
    assert_nothing_stored(local, peer)


def test_key_whose_owner_is_not_the_actor_is_refused(local, peer: Peer) -> None:
    # Mallory signs with her own (valid) key an activity that says amy did it.
    activity = follow(peer, local, "amy")
    refused(peer.send(inbox(local), activity, "mallory"), 401)
    # A key document of its own claiming amy as owner, which amy's actor does not list.
    rogue = keys.generate_key_pair()
    key_iri = peer.add("/keys/rogue", {"type": "Key", "owner": peer.actor("amy"),
                                       "publicKeyPem": rogue.public_pem})
    refused(peer.send(inbox(local), follow(peer, local, "amy"), "amy", key_id=key_iri,
                      private_pem=rogue.private_pem), 401)
    assert_nothing_stored(local, peer)


def test_oversized_body_is_refused(local, peer: Peer) -> None:
    activity = follow(peer, local)
    activity["content"] = "x" * 1_100_000
    refused(peer.send(inbox(local), activity), 413)
    assert_nothing_stored(local, peer)


def test_json_ld_bombs_are_refused(local, peer: Peer) -> None:
    deep: object = "x"
    for _ in range(200):
        deep = {"a": deep}
    nested = dict(follow(peer, local), tag=deep)
    refused(peer.send(inbox(local), nested), 400, 413)
    wide = dict(follow(peer, local), tag=[{"type": "Hashtag", "name": "#x"}] * 5_000)
    refused(peer.send(inbox(local), wide), 413)
    many = dict(follow(peer, local), tag=[[1] * 900 for _ in range(30)])
    refused(peer.send(inbox(local), many), 413)
    assert_nothing_stored(local, peer)


def test_malformed_json_and_wrong_content_types_are_refused(local, peer: Peer) -> None:
    refused(peer.send(inbox(local), follow(peer, local), body=b'{"type": "Follow", '), 400)
    refused(peer.send(inbox(local), follow(peer, local), body=b"[1, 2]"), 400)
    for kind in ("text/plain", "application/json", "application/ld+json", "text/html"):
        refused(peer.send(inbox(local), follow(peer, local), content_type=kind), 415)
    unsigned = requests.post(inbox(local), data=json.dumps(follow(peer, local)),
                             headers={"Content-Type": AP_JSON}, timeout=10)
    refused(unsigned, 401)
    assert_nothing_stored(local, peer)


def test_actor_and_signer_must_match(local, peer: Peer) -> None:
    """The activity's actor, the key's owner and the activity id's host must agree."""
    elsewhere = dict(follow(peer, local), id="http://elsewhere.example/activities/1")
    refused(peer.send(inbox(local), elsewhere), 400)
    no_actor = {k: v for k, v in follow(peer, local).items() if k != "actor"}
    refused(peer.send(inbox(local), no_actor, "amy"), 400)
    assert_nothing_stored(local, peer)


def test_objects_claiming_another_hosts_id_are_refused(local, peer: Peer) -> None:
    post = new_post(local, "Un billet à commenter")
    forged = {"id": f"{local.base_url}/posts/forged", "type": "Note",
              "attributedTo": peer.actor("amy"), "content": "pas de moi",
              "inReplyTo": post, "to": ["https://www.w3.org/ns/activitystreams#Public"]}
    refused(peer.send(inbox(local), peer.activity("amy", "Create", forged)), 403)
    other = dict(forged, id="http://other.example/notes/1")
    refused(peer.send(inbox(local), peer.activity("amy", "Create", other)), 403)
    refused(peer.send(inbox(local), peer.activity("amy", "Delete", post)), 403)
    assert graphs_mentioning(local, "forged") == []
    assert graphs_mentioning(local, "other.example") == []
    assert_nothing_stored(local, peer)


def test_rejected_domains_are_refused(local, peer: Peer) -> None:
    from federation import moderation
    from store.private import PrivateStore

    private = PrivateStore(local.data_dir / "private.sqlite3")
    moderation.set_domain_policy(private, "127.0.0.1", "reject")
    try:
        refused(peer.send(inbox(local), follow(peer, local)), 403)
    finally:
        moderation.set_domain_policy(private, "127.0.0.1", None)
    assert_nothing_stored(local, peer)


def test_keys_on_private_addresses_are_not_fetched_unless_allowed(tmp_path,
                                                                  peer: Peer) -> None:
    closed = start_inbox_server(tmp_path, allow_private=False)
    try:
        fetched = len(peer.fetches)
        response = peer.send(f"{closed.base_url}/persons/alice/inbox",
                             peer.activity("amy", "Follow", f"{closed.base_url}/persons/alice"))
        refused(response, 401)
        assert len(peer.fetches) == fetched  # the key was never asked for
        assert collection(closed, f"{closed.base_url}/persons/alice/followers") == []
    finally:
        stop_server(closed)


def test_unknown_local_actor_inbox_is_404(local, peer: Peer) -> None:
    refused(peer.send(f"{local.base_url}/persons/nobody/inbox", follow(peer, local)), 404)
    assert_nothing_stored(local, peer)



def test_the_deletion_of_an_actor_never_known_here_is_acknowledged(local, peer: Peer) -> None:
    """Its key is gone with it: nothing to verify, nothing to delete, no retries wanted."""
    gone = "http://127.0.0.1:9/users/gone"
    deletion = {"@context": "https://www.w3.org/ns/activitystreams", "type": "Delete",
                "id": f"{gone}#delete", "actor": gone, "object": gone}
    response = peer.send(inbox(local), deletion, "amy", key_id=f"{gone}#main-key")
    assert response.status_code == 202
    # A Delete of a known actor's post still needs a valid signature.
    post = new_post(local, "Toujours là")
    forged = peer.activity("amy", "Delete", post)
    refused(peer.send(inbox(local), forged, private_pem=keys.generate_key_pair().private_pem),
            401)
    assert_nothing_stored(local, peer)


def test_a_slow_key_server_does_not_hold_the_inbox(local, peer: Peer) -> None:
    peer.add_actor("sloth")
    peer.slow["/users/sloth"] = 30
    started = time.monotonic()
    response = peer.send(inbox(local), peer.activity("sloth", "Follow", alice(local)))
    refused(response, 401)
    assert time.monotonic() - started < 15
    assert_nothing_stored(local, peer)
