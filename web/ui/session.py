"""Who is using the web UI (session cookie), and CSRF protection for every form.

Every state-changing request to a UI blueprint (declared with `protect`) must carry the
session's CSRF token, as a form field `csrf_token` or an `X-CSRF-Token` header. The LDP and
SPARQL interfaces take bearer tokens, not cookies, and are not concerned.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, g, has_request_context, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import get_locale, gettext
from markupsafe import Markup, escape

from store.accounts import Account, Accounts
from web.platform import platform

F = TypeVar("F", bound=Callable[..., Any])
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def accounts() -> Accounts:
    return platform().accounts


def current_account() -> Account | None:
    """The logged-in account of this request, or None."""
    if "account" not in g:
        account_id = session.get("account_id")
        g.account = accounts().by_id(account_id) if isinstance(account_id, int) else None
    return g.account


def log_in(account: Account) -> None:
    session.clear()
    session["account_id"] = account.id
    session["locale"] = account.locale
    session.permanent = True
    g.account = account


def log_out() -> None:
    session.clear()
    g.account = None


def login_required(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_account() is None:
            return redirect(url_for("accounts.login", next=request.full_path))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def admin_required(view: F) -> F:
    """Pages of the instance's administrators: an anonymous visitor logs in first (and comes
    back), anyone else who is not an administrator is refused (403)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        account = current_account()
        if account is None:
            return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
        if not account.is_admin:
            abort(403, gettext("Réservé aux administrateurs de l'instance."))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def csrf_token() -> str:
    token = session.get("csrf_token")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf_token"] = token
    return token


def csrf_field() -> Markup:
    return Markup(f'<input type="hidden" name="csrf_token" value="{escape(csrf_token())}">')


def _check_csrf() -> None:
    if request.method not in UNSAFE or request.blueprint not in _FORM_BLUEPRINTS:
        return
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token", "")
    expected = session.get("csrf_token", "")
    if not expected or not hmac.compare_digest(str(sent), str(expected)):
        abort(400, "this form has expired or was not sent from this site; reload the page "
                   "and try again")


_FORM_BLUEPRINTS: set[str] = set()


def protect(blueprint_name: str) -> None:
    """Declares a blueprint whose POSTs are browser forms (always CSRF-checked)."""
    _FORM_BLUEPRINTS.add(blueprint_name)


class _CookieOnlyWhenSent(SecureCookieSessionInterface):
    """Most requests (LDP, SPARQL, ActivityPub, feeds) carry no session cookie: they get an
    empty session without building the cookie's signing serializer each time."""

    def open_session(self, app: Flask, request: Any) -> Any:
        if self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    app.session_interface = _CookieOnlyWhenSent()
    app.before_request(_check_csrf)

    @app.context_processor
    def _ui_context() -> dict[str, Any]:
        if not has_request_context():  # mail rendered by a background thread
            return {"current_account": None, "get_locale": get_locale}
        return {"current_account": current_account(), "csrf_field": csrf_field,
                "csrf_token": csrf_token, "get_locale": get_locale}
