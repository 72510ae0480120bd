"""French first, English second: Flask-Babel with catalogs compiled at start-up.

Templates are written in French (the platform's first language); English comes from the
catalogs in web/translations/en/LC_MESSAGES/*.po — one .po file per part of the UI, so
that parts can be translated independently — merged and compiled into the data directory
when the app starts (a few milliseconds), so no build step can be forgotten.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, request, session
from flask_babel import Babel

SOURCES = Path(__file__).parent / "translations"
LANGUAGES = ("fr", "en")
DEFAULT = "fr"


def compile_catalogs(target: Path) -> Path:
    """Merges every web/translations/LANG/LC_MESSAGES/*.po into TARGET/LANG/…/messages.mo."""
    for language_dir in SOURCES.iterdir():
        if not language_dir.is_dir():
            continue
        merged = Catalog(locale=language_dir.name)
        for po_file in sorted((language_dir / "LC_MESSAGES").glob("*.po")):
            with open(po_file, "rb") as handle:
                for message in read_po(handle, locale=language_dir.name):
                    if message.id and message.string:
                        merged[message.id] = message
        out = target / language_dir.name / "LC_MESSAGES"
        out.mkdir(parents=True, exist_ok=True)
        with open(out / "messages.mo", "wb") as handle:
            write_mo(handle, merged)
    return target


def select_locale() -> str:
    """The person's choice (session), else the browser's preference, else French."""
    chosen = session.get("locale")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT


def init_i18n(app: Flask, data_dir: Path) -> None:
    directory = compile_catalogs(data_dir / "translations")
    app.config["BABEL_DEFAULT_LOCALE"] = DEFAULT
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(directory)
    Babel(app, locale_selector=select_locale)
