"""The night holds the warehouse open from its first step to its end: the steps' connections share
that one database, which is checkpointed when the night closes it, not at every step's end, and
keeps everything committed if the process dies before."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb

from warehouse.connections import (
    MEMORY_LIMIT,
    connect,
    held_open,
    memory_held_to,
    transaction,
)


def _wal(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".wal")


def _has_wal(warehouse: Path) -> bool:
    wal = _wal(warehouse)
    return wal.exists() and wal.stat().st_size > 0


def _write_row(warehouse: Path, value: int) -> None:
    with connect(warehouse, read_only=False) as connection, transaction(connection):
        connection.execute("CREATE TABLE IF NOT EXISTS night_rows (value INTEGER)")
        connection.execute("INSERT INTO night_rows VALUES (?)", [value])


def _rows(connection: duckdb.DuckDBPyConnection) -> list[tuple[int]]:
    return connection.execute("SELECT value FROM night_rows ORDER BY value").fetchall()


def test_the_steps_of_a_held_night_share_one_database_checkpointed_at_the_end(
    tmp_path: Path,
) -> None:
    warehouse = tmp_path / "entrepot.duckdb"
    with held_open(warehouse):
        _write_row(warehouse, 1)
        _write_row(warehouse, 2)
        # The steps' writes are committed (in the log) but not checkpointed step by step.
        assert _has_wal(warehouse)
        with connect(warehouse) as reader:
            assert _rows(reader) == [(1,), (2,)]
    assert not _has_wal(warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as another:
        assert _rows(another) == [(1,), (2,)]


def test_a_night_killed_while_holding_the_warehouse_keeps_what_it_committed(
    tmp_path: Path,
) -> None:
    warehouse = tmp_path / "entrepot.duckdb"
    night = textwrap.dedent(
        f"""
        import os
        from warehouse.connections import connect, held_open, transaction
        with held_open({str(warehouse)!r}):
            with connect({str(warehouse)!r}, read_only=False) as connection:
                with transaction(connection):
                    connection.execute("CREATE TABLE night_rows (value INTEGER)")
                    connection.execute("INSERT INTO night_rows VALUES (7)")
                with transaction(connection):
                    connection.execute("INSERT INTO night_rows VALUES (8)")
                    os._exit(9)
        """
    )
    killed = subprocess.run([sys.executable, "-c", night], cwd=Path.cwd(), check=False)
    assert killed.returncode == 9
    assert _has_wal(warehouse)
    with connect(warehouse) as reader:
        assert _rows(reader) == [(7,)]


def test_a_step_holding_duckdb_lower_leaves_the_next_step_the_usual_limit(tmp_path: Path) -> None:
    warehouse = tmp_path / "entrepot.duckdb"
    with held_open(warehouse):
        with connect(warehouse, read_only=False) as step, memory_held_to(step, "64MB"):
            pass
        with connect(warehouse) as next_step, duckdb.connect() as fresh:
            fresh.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
            [(limit,)] = next_step.execute("SELECT current_setting('memory_limit')").fetchall()
            [(expected,)] = fresh.execute("SELECT current_setting('memory_limit')").fetchall()
            assert limit == expected
