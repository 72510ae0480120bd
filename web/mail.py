"""Mail: composed in the recipient's language (French first, English when their setting
says so), plain text plus HTML, queued durably (store.mail_queue) and sent by a thread of
each web process.

Where mail goes: `COMMUNECTER_SMTP_URL` — ``smtp://user:pass@host:port`` (STARTTLS when
the server offers it; add ``?starttls=no`` to refuse it) or ``smtps://…`` (TLS from the
first byte). With none configured, each mail is written as an .eml file in
``{data_dir}/mail/`` and printed on the console, so that a fresh instance works offline.

With the in-memory private store (tests, throw-away instances) nothing would survive a
restart anyway: mail is then sent at once, in the request that queued it.

Other parts of the platform send mail with ``queue_mail(to, "area/mail/name", locale,
**context)``: the text template ``name.txt`` sets ``subject`` with ``{% set subject = … %}``;
``name.html`` gets the same context plus ``subject``.
"""

from __future__ import annotations

import email.policy
import ipaddress
import os
import smtplib
import ssl
import sys
import threading
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from flask import Flask, current_app, render_template
from flask_babel import force_locale

from store.mail_queue import MailQueue
from store.private import PrivateStore
from web.settings import Settings

POLL_SECONDS = 5.0


# --- composing ----------------------------------------------------------------------------


def _domain(settings: Settings) -> str:
    host = urlsplit(settings.base_url).hostname or "localhost"
    try:
        ipaddress.ip_address(host)
        return "localhost"
    except ValueError:
        return host


def sender(settings: Settings) -> str:
    """`COMMUNECTER_MAIL_FROM`, else no-reply at the instance's host name."""
    return os.environ.get("COMMUNECTER_MAIL_FROM") or f"Communecter <no-reply@{_domain(settings)}>"


def compose(to: str, template: str, locale: str, **context: object) -> EmailMessage:
    """The message, rendered in `locale` from templates/{template}.txt and .html."""
    settings: Settings = current_app.extensions["communecter"].settings
    context = {"base_url": settings.base_url, **context}
    with force_locale(locale):
        module = current_app.jinja_env.get_template(f"{template}.txt").make_module(context)
        subject = str(getattr(module, "subject", "Communecter")).strip()
        text = str(module).strip() + "\n"
        html = render_template(f"{template}.html", subject=subject, locale=locale, **context)
    message = EmailMessage(policy=email.policy.SMTP)
    message["Subject"] = subject
    message["From"] = sender(settings)
    message["To"] = to
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=_domain(settings))
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    message["Content-Language"] = locale  # after the content, which resets Content-*
    return message


def queue_mail(to: str, template: str, locale: str, **context: object) -> int:
    """Composes and queues a mail; returns its queue id. Delivery happens in the
    background (or at once with an in-memory private store)."""
    message = compose(to, template, locale, **context)
    platform = current_app.extensions["communecter"]
    queue = mail_queue(current_app)
    mail_id = queue.put(to, message.as_bytes(policy=email.policy.SMTP))
    worker = _WORKERS.get(_key(platform.private))
    if worker is not None and worker.is_alive():
        worker.wake.set()
    elif platform.private.path is None:
        deliver_due(platform.settings, queue)
    return mail_id


def mail_queue(app: Flask) -> MailQueue:
    queue = app.extensions.get("communecter.mail")
    if queue is None:
        queue = MailQueue(app.extensions["communecter"].private)
        app.extensions["communecter.mail"] = queue
    return queue


# --- sending ------------------------------------------------------------------------------


class DeliveryFailed(Exception):
    pass


def deliver(settings: Settings, recipient: str, message: bytes) -> None:
    """Sends one message by SMTP, or writes it to the data directory without SMTP."""
    if settings.smtp_url:
        _send_smtp(settings.smtp_url, recipient, message)
        return
    try:
        _write_file(settings, message)
    except OSError as error:
        raise DeliveryFailed(f"cannot write the mail: {error}") from error


def _send_smtp(url: str, recipient: str, message: bytes) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise DeliveryFailed(f"COMMUNECTER_SMTP_URL must be smtp://… or smtps://…, not {url!r}")
    secure = parts.scheme == "smtps"
    port = parts.port or (465 if secure else 25)
    options = parse_qs(parts.query)
    envelope_from = parseaddr(BytesHeaderParser().parsebytes(message)["From"] or "")[1]
    try:
        if secure:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                parts.hostname, port, timeout=30, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(parts.hostname, port, timeout=30)
        with client:
            client.ehlo()
            if (not secure and client.has_extn("starttls")
                    and options.get("starttls", ["yes"])[0] != "no"):
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if parts.username:
                client.login(unquote(parts.username), unquote(parts.password or ""))
            client.sendmail(envelope_from, [recipient], message)
    except (OSError, smtplib.SMTPException) as error:
        raise DeliveryFailed(f"{type(error).__name__}: {error}") from error


def _write_file(settings: Settings, message: bytes) -> None:
    folder = settings.data_dir / "mail"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    path = folder / f"{stamp}-{os.getpid()}-{threading.get_ident() % 100000}.eml"
    path.write_bytes(message)
    parsed = email.message_from_bytes(message, policy=email.policy.default)
    body = parsed.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
    text = body.get_content() if body is not None else ""
    print(f"--- mail written to {path} ---\nTo: {parsed['To']}\nSubject: {parsed['Subject']}"
          f"\n\n{text}\n--- end of mail ---", file=sys.stdout, flush=True)


def deliver_due(settings: Settings, queue: MailQueue, limit: int = 100,
                now: float | None = None) -> int:
    """Sends the mails that are due (at `now`, default now); returns how many were sent."""
    sent = 0
    for _ in range(limit):
        mail = queue.claim(now)
        if mail is None:
            break
        try:
            deliver(settings, mail.recipient, mail.message)
        except DeliveryFailed as error:
            queue.failed(mail, str(error))
            print(f"mail {mail.id}: attempt {mail.attempts} failed ({error}); will retry",
                  file=sys.stderr, flush=True)
            continue
        queue.sent(mail.id)
        sent += 1
    return sent


def forget_recipient(settings: Settings, queue: MailQueue, address: str) -> None:
    """Removes queued mail to `address` and the .eml files written for it."""
    queue.forget(address)
    folder = settings.data_dir / "mail"
    if not folder.is_dir():
        return
    for path in folder.glob("*.eml"):
        try:
            headers = BytesHeaderParser().parsebytes(path.read_bytes())
        except OSError:
            continue
        if address.lower() in str(headers.get("To", "")).lower():
            path.unlink(missing_ok=True)


# --- the worker thread ---------------------------------------------------------------------


class MailWorker(threading.Thread):
    """Drains the queue of one private store in this process, polling every few seconds
    and woken at once when this process queues a mail."""

    def __init__(self, settings: Settings, queue: MailQueue) -> None:
        super().__init__(name="communecter-mail", daemon=True)
        self.settings = settings
        self.queue = queue
        self.wake = threading.Event()
        self.stopping = False

    def run(self) -> None:
        while not self.stopping:
            if not self.settings.data_dir.exists():
                return  # the instance is gone (a test's temporary directory)
            try:
                deliver_due(self.settings, self.queue)
                due = self.queue.next_due()
            except Exception as error:  # the worker must outlive hiccups
                print(f"mail worker: {error}", file=sys.stderr, flush=True)
                due = None
            wait = POLL_SECONDS if due is None else min(max(due - time.time(), 0.05),
                                                        POLL_SECONDS)
            self.wake.wait(wait)
            self.wake.clear()

    def stop(self) -> None:
        self.stopping = True
        self.wake.set()


_WORKERS: dict[str, MailWorker] = {}
_WORKERS_LOCK = threading.Lock()


def _key(private: PrivateStore) -> str:
    if private.path is None:
        return f"memory-{id(private)}"
    return str(Path(private.path).resolve())


def start_worker(app: Flask) -> MailWorker | None:
    """Starts this process's mail worker for the app's private store (once per store).
    Not with an in-memory store, nor when COMMUNECTER_MAIL_WORKER=0 (mail is then sent by
    another process sharing the data directory)."""
    platform = app.extensions["communecter"]
    if platform.private.path is None or os.environ.get("COMMUNECTER_MAIL_WORKER") == "0":
        return None
    key = _key(platform.private)
    with _WORKERS_LOCK:
        worker = _WORKERS.get(key)
        if worker is None or not worker.is_alive():
            worker = MailWorker(platform.settings, mail_queue(app))
            _WORKERS[key] = worker
            worker.start()
    return worker
