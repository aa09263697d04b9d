"""What a table is, declared once: its schema and name, a French comment, its columns (name,
DuckDB type, French comment, nullability) and its key.

Each owner declares its tables beside its code (`warehouse.tables`, `warehouse.reference_tables`,
the domains' `tables.py`, `serving.history_tables`); the SQL migrations stay the DDL history and a
test holds them to the declarations. From a declaration come the `COMMENT ON` statements of the
table and its columns and the Polars schema of the frames the code writes into it.

Comments are applied when a writer connects (`apply_comments`), table by table and only when a
table's declaration changed since it was last applied (a hash per table in `table_comments`), so
a connection costs one small query when nothing changed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import duckdb
import polars as pl

# Where the hash of the comments applied to each table is kept (migration 0050).
COMMENTS_TABLE = "table_comments"


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB type, as `DESCRIBE` prints it
    comment: str  # French, for the people who read the table
    nullable: bool = True

    def but(self, **changes: Any) -> Column:
        """The same column with some fields changed (a shared column declared NOT NULL here,
        or described more precisely)."""
        return replace(self, **changes)


@dataclass(frozen=True)
class Table:
    schema: str
    name: str
    comment: str  # French
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()  # the primary key, when the table has one
    is_view: bool = False

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.qualified_name} n'a pas de colonne {name}")

    def polars_schema(self, *, exclude: Iterable[str] = ()) -> pl.Schema:
        """The Polars schema of a frame holding this table's rows, in column order."""
        left_out = set(exclude)
        return pl.Schema(
            {c.name: polars_type(c.type) for c in self.columns if c.name not in left_out}
        )

    def comment_statements(self) -> list[str]:
        kind = "VIEW" if self.is_view else "TABLE"
        target = f"{_quote(self.schema)}.{_quote(self.name)}"
        return [f"COMMENT ON {kind} {target} IS {sql_literal(self.comment)}"] + [
            f"COMMENT ON COLUMN {target}.{_quote(c.name)} IS {sql_literal(c.comment)}"
            for c in self.columns
        ]

    def comments_hash(self) -> str:
        return hashlib.sha256("\n".join(self.comment_statements()).encode()).hexdigest()


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def sql_literal(text: str) -> str:
    """`text` as an SQL string literal (for the statements that take no parameters: COMMENT ON,
    ATTACH)."""
    return "'" + text.replace("'", "''") + "'"


def insert_rows(connection: duckdb.DuckDBPyConnection, table: str, rows: list[list[Any]]) -> None:
    """Insert `rows` into `table` in one statement: `executemany` runs one statement per row,
    about a millisecond each (a night's hundred gate results: 0.1-0.5 s)."""
    if not rows:
        return
    values = ", ".join(["(" + ", ".join(["?"] * len(rows[0])) + ")"] * len(rows))
    connection.execute(f"INSERT INTO {table} VALUES {values}", [v for row in rows for v in row])


_SIMPLE_TYPES: dict[str, pl.DataType] = {
    "VARCHAR": pl.String(),
    "DATE": pl.Date(),
    "BOOLEAN": pl.Boolean(),
    "TINYINT": pl.Int8(),
    "SMALLINT": pl.Int16(),
    "INTEGER": pl.Int32(),
    "BIGINT": pl.Int64(),
    "UTINYINT": pl.UInt8(),
    "USMALLINT": pl.UInt16(),
    "UINTEGER": pl.UInt32(),
    "UBIGINT": pl.UInt64(),
    "DOUBLE": pl.Float64(),
    "TIMESTAMP": pl.Datetime("us"),
}
_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")


def polars_type(duckdb_type: str) -> pl.DataType:
    """The Polars type DuckDB exchanges a column of `duckdb_type` as (lists of simple types
    included; structs are not declared as frames anywhere)."""
    if duckdb_type.endswith("[]"):
        return pl.List(polars_type(duckdb_type[:-2]))
    decimal = _DECIMAL.fullmatch(duckdb_type)
    if decimal:
        return pl.Decimal(int(decimal[1]), int(decimal[2]))
    if duckdb_type in _SIMPLE_TYPES:
        return _SIMPLE_TYPES[duckdb_type]
    raise ValueError(f"Type DuckDB sans équivalent Polars déclaré : {duckdb_type}")


def apply_comments(connection: duckdb.DuckDBPyConnection, tables: Iterable[Table]) -> int:
    """Comment every declared table that exists and whose declaration changed since its comments
    were last applied; return how many tables were commented.

    A table not created yet (a staging table before its first file) is left for later: its
    comments are applied on a later connection, or by the code that creates it.
    """
    applied = dict(
        connection.execute(f"SELECT table_name, comments_hash FROM {COMMENTS_TABLE}").fetchall()
    )
    existing = existing_relations(connection)
    changed = [
        (table, digest)
        for table in tables
        if table.qualified_name in existing
        and applied.get(table.qualified_name) != (digest := table.comments_hash())
    ]
    _comment(connection, changed)
    return len(changed)


def comment_table(connection: duckdb.DuckDBPyConnection, table: Table) -> None:
    """Apply a table's comments now and record that they are applied."""
    _comment(connection, [(table, table.comments_hash())])


def _comment(connection: duckdb.DuckDBPyConnection, tables: list[tuple[Table, str]]) -> None:
    if not tables:
        return
    # One script: a thousand statements sent one by one cost twice as long.
    connection.execute(";\n".join(s for table, _ in tables for s in table.comment_statements()))
    connection.executemany(
        f"INSERT OR REPLACE INTO {COMMENTS_TABLE} (table_name, comments_hash) VALUES (?, ?)",
        [[table.qualified_name, digest] for table, digest in tables],
    )


def existing_relations(connection: duckdb.DuckDBPyConnection) -> set[str]:
    """`schema.name` of every table and view of the connection's own database."""
    rows = connection.execute(
        """
        SELECT schema_name || '.' || table_name FROM duckdb_tables()
        WHERE database_name = current_database()
        UNION ALL
        SELECT schema_name || '.' || view_name FROM duckdb_views()
        WHERE database_name = current_database() AND NOT internal
        """
    ).fetchall()
    return {row[0] for row in rows}
