"""The staging tables, declared once: what the readers produced, with file and line provenance.

The DSN block tables (`staging.s21_g00_30`…) are not listed: they are created from the reader's
frames and widened when a file carries a new rubric, so their declaration is built from the
columns they have, with the norm's labels (`staging_block_table`). The bank tables are created
by the first file with their kind of record (`CREATED_ON_LOAD`).
"""

from __future__ import annotations

import hashlib
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
from warehouse.schema import Column, Table
from warehouse.tables.columns import (
    DECLARATION_ID,
    EMPLOYEE_KEY,
    FILE_ID,
    IBAN_COMMENT,
    INSTANCE_ID,
    MONTH,
    SIREN,
    SIRET,
)

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
        "debtor_iban": f"IBAN du débiteur. {IBAN_COMMENT}",
        "debtor_bic": "BIC de la banque du débiteur.",
        "creditor_name": "Nom du créancier.",
        "creditor_iban": f"IBAN du créancier. {IBAN_COMMENT}",
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
        "debtor_iban": f"IBAN du débiteur. {IBAN_COMMENT}",
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

STAGING_TABLES: tuple[Table, ...] = (STAGING_DECLARATIONS, STAGING_DIAGNOSTICS, *CREATED_ON_LOAD)

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


def block_comments_digest() -> str:
    """A digest of what a DSN block table's comments depend on besides its columns: the norms'
    labels and the comments' wording (a sample table holding every column a label names, and
    one that none does). The tables' columns are commented when a load creates or widens them."""
    block_labels, rubric_labels = _norm_labels()
    every_column = [*_TECHNICAL_COMMENTS, *rubric_labels, "hors_norme"]
    sample = staging_block_table("s00_g00_00", dict.fromkeys(every_column, ("VARCHAR", True)))
    labels = "\n".join(f"{block}={label}" for block, label in sorted(block_labels.items()))
    return hashlib.sha256(f"{sample.comments_hash()}\n{labels}".encode()).hexdigest()


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
