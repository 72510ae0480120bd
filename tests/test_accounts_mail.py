"""Mail: a durable queue in the private store, delivered by SMTP (a real aiosmtpd server)
or written to the data directory, retried with backoff, sent by the app's worker thread."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from store.mail_queue import CLAIM_SECONDS, MAX_ATTEMPTS, MailQueue, backoff
from store.private import PrivateStore
from tests.accounts_support import csrf, link_in, mail_files, text_of
from tests.conftest import BASE, free_port
from web.mail import deliver_due
from web.settings import Settings

MESSAGE = (b"From: Communecter <no-reply@localhost>\r\nTo: lea@example.org\r\n"
           b"Subject: test\r\n\r\nBonjour\r\n")


def test_queued_mail_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "private.sqlite3"
    MailQueue(PrivateStore(path)).put("lea@example.org", MESSAGE)
    restarted = MailQueue(PrivateStore(path))  # a new process opening the same store
    settings = Settings(base_url=BASE, data_dir=tmp_path, store="memory")
    assert deliver_due(settings, restarted) == 1
    (written,) = mail_files(tmp_path)
    assert written["Subject"] == "test"
    assert restarted.counts() == {}


def test_a_mail_claimed_by_a_process_that_died_is_sent_again(tmp_path: Path) -> None:
    queue = MailQueue(PrivateStore(tmp_path / "private.sqlite3"))
    queue.put("lea@example.org", MESSAGE)
    assert queue.claim() is not None  # …and the process dies before sending
    assert queue.claim() is None  # claimed: nobody else sends it meanwhile
    again = queue.claim(now=time.time() + CLAIM_SECONDS + 1)
    assert again is not None and again.attempts == 2


def test_failures_are_retried_with_backoff_then_delivered(tmp_path: Path,
                                                          smtp_server) -> None:
    queue = MailQueue(PrivateStore(tmp_path / "private.sqlite3"))
    queue.put("retry@example.org", MESSAGE.replace(b"lea@", b"retry@"))
    down = Settings(base_url=BASE, data_dir=tmp_path, store="memory",
                    smtp_url=f"smtp://127.0.0.1:{free_port()}")
    start = time.time()
    assert deliver_due(down, queue) == 0
    assert queue.counts() == {"pending": 1}
    due = queue.next_due()
    assert start + backoff(1) - 1 <= due <= time.time() + backoff(1)
    assert deliver_due(down, queue) == 0  # not due yet: no new attempt
    assert backoff(2) == 2 * backoff(1) and backoff(30) == 3600
    up = Settings(base_url=BASE, data_dir=tmp_path, store="memory", smtp_url=smtp_server.url)
    assert deliver_due(up, queue, now=due + 1) == 1
    assert smtp_server.mailbox.wait_for("retry@example.org")["Subject"] == "test"
    assert queue.counts() == {}


def test_a_mail_that_keeps_failing_is_kept_for_the_operator(tmp_path: Path) -> None:
    queue = MailQueue(PrivateStore(tmp_path / "private.sqlite3"))
    queue.put("lea@example.org", MESSAGE)
    down = Settings(base_url=BASE, data_dir=tmp_path, store="memory",
                    smtp_url=f"smtp://127.0.0.1:{free_port()}")
    now = time.time()
    for _ in range(MAX_ATTEMPTS):
        deliver_due(down, queue, now=now)
        now += 3601
    assert queue.counts() == {"failed": 1}
    assert deliver_due(down, queue, now=now + 10**6) == 0


def test_without_smtp_mail_is_written_and_printed(site, capsys) -> None:
    client = site.client
    client.post("/signup", data={"csrf_token": csrf(client), "email": "lea@example.org",
                                 "postal_code": "97400"})
    (message,) = mail_files(site.app.extensions["communecter"].settings.data_dir)
    printed = capsys.readouterr().out
    assert "lea@example.org" in printed and link_in(message) in printed
    assert message.is_multipart()
    assert {part.get_content_type() for part in message.iter_parts()} == {
        "text/plain", "text/html"}
    assert message["Content-Language"] == "fr"
    assert message["From"] == "Communecter <no-reply@communecter.test>"


@pytest.fixture
def disk_app(tmp_path: Path, smtp_server):
    """An app with an on-disk private store (its mail worker thread runs) and SMTP."""
    from web.app import create_app
    from web.operations import import_territories

    data = tmp_path / "data"
    settings = Settings(base_url=BASE, data_dir=data, store="memory",
                        smtp_url=smtp_server.url)
    app = create_app(settings)
    import_territories(settings, "reunion", app.extensions["communecter"].store)
    yield app
    import shutil

    shutil.rmtree(data)  # the worker notices and stops


def test_the_worker_thread_sends_by_smtp(disk_app, smtp_server) -> None:
    client = disk_app.test_client()
    client.post("/signup", data={"csrf_token": csrf(client), "email": "worker@example.org",
                                 "postal_code": "97400"})
    message = smtp_server.mailbox.wait_for("worker@example.org", timeout=10)
    assert message["Subject"] == "Confirmez votre inscription à Communecter"
    assert "/signup/confirm/" in text_of(message)
    path = "/" + link_in(message).split("/", 3)[3]
    assert client.get(path).status_code == 302
