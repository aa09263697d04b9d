"""Columns many warehouse tables share, described once (`warehouse.schema`); the domains' tables
reuse them too."""

from __future__ import annotations

from warehouse.schema import Column

AMOUNT = "DECIMAL(18,2)"
IBAN_COMMENT = "Donnée personnelle : IBAN, jamais dans les journaux."

# Columns many tables share, described once.
FILE_ID = Column("file_id", "VARCHAR", "Identifiant du fichier reçu : SHA-256 de son contenu.")
DECLARATION_ID = Column(
    "declaration_id",
    "UINTEGER",
    "Identifiant de la déclaration dans son fichier : ligne de son bloc S20.G00.05.",
)
INSTANCE_ID = Column(
    "instance_id", "UINTEGER", "Identifiant du bloc dans son fichier : sa première ligne."
)
SIREN = Column("siren", "VARCHAR", "SIREN de l'entreprise (S21.G00.06.001).")
SIRET = Column("siret", "VARCHAR", "SIRET de l'établissement (S21.G00.06.001 + S21.G00.11.001).")
MONTH = Column("month", "DATE", "Mois principal déclaré (S20.G00.05.005), au premier du mois.")
EMPLOYEE_KEY = Column(
    "employee_key",
    "VARCHAR",
    "Identifiant du salarié : NIR (S21.G00.30.001), sinon « NTT: » + NTT (S21.G00.30.020). "
    "Donnée personnelle.",
)
EMPLOYEE_NAME = Column(
    "employee_name", "VARCHAR", "Nom et prénoms du salarié (S21.G00.30). Donnée personnelle."
)
CONTRACT_START = Column(
    "contract_start", "DATE", "Date de début du contrat de travail (S21.G00.40.001)."
)
CONTRACT_NUMBER = Column(
    "contract_number", "VARCHAR", "Numéro du contrat de travail (S21.G00.40.009)."
)
CONTRACT_REFERENCE = Column(
    "contract_reference",
    "VARCHAR",
    "Référence du contrat de prévoyance de l'organisme (S21.G00.15.001).",
)
OPTION_CODE = Column("option_code", "VARCHAR", "Code option du contrat (S21.G00.70.004).")
POPULATION_CODE = Column(
    "population_code", "VARCHAR", "Code population du contrat (S21.G00.70.005)."
)
FIRST_MONTH = Column("first_month", "DATE", "Premier mois déclaré.")
LAST_MONTH = Column("last_month", "DATE", "Dernier mois déclaré.")
NIGHT = Column("night", "DATE", "Nuit de traitement.")
