"""Plain GET queries are answered ahead of Flask (web/sparql.py `front`); every other form
goes through the blueprint. A client must not be able to tell the two apart."""

from __future__ import annotations

import time

import pytest
import requests
from flask import request_started

CC = "https://w3id.org/communecter/ns#"
ANDRE = f"""
PREFIX cc: <{CC}>
PREFIX as: <https://www.w3.org/ns/activitystreams#>
SELECT ?code WHERE {{ ?commune a cc:Commune ; cc:inseeCode ?code ; as:name "Saint-André" }}
"""
COMMUNE_GRAPH = f"""
PREFIX cc: <{CC}>
CONSTRUCT {{ ?c cc:inseeCode ?code }} WHERE {{ ?c a cc:Commune ; cc:inseeCode ?code }}
"""
SOLUTIONS = "application/sparql-results+json"

# (what the front answers, the same asked in a form only the blueprint answers)
PAIRS = {
    "solutions as JSON": ({"query": ANDRE}, {"Accept": SOLUTIONS},
                          {"Accept": SOLUTIONS + ";q=0.9"}),
    "no Accept at all": ({"query": ANDRE}, {"Accept": ""}, {"Accept": "*/*;q=0.8"}),
    "any type, as curl asks": ({"query": ANDRE}, {"Accept": "*/*"}, {"Accept": "*/*;q=0.8"}),
    "format=csv": ({"query": ANDRE, "format": "csv"}, {"Accept": ""}, {"Accept": "*/*;q=0.8"}),
    "a graph as Turtle": ({"query": COMMUNE_GRAPH}, {"Accept": "text/turtle"},
                          {"Accept": "text/turtle;q=1"}),
    "ASK as XML": ({"query": "ASK { ?s ?p ?o }"}, {"Accept": "application/sparql-results+xml"},
                   {"Accept": "application/sparql-results+xml, text/plain;q=0.1"}),
    "a syntax error": ({"query": "SELEC ?x WHERE {"}, {"Accept": SOLUTIONS},
                       {"Accept": SOLUTIONS + ";q=0.9"}),
    "an update as a query": ({"query": "DELETE WHERE { ?s ?p ?o }"}, {"Accept": SOLUTIONS},
                             {"Accept": SOLUTIONS + ";q=0.9"}),
    "SERVICE": ({"query": "SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"},
                {"Accept": ""}, {"Accept": "*/*;q=0.8"}),
    "bytes that are not UTF-8": ("query=ASK%20%7B%20%3Fs%20%3Fp%20%22%FF%22%20%7D",
                                 {"Accept": SOLUTIONS}, {"Accept": SOLUTIONS + ";q=0.9"}),
    "bytes that are not UTF-8, echoed": (
        "query=SELECT%20%3Fv%20%7B%20BIND(%22%FF%C3%A9%22%20AS%20%3Fv)%20%7D",
        {"Accept": SOLUTIONS}, {"Accept": SOLUTIONS + ";q=0.9"}),
}
COMPARED_HEADERS = ("Content-Type", "Access-Control-Allow-Origin", "Vary", "Retry-After")


@pytest.mark.parametrize("case", PAIRS, ids=list(PAIRS))
def test_the_front_answers_as_the_blueprint_does(server, case: str) -> None:
    params, plain, weighed = PAIRS[case]
    url = server.base_url + "/sparql"
    fast = requests.get(url, params=params, headers=plain, timeout=30)
    slow = requests.get(url, params=params, headers=weighed, timeout=30)
    assert (fast.status_code, fast.content) == (slow.status_code, slow.content)
    for name in COMPARED_HEADERS:
        assert fast.headers.get(name) == slow.headers.get(name), name
    if case == "solutions as JSON":  # a real answer, not two equal errors
        bindings = fast.json()["results"]["bindings"]
        assert [row["code"]["value"] for row in bindings] == ["97409"]
    if case == "bytes that are not UTF-8":
        assert fast.status_code == 200 and fast.json()["boolean"] is False


def test_only_the_plain_form_skips_flask(site) -> None:
    """The comparison above compares two paths: the plain query never reaches Flask's
    request handling, a query whose Accept must be weighed does."""
    started: list[str] = []

    def seen(sender: object, **extra: object) -> None:
        started.append("flask")

    with request_started.connected_to(seen, site.app):
        plain = site.client.get("/sparql", query_string={"query": "ASK {}"},
                                headers={"Accept": SOLUTIONS})
        assert plain.status_code == 200 and plain.json == {"head": {}, "boolean": True}
        assert started == []
        weighed = site.client.get("/sparql", query_string={"query": "ASK {}"},
                                  headers={"Accept": SOLUTIONS + ", */*;q=0.1"})
        assert weighed.status_code == 200 and weighed.json == plain.json
        assert started == ["flask"]
        site.client.get("/sparql")  # the service description is the blueprint's
        assert started == ["flask", "flask"]


def test_a_runaway_plain_query_gets_the_time_limit_problem(server) -> None:
    """The front stops a runaway query at the limit as the blueprint does (the session
    server's limit is 3 s), and tells a query tool what to do."""
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    began = time.monotonic()
    answer = requests.get(server.base_url + "/sparql", params={"query": runaway},
                          headers={"Accept": SOLUTIONS}, timeout=30)
    assert answer.status_code == 503 and time.monotonic() - began < 10
    assert answer.headers["Retry-After"] == "1"
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert "time limit (3 s)" in answer.text
