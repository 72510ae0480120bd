import requests


def test_smoke(server):
    base = server.base_url
    ttl = f"""@prefix cc: <https://w3id.org/communecter/ns#> .
@prefix as: <https://www.w3.org/ns/activitystreams#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<> a cc:Event ; as:name "Fête" ; as:startTime "2026-12-20T18:00:00+04:00"^^xsd:dateTime ;
  cc:territory <{base}/territories/97411> .
"""
    r = requests.post(base + "/events/", data=ttl.encode(), headers={"Content-Type": "text/turtle", "Slug": "smoke", **server.auth()})
    print(r.status_code, dict(r.headers), r.text)
    loc = r.headers["Location"]
    for accept in ("", "text/turtle", "application/ld+json", 'application/ld+json; profile="http://www.w3.org/ns/json-ld#expanded"', "application/n-triples", "application/rdf+xml", "text/html"):
        g = requests.get(loc, headers={"Accept": accept} if accept else {})
        print(accept, g.status_code, dict(g.headers), g.text[:600])
    g = requests.get(base + "/events/")
    print(g.status_code, dict(g.headers), g.text[:1500])
    o = requests.options(base + "/events/")
    print(o.status_code, dict(o.headers))
    g = requests.get(base + "/territories/97411")
    print(g.status_code, dict(g.headers), g.text[:1500])
    g = requests.get(base + "/territories/")
    print(g.status_code, dict(g.headers), g.text[:500])
