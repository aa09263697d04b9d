from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from pipelines.tables import DOMAIN_TABLES
from quality.affiliation.tables import AFFILIATION_STATES
from warehouse import connections, migrations
from warehouse.connections import connect
from warehouse.migrations import Migration, apply_migrations, available_migrations


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


def test_a_writer_whose_schema_is_stamped_checks_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "w.duckdb"
    with connect(path, read_only=False, tables=DOMAIN_TABLES):
        pass

    def checked(*_: object) -> list[int]:
        raise AssertionError("the stamp says the schema is this code's: nothing to check")

    monkeypatch.setattr(connections, "apply_migrations", checked)
    with connect(path, read_only=False, tables=DOMAIN_TABLES):
        pass


def test_a_new_migration_or_declaration_is_applied_over_the_stamp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "w.duckdb"
    with connect(path, read_only=False, tables=DOMAIN_TABLES):
        pass
    # The next version of the code: one migration more, one table's comment revised.
    later = [*available_migrations(), Migration(9999, "later", "CREATE TABLE later (x INTEGER)")]
    for module in (connections, migrations):
        monkeypatch.setattr(module, "available_migrations", lambda: later)
    revised = replace(AFFILIATION_STATES, comment="Registre, commentaire révisé.")
    tables = tuple(revised if t == AFFILIATION_STATES else t for t in DOMAIN_TABLES)
    connections.schema_stamp.cache_clear()
    with connect(path, read_only=False, tables=tables) as connection:
        assert connection.execute("SELECT count(*) FROM later").fetchall() == [(0,)]
        [(comment,)] = connection.execute(
            "SELECT comment FROM duckdb_tables() WHERE table_name = 'affiliation_states'"
        ).fetchall()
    assert comment == "Registre, commentaire révisé."
    connections.schema_stamp.cache_clear()
