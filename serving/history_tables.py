"""The tables `serving.history` writes in the warehouse, declared once (`warehouse.schema`):
each publication of the portal's snapshot, its row counts and its gates (schema `publish`,
migrations 0030 and 0056)."""

from __future__ import annotations

from warehouse.schema import Column, Table

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

PUBLISH_TABLES: tuple[Table, ...] = (PUBLICATIONS, TABLE_COUNTS, GATE_RESULTS, COMPANY_REFUSALS)
