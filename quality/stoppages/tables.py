"""The stoppage domain's tables, declared once (`warehouse.schema`): episodes, prolongations,
invalidity and death events, signals for the claims team, pre-filled claims and the nights
they were computed for (schema `stoppage`, migration 0012)."""

from __future__ import annotations

from warehouse.schema import Column, Table
from warehouse.tables.columns import (
    AMOUNT,
    CONTRACT_NUMBER,
    CONTRACT_START,
    EMPLOYEE_KEY,
    FILE_ID,
    SIREN,
    SIRET,
)
from warehouse.tables.core import STOPPAGES as CORE_STOPPAGES

_EPISODE_ID = Column(
    "episode_id", "VARCHAR", "Identifiant de l'épisode d'arrêt, stable d'une nuit à l'autre.", False
)
_COVERING_CONTRACT = Column(
    "contract_reference",
    "VARCHAR",
    "Contrat de prévoyance de l'organisme qui couvre le salarié ; vide si aucun ne le couvre.",
)
_EMPLOYMENT = (SIREN, SIRET, EMPLOYEE_KEY, CONTRACT_START, CONTRACT_NUMBER)
_FIRST_DAY_OFF = Column(
    "first_day_off", "DATE", "Premier jour d'arrêt (lendemain du dernier jour travaillé)."
)
_PLANNED_END = Column(
    "planned_end", "DATE", "Date de fin prévisionnelle en vigueur (S21.G00.60.003)."
)
_STATUS = Column(
    "status", "VARCHAR", "Statut de l'épisode : en cours, prolongé, terminé ou annulé."
)
_THERAPEUTIC = Column(
    "therapeutic_periods",
    "STRUCT(period_start DATE, period_end DATE, pay DECIMAL(18,2))[]",
    "Temps partiels thérapeutiques de l'épisode (S21.G00.66 : début, fin, rémunération).",
)
_FRANCHISE = (
    Column("franchise_days", "INTEGER", "Franchise du contrat, en jours."),
    Column("franchise_mode", "VARCHAR", "Décompte de la franchise : jours continus ou cumulés."),
    Column(
        "allowances_start",
        "DATE",
        "Premier jour indemnisé, franchise écoulée ; vide si elle ne l'est pas encore.",
    ),
)
_SUBROGATION = tuple(
    CORE_STOPPAGES.column(name) for name in ("subrogation", "subrogation_start", "subrogation_end")
)
_FIRST_SEEN = Column("first_seen", "DATE", "Date de la première déclaration qui le porte.")
_FIRST_FILE = Column("first_file", "VARCHAR", "Premier fichier qui le déclare.")

EPISODES = Table(
    "stoppage",
    "episodes",
    "Les épisodes d'arrêt de travail : un arrêt (S21.G00.60) suivi à travers les DSN "
    "mensuelles et les signalements (natures 04 et 05).",
    (
        _EPISODE_ID,
        *_EMPLOYMENT,
        CORE_STOPPAGES.column("reason"),
        CORE_STOPPAGES.column("last_day_worked"),
        _FIRST_DAY_OFF,
        Column("initial_planned_end", "DATE", "Première fin prévisionnelle déclarée."),
        _PLANNED_END,
        Column("prolongation_count", "UINTEGER", "Nombre de prolongations."),
        CORE_STOPPAGES.column("return_date"),
        CORE_STOPPAGES.column("return_reason"),
        _STATUS,
        Column("cancelled_on", "DATE", "Date de l'annulation (motif 99), le cas échéant."),
        *_SUBROGATION,
        Column(
            "subrogation_periods",
            "STRUCT(subrogation_start DATE, subrogation_end DATE)[]",
            "Toutes les périodes de subrogation déclarées (S21.G00.60.005 et .006).",
        ),
        _THERAPEUTIC,
        CORE_STOPPAGES.column("accident_date"),
        Column(
            "announced_by_signalement",
            "BOOLEAN",
            "Vrai si un signalement d'arrêt (nature 04) l'a annoncé.",
        ),
        Column("in_monthly", "BOOLEAN", "Vrai si une DSN mensuelle le déclare."),
        Column(
            "return_only",
            "BOOLEAN",
            "Vrai si seule une reprise (signalement 05) est connue, sans l'arrêt.",
        ),
        _FIRST_SEEN,
        _FIRST_FILE,
        Column("last_file", "VARCHAR", "Dernier fichier qui le déclare."),
        Column("return_file", "VARCHAR", "Fichier qui déclare la reprise."),
        Column("files", "VARCHAR[]", "Tous les fichiers qui le déclarent."),
        _COVERING_CONTRACT,
        *_FRANCHISE,
    ),
    key=("episode_id",),
)

PLANNED_END_HISTORY = Table(
    "stoppage",
    "planned_end_history",
    "Chaque prolongation d'un épisode : la fin prévisionnelle passée de previous_end à "
    "planned_end.",
    (
        _EPISODE_ID,
        Column("previous_end", "DATE", "Fin prévisionnelle avant la prolongation."),
        Column("planned_end", "DATE", "Fin prévisionnelle après la prolongation."),
        Column("declared_on", "DATE", "Date de la déclaration de la prolongation."),
        FILE_ID.but(comment="Fichier qui déclare la prolongation."),
    ),
)

EMPLOYEE_EVENTS = Table(
    "stoppage",
    "employee_events",
    "Invalidité (S21.G00.65 motifs 112, 114, 116) et décès (S21.G00.62.002 = 066) d'un salarié.",
    (
        Column("event", "VARCHAR", "Événement : invalidité ou décès."),
        *_EMPLOYMENT,
        Column("event_date", "DATE", "Date de l'événement."),
        Column("detail", "VARCHAR", "L'événement en français."),
        _FIRST_SEEN,
        _FIRST_FILE,
        _COVERING_CONTRACT,
    ),
)

SIGNALS = Table(
    "stoppage",
    "signals",
    "Les signaux pour le service prestations prévoyance (ARR001…) ; un signal retrouvé une "
    "nuit suivante garde sa nuit de première détection.",
    (
        Column(
            "signal_id",
            "VARCHAR",
            "Identifiant stable du signal : empreinte du code, des clés et des dates.",
            False,
        ),
        Column("code", "VARCHAR", "Code du signal (ARR001 à ARR011)."),
        Column("severity", "VARCHAR", "Gravité : error, warning ou info."),
        Column("label", "VARCHAR", "Libellé du signal."),
        *_EMPLOYMENT,
        _COVERING_CONTRACT,
        Column("stoppage_first_day", "DATE", "Premier jour d'arrêt de l'épisode concerné."),
        Column("signal_date", "DATE", "Date qui déclenche le signal."),
        FILE_ID.but(comment="Fichier à l'origine du signal."),
        Column("episode_id", "VARCHAR", "Épisode concerné, le cas échéant."),
        Column("detail", "VARCHAR", "Le signal en français, avec les valeurs en cause."),
        Column("first_seen_night", "DATE", "Nuit de la première détection.", False),
        Column("last_seen_night", "DATE", "Dernière nuit de détection.", False),
    ),
)

CLAIMS = Table(
    "stoppage",
    "claims",
    "Les déclarations de sinistre prévoyance pré-remplies, une par épisode couvert ; "
    "l'indemnité journalière est une estimation.",
    (
        _EPISODE_ID,
        *_EMPLOYMENT,
        _COVERING_CONTRACT,
        CORE_STOPPAGES.column("reason"),
        CORE_STOPPAGES.column("last_day_worked"),
        _FIRST_DAY_OFF,
        _PLANNED_END,
        CORE_STOPPAGES.column("return_date"),
        _STATUS,
        *_SUBROGATION,
        _THERAPEUTIC,
        *_FRANCHISE,
        Column("reference_months", "INTEGER", "Nombre de mois de salaire de référence retenus."),
        Column(
            "reference_months_found",
            "INTEGER",
            "Nombre de mois de référence trouvés dans les DSN (S21.G00.51).",
        ),
        Column("reference_salary", AMOUNT, "Salaire brut de référence des mois trouvés."),
        Column("allowance_percent", "DECIMAL(5,2)", "Pourcentage du salaire indemnisé."),
        Column("daily_allowance", AMOUNT, "Indemnité journalière estimée."),
        Column("indemnified_days", "INTEGER", "Jours indemnisés à la date d'observation."),
        Column("allowance_to_date", AMOUNT, "Indemnités estimées à la date d'observation."),
        Column("estimate", "VARCHAR", "Toujours « estimation » : montants à confirmer."),
    ),
    key=("episode_id",),
)

NIGHTS = Table(
    "stoppage",
    "nights",
    "Les nuits pour lesquelles les résultats des arrêts ont été calculés.",
    (
        Column("night", "DATE", "Nuit de traitement.", False),
        Column("as_of", "DATE", "Date de fin d'observation des calculs."),
    ),
    key=("night",),
)

STOPPAGE_TABLES: tuple[Table, ...] = (
    EPISODES,
    PLANNED_END_HISTORY,
    EMPLOYEE_EVENTS,
    SIGNALS,
    CLAIMS,
    NIGHTS,
)
