"""Every table is declared once (`warehouse.schema`): the migrations must build exactly the
declared tables, and a night must leave every table of the warehouse and of the portal's
snapshot commented, table and columns, from its declaration."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ledgers.allocation import Entry
from ledgers.dunning import Stage
from ledgers.tables import ALLOCATIONS, DUNNING
from pipelines.cli import main
from pipelines.tables import DOMAIN_TABLES
from quality.affiliation.states import ALL_STATUSES
from quality.affiliation.tables import AFFILIATION_HISTORY, AFFILIATION_STATES
from quality.stoppages.catalogue import EpisodeStatus
from quality.stoppages.tables import CLAIMS, EPISODES
from serving.spec import NIGHT_ID_COLUMN, NIGHT_ID_COMMENT, SCHEMA
from serving.tables import PORTAL_TABLES
from synthetic import generate
from tests.pseudonym_key import use_test_pseudonym_key
from warehouse.connections import block_tables, connect, connect_serving
from warehouse.migrations import apply_migrations
from warehouse.reference_tables import REFERENCE_TABLES
from warehouse.schema import Table, apply_comments
from warehouse.tables import WAREHOUSE_TABLES
from warehouse.tables.staging import CREATED_ON_LOAD, is_block_table

DECLARED = {t.qualified_name: t for t in (*WAREHOUSE_TABLES, *REFERENCE_TABLES, *DOMAIN_TABLES)}


def normalised_type(duckdb_type: str) -> str:
    """A type as DuckDB prints it back (`DECIMAL(18, 2)` -> `DECIMAL(18,2)`)."""
    return re.sub(r"\s+", "", duckdb_type).upper()


def _relations(connection: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str, bool]]]:
    """Every relation of the connection's database: its columns (name, type, nullable)."""
    rows = connection.execute(
        "SELECT schema_name || '.' || table_name, column_name, data_type, is_nullable "
        "FROM duckdb_columns() WHERE database_name = current_database() "
        "ORDER BY schema_name, table_name, column_index"
    ).fetchall()
    relations: dict[str, list[tuple[str, str, bool]]] = {}
    for relation, column, data_type, nullable in rows:
        relations.setdefault(relation, []).append((column, data_type, nullable))
    return relations


def _primary_keys(connection: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, ...]]:
    rows = connection.execute(
        "SELECT schema_name || '.' || table_name, constraint_column_names FROM "
        "duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'"
    ).fetchall()
    return {relation: tuple(columns) for relation, columns in rows}


def test_the_migrations_build_exactly_the_declared_tables() -> None:
    connection = duckdb.connect()
    apply_migrations(connection)
    built = {
        relation: columns
        for relation, columns in _relations(connection).items()
        if not is_block_table(*relation.split("."))
    }
    created_on_load = {t.qualified_name for t in CREATED_ON_LOAD}
    assert set(built) == set(DECLARED) - created_on_load
    keys = _primary_keys(connection)
    for relation, columns in built.items():
        declared = DECLARED[relation]
        assert [c[0] for c in columns] == declared.column_names, relation
        assert [normalised_type(c[1]) for c in columns] == [
            normalised_type(c.type) for c in declared.columns
        ], relation
        if not declared.is_view:
            assert [c[2] for c in columns] == [c.nullable for c in declared.columns], relation
            assert keys.get(relation, ()) == declared.key, relation


def test_the_staging_tables_created_on_load_have_the_declared_types() -> None:
    connection = duckdb.connect()
    for declared in CREATED_ON_LOAD:
        frame = pl.DataFrame(schema=declared.polars_schema())
        connection.register("frame", frame.to_arrow())
        described = connection.execute("DESCRIBE SELECT * FROM frame").fetchall()
        assert [(name, normalised_type(type_)) for name, type_, *_ in described] == [
            (c.name, normalised_type(c.type)) for c in declared.columns
        ], declared.name


def test_every_rubric_of_the_migrated_block_tables_has_its_label_in_the_norm() -> None:
    connection = duckdb.connect()
    apply_migrations(connection)
    for table in block_tables(connection):
        assert "hors des normes" not in table.comment, table.name
        for column in table.columns:
            assert column.comment and "hors des normes" not in column.comment, column.name


def test_comments_are_applied_once_and_again_when_a_declaration_changes(tmp_path: Path) -> None:
    path = tmp_path / "entrepot.duckdb"
    with connect(path, read_only=False, tables=DOMAIN_TABLES):
        pass
    with connect(path, read_only=False, tables=DOMAIN_TABLES) as connection:
        # Nothing changed since the first writer: no table is commented again.
        assert apply_comments(connection, DOMAIN_TABLES) == 0
        changed = replace(AFFILIATION_STATES, comment="Registre, commentaire révisé.")
        assert apply_comments(connection, [changed]) == 1
        [(comment,)] = connection.execute(
            "SELECT comment FROM duckdb_tables() WHERE table_name = 'affiliation_states'"
        ).fetchall()
    assert comment == "Registre, commentaire révisé."


@pytest.mark.parametrize(
    ("table", "column", "codes"),
    [
        (AFFILIATION_STATES, "status", ALL_STATUSES),
        (AFFILIATION_HISTORY, "status", ALL_STATUSES),
        (EPISODES, "status", [s.value for s in EpisodeStatus]),
        (CLAIMS, "status", [s.value for s in EpisodeStatus]),
        (ALLOCATIONS, "entry", [e.value for e in Entry]),
        (DUNNING, "stage", [s.value for s in Stage]),
    ],
)
def test_a_column_comment_lists_every_code_its_domain_writes(
    table: Table, column: str, codes: list[str]
) -> None:
    comment = table.column(column).comment
    assert all(code in comment for code in codes), (table.qualified_name, column)


def _comments(connection: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, dict[str, str]]]:
    tables = connection.execute(
        "SELECT schema_name || '.' || table_name, comment FROM duckdb_tables() "
        "WHERE database_name = current_database() UNION ALL "
        "SELECT schema_name || '.' || view_name, comment FROM duckdb_views() "
        "WHERE database_name = current_database() AND NOT internal"
    ).fetchall()
    columns = connection.execute(
        "SELECT schema_name || '.' || table_name, column_name, comment FROM duckdb_columns() "
        "WHERE database_name = current_database()"
    ).fetchall()
    found: dict[str, tuple[str, dict[str, str]]] = {name: (comment, {}) for name, comment in tables}
    for relation, column, comment in columns:
        found[relation][1][column] = comment
    return found


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small real night (`dsnpipe run`) on a generated portfolio; the warehouse's path."""
    root = tmp_path_factory.mktemp("night")
    generate(root / "landing", companies=1, employees=6, months=2, start=date(2024, 1, 1), seed=3)
    warehouse = root / "entrepot.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        use_test_pseudonym_key(patch)
        assert main(["run", "--landing", str(root / "landing"), "--warehouse", str(warehouse)]) == 0
    return warehouse


def test_after_a_night_every_warehouse_table_has_its_declared_comments(night: Path) -> None:
    with connect(night) as connection:
        found = _comments(connection)
        blocks = {t.qualified_name: t for t in block_tables(connection)}
    declared = DECLARED | blocks
    # A bank table is created by the first file that has its kind of record.
    assert set(declared) - set(found) <= {t.qualified_name for t in CREATED_ON_LOAD}
    assert "staging.bank_transactions" in found, "the night loads bank statements"
    assert set(found) <= set(declared)
    for relation, (comment, columns) in found.items():
        table = declared[relation]
        assert comment == table.comment, relation
        assert columns == {c.name: c.comment for c in table.columns}, relation
        assert comment and all(columns.values()), relation


def test_after_a_night_every_snapshot_table_and_column_has_a_comment(night: Path) -> None:
    with connect_serving(night.parent / "serving.duckdb") as connection:
        found = _comments(connection)
    assert {f"{SCHEMA}.{spec.name}" for spec in PORTAL_TABLES} <= set(found)
    for relation, (comment, columns) in found.items():
        assert comment and all(columns.values()), relation
    for spec in PORTAL_TABLES:
        comment, columns = found[f"{SCHEMA}.{spec.name}"]
        assert comment == spec.comment
        assert columns == {NIGHT_ID_COLUMN: NIGHT_ID_COMMENT} | {
            c.name: c.comment for c in spec.columns
        }
