"""Local actors as fediverse servers fetch them, from the production server over HTTP:
persons, organizations (a Group once members post through it), projects, territories and
the instance actor; their keys, their collections, and the same URI's other
representations."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from federation.actor_keys import ActorKeys
from federation.keys import load_public_key
from federation.signatures import SignatureMismatch, sign_request, verify_request
from store.accounts import Accounts
from tests.ap_support import (
    ACTIVITY_JSON,
    AS2,
    PUBLIC,
    Browser,
    Instance,
    give_password,
    start_instance,
    webfinger,
)
from tests.conftest import stop_server

pytestmark = pytest.mark.server

ICON = "https://images.example.org/alice.png"


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    data = tmp_path_factory.mktemp("ap-actors") / "data"
    data.mkdir()
    running = start_instance(data, ("alice", "bob", "carol"))
    try:
        alice = running.people["alice"]
        turtle = requests.get(alice, headers={"Accept": "text/turtle"}, timeout=30).text
        turtle += (f'\n<{alice}> <https://www.w3.org/ns/activitystreams#summary> '
                   f'"Jardinière à Saint-Denis" ; '
                   f"<https://www.w3.org/ns/activitystreams#icon> <{ICON}> .\n")
        put = requests.put(alice, data=turtle.encode(), timeout=30, headers={
            **running.server.auth("alice"), "Content-Type": "text/turtle"})
        assert put.status_code == 204, put.text
        yield running
    finally:
        stop_server(running.server)


def _org(instance: Instance, slug: str, name: str) -> str:
    return instance.create("alice", "organizations", f"""
        <> a cc:Association ; as:name "{name}" ;
           as:summary "Un atelier <script>alert(1)</script>vélo" ;
           as:url <https://{slug}.example.org/> ;
           cc:territory <{instance.base}/territories/97411> .""", slug=slug)


def test_a_person_is_an_actor_with_every_field(instance: Instance) -> None:
    alice = instance.people["alice"]
    answer = instance.get(alice)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith(ACTIVITY_JSON)
    assert "Accept" in answer.headers["Vary"]
    doc = answer.json()
    assert "https://www.w3.org/ns/activitystreams" in doc["@context"]
    assert "https://w3id.org/security/v1" in doc["@context"]
    assert doc["id"] == alice and doc["type"] == "Person"
    assert doc["preferredUsername"] == "alice"
    assert doc["name"].lower() == "alice"
    assert doc["summary"] == "<p>Jardinière à Saint-Denis</p>"
    assert doc["icon"] == {"type": "Image", "url": ICON}
    assert doc["url"] == alice
    for box in ("inbox", "outbox", "followers", "following"):
        assert doc[box] == f"{alice}/{box}"
    assert doc["endpoints"] == {"sharedInbox": f"{instance.base}/inbox"}
    assert doc["publicKey"]["id"] == f"{alice}#main-key"
    assert doc["publicKey"]["owner"] == alice
    assert doc["publicKey"]["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert doc["manuallyApprovesFollowers"] is False
    assert doc["discoverable"] is True


def test_manually_approving_followers_is_the_persons_choice(instance: Instance) -> None:
    accounts = Accounts(instance.private())
    account = accounts.create("carol@example.org", instance.people["carol"],
                              f"{instance.base}/territories/97411", confirmed=True)
    accounts.update(account.id, settings={"manually_approves_followers": True,
                                          "discoverable": False})
    doc = instance.as2(instance.people["carol"])
    assert doc["manuallyApprovesFollowers"] is True
    assert doc["discoverable"] is False


def test_the_published_key_verifies_what_the_actors_private_key_signs(
        instance: Instance) -> None:
    alice = instance.people["alice"]
    published = instance.as2(alice)["publicKey"]["publicKeyPem"]
    load_public_key(published)  # SPKI PEM that Mastodon and Fedify read
    private_pem, public_pem = ActorKeys(instance.private()).key_pair(alice)
    assert public_pem == published
    url = f"{instance.base}/inbox"
    body = b'{"type": "Follow"}'
    headers = sign_request("POST", url, {"Content-Type": ACTIVITY_JSON}, body,
                           f"{alice}#main-key", private_pem)
    verified = verify_request("POST", url, headers, body, lambda key_id: published)
    assert verified.key_id == f"{alice}#main-key"
    other = ActorKeys(instance.private()).key_pair(instance.people["bob"])[0]
    forged = sign_request("POST", url, {"Content-Type": ACTIVITY_JSON}, body,
                          f"{alice}#main-key", other)
    with pytest.raises(SignatureMismatch):
        verify_request("POST", url, forged, body, lambda key_id: published)


def _key_in_process(path: str, actor: str, queue: multiprocessing.Queue) -> None:
    from store.private import PrivateStore

    queue.put(ActorKeys(PrivateStore(Path(path))).key_pair(actor)[1])


def test_processes_asking_at_once_agree_on_one_key(instance: Instance) -> None:
    """Gunicorn workers and the delivery worker may all ask for a new actor's key at the
    same moment: they must all sign with the one key the actor document publishes."""
    project = instance.create("alice", "projects", f"""
        <> a cc:Project ; as:name "Jardin partagé" ;
           cc:territory <{instance.base}/territories/97411> .""")
    path = str(instance.server.data_dir / "private.sqlite3")
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    workers = [context.Process(target=_key_in_process, args=(path, project, queue))
               for _ in range(4)]
    for worker in workers:
        worker.start()
    keys = {queue.get(timeout=60) for _ in workers}
    for worker in workers:
        worker.join(30)
    assert len(keys) == 1
    assert instance.as2(project)["publicKey"]["publicKeyPem"] == keys.pop()


def test_organizations_projects_territories_and_the_instance_are_actors(
        instance: Instance) -> None:
    org = _org(instance, "atelier", "Atelier Vélo")
    doc = instance.as2(org)
    assert doc["type"] == "Organization"  # alice alone publishes in its name
    assert doc["preferredUsername"] == "atelier"
    assert doc["summary"].startswith("<p>Un atelier") and "<script" not in doc["summary"]
    assert doc["attachment"][0]["type"] == "PropertyValue"
    assert "https://atelier.example.org/" in doc["attachment"][0]["value"]
    assert doc["url"] == org and doc["publicKey"]["owner"] == org

    project = instance.create("alice", "projects", f"""
        <> a cc:Project ; as:name "Ruches" ; as:content "Des ruches sur le toit" ;
           cc:territory <{instance.base}/territories/97411> .""", slug="ruches")
    doc = instance.as2(project)
    assert (doc["type"], doc["preferredUsername"], doc["name"]) == ("Group", "ruches", "Ruches")

    commune = instance.as2("/territories/97411")
    assert (commune["type"], commune["preferredUsername"]) == ("Group", "97411")
    assert commune["name"] == "Saint-Denis" and "Commune" in commune["summary"]
    assert commune["followers"] == f"{instance.base}/territories/97411/followers"
    departement = instance.as2("/territories/departement-974")
    assert (departement["type"], departement["preferredUsername"]) == (
        "Group", "departement-974")

    machine = instance.as2("/actor")
    assert machine["id"] == f"{instance.base}/actor"
    assert machine["type"] == "Application"
    assert machine["preferredUsername"] == "instance.actor"
    assert machine["publicKey"]["id"] == f"{instance.base}/actor#main-key"
    assert machine["endpoints"]["sharedInbox"] == f"{instance.base}/inbox"
    for actor in (doc, commune, departement, machine):
        assert {"inbox", "outbox", "followers", "following", "publicKey"} <= set(actor)


def test_an_organization_whose_members_post_through_it_is_a_group(instance: Instance) -> None:
    org = _org(instance, "collectif", "Collectif des jardins")
    assert instance.as2(org)["type"] == "Organization"
    alice = Browser(instance.base, give_password(instance, "alice"))
    bob = Browser(instance.base, give_password(instance, "bob"))
    assert alice.post("/organizations/collectif/invite", person="bob",
                      role="contributor").status_code in (302, 303)
    assert bob.post("/organizations/collectif/join").status_code in (302, 303)
    assert instance.as2(org)["type"] == "Group"
    post = bob.write("Réunion du collectif jeudi", org)
    latest = instance.as2(f"{org}/outbox?page=1")["orderedItems"][0]
    assert (latest["type"], latest["actor"], latest["object"]) == ("Announce", org, post)


def test_the_same_uri_serves_html_turtle_json_ld_and_activitystreams(
        instance: Instance) -> None:
    alice = instance.people["alice"]
    html = requests.get(alice, headers={"Accept": "text/html"}, timeout=30)
    assert html.status_code == 200 and html.headers["Content-Type"].startswith("text/html")
    turtle = requests.get(alice, headers={"Accept": "text/turtle"}, timeout=30)
    assert turtle.headers["Content-Type"].startswith("text/turtle")
    assert "preferredUsername" in turtle.text
    linked = requests.get(alice, headers={"Accept": "application/ld+json"}, timeout=30)
    assert linked.headers["Content-Type"] == "application/ld+json"
    assert "publicKey" not in linked.text  # Linked Data clients get the RDF, not AS2
    profiled = requests.get(alice, timeout=30, headers={
        "Accept": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'})
    assert profiled.headers["Content-Type"].startswith("application/ld+json")
    assert "activitystreams" in profiled.headers["Content-Type"]
    assert profiled.json()["type"] == "Person"
    assert "Accept" in profiled.headers["Vary"]


def test_followers_and_following_are_paged_ordered_collections(instance: Instance) -> None:
    org = _org(instance, "potager", "Potager du quartier")
    bob = Browser(instance.base, give_password(instance, "bob"))
    assert bob.post("/organizations/potager/follow").status_code in (302, 303)
    followers = instance.as2(f"{org}/followers")
    assert followers["type"] == "OrderedCollection"
    assert followers["totalItems"] == 1
    assert followers["first"] == f"{org}/followers?page=1"
    page = instance.as2(followers["first"])
    assert page["type"] == "OrderedCollectionPage"
    assert page["partOf"] == f"{org}/followers"
    assert page["orderedItems"] == [instance.people["bob"]]
    assert "next" not in page
    following = instance.as2(instance.as2(instance.people["bob"])["following"] + "?page=1")
    assert org in following["orderedItems"]
    beyond = instance.as2(f"{org}/followers?page=2")
    assert beyond["orderedItems"] == [] and beyond["prev"] == f"{org}/followers?page=1"
    # the people's and the Linked Data representations of the list still work
    page_html = requests.get(f"{org}/followers", headers={"Accept": "text/html"}, timeout=30)
    assert page_html.status_code == 200 and "/persons/bob" in page_html.text
    turtle = requests.get(f"{org}/followers", headers={"Accept": "text/turtle"}, timeout=30)
    assert turtle.status_code == 200 and "/persons/bob" in turtle.text
    empty = instance.as2(f"{org}/following")
    assert (empty["type"], empty["totalItems"]) == ("OrderedCollection", 0)


def test_the_outbox_pages_what_an_actor_published_newest_first(instance: Instance) -> None:
    bob = instance.people["bob"]
    before = instance.as2(f"{bob}/outbox")["totalItems"]
    made = [instance.create("bob", "posts", f"""
        <> a cc:Post ; as:content "<p>Nouvelle {n}</p>" ; cc:wall <{bob}> ;
           as:attributedTo <{bob}> ; as:published "2030-01-{n + 1:02d}T10:00:00Z"^^xsd:dateTime ;
           cc:territory <{instance.base}/territories/97411> .""") for n in range(22)]
    outbox = instance.as2(f"{bob}/outbox")
    assert outbox["type"] == "OrderedCollection" and outbox["totalItems"] == before + 22
    first = instance.as2(outbox["first"])
    assert len(first["orderedItems"]) == 20
    newest = first["orderedItems"][0]
    assert newest["type"] == "Create" and newest["actor"] == bob
    assert newest["object"]["id"] == made[-1] and newest["object"]["type"] == "Note"
    assert newest["id"] == f"{made[-1]}#create"
    assert PUBLIC in newest["to"]
    second = instance.as2(first["next"])
    assert [a["object"]["id"] for a in second["orderedItems"]][:2] == [made[1], made[0]]
    assert second["prev"] == outbox["first"]
    commune = instance.as2(instance.as2("/territories/97411")["outbox"] + "?page=1")
    assert commune["orderedItems"][0]["type"] == "Announce"
    assert commune["orderedItems"][0]["actor"] == f"{instance.base}/territories/97411"


def test_unknown_actors_and_bad_pages_get_clear_answers(instance: Instance) -> None:
    assert instance.get("/persons/nobody").status_code == 404
    assert instance.get("/persons/nobody/outbox").status_code == 404
    assert instance.get("/territories/99999").status_code == 404
    for page in ("0", "-1", "x", "99999999999"):
        answer = instance.get(f"/persons/alice/outbox?page={page}")
        assert answer.status_code == 400, page
        assert answer.headers["Content-Type"] == "application/problem+json"


def test_no_secret_ever_appears_in_an_activitystreams_document(instance: Instance) -> None:
    """E-mails, password hashes and private keys live in the private store only."""
    private = instance.private()
    email = give_password(instance, "alice") if Accounts(private).by_actor(
        instance.people["alice"]) is None else "alice@example.org"
    account = Accounts(private).by_actor(instance.people["alice"])
    assert account is not None and account.password_hash
    private_pem = ActorKeys(private).key_pair(instance.people["alice"])[0].decode()
    secrets = [email, account.password_hash, private_pem.splitlines()[1], "PRIVATE KEY"]
    seen = []
    for who in ("alice", "bob", "carol"):
        actor = instance.as2(instance.people[who])
        seen.append(actor)
        for box in ("outbox", "followers", "following"):
            seen.append(instance.as2(actor[box]))
            seen.append(instance.as2(actor[box] + "?page=1"))
    seen.append(instance.as2("/actor"))
    seen.append(webfinger(instance, f"acct:alice@{instance.host}").json())
    seen.append(requests.get(f"{instance.base}/nodeinfo/2.1", timeout=30).json())
    text = str(seen)
    for secret in secrets:
        assert secret not in text
    assert all(requests.get(instance.people["alice"], headers=AS2, timeout=30).ok for _ in "x")
