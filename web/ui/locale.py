"""Choosing the interface language (French first, English second)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, redirect, request, session

from web.i18n import LANGUAGES
from web.ui.session import accounts, current_account, protect

bp = Blueprint("locale", __name__)
protect(bp.name)


@bp.post("/locale")
def choose_locale() -> Response:
    choice = request.form.get("locale", "")
    if choice in LANGUAGES:
        session["locale"] = choice
        account = current_account()
        if account is not None:
            accounts().update(account.id, locale=choice)
    back = request.referrer or "/"
    target = urlsplit(back)
    return redirect(target.path + (f"?{target.query}" if target.query else "") or "/")
