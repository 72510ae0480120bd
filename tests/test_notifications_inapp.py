"""Notifications in the app: unread count, list, mark read, settings."""

from __future__ import annotations

import json

from flask import render_template_string

from store.notifications import Notifications
from tests.posts_support import CSRF, citizen, client_for, platform_of, post, slug, territory
from web.ui.notifications import notify


def unread(client) -> int:
    return json.loads(client.get("/notifications/count").data)["unread"]


def test_count_list_and_mark_read(site) -> None:
    alice, bob = client_for(site, "alice"), client_for(site, "bob")
    _response, iri = post(alice, territory(site), "Salut @bob")
    bob_post = post(bob, territory(site), "Mon annonce")[1]
    alice.post(f"/posts/{slug(bob_post)}/like", data={"csrf_token": CSRF})
    alice.post(f"/posts/{slug(bob_post)}/comment", data={"content": "Bravo", "csrf_token": CSRF})
    with site.app.app_context():
        notify(citizen(site, "bob"), "follow", citizen(site, "alice"), citizen(site, "bob"))
    assert unread(bob) == 4 and unread(alice) == 0
    page = bob.get("/notifications").data.decode()
    for sentence in ("Alice vous a mentionné·e", "Alice aime votre publication",
                     "Alice a commenté votre publication", "Alice vous suit."):
        assert sentence in page, sentence
    assert page.count('class="unread"') == 4
    # the badge the layout includes shows the count
    with site.app.test_request_context("/"):
        from flask import session

        session["account_id"] = platform_of(site).accounts.by_actor(citizen(site, "bob")).id
        badge = render_template_string('{% include "notifications/_badge.html" %}')
    assert ">4<" in badge.replace(" ", "") and 'href="/notifications"' in badge
    # mark one read; alice cannot mark bob's
    first = Notifications(platform_of(site).private).latest(citizen(site, "bob"))[0]
    alice.post("/notifications/read", data={"id": str(first.id), "csrf_token": CSRF})
    assert unread(bob) == 4
    response = bob.post("/notifications/read", data={"id": str(first.id), "csrf_token": CSRF})
    assert response.status_code == 303 and unread(bob) == 3
    for odd in ("9" * 25, "abc", "-1"):  # naming nothing, they mark nothing (a 25-digit id: a 500)
        response = bob.post("/notifications/read", data={"id": odd, "csrf_token": CSRF})
        assert response.status_code == 303 and unread(bob) == 3
    bob.post("/notifications/read", data={"csrf_token": CSRF})
    assert unread(bob) == 0
    assert 'class="unread"' not in bob.get("/notifications").data.decode()
    assert iri  # the mention's post


def test_notifications_need_a_session(site) -> None:
    assert site.client.get("/notifications").status_code == 302
    assert site.client.get("/notifications/count").status_code == 401
    assert site.client.get("/notifications/settings").status_code == 302
    bob = client_for(site, "bob")
    assert bob.post("/notifications/read").status_code == 400  # no CSRF token


def test_nobody_is_told_about_themselves_nor_twice(site) -> None:
    alice = client_for(site, "alice")
    _response, iri = post(alice, territory(site), "Note à moi-même @alice")
    alice.post(f"/posts/{slug(iri)}/like", data={"csrf_token": CSRF})
    assert unread(alice) == 0
    with site.app.app_context():
        for _ in range(2):
            notify(citizen(site, "alice"), "join", citizen(site, "bob"), territory(site))
    assert unread(alice) == 1


def test_email_settings(site) -> None:
    bob = client_for(site, "bob")
    page = bob.get("/notifications/settings").data.decode()
    assert 'value="daily" checked' in page  # the default: a daily digest
    assert bob.post("/notifications/settings", data={"email": "weekly", "csrf_token": CSRF}
                    ).status_code == 400
    response = bob.post("/notifications/settings", data={"email": "off", "csrf_token": CSRF})
    assert response.status_code == 303
    account = platform_of(site).accounts.by_actor(citizen(site, "bob"))
    assert account.settings["notification_email"] == "off"
    assert 'value="off" checked' in bob.get("/notifications/settings").data.decode()
