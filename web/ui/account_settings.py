"""The account page: password, commune, language, what the fediverse is told (approving
followers one by one, being listed in directories) and deletion of the logged-in person's
account. Routed by `web.ui.accounts` (endpoints `accounts.account_page`,
`accounts.change_password`, ...).
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, session
from flask_babel import gettext as _

from federation.as2_actors import DISCOVERABLE, MANUALLY_APPROVES, preferences
from store.accounts import Account
from web.i18n import LANGUAGES
from web.platform import platform
from web.ui import account_communes
from web.ui.account_support import MAX_PASSWORD, MIN_PASSWORD, _pick_commune, _verify, hasher
from web.ui.session import accounts, current_account, log_out, login_required


def _account_page(account: Account, status: int = 200, **extra: Any) -> Any:
    from web.ui.follow_requests import waiting_count

    site = platform()
    manual, discoverable = preferences(site.private, account.actor)
    page = {
        "manually_approves_followers": manual,
        "discoverable": discoverable,
        "follow_requests_waiting": waiting_count(account.actor),
        "account": account,
        "commune_name": account_communes.commune_name(site.store, account.commune)
        or account.commune,
        "errors": {},
        "choices": [],
        "postal_code": "",
        "languages": LANGUAGES,
        **extra,
    }
    return render_template("accounts/account.html", **page), status


@login_required
def account_page() -> Any:
    account = current_account()
    assert account is not None
    account_communes.warm()
    return _account_page(account)


@login_required
def change_password() -> Any:
    account = current_account()
    assert account is not None
    current = request.form.get("current_password", "")[:MAX_PASSWORD]
    new = request.form.get("new_password", "")[:MAX_PASSWORD + 1]
    again = request.form.get("new_password_again", "")[:MAX_PASSWORD + 1]
    errors: dict[str, str] = {}
    if account.password_hash and not _verify(account, current):
        errors["current_password"] = _("Le mot de passe actuel n'est pas le bon.")
    if request.form.get("remove") == "1":
        if not errors:
            accounts().update(account.id, password_hash=None)
            flash(_("Mot de passe supprimé : vous vous connecterez par un lien envoyé par "
                    "e-mail."), "info")
            return redirect("/account")
        return _account_page(account, 422, errors=errors)
    if len(new) < MIN_PASSWORD or len(new) > MAX_PASSWORD:
        errors["new_password"] = _("Le mot de passe doit compter de %(min)s à %(max)s "
                                   "caractères.", min=MIN_PASSWORD, max=MAX_PASSWORD)
    elif new != again:
        errors["new_password_again"] = _("Les deux mots de passe ne sont pas identiques.")
    if errors:
        return _account_page(account, 422, errors=errors)
    accounts().update(account.id, password_hash=hasher.hash(new))
    flash(_("Mot de passe enregistré."), "info")
    return redirect("/account")


@login_required
def change_commune() -> Any:
    account = current_account()
    assert account is not None
    postal_code = request.form.get("postal_code", "").strip()[:20]
    errors: dict[str, str] = {}
    choices, picked = _pick_commune(postal_code, request.form.get("commune"), errors)
    if errors:
        return _account_page(account, 422, errors=errors, postal_code=postal_code,
                             choices=choices if "postal_code" not in errors else [])
    if picked is None:
        return _account_page(account, postal_code=postal_code, choices=choices)
    accounts().update(account.id, commune=picked.iri(platform().base_url))
    flash(_("Votre commune est maintenant %(name)s.", name=picked.name), "info")
    return redirect("/account")


@login_required
def change_locale() -> Any:
    account = current_account()
    assert account is not None
    choice = request.form.get("locale", "")
    if choice not in LANGUAGES:
        return _account_page(account, 422, errors={"locale": _("Langue inconnue.")})
    accounts().update(account.id, locale=choice)
    session["locale"] = choice
    return redirect("/account")


@login_required
def change_federation() -> Any:
    """The person's choices for the fediverse, published on their actor document
    (manuallyApprovesFollowers, discoverable); the servers that follow them are sent an
    Update of it. Approving followers automatically again approves those who waited, as
    Mastodon does when an account is unlocked."""
    from web.ui.follow_requests import approve_everyone_waiting, tell_followers

    account = current_account()
    assert account is not None
    manual = request.form.get(MANUALLY_APPROVES) == "on"
    discoverable = request.form.get(DISCOVERABLE) == "on"
    before = preferences(platform().private, account.actor)
    accounts().update(account.id, settings={**account.settings, MANUALLY_APPROVES: manual,
                                            DISCOVERABLE: discoverable})
    if before[0] and not manual:
        approve_everyone_waiting(account.actor)
    if before != (manual, discoverable):
        tell_followers(account.actor)
    flash(_("Vos choix pour le fédivers sont enregistrés."), "info")
    return redirect("/account")


@login_required
def delete_account_route() -> Any:
    from web.ui.account_deletion import delete_account

    account = current_account()
    assert account is not None
    choice = request.form.get("contributions", "")
    errors: dict[str, str] = {}
    if choice not in ("delete", "keep"):
        errors["contributions"] = _("Choisissez ce que deviennent vos contributions.")
    if request.form.get("confirm") != "yes":
        errors["confirm"] = _("Cochez la case pour confirmer la suppression.")
    if errors:
        return _account_page(account, 422, errors=errors)
    delete_account(account, keep_contributions=choice == "keep")
    log_out()
    flash(_("Votre compte et vos données personnelles ont été supprimés."), "info")
    return redirect("/")
