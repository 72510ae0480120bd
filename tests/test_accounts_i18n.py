"""Every French text of the account and profile pages and mails has its English version."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = [*sorted((ROOT / "web/templates/accounts").rglob("*.html")),
             *sorted((ROOT / "web/templates/accounts").rglob("*.txt")),
             *sorted((ROOT / "web/templates/profiles").rglob("*.html"))]
MODULES = [ROOT / "web/ui/profiles.py", *sorted((ROOT / "web/ui").glob("account*.py"))]
CATALOG = ROOT / "web/translations/en/LC_MESSAGES/accounts.po"


def _messages() -> set[str]:
    found = set()
    for path in TEMPLATES:
        for _, message, _, _ in extract_from_file("jinja2", path,
                                                  options={"extensions": ""}):
            found.add(message if isinstance(message, str) else message[0])
    for path in MODULES:
        for _, message, _, _ in extract_from_file("python", path, keywords={"_": None}):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_text_has_an_english_translation() -> None:
    with open(CATALOG, "rb") as handle:
        catalog = read_po(handle, locale="en")
    translated = {m.id for m in catalog if m.id and m.string}
    shared = set()
    for other in CATALOG.parent.glob("*.po"):
        if other != CATALOG:
            with open(other, "rb") as handle:
                shared |= {m.id for m in read_po(handle, locale="en") if m.id and m.string}
    missing = sorted(_messages() - translated - shared)
    assert not missing, "untranslated:\n" + "\n".join(missing)


def test_pages_and_mails_speak_english(site) -> None:
    from tests.accounts_support import csrf, mail_files, text_of

    client = site.client
    token = csrf(client)
    client.post("/locale", data={"csrf_token": token, "locale": "en"})
    page = client.get("/signup").get_data(as_text=True)
    assert "Postal code" in page and "Code postal" not in page
    client.post("/signup", data={"csrf_token": token, "email": "english@example.org",
                                 "postal_code": "97400"})
    (message,) = mail_files(site.app.extensions["communecter"].settings.data_dir)
    assert message["Subject"] == "Confirm your sign-up to Communecter"
    assert "Confirm my sign-up" in message.get_body(("html",)).get_content()
    assert "This link works once" in text_of(message)
