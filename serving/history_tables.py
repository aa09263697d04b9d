"""The tables `serving.history` writes in the warehouse, declared once (`warehouse.schema`):
each publication of the portal's snapshot, its row counts and its gates, and what each compte
rendu and the analysts' copy were last written from (schema `publish`, migrations 0030, 0056,
0058 and 0069)."""

from __future__ import annotations

from warehouse.schema import Column, Table
from warehouse.tables.columns import DECLARATION_ID, FILE_ID

_NIGHT_ID = Column("night_id", "VARCHAR", "Identifiant de la publication (nuit).", False)
_TABLE_NAME = Column("table_name", "VARCHAR", "Table du schéma portal_v1.", False)

PUBLICATIONS = Table(
    "publish",
    "publications",
    "Chaque publication tentée de l'instantané du portail : son issue et, si elle est refusée, "
    "pourquoi.",
    (
        _NIGHT_ID,
        Column("night", "DATE", "Nuit de traitement publiée.", False),
        Column(
            "status",
            "VARCHAR",
            "Étape ou issue, enregistrée avant d'avoir lieu : en contrôle, contrôlée, refusée, "
            "en cours de publication, publiée ou interrompue (réglée par la nuit suivante).",
            False,
        ),
        Column("reason", "VARCHAR", "Contrôles bloquants en échec, pour une publication refusée."),
        Column("serving_path", "VARCHAR", "Fichier de publication du portail.", False),
        Column("recorded_at", "TIMESTAMP", "Date et heure de l'enregistrement.", False),
    ),
    key=("night_id",),
)

TABLE_COUNTS = Table(
    "publish",
    "table_counts",
    "Le nombre de lignes de chaque table publiée, que les contrôles de la nuit suivante comparent.",
    (_NIGHT_ID, _TABLE_NAME, Column("row_count", "BIGINT", "Nombre de lignes.", False)),
    key=("night_id", "table_name"),
)

GATE_RESULTS = Table(
    "publish",
    "gate_results",
    "Le résultat de chaque contrôle de qualité d'une publication, pour le gestionnaire et "
    "l'exploitant.",
    (
        _NIGHT_ID,
        _TABLE_NAME,
        Column("expectation", "VARCHAR", "Contrôle (attente Great Expectations).", False),
        Column("column_names", "VARCHAR", "Colonnes contrôlées."),
        Column("blocking", "BOOLEAN", "Vrai si un échec empêche la publication.", False),
        Column("passed", "BOOLEAN", "Vrai si le contrôle est passé.", False),
        Column("unexpected_count", "BIGINT", "Nombre de lignes en échec."),
        Column("observed", "VARCHAR", "Valeur observée, pour les contrôles de volume."),
    ),
)

COMPANY_REFUSALS = Table(
    "publish",
    "company_refusals",
    "Entreprises qu'une nuit a retenues sur leur dernière bonne nuit, parce que leurs seules "
    "lignes échouaient à un contrôle par entreprise ; le reste de la nuit est publié.",
    (
        _NIGHT_ID,
        Column("siren", "VARCHAR", "Entreprise retenue.", False),
        Column("gates", "VARCHAR", "Contrôles en échec, en français, séparés par « ; ».", False),
        Column("stale_since", "DATE", "Première nuit où l'entreprise a été retenue.", False),
        Column(
            "data_night_id",
            "VARCHAR",
            "Publication dont viennent ses lignes du portail ; vide : aucune encore.",
        ),
    ),
    key=("night_id", "siren"),
)

COMPTE_RENDU_INPUTS = Table(
    "publish",
    "compte_rendu_inputs",
    "L'empreinte de ce dont chaque compte rendu de déclaration a été écrit : une nuit ne "
    "réécrit que les comptes rendus dont l'empreinte a changé.",
    (
        FILE_ID.but(nullable=False),
        DECLARATION_ID.but(nullable=False),
        Column(
            "fingerprint",
            "VARCHAR",
            "Empreinte MD5 de la déclaration, du chargement de son fichier et de ses anomalies.",
            False,
        ),
    ),
    key=("file_id", "declaration_id"),
)

ANALYST_COPY_FINGERPRINTS = Table(
    "publish",
    "analyst_copy_fingerprints",
    "L'empreinte, par table, entreprise et mois, des lignes dont l'entrepôt des analystes servi "
    "a été copié : la nuit suivante n'y remplace que les lignes des entreprises et des mois qui "
    "ont changé.",
    (
        Column(
            "copy_file",
            "VARCHAR",
            "Identité du fichier des analystes que ces empreintes décrivent (inode, taille, "
            "date de modification) : un autre fichier est recopié en entier.",
            False,
        ),
        Column("table_name", "VARCHAR", "Table de l'entrepôt (schéma.table).", False),
        Column(
            "definition",
            "VARCHAR",
            "Empreinte MD5 du commentaire de la table, du nom, du type et du commentaire de ses "
            "colonnes et d'une valeur de contrôle de la clé de pseudonymisation (une nouvelle "
            "clé recopie tout).",
            False,
        ),
        Column("siren", "VARCHAR", "Entreprise ; vide : les lignes sans entreprise."),
        Column("row_count", "BIGINT", "Nombre de lignes.", False),
        Column("fingerprint", "HUGEINT", "Somme des empreintes (hash) des lignes.", False),
        Column("month", "DATE", "Mois des lignes ; vide : une table sans mois."),
    ),
)

ANALYST_PREVIOUS_COPY_FINGERPRINTS = Table(
    "publish",
    "analyst_previous_copy_fingerprints",
    "Les mêmes empreintes pour la copie des analystes servie avant celle qui l'est, gardée à "
    "côté d'elle : la nuit suivante met cette copie-là à jour au lieu de recopier la copie "
    "servie en entier.",
    ANALYST_COPY_FINGERPRINTS.columns,
)

ANALYST_COPY_MARKS = Table(
    "publish",
    "analyst_copy_marks",
    "Les entreprises et les salariés marqués comme changés entre la copie des analystes "
    "précédente et la copie servie : la nuit qui met la précédente à jour y compare leurs lignes "
    "en plus de celles marquées depuis.",
    (
        Column("siren", "VARCHAR", "Entreprise marquée.", False),
        Column(
            "employee_key",
            "VARCHAR",
            "Salarié marqué seul (clé du salarié) ; vide : l'entreprise entière.",
        ),
    ),
)

PUBLISH_TABLES: tuple[Table, ...] = (
    PUBLICATIONS,
    TABLE_COUNTS,
    GATE_RESULTS,
    COMPANY_REFUSALS,
    COMPTE_RENDU_INPUTS,
    ANALYST_COPY_FINGERPRINTS,
    ANALYST_PREVIOUS_COPY_FINGERPRINTS,
    ANALYST_COPY_MARKS,
)
