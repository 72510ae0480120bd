"""The delivery view for instance administrators: what waits to go out, host by host.

  GET  /admin/deliveries          pending / failed deliveries per remote host, in flight,
                                  the last error, the next attempt, pauses
  POST /admin/deliveries/retry    host → its pending and failed deliveries are due now

This blueprint also starts outbound federation with the app (web/deliveries.py): fan-out
wired to the activity handler and this process's delivery worker.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask_babel import gettext as _

from web import deliveries as outbound_web
from web.platform import platform
from web.ui.session import admin_required, protect

bp = Blueprint("deliveries", __name__)
protect(bp.name)


@bp.record_once
def _start(state: BlueprintSetupState) -> None:
    outbound_web.init_app(state.app)


@bp.app_template_filter("delivery_time")
def delivery_time(value: float | None) -> str:
    """A queue timestamp as `YYYY-MM-DD HH:MM:SS` UTC ("" for none)."""
    if not value:
        return ""
    return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M:%S")


@bp.get("/admin/deliveries")
@admin_required
def overview() -> Any:
    queue = platform().deliveries
    return render_template("deliveries/overview.html", hosts=queue.hosts(),
                           counts=queue.counts(), now=datetime.now(UTC).timestamp())


@bp.post("/admin/deliveries/retry")
@admin_required
def retry() -> Any:
    host = request.form.get("host", "").strip()[:300]
    if not host:
        abort(400, _("Indiquez un serveur."))
    count = platform().deliveries.retry_now(host)
    outbound_web.wake_workers()
    flash(_("%(num)d envoi(s) vers %(host)s relancé(s).", num=count, host=host), "info")
    return redirect(url_for("deliveries.overview"), 303)
