"""The seed dataset's words: vocabulary IRIs, themes, names and templates, written as
N-Triples fragments (the generator formats lines as plain strings, without rdflib)."""

from __future__ import annotations

import re
import unicodedata

RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
CC = "https://w3id.org/communecter/ns#"
CCT = "https://w3id.org/communecter/themes#"
AS = "https://www.w3.org/ns/activitystreams#"
DCT = "http://purl.org/dc/terms/"
GEO = "http://www.w3.org/2003/01/geo/wgs84_pos#"
XSD = "http://www.w3.org/2001/XMLSchema#"
LDP = "http://www.w3.org/ns/ldp#"
SCHEMA = "http://schema.org/"

P_NAME = f"<{AS}name>"
P_SUMMARY = f"<{AS}summary>"
P_CONTENT = f"<{AS}content>"
P_USERNAME = f"<{AS}preferredUsername>"
P_PUBLISHED = f"<{AS}published>"
P_START = f"<{AS}startTime>"
P_END = f"<{AS}endTime>"
P_ATTRIBUTED = f"<{AS}attributedTo>"
P_TERRITORY = f"<{CC}territory>"
P_THEME = f"<{CC}theme>"
P_WALL = f"<{CC}wall>"
P_EVENT_TYPE = f"<{CC}eventType>"
P_STAGE = f"<{CC}stage>"
P_GOVERNS = f"<{CC}governs>"
P_VERIFIED = f"<{CC}verified>"
P_PART_OF = f"<{CC}partOf>"
P_CREATOR = f"<{DCT}creator>"
P_CREATED = f"<{DCT}created>"
P_MODIFIED = f"<{DCT}modified>"
P_TITLE = f"<{DCT}title>"
P_LAT = f"<{GEO}lat>"
P_LONG = f"<{GEO}long>"
P_CAPACITY = f"<{SCHEMA}maximumAttendeeCapacity>"
P_CONTAINS = f"<{LDP}contains>"
T_DATETIME = f"^^<{XSD}dateTime>"
T_DECIMAL = f"^^<{XSD}decimal>"
T_INTEGER = f"^^<{XSD}integer>"
TRUE = f'"true"^^<{XSD}boolean>'

CONTAINERS = ("persons", "organizations", "projects", "events", "posts", "proposals", "offers",
              "places", "territories")
THEMES = ("periscolaire", "associatif", "economie", "territoire", "tourisme", "dechets",
          "culture", "social", "emploi", "transport", "logement", "energie", "agriculture",
          "alimentation", "sante", "education", "citoyennete", "environnement", "numerique",
          "sport")
THEME_LABELS = dict(zip(THEMES, (
    "le périscolaire", "la vie associative", "l'économie locale", "le territoire", "le tourisme",
    "les déchets", "la culture", "l'action sociale", "l'emploi", "les transports", "le logement",
    "l'énergie", "l'agriculture", "l'alimentation", "la santé", "l'éducation", "la citoyenneté",
    "l'environnement", "le numérique", "le sport"), strict=True))

FIRST_NAMES = (
    "Marie", "Camille", "Léa", "Manon", "Chloé", "Emma", "Inès", "Sarah", "Julie", "Laura",
    "Claire", "Anne", "Sophie", "Nathalie", "Isabelle", "Sylvie", "Céline", "Aurélie",
    "Émilie", "Lucie", "Jeanne", "Louise", "Alice", "Lina", "Zoé", "Nadia", "Fatima",
    "Yasmina", "Aïcha", "Gwenaëlle", "Jean", "Pierre", "Louis", "Lucas", "Hugo", "Thomas",
    "Nicolas", "Julien", "Antoine", "Maxime", "Alexandre", "Mathieu", "David", "Philippe",
    "Michel", "Alain", "Patrick", "Éric", "Laurent", "Stéphane", "François", "Olivier",
    "Romain", "Théo", "Nathan", "Karim", "Mehdi", "Yanis", "Loïc", "Erwan", "Jérôme",
)
LAST_NAMES = (
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau",
    "Laurent", "Simon", "Michel", "Lefebvre", "Leroy", "Roux", "David", "Bertrand", "Morel",
    "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent",
    "Muller", "Lefèvre", "Faure", "André", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier",
    "Chevalier", "François", "Legrand", "Gauthier", "Garcia", "Perrin", "Robin", "Clément",
    "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Gautier", "Masson", "Marchand",
    "Duval", "Denis", "Dumont", "Marie", "Lemaire", "Noël", "Meyer", "Dufour", "Meunier",
    "Brun", "Blanchard", "Giraud", "Joly", "Rivière", "Lucas", "Brunet", "Gaillard", "Barbier",
    "Arnaud", "Martinez", "Gérard", "Roche", "Renard", "Schmitt", "Roy", "Leroux", "Colin",
    "Vidal", "Caron", "Picard", "Roger", "Fabre", "Aubert", "Lemoine", "Renaud", "Dumas",
    "Lacroix", "Olivier", "Philippe", "Bourgeois", "Pierre", "Benoît", "Rey", "Leclerc",
    "Payet", "Hoarau", "Grondin", "Le Gall", "Kerbrat", "Nguyen", "Benali", "Haddad", "Diallo",
)
ORG_KINDS = (  # (class, share in per mille, name templates)
    ("Association", 620, (
        "Comité des fêtes", "Amicale laïque", "Association sportive", "Club de randonnée",
        "Jardins partagés", "Association des parents d'élèves", "Banque alimentaire",
        "Maison des jeunes et de la culture", "Foyer rural", "Repair café",
        "Association de sauvegarde du patrimoine", "Chorale", "Club de football",
        "Collectif vélo", "Université populaire", "Secours populaire, antenne")),
    ("Business", 300, (
        "Boulangerie", "Librairie", "Épicerie solidaire", "Garage", "Ferme maraîchère",
        "Café associatif", "Menuiserie", "Cabinet infirmier", "Agence de voyages",
        "Atelier numérique", "Coopérative agricole", "Pharmacie")),
    ("InformalGroup", 80, (
        "Collectif des habitants", "Groupe de covoiturage", "Cercle de lecture",
        "Collectif zéro déchet", "Groupe d'entraide", "Collectif climat")),
)
EVENT_KINDS = (  # (cc:eventType, name templates)
    ("Meeting", ("Réunion publique", "Conseil de quartier", "Assemblée générale")),
    ("Workshop", ("Atelier réparation", "Atelier compost", "Atelier numérique")),
    ("Festival", ("Fête de la musique", "Festival des solidarités", "Fête du village")),
    ("Concert", ("Concert de la chorale", "Concert en plein air")),
    ("Exhibition", ("Exposition photo", "Exposition des artistes locaux")),
    ("Market", ("Marché de producteurs", "Vide-grenier", "Marché de Noël")),
    ("Conference", ("Conférence-débat", "Rencontre-débat")),
    ("SportsEvent", ("Course solidaire", "Tournoi de football", "Randonnée découverte")),
    ("Training", ("Formation premiers secours", "Formation bénévoles")),
    ("Volunteering", ("Nettoyage de la rivière", "Collecte alimentaire", "Plantation d'arbres")),
    ("OtherEvent", ("Portes ouvertes", "Permanence d'accueil")),
)
EVENT_TEMPLATES = [(kind, name) for kind, names in EVENT_KINDS for name in names]
PROJECT_TEMPLATES = (
    "Jardin partagé", "Maison de santé", "Piste cyclable", "Tiers-lieu", "Épicerie solidaire",
    "Recyclerie", "Centrale solaire citoyenne", "Cantine bio", "Fablab", "Budget participatif",
    "Habitat partagé", "Verger communal", "Navette solidaire", "Ludothèque")
STAGES = ("StageIdea", "StageConcept", "StageStarted", "StageDevelopment", "StageTesting",
          "StageMature")
POST_TEMPLATES = (
    "Qui serait partant pour parler de {theme} à {commune} ? On pourrait se retrouver samedi.",
    "Merci à toutes les personnes venues hier : belle mobilisation pour {theme} à {commune} !",
    "Petit rappel : la réunion sur {theme} a lieu jeudi soir à la salle des fêtes de {commune}.",
    "Quelqu'un connaît-il une initiative sur {theme} près de {commune} ? Je cherche des idées.",
    "Nouveau compte rendu en ligne : {theme}, ce que nous avons décidé ensemble à {commune}.",
    "Appel à bénévoles pour {theme} : rendez-vous dimanche matin devant la mairie de {commune}.",
    "Bonne nouvelle pour {theme} : le projet avance à {commune}, les travaux commencent bientôt.",
    "Sondage : quels horaires vous conviennent pour l'atelier sur {theme} à {commune} ?",
)
#: UTC offsets outside mainland France, by département code (ignoring rare exceptions).
OVERSEAS_OFFSETS = {"971": "-04:00", "972": "-04:00", "973": "-03:00", "974": "+04:00",
                    "975": "-03:00", "976": "+03:00", "977": "-04:00", "978": "-04:00",
                    "986": "+12:00", "987": "-10:00", "988": "+11:00"}
CONTAINER_OF = {"citizens": "persons", "public_authorities": "organizations",
                "organizations": "organizations", "events": "events", "projects": "projects",
                "posts": "posts"}
KIND_ORDER = ("citizens", "public_authorities", "organizations", "projects", "events", "posts")


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text.replace("œ", "oe")).encode(
        "ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def lit(text: str) -> str:
    """An N-Triples string literal."""
    if '"' in text or "\\" in text or "\n" in text or "\r" in text:
        text = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
                .replace("\r", "\\r"))
    return f'"{text}"'


def mix(value: int, salt: int = 0) -> int:
    """A cheap integer hash (for choices that must be functions of an index)."""
    value = (value * 2654435761 + salt * 40503 + 0x9E3779B9) & 0xFFFFFFFF
    value ^= value >> 15
    return (value * 2246822519) & 0xFFFFFFFF
