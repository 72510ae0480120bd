"""Moderation of the federation, for people: instance domain blocks, personal blocks and
mutes, and what they hide (the rules themselves: federation/moderation.py).

Pages and routes (every form carries the session's CSRF token):
  GET  /moderation/domains            instance admins: the domain policies and a form to add
  POST /moderation/domains            host, policy (reject | silence), reason → set
  POST /moderation/domains/remove     host → removed
  GET  /blocks                        a person's blocks and mutes, a form to add one
  POST /blocks                        kind (block | mute), target (actor IRI, @handle,
                                      user@host or domain), next → added
  POST /blocks/remove                 kind, target, next → undone
  POST /report/remote                 object (a remote IRI shown here), category, details,
                                      forward=1 → the queue, and a Flag to its server

The reports' queue stays at /moderation (web/ui/posts.py); reports received from other
servers (`federation.moderation.record_report`, called by the inbox on a Flag) join it, and
the template global `moderation_origin(report_id)` says which server sent one; the
"Signaler" macro (templates/posts/_wall.html) sends reports of remote things here.

What is hidden from whom: web/ui/moderation_hidden.py (`hides`, `visible`, `hide_in_feed`,
re-exported here). A block also ends the follows between the two and, for a remote
account, sends its server a Block (an Undo of it on unblock) through the delivery queue.

Person pages (local and remote) show block/mute buttons with the macro
templates/moderation/_person.html:
  {% from "moderation/_person.html" import person_actions %}{{ person_actions(iri) }}
A list of items with an `author` drops the hidden ones in a template with the Jinja test
"hidden_author": {{ show(posts | rejectattr("author", "hidden_author") | list) }}.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.routing import BuildError

from federation import moderation
from federation.activities import Activity
from federation.errors import ActivityRefused
from federation.handlers import blocks as block_rules
from federation.handlers.follows import followers_of
from web.platform import platform
from web.ui.moderation_hidden import hide_in_feed, hides, visible
from web.ui.session import admin_required, current_account, protect

logger = logging.getLogger(__name__)
bp = Blueprint("moderation", __name__)
protect(bp.name)

__all__ = ["bp", "hide_in_feed", "hides", "visible"]


@bp.record_once
def _setup(state: Any) -> None:
    app: Flask = state.app
    site = app.extensions["communecter"]
    block_rules.wire(site.activities, site.private)
    app.add_template_global(person_state, "moderation_person_state")
    app.add_template_global(origin_of, "moderation_origin")
    app.add_template_global(is_remote, "moderation_is_remote")
    app.jinja_env.tests["hidden_author"] = hides  # rejectattr("author", "hidden_author")


# --- domain policies (instance administrators) -------------------------------------------


@bp.get("/moderation/domains")
@admin_required
def domains() -> Any:
    return _domains_page(None, request.args.get("host", ""), "", 200)


def _domains_page(error: str | None, host: str, reason: str, status: int) -> Any:
    site = platform()
    return render_template("moderation/domains.html", policies=moderation.domain_policies(
        site.private), error=error, host=host, reason=reason), status


@bp.post("/moderation/domains")
@admin_required
def add_domain() -> Any:
    host = request.form.get("host", "").strip()
    policy = request.form.get("policy", "")
    reason = request.form.get("reason", "")
    if policy not in moderation.POLICIES:
        return _domains_page(_("Choisissez « rejeter » ou « restreindre »."), host, reason, 400)
    if moderation.covered(moderation.host_of(platform().base_url),
                          {moderation.normalize_host(host)}):
        return _domains_page(_("C'est le domaine de cette instance."), host, reason, 400)
    try:
        host = moderation.set_domain_policy(platform().private, host, policy, reason,
                                            by=current_account().actor)  # type: ignore[union-attr]
    except ValueError:
        return _domains_page(_("« %(host)s » n'est pas un nom de domaine.", host=host[:100]),
                             host, reason, 400)
    flash(_("Règle enregistrée pour %(host)s.", host=host), "info")
    return redirect(url_for("moderation.domains"), 303)


@bp.post("/moderation/domains/remove")
@admin_required
def remove_domain() -> Any:
    host = request.form.get("host", "")
    with contextlib.suppress(ValueError):
        moderation.set_domain_policy(platform().private, host, None)
    flash(_("Règle retirée pour %(host)s.", host=host[:100]), "info")
    return redirect(url_for("moderation.domains"), 303)


def is_remote(iri: str) -> bool:
    """Whether an IRI is another server's (its report goes to /report/remote)."""
    return iri.startswith(("http://", "https://")) and not iri.startswith(
        platform().base_url + "/")


@bp.post("/report/remote")
def report_remote() -> Any:
    """A person reports a remote post or account that this instance shows (a reply in a
    thread, a profile): the report joins the moderators' queue, and unless the person
    unticked it, an anonymous copy (a Flag by the instance actor, as Mastodon forwards
    reports) goes to the server it came from."""
    from web.ui.posts import REPORT_CATEGORIES

    account = current_account()
    if account is None:
        return redirect(_login_url())
    site = platform()
    target = request.form.get("object", "").strip()
    if not is_remote(target) or site.store.graph(target) is None:
        abort(404, _("Ce contenu n'existe pas."))
    category = request.form.get("category", "other")
    category = category if category in REPORT_CATEGORIES else "other"
    details = request.form.get("details", "").strip()[:900]
    moderation.record_report(site.private, account.actor, [target],
                             f"{category}: {details}" if details else category)
    if request.form.get("forward") == "1":
        _forward_report(target, details)
    flash(_("Merci : votre signalement a été transmis à l'équipe de modération."), "info")
    return _back()


def _forward_report(target: str, details: str) -> None:
    """An anonymous copy of a report to the reported thing's server: a Flag by the
    instance actor of the author's account and the thing, to the author's inbox."""
    from rdflib import URIRef

    from federation.actors import instance_actor_iri
    from federation.as2 import activity_id
    from federation.remote import RemoteObjects
    from federation.resources import graph_from_ntriples
    from ontology import AS

    site = platform()
    found = site.store.graph(target)
    author = graph_from_ntriples(found).value(URIRef(target), AS.attributedTo) if found else None
    account = str(author) if author is not None and is_remote(str(author)) else target
    try:
        inbox, _shared = RemoteObjects(site.store, site.private, site.base_url,
                                       site.settings.allow_private_addresses).inboxes(account)
    except Exception:  # not an actor, unreachable: the report stays here
        logger.warning("cannot forward a report about %s", target, exc_info=True)
        return
    if moderation.domain_policy(site.private, inbox) == "reject":
        return
    signer = instance_actor_iri(site.base_url)
    objects = list(dict.fromkeys([account, target]))
    flag = {"@context": "https://www.w3.org/ns/activitystreams",
            "id": activity_id("Flag", signer, target, datetime.now(UTC)), "type": "Flag",
            "actor": signer, "object": objects, "content": details, "to": [account]}
    site.deliveries.enqueue(inbox, flag, signer)


def origin_of(report_id: int) -> str | None:
    """The server a report came from (None: a local report)."""
    found = moderation.report_origins(platform().private, [report_id]).get(report_id)
    return found[0] if found else None


# --- personal blocks and mutes ------------------------------------------------------------


@bp.get("/blocks")
def filters() -> Any:
    account = current_account()
    if account is None:
        return redirect(_login_url())
    return _filters_page(account.actor, None, request.args.get("target", ""), 200)


def _filters_page(person: str, error: str | None, target: str, status: int) -> Any:
    from web.ui.post_views import labels

    site = platform()
    blocked = sorted(moderation.blocks(site.private, person))
    muted = sorted(moderation.mutes(site.private, person))
    names = labels({t for t in blocked + muted if "://" in t})
    return render_template("moderation/blocks.html", blocked=blocked, muted=muted,
                           names=names, error=error, target=target), status


@bp.post("/blocks")
def add_filter() -> Any:
    account = current_account()
    if account is None:
        return redirect(_login_url())
    kind = request.form.get("kind", "")
    typed = request.form.get("target", "").strip()
    if kind not in moderation.FILTER_KINDS:
        return _filters_page(account.actor, _("Choisissez « bloquer » ou « masquer »."),
                             typed, 400)
    site = platform()
    try:
        target = _resolve(typed)
        if kind == "block":
            target = moderation.block(site.private, account.actor, target)
            _cut_follows(account.actor, target)
            _tell_remote(account.actor, target, undo=False)
        else:
            target = moderation.mute(site.private, account.actor, target)
    except ValueError as error:
        message = str(error) if str(error).startswith(("«", "C'est")) else _(
            "Indiquez l'adresse d'une personne (@pseudo, pseudo@serveur, URL) ou un nom de "
            "domaine.")
        return _filters_page(account.actor, message, typed, 400)
    if kind == "block":
        flash(_("%(who)s est bloqué·e.", who=_name(target)), "info")
    else:
        flash(_("%(who)s est masqué·e.", who=_name(target)), "info")
    return _back()


@bp.post("/blocks/remove")
def remove_filter() -> Any:
    account = current_account()
    if account is None:
        return redirect(_login_url())
    kind = request.form.get("kind", "")
    target = request.form.get("target", "")
    site = platform()
    if kind == "block":
        if moderation.unblock(site.private, account.actor, target):
            _tell_remote(account.actor, target, undo=True)
        flash(_("%(who)s n'est plus bloqué·e.", who=_name(target)), "info")
    elif kind == "mute":
        moderation.unmute(site.private, account.actor, target)
        flash(_("%(who)s n'est plus masqué·e.", who=_name(target)), "info")
    return _back()


def person_state(iri: str) -> dict[str, bool]:
    """For the person-page macro: is someone logged in, is it that person, and do they
    block / mute this actor?"""
    account = current_account()
    site = platform()
    local = iri.startswith(site.base_url + "/")
    if account is None or account.actor == iri:
        return {"viewer": account is not None, "self": account is not None,
                "blocked": False, "muted": False, "local": local}
    return {"viewer": True, "self": False, "local": local,
            "blocked": iri in moderation.blocks(site.private, account.actor),
            "muted": iri in moderation.mutes(site.private, account.actor)}


def _resolve(typed: str) -> str:
    """An actor IRI (or a domain) from what a person typed: an IRI, @handle (local),
    user@host (WebFinger, or local when the host is ours), or a domain."""
    site = platform()
    text = typed.strip()
    if text.startswith(("http://", "https://")) or not text:
        return text
    handle = text.removeprefix("acct:").removeprefix("@")
    if "@" not in handle:
        if "." in handle or ":" in handle:
            if moderation.normalize_host(handle) == moderation.host_of(site.base_url):
                raise ValueError(_("C'est le domaine de cette instance."))
            return handle  # a domain
        return _local(handle, typed)
    user, host = handle.rsplit("@", 1)
    if moderation.normalize_host(host) == moderation.host_of(site.base_url):
        return _local(user, typed)
    try:
        from federation import webfinger_client
    except ImportError as error:  # no remote look-up on this instance
        raise ValueError(_("« %(who)s » est introuvable.", who=typed[:100])) from error
    try:
        return webfinger_client.resolve(handle,
                                        allow_private=site.settings.allow_private_addresses)
    except webfinger_client.LookupFailed as error:
        raise ValueError(_("« %(who)s » est introuvable.", who=typed[:100])) from error


def _local(slug: str, typed: str) -> str:
    from federation.actors import actor_for_username

    site = platform()
    found = actor_for_username(site.store, site.base_url, slug)
    if not found:
        raise ValueError(_("« %(who)s » est introuvable.", who=typed[:100]))
    return found


def _cut_follows(person: str, target: str) -> None:
    """A block ends the follows between the two (both ways); for a domain, its actors'
    follows of the person."""
    handler = platform().activities
    pairs: list[tuple[str, str]] = []
    if "://" in target:
        pairs = [(target, person), (person, target)]
    else:
        with contextlib.suppress(Exception):
            pairs = [(f, person) for f in followers_of(handler, person)
                     if moderation.matches({target}, f)]
    for follower, followed in pairs:
        with contextlib.suppress(ActivityRefused, ValueError):
            handler.apply(Activity("Undo", follower, followed, content="Follow"))


def _tell_remote(person: str, target: str, undo: bool) -> None:
    """Tells a remote account's server of a block (Block, or Undo of it), through the
    delivery queue, as Mastodon does: it then stops showing the person's things to the
    blocked account. Local targets and domains are nobody's business but ours."""
    site = platform()
    if "://" not in target or target.startswith(site.base_url + "/"):
        return
    from federation.as2 import activity_id
    from federation.remote import RemoteObjects

    try:
        inbox, _shared = RemoteObjects(site.store, site.private, site.base_url,
                                       site.settings.allow_private_addresses).inboxes(target)
    except Exception:  # unreachable, not an actor: the block still holds here
        logger.warning("cannot tell %s of a block", target, exc_info=True)
        return
    if moderation.domain_policy(site.private, inbox) == "reject":
        return
    now = datetime.now(UTC)
    context = "https://www.w3.org/ns/activitystreams"
    block = {"id": activity_id("Block", person, target), "type": "Block", "actor": person,
             "object": target, "to": [target]}
    if undo:
        document = {"@context": context, "id": activity_id("Undo", person, block["id"], now),
                    "type": "Undo", "actor": person, "object": block, "to": [target]}
    else:
        document = {"@context": context, **block,
                    "id": activity_id("Block", person, target, now)}
    site.deliveries.enqueue(inbox, document, person)


def _name(target: str) -> str:
    if "://" not in target:
        return target
    from web.ui.post_views import labels

    found = labels({target}).get(target)
    return found.name if found else target


def _back() -> Any:
    from web.ui.post_forms import safe_next

    wanted = request.form.get("next", "")
    return redirect(safe_next(wanted, url_for("moderation.filters")), 303)


def _login_url() -> str:
    try:
        return url_for("accounts.login", next=request.full_path.rstrip("?"))
    except BuildError:
        return "/login"

