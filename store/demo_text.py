"""Words and sentence templates for the La Réunion demo dataset (see store/demo.py).

Kept apart from the generator so that the generator reads as logic and this file as
data. Everything here is invented but plausible: real quartiers, beaches and local
festivals, common Réunionese names, French text as people write it on a local network.
Templates use str.format fields filled by the generator: {commune}, {a_commune} ("à
Saint-Denis", "au Port"), {de_commune} ("de Saint-Denis", "du Port"), {quartier},
{a_quartier}, {de_quartier} (same, for the quartier), {school}, {org}, {event}, {day},
{hour}, {project}, {surname}, {destination} (another big commune); bios also {job},
{hobby}, {hobby2}. Jobs are written "masculine|feminine" where French needs both.
"""
# Table rows stay one entry per line, however long: easier to read, diff and edit.
# ruff: noqa: E501

from __future__ import annotations

import re
import unicodedata
from datetime import datetime


def _table(block: str, *kinds: str) -> list[tuple]:
    """Rows of a " | "-separated block: one line per entry is easier to read and edit.

    Kinds: "str"; "int"; "list" (comma-separated); "options" ("; "-separated, "-" = None).
    """
    rows = []
    for line in block.strip().splitlines():
        cells = [cell.strip() for cell in line.split(" | ")]
        rows.append(tuple(_cast(cell, kind) for cell, kind in zip(cells, kinds, strict=True)))
    return rows


def _words(line: str) -> list[str]:
    return line.split()


def _cast(cell: str, kind: str) -> object:
    if kind == "int":
        return int(cell)
    if kind == "list":
        return cell.split(", ")
    if kind == "options":
        return None if cell == "-" else cell.split("; ")
    return cell


def _themed(rows: list[tuple]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for theme, body in rows:
        grouped.setdefault(theme, []).append(body)
    return grouped


def a_form(name: str) -> str:
    """French "in X": au Port, aux Avirons, à Saint-Denis."""
    if name.startswith("Le "):
        return "au " + name[3:]
    if name.startswith("Les "):
        return "aux " + name[4:]
    return "à " + name


def de_form(name: str) -> str:
    """French "of X": du Port, des Avirons, d'Entre-Deux, de Saint-Denis."""
    if name.startswith("Le "):
        return "du " + name[3:]
    if name.startswith("Les "):
        return "des " + name[4:]
    if unicodedata.normalize("NFKD", name[:1]).lower()[:1] in "aeiou":
        return "d'" + name
    return "de " + name


def sentence_case(phrase: str) -> str:
    """Capitalise each sentence's first letter (templates may start with a lowercase job)."""
    return re.sub(r"(^|[.!?] )(\w)", lambda m: m.group(1) + m.group(2).upper(), phrase)


def french_day(moment: datetime) -> str:
    """"samedi 14 mars", the way a local post names a day."""
    return f"{WEEKDAYS[moment.weekday()]} {moment.day} {MONTHS[moment.month - 1]}"


THEMES = (
    "periscolaire", "associatif", "economie", "territoire", "tourisme", "dechets",
    "culture", "social", "emploi", "transport", "logement", "energie", "agriculture",
    "alimentation", "sante", "education", "citoyennete", "environnement", "numerique",
    "sport",
)

QUARTIERS = {
    "97401": ["Tévelave", "Ravine Sèche", "Les Avirons centre"],
    "97402": ["Rivière du Mât", "Bellevue", "Bras-Panon centre"],
    "97403": ["Le Dimitile", "Grand-Fond", "Ravine des Citronniers"],
    "97404": ["Étang-Salé-les-Bains", "Le Maniron", "Les Canots"],
    "97405": ["Manapany-les-Bains", "Piton Bloc", "Anse les Hauts"],
    "97406": ["Premier Village", "Petite-Plaine", "Bois-de-Pommes"],
    "97407": ["Rivière des Galets", "Say Piscine", "Saint-Laurent"],
    "97408": ["Ravine à Malheur", "Sainte-Thérèse", "Dos d'Âne", "Pichette"],
    "97409": ["Cambuston", "Champ-Borne", "Bras-des-Chevrettes", "La Cressonnière"],
    "97410": ["Bras-Canot", "Sainte-Anne", "Beaulieu", "Cratère"],
    "97411": ["Le Chaudron", "Moufia", "Bellepierre", "Sainte-Clotilde", "La Montagne",
              "Le Brûlé", "Bois-de-Nèfles", "Les Camélias", "La Bretagne", "Le Butor"],
    "97412": ["Vincendo", "Langevin", "Manapany", "Les Lianes", "Jean-Petit"],
    "97413": ["Piton Saint-Leu", "La Chaloupe", "Stella", "Le Plate"],
    "97414": ["La Rivière", "Le Gol", "Les Makes", "Bois-de-Nèfles Coco"],
    "97415": ["Saint-Gilles-les-Bains", "La Saline-les-Bains", "L'Hermitage", "Le Guillaume",
              "Bellemène", "Plateau Caillou", "Savannah", "La Plaine"],
    "97416": ["Terre-Sainte", "Ravine des Cabris", "Basse-Terre", "Bois d'Olive",
              "Pierrefonds", "Mont-Vert", "Ligne Paradis"],
    "97417": ["Le Baril", "Basse-Vallée", "Mare-Longue"],
    "97418": ["La Mare", "Rivière des Pluies", "Beauséjour", "Grande-Montée"],
    "97419": ["Piton Sainte-Rose", "Bois-Blanc", "Anse des Cascades"],
    "97420": ["Quartier-Français", "Bagatelle", "Deux-Rives"],
    "97421": ["Hell-Bourg", "Grand Ilet", "Mare à Vieille Place", "Mare à Citrons"],
    "97422": ["Trois-Mares", "Bérive", "Plaine des Cafres", "Bras-Creux", "Le 14e km"],
    "97423": ["Souris Blanche", "La Grande-Ravine", "Bois de Nèfles"],
    "97424": ["Palmiste Rouge", "Îlet à Cordes", "Bras-Sec"],
}

BEACHES = {
    "97404": ["Plage de L'Étang-Salé"], "97405": ["Plage de Grande Anse"],
    "97412": ["Plage de Manapany"], "97413": ["Plage de Saint-Leu"],
    "97416": ["Plage de Terre-Sainte"], "97407": ["Plage de la Rivière des Galets"],
    "97415": ["Plage de Boucan Canot", "Plage de l'Hermitage", "Plage de La Saline",
              "Plage des Roches Noires"],
}

FESTIVALS = {
    "97424": "Fête de la Lentille", "97421": "Fête du Chouchou",
    "97406": "Fête des Goyaviers", "97417": "Fête du Vacoa", "97405": "Fête de l'Ail",
    "97402": "Fête de la Vanille", "97422": "Fête du Miel Vert",
}

SCHOOLS = ["Jules Ferry", "Raphaël Barquissau", "Les Flamboyants", "Les Tamarins",
           "Auguste Lacaussade", "Paul Hermann", "Albert Lougnon", "Évariste de Parny",
           "Les Filaos", "Les Badamiers", "Marie Curie", "Les Jacarandas"]

STREETS = ["rue de Paris", "rue du Général de Gaulle", "rue Jean Chatel", "chemin des Barreaux",
           "allée des Flamboyants", "rue des Tamarins", "rue des Letchis", "route Hubert Delisle",
           "impasse des Bougainvilliers", "rue Roland Garros", "avenue de la Victoire",
           "rue Juliette Dodu", "boulevard Jean Jaurès", "chemin Potier", "rue des Manguiers",
           "rue Marius et Ary Leblond", "chemin des Goyaviers", "rue du Père Favron"]

FIRST_NAMES_F = _words(
    "Marie-France Océane Mélissa Jessica Anaïs Léa Jade Emma Chloé Manon Marie-Josée Gilberte "
    "Ginette Josiane Priscilla Cindy Lucette Patricia Sandrine Isabelle Nathalie Valérie Aurélie "
    "Laetitia Audrey Gisèle Josette Raymonde Aïcha Fatima Yasmina Vanessa Inès Maëlys Lina Zoé "
    "Louise Eva Camille Sarah Stéphanie Mathilde Soraya Marie-Claire Nadia Brigitte Mireille"
)

FIRST_NAMES_M = _words(
    "Jean-Claude Kévin Dylan Loïc Jordan Mathis Noah Enzo Nathan Théo Jean-Marc Jean-Paul "
    "Jean-Hugues Johnny Mickaël Teddy Wilfrid Daniel Frédéric Yannick Christophe Sébastien "
    "Nicolas Julien Fabrice Didier Gérard Thierry Ibrahim Ravi Lucas Ilyès Kélyan Lenny Hugo "
    "Raphaël Axel Rémi Anthony Jean-Louis Patrick Olivier Bernard Idriss Samuel Guy Régis"
)

LAST_NAMES = _words(
    "Hoarau Payet Grondin Fontaine Robert Técher Rivière Boyer Maillot Dijoux Lauret Nativel "
    "Turpin Hoareau Huet Ethève Clain Bègue Lebon Gonthier Cadet Morel Mussard Baret Sautron "
    "Ramassamy Moutoussamy Nagapin Virapoullé Govindin Pounoussamy Dalleau Maunier Vitry "
    "Ah-Hot Ah-Kiem Ah-Sing Chane-Kune Law-Yen Mohamed Patel Omarjee Valy Ravate Grimaud "
    "Gauvin Bénard Latchimy Sinimalé Pothin Libelle Dambreville Thazard Lebreton Cazal "
    "Ferrère Lépinay Laravine Damour Annette Law-Wai Séry Rangama Abélard Mondon Picard "
    "Bertil Lan-Yan Ignace Adékalom Mourouvin Baptiste Cerveaux Ducros Sery Tipveau"
)

# "masculine|feminine" where French needs both
JOBS = ["infirmier libéral|infirmière libérale", "agriculteur|agricultrice",
        "professeur des écoles", "développeur web|développeuse web", "aide-soignant|aide-soignante",
        "pêcheur|pêcheuse", "artisan menuisier|artisane menuisière", "étudiant|étudiante",
        "retraité de l'Éducation nationale|retraitée de l'Éducation nationale",
        "animateur périscolaire|animatrice périscolaire", "chauffeur de car jaune|chauffeuse de car jaune",
        "commerçant au marché|commerçante au marché", "guide de randonnée", "électricien|électricienne",
        "auxiliaire de vie", "comptable", "cuisinier|cuisinière", "éducateur spécialisé|éducatrice spécialisée",
        "agent territorial|agente territoriale", "musicien|musicienne", "apiculteur|apicultrice",
        "mécanicien|mécanicienne", "graphiste indépendant|graphiste indépendante", "lycéen|lycéenne",
        "maraîcher bio|maraîchère bio", "conseiller en insertion|conseillère en insertion",
        "technicien solaire|technicienne solaire", "journaliste", "sage-femme|sage-femme",
        "moniteur de surf|monitrice de surf"]

HOBBIES = ["la randonnée dans les Hauts", "le maloya", "le séga", "la pêche au bord de mer",
           "le jardinage", "la cuisine au feu de bois", "le surf", "la lecture", "la photo",
           "le vélo", "le football", "le théâtre", "la couture", "les échecs", "le trail",
           "les plantes médicinales lontan", "le cari du dimanche en famille", "la danse",
           "le moring", "l'astronomie au Maïdo"]

BIOS = [
    "{job} {a_commune}. J'aime {hobby} et {hobby2}.",
    "{job}, je vis {a_quartier} depuis toujours. Toujours là pour {hobby}.",
    "Originaire {de_commune}, {job}. Je donne un coup de main dès que le quartier s'organise.",
    "{job}. Sur Communecter pour suivre ce qui se passe {a_commune} et partager {hobby}.",
    "J'habite {a_quartier}. {job} le jour, {hobby} le week-end.",
    "{job}, bénévole dans deux associations {de_commune}. Pour souffler : {hobby}.",
]

SKILLS = ["jardinage créole", "menuiserie", "comptabilité", "graphisme", "développement web",
          "animation jeunesse", "cuisine", "secourisme (PSC1)", "maçonnerie", "permaculture",
          "apiculture", "couture", "photographie", "percussions maloya", "danse séga",
          "soutien scolaire", "dépannage informatique", "mécanique auto", "plomberie",
          "électricité", "traduction créole-français", "accompagnement en randonnée",
          "montage vidéo", "gestion de projet", "communication", "droit associatif",
          "vannerie vacoa", "broderie de Cilaos", "réparation de vélos", "rédaction de dossiers"]

# name template | themes | summary
ASSOCIATIONS = _table("""
Les Amis de la Médiathèque {de_commune} | culture, education | Lectures, contes et ateliers d'écriture pour petits et grands.
Jardin partagé {de_quartier} | environnement, alimentation, agriculture | Un jardin cultivé ensemble : brèdes, songes, aromates et arbres fruitiers lontan.
Maloya {quartier} | culture | Ateliers de percussions (roulèr, kayamb, bob) et kabars tout au long de l'année.
Repair Café {de_commune} | dechets, numerique, environnement | Chaque mois, on répare ensemble petit électroménager, vélos et ordinateurs.
Jeunesse Sportive {de_quartier} | sport, social | Football, futsal et accompagnement des jeunes du quartier.
Parents d'élèves de l'école {school} | periscolaire, education | Représenter les familles, organiser la kermesse et le pédibus.
Rando Hauts {de_commune} | tourisme, sport, environnement | Sorties randonnée, entretien des sentiers et découverte du patrimoine des Hauts.
Kartié Solidaire {quartier} | social, alimentation | Épicerie solidaire, aide aux devoirs et permanences pour les démarches.
Collectif Vélo {de_commune} | transport, environnement | Pour des pistes cyclables sûres et un atelier d'autoréparation.
Les Tisaneurs {de_commune} | sante, culture, agriculture | Transmettre les savoirs des plantes médicinales lontan.
Club Numérique {de_commune} | numerique, education | Médiation numérique : démarches en ligne, smartphone, sécurité.
Conseil citoyen {de_quartier} | citoyennete, territoire | Les habitants font entendre leur voix sur les projets du quartier.
Soleil Partagé {de_commune} | energie, environnement | Une centrale solaire citoyenne sur les toits des équipements publics.
Logement Digne {de_commune} | logement, social | Accompagner les familles mal logées et les locataires.
Les Apiculteurs {de_commune} | agriculture, environnement | Ruchers-écoles et défense de l'abeille de La Réunion.
Théâtre Lontan {de_commune} | culture, education | Théâtre en créole et en français, ateliers pour les jeunes.
Amicale des aînés {de_quartier} | social, sante | Sorties, jeux de dominos, gym douce et entraide entre voisins.
Chantier d'insertion Ravines Propres | emploi, environnement, dechets | Des contrats d'insertion pour entretenir ravines et sentiers.
Association des Commerçants {de_commune} | economie, emploi | Animer le centre-ville et soutenir le commerce de proximité.
Surf Club {de_commune} | sport, tourisme | École de surf et de bodyboard, sensibilisation à la sécurité en mer.
""", "str", "list", "str")

# name template | themes | summary
BUSINESSES = _table("""
Boulangerie {surname} | economie, alimentation | Pain, bouchons et gâteaux patate.
Snack {quartier} | alimentation, economie | Samoussas, bouchons, sandwichs américains.
Garage {surname} | transport, economie | Entretien et réparation toutes marques.
Ferme {surname} | agriculture, alimentation | Fruits et légumes de saison, vente directe.
Gîte {de_quartier} | tourisme | Gîte de montagne, table d'hôtes créole.
{commune} Solaire | energie, emploi | Installation de chauffe-eau et panneaux solaires.
Cabinet infirmier {surname} | sante | Soins à domicile sur toute la commune.
Atelier Vélo {surname} | transport, sport | Vente, location et réparation de vélos.
Menuiserie {surname} | economie, logement | Menuiserie bois, cases créoles, lambrequins.
Librairie {quartier} | culture, education | Livres, BD, auteurs réunionnais.
Vanille {surname} | agriculture, tourisme | Vanille Bourbon, visite de la plantation.
Kréol Numérik | numerique, emploi | Sites web et formations au numérique.
Auto-école {de_commune} | transport, emploi | Permis B, code et conduite accompagnée.
Épicerie Vrac {surname} | dechets, alimentation | Produits locaux en vrac, zéro emballage.
Ti Marmay Crèche | periscolaire, education | Micro-crèche et accueil périscolaire.
""", "str", "list", "str")

# name template | themes | summary
INFORMAL_GROUPS = _table("""
Covoiturage {commune} – {destination} | transport | Partager les trajets domicile-travail.
Les marcheurs du dimanche {de_quartier} | sport, sante | Marche douce chaque dimanche à 7h.
Zéro déchet {commune} | dechets, environnement | Astuces et défis pour réduire ses déchets.
Habitants {de_quartier} | territoire, citoyennete | Entre voisins, pour le quartier.
Troc de plantes {de_commune} | environnement, agriculture | Boutures, graines et conseils.
Cours de créole entre voisins | culture, education | Apprendre et transmettre le créole.
Parents solidaires {de_commune} | periscolaire, social | Garde partagée et entraide.
""", "str", "list", "str")

DEPARTEMENT_SUMMARY = ("Le Département de La Réunion : solidarités, collèges, routes "
                       "départementales, aides aux familles et aux aînés.")
REGION_SUMMARY = ("La Région Réunion : lycées, transports, formation professionnelle, "
                  "développement économique et aménagement du territoire.")
PUBLIC_AUTHORITY_SUMMARY = ("La commune {de_commune} : services municipaux, démarches, "
                            "actualités et vie des quartiers.")

# name template | themes | summary
PROJECTS = _table("""
Ressourcerie {de_commune} | dechets, emploi | Collecter, réparer et revendre à petit prix ce qui finissait à la décharge.
Composteurs partagés {a_quartier} | dechets, environnement | Des bacs de compost en pied d'immeuble, gérés par des habitants référents.
Navette solidaire des Hauts {de_commune} | transport, social | Relier les écarts au centre-bourg pour les personnes sans voiture.
Jardin pédagogique de l'école {school} | periscolaire, education, agriculture | Un potager et un coin d'endémiques pour apprendre dehors.
Fresque murale {de_quartier} | culture, territoire | Une fresque imaginée avec les jeunes, sur l'histoire du quartier.
Toits solaires pour la case {de_quartier} | energie, environnement | Financer ensemble des panneaux pour rendre la case autonome en énergie.
Sentier botanique {de_quartier} | tourisme, environnement | Baliser un sentier et présenter les plantes endémiques et lontan.
Habitat partagé pour aînés {a_commune} | logement, social, sante | Une maison commune pour vieillir ensemble, près des services.
Cantine locale {a_commune} | alimentation, agriculture, education | Des produits de nos agriculteurs dans les assiettes des écoles.
Tiers-lieu {de_quartier} | numerique, economie, associatif | Un lieu pour travailler, apprendre et monter des projets ensemble.
Pistes cyclables sécurisées {a_commune} | transport, citoyennete | Cartographier les trajets à vélo et proposer un réseau continu.
Pédibus de l'école {school} | periscolaire, transport | Accompagner les enfants à pied à l'école, à tour de rôle.
Banque de semences péi {de_commune} | agriculture, environnement | Conserver et partager les semences des variétés lontan.
Plateforme emploi jeunes {de_commune} | emploi, numerique | Mettre en relation jeunes et employeurs locaux : stages, alternance, jobs.
Santé mobile dans les Hauts {de_commune} | sante, social | Un bus de prévention et de dépistage dans les écarts.
Maison des associations {de_commune} | associatif, citoyennete | Des salles, du matériel et un accompagnement pour les associations.
Chantier jeunes du stade {de_quartier} | sport, emploi | Rénover les vestiaires avec des jeunes en insertion.
Marché de producteurs {de_quartier} | economie, alimentation, agriculture | Un marché hebdomadaire en circuit court.
""", "str", "list", "str")
STAGES = ["StageIdea", "StageConcept", "StageStarted", "StageDevelopment", "StageTesting",
          "StageMature"]

# name template | event type | themes | hours | start hour | capacity
EVENTS = _table("""
Réunion publique : l'avenir {de_quartier} | Meeting | citoyennete, territoire | 2 | 18 | 120
Assemblée générale : {org} | Meeting | associatif | 3 | 9 | 60
Atelier compostage | Workshop | dechets, environnement | 2 | 9 | 20
Atelier réparation de vélos | Workshop | transport, dechets | 3 | 9 | 15
Atelier cuisine lontan : cari et rougail | Workshop | alimentation, culture | 3 | 9 | 16
Atelier CV et entretien d'embauche | Workshop | emploi | 2 | 14 | 12
Atelier démarches en ligne | Workshop | numerique, social | 2 | 14 | 10
Atelier vannerie vacoa | Workshop | culture, economie | 3 | 9 | 12
Kabar maloya | Concert | culture | 4 | 19 | 300
Concert séga au kiosque | Concert | culture, tourisme | 3 | 18 | 250
Exposition photo : {commune} d'hier et d'aujourd'hui | Exhibition | culture, territoire | 8 | 9 | 200
Exposition : les oiseaux endémiques | Exhibition | environnement, education | 8 | 9 | 150
Marché paysan {de_quartier} | Market | agriculture, alimentation, economie | 5 | 7 | 500
Vide-grenier {de_quartier} | Market | dechets, economie | 6 | 7 | 400
Marché de nuit | Market | economie, tourisme | 5 | 17 | 800
Conférence : l'eau dans les Hauts | Conference | environnement, agriculture | 2 | 18 | 80
Conférence santé : prévenir le diabète | Conference | sante | 2 | 18 | 80
Conférence : histoire de l'engagisme | Conference | culture, education | 2 | 18 | 80
Trail {de_quartier} | SportsEvent | sport, tourisme | 6 | 6 | 300
Tournoi de futsal des quartiers | SportsEvent | sport, social | 8 | 8 | 120
Course des familles | SportsEvent | sport, sante | 3 | 7 | 250
Formation premiers secours PSC1 | Training | sante, education | 7 | 8 | 10
Formation des bénévoles : gérer une association | Training | associatif, education | 3 | 9 | 20
Opération ravine propre {a_quartier} | Volunteering | dechets, environnement | 3 | 8 | 50
Plantation d'arbres endémiques | Volunteering | environnement, territoire | 3 | 8 | 40
Collecte alimentaire solidaire | Volunteering | social, alimentation | 6 | 8 | 30
Portes ouvertes : {org} | OtherEvent | associatif | 5 | 9 | 100
Pique-nique géant {de_quartier} | OtherEvent | social, culture | 5 | 11 | 200
""", "str", "str", "list", "int", "int", "int")
# name | event type | start hour | hours
FESTIVAL_PARTS = _table("""
Concert d'ouverture | Concert | 18 | 3
Marché des producteurs | Market | 8 | 6
Atelier cuisine | Workshop | 10 | 2
Randonnée découverte | SportsEvent | 7 | 4
""", "str", "str", "int", "int")
EVENT_SUMMARIES = {
    "Meeting": "Un temps d'échange ouvert à toutes et à tous.",
    "Workshop": "Un atelier pratique, matériel fourni, inscription conseillée.",
    "Festival": "Musique, produits du terroir, animations pour les enfants et savoir-faire lontan.",
    "Concert": "Musique live, ambiance familiale, buvette sur place.",
    "Exhibition": "Une exposition gratuite, visites commentées à 10h et à 15h.",
    "Market": "Producteurs et artisans du coin, paiement en espèces conseillé.",
    "Conference": "Une conférence suivie d'un temps de questions-réponses.",
    "SportsEvent": "Ouvert à tous les niveaux, certificat médical demandé pour la compétition.",
    "Training": "Formation gratuite, places limitées, attestation délivrée.",
    "Volunteering": "Gants et sacs fournis, prévoyez de l'eau et un chapeau.",
    "OtherEvent": "Un moment convivial pour se retrouver.",
}
EVENT_CONTENT = ("{summary} Organisé par {org}. {place_phrase} Entrée libre dans la limite "
                 "des places disponibles ; pensez au covoiturage !")

# name template | themes
PLACES = _table("""
Médiathèque {de_commune} | culture, education
Marché forain {de_commune} | economie, alimentation
Case à vocation sociale {de_quartier} | social, associatif
Stade {de_quartier} | sport
Salle polyvalente {de_quartier} | associatif, culture
Maison France Services {de_commune} | social, numerique
Déchetterie {de_commune} | dechets
Gymnase {de_quartier} | sport, periscolaire
Kiosque {de_commune} | culture, tourisme
Jardin partagé {de_quartier} | environnement, alimentation
""", "str", "list")
BEACH_THEMES = ["tourisme", "sport", "environnement"]

# theme | body; openings and closings are combined with bodies for variety
POSTS = _themed(_table("""
periscolaire | Les inscriptions aux ateliers du mercredi de l'école {school} sont ouvertes : musique, jardinage et jeux de société.
periscolaire | Le pédibus de l'école {school} cherche deux parents pour le jeudi matin.
periscolaire | Centre de loisirs {a_commune} : le programme des vacances est affiché à l'accueil.
associatif | {org} cherche des bénévoles pour tenir la buvette du prochain événement.
associatif | Notre assemblée générale a réuni une quarantaine de personnes : merci à tous !
associatif | Vous avez une idée d'association ? Permanence d'aide aux statuts le {day} en mairie.
economie | Un nouveau commerce ouvre {a_quartier} : allez leur dire bonjour !
economie | Le marché forain {de_commune} change d'horaires : désormais de 6h à 12h30.
economie | Les artisans {de_quartier} ouvrent leurs ateliers le {day} : vannerie, ébénisterie, broderie.
territoire | Le chemin {de_quartier} est enfin goudronné, merci aux services techniques.
territoire | Qui connaît l'histoire du vieux moulin {de_quartier} ? Je cherche des photos.
territoire | Le radier {de_quartier} est encore submergé après les fortes pluies, prudence !
tourisme | Le sentier vers le belvédère {de_quartier} a rouvert après l'éboulement.
tourisme | Des visiteurs de métropole cherchent une table d'hôtes {a_commune} : vos adresses ?
tourisme | Les gîtes {de_commune} affichent complet pour les vacances, bravo aux hébergeurs.
dechets | Encore des dépôts sauvages au bord de la ravine {a_quartier}. Qui vient nettoyer samedi ?
dechets | Rappel : collecte des encombrants {a_quartier} le {day}. Sortez-les la veille au soir.
dechets | La nouvelle borne de tri du verre est installée près de l'école {school}.
culture | Kabar ce {day} {a_quartier} : ramenez vos kayambs !
culture | La médiathèque {de_commune} accueille une exposition sur les cases créoles.
culture | Soirée contes créoles {a_quartier} le {day}, les gramounes racontent, les marmailles écoutent.
social | La case {de_quartier} propose une permanence pour les dossiers CAF le {day}.
social | Une famille {de_quartier} a tout perdu dans un incendie : collecte de vêtements à la case.
social | L'épicerie solidaire {de_commune} manque de riz et de grains : merci pour vos dons.
emploi | {org} recrute un animateur ou une animatrice en contrat aidé : CV à déposer à l'accueil.
emploi | Forum de l'emploi {a_commune} le {day} : une trentaine d'employeurs présents.
emploi | Des offres de saisonniers pour la coupe de la canne {a_commune}, renseignez-vous vite.
transport | Le car jaune de 6h40 ne s'arrête plus {a_quartier}. Quelqu'un a des infos ?
transport | Je propose du covoiturage {de_commune} vers {destination}, départ 6h30, retour 17h.
transport | Travaux sur la route {de_quartier} jusqu'au {day} : circulation alternée.
logement | Les locataires de la résidence {de_quartier} se réunissent le {day} pour parler des charges.
logement | Réunion d'information sur les aides à l'amélioration de l'habitat le {day} en mairie.
logement | Qui connaît un bon artisan pour refaire une toiture en tôle {a_quartier} ?
energie | Panneaux solaires posés sur la case {de_quartier} : la facture d'électricité va fondre !
energie | Qui a installé un chauffe-eau solaire récemment ? Je cherche un artisan sérieux {a_commune}.
energie | Coupure d'électricité prévue le {day} {a_quartier} de 8h à 12h.
agriculture | Les letchis arrivent ! Vente directe à la ferme {a_quartier} samedi matin.
agriculture | Atelier greffe des manguiers au jardin partagé {de_quartier}, ouvert à tous.
agriculture | Les planteurs {de_quartier} cherchent de l'aide pour la récolte des ananas.
alimentation | Distribution de paniers de légumes péi le {day} {a_quartier}.
alimentation | Recette du jour : rougail saucisses au feu de bois, qui veut la version de mamie ?
alimentation | Le marché paysan {de_quartier} accueille deux nouveaux maraîchers bio.
sante | Campagne de vaccination à la maison de santé {de_commune} le {day}.
sante | Attention à la dengue : videz les soucoupes et les gouttières après la pluie.
sante | Le bus santé passe {a_quartier} le {day} : dépistage gratuit du diabète.
education | Aide aux devoirs gratuite à la médiathèque {de_commune}, lundi et jeudi à 16h30.
education | Les élèves de l'école {school} ont présenté leur projet sur le tuit-tuit, bravo !
education | Soutien scolaire : des étudiants bénévoles cherchent des élèves de collège {a_commune}.
citoyennete | Le prochain conseil municipal {de_commune} est public, venez nombreux le {day}.
citoyennete | Le conseil de quartier {de_quartier} cherche de nouveaux membres.
citoyennete | Compte rendu du conseil de quartier {de_quartier} disponible à la mairie annexe.
environnement | Plantation de bois de couleurs des Hauts {a_quartier} : 200 arbres en terre !
environnement | Papangue aperçu au-dessus {de_quartier} ce matin, magnifique.
environnement | Des tortues marines ont été vues au large {de_commune}, gardez vos distances !
numerique | Atelier pour apprendre à faire ses démarches en ligne le {day} à la Maison France Services.
numerique | La fibre arrive {a_quartier} : réunion d'information le {day}.
numerique | Besoin d'aide avec votre smartphone ? Permanence gratuite à la médiathèque {de_commune}.
sport | Belle victoire de la JS {quartier} ce week-end, bravo les jeunes !
sport | Séance de gym douce ouverte à tous au stade {de_quartier}, mardi 8h.
sport | Le club de foot {de_quartier} recrute des joueurs nés entre 2012 et 2015.
""", "str", "str"))
OPENINGS = ["", "", "Bonjour à tous ! ", "Info quartier : ", "Bonne nouvelle : ", "Kossa i di ? ",
            "À faire tourner : ", "Rappel : "]
CLOSINGS = ["", "", " Merci de partager.", " Plus d'infos en message privé.", " On compte sur vous !",
            " N'hésitez pas à commenter.", " À très vite !"]
EVENT_POST = ["Rendez-vous le {day} à {hour} pour « {event} ». On vous attend !",
              "Il reste quelques places pour « {event} » le {day}, inscrivez-vous vite.",
              "Merci à toutes et à tous d'être venus à « {event} », quelle belle journée !"]
PROJECT_POST = ["Le projet « {project} » avance : prochaine réunion d'équipe le {day}.",
                "Nous cherchons des bras et des idées pour « {project} ». Rejoignez-nous !"]

# name template | themes | content | options (- for Pour/Contre/Abstention)
PROPOSALS = _table("""
Piétonniser le centre {de_commune} le dimanche matin | citoyennete, transport | Fermer le centre à la circulation de 7h à 13h pour laisser place aux piétons et au marché. | -
Installer des composteurs {a_quartier} | dechets, environnement | Trois bacs de compost partagés près de l'arrêt de bus, entretenus par des volontaires. | -
Ouvrir la médiathèque {de_commune} le dimanche | culture, education | Une ouverture le dimanche matin, pour les familles qui travaillent la semaine. | -
Quel projet pour le budget participatif {de_quartier} ? | citoyennete, territoire | Choisissez le projet que la commune financera cette année. | Aire de jeux ombragée; Éclairage du chemin; Jardin partagé; Terrain de pétanque
Un repas végétarien par semaine dans les cantines {de_commune} | alimentation, education, sante | Proposer chaque semaine un menu à base de grains (lentilles, pois du Cap) et légumes péi. | -
Quels horaires pour la déchetterie {de_commune} ? | dechets | Les horaires actuels ne conviennent pas à tout le monde. Lesquels préférez-vous ? | 7h-13h du lundi au samedi; 10h-18h du mardi au samedi; Ouverture le dimanche matin
Végétaliser la cour de l'école {school} | periscolaire, environnement | Remplacer une partie du bitume par des arbres et un potager. | -
Créer une navette entre {quartier} et le centre | transport, social | Une navette toutes les heures de 6h à 19h, gratuite pour les moins de 18 ans. | -
Éteindre l'éclairage public {a_commune} de minuit à 5h | energie, environnement | Économiser l'énergie et protéger les pétrels attirés par la lumière. | -
""", "str", "list", "str", "options")
YES_NO = ["Pour", "Contre", "Abstention"]

# class | category | name template | themes | content
OFFERS = _table("""
Offer | ForRent | Loue case créole F3 {a_quartier} | logement | Case rénovée, cour avec manguier, libre au 1er du mois. Loyer raisonnable.
Offer | Housing | Chambre chez l'habitant pour étudiant {a_commune} | logement, education | Chambre meublée, proche arrêt de car, ambiance familiale.
Offer | ServiceExchange | Cours de guitare contre aide au jardin | culture, agriculture | Je donne des cours de guitare, en échange d'un coup de main pour désherber.
Offer | Donation | Donne boutures et plants de brèdes | agriculture, alimentation | Brèdes mafane, chouchou et songe : venez les chercher {a_quartier}.
Offer | ForSale | Vends letchis du jardin | alimentation, economie | Letchis bien rouges, vente au kilo le samedi matin {a_quartier}.
Offer | ForSale | Vends vélo enfant 20 pouces | transport, dechets | Bon état, pneus neufs. À récupérer {a_quartier}.
Offer | Carpooling | Covoiturage {commune} → {destination} en semaine | transport | Départ 6h30, retour vers 17h. Participation aux frais d'essence.
Offer | Job | Poste d'animateur périscolaire | emploi, periscolaire | Contrat de 20h par semaine, BAFA apprécié. Candidature en mairie.
Need | Housing | Cherche logement {a_commune} | logement | Jeune couple cherche T2 à loyer modéré, près d'un arrêt de car.
Need | Carpooling | Cherche covoiturage vers {destination} | transport | Tous les matins depuis {quartier}, je partage les frais.
Need | ServiceExchange | Cherche quelqu'un pour tailler un manguier | agriculture | Arbre de 8 m {a_quartier}, j'offre un bon repas et des mangues !
Need | Donation | Cherche cartons pour déménagement | dechets | Déménagement le mois prochain, je récupère vos cartons {a_quartier}.
Need | Job | Recherche emploi dans l'aide à domicile | emploi, social | Auxiliaire de vie diplômée, disponible en semaine {a_commune}.
""", "str", "str", "str", "list", "str")

WEEKDAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre"]
