"""The affiliation register's tables, declared once (`warehouse.schema`): the state of every
employee on every contract of the insurer, and its history night by night.

`quality.affiliation.states.STATE_SCHEMA` is the register's columns without the night, as
`compute_states` returns them.
"""

from __future__ import annotations

from warehouse.schema import Column, Table
from warehouse.tables.columns import (
    CONTRACT_REFERENCE,
    EMPLOYEE_KEY,
    EMPLOYEE_NAME,
    NIGHT,
    OPTION_CODE,
    POPULATION_CODE,
    SIREN,
    SIRET,
)

# The codes listed here are those of `quality.affiliation.states` (a test holds them together).
_STATE_COLUMNS = (
    SIREN.but(nullable=False),
    SIRET.but(comment="Dernier établissement où le salarié a été vu (S21.G00.11)."),
    EMPLOYEE_KEY.but(nullable=False),
    EMPLOYEE_NAME,
    CONTRACT_REFERENCE.but(nullable=False, comment="Contrat de l'organisme."),
    Column(
        "status",
        "VARCHAR",
        "État : affilié, en cours d'affiliation, à relancer, dispensé, radié ou en portabilité.",
        False,
    ),
    Column("status_since", "DATE", "Date d'effet de l'état."),
    Column("portability_end", "DATE", "Fin de la portabilité, pour un salarié en portabilité."),
    Column(
        "end_reason",
        "VARCHAR",
        "Motif de fin : motif de rupture du contrat (S21.G00.62.002) ou motif de la radiation "
        "saisie sur le portail.",
    ),
    OPTION_CODE,
    POPULATION_CODE,
    Column("dependants", "INTEGER", "Nombre d'ayants droit (S21.G00.70.009 ou portail)."),
    Column(
        "source",
        "VARCHAR",
        "Ce qui décide l'état : dsn, portail ou gestionnaire (décision forcée).",
        False,
    ),
)

AFFILIATION_STATES = Table(
    "core",
    "affiliation_states",
    "Le registre des affiliations : une ligne par entreprise, salarié et contrat de "
    "l'organisme, avec son état à la dernière nuit.",
    (*_STATE_COLUMNS, NIGHT.but(nullable=False, comment="Nuit qui a calculé cet état.")),
    key=("siren", "employee_key", "contract_reference"),
)

AFFILIATION_HISTORY = Table(
    "core",
    "affiliation_history",
    "L'historique du registre des affiliations : une ligne par clé et par nuit où l'état a "
    "changé, l'état à la fin de cette nuit.",
    (
        *(c for c in _STATE_COLUMNS if c.name not in {"employee_name", "dependants"}),
        NIGHT.but(nullable=False, comment="Nuit où cet état a été calculé pour la première fois."),
    ),
)

AFFILIATION_TABLES: tuple[Table, ...] = (AFFILIATION_STATES, AFFILIATION_HISTORY)
