from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from warehouse.connections import connect
from warehouse.migrations import apply_migrations, available_migrations


def test_a_new_warehouse_gets_every_migration_in_order(tmp_path: Path) -> None:
    with connect(tmp_path / "w.duckdb", read_only=False) as connection:
        applied = connection.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()
    assert [v for (v,) in applied] == [m.version for m in available_migrations()]
    assert [m.version for m in available_migrations()] == sorted(
        m.version for m in available_migrations()
    )


def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    with connect(tmp_path / "w.duckdb", read_only=False) as connection:
        assert apply_migrations(connection) == []


def test_a_migration_edited_after_it_was_applied_is_refused(tmp_path: Path) -> None:
    with connect(tmp_path / "w.duckdb", read_only=False) as connection:
        connection.execute("UPDATE schema_migrations SET checksum = 'x' WHERE version = 1")
        with pytest.raises(RuntimeError, match="modifiée après son application"):
            apply_migrations(connection)


def test_connections_are_read_only_unless_asked(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with pytest.raises(FileNotFoundError), connect(path):
        pass
    with connect(path, read_only=False):
        pass
    with connect(path) as connection, pytest.raises(duckdb.Error):
        connection.execute("CREATE TABLE nope (x INTEGER)")
