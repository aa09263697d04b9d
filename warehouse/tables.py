"""The warehouse's own tables, declared once (`warehouse.schema`): the file registry, staging (the
readers' output) and the core model, plus the columns the other owners share with them.

The DSN block tables of staging are not listed: they are created from the reader's frames and
widened when a file carries a new rubric, so their declaration is built from the columns they
have, with the norm's labels (`staging_block_table`).
"""

from __future__ import annotations

import re
from functools import cache

import polars as pl

from dsn_parser.model import DECLARATIONS_SCHEMA, DIAGNOSTICS_SCHEMA
from dsn_parser.norm import KNOWN_VERSIONS, load_norm
from payment_files.frames import (
    DIAGNOSTICS_SCHEMA as BANK_DIAGNOSTICS_SCHEMA,
)
from payment_files.frames import (
    RETURNS_SCHEMA,
    STATEMENTS_SCHEMA,
    TRANSACTIONS_SCHEMA,
)
from warehouse.schema import COMMENTS_TABLE, Column, Table

AMOUNT = "DECIMAL(18,2)"

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

_FACT_KEYS = (
    FILE_ID.but(nullable=False),
    DECLARATION_ID.but(nullable=False),
    SIRET,
    MONTH,
)


def _fact(name: str, comment: str, *columns: Column) -> Table:
    """A core fact: one row per block instance of a declaration in force, with (siret, month)
    so that a night recomputes only the groups its files touch."""
    return Table("core", name, comment, (*_FACT_KEYS, *columns))


def _instance(comment: str) -> Column:
    return INSTANCE_ID.but(nullable=False, comment=comment)


# ---------------------------------------------------------------------------------------------
# main: the warehouse's bookkeeping

SCHEMA_MIGRATIONS = Table(
    "main",
    "schema_migrations",
    "Les migrations de schéma appliquées à cet entrepôt, une ligne par version.",
    (
        Column("version", "INTEGER", "Numéro de la migration (NNNN du fichier).", False),
        Column("name", "VARCHAR", "Nom de la migration (fichier NNNN_nom.sql).", False),
        Column(
            "checksum",
            "VARCHAR",
            "SHA-256 du fichier appliqué : une migration modifiée après coup est refusée.",
            False,
        ),
        Column("applied_at", "TIMESTAMP", "Date et heure de l'application.", False),
    ),
    key=("version",),
)

TABLE_COMMENTS = Table(
    "main",
    COMMENTS_TABLE,
    "Les commentaires appliqués à chaque table depuis sa déclaration : ils ne sont réappliqués "
    "que lorsque la déclaration change.",
    (
        Column("table_name", "VARCHAR", "Table commentée (schéma.table).", False),
        Column(
            "comments_hash",
            "VARCHAR",
            "SHA-256 des commentaires appliqués, tels que la déclaration les donne.",
            False,
        ),
    ),
    key=("table_name",),
)

# ---------------------------------------------------------------------------------------------
# registry: every file delivered, and what became of it

FILES = Table(
    "registry",
    "files",
    "Registre des fichiers reçus : une ligne par contenu distinct, quel que soit son nom ou le "
    "nombre de livraisons, avec son statut et la raison en français.",
    (
        FILE_ID.but(nullable=False),
        Column(
            "kind",
            "VARCHAR",
            "Nature du fichier : dsn, bank (relevé ou retour bancaire), reference (paramétrage "
            "de contrat), portal (export du portail) ou unknown.",
            False,
        ),
        Column("size", "BIGINT", "Taille du fichier en octets.", False),
        Column("original_name", "VARCHAR", "Nom du fichier à sa première livraison.", False),
        Column(
            "landing_path",
            "VARCHAR",
            "Chemin de la première livraison, relatif au répertoire de dépôt.",
            False,
        ),
        Column("received_at", "TIMESTAMP", "Premier enregistrement de ce contenu.", False),
        Column(
            "status",
            "VARCHAR",
            "Statut : received (à traiter), loaded, loaded_with_diagnostics, quarantined ou "
            "registered (lu par son domaine).",
            False,
        ),
        Column("reason", "VARCHAR", "Pourquoi ce statut, en français, pour l'exploitant."),
        Column("encoding", "VARCHAR", "Encodage du fichier DSN détecté à la lecture."),
        Column("norm", "VARCHAR", "Version de norme DSN du fichier (S10.G00.00.006)."),
        Column("declarations", "INTEGER", "Nombre de déclarations lues dans le fichier."),
        Column("declarations_rejected", "INTEGER", "Nombre de déclarations rejetées."),
        Column("errors", "INTEGER", "Nombre de diagnostics bloquants."),
        Column("warnings", "INTEGER", "Nombre d'avertissements."),
        Column("rows_loaded", "BIGINT", "Lignes chargées dans les tables de staging."),
        Column("quarantine_path", "VARCHAR", "Copie du fichier en quarantaine, le cas échéant."),
        Column("processed_at", "TIMESTAMP", "Fin du traitement du fichier."),
    ),
    key=("file_id",),
)

_DELIVERY_PATH = Column(
    "landing_path", "VARCHAR", "Chemin livré, relatif au répertoire de dépôt.", False
)
DELIVERIES = Table(
    "registry",
    "deliveries",
    "Chaque livraison vue dans le répertoire de dépôt (chemin, contenu) : une seconde livraison "
    "d'un contenu connu est notée comme doublon et jamais rechargée.",
    (
        _DELIVERY_PATH,
        FILE_ID.but(nullable=False, comment="Contenu livré (registry.files)."),
        Column("size", "BIGINT", "Taille en octets.", False),
        Column("mtime", "DOUBLE", "Date de modification (secondes depuis 1970).", False),
        Column("seen_at", "TIMESTAMP", "Quand la livraison a été vue.", False),
        Column("is_duplicate", "BOOLEAN", "Vrai si ce contenu avait déjà été reçu.", False),
    ),
    key=("landing_path", "file_id"),
)

LANDING_STATUS = Table(
    "registry",
    "landing_status",
    "Pour chaque chemin livré, son statut final et la raison : la vue de l'exploitant.",
    (
        _DELIVERY_PATH.but(nullable=True),
        FILE_ID.but(comment="Contenu livré (registry.files)."),
        FILES.column("kind").but(nullable=True),
        Column("status", "VARCHAR", "Statut du contenu, ou duplicate pour un doublon."),
        Column("reason", "VARCHAR", "Raison du statut, en français."),
        Column("seen_at", "TIMESTAMP", "Quand la livraison a été vue."),
    ),
    is_view=True,
)

REJECTED_LINES = Table(
    "registry",
    "rejected_lines",
    "Lignes illisibles des fichiers de paramétrage et du portail au dernier chargement : "
    "conservées, jamais écartées en silence.",
    (
        Column(
            "source_file",
            "VARCHAR",
            "Fichier, relatif au répertoire de dépôt (reference/… ou portal/…).",
            False,
        ),
        Column("line_number", "INTEGER", "Numéro de ligne ; 0 : le fichier entier.", False),
        Column("error", "VARCHAR", "Pourquoi la ligne est rejetée, en français.", False),
    ),
)

# ---------------------------------------------------------------------------------------------
# staging: what the readers produced, with file and line provenance

_DUCKDB_TYPES: dict[type[pl.DataType], str] = {
    pl.String: "VARCHAR",
    pl.Date: "DATE",
    pl.Boolean: "BOOLEAN",
    pl.UInt8: "UTINYINT",
    pl.UInt32: "UINTEGER",
    pl.Int32: "INTEGER",
    pl.Int64: "BIGINT",
}


def duckdb_type(dtype: pl.DataType) -> str:
    """The DuckDB type a Polars column becomes when a frame is loaded through Arrow."""
    if isinstance(dtype, pl.List):
        inner = dtype.inner
        return duckdb_type(inner if isinstance(inner, pl.DataType) else inner()) + "[]"
    if isinstance(dtype, pl.Decimal):
        return f"DECIMAL({dtype.precision},{dtype.scale})"
    return _DUCKDB_TYPES[type(dtype)]


def _from_frame(
    name: str,
    comment: str,
    schema: dict[str, pl.DataType],
    comments: dict[str, str],
    *,
    required: tuple[str, ...] = (),
    key: tuple[str, ...] = (),
) -> Table:
    """A staging table loaded from a reader's frame: the reader's schema gives the columns and
    their types, this module their comments (a column without one is a KeyError at import)."""
    return Table(
        "staging",
        name,
        comment,
        tuple(
            Column(column, duckdb_type(dtype), comments[column], column not in required)
            for column, dtype in schema.items()
        ),
        key=key,
    )


STAGING_DECLARATIONS = _from_frame(
    "declarations",
    "Les déclarations lues dans chaque fichier DSN (bloc S20.G00.05), avec leur statut de "
    "validation.",
    DECLARATIONS_SCHEMA,
    {
        "file_id": FILE_ID.comment,
        "envoi_id": "Identifiant de l'envoi dans son fichier : ligne de son bloc S10.G00.00.",
        "declaration_id": DECLARATION_ID.comment,
        "norm": "Version de norme de l'envoi (S10.G00.00.006), par exemple P25V01.",
        "nature": "Nature de la déclaration (S20.G00.05.001) : 01 mensuelle, 04-09 signalements.",
        "type": "Type de la déclaration (S20.G00.05.002) : 01 normale, 02 néant, 03 annule "
        "et remplace intégral, 04 annulation, 05 annule et remplace néant.",
        "fraction": "Numéro de fraction de déclaration (S20.G00.05.003).",
        "order_number": "Numéro d'ordre de la déclaration (S20.G00.05.004).",
        "month": MONTH.comment,
        "replaced_id": "Identifiant métier de la déclaration annulée ou remplacée "
        "(S20.G00.05.006).",
        "built_on": "Date de constitution du fichier (S20.G00.05.007).",
        "siren": SIREN.comment,
        "siret": SIRET.comment,
        "status": "Statut de validation de la déclaration : 0 conforme, 1 avec avertissements, "
        "2 avec anomalies non bloquantes, 3 rejetée.",
    },
    required=("file_id", "declaration_id"),
    key=("file_id", "declaration_id"),
)

STAGING_DIAGNOSTICS = _from_frame(
    "diagnostics",
    "Les constats de la validation des fichiers DSN (structure, syntaxe, cohérence), une ligne "
    "par constat, valeurs personnelles masquées.",
    DIAGNOSTICS_SCHEMA,
    {
        "file_id": FILE_ID.comment,
        "declaration_id": "Déclaration concernée ; vide pour un constat sur le fichier ou l'envoi.",
        "line": "Ligne du fichier concernée.",
        "rubric": "Rubrique concernée (identifiant de la norme).",
        "label": "Libellé de la rubrique dans la norme.",
        "code": "Code stable du contrôle, par exemple CSL-LENGTH.",
        "severity": "Gravité : error (bloquant), warning ou info.",
        "message": "Le constat en français pour le gestionnaire, valeurs personnelles masquées.",
    },
    required=("file_id",),
)

_BANK_FILE = FILE_ID.comment
_BANK_LINE = "Ligne du fichier bancaire où commence l'enregistrement."
_BANK_XPATH = "Chemin XML de l'enregistrement (camt, pain.002) ; vide en CFONB."
_IBAN = "Donnée personnelle : IBAN, jamais dans les journaux."

BANK_TRANSACTIONS = _from_frame(
    "bank_transactions",
    "Les mouvements des relevés bancaires (camt.053, camt.054, CFONB 120), une ligne par "
    "mouvement ou détail de mouvement, montants signés (crédit positif).",
    TRANSACTIONS_SCHEMA,
    {
        "file_id": _BANK_FILE,
        "file_kind": "Format du fichier : camt.053, camt.054 ou cfonb120.",
        "movement_id": "Identifiant stable du mouvement, calculé de son contenu.",
        "statement_index": "Rang du relevé dans le fichier.",
        "entry_index": "Rang de l'écriture dans le relevé.",
        "detail_index": "Rang du détail dans l'écriture.",
        "line": _BANK_LINE,
        "xpath": _BANK_XPATH,
        "account_iban": "IBAN du compte de l'organisme relevé.",
        "account_other_id": "Autre identifiant du compte relevé, sans IBAN.",
        "booking_date": "Date de comptabilisation.",
        "value_date": "Date de valeur.",
        "amount": "Montant signé : crédit positif, débit négatif.",
        "currency": "Devise (EUR).",
        "status": "Statut de l'écriture (BOOK, PDNG…).",
        "btc_domain": "Code opération bancaire ISO : domaine.",
        "btc_family": "Code opération bancaire ISO : famille.",
        "btc_sub_family": "Code opération bancaire ISO : sous-famille.",
        "btc_proprietary": "Code opération propre à la banque.",
        "cfonb_operation_code": "Code opération interbancaire CFONB.",
        "cfonb_family": "Famille d'opération déduite du code CFONB.",
        "account_servicer_reference": "Référence de la banque pour le détail.",
        "entry_account_servicer_reference": "Référence de la banque pour l'écriture.",
        "entry_reference": "Référence de l'écriture.",
        "bank_label": "Libellé de l'écriture donné par la banque.",
        "end_to_end_id": "Référence de bout en bout du paiement (EndToEndId).",
        "instruction_id": "Identifiant d'instruction du paiement.",
        "payment_information_id": "Identifiant du lot de paiement.",
        "transaction_id": "Identifiant de transaction de la banque.",
        "uetr": "Référence unique de transaction (UETR).",
        "mandate_id": "Référence unique du mandat de prélèvement.",
        "creditor_reference": "Référence structurée du créancier (première).",
        "creditor_references": "Toutes les références structurées du créancier.",
        "remittance_lines": "Lignes de motif non structuré du paiement.",
        "additional_info": "Informations complémentaires de l'écriture.",
        "debtor_name": "Nom du débiteur. Donnée personnelle possible.",
        "debtor_iban": f"IBAN du débiteur. {_IBAN}",
        "debtor_bic": "BIC de la banque du débiteur.",
        "creditor_name": "Nom du créancier.",
        "creditor_iban": f"IBAN du créancier. {_IBAN}",
        "creditor_bic": "BIC de la banque du créancier.",
        "creditor_id": "Identifiant créancier SEPA (ICS).",
        "reversal": "Vrai pour une contre-passation.",
        "is_return": "Vrai pour un retour ou rejet de prélèvement.",
        "return_reason_code": "Code du motif de retour (ISO, par exemple AM04).",
        "return_reason_scheme": "Nomenclature du motif de retour.",
        "return_reason_info": "Précision sur le motif de retour.",
    },
)

BANK_RETURNS = _from_frame(
    "bank_returns",
    "Les rejets (pain.002) et retours de prélèvements, une ligne par paiement rejeté ou "
    "retourné, montant du paiement d'origine.",
    RETURNS_SCHEMA,
    {
        "file_id": _BANK_FILE,
        "kind": "reject (rejet avant règlement, pain.002) ou return (retour comptabilisé).",
        "movement_id": "Mouvement bancaire du retour, le cas échéant.",
        "amount": "Montant du paiement d'origine, positif.",
        "currency": "Devise (EUR).",
        "reason_code": "Code du motif de rejet ou de retour.",
        "reason_scheme": "Nomenclature du motif.",
        "reason_label": "Libellé français du motif.",
        "reason_info": "Précision sur le motif.",
        "original_end_to_end_id": "Référence de bout en bout du paiement d'origine.",
        "original_instruction_id": "Identifiant d'instruction du paiement d'origine.",
        "mandate_id": "Référence unique du mandat de prélèvement.",
        "original_message_id": "Identifiant du message d'origine.",
        "original_payment_information_id": "Identifiant du lot de paiement d'origine.",
        "status_id": "Identifiant du statut de rejet.",
        "requested_collection_date": "Date d'échéance demandée du prélèvement.",
        "booking_date": "Date de comptabilisation du retour.",
        "debtor_name": "Nom du débiteur. Donnée personnelle possible.",
        "debtor_iban": f"IBAN du débiteur. {_IBAN}",
        "creditor_id": "Identifiant créancier SEPA (ICS).",
        "line": _BANK_LINE,
        "xpath": _BANK_XPATH,
    },
)

BANK_STATEMENTS = _from_frame(
    "bank_statements",
    "Les relevés de compte reçus, avec soldes d'ouverture et de clôture et l'écart éventuel "
    "avec les écritures lues.",
    STATEMENTS_SCHEMA,
    {
        "file_id": _BANK_FILE,
        "statement_index": "Rang du relevé dans le fichier.",
        "statement_id": "Identifiant du relevé donné par la banque.",
        "account_iban": "IBAN du compte de l'organisme relevé.",
        "account_other_id": "Autre identifiant du compte relevé, sans IBAN.",
        "currency": "Devise (EUR).",
        "opening_amount": "Solde d'ouverture, signé.",
        "opening_date": "Date du solde d'ouverture.",
        "closing_amount": "Solde de clôture, signé.",
        "closing_date": "Date du solde de clôture.",
        "booked_total": "Somme des écritures comptabilisées du relevé.",
        "entry_count": "Nombre d'écritures du relevé.",
        "balance_gap": "Clôture − (ouverture + écritures) : 0 pour un relevé cohérent.",
        "balance_mismatch": "Vrai si les soldes ne s'accordent pas avec les écritures.",
        "line": _BANK_LINE,
    },
)

BANK_DIAGNOSTICS = _from_frame(
    "bank_diagnostics",
    "Les constats de la lecture des fichiers bancaires, sans numéro de compte ni nom.",
    BANK_DIAGNOSTICS_SCHEMA,
    {
        "file_id": _BANK_FILE,
        "source": "Format lu (camt.053, camt.054, cfonb120, pain.002).",
        "code": "Code stable du constat.",
        "severity": "Gravité : error, warning ou info.",
        "message": "Le constat en français, sans numéro de compte ni nom.",
        "line": _BANK_LINE,
        "xpath": _BANK_XPATH,
    },
)

# Tables created on the first load of their kind of file (warehouse.load.insert_frame).
CREATED_ON_LOAD = (BANK_TRANSACTIONS, BANK_RETURNS, BANK_STATEMENTS, BANK_DIAGNOSTICS)

# The technical columns the DSN reader puts before the rubrics of every block table.
_TECHNICAL_COMMENTS = {
    "file_id": FILE_ID.comment,
    "instance_id": INSTANCE_ID.comment,
    "parent_id": "Identifiant du bloc parent selon l'arbre de la norme (sa première ligne).",
    "envoi_id": "Identifiant de l'envoi : ligne de son bloc S10.G00.00.",
    "declaration_id": "Identifiant de la déclaration : ligne de son bloc S20.G00.05 ; vide "
    "hors déclaration.",
    "siren": SIREN.comment,
    "siret": SIRET.comment,
    "employee_key": EMPLOYEE_KEY.comment,
    "employment_contract_key": "Clé du contrat de travail : salarié, date de début "
    "(S21.G00.40.001) et numéro (S21.G00.40.009).",
    "oc_contract_key": "Clé de l'adhésion : code organisme (S21.G00.15.002), délégataire "
    "(.003) et référence du contrat (.001).",
}


@cache
def _norm_labels() -> tuple[dict[str, str], dict[str, str]]:
    """Block and rubric labels of every known norm version, the newest winning: a table holds
    the rubrics of every version its files were written in."""
    blocks: dict[str, str] = {}
    rubrics: dict[str, str] = {}
    for version in KNOWN_VERSIONS:
        norm = load_norm(version)
        blocks |= norm.block_label
        rubrics |= norm.rubric_label
    return blocks, rubrics


def staging_block_table(table: str, columns: dict[str, tuple[str, bool]]) -> Table:
    """The declaration of `staging.<table>` (a DSN block, e.g. `s21_g00_30`) with the columns
    it has (name -> (DuckDB type, nullable)), commented from the norm's labels."""
    block = table.upper().replace("_", ".")
    block_labels, rubric_labels = _norm_labels()
    label = block_labels.get(block, "bloc hors des normes connues")
    return Table(
        "staging",
        table,
        f"Bloc {block} « {label} » des fichiers DSN : une ligne par bloc lu, une colonne par "
        "rubrique, avec le fichier et les lignes d'origine.",
        tuple(
            Column(name, type_, _block_column_comment(name, rubric_labels), nullable)
            for name, (type_, nullable) in columns.items()
        ),
    )


def _block_column_comment(name: str, rubric_labels: dict[str, str]) -> str:
    if name in _TECHNICAL_COMMENTS:
        return _TECHNICAL_COMMENTS[name]
    if name in rubric_labels:
        return f"{name} : {rubric_labels[name]}."
    return f"{name} : rubrique hors des normes connues (rubrique de service d'une plateforme)."


_BLOCK_TABLE = re.compile(r"s\d{2}_g\d{2}_\d{2}")


def is_block_table(schema: str, table: str) -> bool:
    """Whether `schema.table` holds a DSN block (`staging.s21_g00_30`…)."""
    return schema == "staging" and _BLOCK_TABLE.fullmatch(table) is not None


# ---------------------------------------------------------------------------------------------
# core: the declarations in force and what they say, as facts and dimensions

PENDING_GROUPS = Table(
    "core",
    "pending_groups",
    "Groupes (établissement, mois) dont les déclarations ont changé et dont les faits sont à "
    "recalculer ; vidée après le recalcul.",
    (SIRET, MONTH),
)

DECLARATION_VERSIONS = Table(
    "core",
    "declaration_versions",
    "Toutes les versions de chaque déclaration : celle en vigueur et l'historique qu'elle a "
    "remplacé (annule et remplace, annulation).",
    (
        FILE_ID.but(nullable=False),
        DECLARATION_ID.but(nullable=False),
        SIREN,
        SIRET,
        MONTH,
        STAGING_DECLARATIONS.column("nature"),
        STAGING_DECLARATIONS.column("type"),
        STAGING_DECLARATIONS.column("fraction"),
        STAGING_DECLARATIONS.column("order_number"),
        STAGING_DECLARATIONS.column("built_on"),
        STAGING_DECLARATIONS.column("replaced_id"),
        STAGING_DECLARATIONS.column("norm"),
        STAGING_DECLARATIONS.column("status"),
        Column("version_rank", "INTEGER", "Rang de la version : 1 pour la plus ancienne.", False),
        Column("versions", "INTEGER", "Nombre de versions du groupe.", False),
        Column("in_force", "BOOLEAN", "Vrai pour la version en vigueur.", False),
        Column(
            "cancelled",
            "BOOLEAN",
            "Vrai si la dernière version du groupe est une annulation (type 04).",
            False,
        ),
        Column("superseded_by_file_id", "VARCHAR", "Fichier de la version suivante."),
        Column("superseded_by_declaration_id", "UINTEGER", "Déclaration de la version suivante."),
    ),
    key=("file_id", "declaration_id"),
)

DECLARATIONS_IN_FORCE = Table(
    "core",
    "declarations_in_force",
    "Les déclarations en vigueur : une version par groupe, les remplacements appliqués.",
    tuple(c.but(nullable=True) for c in DECLARATION_VERSIONS.columns),
    is_view=True,
)

EMPLOYEE_MONTHS = _fact(
    "employee_months",
    "Un salarié (bloc S21.G00.30) par déclaration en vigueur. Données personnelles.",
    _instance("Bloc S21.G00.30 du salarié."),
    EMPLOYEE_KEY.but(nullable=False),
    Column("nir", "VARCHAR", "NIR (S21.G00.30.001). Donnée personnelle."),
    Column("ntt", "VARCHAR", "Numéro technique temporaire (S21.G00.30.020)."),
    Column("last_name", "VARCHAR", "Nom de famille (S21.G00.30.002). Donnée personnelle."),
    Column("first_names", "VARCHAR", "Prénoms (S21.G00.30.004). Donnée personnelle."),
    Column(
        "birth_date", "VARCHAR", "Date de naissance JJMMAAAA telle que déclarée (S21.G00.30.006)."
    ),
)

IDENTITY_CHANGES = _fact(
    "identity_changes",
    "Changements d'identité d'un salarié (bloc S21.G00.31) : l'identité d'avant le changement.",
    _instance("Bloc S21.G00.31."),
    EMPLOYEE_KEY.but(nullable=False),
    Column("change_date", "DATE", "Date de la modification (S21.G00.31.001)."),
    Column("previous_nir", "VARCHAR", "Ancien NIR (S21.G00.31.008). Donnée personnelle."),
    Column("previous_last_name", "VARCHAR", "Ancien nom de famille (S21.G00.31.009)."),
    Column("previous_first_names", "VARCHAR", "Anciens prénoms (S21.G00.31.010)."),
)

CATEGORY = Column(
    "category",
    "VARCHAR",
    "Statut catégoriel retraite complémentaire (S21.G00.40.003) : 01 cadre, 02 extension "
    "cadre, 04 non cadre…",
)
CONTRACT_NATURE = Column("contract_nature", "VARCHAR", "Nature du contrat (S21.G00.40.007).")

CONTRACT_MONTHS = _fact(
    "contract_months",
    "Un contrat de travail (bloc S21.G00.40) par déclaration en vigueur.",
    _instance("Bloc S21.G00.40."),
    EMPLOYEE_KEY.but(nullable=False),
    CONTRACT_START,
    CONTRACT_NUMBER,
    CATEGORY,
    CONTRACT_NATURE,
)

ADHESION_KEY = Column(
    "adhesion_key",
    "VARCHAR",
    "Clé de l'adhésion : code organisme (S21.G00.15.002) | délégataire (.003) | référence du "
    "contrat (.001).",
)
OC_CODE = Column("oc_code", "VARCHAR", "Code de l'organisme (S21.G00.15.002).")
DELEGATE_CODE = Column(
    "delegate_code", "VARCHAR", "Code du délégataire de gestion (S21.G00.15.003)."
)

ADHESION_MONTHS = _fact(
    "adhesion_months",
    "Une adhésion prévoyance (bloc S21.G00.15) par déclaration en vigueur.",
    _instance("Bloc S21.G00.15."),
    ADHESION_KEY.but(nullable=False),
    OC_CODE,
    DELEGATE_CODE,
    CONTRACT_REFERENCE,
    Column("personnel_covered", "VARCHAR", "Personnel couvert (S21.G00.15.004)."),
    Column(
        "technical_id",
        "VARCHAR",
        "Identifiant technique de l'adhésion dans sa déclaration (S21.G00.15.005).",
    ),
)

AFFILIATIONS = _fact(
    "affiliations",
    "Une affiliation prévoyance (bloc S21.G00.70) d'un salarié par déclaration en vigueur.",
    _instance("Bloc S21.G00.70."),
    EMPLOYEE_KEY.but(nullable=False),
    CONTRACT_START,
    CONTRACT_NUMBER,
    ADHESION_KEY.but(
        comment=f"{ADHESION_KEY.comment} Vide quand S21.G00.70.013 ne désigne aucune adhésion "
        "de sa déclaration."
    ),
    OPTION_CODE,
    POPULATION_CODE,
    Column("children", "INTEGER", "Nombre d'enfants à charge (S21.G00.70.007)."),
    Column(
        "adult_dependants",
        "INTEGER",
        "Nombre d'ayants droit conjoint ou concubin (S21.G00.70.008).",
    ),
    Column("dependants", "INTEGER", "Nombre d'ayants droit attachés au salarié (S21.G00.70.009)."),
    Column("other_dependants", "INTEGER", "Nombre d'autres ayants droit (S21.G00.70.010)."),
    Column("child_dependants", "INTEGER", "Nombre d'enfants ayants droit (S21.G00.70.011)."),
    Column(
        "technical_id",
        "VARCHAR",
        "Identifiant technique de l'affiliation dans sa déclaration (S21.G00.70.012).",
    ),
    Column("start_date", "DATE", "Date de début de l'affiliation (S21.G00.70.014)."),
    Column("end_date", "DATE", "Date de fin de l'affiliation (S21.G00.70.015)."),
)

STOPPAGES = _fact(
    "stoppages",
    "Un arrêt de travail (bloc S21.G00.60) par déclaration en vigueur, mensuelle ou signalement.",
    _instance("Bloc S21.G00.60."),
    EMPLOYEE_KEY.but(nullable=False),
    CONTRACT_START,
    CONTRACT_NUMBER,
    Column("reason", "VARCHAR", "Motif de l'arrêt (S21.G00.60.001)."),
    Column("last_day_worked", "DATE", "Date du dernier jour travaillé (S21.G00.60.002)."),
    Column("planned_end", "DATE", "Date de fin prévisionnelle (S21.G00.60.003)."),
    Column("return_date", "DATE", "Date de reprise (S21.G00.60.010)."),
    Column("return_reason", "VARCHAR", "Motif de la reprise (S21.G00.60.011)."),
    Column(
        "accident_date",
        "DATE",
        "Date de l'accident ou de la première constatation (S21.G00.60.012).",
    ),
    Column("nature", "VARCHAR", "Nature de la déclaration porteuse (S20.G00.05.001)."),
    Column("built_on", "DATE", "Date de constitution du fichier (S20.G00.05.007)."),
    Column("subrogation", "VARCHAR", "Subrogation (S21.G00.60.004)."),
    Column("subrogation_start", "DATE", "Date de début de la subrogation (S21.G00.60.005)."),
    Column("subrogation_end", "DATE", "Date de fin de la subrogation (S21.G00.60.006)."),
)

CONTRACT_ENDS = _fact(
    "contract_ends",
    "Une fin de contrat de travail (bloc S21.G00.62) par déclaration en vigueur.",
    _instance("Bloc S21.G00.62."),
    EMPLOYEE_KEY.but(nullable=False),
    CONTRACT_START,
    CONTRACT_NUMBER,
    Column("end_date", "DATE", "Date de fin du contrat (S21.G00.62.001)."),
    Column("end_reason", "VARCHAR", "Motif de la rupture du contrat (S21.G00.62.002)."),
    Column(
        "keeps_cover",
        "BOOLEAN",
        "Vrai si l'affiliation au contrat collectif est maintenue (S21.G00.62.016 = 01).",
    ),
)

CONTRIBUTIONS = _fact(
    "contributions",
    "Les cotisations individuelles de prévoyance (S21.G00.81 code 059 sous une base "
    "S21.G00.78 code 31) par déclaration en vigueur.",
    _instance("Bloc S21.G00.81 de la cotisation."),
    EMPLOYEE_KEY.but(nullable=False),
    Column(
        "affiliation_instance_id",
        "UINTEGER",
        "Affiliation (bloc S21.G00.70) désignée par S21.G00.78.005 ; vide si aucune.",
    ),
    ADHESION_KEY,
    OPTION_CODE,
    POPULATION_CODE,
    Column("base_amount", AMOUNT, "Montant d'assiette (S21.G00.81.003)."),
    Column("amount", AMOUNT, "Montant de cotisation (S21.G00.81.004)."),
)

DECLARED_PAYMENTS = _fact(
    "declared_payments",
    "Les versements aux organismes de protection sociale (bloc S21.G00.20) par déclaration en "
    "vigueur.",
    _instance("Bloc S21.G00.20."),
    Column("oc_id", "VARCHAR", "Identifiant de l'organisme (S21.G00.20.001)."),
    Column("iban", "VARCHAR", f"IBAN du payeur (S21.G00.20.004). {_IBAN}"),
    Column("amount", AMOUNT, "Montant du versement (S21.G00.20.005)."),
    Column("period_start", "DATE", "Début de la période de rattachement (S21.G00.20.006)."),
    Column("period_end", "DATE", "Fin de la période de rattachement (S21.G00.20.007)."),
    Column("payment_mode", "VARCHAR", "Mode de paiement (S21.G00.20.010)."),
    Column("payment_date", "DATE", "Date de paiement (S21.G00.20.011)."),
)

DECLARED_PAYMENT_COMPONENTS = _fact(
    "declared_payment_components",
    "Les composants de versement (bloc S21.G00.55) par déclaration en vigueur.",
    _instance("Bloc S21.G00.55."),
    Column("payment_instance_id", "UINTEGER", "Versement parent (bloc S21.G00.20).", False),
    Column("amount", AMOUNT, "Montant versé (S21.G00.55.001)."),
    Column("population_type", "VARCHAR", "Type de population (S21.G00.55.002)."),
    Column(
        "contract_reference",
        "VARCHAR",
        "Code d'affectation : référence du contrat (S21.G00.55.003).",
    ),
    Column("period", "VARCHAR", "Période de rattachement (S21.G00.55.004), ex. 2024M01."),
)

GROSS_PAY = _fact(
    "gross_pay",
    "Rémunération brute non plafonnée (S21.G00.51.011 = 001, montant .013) par salarié, "
    "numéro de contrat et déclaration en vigueur ; plusieurs blocs S21.G00.51 s'additionnent.",
    EMPLOYEE_KEY.but(nullable=False),
    Column("contract_number", "VARCHAR", "Numéro du contrat de travail (S21.G00.51.010)."),
    Column("gross", AMOUNT, "Somme des montants S21.G00.51.013."),
)

OTHER_SUSPENSIONS = _fact(
    "other_suspensions",
    "Autres suspensions du contrat de travail (bloc S21.G00.65) : invalidité, congés…",
    _instance("Bloc S21.G00.65."),
    EMPLOYEE_KEY.but(nullable=False),
    CONTRACT_START,
    CONTRACT_NUMBER,
    Column("reason", "VARCHAR", "Motif de suspension (S21.G00.65.001)."),
    Column("start_date", "DATE", "Date de début de la suspension (S21.G00.65.002)."),
    Column("end_date", "DATE", "Date de fin de la suspension (S21.G00.65.003)."),
)

THERAPEUTIC_PART_TIMES = _fact(
    "therapeutic_part_times",
    "Temps partiels thérapeutiques (bloc S21.G00.66) sous un arrêt de travail.",
    _instance("Bloc S21.G00.66."),
    Column("stoppage_instance_id", "UINTEGER", "Arrêt parent (bloc S21.G00.60).", False),
    EMPLOYEE_KEY.but(nullable=False),
    CONTRACT_START,
    CONTRACT_NUMBER,
    Column("period_start", "DATE", "Date de début (S21.G00.66.001)."),
    Column("period_end", "DATE", "Date de fin (S21.G00.66.002)."),
    Column("pay", AMOUNT, "Montant de la rémunération de la période (S21.G00.66.003)."),
)

DEPENDANTS = _fact(
    "dependants",
    "Ayants droit (bloc S21.G00.73) comptés par type pour chaque affiliation.",
    Column("affiliation_instance_id", "UINTEGER", "Affiliation parente (bloc S21.G00.70).", False),
    EMPLOYEE_KEY.but(nullable=False),
    Column("dependant_type", "VARCHAR", "Type d'ayant droit (S21.G00.73.003)."),
    Column("dependants", "INTEGER", "Nombre d'ayants droit de ce type.", False),
)

CONTRIBUTION_COMPONENTS = _fact(
    "contribution_components",
    "Composants de base assujettie (bloc S21.G00.79) de chaque cotisation de "
    "core.contributions, sommés par type.",
    Column(
        "contribution_instance_id",
        "UINTEGER",
        "Cotisation (bloc S21.G00.81) de core.contributions.",
        False,
    ),
    EMPLOYEE_KEY.but(nullable=False),
    Column("component_type", "VARCHAR", "Type de composant de base assujettie (S21.G00.79.001)."),
    Column("amount", AMOUNT, "Somme des montants du type (S21.G00.79.004)."),
)

COMPANIES = Table(
    "core",
    "companies",
    "Les entreprises déclarantes, d'après les déclarations en vigueur.",
    (
        SIREN.but(nullable=False),
        Column("establishments", "INTEGER", "Nombre d'établissements déclarants."),
        FIRST_MONTH,
        LAST_MONTH,
    ),
    key=("siren",),
)

ESTABLISHMENTS = Table(
    "core",
    "establishments",
    "Les établissements déclarants.",
    (
        SIRET.but(nullable=False),
        SIREN,
        Column("nic", "VARCHAR", "NIC de l'établissement (S21.G00.11.001)."),
        Column("ape", "VARCHAR", "Code APET (S21.G00.11.002)."),
        Column("postal_code", "VARCHAR", "Code postal (S21.G00.11.004)."),
        Column("city", "VARCHAR", "Localité (S21.G00.11.005)."),
        FIRST_MONTH,
        LAST_MONTH,
    ),
    key=("siret",),
)

EMPLOYEES = Table(
    "core",
    "employees",
    "Les salariés tels que leur dernière déclaration les décrit. Données personnelles.",
    (
        EMPLOYEE_KEY.but(nullable=False),
        *(EMPLOYEE_MONTHS.column(name) for name in ("nir", "ntt", "last_name", "first_names")),
        EMPLOYEE_MONTHS.column("birth_date"),
        Column("last_siret", "VARCHAR", "Dernier établissement déclarant."),
        FIRST_MONTH,
        LAST_MONTH,
    ),
    key=("employee_key",),
)

EMPLOYEE_LINKS = Table(
    "core",
    "employee_links",
    "Les identités antérieures d'un salarié : ancien NIR (S21.G00.31) ou NTT remplacé par un NIR.",
    (
        Column("previous_key", "VARCHAR", "Identifiant antérieur. Donnée personnelle.", False),
        EMPLOYEE_KEY.but(nullable=False),
        Column("link_reason", "VARCHAR", "Pourquoi les deux identifiants sont liés.", False),
        FIRST_MONTH.but(comment="Premier mois où le lien est déclaré."),
    ),
    key=("previous_key", "employee_key"),
)

EMPLOYMENT_CONTRACTS = Table(
    "core",
    "employment_contracts",
    "Les contrats de travail : salarié, date de début (S21.G00.40.001) et numéro "
    "(S21.G00.40.009), décrits par leur dernière déclaration.",
    (
        EMPLOYEE_KEY.but(nullable=False),
        CONTRACT_START,
        CONTRACT_NUMBER,
        SIRET,
        CATEGORY,
        CONTRACT_NATURE,
        FIRST_MONTH,
        LAST_MONTH,
        CONTRACT_ENDS.column("end_date"),
        CONTRACT_ENDS.column("end_reason"),
    ),
)

ADHESIONS = Table(
    "core",
    "adhesions",
    "Les adhésions des établissements aux contrats de l'organisme (blocs S21.G00.15).",
    (
        ADHESION_KEY.but(nullable=False),
        SIRET.but(nullable=False),
        OC_CODE,
        DELEGATE_CODE,
        CONTRACT_REFERENCE,
        FIRST_MONTH,
        LAST_MONTH,
    ),
    key=("adhesion_key", "siret"),
)

WAREHOUSE_TABLES: tuple[Table, ...] = (
    SCHEMA_MIGRATIONS,
    TABLE_COMMENTS,
    FILES,
    DELIVERIES,
    LANDING_STATUS,
    REJECTED_LINES,
    STAGING_DECLARATIONS,
    STAGING_DIAGNOSTICS,
    *CREATED_ON_LOAD,
    PENDING_GROUPS,
    DECLARATION_VERSIONS,
    DECLARATIONS_IN_FORCE,
    EMPLOYEE_MONTHS,
    IDENTITY_CHANGES,
    CONTRACT_MONTHS,
    ADHESION_MONTHS,
    AFFILIATIONS,
    STOPPAGES,
    CONTRACT_ENDS,
    CONTRIBUTIONS,
    DECLARED_PAYMENTS,
    DECLARED_PAYMENT_COMPONENTS,
    GROSS_PAY,
    OTHER_SUSPENSIONS,
    THERAPEUTIC_PART_TIMES,
    DEPENDANTS,
    CONTRIBUTION_COMPONENTS,
    COMPANIES,
    ESTABLISHMENTS,
    EMPLOYEES,
    EMPLOYEE_LINKS,
    EMPLOYMENT_CONTRACTS,
    ADHESIONS,
)
