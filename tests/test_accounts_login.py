"""Log-in by e-mail link and by password, log-out, and the account page (password, commune,
language), in process."""

from __future__ import annotations

from tests.accounts_support import (
    JUJURIEUX,
    MULTI_POSTAL_CODE,
    account_for,
    csrf,
    link_in,
    load_postal_code,
    login_as,
    mails_to,
    path_of,
    platform_of,
)
from tests.conftest import BASE

ALICE_MAIL = "alice@example.org"


def data_dir(site):
    return platform_of(site).settings.data_dir


def ask_link(site, address: str, client=None, **extra: str):
    client = client or site.client
    return client.post("/login", data={"csrf_token": csrf(client), "method": "link",
                                       "email": address, **extra})


def password_login(site, address: str, password: str, client=None, **extra: str):
    client = client or site.client
    return client.post("/login", data={"csrf_token": csrf(client), "method": "password",
                                       "email": address, "password": password, **extra})


def logged_in(client) -> bool:
    return client.get("/account").status_code == 200


def test_login_by_link(site) -> None:
    account_for(site, "alice", ALICE_MAIL)
    page = ask_link(site, "Alice@Example.org")
    assert page.status_code == 200
    assert "Si un compte existe" in page.get_data(as_text=True)
    (message,) = mails_to(data_dir(site), ALICE_MAIL)
    assert message["Subject"] == "Votre lien de connexion à Communecter"
    assert "30 minutes" in message.get_body(("plain",)).get_content()
    landing = site.client.get(path_of(link_in(message)))
    assert landing.status_code == 302
    assert landing.headers["Location"] == f"{BASE}/territories/97411"
    assert landing.headers["Referrer-Policy"] == "no-referrer"
    assert logged_in(site.client)
    again = site.app.test_client().get(path_of(link_in(message)))
    assert again.status_code == 410


def test_login_link_goes_back_where_the_person_was(site) -> None:
    account_for(site, "alice", ALICE_MAIL)
    redirected = site.client.get("/account")
    assert redirected.headers["Location"].startswith("/login?next=/account")
    ask_link(site, ALICE_MAIL, next="/account")
    ask_link(site, ALICE_MAIL, client=site.app.test_client(), next="//evil.example/x")
    first, second = mails_to(data_dir(site), ALICE_MAIL)
    assert site.client.get(path_of(link_in(first))).headers["Location"] == "/account"
    other = site.app.test_client()
    assert other.get(path_of(link_in(second))).headers["Location"] == f"{BASE}/territories/97411"


def test_no_mail_for_an_unknown_address_and_the_same_page(site) -> None:
    account_for(site, "alice", ALICE_MAIL)
    known = ask_link(site, ALICE_MAIL).get_data(as_text=True)
    unknown = ask_link(site, "nobody@example.org").get_data(as_text=True)
    assert known.replace(ALICE_MAIL, "X") == unknown.replace("nobody@example.org", "X")
    assert mails_to(data_dir(site), "nobody@example.org") == []


def test_expired_login_links_are_refused(site) -> None:
    account_for(site, "alice", ALICE_MAIL)
    ask_link(site, ALICE_MAIL)
    link = link_in(mails_to(data_dir(site), ALICE_MAIL)[0])
    platform_of(site).accounts.expire_link(link.rsplit("/", 1)[1])
    page = site.client.get(path_of(link))
    assert page.status_code == 410
    assert "expiré" in page.get_data(as_text=True)
    assert not logged_in(site.client)


def test_link_requests_are_rate_limited(site) -> None:
    site.app.config["ACCOUNTS_RATE_LIMITS"] = {"login_link": {"email": (2, 600)}}
    account_for(site, "alice", ALICE_MAIL)
    assert ask_link(site, ALICE_MAIL).status_code == 200
    assert ask_link(site, ALICE_MAIL).status_code == 200
    refused = ask_link(site, ALICE_MAIL)
    assert refused.status_code == 429
    assert "Réessayez dans 10 minute(s)" in refused.get_data(as_text=True)
    assert len(mails_to(data_dir(site), ALICE_MAIL)) == 2


def test_password_set_then_used_to_log_in(site) -> None:
    token = login_as(site, "alice")
    short = site.client.post("/account/password", data={
        "csrf_token": token, "new_password": "short", "new_password_again": "short"})
    assert short.status_code == 422
    assert "de 10 à 1024 caractères" in short.get_data(as_text=True)
    different = site.client.post("/account/password", data={
        "csrf_token": token, "new_password": "a long passphrase",
        "new_password_again": "another passphrase"})
    assert different.status_code == 422
    assert platform_of(site).accounts.by_email(ALICE_MAIL).password_hash is None
    saved = site.client.post("/account/password", data={
        "csrf_token": token, "new_password": "a long passphrase",
        "new_password_again": "a long passphrase"})
    assert saved.status_code == 302
    stored = platform_of(site).accounts.by_email(ALICE_MAIL).password_hash
    assert stored.startswith("$argon2id$") and "a long passphrase" not in stored

    site.client.post("/logout", data={"csrf_token": token})
    assert not logged_in(site.client)
    wrong = password_login(site, ALICE_MAIL, "not the passphrase")
    assert wrong.status_code == 401
    assert "E-mail ou mot de passe incorrect" in wrong.get_data(as_text=True)
    assert not logged_in(site.client)
    right = password_login(site, ALICE_MAIL, "a long passphrase", next="/account")
    assert right.status_code == 302 and right.headers["Location"] == "/account"
    assert logged_in(site.client)

    # changing it needs the current one; removing it too
    token = csrf(site.client)
    refused = site.client.post("/account/password", data={
        "csrf_token": token, "current_password": "guess", "new_password": "0123456789",
        "new_password_again": "0123456789"})
    assert refused.status_code == 422
    removed = site.client.post("/account/password", data={
        "csrf_token": token, "current_password": "a long passphrase", "remove": "1"})
    assert removed.status_code == 302
    assert platform_of(site).accounts.by_email(ALICE_MAIL).password_hash is None
    assert password_login(site, ALICE_MAIL, "a long passphrase",
                          client=site.app.test_client()).status_code == 401


def test_accounts_without_password_cannot_log_in_with_one(site) -> None:
    account_for(site, "alice", ALICE_MAIL)
    assert password_login(site, ALICE_MAIL, "").status_code == 401
    assert password_login(site, "bad address", "x").status_code == 422


def test_password_attempts_are_rate_limited(site) -> None:
    site.app.config["ACCOUNTS_RATE_LIMITS"] = {"password": {"email": (3, 900)}}
    account_for(site, "alice", ALICE_MAIL)
    for _ in range(3):
        assert password_login(site, ALICE_MAIL, "guess").status_code == 401
    assert password_login(site, ALICE_MAIL, "guess").status_code == 429


def test_logout_needs_a_post_with_the_csrf_token(site) -> None:
    token = login_as(site, "alice")
    site.client.get("/logout")
    assert logged_in(site.client)
    assert site.client.post("/logout").status_code == 400
    assert logged_in(site.client)
    assert site.client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert not logged_in(site.client)


def test_changing_commune(site) -> None:
    load_postal_code(platform_of(site).store, BASE, MULTI_POSTAL_CODE)
    token = login_as(site, "alice")
    bad = site.client.post("/account/commune", data={"csrf_token": token,
                                                      "postal_code": "123"})
    assert bad.status_code == 422 and "cinq chiffres" in bad.get_data(as_text=True)
    choose = site.client.post("/account/commune", data={"csrf_token": token,
                                                         "postal_code": MULTI_POSTAL_CODE})
    assert "Jujurieux" in choose.get_data(as_text=True)
    forged = site.client.post("/account/commune", data={
        "csrf_token": token, "postal_code": MULTI_POSTAL_CODE, "commune": "97411x"})
    assert forged.status_code == 422
    assert platform_of(site).accounts.by_email(ALICE_MAIL).commune.endswith("97411")
    done = site.client.post("/account/commune", data={
        "csrf_token": token, "postal_code": MULTI_POSTAL_CODE, "commune": JUJURIEUX})
    assert done.status_code == 302
    assert platform_of(site).accounts.by_email(ALICE_MAIL).commune == (
        f"{BASE}/territories/{JUJURIEUX}")
    assert "Jujurieux" in site.client.get("/account").get_data(as_text=True)


def test_language_setting_applies_to_pages_and_mails(site) -> None:
    token = login_as(site, "alice")
    assert site.client.post("/account/locale", data={"csrf_token": token,
                                                      "locale": "xx"}).status_code == 422
    site.client.post("/account/locale", data={"csrf_token": token, "locale": "en"})
    assert platform_of(site).accounts.by_email(ALICE_MAIL).locale == "en"
    assert "My account" in site.client.get("/account").get_data(as_text=True)
    ask_link(site, ALICE_MAIL, client=site.app.test_client())
    (message,) = mails_to(data_dir(site), ALICE_MAIL)
    assert message["Subject"] == "Your log-in link to Communecter"


def test_the_account_page_is_the_only_page_with_the_email(site) -> None:
    login_as(site, "alice")
    assert ALICE_MAIL in site.client.get("/account").get_data(as_text=True)
    for path in ("/persons/alice", "/persons/alice/edit", "/territories/97411", "/"):
        page = site.client.get(path, headers={"Accept": "text/html"})
        assert page.status_code == 200, path
        assert ALICE_MAIL not in page.get_data(as_text=True), path
