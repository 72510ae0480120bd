"""Notifications in the app and by e-mail.

  GET  /notifications             the person's latest notifications (unread first marked)
  POST /notifications/read        mark read: the `id` fields sent, or all of them
  GET  /notifications/count       {"unread": n} (JSON, for a badge that refreshes itself)
  GET/POST /notifications/settings   e-mail: "immediate", "daily" (digest) or "off"

In every page: the context variable `notifications_unread` (the logged-in person's unread
count, else None) and the snippet templates/notifications/_badge.html that the layout
includes in its header: {% include "notifications/_badge.html" %}.

Telling someone: `notify(recipient, kind, actor, object, target)` records the notification
(store/notifications.py) and, when the recipient chose "immediate", queues the e-mail at
once (web/mail.py). "daily" ones wait for `send_digests()`, which a thread of each web process
calls every quarter of an hour (`DigestSender`); it sends at most one digest per person per
day. With "off", nothing is ever
mailed: the notification is marked so that no later digest picks it up either.

Kinds with a sentence of their own: like, comment, mention, follow, follow_request (a
Follow waiting for the approval of a person who approves followers one by one, see
web/ui/follow_requests.py), join, join_request, invite, accept; any other kind is shown
with a generic sentence. Accounts of other servers are named "Name (@user@host)".
"""

from __future__ import annotations

import os
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    flash,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.routing import BuildError

from federation import follow_requests, moderation
from federation.as2_collections import MAX_PAGE
from store.notifications import (
    EMAIL_CHOICES,
    SETTING,
    Notification,
    Notifications,
    email_choice,
)
from web.ui.session import accounts, current_account, protect

bp = Blueprint("notifications", __name__)
protect(bp.name)

PAGE = 50
MAX_MARKED = 500  # ids marked read in one request; any 18-digit id fits SQLite's integers
DIGEST_EVERY = timedelta(hours=23)
DIGEST_ITEMS = 50
DIGEST_POLL_SECONDS = 900.0


def _app(app: Flask | None) -> Flask:
    return app if app is not None else current_app._get_current_object()  # type: ignore[attr-defined]


def notify(recipient: str, kind: str, actor: str, object: str, target: str | None = None,
           app: Flask | None = None) -> Notification | None:
    """Tells `recipient` (an actor IRI) that `actor` did `kind` to `object` (in `target`).

    For the modules that apply follows, joins and invitations, e.g. after a Follow:
    `notify(followed, "follow", follower, followed)`; after an Invite:
    `notify(invitee, "invite", inviter, organization)`; after a Join request:
    `notify(admin, "join_request", person, organization)` for each admin.
    """
    app = _app(app)
    if not has_request_context():
        with _outside_requests(app):
            return notify(recipient, kind, actor, object, target, app)
    site = app.extensions["communecter"]
    if moderation.matches(moderation.hidden_for(site.private, recipient), actor):
        return None  # the recipient blocks or mutes the actor (federation/moderation.py)
    if kind == "follow" and object == recipient and \
            follow_requests.state_of(site.activities, recipient, actor) == "pending":
        kind = "follow_request"  # the person approves followers one by one: not yet
    store = Notifications(site.private)
    note = store.notify(recipient, kind, actor, object, target)
    if note is None:
        return None
    account = site.accounts.by_actor(recipient)
    choice = email_choice(account.settings) if account is not None else "off"
    if choice == "off":
        store.mark_emailed([note.id], "off")
    elif choice == "immediate":
        assert account is not None
        _mail(account, [note], digest=False)
        store.mark_emailed([note.id], _stamp())
    return note


def send_digests(app: Flask | None = None, now: datetime | None = None) -> int:
    """Mails each person choosing "daily" what they were not yet told by mail (at most one
    digest per person per DIGEST_EVERY); returns how many digests were queued."""
    app = _app(app)
    if not has_request_context():
        with _outside_requests(app):
            return send_digests(app, now)
    now = now or datetime.now(UTC)
    site = app.extensions["communecter"]
    store = Notifications(site.private)
    sent = 0
    for recipient, waiting in store.waiting_for_mail().items():
        account = site.accounts.by_actor(recipient)
        choice = email_choice(account.settings) if account is not None else "off"
        if account is None or choice == "off":
            store.mark_emailed([n.id for n in waiting], "off")
            continue
        if not store.claim_digest(recipient, now, DIGEST_EVERY if choice == "daily" else None):
            continue  # one digest a day (or another process is sending this one)
        _mail(account, waiting[-DIGEST_ITEMS:], digest=True)
        store.mark_emailed([n.id for n in waiting], _stamp(now))
        sent += 1
    return sent


def names_of(notes: list[Notification]) -> dict[str, Any]:
    """What to call the actors and things of some notifications: names of local
    resources (web.ui.posts.labels), and for accounts of other servers their name with
    their handle, "Name (@user@host)", from the cached actor (web.ui.remote_views), so
    that nobody is called by the last segment of an IRI."""
    from web.ui.post_views import Label
    from web.ui.posts import labels
    from web.ui.remote_views import remote_labels

    iris = ({n.actor for n in notes} | {n.object for n in notes}
            | {n.target for n in notes if n.target})
    names: dict[str, Any] = labels(iris)
    for iri, remote in remote_labels(iris).items():
        handle = f"@{remote.handle}"
        shown = handle if remote.name in (remote.handle, handle) else f"{remote.name} ({handle})"
        names[iri] = Label(shown, "Person")
    return names


def _outside_requests(app: Flask) -> Any:
    """A request context for work done outside requests (the worker's digests, inbox
    deliveries): the layout's context processors read the session, which needs one."""
    base_url = app.extensions["communecter"].settings.base_url
    return app.test_request_context("/", base_url=base_url)


def _stamp(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).astimezone(UTC).isoformat()


def _mail(account: Any, notes: list[Notification], digest: bool) -> None:
    from web.mail import queue_mail

    names = names_of(notes)
    template = "notifications/mail/digest" if digest else "notifications/mail/notification"
    queue_mail(account.email, template, account.locale or "fr", notes=notes, names=names)


class DigestSender(threading.Thread):
    """Sends the daily digests from each web process (a digest is claimed atomically in
    the private store, so processes sharing it never send one twice). Not with an
    in-memory private store, nor with COMMUNECTER_MAIL_WORKER=0 (then whichever process
    sends the mail calls `send_digests`)."""

    def __init__(self, app: Flask) -> None:
        super().__init__(name="communecter-digests", daemon=True)
        self.app = app
        self.stopping = threading.Event()

    def run(self) -> None:
        data_dir = self.app.extensions["communecter"].settings.data_dir
        while not self.stopping.wait(DIGEST_POLL_SECONDS):
            if not data_dir.exists():
                return  # the instance is gone (a test's temporary directory)
            try:
                send_digests(self.app)
            except Exception as error:  # the thread must outlive hiccups
                print(f"digests: {error}", file=sys.stderr, flush=True)

    def stop(self) -> None:
        self.stopping.set()


_SENDERS: dict[str, DigestSender] = {}
_SENDERS_LOCK = threading.Lock()


@bp.record_once
def _setup(state: Any) -> None:
    """The private tables exist from the start; the digests start being sent."""
    app: Flask = state.app
    private = app.extensions["communecter"].private
    Notifications(private)
    if private.path is None or os.environ.get("COMMUNECTER_MAIL_WORKER") == "0":
        return
    key = str(Path(private.path).resolve())
    with _SENDERS_LOCK:
        sender = _SENDERS.get(key)
        if sender is None or not sender.is_alive():
            _SENDERS[key] = DigestSender(app)
            _SENDERS[key].start()


# --- in every page -------------------------------------------------------------------------


@bp.app_context_processor
def _unread() -> dict[str, Any]:
    if not has_request_context():
        return {"notifications_unread": None}
    account = current_account()
    if account is None:
        return {"notifications_unread": None}
    site = current_app.extensions["communecter"]
    return {"notifications_unread": Notifications(site.private).unread_count(account.actor)}


# --- pages ---------------------------------------------------------------------------------


def _login() -> Response:
    try:
        target = url_for("accounts.login", next=request.full_path)
    except BuildError:  # no log-in page registered
        target = "/login"
    return redirect(target)


@bp.get("/notifications")
def index() -> Any:
    account = current_account()
    if account is None:
        return _login()
    site = current_app.extensions["communecter"]
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)
    notes = Notifications(site.private).latest(account.actor, PAGE + 1, (page - 1) * PAGE)
    more = len(notes) > PAGE
    notes = notes[:PAGE]
    names = names_of(notes)
    return render_template("notifications/list.html", notes=notes, names=names, page=page,
                           more=more)


@bp.post("/notifications/read")
def mark_read() -> Any:
    account = current_account()
    if account is None:
        return _login()
    site = current_app.extensions["communecter"]
    given = request.form.getlist("id")
    ids = [int(value) for value in given[:MAX_MARKED] if value.isdigit() and len(value) <= 18]
    store = Notifications(site.private)
    if ids:
        store.mark_read(account.actor, ids)
    elif not given:  # the "all read" button sends no id; ids that name nothing mark nothing
        store.mark_read(account.actor)
    if request.accept_mimetypes.best == "application/json":
        return jsonify(unread=store.unread_count(account.actor))
    return redirect(url_for("notifications.index"), 303)


@bp.get("/notifications/count")
def count() -> Any:
    account = current_account()
    if account is None:
        return jsonify(unread=None), 401
    site = current_app.extensions["communecter"]
    response = jsonify(unread=Notifications(site.private).unread_count(account.actor))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/notifications/settings", methods=["GET", "POST"])
def settings() -> Any:
    account = current_account()
    if account is None:
        return _login()
    error = None
    if request.method == "POST":
        choice = request.form.get("email", "")
        if choice in EMAIL_CHOICES:
            accounts().update(account.id, settings={**account.settings, SETTING: choice})
            flash(_("Vos préférences de notification sont enregistrées."), "info")
            return redirect(url_for("notifications.settings"), 303)
        error = _("Choisissez l'une des options proposées.")
    status = 400 if error else 200
    return render_template("notifications/settings.html", choice=email_choice(account.settings),
                           error=error), status
