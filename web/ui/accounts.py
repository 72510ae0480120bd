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
  POST     /account/password | /account/commune | /account/locale | /account/delete

Links sent by mail are single-use and expire (COMMUNECTER_SIGNUP_LINK_TTL, default 24 h;
COMMUNECTER_LOGIN_LINK_TTL, default 30 min; in seconds); only a hash of their token is
stored. Sign-up, link requests and password attempts are rate-limited per e-mail and per
client address (COMMUNECTER_RATE_LIMITS, JSON, overrides the defaults below).
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
import sqlite3
import time
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from federation.activities import Activity
from federation.errors import Conflict
from ontology import AS, CC
from store.accounts import Account, email_key
from web.i18n import LANGUAGES
from web.mail import queue_mail, start_worker
from web.platform import platform
from web.slugs import mint_slug, slugify
from web.ui import account_communes
from web.ui.account_communes import CommuneChoice, PostalCodeProblem, communes_for
from web.ui.session import accounts, current_account, log_in, log_out, login_required, protect

bp = Blueprint("accounts", __name__)
protect(bp.name)

DEFAULT_TTL = {"signup": 24 * 3600.0, "login": 30 * 60.0}
RATE_LIMITS: dict[str, dict[str, tuple[int, float]]] = {
    "signup": {"email": (3, 3600), "ip": (20, 3600)},
    "login_link": {"email": (5, 3600), "ip": (30, 3600)},
    "password": {"email": (10, 900), "ip": (50, 900)},
}
RESERVED_HANDLES = {"new"}
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
EMAIL = re.compile(
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
hasher = PasswordHasher()


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


# --- small helpers ----------------------------------------------------------------------------


def normalize_email(text: str | None) -> str | None:
    """The address in lower case, or None when it is not a plausible e-mail address."""
    text = (text or "").strip().lower()
    if not text or len(text) > 254 or "@" not in text:
        return None
    local, _at, domain = text.rpartition("@")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    address = f"{local}@{domain}"
    if len(local) > 64 or not EMAIL.match(address):
        return None
    return address


def _ttl(purpose: str) -> float:
    name = f"{purpose.upper()}_LINK_TTL"
    value = current_app.config.get(name) or os.environ.get(f"COMMUNECTER_{name}")
    return float(value) if value else DEFAULT_TTL[purpose]


def _limits(kind: str) -> dict[str, tuple[int, float]]:
    limits = dict(RATE_LIMITS[kind])
    configured = current_app.config.get("ACCOUNTS_RATE_LIMITS")
    if configured is None and os.environ.get("COMMUNECTER_RATE_LIMITS"):
        configured = json.loads(os.environ["COMMUNECTER_RATE_LIMITS"])
    for scope, (limit, window) in (configured or {}).get(kind, {}).items():
        limits[scope] = (int(limit), float(window))
    return limits


def _rate_limited(kind: str, email: str) -> Response | None:
    """None when the request may go on; else the page saying when to retry."""
    limits = _limits(kind)
    keys = [(f"{kind}:email:{email_key(email)}", *limits["email"]),
            (f"{kind}:ip:{request.remote_addr or 'unknown'}", *limits["ip"])]
    retry_at = accounts().rate_check(keys)
    if retry_at is None:
        return None
    minutes = max(1, math.ceil((retry_at - time.time()) / 60))
    moment = time.strftime("%H:%M", time.gmtime(retry_at))
    response = Response(render_template(
        "accounts/message.html", title=_("Trop de demandes"),
        text=_("Vous avez fait trop de demandes en peu de temps. Réessayez dans %(minutes)s "
               "minute(s) (à partir de %(moment)s UTC).", minutes=minutes, moment=moment),
        link=None), 429)
    response.headers["Retry-After"] = str(max(1, math.ceil(retry_at - time.time())))
    return response


def safe_next(target: str | None) -> str:
    """A local path to go back to after logging in (never another site)."""
    target = (target or "").strip()
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return ""
    return target.rstrip("?")


def _locale() -> str:
    locale = get_locale()
    return locale.language if locale and locale.language in LANGUAGES else "fr"


def _link(path: str) -> str:
    return f"{platform().base_url}{path}"


def _email_message(typed: str) -> str:
    if not typed:
        return _("Indiquez votre adresse e-mail.")
    return _("« %(email)s » n'est pas une adresse e-mail valable (exemple : "
             "prenom@exemple.fr).", email=typed)


def _postal_message(problem: PostalCodeProblem) -> str:
    if not problem.code:
        return _("Indiquez votre code postal (cinq chiffres, par exemple 97400).")
    if problem.kind == "malformed":
        return _("« %(code)s » n'est pas un code postal : il faut cinq chiffres, par exemple "
                 "97400.", code=problem.code)
    if problem.kind == "unknown":
        return _("Aucune commune ne correspond au code postal %(code)s. Vérifiez-le.",
                 code=problem.code)
    return _("Les communes du code postal %(code)s ne sont pas encore ouvertes sur ce "
             "site.", code=problem.code)


def _no_referrer(response: Response) -> Response:
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def _pick_commune(postal_code: str, chosen: str | None,
                  errors: dict[str, str]) -> tuple[list[CommuneChoice], CommuneChoice | None]:
    """The communes of the postal code and the one chosen (or the only one); the
    problems go into `errors`."""
    site = platform()
    try:
        choices = communes_for(postal_code, site.store, site.base_url)
    except PostalCodeProblem as problem:
        errors["postal_code"] = _postal_message(problem)
        return [], None
    if chosen:
        picked = next((c for c in choices if c.insee == chosen), None)
        if picked is None:
            errors["commune"] = _("Cette commune ne correspond pas au code postal donné : "
                                  "choisissez dans la liste.")
        return choices, picked
    return choices, choices[0] if len(choices) == 1 else None


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


def _handle_base(email: str) -> str:
    local = email.split("@", 1)[0].split("+", 1)[0]
    base = slugify(local)[:40].strip("-")
    if len(base) < 2:
        base = "citoyen"
    if base in RESERVED_HANDLES:
        base = f"{base}-1"
    return base


def citizen_graph(actor: str, handle: str) -> Graph:
    graph = Graph()
    subject = URIRef(actor)
    graph.add((subject, RDF.type, CC.Citizen))
    graph.add((subject, AS.preferredUsername, Literal(handle)))
    graph.add((subject, AS.name, Literal(handle)))
    return graph


def create_citizen_account(email: str, commune: str, locale: str) -> Account:
    """The account (private) and the citizen resource (public, through a Create
    activity), with a handle made from the e-mail's local part; both or neither."""
    site = platform()
    base = _handle_base(email)
    for attempt in range(6):
        hint = base if attempt == 0 else f"{base}-{secrets.token_hex(2)}"
        handle = mint_slug(hint, site.store, site.base_url, "persons")
        actor = f"{site.base_url}/persons/{handle}"
        if handle in RESERVED_HANDLES or accounts().by_actor(actor) is not None:
            continue
        try:
            account = accounts().create(email, actor, commune, locale, confirmed=True)
        except sqlite3.IntegrityError:
            existing = accounts().by_email(email)
            if existing is not None:
                return existing
            continue
        try:
            site.activities.apply(Activity("Create", actor, actor, citizen_graph(actor, handle)))
        except Conflict:
            accounts().delete(account.id)
            continue
        except Exception:
            accounts().delete(account.id)
            raise
        return account
    raise RuntimeError("could not find a free handle for a new citizen")


def _link_problem(status: str, purpose: str) -> Response:
    again = "/signup" if purpose == "signup" else "/login"
    if status == "expired":
        title = _("Ce lien a expiré")
        text = _("Pour votre sécurité, les liens envoyés par e-mail ne durent pas. "
                 "Demandez-en un nouveau : cela ne prend qu'un instant.")
        code = 410
    elif status == "used":
        title = _("Ce lien a déjà servi")
        text = _("Chaque lien envoyé par e-mail ne sert qu'une fois. Si c'est vous qui l'avez "
                 "suivi, vous êtes peut-être déjà connecté·e ; sinon, demandez-en un nouveau.")
        code = 410
    else:
        title = _("Ce lien n'est pas valable")
        text = _("Vérifiez que vous avez copié le lien en entier, ou demandez-en un nouveau.")
        code = 404
    label = _("Recommencer l'inscription") if purpose == "signup" else _("Demander un lien")
    return Response(render_template("accounts/message.html", title=title, text=text,
                                    link=(again, label)), code)


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


def _verify(account: Account, password: str) -> bool:
    try:
        hasher.verify(account.password_hash or "", password)
    except (VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(account.password_hash or ""):
        accounts().update(account.id, password_hash=hasher.hash(password))
    return True


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


# --- the account page ---------------------------------------------------------------------------


def _account_page(account: Account, status: int = 200, **extra: Any) -> Any:
    site = platform()
    page = {
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


@bp.get("/account")
@login_required
def account_page() -> Any:
    account = current_account()
    assert account is not None
    account_communes.warm()
    return _account_page(account)


@bp.post("/account/password")
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


@bp.post("/account/commune")
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


@bp.post("/account/locale")
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


@bp.post("/account/delete")
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
