"""The web application for people: every module here that defines a blueprint `bp` is
registered by `register_ui`, so that parts of the UI can be added without touching a
central list."""

from __future__ import annotations

import importlib
import pkgutil

from flask import Flask

from web.ui import session as ui_session


def register_ui(app: Flask) -> None:
    ui_session.init_app(app)
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        blueprint = getattr(module, "bp", None)
        if blueprint is not None:
            app.register_blueprint(blueprint)
