"""Discovery as fediverse servers do it, against the production server: WebFinger for
acct: handles and actor URLs (round-tripping to the same actor, handle clashes included),
host-meta, and NodeInfo 2.1 whose figures follow what people do."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html import unescape

import pytest
import requests

from tests.accounts_support import link_in, path_of, wait_for_mail
from tests.ap_support import Browser, Instance, give_password, start_instance, webfinger
from tests.conftest import stop_server

pytestmark = pytest.mark.server

SELF = "application/activity+json"


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    data = tmp_path_factory.mktemp("ap-discovery") / "data"
    data.mkdir()
    running = start_instance(data, ("alice", "velo", "fr"))
    try:
        yield running
    finally:
        stop_server(running.server)


def _round_trip(instance: Instance, handle: str) -> str:
    """acct: → JRD → actor document → preferredUsername@host → the same actor."""
    answer = webfinger(instance, f"acct:{handle}@{instance.host}")
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("application/jrd+json")
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    jrd = answer.json()
    assert jrd["subject"] == f"acct:{handle}@{instance.host}"
    (link,) = [x for x in jrd["links"] if x["rel"] == "self"]
    assert link["type"] == SELF
    actor = instance.as2(link["href"])
    assert jrd["aliases"] == [actor["id"]]
    again = webfinger(instance, f"acct:{actor['preferredUsername']}@{instance.host}").json()
    assert [x["href"] for x in again["links"] if x["rel"] == "self"] == [actor["id"]]
    by_url = webfinger(instance, actor["id"]).json()
    assert by_url["subject"] == jrd["subject"]
    return actor["id"]


def test_handles_round_trip_for_every_kind_of_actor(instance: Instance) -> None:
    base = instance.base
    org = instance.create("alice", "organizations", f"""
        <> a cc:Association ; as:name "Les Jardins" ;
           cc:territory <{base}/territories/97411> .""", slug="jardins")
    project = instance.create("alice", "projects", f"""
        <> a cc:Project ; as:name "Compost" ;
           cc:territory <{base}/territories/97411> .""", slug="compost")
    assert _round_trip(instance, "alice") == instance.people["alice"]
    assert _round_trip(instance, "jardins") == org
    assert _round_trip(instance, "compost") == project
    assert _round_trip(instance, "97411") == f"{base}/territories/97411"
    assert _round_trip(instance, "region-04") == f"{base}/territories/region-04"
    assert _round_trip(instance, "instance.actor") == f"{base}/actor"
    # the country's code is upper case; handles are looked up case-insensitively
    assert _round_trip(instance, "FR") == f"{base}/territories/FR"
    lower = webfinger(instance, f"acct:fr@{instance.host}").json()
    assert lower["aliases"] == [f"{base}/territories/FR"]


def test_a_slug_shared_by_a_person_and_an_organization_gives_two_handles(
        instance: Instance) -> None:
    """The older actor keeps the bare slug; the other is `{slug}.org` (documented in
    federation/actors.py), and both round-trip."""
    org = instance.create("alice", "organizations", f"""
        <> a cc:Association ; as:name "Vélo club" ;
           cc:territory <{instance.base}/territories/97411> .""", slug="velo")
    assert org.endswith("/organizations/velo")
    assert _round_trip(instance, "velo") == instance.people["velo"]
    assert _round_trip(instance, "velo.org") == org
    assert instance.as2(org)["preferredUsername"] == "velo.org"
    # handles compare case-insensitively: the country FR keeps "FR", the person is "fr.person"
    assert _round_trip(instance, "fr.person") == instance.people["fr"]
    assert _round_trip(instance, "FR") == f"{instance.base}/territories/FR"
    alias = webfinger(instance, f"acct:velo.person@{instance.host}").json()
    assert alias["subject"] == f"acct:velo@{instance.host}"  # the canonical handle
    assert alias["aliases"] == [instance.people["velo"]]


def test_the_jrd_links_the_profile_page_and_the_remote_follow_template(
        instance: Instance) -> None:
    jrd = webfinger(instance, f"acct:alice@{instance.host}").json()
    links = {link["rel"]: link for link in jrd["links"]}
    assert links["http://webfinger.net/rel/profile-page"]["href"] == instance.people["alice"]
    assert links["http://webfinger.net/rel/profile-page"]["type"] == "text/html"
    template = links["http://ostatus.org/schema/1.0/subscribe"]["template"]
    assert template == f"{instance.base}/authorize_interaction?uri={{uri}}"
    only_self = requests.get(f"{instance.base}/.well-known/webfinger", timeout=30,
                             params={"resource": f"acct:alice@{instance.host}", "rel": "self"})
    assert [link["rel"] for link in only_self.json()["links"]] == ["self"]


@pytest.mark.parametrize("resource", [
    "acct:nobody@{host}", "acct:alice@elsewhere.example", "acct:alice@127.0.0.1:1",
    "{base}/persons/nobody", "https://elsewhere.example/persons/alice", "{base}/posts/x",
    "acct:bad/handle@{host}", "acct:alice.spaceship@{host}",
])
def test_unknown_handles_are_not_found(instance: Instance, resource: str) -> None:
    answer = webfinger(instance, resource.format(host=instance.host, base=instance.base))
    assert answer.status_code == 404
    assert answer.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("resource", ["", "alice", "acct:alice", "acct:@{host}", "acct:alice@",
                                      "mailto:alice@{host}"])
def test_malformed_resources_are_bad_requests(instance: Instance, resource: str) -> None:
    answer = webfinger(instance, resource.format(host=instance.host))
    assert answer.status_code == 400
    assert answer.json()["status"] == 400
    missing = requests.get(f"{instance.base}/.well-known/webfinger", timeout=30)
    assert missing.status_code == 400


@pytest.mark.parametrize("resource", [
    "acct:" + "a" * 3000 + "@{host}", "acct:a@b@{host}", "acct:é@{host}", "acct:\u0000@{host}",
    "{base}/persons/%00", "{base}/persons/a b", "{base}/persons/", "http://[::1/x",
    "acct:alice@{host}/../../etc", "{base}/territories/97411/followers",
])
def test_hostile_resources_get_a_clear_4xx(instance: Instance, resource: str) -> None:
    answer = webfinger(instance, resource.format(host=instance.host, base=instance.base))
    assert answer.status_code in (400, 404), answer.text[:200]
    assert answer.json()["status"] == answer.status_code


def test_hostile_activitystreams_paths_get_a_clear_4xx(instance: Instance) -> None:
    for path in ("/persons/%00", "/persons/a%20b", "/persons/alice/followers?page=%00",
                 "/territories/%2e%2e", "/posts/x/replies", "/persons/alice/outbox?page=1e3"):
        answer = instance.get(path)
        assert 400 <= answer.status_code < 500, (path, answer.status_code)


def test_host_meta_points_to_webfinger(instance: Instance) -> None:
    answer = requests.get(f"{instance.base}/.well-known/host-meta", timeout=30)
    assert answer.headers["Content-Type"].startswith("application/xrd+xml")
    link = ET.fromstring(answer.content).find("{http://docs.oasis-open.org/ns/xri/xrd-1.0}Link")
    assert link is not None and link.get("rel") == "lrdd"
    template = link.get("template")
    assert template == f"{instance.base}/.well-known/webfinger?resource={{uri}}"
    as_json = requests.get(f"{instance.base}/.well-known/host-meta.json", timeout=30).json()
    assert as_json["links"] == [{"rel": "lrdd", "template": template}]
    handle = template.replace("{uri}", f"acct:alice@{instance.host}")
    assert requests.get(handle, timeout=30).json()["aliases"] == [instance.people["alice"]]


def _nodeinfo(instance: Instance) -> dict:
    links = requests.get(f"{instance.base}/.well-known/nodeinfo", timeout=30).json()["links"]
    (link,) = [x for x in links
               if x["rel"] == "http://nodeinfo.diaspora.software/ns/schema/2.1"]
    answer = requests.get(link["href"], timeout=30)
    assert answer.status_code == 200
    assert "nodeinfo.diaspora.software/ns/schema/2.1" in answer.headers["Content-Type"]
    return answer.json()


def _sign_up(instance: Instance, email: str) -> None:
    http = requests.Session()
    http.headers["Accept"] = "text/html"
    form = http.get(f"{instance.base}/signup", timeout=30).text
    token = unescape(re.search(r'name="csrf_token" value="([^"]+)"', form).group(1))
    answer = http.post(f"{instance.base}/signup", timeout=30, data={
        "csrf_token": token, "email": email, "postal_code": "97400"})
    assert answer.status_code == 200, answer.text[:300]
    message = wait_for_mail(instance.server.data_dir, email, timeout=20)
    confirmed = http.get(instance.base + path_of(link_in(message)), timeout=30)
    assert confirmed.status_code == 200


def test_nodeinfo_tells_what_runs_here_and_how_much_it_is_used(instance: Instance) -> None:
    before = _nodeinfo(instance)
    assert before["version"] == "2.1"
    assert before["software"]["name"] == "communecter"
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", before["software"]["version"])
    assert before["protocols"] == ["activitypub"]
    assert before["openRegistrations"] is True
    assert set(before["usage"]["users"]) == {"total", "activeMonth", "activeHalfyear"}
    assert isinstance(before["metadata"], dict)

    _sign_up(instance, "marie@example.org")
    after = _nodeinfo(instance)
    for figure in ("total", "activeMonth", "activeHalfyear"):
        assert after["usage"]["users"][figure] == before["usage"]["users"][figure] + 1

    browser = Browser(instance.base, give_password(instance, "alice"))
    browser.write("Une nouvelle de Saint-Denis", instance.people["alice"])
    posted = _nodeinfo(instance)
    assert posted["usage"]["localPosts"] == after["usage"]["localPosts"] + 1
    older = requests.get(f"{instance.base}/nodeinfo/2.0", timeout=30).json()
    assert older["version"] == "2.0" and older["usage"] == posted["usage"]
