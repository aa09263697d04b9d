"""The contract of `portal_v1`: its tables, columns, types and comments as the built schema
says, committed as `portal_v1.json`, and the reference page `docs/portal_v1.md` generated from it.

A change to the portal's schema is deliberate: change the specs, then regenerate both files with

    .venv/bin/python -m serving.contract --write

and commit them with the change (the contract test fails until then).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from serving.gates import gate_scopes
from serving.snapshot import build_candidate
from serving.spec import SCHEMA
from serving.tables import PORTAL_TABLES
from warehouse.connections import connect, connect_serving

CONTRACT_FILE = Path(__file__).with_name("portal_v1.json")
DOCS_FILE = Path(__file__).parents[1] / "docs" / "portal_v1.md"


def schema_of(database: Path) -> dict[str, Any]:
    """Every table of `portal_v1` in `database`: comment and columns (name, type, comment)."""
    with connect_serving(database) as connection:
        tables = connection.execute(
            "SELECT table_name, comment FROM duckdb_tables() WHERE schema_name = ? "
            "ORDER BY table_name",
            [SCHEMA],
        ).fetchall()
        columns = connection.execute(
            "SELECT table_name, column_name, data_type, comment FROM duckdb_columns() "
            "WHERE schema_name = ? ORDER BY table_name, column_index",
            [SCHEMA],
        ).fetchall()
    return {
        table: {
            "comment": comment,
            "columns": [
                {"name": name, "type": type_, "comment": column_comment}
                for owner, name, type_, column_comment in columns
                if owner == table
            ],
        }
        for table, comment in tables
    }


def built_contract() -> dict[str, Any]:
    """The schema the specs build, from an empty warehouse."""
    with tempfile.TemporaryDirectory() as directory:
        warehouse = Path(directory) / "warehouse.duckdb"
        with connect(warehouse, read_only=False):
            pass  # migrations only
        candidate = build_candidate(
            warehouse, Path(directory) / "serving.duckdb", date(2000, 1, 1), "2000-01-01-00000000"
        )
        return schema_of(candidate.path)


def render_markdown(contract: dict[str, Any]) -> str:
    lines = [
        "# `portal_v1` : les données publiées pour le portail",
        "",
        "Page générée par `python -m serving.contract --write` depuis le schéma ; "
        "ne pas la modifier à la main.",
        "",
        "Fichier DuckDB séparé de l'entrepôt (`serving.duckdb` par défaut, à côté de "
        "l'entrepôt), remplacé chaque nuit par un renommage atomique : l'ouvrir en lecture seule "
        "et le rouvrir pour chaque requête (ou série de requêtes) afin de voir la dernière "
        "publication. Chaque table porte `night_id` ; l'accès par entreprise se filtre sur "
        "`siren` (et `siret`). Exemple : `examples/portal_reader.py`.",
        "",
        "**Piège du cache DuckDB.** DuckDB garde une instance de base par chemin de fichier et "
        "par processus : tant qu'une connexion au fichier est ouverte dans le processus, une "
        "*nouvelle* connexion la rejoint et lit l'*ancien* fichier après le renommage de la "
        "nuit. Ouvrir une connexion par requête ne suffit donc pas si une autre reste ouverte : "
        "garder une seule connexion par nuit publiée et la rouvrir (après l'avoir fermée) quand "
        "le fichier servi change — c'est ce que fait `PortalReader` dans "
        "`examples/portal_reader.py`. Ne pas mélanger connexions DuckDB directes et SQLAlchemy "
        "sur un même fichier dans un processus (« different configuration »).",
        "",
    ]
    lines += _screens_section()
    lines += _personal_data_section(contract)
    for table, description in contract.items():
        lines += [f"## `{SCHEMA}.{table}`", "", description["comment"] or "", ""]
        lines += ["| Colonne | Type | Description |", "|---|---|---|"]
        for column in description["columns"]:
            comment = (column["comment"] or "").replace("|", "\\|")
            lines.append(f"| `{column['name']}` | {column['type']} | {comment} |")
        lines.append("")
    return "\n".join(lines + _gates_section())


# The seed portals' screens (shared/seeds) and what serves each: tables and columns of
# portal_v1, or "portail" when it is deliberately the portal's own job.
_SCREENS: tuple[tuple[str, str], ...] = (
    (
        "Création de comptes, habilitations, « Mes habilitations »",
        "portail : utilisateurs et droits sont gérés par le portail, pas par la chaîne nocturne",
    ),
    (
        "« Mes entreprises clientes », portefeuille adhérent (liste des SIREN)",
        "`companies` "
        "(`siren`, `establishments`, `first_month`, `last_month`), `establishments` (`siret`, "
        "`nic`, `ape`, `postal_code`, `city`) ; raison sociale : portail (référentiel client)",
    ),
    (
        "« Mes salariés », filtre par état d'affiliation",
        "`affiliation_states` (`status` parmi "
        "affilié, en cours d'affiliation, à relancer, dispensé, radié, en portabilité ; "
        "`status_since`, `portability_end`, `end_reason`), `employees` (identité, contrat de "
        "travail, `category`, `end_date`)",
    ),
    (
        "Ayants droit et niveau de garanties d'un salarié",
        "`affiliation_states` (`dependants`, "
        "`option_code`, `population_code`) ; libellés des garanties : portail (fiche produit)",
    ),
    (
        "Extraction Excel des salariés",
        "`employees` + `affiliation_states` (`dsnpipe export employees` en donne l'exemple)",
    ),
    (
        "Déclarer un nouveau salarié, radier un salarié en ligne",
        "portail (saisie) ; la chaîne "
        "lit ses exports (`from_portal.*` de l'entrepôt) et publie l'effet dans "
        "`affiliation_states`",
    ),
    (
        "« Suivi des demandes d'affiliation »",
        "`affiliation_states` (`status` en cours "
        "d'affiliation ou à relancer, `source` = portail), `affiliation_follow_up` (changements "
        "nuit par nuit)",
    ),
    ("« Suivi des affiliations »", "`affiliation_follow_up` (`status`, `status_since`, `night`)"),
    (
        "« Suivi des anomalies d'affiliation »",
        "`affiliation_anomalies` (`rule_code`, "
        "`rule_label`, `severity`, `status`, `detail`, `first_seen`, `last_seen`)",
    ),
    (
        "Déclarer et suivre les arrêts de travail, suivi des indemnités journalières",
        "`stoppage_episodes` (`reason`, `first_day_off`, `planned_end`, `return_date`, `status`), "
        "`stoppage_signals`, `stoppage_claims` (indemnités estimées ; les prestations versées "
        "restent au système de prestations)",
    ),
    (
        "Cotisations et échéances, historique et détail des cotisations",
        "`contribution_periods` "
        "(`period_code`, `due_date`, `visible_from`, `declared`, `declared_paid`, `expected`, "
        "`paid`, `balance`, `provisional`)",
    ),
    (
        "Détail des cotisations (assiette, taux, population)",
        "`contribution_details` "
        "(`population`, `employees`, `base_tranche_a`, `base_tranche_b`, `base_pmss`, `rates`, "
        "`declared`, `expected`, `gap`)",
    ),
    ("Historique des paiements", "`payments` (`date`, `amount`, `entry`, `period_code`)"),
    (
        "Situation de compte (export sur une période)",
        "`account_statement_lines` (`dsnpipe export statement` en donne l'exemple)",
    ),
    (
        "Relances, mise en demeure",
        "`dunning` (`stage`, `stage_label`, `outstanding`, "
        "`days_overdue`, `notice_date`, `provisional`)",
    ),
    (
        "Comptes rendus des DSN",
        "fichiers JSON par déclaration (`comptes_rendus/` à côté de "
        "l'entrepôt), pas dans ce schéma",
    ),
    (
        "« Mes contrats » (risque et garanties), « Mes documents pratiques », courriers",
        "portail : documents et fiches produit relèvent du portail",
    ),
    ("« Mes informations personnelles », coordonnées", "portail"),
)


def _screens_section() -> list[str]:
    lines = [
        "## Écrans des portails et tables qui les servent",
        "",
        "Les écrans des portails d'espace entreprise dont le produit est parti, et ce qui les "
        "sert : des tables et colonnes de `portal_v1`, ou « portail » quand c'est "
        "délibérément le travail du portail.",
        "",
        "| Écran | Servi par |",
        "|---|---|",
    ]
    lines += [f"| {screen} | {served.replace('|', '/')} |" for screen, served in _SCREENS]
    return [*lines, ""]


def _gates_section() -> list[str]:
    """Which gate refuses what: a company's rows only, or the whole night."""
    lines = [
        "## Contrôles avant publication",
        "",
        "Chaque nuit, la publication candidate passe ces contrôles. Un contrôle **par entreprise** "
        "en échec ne retient que les entreprises (SIREN, sinon les 9 premiers chiffres du SIRET) "
        "dont les lignes échouent : leurs lignes, dans toutes les tables, restent celles de leur "
        "dernière publication réussie (`night_id` le montre ; aucune ligne si elles n'ont jamais "
        "été publiées), `company_publication` les marque « retenue » avec les contrôles en "
        "échec, le refus est enregistré dans l'entrepôt (`publish.company_refusals`) et les "
        "autres entreprises sont publiées. Un contrôle **de la nuit entière** en échec (ainsi "
        "qu'une ligne en échec sans entreprise connue) refuse toute la publication : le portail "
        "garde le fichier de la veille. Sont de la nuit entière : le schéma et le contrat "
        "(requêtes conformes aux colonnes publiées), et, ajoutés à la publication, le nombre de "
        "lignes de chaque table (bloquant s'il perd plus de la moitié des lignes de la "
        "publication précédente, avertissement s'il triple). Les contrôles non bloquants ne "
        "sont que des avertissements.",
        "",
        "| Table | Contrôle | Bloquant | Portée |",
        "|---|---|---|---|",
    ]
    for table, label, blocking, per_company in gate_scopes(PORTAL_TABLES):
        scope = "entreprise" if per_company else "nuit entière"
        lines.append(f"| `{table}` | {label} | {'oui' if blocking else 'non'} | {scope} |")
    return [*lines, ""]


# Columns that carry a NIR: the declared NIR itself, and the employee key (the NIR, else the NTT).
_NIR_COLUMNS = ("nir", "employee_key")


def _personal_data_section(contract: dict[str, Any]) -> list[str]:
    """Where the NIR is, read from the schema so that a new column cannot be forgotten."""
    holders = [
        f"`{table}` ({', '.join(f'`{c}`' for c in columns)})"
        for table, description in contract.items()
        if (columns := [c["name"] for c in description["columns"] if c["name"] in _NIR_COLUMNS])
    ]
    return [
        "## Où se trouve le NIR",
        "",
        "Données personnelles : le NIR figure dans les tables suivantes, que le portail ne "
        "montre qu'à l'entreprise concernée (filtre sur `siren`) : " + ", ".join(holders) + ".",
        "",
        "Les identifiants publiés (`episode_id`, `signal_id`…) ne le contiennent pas : ce sont "
        "des empreintes SHA-256. Hors du portail, l'entrepôt, le rapport des gestionnaires "
        "(`reports/`) et les fichiers en quarantaine contiennent des NIR ; comme toutes les "
        "sorties de la nuit, ils sont créés lisibles par leur seul propriétaire (fichiers 0600, "
        "répertoires 0700, `DSNPIPE_UMASK` pour changer) ; les exports pour les analystes "
        "(`exports/`) portent un pseudonyme à la place du NIR.",
        "",
    ]


def _serialise(contract: dict[str, Any]) -> str:
    return json.dumps(contract, ensure_ascii=False, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Contrat du schéma portal_v1")
    parser.add_argument("--write", action="store_true", help="réécrire le contrat et la page")
    args = parser.parse_args(argv)
    contract = built_contract()
    if args.write:
        CONTRACT_FILE.write_text(_serialise(contract), encoding="utf-8")
        DOCS_FILE.write_text(render_markdown(contract), encoding="utf-8")
        print(f"Écrits : {CONTRACT_FILE} et {DOCS_FILE}")
        return 0
    committed = CONTRACT_FILE.read_text(encoding="utf-8") if CONTRACT_FILE.exists() else ""
    if committed != _serialise(contract):
        print("Le schéma portal_v1 diffère du contrat : régénérer avec --write si c'est voulu.")
        return 1
    print("Le schéma portal_v1 est conforme au contrat.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
