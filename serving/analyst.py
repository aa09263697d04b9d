"""What analysts read, never the night's own warehouse (any connection to it, even read-only,
can make the night fail): both published after each night, with a keyed pseudonym instead of
the NIR and without names, birth dates or IBANs.

- The analysts' warehouse `analystes.duckdb` beside the warehouse: the core and result tables,
  each table and column with the warehouse's comment, swapped in atomically like the portal's
  snapshot (`publish_analyst_copy`).
- Parquet exports of the monthly facts: `<exports>/<table>/month=AAAA-MM/*.parquet` (Hive
  partitioning, readable by DuckDB, Polars, Spark or Trino alike). Each table is written beside
  the old one and swapped in, so an analyst never reads half a table.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from serving.pseudonym import register_pseudonym_function
from serving.snapshot import swap_in
from warehouse.connections import connect, transaction
from warehouse.schema import sql_literal

_EMPLOYEE = "pseudonym(employee_key) AS employee_pseudonym"
_MONTH = "strftime(month, '%Y-%m') AS month"


@dataclass(frozen=True)
class AnalystExport:
    name: str
    sql: str  # must produce a `month` column ('AAAA-MM'); never a NIR, name or IBAN
    requires: str


ANALYST_EXPORTS: tuple[AnalystExport, ...] = (
    AnalystExport(
        "employee_months",
        f"SELECT {_MONTH}, siret, left(siret, 9) AS siren, {_EMPLOYEE}, "
        "nir IS NULL AS without_nir, try_cast(right(birth_date, 4) AS INTEGER) AS birth_year "
        "FROM core.employee_months",
        "core.employee_months",
    ),
    AnalystExport(
        "affiliations",
        f"SELECT {_MONTH}, siret, left(siret, 9) AS siren, {_EMPLOYEE}, contract_start, "
        "contract_number, adhesion_key, option_code, population_code, children, "
        "adult_dependants, dependants, other_dependants, child_dependants, start_date, end_date "
        "FROM core.affiliations",
        "core.affiliations",
    ),
    AnalystExport(
        "contributions",
        f"SELECT {_MONTH}, siret, left(siret, 9) AS siren, {_EMPLOYEE}, adhesion_key, "
        "option_code, population_code, base_amount, amount FROM core.contributions",
        "core.contributions",
    ),
    AnalystExport(
        "stoppages",
        f"SELECT {_MONTH}, siret, left(siret, 9) AS siren, {_EMPLOYEE}, contract_start, "
        "contract_number, reason, last_day_worked, planned_end, return_date, return_reason, "
        "accident_date FROM core.stoppages",
        "core.stoppages",
    ),
    AnalystExport(
        "contract_ends",
        f"SELECT {_MONTH}, siret, left(siret, 9) AS siren, {_EMPLOYEE}, contract_start, "
        "contract_number, end_date, end_reason, keeps_cover FROM core.contract_ends",
        "core.contract_ends",
    ),
    AnalystExport(
        "declared_payments",
        f"SELECT {_MONTH}, siret, left(siret, 9) AS siren, oc_id, amount, period_start, "
        "period_end, payment_mode, payment_date FROM core.declared_payments",
        "core.declared_payments",
    ),
)


def write_analyst_exports(
    warehouse_path: Path,
    exports_dir: Path,
    key: bytes,
    exports: tuple[AnalystExport, ...] = ANALYST_EXPORTS,
) -> dict[str, int]:
    """Write every export; return the rows written per table."""
    exports_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    with connect(warehouse_path, read_only=True) as connection:
        register_pseudonym_function(connection, key)
        for export in exports:
            building = exports_dir / f".{export.name}.en-cours"
            shutil.rmtree(building, ignore_errors=True)
            row = connection.execute(
                f"COPY ({export.sql}) TO '{building}' "
                "(FORMAT parquet, PARTITION_BY (month), WRITE_PARTITION_COLUMNS false)"
            ).fetchone()
            written[export.name] = int(row[0]) if row else 0
            _swap_directory(building, exports_dir / export.name)
    return written


def _swap_directory(new: Path, target: Path) -> None:
    old = target.with_name(f".{target.name}.ancien")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    if new.exists():
        new.rename(target)
    else:  # an empty table writes no partition: publish an empty directory
        target.mkdir()
    shutil.rmtree(old, ignore_errors=True)


# -- the analysts' own warehouse --------------------------------------------------------------

ANALYST_SCHEMAS = ("core", "ledger", "stoppage", "reference", "registry", "publish", "main")
# Tables an analyst has no use for, or that hold personal data in a shape not worth masking:
# raw DSN blocks (staging), the portal's inputs (names, NIR), the model's work queue.
_LEFT_OUT = {"core.pending_groups", "main.schema_migrations", "main.steward_decision_rejects"}
# Columns naming an employee: kept as the keyed pseudonym, so analysts can still join and count.
PSEUDONYMISED = frozenset(
    {
        "employee_key",
        "nir",
        "ntt",
        "previous_key",
        "previous_nir",
        "episode_id",
        "signal_id",
        "anomaly_id",
    }
)
# Columns no analysis needs that identify a person or an account.
DROPPED = frozenset(
    {
        "last_name",
        "first_names",
        "employee_name",
        "previous_last_name",
        "previous_first_names",
        "iban",
        "account_iban",
        "document",
        "detail_fingerprint",
        "resolved_fingerprint",
    }
)
_PSEUDONYM_NOTE = " Pseudonyme (HMAC-SHA256 avec la clé DSNPIPE_PSEUDONYM_KEY), jamais la valeur."


def _select_list(columns: list[tuple[str, str | None]]) -> tuple[list[str], dict[str, str]]:
    """The SELECT expressions of one table and the comment of each column they produce."""
    expressions, comments = [], {}
    for name, comment in columns:
        if name in DROPPED:
            continue
        if name in PSEUDONYMISED:
            expressions.append(f'pseudonym("{name}") AS "{name}"')
            comments[name] = (comment or name) + _PSEUDONYM_NOTE
        elif name == "birth_date":  # JJMMAAAA as declared: the year is enough
            expressions.append("try_cast(right(birth_date, 4) AS INTEGER) AS birth_year")
            comments["birth_year"] = "Année de naissance (la date complète n'est pas publiée)."
        else:
            expressions.append(f'"{name}"')
            comments[name] = comment or ""
    return expressions, comments


def build_analyst_copy(warehouse_path: Path, target: Path, key: bytes) -> dict[str, int]:
    """Write the analysts' warehouse into `target` (replaced): the core and result tables of
    the night's warehouse, employees pseudonymised, names and IBANs left out, each table and
    column with the warehouse's comment. Returns the rows per table."""
    for stale in (target, target.with_name(target.name + ".wal")):
        stale.unlink(missing_ok=True)
    rows: dict[str, int] = {}
    with connect(warehouse_path, read_only=True) as connection:
        register_pseudonym_function(connection, key)
        tables = connection.execute(
            "SELECT schema_name, table_name, comment FROM duckdb_tables() "
            "WHERE database_name = current_database() AND schema_name IN ? ORDER BY 1, 2",
            [list(ANALYST_SCHEMAS)],
        ).fetchall()
        connection.execute(f"ATTACH '{target}' AS analyst (READ_WRITE)")
        try:
            # One transaction: each table's and column's comment committed on its own cost
            # a quarter of the copy of 10,000 employees.
            with transaction(connection):
                for schema, table, comment in tables:
                    if f"{schema}.{table}" in _LEFT_OUT:
                        continue
                    rows[f"{schema}.{table}"] = _copy_table(connection, schema, table, comment)
            connection.execute("CHECKPOINT analyst")
        finally:
            connection.execute("DETACH analyst")
    return rows


def _copy_table(
    connection: duckdb.DuckDBPyConnection, schema: str, table: str, comment: str | None
) -> int:
    columns = connection.execute(
        "SELECT column_name, comment FROM duckdb_columns() WHERE database_name = "
        "current_database() AND schema_name = ? AND table_name = ? ORDER BY column_index",
        [schema, table],
    ).fetchall()
    expressions, comments = _select_list(columns)
    target = f'analyst."{schema}"."{table}"'
    connection.execute(f'CREATE SCHEMA IF NOT EXISTS analyst."{schema}"')
    connection.execute(
        f'CREATE TABLE {target} AS SELECT {", ".join(expressions)} FROM "{schema}"."{table}"'
    )
    connection.execute(f"COMMENT ON TABLE {target} IS {sql_literal(comment or '')}")
    for name, text in comments.items():
        connection.execute(f'COMMENT ON COLUMN {target}."{name}" IS {sql_literal(text)}')
    [(count,)] = connection.execute(f"SELECT count(*) FROM {target}").fetchall()
    return int(count)


def publish_analyst_copy(warehouse_path: Path, target: Path, key: bytes) -> dict[str, int]:
    """Build the analysts' warehouse at `target` through a candidate beside it, swapped in
    atomically: an analyst's open connection keeps reading the previous night, a new one reads
    tonight's, and the night's own warehouse is never opened by anyone else."""
    candidate = target.with_name(target.name + ".candidate")
    rows = build_analyst_copy(warehouse_path, candidate, key)
    swap_in(candidate, target)
    return rows
