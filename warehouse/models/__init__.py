"""The core model: SQL files run in dependency order against staging.

A night recomputes only the (SIRET, month) groups listed in `core.pending_groups` (filled by the
staging load in the same transaction as the file): declaration versions first, then the facts
of those groups (delete and re-insert), then the dimensions, aggregates of the facts per
company, establishment or employee, of which a night rebuilds the rows of the keys the pending
groups held before or hold after their recomputation (`core.pending_dimension_keys` keeps the
former across the steps' transactions); every other row is an aggregate of facts the night did
not touch. The pending list is emptied only when everything succeeded, so a failed or killed
run is simply redone by the next one.
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
# Each dimension and the column it is grouped by: its rows for one value are an aggregate of the
# facts of that company, establishment or employee alone (the `{scope}` of its SQL).
DIMENSION_KEYS = {
    "companies": "siren",
    "establishments": "siret",
    "employees": "employee_key",
    "employee_links": "employee_key",
    "employment_contracts": "employee_key",
    "adhesions": "siret",
}
DIMENSION_TABLES = tuple(DIMENSION_KEYS)
CORE_TABLES = ("declaration_versions", *FACT_TABLES, *DIMENSION_TABLES)
# The facts a dimension keyed by employee reads.
_EMPLOYEE_FACTS = ("employee_months", "identity_changes", "contract_months", "contract_ends")

_IN_PENDING_GROUPS = """
    EXISTS (
        SELECT 1 FROM core.pending_groups AS p
        WHERE p.siret IS NOT DISTINCT FROM t.siret AND p.month IS NOT DISTINCT FROM t.month
    )
"""


def _sql(name: str) -> str:
    return (MODELS_DIR / f"{name}.sql").read_text(encoding="utf-8")


def _pending_employees() -> str:
    """The employee keys of the pending groups' facts (a query)."""
    return " UNION ".join(
        f"SELECT employee_key FROM core.{table} AS t WHERE {_IN_PENDING_GROUPS}"
        for table in _EMPLOYEE_FACTS
    )


# Per key column, the keys whose dimension rows the pending groups' recomputation may change:
# those noted before it, and the pending groups' own after it.
_TOUCHED_KEYS = {
    "siren": f"""
        SELECT siren FROM core.pending_dimension_keys WHERE siren IS NOT NULL
        UNION SELECT siren FROM core.declaration_versions AS t
        WHERE in_force AND {_IN_PENDING_GROUPS}
    """,
    "siret": "SELECT DISTINCT siret FROM core.pending_groups",
    "employee_key": f"""
        SELECT employee_key FROM core.pending_dimension_keys WHERE employee_key IS NOT NULL
        UNION {_pending_employees()}
    """,
}


def pending_group_count(connection: duckdb.DuckDBPyConnection) -> int:
    row = connection.execute("SELECT count(*) FROM (SELECT DISTINCT * FROM core.pending_groups)")
    return int(row.fetchone()[0])  # type: ignore[index]


def refresh_declaration_versions(connection: duckdb.DuckDBPyConnection) -> int:
    """Recompute which declaration is in force in every pending group; return the group count."""
    with transaction(connection):
        keep_in_force(connection, _IN_PENDING_GROUPS)
        connection.execute(
            "INSERT INTO core.pending_dimension_keys SELECT DISTINCT siren, NULL "
            f"FROM core.declaration_versions AS t WHERE in_force AND {_IN_PENDING_GROUPS}"
        )
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
        connection.execute(
            "INSERT INTO core.pending_dimension_keys "
            f"SELECT NULL, employee_key FROM ({_pending_employees()})"
        )
        for table in FACT_TABLES:
            connection.execute(f"DELETE FROM core.{table} AS t WHERE {_IN_PENDING_GROUPS}")
            row = connection.execute(
                f"INSERT INTO core.{table} BY NAME " + _sql(f"facts/{table}")
            ).fetchone()
            inserted[table] = int(row[0]) if row else 0
    return inserted


def _note_touched_keys(connection: duckdb.DuckDBPyConnection) -> None:
    for column, touched in _TOUCHED_KEYS.items():
        connection.execute(
            f"CREATE OR REPLACE TEMP TABLE touched_{column} AS "
            f"SELECT {column} FROM ({touched}) WHERE {column} IS NOT NULL"
        )


def _touched(column: str) -> str:
    return f"{column} IN (SELECT {column} FROM temp.touched_{column})"


def _rebuild_rows(connection: duckdb.DuckDBPyConnection, table: str, scope: str) -> int:
    """Replace the rows of dimension `table` that `scope` selects; return its row count."""
    connection.execute(f"DELETE FROM core.{table} WHERE {scope}")
    connection.execute(
        f"INSERT INTO core.{table} BY NAME " + _sql(f"dimensions/{table}").format(scope=scope)
    )
    row = connection.execute(f"SELECT count(*) FROM core.{table}").fetchone()
    return int(row[0]) if row else 0


def refresh_dimensions(
    connection: duckdb.DuckDBPyConnection, whole: bool = False
) -> dict[str, int]:
    """Rebuild the dimension rows of the companies, establishments and employees the pending
    groups touched (`whole`: every row), mark the pending groups' companies (or only some of
    their employees) as changed for the stages after the core model (`warehouse.changes`),
    then clear the pending groups; return each dimension's row count."""
    with transaction(connection):
        if not whole:
            _note_touched_keys(connection)
        sizes = {
            table: _rebuild_rows(connection, table, "TRUE" if whole else _touched(column))
            for table, column in DIMENSION_KEYS.items()
        }
        mark_pending_changes(
            connection,
            f"SELECT siren FROM core.declaration_versions AS t WHERE {_IN_PENDING_GROUPS}",
        )
        connection.execute("DELETE FROM core.pending_groups")
        connection.execute("DELETE FROM core.pending_dimension_keys")
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
    refresh_declaration_versions(connection)
    refresh_facts(connection)
    refresh_dimensions(connection, whole=True)
