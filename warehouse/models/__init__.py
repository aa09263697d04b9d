"""The core model: SQL files run in dependency order against staging.

A night recomputes only the (SIRET, month) groups listed in `core.pending_groups` (filled by the
staging load in the same transaction as the file): declaration versions first, then the facts
of those groups (delete and re-insert), then the dimensions, which are small aggregates of the
facts and are rebuilt whole. The pending list is emptied only when everything succeeded, so a
failed or killed run is simply redone by the next one.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse.changes import (
    keep_in_force,
    mark_every_company,
    mark_pending_changes,
    note_pending_changes,
    prune_changes,
)
from warehouse.connections import transaction

MODELS_DIR = Path(__file__).parent

# Order matters: contributions and dependants read the affiliations of the same groups,
# contribution components the contributions.
FACT_TABLES = (
    "employee_months",
    "identity_changes",
    "contract_months",
    "adhesion_months",
    "affiliations",
    "dependants",
    "stoppages",
    "therapeutic_part_times",
    "other_suspensions",
    "contract_ends",
    "contributions",
    "contribution_components",
    "declared_payments",
    "declared_payment_components",
    "gross_pay",
)
DIMENSION_TABLES = (
    "companies",
    "establishments",
    "employees",
    "employee_links",
    "employment_contracts",
    "adhesions",
)
CORE_TABLES = ("declaration_versions", *FACT_TABLES, *DIMENSION_TABLES)

_IN_PENDING_GROUPS = """
    EXISTS (
        SELECT 1 FROM core.pending_groups AS p
        WHERE p.siret IS NOT DISTINCT FROM t.siret AND p.month IS NOT DISTINCT FROM t.month
    )
"""


def _sql(name: str) -> str:
    return (MODELS_DIR / f"{name}.sql").read_text(encoding="utf-8")


def pending_group_count(connection: duckdb.DuckDBPyConnection) -> int:
    row = connection.execute("SELECT count(*) FROM (SELECT DISTINCT * FROM core.pending_groups)")
    return int(row.fetchone()[0])  # type: ignore[index]


def refresh_declaration_versions(connection: duckdb.DuckDBPyConnection) -> int:
    """Recompute which declaration is in force in every pending group; return the group count."""
    with transaction(connection):
        keep_in_force(connection, _IN_PENDING_GROUPS)
        connection.execute(f"DELETE FROM core.declaration_versions AS t WHERE {_IN_PENDING_GROUPS}")
        connection.execute(
            "INSERT INTO core.declaration_versions BY NAME " + _sql("declaration_versions")
        )
        note_pending_changes(connection, _IN_PENDING_GROUPS)
        return pending_group_count(connection)


def refresh_facts(connection: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Replace the facts of the pending groups by those of their declarations in force."""
    inserted = {}
    with transaction(connection):
        connection.execute(_sql("scope"))
        for table in FACT_TABLES:
            connection.execute(f"DELETE FROM core.{table} AS t WHERE {_IN_PENDING_GROUPS}")
            row = connection.execute(
                f"INSERT INTO core.{table} BY NAME " + _sql(f"facts/{table}")
            ).fetchone()
            inserted[table] = int(row[0]) if row else 0
    return inserted


def refresh_dimensions(connection: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rebuild the dimensions from the facts, mark the pending groups' companies (or only some
    of their employees) as changed for the stages after the core model (`warehouse.changes`),
    then clear the pending groups."""
    sizes = {}
    with transaction(connection):
        for table in DIMENSION_TABLES:
            connection.execute(f"DELETE FROM core.{table}")
            row = connection.execute(
                f"INSERT INTO core.{table} BY NAME " + _sql(f"dimensions/{table}")
            ).fetchone()
            sizes[table] = int(row[0]) if row else 0
        mark_pending_changes(
            connection,
            f"SELECT siren FROM core.declaration_versions AS t WHERE {_IN_PENDING_GROUPS}",
        )
        connection.execute("DELETE FROM core.pending_groups")
        prune_changes(connection)
    return sizes


def refresh_core(connection: duckdb.DuckDBPyConnection) -> None:
    refresh_declaration_versions(connection)
    refresh_facts(connection)
    refresh_dimensions(connection)


def rebuild_core(connection: duckdb.DuckDBPyConnection) -> None:
    """Recompute the whole core model from staging, as if every group were new."""
    with transaction(connection):
        for table in CORE_TABLES:
            connection.execute(f"DELETE FROM core.{table}")
        mark_every_company(connection)
        connection.execute("DELETE FROM core.pending_groups")
        connection.execute(
            "INSERT INTO core.pending_groups SELECT DISTINCT siret, month FROM staging.declarations"
        )
    refresh_core(connection)
