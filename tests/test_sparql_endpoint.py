"""The public SPARQL endpoint, through SPARQLWrapper, against the production server."""

from __future__ import annotations

import csv
import io
import threading
import time
import urllib.error
import xml.etree.ElementTree as ET

import pytest
import requests
from rdflib import Graph
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

CC = "https://w3id.org/communecter/ns#"
COMMUNES_OF_974 = f"""
PREFIX cc: <{CC}>
PREFIX as: <https://www.w3.org/ns/activitystreams#>
SELECT ?code ?name WHERE {{
  ?commune a cc:Commune ; cc:inseeCode ?code ; as:name ?name .
  FILTER(STRSTARTS(?code, "974"))
}} ORDER BY ?code
"""
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


def wrapper(server, fmt: str, method: str = "GET") -> SPARQLWrapper:
    client = SPARQLWrapper(server.base_url + "/sparql")
    client.setReturnFormat(fmt)
    client.setMethod(method)
    client.setTimeout(30)
    return client


@pytest.mark.parametrize("method", ["GET", POST])
def test_select_as_json_gives_the_24_communes(server, method):
    client = wrapper(server, JSON, method)
    client.setQuery(COMMUNES_OF_974)
    rows = client.query().convert()["results"]["bindings"]
    assert len(rows) == 24
    assert rows[0]["code"]["value"] == "97401"
    assert {"Saint-Denis", "Saint-Paul", "Saint-Pierre"} <= {r["name"]["value"] for r in rows}


def test_select_as_xml(server):
    client = wrapper(server, XML)
    client.setQuery(COMMUNES_OF_974)
    document = client.query().convert()
    names = [e.firstChild.data for e in document.getElementsByTagName("literal")]
    assert "Saint-Denis" in names and len(names) == 48


def test_select_as_csv(server):
    client = wrapper(server, CSV)
    client.setQuery(COMMUNES_OF_974)
    text = client.query().convert().decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 24 and rows[0]["code"] == "97401"


def test_select_as_tsv_has_unquoted_variable_names(server):
    client = wrapper(server, TSV)
    client.setQuery(COMMUNES_OF_974)
    lines = client.query().convert().decode().splitlines()
    assert lines[0].split("\t") == ["?code", "?name"]
    assert len(lines) == 25 and lines[1].startswith('"97401"')


def test_ask(server):
    client = wrapper(server, JSON)
    client.setQuery(f"ASK {{ ?c a <{CC}Commune> }}")
    assert client.query().convert()["boolean"] is True
    client = wrapper(server, XML)
    client.setQuery(f"ASK {{ ?c a <{CC}Nothing> }}")
    document = client.query().convert()
    assert document.getElementsByTagName("boolean")[0].firstChild.data == "false"


@pytest.mark.parametrize(("fmt", "syntax"), [(TURTLE, "turtle"), (JSONLD, "json-ld"),
                                             (N3, "turtle")])
def test_construct_in_each_graph_format(server, fmt, syntax):
    client = wrapper(server, fmt)
    client.setQuery(f"CONSTRUCT {{ ?c <{CC}inseeCode> ?code }} WHERE {{ "
                    f"?c a <{CC}Commune> ; <{CC}inseeCode> ?code }}")
    result = client.query()
    body = result.response.read()
    graph = Graph().parse(data=body, format=syntax)
    assert len(graph) == 24


def test_construct_as_ntriples(server):
    query = f"CONSTRUCT {{ ?c a <{CC}Commune> }} WHERE {{ ?c a <{CC}Commune> }}"
    response = requests.get(server.base_url + "/sparql", params={"query": query},
                            headers={"Accept": "application/n-triples"}, timeout=30)
    assert response.headers["Content-Type"].startswith("application/n-triples")
    assert len(Graph().parse(data=response.text, format="nt")) == 24


def test_describe(server):
    client = wrapper(server, TURTLE)
    client.setQuery(f"DESCRIBE <{server.base_url}/territories/97411>")
    graph = Graph().parse(data=client.query().response.read(), format="turtle")
    assert len(graph) > 3


def test_direct_post_of_a_query(server):
    response = requests.post(server.base_url + "/sparql", data=COMMUNES_OF_974.encode(),
                             headers={"Content-Type": "application/sparql-query",
                                      "Accept": "application/sparql-results+json"}, timeout=30)
    assert response.status_code == 200
    assert len(response.json()["results"]["bindings"]) == 24


def test_update_is_refused_with_a_clear_message(server):
    client = SPARQLWrapper(server.base_url + "/sparql")
    client.setMethod(POST)
    client.setQuery('INSERT DATA { GRAPH <urn:x> { <urn:a> <urn:b> "c" } }')
    with pytest.raises(urllib.error.HTTPError) as caught:
        client.query()
    assert caught.value.code == 403 and b"read-only" in caught.value.read()
    response = requests.post(server.base_url + "/sparql",
                             data='INSERT DATA { <urn:a> <urn:b> "c" }',
                             headers={"Content-Type": "application/sparql-update"}, timeout=30)
    assert response.status_code == 403 and "read-only" in response.text
    check = wrapper(server, JSON)
    check.setQuery("ASK { GRAPH ?g { <urn:a> ?p ?o } }")
    assert check.query().convert()["boolean"] is False


def test_syntax_error_is_a_400(server):
    client = wrapper(server, JSON)
    client.setQuery("SELECT ?x WHERE { ?x ?y }")
    with pytest.raises(QueryBadFormed):
        client.query()


def test_service_description_without_query(server):
    response = requests.get(server.base_url + "/sparql", headers={"Accept": "text/turtle"},
                            timeout=30)
    graph = Graph().parse(data=response.text, format="turtle")
    sd = "http://www.w3.org/ns/sparql-service-description#"
    assert any(str(o) == sd + "SPARQL11Query" for o in graph.objects())
    assert any(str(p) == sd + "endpoint" for p in graph.predicates())


def test_a_long_query_by_get_is_answered(server):
    """Query tools send queries of several kilobytes in the URL; the default request-line
    limit of the HTTP server (4 KB) would refuse them before the endpoint sees them."""
    codes = " ".join(f'"974{n:02d}"' for n in range(1, 25))
    padding = "\n".join(f"# {n:03d} " + "-" * 60 for n in range(75))
    text = COMMUNES_OF_974.replace('FILTER(STRSTARTS(?code, "974"))',
                                   f"VALUES ?code {{ {codes} }}\n{padding}")
    response = requests.get(server.base_url + "/sparql", params={"query": text},
                            headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert len(response.request.url) > 5000
    assert response.status_code == 200, response.text[:300]
    assert len(response.json()["results"]["bindings"]) == 24


def test_a_query_too_long_for_a_url_gets_a_4xx(server):
    text = "ASK {}\n" + "# too long for a URL\n" * 600
    response = requests.get(server.base_url + "/sparql", params={"query": text}, timeout=30)
    assert 400 <= response.status_code < 500
    posted = requests.post(server.base_url + "/sparql", data=text.encode(), timeout=30,
                           headers={"Content-Type": "application/sparql-query",
                                    "Accept": "application/sparql-results+json"})
    assert posted.json()["boolean"] is True


def test_methods_other_than_the_protocols_get_a_405_naming_them(server):
    for method in ("PUT", "DELETE", "PATCH"):
        response = requests.request(method, server.base_url + "/sparql", data="ASK {}",
                                    timeout=30)
        assert response.status_code == 405
        assert {"GET", "POST"} <= {m.strip() for m in response.headers["Allow"].split(",")}


def test_head_answers_like_get_without_a_body(server):
    response = requests.head(server.base_url + "/sparql", params={"query": "ASK {}"},
                             headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/sparql-results+json")
    assert response.content == b""


def test_a_description_in_no_offered_syntax_is_a_406(server):
    response = requests.get(server.base_url + "/sparql", headers={"Accept": "image/png"},
                            timeout=30)
    assert response.status_code == 406
    assert "text/turtle" in response.text


def test_cors_for_browser_query_tools(server):
    preflight = requests.options(server.base_url + "/sparql", headers={
        "Origin": "https://yasgui.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"}, timeout=30)
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    answer = requests.get(server.base_url + "/sparql", params={"query": "ASK {}"},
                          headers={"Origin": "https://yasgui.example"}, timeout=30)
    assert answer.headers["Access-Control-Allow-Origin"] == "*"


def test_private_data_is_not_visible(server):
    """Tokens exist (the fixture made two) but no triple anywhere mentions them."""
    client = wrapper(server, JSON)
    token = server.tokens["alice"]
    client.setQuery(f'ASK {{ GRAPH ?g {{ ?s ?p ?o FILTER(CONTAINS(STR(?o), "{token[:12]}")) }} }}')
    assert client.query().convert()["boolean"] is False
    client.setQuery("SELECT DISTINCT ?p WHERE { GRAPH ?g { ?s ?p ?o } }")
    predicates = {r["p"]["value"] for r in client.query().convert()["results"]["bindings"]}
    assert not [p for p in predicates if "token" in p.lower() or "password" in p.lower()]


def test_runaway_query_times_out_while_others_are_served(server):
    """The fixture's time limit is 3 s; the runaway query would take far longer."""
    outcome: dict[str, object] = {}

    def runaway() -> None:
        started = time.monotonic()
        client = wrapper(server, JSON)
        client.setQuery(RUNAWAY)
        try:
            client.query()
            outcome["error"] = None
        except urllib.error.HTTPError as error:
            outcome["error"] = f"{error.code} {error.read().decode()}"
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.5)
    served = []
    while thread.is_alive():
        response = requests.get(server.base_url + "/territories/97411", timeout=10)
        served.append(response.status_code)
        quick = wrapper(server, JSON)
        quick.setQuery(f"ASK {{ ?c a <{CC}Commune> }}")
        served.append(200 if quick.query().convert()["boolean"] else 500)
        time.sleep(0.2)
    thread.join()
    assert str(outcome["error"]).startswith("503") and "time limit" in str(outcome["error"])
    assert outcome["seconds"] < 10
    assert served and set(served) == {200}
    after = wrapper(server, JSON)
    after.setQuery(COMMUNES_OF_974)
    assert len(after.query().convert()["results"]["bindings"]) == 24


def test_results_xml_is_well_formed(server):
    response = requests.get(server.base_url + "/sparql", params={"query": COMMUNES_OF_974},
                            headers={"Accept": "application/sparql-results+xml"}, timeout=30)
    root = ET.fromstring(response.content)
    assert root.tag.endswith("sparql")
