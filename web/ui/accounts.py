"""Accounts in the web UI: sign-up with an e-mail and a postal code, log-in by e-mail link
or password, log-out, and the account page (password, commune, language, deletion).

Routes
  GET/POST /signup                  e-mail + postal code (+ the commune when several)
  GET      /signup/confirm/<token>  creates the citizen and the account, logs in, lands
                                    on the commune's page
  GET/POST /login                   a link by mail, or e-mail + password
  GET      /login/link/<token>      logs in
  POST     /logout
  GET      /account                 the person's settings
  POST     /account/password | /account/commune | /account/locale | /account/federation
           | /account/delete

Links sent by mail are single-use and expire (COMMUNECTER_SIGNUP_LINK_TTL, default 24 h;
COMMUNECTER_LOGIN_LINK_TTL, default 30 min; in seconds); only a hash of their token is
stored. Sign-up, link requests and password attempts are rate-limited per e-mail and per
client address (COMMUNECTER_RATE_LIMITS, JSON, overrides the defaults below).

The blueprint and the sign-up and log-in views are here; next to it: account_support (what
the pages share), account_citizens (creating a citizen) and account_settings (the account
page).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request
from flask_babel import gettext as _

from web.mail import queue_mail, start_worker
from web.platform import platform
from web.ui import account_communes
from web.ui.account_citizens import citizen_graph, create_citizen_account
from web.ui.account_settings import (
    account_page,
    change_commune,
    change_federation,
    change_locale,
    change_password,
    delete_account_route,
)
from web.ui.account_support import (
    DEFAULT_TTL,
    EMAIL,
    MAX_PASSWORD,
    MIN_PASSWORD,
    RATE_LIMITS,
    RESERVED_HANDLES,
    _email_message,
    _link,
    _link_problem,
    _locale,
    _no_referrer,
    _pick_commune,
    _rate_limited,
    _ttl,
    _verify,
    hasher,
    normalize_email,
    safe_next,
)
from web.ui.session import accounts, log_in, log_out, protect

# kept importable from here: they lived in this module before it was split
__all__ = ["DEFAULT_TTL", "EMAIL", "MAX_PASSWORD", "MIN_PASSWORD", "RATE_LIMITS",
           "RESERVED_HANDLES", "account_page", "bp", "change_commune", "change_federation",
           "change_locale", "change_password", "citizen_graph", "confirm_signup",
           "create_citizen_account", "delete_account_route", "hasher", "login", "login_link",
           "logout", "normalize_email", "safe_next", "signup"]

bp = Blueprint("accounts", __name__)
protect(bp.name)


@bp.record_once
def _start(state: Any) -> None:
    """The mail worker starts with the app."""
    start_worker(state.app)


@bp.after_app_request
def _pages_are_per_session(response: Response) -> Response:
    """Every HTML page depends on the session (who is logged in, members-only and private
    fields, the CSRF token of its forms): it must never be answered from a cache, nor
    revalidated by an ETag computed from the resource's RDF alone (a 304 would show a
    page with another session's token, or someone's private fields after log-out)."""
    if response.mimetype == "text/html":
        response.headers["Cache-Control"] = "private, no-store"
        response.headers.pop("ETag", None)
        response.vary.add("Cookie")
    return response



# --- sign-up ------------------------------------------------------------------------------------


@bp.route("/signup", methods=["GET", "POST"])
def signup() -> Any:
    if request.method == "GET":
        account_communes.warm()
        return render_template("accounts/signup.html", form={}, errors={}, choices=[])
    form = {"email": request.form.get("email", "").strip()[:300],
            "postal_code": request.form.get("postal_code", "").strip()[:20]}
    errors: dict[str, str] = {}
    email = normalize_email(form["email"])
    if email is None:
        errors["email"] = _email_message(form["email"])
    choices, picked = _pick_commune(form["postal_code"], request.form.get("commune"), errors)
    if errors:
        return render_template("accounts/signup.html", form=form, errors=errors,
                               choices=choices if "postal_code" not in errors else []), 422
    if picked is None:
        return render_template("accounts/signup.html", form=form, errors={}, choices=choices)
    assert email is not None
    limited = _rate_limited("signup", email)
    if limited is not None:
        return limited
    site = platform()
    existing = accounts().by_email(email)
    if existing is not None:
        token = accounts().issue_link("login", email, {"next": ""}, _ttl("login"))
        queue_mail(email, "accounts/mail/already_registered", existing.locale,
                   link=_link(f"/login/link/{token}"), minutes=int(_ttl("login") // 60))
    else:
        commune = picked.iri(site.base_url)
        token = accounts().issue_link("signup", email,
                                      {"commune": commune, "locale": _locale()}, _ttl("signup"))
        queue_mail(email, "accounts/mail/signup", _locale(),
                   link=_link(f"/signup/confirm/{token}"), commune_name=picked.name,
                   hours=max(1, int(_ttl("signup") // 3600)))
    return render_template("accounts/check_mail.html", email=email, purpose="signup")


@bp.get("/signup/confirm/<token>")
def confirm_signup(token: str) -> Any:
    status, email, data = accounts().use_link("signup", token)
    if status != "ok" or email is None:
        return _no_referrer(_link_problem(status, "signup"))
    account = accounts().by_email(email)
    created = account is None
    if account is None:
        account = create_citizen_account(email, str(data["commune"]),
                                         str(data.get("locale") or "fr"))
    log_in(account)  # a fresh session: flash after it
    if created:
        flash(_("Bienvenue ! Vous êtes inscrit·e et connecté·e : voici votre commune."), "info")
    return _no_referrer(redirect(account.commune))


# --- log-in and log-out ------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    next_path = safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template("accounts/login.html", form={}, errors={}, next=next_path)
    method = request.form.get("method", "link")
    form = {"email": request.form.get("email", "").strip()[:300]}
    email = normalize_email(form["email"])
    if email is None:
        errors = {"email": _email_message(form["email"])}
        return render_template("accounts/login.html", form=form, errors=errors,
                               next=next_path, method=method), 422
    if method == "password":
        return _password_login(email, form, next_path)
    limited = _rate_limited("login_link", email)
    if limited is not None:
        return limited
    account = accounts().by_email(email)
    if account is not None:
        token = accounts().issue_link("login", email, {"next": next_path}, _ttl("login"))
        queue_mail(email, "accounts/mail/login", account.locale,
                   link=_link(f"/login/link/{token}"), minutes=int(_ttl("login") // 60))
    return render_template("accounts/check_mail.html", email=email, purpose="login")


def _password_login(email: str, form: dict[str, str], next_path: str) -> Any:
    limited = _rate_limited("password", email)
    if limited is not None:
        return limited
    password = request.form.get("password", "")[:MAX_PASSWORD]
    account = accounts().by_email(email)
    if account is None or not account.password_hash or not _verify(account, password):
        errors = {"password": _("E-mail ou mot de passe incorrect.")}
        return render_template("accounts/login.html", form=form, errors=errors,
                               next=next_path, method="password"), 401
    log_in(account)
    return redirect(next_path or account.commune)



@bp.get("/login/link/<token>")
def login_link(token: str) -> Any:
    status, email, data = accounts().use_link("login", token)
    account = accounts().by_email(email) if status == "ok" and email else None
    if account is None:
        return _no_referrer(_link_problem(status if status != "ok" else "unknown", "login"))
    log_in(account)
    return _no_referrer(redirect(safe_next(str(data.get("next") or "")) or account.commune))


@bp.post("/logout")
def logout() -> Any:
    log_out()
    flash(_("Vous êtes déconnecté·e."), "info")
    return redirect("/")



# --- the account page (web/ui/account_settings.py) ----------------------------------------------

bp.get("/account")(account_page)
bp.post("/account/password")(change_password)
bp.post("/account/commune")(change_commune)
bp.post("/account/locale")(change_locale)
bp.post("/account/federation")(change_federation)
bp.post("/account/delete")(delete_account_route)
