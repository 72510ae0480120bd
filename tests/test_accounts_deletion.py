"""Closing an account really removes personal data: the e-mail is nowhere afterwards —
not in the private store (not even in its file's free pages), not in the public dump —
and the person's public contributions are deleted or kept anonymised, as they chose."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, URIRef

from tests.accounts_support import (
    csrf,
    image_bytes,
    link_in,
    mails_to,
    path_of,
    platform_of,
    wait_for_mail,
)
from tests.conftest import BASE

CC = "https://w3id.org/communecter/ns#"
AS = "https://www.w3.org/ns/activitystreams#"
ADDRESS = "zoe.payet@example.org"
ACTOR = f"{BASE}/persons/zoe-payet"
EVENT = f"""<> a <{CC}Event> ; <{AS}name> "Nettoyage de la plage" ;
    <{CC}territory> <{BASE}/territories/97411> ;
    <{AS}startTime> "2026-12-20T08:00:00+04:00"^^<http://www.w3.org/2001/XMLSchema#dateTime> ."""


def sign_up_and_contribute(site) -> dict[str, str]:
    """Zoé signs up (by mail), fills her profile with a picture, creates an event over
    LDP with a bearer token; a notification-like row of another part names her."""
    client = site.client
    token = csrf(client)
    client.post("/signup", data={"csrf_token": token, "email": ADDRESS,
                                 "postal_code": "97400"})
    data_dir = platform_of(site).settings.data_dir
    assert client.get(path_of(link_in(wait_for_mail(data_dir, ADDRESS)))).status_code == 302
    token = csrf(client)
    saved = client.post("/persons/zoe-payet/edit", content_type="multipart/form-data", data={
        "csrf_token": token, "name": "Zoé Payet", "bio": "Surfeuse", "skills": "secourisme",
        "skills_audience": "private", "name_audience": "public", "bio_audience": "public",
        "picture_audience": "public", "interests_audience": "public",
        "neighbourhood_audience": "members", "interests": ["sport"],
        "picture": (__import__("io").BytesIO(image_bytes()), "zoe.png")})
    assert saved.status_code == 302
    bearer = platform_of(site).private.issue_token(ACTOR, "cli")
    created = client.post("/events/", data=EVENT, headers={
        "Authorization": f"Bearer {bearer}", "Content-Type": "text/turtle",
        "Slug": "nettoyage"})
    assert created.status_code == 201
    # somebody else's private table holding her address and her IRI (e.g. notifications)
    with platform_of(site).private.connection() as db:
        db.execute("CREATE TABLE IF NOT EXISTS other_part (who TEXT, what TEXT)")
        db.execute("INSERT INTO other_part VALUES (?, ?)", (ACTOR, "liked your post"))
        db.execute("INSERT INTO other_part VALUES (?, ?)", ("x", f"digest for {ADDRESS}"))
    return {"event": created.headers["Location"], "bearer": bearer}


def delete(site, contributions: str, confirm: str = "yes"):
    return site.client.post("/account/delete", data={
        "csrf_token": csrf(site.client), "contributions": contributions, "confirm": confirm})


def private_text(site) -> str:
    return "\n".join(platform_of(site).private.connection().iterdump())


def public_dump(site) -> str:
    return site.client.get("/dump.nq").get_data(as_text=True)


def assert_no_personal_data(site, made: dict[str, str]) -> None:
    text = private_text(site)
    for trace in (ADDRESS, "zoe.payet", "secourisme", "Surfeuse", ACTOR):
        assert trace.lower() not in text.lower(), trace
    dump = public_dump(site)
    for trace in (ADDRESS, "Zoé Payet", "Surfeuse", "zoe.png"):
        assert trace not in dump, trace
    data_dir = platform_of(site).settings.data_dir
    assert mails_to(data_dir, ADDRESS) == []
    assert not list((data_dir / "uploads").glob("*"))
    assert site.client.get("/account").status_code == 302  # logged out
    ldp = site.client.put(made["event"], data=EVENT, headers={
        "Authorization": f"Bearer {made['bearer']}", "Content-Type": "text/turtle"})
    assert ldp.status_code == 401  # bearer tokens revoked


def test_deleting_everything(site) -> None:
    made = sign_up_and_contribute(site)
    old_session = site.app.test_client()
    with site.client.session_transaction() as session:
        cookie_account = session["account_id"]
    done = delete(site, "delete")
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert_no_personal_data(site, made)
    for iri in (ACTOR, made["event"]):
        assert site.client.get(iri.removeprefix(BASE),
                               headers={"Accept": "text/turtle"}).status_code == 410
    # a session cookie of the deleted account is dead, and its id is never given again
    with old_session.session_transaction() as session:
        session["account_id"] = cookie_account
    assert old_session.get("/account").status_code == 302
    new = platform_of(site).accounts.create("new@example.org", f"{BASE}/persons/x",
                                            f"{BASE}/territories/97411")
    assert new.id != cookie_account


def test_keeping_contributions_anonymised(site) -> None:
    made = sign_up_and_contribute(site)
    assert delete(site, "keep").status_code == 302
    assert_no_personal_data(site, made)
    event = site.client.get(made["event"].removeprefix(BASE), headers={"Accept": "text/turtle"})
    assert event.status_code == 200
    graph = Graph().parse(data=event.get_data(as_text=True), format="turtle")
    assert (URIRef(made["event"]), URIRef("http://purl.org/dc/terms/creator"),
            URIRef(ACTOR)) in graph
    person = site.client.get("/persons/zoe-payet", headers={"Accept": "text/turtle"})
    graph = Graph().parse(data=person.get_data(as_text=True), format="turtle")
    names = {str(o) for o in graph.objects(URIRef(ACTOR), URIRef(f"{AS}name"))}
    assert names == {"Ancien membre", "Former member"}
    assert (URIRef(ACTOR), URIRef(f"{CC}accountClosed"), None) in graph
    for gone in ("preferredUsername", "summary", "icon"):
        assert (URIRef(ACTOR), URIRef(f"{AS}{gone}"), None) not in graph
    html = site.client.get("/persons/zoe-payet", headers={"Accept": "text/html"})
    assert "Ancien membre" in html.get_data(as_text=True)
    assert "Nettoyage de la plage" in html.get_data(as_text=True)


def test_deletion_needs_a_choice_and_a_confirmation(site) -> None:
    sign_up_and_contribute(site)
    before = (private_text(site), public_dump(site))
    for contributions, confirm in (("", "yes"), ("delete", ""), ("everything", "yes")):
        refused = delete(site, contributions, confirm)
        assert refused.status_code == 422
    assert (private_text(site), public_dump(site)) == before


@pytest.fixture
def disk_site(tmp_path: Path):
    """The app on an on-disk private store, to look at the bytes of its file."""
    from store.private import PrivateStore
    from web.app import create_app
    from web.operations import import_territories
    from web.settings import Settings

    data = tmp_path / "data"
    settings = Settings(base_url=BASE, data_dir=data, store="memory")
    app = create_app(settings, private=PrivateStore(data / "private.sqlite3"))
    import_territories(settings, "reunion", app.extensions["communecter"].store)

    class Site:
        pass

    site = Site()
    site.app, site.client = app, app.test_client()
    yield site
    import shutil

    shutil.rmtree(data)


def test_the_address_is_not_left_in_the_database_file(disk_site) -> None:
    site = disk_site
    sign_up_and_contribute(site)
    data_dir = platform_of(site).settings.data_dir
    files = [data_dir / "private.sqlite3", data_dir / "private.sqlite3-wal"]
    assert any(ADDRESS.encode() in f.read_bytes() for f in files if f.exists())
    assert delete(site, "delete").status_code == 302
    for path in data_dir.rglob("*"):
        if path.is_file():
            assert ADDRESS.encode() not in path.read_bytes(), path
    for path in files:
        if path.exists():  # her private field, overwritten rather than left in free pages
            assert b"secourisme" not in path.read_bytes(), path


def test_account_ids_are_never_given_again_even_in_older_data(tmp_path: Path) -> None:
    """A data directory made when accounts.id could be reused is migrated once."""
    import sqlite3

    from store.accounts import Accounts
    from store.private import PrivateStore

    path = tmp_path / "private.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE "
                   "COLLATE NOCASE, actor TEXT NOT NULL UNIQUE, commune TEXT NOT NULL, "
                   "password_hash TEXT, locale TEXT NOT NULL DEFAULT 'fr', is_admin INTEGER "
                   "NOT NULL DEFAULT 0, settings TEXT NOT NULL DEFAULT '{}', created TEXT NOT "
                   "NULL, confirmed TEXT)")
        db.execute("INSERT INTO accounts (email, actor, commune, created) VALUES "
                   "('a@example.org', 'a', 'c', 'now'), ('b@example.org', 'b', 'c', 'now')")
    accounts = Accounts(PrivateStore(path))
    assert accounts.by_email("A@example.org").id == 1
    accounts.delete(accounts.by_email("b@example.org").id)
    assert accounts.create("c@example.org", "c", "c").id == 3
    assert Accounts(PrivateStore(path)).by_id(3).email == "c@example.org"  # once only
