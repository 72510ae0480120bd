"""Sign-up with an e-mail and a postal code, in process: the confirmation link creates the
citizen (the same resource LDP and SPARQL serve) and the account, once; bad input gets a
clear message and saves nothing."""

from __future__ import annotations

import pytest
from rdflib import Graph, URIRef

from tests.accounts_support import (
    JUJURIEUX,
    MULTI_POSTAL_CODE,
    csrf,
    link_in,
    load_postal_code,
    mail_files,
    mails_to,
    path_of,
    platform_of,
    text_of,
)
from tests.conftest import BASE

CC = "https://w3id.org/communecter/ns#"
AS = "https://www.w3.org/ns/activitystreams#"


def data_dir(site):
    return platform_of(site).settings.data_dir


def private_rows(site) -> str:
    """Everything in the private store, as SQL text."""
    return "\n".join(platform_of(site).private.connection().iterdump())


def signup(site, email: str, postal_code: str, commune: str | None = None, client=None):
    client = client or site.client
    data = {"csrf_token": csrf(client), "email": email, "postal_code": postal_code}
    if commune is not None:
        data["commune"] = commune
    return client.post("/signup", data=data)


def confirm(site, address: str, client=None):
    (message,) = mails_to(data_dir(site), address)[-1:]
    return (client or site.client).get(path_of(link_in(message)))


def test_signup_creates_the_citizen_and_lands_on_the_commune(site) -> None:
    page = signup(site, "Marie.Curie@Example.org", "97 400")
    assert page.status_code == 200
    assert "marie.curie@example.org" in page.get_data(as_text=True)
    (message,) = mail_files(data_dir(site))
    assert message["To"] == "marie.curie@example.org"
    assert message["Subject"] == "Confirmez votre inscription à Communecter"
    assert "Saint-Denis" in text_of(message)
    html = message.get_body(("html",)).get_content()
    assert link_in(message) in html
    assert platform_of(site).accounts.by_email("marie.curie@example.org") is None

    landing = confirm(site, "marie.curie@example.org")
    assert landing.status_code == 302
    assert landing.headers["Location"] == f"{BASE}/territories/97411"
    account = platform_of(site).accounts.by_email("marie.curie@example.org")
    assert account.actor == f"{BASE}/persons/marie-curie"
    assert account.commune == f"{BASE}/territories/97411"
    assert account.confirmed
    # logged in: the account page answers, with nothing else to fill in
    assert site.client.get("/account").status_code == 200

    turtle = site.client.get("/persons/marie-curie", headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200
    graph = Graph().parse(data=turtle.get_data(as_text=True), format="turtle")
    subject = URIRef(account.actor)
    assert (subject, URIRef(f"{AS}preferredUsername"), None) in graph
    assert (subject, URIRef("http://purl.org/dc/terms/creator"), subject) in graph
    found = site.client.get("/sparql", query_string={"query": (
        f"SELECT ?handle WHERE {{ GRAPH ?g {{ ?p a <{CC}Citizen> ; "
        f"<{AS}preferredUsername> ?handle }} FILTER(?p = <{account.actor}>) }}")},
        headers={"Accept": "application/sparql-results+json"})
    assert found.status_code == 200
    assert [b["handle"]["value"] for b in found.get_json()["results"]["bindings"]] == [
        "marie-curie"]
    assert "example.org" not in turtle.get_data(as_text=True)


def test_a_postal_code_with_several_communes_asks_which(site) -> None:
    load_postal_code(platform_of(site).store, BASE, MULTI_POSTAL_CODE)
    page = signup(site, "jean@example.org", MULTI_POSTAL_CODE)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "plusieurs communes" in text
    for name in ("Jujurieux", "Saint-Jean-le-Vieux", "Boyeux-Saint-Jérôme"):
        assert name in text
    assert mail_files(data_dir(site)) == []

    signup(site, "jean@example.org", MULTI_POSTAL_CODE, commune=JUJURIEUX)
    landing = confirm(site, "jean@example.org")
    assert landing.headers["Location"] == f"{BASE}/territories/{JUJURIEUX}"
    assert platform_of(site).accounts.by_email("jean@example.org").commune.endswith(JUJURIEUX)


def test_someone_elses_commune_in_the_form_is_refused(site) -> None:
    load_postal_code(platform_of(site).store, BASE, MULTI_POSTAL_CODE)
    before = private_rows(site)
    page = signup(site, "jean@example.org", MULTI_POSTAL_CODE, commune="97411")
    assert page.status_code == 422
    assert "ne correspond pas au code postal" in page.get_data(as_text=True)
    assert mail_files(data_dir(site)) == []
    assert private_rows(site) == before


BAD_POSTAL_CODES = [
    ("abcde", "n'est pas un code postal"),
    ("9740", "n'est pas un code postal"),
    ("974000", "n'est pas un code postal"),
    ("", "Indiquez votre code postal"),
    ("<b>97400</b>", "n'est pas un code postal"),
    ("99999", "Aucune commune ne correspond"),
    ("75001", "pas encore ouvertes"),  # Paris: French, but not loaded here
]
BAD_EMAILS = [
    "paul", "paul@", "@example.org", "paul@example", "pa ul@example.org",
    "paul@@example.org", "paul..x@example.org", "<script>alert(1)</script>@example.org",
    "a" * 65 + "@example.org", "paul@-example.org",
]


def test_bad_postal_codes_get_a_clear_message(site) -> None:
    before = private_rows(site)
    for postal_code, words in BAD_POSTAL_CODES:
        page = signup(site, "paul@example.org", postal_code)
        text = page.get_data(as_text=True).replace("&#39;", "'")
        assert page.status_code == 422, postal_code
        assert words in text, postal_code
        assert "<b>97400" not in text
    assert mail_files(data_dir(site)) == []
    assert private_rows(site) == before


def test_malformed_emails_get_a_clear_message(site) -> None:
    before = private_rows(site)
    for address in BAD_EMAILS:
        page = signup(site, address, "97400")
        text = page.get_data(as_text=True)
        assert page.status_code == 422, address
        assert "adresse e-mail valable" in text, address
        assert "<script>alert" not in text
    empty = signup(site, "", "97400")
    assert empty.status_code == 422
    assert "Indiquez votre adresse e-mail" in empty.get_data(as_text=True)
    assert mail_files(data_dir(site)) == []
    assert private_rows(site) == before


def test_links_are_single_use_and_only_their_hash_is_stored(site) -> None:
    signup(site, "lea@example.org", "97400")
    link = link_in(mail_files(data_dir(site))[0])
    token = link.rsplit("/", 1)[1]
    assert token not in private_rows(site)
    assert site.client.get(path_of(link)).status_code == 302
    other = site.app.test_client()
    again = other.get(path_of(link))
    assert again.status_code == 410
    assert "déjà servi" in again.get_data(as_text=True)
    # the used link forgets the address it was sent to
    rows = platform_of(site).private.connection().execute(
        "SELECT email FROM account_links").fetchall()
    assert rows == [("",)]


def test_expired_links_get_a_clear_page_and_create_nothing(site) -> None:
    signup(site, "lea@example.org", "97400")
    link = link_in(mail_files(data_dir(site))[0])
    platform_of(site).accounts.expire_link(link.rsplit("/", 1)[1])
    page = site.client.get(path_of(link))
    assert page.status_code == 410
    assert "expiré" in page.get_data(as_text=True)
    assert platform_of(site).accounts.by_email("lea@example.org") is None
    assert site.client.get("/persons/lea", headers={"Accept": "text/turtle"}).status_code == 404
    assert site.client.get("/account").status_code == 302
    unknown = site.client.get("/signup/confirm/not-a-real-token")
    assert unknown.status_code == 404
    assert "pas valable" in unknown.get_data(as_text=True)


def test_the_signup_link_lifetime_is_configurable(site) -> None:
    site.app.config["SIGNUP_LINK_TTL"] = 2
    signup(site, "lea@example.org", "97400")
    assert "valable 1 heures" in text_of(mail_files(data_dir(site))[0])
    row = platform_of(site).private.connection().execute(
        "SELECT expires - created FROM account_links").fetchone()
    assert row[0] == pytest.approx(2)


def test_handles_come_from_the_local_part_and_are_unique(site) -> None:
    for address in ("alice@example.org", "alice@example.net", "new@example.org",
                    "x@example.org"):
        signup(site, address, "97400")
        confirm(site, address, client=site.app.test_client())
    actors = [platform_of(site).accounts.by_email(a).actor.rsplit("/", 1)[1]
              for a in ("alice@example.org", "alice@example.net", "new@example.org",
                        "x@example.org")]
    # "alice" is the fixture's citizen already; "new" is reserved (/persons/new)
    assert actors == ["alice-2", "alice-3", "new-1", "citoyen"]


def test_signing_up_again_sends_a_login_link_instead(site) -> None:
    signup(site, "lea@example.org", "97400")
    confirm(site, "lea@example.org", client=site.app.test_client())
    page = signup(site, "LEA@example.org", "97400")
    assert page.status_code == 200  # the same page: nobody learns who has an account
    message = mails_to(data_dir(site), "lea@example.org")[-1]
    assert message["Subject"] == "Vous avez déjà un compte Communecter"
    assert "/login/link/" in link_in(message)
    client = site.app.test_client()
    assert client.get(path_of(link_in(message))).status_code == 302
    assert client.get("/account").status_code == 200
    rows = platform_of(site).private.connection().execute(
        "SELECT COUNT(*) FROM accounts").fetchone()
    assert rows == (1,)


def test_signup_is_rate_limited_per_email_and_per_address(site) -> None:
    site.app.config["ACCOUNTS_RATE_LIMITS"] = {"signup": {"email": (2, 3600),
                                                          "ip": (3, 3600)}}
    for _ in range(2):
        assert signup(site, "lea@example.org", "97400").status_code == 200
    refused = signup(site, "lea@example.org", "97400")
    assert refused.status_code == 429
    assert "Réessayez dans" in refused.get_data(as_text=True)
    assert 3000 < int(refused.headers["Retry-After"]) <= 3600
    assert signup(site, "other@example.org", "97400").status_code == 200
    assert signup(site, "third@example.org", "97400").status_code == 429  # this address
    assert len(mail_files(data_dir(site))) == 3
    keys = platform_of(site).private.connection().execute("SELECT key FROM rate_events")
    assert all("example" not in key for (key,) in keys)  # hashed, never the address


def test_forms_without_the_csrf_token_are_refused(site) -> None:
    response = site.client.post("/signup", data={"email": "lea@example.org",
                                                 "postal_code": "97400"})
    assert response.status_code == 400
    assert mail_files(data_dir(site)) == []
    other = site.app.test_client()
    forged = other.post("/signup", data={"csrf_token": csrf(site.client),
                                         "email": "lea@example.org", "postal_code": "97400"})
    assert forged.status_code == 400
