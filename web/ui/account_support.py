"""What the account pages share: the limits (links' lifetimes, rate limits, password
length), e-mail addresses and safe return paths, the messages about an address, a postal
code or a used link, the choice of a commune, and password checks. Split from
`web.ui.accounts`, which holds the blueprint and the sign-up and log-in views.
"""

from __future__ import annotations

import json
import math
import os
import re
import time

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Response, current_app, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _

from store.accounts import Account, email_key
from web.i18n import LANGUAGES
from web.platform import platform
from web.ui.account_communes import CommuneChoice, PostalCodeProblem, communes_for
from web.ui.session import accounts

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



def _verify(account: Account, password: str) -> bool:
    try:
        hasher.verify(account.password_hash or "", password)
    except (VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(account.password_hash or ""):
        accounts().update(account.id, password_hash=hasher.hash(password))
    return True

