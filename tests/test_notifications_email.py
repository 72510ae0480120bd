"""Notifications by e-mail, through a real SMTP server: immediate, daily digest, off."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.posts_support import CSRF, account, client_for, make_site, post, slug, territory
from web.ui.notifications import send_digests


@pytest.fixture
def mail_site(tmp_path, smtp_server):
    return make_site(tmp_path, smtp_server.url)


def to(smtp_server, address: str) -> list:
    return [m for m in smtp_server.mailbox.messages if address in str(m["To"]).lower()]


def test_immediate_daily_and_off(mail_site, smtp_server) -> None:
    site = mail_site
    suffix = str(time.monotonic_ns())[-6:]  # the SMTP server lives for the whole session
    now_h, day_h, off_h, last_h = (f"{n}{suffix}" for n in ("now", "day", "off", "last"))
    for handle, choice in ((now_h, "immediate"), (day_h, "daily"), (off_h, "off"),
                           (last_h, "immediate")):
        account(site, handle, email_choice=choice)
    writer = client_for(site, "alice")
    _response, iri = post(writer, territory(site),
                          f"Réunion ce soir : @{now_h} @{day_h} @{off_h}")
    # immediate: one mail, now, saying who and where
    mail = smtp_server.mailbox.wait_for(f"{now_h}@example.org")
    body = smtp_server.mailbox.body(mail)
    assert "Alice vous a mentionné·e" in str(mail["Subject"]) and iri in body
    assert "/notifications/settings" in body
    # daily: nothing until the digest, then one digest with everything since
    writer.post(f"/posts/{slug(post(client_for(site, day_h), territory(site), 'Moi')[1])}/like",
                data={"csrf_token": CSRF})
    assert to(smtp_server, f"{day_h}@example.org") == []
    assert send_digests(site.app) >= 1
    digest = smtp_server.mailbox.wait_for(f"{day_h}@example.org")
    text = smtp_server.mailbox.body(digest)
    assert "2 nouvelles notifications" in str(digest["Subject"])
    assert "Alice vous a mentionné·e" in text and "Alice aime votre publication" in text
    # at most one digest a day: new notifications wait for tomorrow's
    post(writer, territory(site), f"Encore @{day_h}")
    assert send_digests(site.app) == 0
    assert send_digests(site.app, datetime.now(UTC) + timedelta(days=1)) == 1
    assert len(to(smtp_server, f"{day_h}@example.org")) == 2
    # off: never any mail, not even when switching to the digest later
    client_for(site, off_h).post("/notifications/settings",
                                 data={"email": "daily", "csrf_token": CSRF})
    send_digests(site.app, datetime.now(UTC) + timedelta(days=2))
    post(writer, territory(site), f"Dernier message pour @{last_h}")
    smtp_server.mailbox.wait_for(f"{last_h}@example.org")  # mail after theirs has arrived
    assert to(smtp_server, f"{off_h}@example.org") == []
    assert client_for(site, off_h).get("/notifications/count").json["unread"] == 1


def test_mail_in_the_recipients_language(mail_site, smtp_server) -> None:
    site = mail_site
    handle = f"en{str(time.monotonic_ns())[-6:]}"
    account(site, handle, email_choice="immediate", locale="en")
    post(client_for(site, "alice"), territory(site), f"Hello @{handle}")
    mail = smtp_server.mailbox.wait_for(f"{handle}@example.org")
    assert "Alice mentioned you" in str(mail["Subject"])


def test_digests_go_out_by_themselves(tmp_path, smtp_server, monkeypatch) -> None:
    """With an on-disk private store, each web process sends the digests itself."""
    from store.private import PrivateStore
    from tests.conftest import InProcess
    from web.app import create_app
    from web.operations import import_territories
    from web.settings import Settings
    from web.ui import notifications

    monkeypatch.setattr(notifications, "DIGEST_POLL_SECONDS", 0.1)
    settings = Settings(base_url="http://communecter.test", data_dir=tmp_path, store="memory",
                        smtp_url=smtp_server.url)
    app = create_app(settings, private=PrivateStore(tmp_path / "private.sqlite3"))
    import_territories(settings, "reunion", app.extensions["communecter"].store)
    site = InProcess(app.test_client(), app)
    handle = f"digest{str(time.monotonic_ns())[-6:]}"
    account(site, handle, email_choice="daily")
    try:
        post(client_for(site, "alice"), territory(site), f"Bonjour @{handle}")
        digest = smtp_server.mailbox.wait_for(f"{handle}@example.org")
        assert "1 nouvelle notification" in str(digest["Subject"])
    finally:
        for sender in list(notifications._SENDERS.values()):
            sender.stop()
