"""What analysts read, never the night's own warehouse (any connection to it, even read-only,
can make the night fail): both published after each night, with a keyed pseudonym instead of
the NIR and without names, birth dates or IBANs.

- The analysts' warehouse `analystes.duckdb` beside the warehouse: the core and result tables,
  each table and column with the warehouse's comment, swapped in atomically like the portal's
  snapshot (`build_analyst_candidate`); a night rewrites only the rows of the companies that
  changed in each table.
- Parquet exports of the monthly facts: `<exports>/<table>/month=AAAA-MM/*.parquet` (Hive
  partitioning, readable by DuckDB, Polars, Spark or Trino alike). Each table is written beside
  the old one and swapped in, so an analyst never reads half a table.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from serving.pseudonym import pseudonym, register_pseudonym_function
from warehouse.changes import CompanyScope
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
# raw DSN blocks (staging), the portal's inputs (names, NIR), the model's work queue and the
# stages' own bookkeeping.
_LEFT_OUT = {
    "core.pending_groups",
    "core.company_changes",
    "core.stage_progress",
    "ledger.movement_payers",
    "publish.analyst_copy_fingerprints",
    "publish.compte_rendu_inputs",
    "main.schema_migrations",
    "main.steward_decision_rejects",
}
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


@dataclass(frozen=True)
class AnalystCandidate:
    """Tonight's analysts' warehouse, built beside the served one and not yet swapped in."""

    path: Path
    rows: dict[str, int]  # rows per table


def build_analyst_candidate(
    connection: duckdb.DuckDBPyConnection, target: Path, key: bytes, scope: CompanyScope
) -> AnalystCandidate:
    """Write tonight's analysts' warehouse beside `target`: the core and result tables of the
    warehouse `connection` holds, employees pseudonymised, names and IBANs left out, each table
    and column with the warehouse's comment.

    It starts from the served copy when the fingerprints kept of it (`FINGERPRINTS`) still
    describe that file, and replaces in each table only the rows of the companies whose rows
    changed in the warehouse (the whole table for a table without company, or a new
    definition); otherwise, or when `scope` is every company, it is built from scratch."""
    candidate = target.with_name(target.name + ".candidate")
    for stale in (candidate, candidate.with_name(candidate.name + ".wal")):
        stale.unlink(missing_ok=True)
    tables = _analyst_tables(connection, key)
    _fingerprint_tables(connection, tables)
    if not scope.everything and _describes(connection, target):
        _copy_owner_only(target, candidate)
        previous = FINGERPRINTS
    else:
        previous = f"(SELECT * FROM {FINGERPRINTS} WHERE FALSE)"
    _changed_parts(connection, previous)
    register_pseudonym_function(connection, key)
    connection.execute(f"ATTACH '{candidate}' AS analyst (READ_WRITE)")
    try:
        # One transaction: each table's and column's comment committed on its own cost
        # a quarter of the copy of 10,000 employees.
        with transaction(connection):
            _drop_tables_gone(connection, tables)
            for table in tables:
                _update_table(connection, table, previous)
        connection.execute("CHECKPOINT analyst")
    finally:
        connection.execute("DETACH analyst")
    rows = connection.execute(
        f"SELECT table_name, sum(row_count) FROM temp.{_TONIGHT} GROUP BY ALL"
    ).fetchall()
    counted = {name: int(count) for name, count in rows}
    return AnalystCandidate(candidate, {t.name: counted.get(t.name, 0) for t in tables})


def remember_analyst_copy(
    connection: duckdb.DuckDBPyConnection, candidate: AnalystCandidate
) -> None:
    """Keep the fingerprints of what `candidate` was built from, with the identity of its file;
    the caller holds the transaction, then swaps the candidate in (`swap_in`)."""
    connection.execute(f"DELETE FROM {FINGERPRINTS}")
    connection.execute(
        f"INSERT INTO {FINGERPRINTS} SELECT ?, table_name, definition, siren, row_count, "
        f"fingerprint FROM temp.{_TONIGHT}",
        [_identity(candidate.path)],
    )


FINGERPRINTS = "publish.analyst_copy_fingerprints"
_TONIGHT = "analyst_fingerprints"  # temporary: tonight's fingerprints
_CHANGED = "analyst_changed_parts"  # temporary: (table, company) whose rows changed


@dataclass(frozen=True)
class _Table:
    schema: str
    table: str
    comment: str | None
    columns: list[tuple[str, str | None]]  # name, comment
    definition: str  # md5 of its comment, its columns' names, types and comments, and the key

    @property
    def name(self) -> str:
        return f"{self.schema}.{self.table}"

    @property
    def company(self) -> str | None:
        """The expression of a row's company (a row without SIREN belongs to its SIRET's)."""
        names = {name for name, _ in self.columns}
        if "siren" in names:
            return "coalesce(siren, left(siret, 9))" if "siret" in names else "siren"
        return "left(siret, 9)" if "siret" in names else None


def _analyst_tables(connection: duckdb.DuckDBPyConnection, key: bytes) -> list[_Table]:
    # A new pseudonym key changes every pseudonym: every table's definition with it, so that
    # no row keeps a pseudonym of the old key (its check value, not the key, is hashed).
    key_check = pseudonym(key, "copie des analystes")
    tables = connection.execute(
        "SELECT schema_name, table_name, comment FROM duckdb_tables() "
        "WHERE database_name = current_database() AND schema_name IN ? ORDER BY 1, 2",
        [list(ANALYST_SCHEMAS)],
    ).fetchall()
    columns: dict[tuple[str, str], list[tuple[str, str, str | None]]] = {}
    for schema, table, name, data_type, comment in connection.execute(
        "SELECT schema_name, table_name, column_name, data_type, comment FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name IN ? "
        "ORDER BY schema_name, table_name, column_index",
        [list(ANALYST_SCHEMAS)],
    ).fetchall():
        columns.setdefault((schema, table), []).append((name, data_type, comment))
    return [
        _Table(
            schema,
            table,
            comment,
            [(name, column_comment) for name, _, column_comment in columns[(schema, table)]],
            hashlib.md5(
                json.dumps([comment, columns[(schema, table)], key_check]).encode(),
                usedforsecurity=False,
            ).hexdigest(),
        )
        for schema, table, comment in tables
        if f"{schema}.{table}" not in _LEFT_OUT
    ]


def _fingerprint_tables(connection: duckdb.DuckDBPyConnection, tables: list[_Table]) -> None:
    """Per table and company, tonight's row count and the sum of its rows' hashes (whatever
    their order) into `_TONIGHT`; one part of no company for a table without one."""
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {_TONIGHT} (table_name VARCHAR, definition VARCHAR, "
        "siren VARCHAR, row_count BIGINT, fingerprint HUGEINT)"
    )
    for table in tables:
        connection.execute(
            f"INSERT INTO temp.{_TONIGHT} SELECT ?, ?, {table.company or 'NULL'}, count(*), "
            f"coalesce(sum(hash(fingerprinted_row)::HUGEINT), 0) "
            f'FROM "{table.schema}"."{table.table}" '
            "AS fingerprinted_row GROUP BY ALL",
            [table.name, table.definition],
        )


def _identity(path: Path) -> str:
    """The file as it is now: a copy rewritten or replaced since is another file."""
    status = path.stat()
    return f"{status.st_ino}:{status.st_size}:{status.st_mtime_ns}"


def _describes(connection: duckdb.DuckDBPyConnection, target: Path) -> bool:
    """Whether the fingerprints kept are those of the served copy `target`, as it is."""
    if not target.exists():
        return False
    kept = connection.execute(f"SELECT DISTINCT copy_file FROM {FINGERPRINTS}").fetchall()
    return kept == [(_identity(target),)]


def _copy_owner_only(source: Path, target: Path) -> None:
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    shutil.copyfile(source, target)


def _changed_parts(connection: duckdb.DuckDBPyConnection, previous: str) -> None:
    parts = "table_name, definition, siren, row_count, fingerprint"
    connection.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {_CHANGED} AS
        SELECT DISTINCT table_name, definition, siren FROM (
            (SELECT {parts} FROM temp.{_TONIGHT} EXCEPT ALL SELECT {parts} FROM {previous})
            UNION ALL
            (SELECT {parts} FROM {previous} EXCEPT ALL SELECT {parts} FROM temp.{_TONIGHT})
        )
        """
    )


def _drop_tables_gone(connection: duckdb.DuckDBPyConnection, tables: list[_Table]) -> None:
    kept = {table.name for table in tables}
    for schema, table in connection.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'analyst'"
    ).fetchall():
        if f"{schema}.{table}" not in kept:
            connection.execute(f'DROP TABLE analyst."{schema}"."{table}"')


def _update_table(connection: duckdb.DuckDBPyConnection, table: _Table, previous: str) -> None:
    """Bring the analysts' copy of `table` to tonight: the rows of its changed companies
    replaced, or the whole table written again when it is new or its definition changed."""
    same_definition = connection.execute(
        f"SELECT count(*) FROM {previous} WHERE table_name = ? AND definition = ?",
        [table.name, table.definition],
    ).fetchall()[0][0]
    exists = connection.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'analyst' "
        "AND schema_name = ? AND table_name = ?",
        [table.schema, table.table],
    ).fetchall()[0][0]
    if not (same_definition and exists):
        _copy_table(connection, table)
        return
    changed = connection.execute(
        f"SELECT count(*) FROM temp.{_CHANGED} WHERE table_name = ?", [table.name]
    ).fetchall()[0][0]
    if not changed:
        return
    expressions, _ = _select_list(table.columns)
    where = _rows_of(table)
    target = f'analyst."{table.schema}"."{table.table}"'
    connection.execute(f"DELETE FROM {target} WHERE {where}")
    connection.execute(
        f"INSERT INTO {target} SELECT {', '.join(expressions)} "
        f'FROM "{table.schema}"."{table.table}" WHERE {where}'
    )


def _rows_of(table: _Table) -> str:
    """A predicate on the rows of the companies of `table` whose rows changed (`_CHANGED`)."""
    if table.company is None:
        return "TRUE"
    changed = f"SELECT siren FROM temp.{_CHANGED} WHERE table_name = {sql_literal(table.name)}"
    return (
        f"{table.company} IN ({changed} AND siren IS NOT NULL) OR "
        f"({table.company} IS NULL AND EXISTS ({changed} AND siren IS NULL))"
    )


def _copy_table(connection: duckdb.DuckDBPyConnection, table: _Table) -> None:
    expressions, comments = _select_list(table.columns)
    target = f'analyst."{table.schema}"."{table.table}"'
    connection.execute(f'CREATE SCHEMA IF NOT EXISTS analyst."{table.schema}"')
    connection.execute(f"DROP TABLE IF EXISTS {target}")
    connection.execute(
        f"CREATE TABLE {target} AS SELECT {', '.join(expressions)} "
        f'FROM "{table.schema}"."{table.table}"'
    )
    connection.execute(f"COMMENT ON TABLE {target} IS {sql_literal(table.comment or '')}")
    for name, text in comments.items():
        connection.execute(f'COMMENT ON COLUMN {target}."{name}" IS {sql_literal(text)}')
