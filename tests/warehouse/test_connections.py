"""Every connection to the warehouse and to its published files holds DuckDB to a bounded memory:
its default (80 % of the machine's RAM, kept as a buffer pool) let a large night take 20 GB."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from warehouse import connections
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


def _row_groups(connection: duckdb.DuckDBPyConnection) -> int:
    rows = connection.execute(
        "SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('main.appended')"
    ).fetchall()
    return int(rows[0][0])


def test_small_writes_keep_their_row_groups_until_the_bound_then_merge_them_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Merging rewrites a table's partly filled last row group whatever few rows a night adds:
    # closes put it off, each leaving its rows in a row group of its own, up to the bound.
    monkeypatch.setattr(connections, "MAX_DEFERRED_MERGES", 2)
    warehouse = tmp_path / "entrepot.duckdb"
    with connect(warehouse, read_only=False) as writer:
        writer.execute("CREATE TABLE appended AS SELECT range AS n FROM range(1000)")
    groups: list[tuple[int, int]] = []
    for start in (1000, 2000, 3000):
        with connect(warehouse, read_only=False) as writer:
            writer.execute(
                "INSERT INTO appended SELECT range FROM range(?, ?)", [start, start + 1000]
            )
        with connect(warehouse) as reader:
            row_groups = _row_groups(reader)
            counted = reader.execute("SELECT count(*), count(DISTINCT n) FROM appended").fetchall()
            deferred = reader.execute("SELECT count(*) FROM deferred_merges").fetchall()[0][0]
        assert counted == [(start + 1000, start + 1000)]
        groups.append((row_groups, deferred))
    # the creation (with the migrations) and the first insert were put off, in two row groups;
    # the second insert's close merged them all; the third insert's rows were put off again
    assert groups == [(2, 2), (1, 0), (2, 1)]


def test_a_connection_that_wrote_nothing_puts_off_no_merge(tmp_path: Path) -> None:
    warehouse = tmp_path / "entrepot.duckdb"
    with connect(warehouse, read_only=False):
        pass  # the migrations' own writes are checkpointed by this first close
    for _ in range(2):
        with connect(warehouse, read_only=False) as writer:
            writer.execute("SELECT count(*) FROM schema_migrations").fetchall()
    with connect(warehouse) as reader:
        assert reader.execute("SELECT count(*) FROM deferred_merges").fetchall() == [(1,)]
