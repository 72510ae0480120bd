"""Neighbourhoods are drawn by the commune's administrators, and become territories."""

from __future__ import annotations

from rdflib import Graph, URIRef

from ontology import CC
from tests.elements_support import BASE, COMMUNE, create, make_site, make_user

FORM = "/territories/97411/neighbourhoods/new"


def _mairie(site, admin) -> str:
    graph_iri = create(site, admin.actor, "organizations", "mairie-saint-denis",
                       CC.PublicAuthority, "Mairie de Saint-Denis")
    from federation.activities import Activity

    found = site.platform.store.graph(graph_iri)
    graph = Graph().parse(data=found, format="nt")
    graph.add((URIRef(graph_iri), CC.governs, URIRef(COMMUNE)))
    for predicate in ("http://purl.org/dc/terms/modified",):
        graph.remove((URIRef(graph_iri), URIRef(predicate), None))
    site.platform.activities.apply(Activity("Update", admin.actor, graph_iri, graph))
    return graph_iri


def test_the_commune_admins_draw_a_neighbourhood(tmp_path) -> None:
    site = make_site(tmp_path)
    admin = make_user(site, "maire")
    _mairie(site, admin)
    answer = admin.post(FORM, {"name": "Le Chaudron", "summary": "Rue du Chaudron, cité",
                               "lat": "-20.8954", "long": "55.4960"})
    assert answer.status_code == 302
    iri = f"{BASE}/territories/97411-le-chaudron"
    assert answer.headers["Location"].endswith("/territories/97411-le-chaudron")
    turtle = admin.get(iri[len(BASE):], headers={"Accept": "text/turtle"})
    graph = Graph().parse(data=turtle.data, format="turtle")
    assert (URIRef(iri), CC.partOf, URIRef(COMMUNE)) in graph
    page = admin.get(iri[len(BASE):], headers={"Accept": "text/html"})
    assert page.status_code == 200 and "Le Chaudron" in page.get_data(as_text=True)
    commune = admin.get("/territories/97411", headers={"Accept": "text/html"})
    assert "Le Chaudron" in commune.get_data(as_text=True)
    assert "/territories/97411/neighbourhoods/new" in commune.get_data(as_text=True)


def test_anyone_else_is_refused_and_nothing_is_written(tmp_path) -> None:
    site = make_site(tmp_path)
    admin, neighbour = make_user(site, "maire"), make_user(site, "voisin")
    _mairie(site, admin)
    before = b"".join(site.platform.store.dump("application/n-quads"))
    answer = neighbour.post(FORM, {"name": "Mon quartier"})
    assert answer.status_code == 403
    assert "Seuls les administrateurs de la mairie" in answer.get_data(as_text=True)
    assert b"".join(site.platform.store.dump("application/n-quads")) == before
    assert neighbour.post("/territories/99999/neighbourhoods/new",
                          {"name": "X"}).status_code == 404


def test_a_name_is_required(tmp_path) -> None:
    site = make_site(tmp_path)
    admin = make_user(site, "maire")
    _mairie(site, admin)
    answer = admin.post(FORM, {"name": "  "})
    assert answer.status_code == 422
