"""Opening the warehouse file, and the files published from it.

DuckDB locks the whole file across processes: a read-write connection excludes every other
process, even readers. Connections are therefore read-only unless the caller says otherwise, and
writers open the file for the shortest time they can.

A published file (the portal's serving snapshot, or tonight's candidate for it) is not a
warehouse: it has no migrations and nothing writes it once built. `connect_serving` opens one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import duckdb

from warehouse.lock import waiting_for_file
from warehouse.migrations import apply_migrations, available_migrations
from warehouse.reference_tables import REFERENCE_TABLES
from warehouse.schema import Table, apply_comments
from warehouse.tables import WAREHOUSE_TABLES
from warehouse.tables.staging import block_comments_digest, is_block_table, staging_block_table

# DuckDB's default memory limit is 80 % of the machine's RAM, and its buffer pool keeps what it
# read up to that limit: a night of 100,000 employees held 20 GB on a 24 GB machine. Past this
# limit DuckDB spills to a temporary directory beside the file instead.
MEMORY_LIMIT = "1GB"

# At a checkpoint DuckDB merges a table's new rows into its last, partly filled row group (up to
# 122,880 rows), rewriting all of it however few rows came: 1.2 s at the close of the staging
# load of a night of 574 late files at 100,000 employees. A writer's close leaves its rows in row
# groups of their own instead, until this many closes have; the next close merges them all. A
# table thus holds at most this many small row groups beyond its full ones (about 8 nights).
MAX_DEFERRED_MERGES = 100


def limit_memory(connection: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """The connection's database held to MEMORY_LIMIT (set on every connection: a database
    opened by another path of this process would otherwise keep DuckDB's default)."""
    connection.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    return connection


@contextmanager
def memory_held_to(connection: duckdb.DuckDBPyConnection, limit: str) -> Iterator[None]:
    """The connection's database held to `limit` rather than MEMORY_LIMIT while the block runs:
    lowering the limit evicts DuckDB's cache of what was read, down to `limit`."""
    connection.execute(f"SET memory_limit = '{limit}'")
    try:
        yield
    finally:
        limit_memory(connection)


@contextmanager
def connect(
    path: str | Path, *, read_only: bool = True, tables: Iterable[Table] = ()
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the warehouse file; a writer's connection also brings the schema up to date
    and comments the tables whose declaration changed: the warehouse's own and `tables`, the
    declarations of the layers above (which this package does not import).

    A read-only connection to a file that does not exist yet is an error (nothing to read).
    While another process holds the file, a writer's connection waits a little (a reader's does
    not), then fails with one French line (`warehouse.lock.WarehouseBusyError`).
    """
    path = Path(path)
    if read_only and not path.exists():
        raise FileNotFoundError(f"Entrepôt introuvable : {path}")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    # Only writers wait: they are the night, which would rather wait out an analyst's query
    # than fail; readers are the stewards' commands, which say at once that the night has it.
    connection = waiting_for_file(
        path,
        lambda: limit_memory(duckdb.connect(str(path), read_only=read_only)),
        wait=0 if read_only else None,
    )
    try:
        if not read_only:
            bring_schema_up_to_date(connection, tuple(tables))
        yield connection
        if not read_only:
            _defer_merges_unless_due(connection, path)
    finally:
        connection.close()


def bring_schema_up_to_date(
    connection: duckdb.DuckDBPyConnection, tables: tuple[Table, ...]
) -> None:
    """Apply the migrations not applied yet and comment the tables whose declaration changed
    (the warehouse's own and `tables`), unless the warehouse's stamp says this code's schema is
    already there: two small queries instead of every migration and table checked (a writer's
    open and close on the 20,000-employee warehouse at load 5, medians of 10: 55-57 ms ->
    34-47 ms; about 20 opens a night). The stamp is written with the comments, once everything
    is applied."""
    stamp = schema_stamp(tables)
    if _recorded_stamp(connection) == stamp:
        return
    apply_migrations(connection)
    # One transaction: each statement on its own commits to the file, 5 s for all.
    with transaction(connection):
        apply_comments(connection, [*own_tables(connection), *tables])
        connection.execute("DELETE FROM main.schema_stamp")
        connection.execute("INSERT INTO main.schema_stamp VALUES (?)", [stamp])


@cache
def schema_stamp(tables: tuple[Table, ...]) -> str:
    """The digest of the schema this code gives a warehouse whose writers declare `tables`
    besides its own: every migration (version and checksum), every declared table's comments,
    and what the DSN block tables' comments depend on. Enough because the migrations create
    every declared table but those created on load, which the load comments as it creates or
    widens them (`warehouse.load`), as it does the DSN block tables."""
    parts = [f"{m.version}:{m.checksum}" for m in available_migrations()]
    parts += [
        f"{t.qualified_name}:{t.comments_hash()}"
        for t in [*WAREHOUSE_TABLES, *REFERENCE_TABLES, *tables]
    ]
    parts.append(block_comments_digest())
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _recorded_stamp(connection: duckdb.DuckDBPyConnection) -> str | None:
    if not has_table(connection, "main", "schema_stamp"):  # a new warehouse, or an older one
        return None
    rows = connection.execute("SELECT stamp FROM main.schema_stamp").fetchall()
    return rows[0][0] if rows else None


def _defer_merges_unless_due(connection: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Before the close's checkpoint: leave this connection's writes unmerged, or merge every
    write left so far when MAX_DEFERRED_MERGES closes have. The checkpoint itself still
    happens at the close: the file holds every committed write, as before."""
    wal = Path(f"{path}.wal")
    if not wal.exists() or not wal.stat().st_size:
        return  # nothing written: the close has nothing to checkpoint
    [(deferred,)] = connection.execute("SELECT count(*) FROM deferred_merges").fetchall()
    if deferred < MAX_DEFERRED_MERGES:
        connection.execute("INSERT INTO deferred_merges VALUES (current_timestamp)")
        # The database's setting: it lasts until the close, whose checkpoint it governs.
        connection.execute("SET max_vacuum_tasks = 0")
    else:
        connection.execute("DELETE FROM deferred_merges")


def own_tables(connection: duckdb.DuckDBPyConnection) -> list[Table]:
    """The declarations of the tables this package owns, the DSN block tables of staging as
    they stand (their columns depend on the rubrics loaded so far)."""
    return [*WAREHOUSE_TABLES, *REFERENCE_TABLES, *block_tables(connection)]


def block_tables(connection: duckdb.DuckDBPyConnection, only: str | None = None) -> list[Table]:
    """The declarations of the DSN block tables of staging (or of `only`) as they stand."""
    rows = connection.execute(
        "SELECT table_name, column_name, data_type, is_nullable FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name = 'staging' "
        "AND table_name = coalesce(?, table_name) ORDER BY table_name, column_index",
        [only],
    ).fetchall()
    columns: dict[str, dict[str, tuple[str, bool]]] = {}
    for table, column, data_type, nullable in rows:
        if is_block_table("staging", table):
            columns.setdefault(table, {})[column] = (data_type, nullable)
    return [staging_block_table(table, table_columns) for table, table_columns in columns.items()]


@contextmanager
def connect_serving(path: str | Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to a published file (serving snapshot or candidate).

    The serving file is replaced by a rename each night and an open connection keeps reading the
    file it opened: open one per query or short series of queries, never for long.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"Publication introuvable : {path}")
    connection = limit_memory(duckdb.connect(str(path), read_only=True))
    try:
        yield connection
    finally:
        connection.close()


def has_table(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Whether the connection's own database has `schema.table` (attached catalogs aside)."""
    # fetchall, not fetchone: a result left unfinished makes DuckDB refuse the connection's
    # next `sql()` call ("connection has an unfinished result").
    rows = connection.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = ? AND table_name = ?",
        [schema, table],
    ).fetchall()
    return bool(rows[0][0])


@contextmanager
def transaction(connection: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Commit what the block did, or roll all of it back (also on KeyboardInterrupt)."""
    connection.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
