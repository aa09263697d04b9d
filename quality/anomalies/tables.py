"""The anomaly register's tables, declared once (`warehouse.schema`): the anomalies with their
current status, every change of each, the stewards' decisions and the nights that updated them.

They live in DuckDB's default schema `main` (migration 0011).
"""

from __future__ import annotations

from warehouse.schema import Column, Table
from warehouse.tables.columns import (
    CONTRACT_REFERENCE,
    DECLARATION_ID,
    EMPLOYEE_KEY,
    EMPLOYEE_NAME,
    FILE_ID,
    SIREN,
    SIRET,
)

_ANOMALY_ID = Column(
    "anomaly_id",
    "VARCHAR",
    "Identifiant stable de l'anomalie : SHA-256 du code de la règle et des clés de sa situation.",
    False,
)
_STATUS = "open (ouverte), acknowledged (prise en charge), resolved_by_data (résolue par les "
_STATUS += "données) ou resolved_by_steward (résolue par un gestionnaire)"
_RULE_CODE = Column("rule_code", "VARCHAR", "Code de la règle d'anomalie (AFF001…).")
_DECIDED_AT = Column("decided_at", "TIMESTAMP", "Date et heure de la décision (UTC).")
_REASON = Column("reason", "VARCHAR", "Motif donné par le gestionnaire.")

ANOMALIES = Table(
    "main",
    "anomalies",
    "Le registre des anomalies d'affiliation : une ligne par anomalie jamais détectée, ses "
    "dernières données et son statut.",
    (
        _ANOMALY_ID,
        _RULE_CODE.but(nullable=False),
        Column(
            "severity",
            "VARCHAR",
            "Gravité : error (bloquante), warning (à corriger) ou info.",
            False,
        ),
        SIREN,
        SIRET,
        EMPLOYEE_KEY,
        EMPLOYEE_NAME,
        CONTRACT_REFERENCE,
        Column(
            "employment_start",
            "DATE",
            "Début du contrat de travail concerné (S21.G00.40.001).",
        ),
        Column(
            "employment_number",
            "VARCHAR",
            "Numéro du contrat de travail concerné (S21.G00.40.009).",
        ),
        Column(
            "situation",
            "VARCHAR",
            "Ce qui distingue deux situations d'une même règle aux mêmes clés (option déclarée, "
            "autre établissement…), selon la règle.",
        ),
        Column("affiliation_date", "DATE", "Date d'affiliation en cause, selon la règle."),
        Column("period", "DATE", "Dernier mois déclaré où l'anomalie a été vue."),
        Column("detail", "VARCHAR", "L'anomalie en français, avec les valeurs en cause.", False),
        Column(
            "detail_fingerprint",
            "VARCHAR",
            "Empreinte du détail : une résolution tient tant qu'il ne change pas.",
            False,
        ),
        FILE_ID.but(comment="Fichier où l'anomalie a été vue en dernier."),
        DECLARATION_ID.but(comment="Déclaration (bloc S20.G00.05) de ce fichier."),
        Column("status", "VARCHAR", f"Statut : {_STATUS}.", False),
        Column("status_since", "DATE", "Nuit du dernier changement de statut.", False),
        Column("first_seen", "DATE", "Nuit de la première détection.", False),
        Column("last_seen", "DATE", "Nuit de la dernière détection.", False),
        Column(
            "resolved_fingerprint",
            "VARCHAR",
            "Empreinte du détail qu'un gestionnaire a résolu : l'anomalie se rouvre s'il change.",
        ),
    ),
    key=("anomaly_id",),
)

ANOMALY_EVENTS = Table(
    "main",
    "anomaly_events",
    "Chaque changement d'une anomalie : changements de statut, de données et décisions des "
    "gestionnaires (qui, quand, pourquoi).",
    (
        Column("event_id", "BIGINT", "Numéro de l'événement, croissant.", False),
        _ANOMALY_ID.but(comment="Anomalie concernée (anomalies)."),
        Column("night", "DATE", "Nuit qui a enregistré l'événement.", False),
        Column(
            "event",
            "VARCHAR",
            "Événement : detected, reopened, detail_changed, resolved_by_data, acknowledged, "
            "resolved_by_steward, forced_affiliation, forced_radiation ou "
            "decision_without_effect.",
            False,
        ),
        Column("from_status", "VARCHAR", "Statut avant l'événement."),
        Column("to_status", "VARCHAR", "Statut après l'événement."),
        Column("detail_fingerprint", "VARCHAR", "Empreinte du détail à cet événement."),
        Column("decision_id", "VARCHAR", "Décision du gestionnaire à l'origine, le cas échéant."),
        Column("decided_by", "VARCHAR", "Gestionnaire qui a décidé."),
        _DECIDED_AT,
        _REASON,
    ),
    key=("event_id",),
)

STEWARD_DECISIONS = Table(
    "main",
    "steward_decisions",
    "Chaque décision de gestionnaire lue dans les fichiers de décisions, une fois, avec son "
    "effet ; les affiliations et radiations forcées alimentent aussi le registre des "
    "affiliations.",
    (
        Column("decision_id", "VARCHAR", "Identifiant de la décision.", False),
        _ANOMALY_ID.but(comment="Anomalie visée."),
        Column(
            "action",
            "VARCHAR",
            "Action : acknowledge (prise en charge), resolve (résolution), force_affiliation "
            "ou force_radiation.",
            False,
        ),
        Column("decided_by", "VARCHAR", "Gestionnaire qui a décidé.", False),
        _DECIDED_AT.but(nullable=False),
        _REASON,
        Column("effective_date", "DATE", "Date d'effet d'une affiliation ou radiation forcée."),
        Column("source", "VARCHAR", "Fichier de décisions et ligne.", False),
        Column("applied_on", "DATE", "Nuit où la décision a été lue.", False),
        Column(
            "outcome",
            "VARCHAR",
            "Effet : applied (appliquée), no_effect (sans effet) ou unknown_anomaly (anomalie "
            "inconnue).",
            False,
        ),
        _RULE_CODE.but(comment="Règle de l'anomalie, recopiée pour le registre des affiliations."),
        SIREN,
        SIRET,
        EMPLOYEE_KEY,
        CONTRACT_REFERENCE,
    ),
    key=("decision_id",),
)

STEWARD_DECISION_REJECTS = Table(
    "main",
    "steward_decision_rejects",
    "Lignes illisibles des fichiers de décisions : conservées, jamais écartées en silence.",
    (
        Column("source", "VARCHAR", "Fichier de décisions.", False),
        Column("line_number", "INTEGER", "Numéro de ligne.", False),
        Column("error", "VARCHAR", "Pourquoi la ligne est rejetée, en français.", False),
        Column("raw", "VARCHAR", "La ligne telle que lue. Donnée personnelle possible.", False),
        Column("rejected_on", "DATE", "Nuit du rejet.", False),
    ),
    key=("source", "line_number"),
)

ANOMALY_NIGHTS = Table(
    "main",
    "anomaly_nights",
    "Les nuits qui ont mis à jour le registre des anomalies ; une nuit n'est jamais antérieure "
    "à la dernière.",
    (
        Column("night", "DATE", "Nuit de traitement.", False),
        Column("detected", "INTEGER", "Nombre d'anomalies détectées cette nuit-là.", False),
    ),
    key=("night",),
)

ANOMALY_TABLES: tuple[Table, ...] = (
    ANOMALIES,
    ANOMALY_EVENTS,
    STEWARD_DECISIONS,
    STEWARD_DECISION_REJECTS,
    ANOMALY_NIGHTS,
)
