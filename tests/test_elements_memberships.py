"""Roles, invitations, join requests and approvals, leaving; attendance; follows; the
official badge of public authorities. Through the forms, with what RDF and SPARQL say."""

from __future__ import annotations

import html

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from ontology import AS, CC, ORG, SCHEMA
from store.memberships import PendingMemberships
from tests.elements_support import (
    BASE,
    COMMUNE,
    apply,
    create,
    make_site,
    make_user,
    member_of,
    snapshot,
)
from tests.elements_support import text as raw_text


def text(response) -> str:
    return html.unescape(raw_text(response))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return make_site(tmp_path_factory.mktemp("memberships"))


def roles(site, group: str) -> dict[str, str]:
    """person → role, as the public member list (W3C ORG) says."""
    found = site.platform.store.graph(group + "/members")
    if found is None:
        return {}
    graph = Graph().parse(data=found, format="nt")
    names = {CC.AdminRole: "admin", CC.ContributorRole: "contributor", CC.MemberRole: "member"}
    return {str(graph.value(m, ORG.member)): names[graph.value(m, ORG.role)]
            for m in graph.subjects(RDF.type, ORG.Membership)}


def page(user, path: str) -> str:
    return text(user.get(path, headers={"Accept": "text/html"}))


def test_join_request_approved_by_an_admin(site) -> None:
    ana, ben = make_user(site, "ana", name="Ana"), make_user(site, "ben", name="Ben")
    org = create(site, ana.actor, "organizations", "jr-asso", CC.Association, "JR Asso")
    assert roles(site, org) == {ana.actor: "admin"}
    assert "Demander à rejoindre" in page(ben, "/organizations/jr-asso")

    response = ben.post("/organizations/jr-asso/join")
    assert response.status_code == 303
    assert roles(site, org) == {ana.actor: "admin"}  # nothing public yet
    public = snapshot(site)[0]
    assert not [quad for quad in public if ben.actor in quad and "jr-asso" in quad]
    assert "Votre demande attend" in page(ben, "/organizations/jr-asso")
    assert ben.post("/organizations/jr-asso/join").status_code == 409
    admin_view = page(ana, "/organizations/jr-asso")
    assert "demande à rejoindre" in admin_view and "Ben" in admin_view

    response = ana.post("/organizations/jr-asso/accept", {"person": ben.actor,
                                                          "role": "contributor"})
    assert response.status_code == 303
    assert roles(site, org) == {ana.actor: "admin", ben.actor: "contributor"}
    assert "Vous êtes contributeur·rice." in page(ben, "/organizations/jr-asso")
    assert PendingMemberships(site.platform.private).get(org, ben.actor) is None


def test_request_rejected_or_withdrawn(site) -> None:
    ana, cleo = make_user(site, "ana"), make_user(site, "cleo")
    org = create(site, ana.actor, "organizations", "rw-asso", CC.Association, "RW")
    cleo.post("/organizations/rw-asso/join")
    assert ana.post("/organizations/rw-asso/reject", {"person": cleo.actor}).status_code == 303
    assert PendingMemberships(site.platform.private).get(org, cleo.actor) is None
    cleo.post("/organizations/rw-asso/join")
    assert cleo.post("/organizations/rw-asso/leave").status_code == 303  # withdraws
    assert PendingMemberships(site.platform.private).get(org, cleo.actor) is None
    assert roles(site, org) == {ana.actor: "admin"}


def test_invitation_accepted_declined_and_roles(site) -> None:
    ana, dan, eve = (make_user(site, h) for h in ("ana", "dan", "eve"))
    org = create(site, ana.actor, "projects", "inv-projet", CC.Project, "Projet")
    assert ana.post("/projects/inv-projet/invite", {"person": "dan",
                                                    "role": "admin"}).status_code == 303
    assert ana.post("/projects/inv-projet/invite", {"person": "@eve"}).status_code == 303
    dan_view = page(dan, "/projects/inv-projet")
    assert "Vous êtes invité·e à rejoindre ce groupe comme administrateur·rice." in dan_view
    assert dan.post("/projects/inv-projet/accept").status_code == 303
    assert eve.post("/projects/inv-projet/reject").status_code == 303
    assert roles(site, org) == {ana.actor: "admin", dan.actor: "admin"}
    assert eve.post("/projects/inv-projet/accept").status_code == 404  # no invitation left

    # the new admin edits the project (editors provider), through the form and LDP
    form = {"name": "Projet renommé", "territory": "97411", "stage": "started"}
    assert dan.post("/projects/inv-projet/edit", form).status_code == 303
    current = dan.client.get("/projects/inv-projet", headers={"Accept": "text/turtle"})
    assert "Projet renommé" in current.get_data(as_text=True)
    patched = dan.client.patch(
        "/projects/inv-projet", data=f'INSERT DATA {{ <{org}> <{AS.summary}> "Par LDP" }}',
        headers={**dan.auth(), "If-Match": current.headers["ETag"],
                 "Content-Type": "application/sparql-update"})
    assert patched.status_code == 204
    # the member list survives the graph of the project being replaced
    assert roles(site, org) == {ana.actor: "admin", dan.actor: "admin"}

    # an admin may remove another; the creator stays; the last admin cannot go
    assert dan.post("/projects/inv-projet/remove", {"person": ana.actor}).status_code == 409
    assert ana.post("/projects/inv-projet/leave").status_code == 409
    assert ana.post("/projects/inv-projet/remove", {"person": dan.actor}).status_code == 303
    assert roles(site, org) == {ana.actor: "admin"}
    assert dan.post("/projects/inv-projet/edit", form).status_code == 403


def test_join_with_a_pending_invitation_and_leaving(site) -> None:
    ana, fred = make_user(site, "ana"), make_user(site, "fred")
    org = create(site, ana.actor, "organizations", "jl-asso", CC.Association, "JL")
    ana.post("/organizations/jl-asso/invite", {"person": fred.actor, "role": "contributor"})
    assert fred.post("/organizations/jl-asso/join").status_code == 303
    assert roles(site, org)[fred.actor] == "contributor"
    assert fred.post("/organizations/jl-asso/leave").status_code == 303
    assert fred.actor not in roles(site, org)
    assert fred.post("/organizations/jl-asso/leave").status_code == 409
    # an invitation to someone who asked to join approves the request
    fred.post("/organizations/jl-asso/join")
    assert ana.post("/organizations/jl-asso/invite", {"person": "fred"}).status_code == 303
    assert roles(site, org)[fred.actor] == "member"


def test_memberships_are_w3c_org_found_by_sparql(site) -> None:
    ana, gus = make_user(site, "ana"), make_user(site, "gus")
    org = create(site, ana.actor, "organizations", "sq-asso", CC.Association, "SQ")
    member_of(site, org, ana.actor, gus.actor, "member")
    query = f"""PREFIX org: <http://www.w3.org/ns/org#>
        SELECT ?person ?role WHERE {{
          GRAPH <{org}/members> {{
            ?m a org:Membership ; org:organization <{org}> ; org:member ?person ; org:role ?role
          }} }} ORDER BY ?person"""
    response = gus.client.get("/sparql", query_string={"query": query},
                              headers={"Accept": "application/sparql-results+json"})
    rows = response.get_json()["results"]["bindings"]
    assert [(r["person"]["value"], r["role"]["value"]) for r in rows] == [
        (ana.actor, str(CC.AdminRole)), (gus.actor, str(CC.MemberRole))]
    listing = page(gus, "/organizations/sq-asso")
    assert "Membres (2)" in listing and "Vous êtes membre." in listing


def test_attending_an_event_within_its_capacity(site) -> None:
    ana, hugo, ines = (make_user(site, h) for h in ("ana", "hugo", "ines"))
    event = create(site, ana.actor, "events", "at-atelier", CC.Event, "Atelier",
                   capacity=Literal(2))
    assert "2 places restantes" in page(hugo, "/events/at-atelier")
    assert hugo.post("/events/at-atelier/join").status_code == 303
    assert hugo.post("/events/at-atelier/join").status_code == 409
    assert ines.post("/events/at-atelier/join").status_code == 303
    assert "Complet" in page(ana, "/events/at-atelier")
    assert ana.post("/events/at-atelier/join").status_code == 409
    graph = Graph().parse(data=site.platform.store.graph(event + "/attendees"), format="nt")
    assert set(graph.objects(URIRef(event), SCHEMA.attendee)) == {URIRef(hugo.actor),
                                                                  URIRef(ines.actor)}
    assert ines.post("/events/at-atelier/leave").status_code == 303
    assert ines.post("/events/at-atelier/leave").status_code == 409
    assert ana.post("/events/at-atelier/join").status_code == 303
    turtle = ana.client.get("/events/at-atelier/attendees", headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200
    assert hugo.actor in turtle.get_data(as_text=True)


def test_following_anything_with_a_list_on_the_followers_side(site) -> None:
    ana, jo = make_user(site, "ana", name="Ana"), make_user(site, "jo", name="Jo")
    org = create(site, ana.actor, "organizations", "fo-asso", CC.Association, "FO Asso")
    event = create(site, ana.actor, "events", "fo-fete", CC.Event, "FO Fête")
    project = create(site, ana.actor, "projects", "fo-projet", CC.Project, "FO Projet")
    for path in ("/organizations/fo-asso", "/events/fo-fete", "/projects/fo-projet",
                 "/persons/ana", "/territories/97411"):
        assert jo.post(f"{path}/follow").status_code == 303, path
    assert jo.post("/persons/ana/follow").status_code == 409
    assert jo.post("/persons/jo/follow").status_code == 422  # not oneself
    assert "1 abonné·e" in page(ana, "/organizations/fo-asso")
    assert "Ne plus suivre" in page(jo, "/organizations/fo-asso")

    following = page(jo, "/persons/jo/following")
    for name in ("FO Asso", "FO Fête", "FO Projet", "Ana", "Saint-Denis"):
        assert name in following
    turtle = jo.client.get("/persons/jo/following", headers={"Accept": "text/turtle"})
    graph = Graph().parse(data=turtle.get_data(as_text=True), format="turtle")
    items = set(graph.objects(URIRef(jo.actor + "/following"), AS.items))
    assert items == {URIRef(i) for i in (org, event, project, ana.actor, COMMUNE)}
    followers = jo.client.get("/territories/97411/followers", headers={"Accept": "text/turtle"})
    assert jo.actor in followers.get_data(as_text=True)

    assert jo.post("/organizations/fo-asso/unfollow").status_code == 303
    assert jo.post("/organizations/fo-asso/unfollow").status_code == 409
    assert "0 abonné" in page(ana, "/organizations/fo-asso")
    assert "FO Asso" not in page(jo, "/persons/jo/following")


def test_official_badge_after_an_instance_administrator_verifies(site) -> None:
    mayor = make_user(site, "mayor")
    root = make_user(site, "root", is_admin=True)
    created = mayor.post("/organizations/new", {"kind": "publicauthority",
                                                "name": "Mairie de Sainte-Marie",
                                                "territory": "97418"})
    path = created.headers["Location"]
    iri = BASE + path
    assert "Collectivité en attente de vérification." in page(mayor, path)
    assert mayor.get("/admin/verifications").status_code == 403
    waiting = root.get("/admin/verifications")
    assert waiting.status_code == 200 and "Mairie de Sainte-Marie" in text(waiting)
    before = snapshot(site)
    assert mayor.post(f"{path}/verify").status_code == 403
    assert snapshot(site) == before

    verified = root.post(f"{path}/verify", {"next": "/admin/verifications"})
    assert verified.status_code == 303 and verified.headers["Location"] == "/admin/verifications"
    graph = Graph().parse(data=site.platform.store.graph(iri), format="nt")
    assert (URIRef(iri), CC.verified, Literal(True)) in graph
    assert "Officiel" in page(mayor, path)
    # the authority's admins edit it; the badge stays (server-managed)
    edited = mayor.post(f"{path}/edit", {"kind": "publicauthority", "name": "Mairie",
                                         "territory": "97418", "etag": ""})
    assert edited.status_code == 303
    graph = Graph().parse(data=site.platform.store.graph(iri), format="nt")
    assert (URIRef(iri), CC.verified, Literal(True)) in graph
    # withdrawn, and only public authorities get it
    assert root.post(f"{path}/verify", {"verified": "false"}).status_code == 303
    graph = Graph().parse(data=site.platform.store.graph(iri), format="nt")
    assert (URIRef(iri), CC.verified, None) not in graph
    create(site, mayor.actor, "organizations", "vb-asso", CC.Association, "Asso")
    assert root.post("/organizations/vb-asso/verify").status_code == 422


def test_activities_work_without_the_ui(site) -> None:
    """The same rules apply to whatever builds the activity (LDP clients, inboxes)."""
    ana, kim = make_user(site, "ana"), make_user(site, "kim")
    org = create(site, ana.actor, "organizations", "api-asso", CC.Association, "API")
    apply(site, "Join", kim.actor, org)
    apply(site, "Accept", ana.actor, org, target=kim.actor)
    assert roles(site, org)[kim.actor] == "member"
    apply(site, "Follow", kim.actor, org)
    apply(site, "Undo", kim.actor, org, content="Follow")
    assert site.platform.store.graph(kim.actor + "/following") is not None


def test_notifications_for_invitations_requests_and_follows(site) -> None:
    notifications = pytest.importorskip("store.notifications")
    pytest.importorskip("web.ui.notifications")
    ana, lou, max_ = (make_user(site, h) for h in ("ana", "lou", "max"))
    org = create(site, ana.actor, "organizations", "no-asso", CC.Association, "Notif")
    ana.post("/organizations/no-asso/invite", {"person": "lou"})
    max_.post("/organizations/no-asso/join")
    lou.post("/persons/ana/follow")
    store = notifications.Notifications(site.platform.private)
    assert ("invite", ana.actor, org) in {(n.kind, n.actor, n.object)
                                          for n in store.latest(lou.actor)}
    told = {(n.kind, n.actor, n.object) for n in store.latest(ana.actor)}
    assert ("join_request", max_.actor, org) in told
    assert ("follow", lou.actor, ana.actor) in told


def test_a_deleted_person_leaves_every_list(site) -> None:
    ana, zoe = make_user(site, "ana"), make_user(site, "zoe")
    org = create(site, ana.actor, "organizations", "del-asso", CC.Association, "Del")
    event = create(site, ana.actor, "events", "del-fete", CC.Event, "Del fête")
    member_of(site, org, ana.actor, zoe.actor, "admin")
    apply(site, "Join", zoe.actor, event)
    apply(site, "Follow", zoe.actor, org)
    apply(site, "Follow", ana.actor, zoe.actor)
    other = create(site, ana.actor, "projects", "del-projet", CC.Project, "Projet")
    apply(site, "Join", zoe.actor, other)  # pending
    apply(site, "Delete", zoe.actor, zoe.actor)
    public = "\n".join(snapshot(site)[0])
    assert not [quad for quad in public.splitlines()  # only zoe's tombstone names zoe
                if zoe.actor in quad and not quad.endswith(f"<{zoe.actor}> .")]
    assert roles(site, org) == {ana.actor: "admin"}
    assert PendingMemberships(site.platform.private).for_person(zoe.actor) == []
    assert site.platform.store.graph(f"{ana.actor}/following") is not None
    assert zoe.actor not in site.platform.store.graph(f"{ana.actor}/following")
    assert site.platform.store.graph(f"{zoe.actor}/following") is None
    assert site.platform.store.graph(f"{zoe.actor}/followers") is None


def test_a_person_page_has_its_follow_button(site) -> None:
    pia, lou = make_user(site, "pia", name="Pia"), make_user(site, "lou", name="Lou")
    before = page(lou, "/persons/pia")
    assert 'action="/persons/pia/follow"' in before and "Suivre" in before
    assert 'action="/persons/lou/follow"' not in page(lou, "/persons/lou")  # not oneself
    assert lou.post("/persons/pia/follow").status_code == 303
    after = page(lou, "/persons/pia")
    assert 'action="/persons/pia/unfollow"' in after and "Ne plus suivre" in after
    assert lou.actor in page(pia, "/persons/pia/followers") or "Lou" in page(
        pia, "/persons/pia/followers")
    assert lou.post("/persons/pia/unfollow").status_code == 303
    assert 'action="/persons/pia/follow"' in page(lou, "/persons/pia")
