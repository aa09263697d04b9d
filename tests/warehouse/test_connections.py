"""Every connection to the warehouse and to its published files holds DuckDB to a bounded memory:
its default (80 % of the machine's RAM, kept as a buffer pool) let a large night take 20 GB."""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse.connections import MEMORY_LIMIT, connect, connect_serving


def _limit_in_bytes(connection: duckdb.DuckDBPyConnection) -> int:
    rows = connection.execute(
        "SELECT value FROM duckdb_settings() WHERE name = 'memory_limit'"
    ).fetchall()
    value, unit = rows[0][0].split()
    units = {"KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "KB": 10**3, "MB": 10**6, "GB": 10**9}
    return int(float(value) * units[unit])


def _expected() -> int:
    with duckdb.connect() as connection:
        connection.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        return _limit_in_bytes(connection)


def test_the_warehouse_writer_and_readers_are_held_to_the_memory_limit(tmp_path: Path) -> None:
    warehouse = tmp_path / "entrepot.duckdb"
    with connect(warehouse, read_only=False) as writer:
        assert _limit_in_bytes(writer) == _expected()
    with connect(warehouse) as reader:
        assert _limit_in_bytes(reader) == _expected()


def test_a_published_file_is_read_within_the_memory_limit(tmp_path: Path) -> None:
    published = tmp_path / "serving.duckdb"
    duckdb.connect(str(published)).close()
    with connect_serving(published) as connection:
        assert _limit_in_bytes(connection) == _expected()
    with duckdb.connect() as unlimited:  # the default this guards against
        assert _limit_in_bytes(unlimited) > _expected()
