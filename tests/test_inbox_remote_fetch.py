"""Fetching remote documents (federation.remote.RemoteObjects, C4) from a loopback server:
what gets cached, and every way a hostile server's answer is refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Literal, URIRef

from federation.remote import FETCHED, LDP_INBOX, RemoteError, RemoteObjects
from ontology import AS
from store.private import PrivateStore
from tests.inbox_support import AP_JSON, CONTEXT, Peer, running_peer
from web.settings import Settings
from web.stores import open_public_store


@pytest.fixture(scope="module")
def peer() -> Iterator[Peer]:
    yield from running_peer()


def remote(tmp_path: Path, allow_private: bool = True) -> RemoteObjects:
    settings = Settings(base_url="http://communecter.test", data_dir=tmp_path, store="memory")
    return RemoteObjects(open_public_store(settings), PrivateStore(None), settings.base_url,
                         allow_private)


def test_an_actor_is_cached_as_its_own_graph(tmp_path: Path, peer: Peer) -> None:
    objects = remote(tmp_path)
    amy = peer.actor("amy")
    graph = objects.fetch(amy)
    subject = URIRef(amy)
    assert graph.value(subject, AS.preferredUsername) == Literal("amy")
    assert graph.value(subject, FETCHED) is not None
    assert str(graph.value(subject, LDP_INBOX)) == f"{amy}/inbox"
    assert objects.inboxes(amy) == (f"{amy}/inbox", f"{peer.origin}/inbox")
    assert objects.store.graph(amy) is not None
    fetched = len(peer.fetches)
    objects.fetch(amy)  # from the cache
    assert len(peer.fetches) == fetched


def test_html_is_sanitised_and_claims_about_other_hosts_are_dropped(tmp_path: Path,
                                                                    peer: Peer) -> None:
    iri = peer.add("/notes/evil", {
        "@context": [*CONTEXT, "https://unknown.example/context.jsonld"],
        "type": "Note", "attributedTo": peer.actor("amy"),
        "content": '<p>Salut<script>alert(1)</script><img src=x onerror="alert(2)"></p>',
        "bcc": [peer.actor("mallory")],
        "tag": [{"id": "http://communecter.test/likes/forged", "type": "Like",
                 "actor": peer.actor("amy"), "object": "http://communecter.test/posts/x"}]})
    graph = remote(tmp_path).fetch(iri)
    content = str(graph.value(URIRef(iri), AS.content))
    assert "Salut" in content and "script" not in content and "onerror" not in content
    assert (URIRef("http://communecter.test/likes/forged"), None, None) not in graph
    assert graph.value(URIRef(iri), AS.bcc) is None


def test_iris_no_store_could_hold_are_dropped_and_the_rest_is_kept(tmp_path: Path,
                                                                   peer: Peer) -> None:
    """JSON-LD takes any string as an IRI: such triples would break the store's write."""
    iri = peer.add("/notes/odd-iris", {
        "@context": CONTEXT, "type": "Note", "attributedTo": peer.actor("amy"),
        "content": "Bonjour", "url": f'{peer.origin}/a "quoted" page',
        "inReplyTo": f"{peer.origin}/notes/x>y", "image": f"{peer.origin}/100%zz.png",
        "audience": f"{peer.origin}/ok"})
    objects = remote(tmp_path)
    graph = objects.fetch(iri)
    note = URIRef(iri)
    assert str(graph.value(note, AS.content)) == "Bonjour"
    assert graph.value(note, AS.url) is None and graph.value(note, AS.inReplyTo) is None
    assert graph.value(note, AS.image) is None
    assert str(graph.value(note, AS.audience)) == f"{peer.origin}/ok"
    assert objects.store.graph(iri) is not None


def test_hostile_answers_are_refused(tmp_path: Path, peer: Peer) -> None:
    objects = remote(tmp_path)
    peer.add("/liar", {"type": "Note"})
    peer.documents["/liar"]["id"] = f"{peer.origin}/someone-else"
    peer.raw["/html"] = (200, {"Content-Type": "text/html"}, b"<html></html>")
    peer.raw["/broken"] = (200, {"Content-Type": AP_JSON}, b'{"id": ')
    peer.raw["/huge"] = (200, {"Content-Type": AP_JSON},
                         json.dumps({"id": f"{peer.origin}/huge", "x": "y" * 1_100_000}).encode())
    deep: object = {"id": f"{peer.origin}/deep"}
    for _ in range(100):
        deep = {"a": deep}
    peer.raw["/deep"] = (200, {"Content-Type": AP_JSON}, json.dumps(deep).encode())
    peer.raw["/loop"] = (302, {"Location": "/loop"}, b"")
    peer.raw["/gone"] = (410, {"Content-Type": AP_JSON}, b"{}")
    for path in ("/liar", "/html", "/broken", "/huge", "/deep", "/loop", "/gone",
                 "/nothing-here"):
        with pytest.raises(RemoteError):
            objects.fetch(peer.origin + path)
        assert objects.store.graph(peer.origin + path) is None, path
    with pytest.raises(RemoteError):
        objects.fetch("http://communecter.test/persons/alice")  # ours: never fetched


def test_private_addresses_are_refused_unless_allowed(tmp_path: Path, peer: Peer) -> None:
    objects = remote(tmp_path, allow_private=False)
    fetched = len(peer.fetches)
    for iri in (peer.actor("amy"), "http://[::1]/users/x", "http://10.0.0.1/users/x",
                "http://169.254.169.254/latest/meta-data"):
        with pytest.raises(RemoteError):
            objects.fetch(iri)
    assert len(peer.fetches) == fetched
