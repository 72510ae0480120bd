"""The front page: what this instance holds, with links into the data."""

from __future__ import annotations

from flask import Blueprint, render_template

from ontology import CLASS_BY_CONTAINER

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> str:
    return render_template("home.html", containers=[*CLASS_BY_CONTAINER, "territories"])
