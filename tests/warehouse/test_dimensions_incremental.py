"""The dimensions a night rebuilds for the companies, establishments and employees its pending
groups touch are, night after night in arrival order, what a whole rebuild of the core model
gives on a copy of the warehouse; the rows of a company the night did not touch are not
rewritten."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from tests.pipelines.replay import land
from tests.quality.incremental_nights import BIG, differences, ingest, signalement_nights
from warehouse import models
from warehouse.connections import connect

DIMENSIONS = tuple(f"core.{table}" for table in models.DIMENSION_TABLES)
# Each dimension's rows of one company, and the column the test marks them by.
_OF_COMPANY = {
    "companies": ("siren = $siren", "last_month"),
    "establishments": ("siren = $siren", "last_month"),
    "employees": ("left(last_siret, 9) = $siren", "last_month"),
    "employment_contracts": ("left(siret, 9) = $siren", "last_month"),
    "adhesions": ("left(siret, 9) = $siren", "last_month"),
}
_MARK = "1900-01-01"


def _night_both_ways(tmp_path: Path, landing: Path) -> dict[str, int]:
    warehouse, whole = tmp_path / "entrepot.duckdb", tmp_path / "entier.duckdb"
    ingest(warehouse, landing, tmp_path / "quarantine")
    return _as_rebuilt(warehouse, whole)


def _as_rebuilt(warehouse: Path, whole: Path) -> dict[str, int]:
    """Per dimension, the rows that differ from a whole rebuild of a copy of `warehouse`."""
    shutil.copy(warehouse, whole)
    with connect(whole, read_only=False) as connection:
        models.rebuild_core(connection)
    return differences(warehouse, whole, DIMENSIONS)


def _mark(connection: duckdb.DuckDBPyConnection, siren: str) -> dict[str, int]:
    """Mark the dimension rows of `siren`, keeping their values aside; how many per table."""
    marked = {}
    for table, (rows, column) in _OF_COMPANY.items():
        connection.execute(
            f"CREATE TABLE main.kept_{table} AS SELECT * FROM core.{table} WHERE {rows}",
            {"siren": siren},
        )
        connection.execute(
            f"UPDATE core.{table} SET {column} = '{_MARK}' WHERE {rows}", {"siren": siren}
        )
        [(marked[table],)] = connection.execute(
            f"SELECT count(*) FROM main.kept_{table}"
        ).fetchall()
    return marked


def _still_marked_then_restored(
    connection: duckdb.DuckDBPyConnection, siren: str
) -> dict[str, int]:
    """How many rows of `siren` still carry the mark, per table; then their values again."""
    marked = {}
    for table, (rows, column) in _OF_COMPANY.items():
        [(marked[table],)] = connection.execute(
            f"SELECT count(*) FROM core.{table} WHERE {rows} AND {column} = '{_MARK}'",
            {"siren": siren},
        ).fetchall()
        connection.execute(f"DELETE FROM core.{table} WHERE {rows}", {"siren": siren})
        connection.execute(f"INSERT INTO core.{table} SELECT * FROM main.kept_{table}")
        connection.execute(f"DROP TABLE main.kept_{table}")
    return marked


def _siren(path: Path) -> str:
    return path.name.split("_")[2][:9]


def test_the_dimensions_of_a_night_are_those_of_a_whole_rebuild(tmp_path: Path) -> None:
    """The portfolio but for its signalements and a monthly DSN, then the monthly DSN with a
    first signalement, then each signalement alone (most of them about one employee of the
    company `BIG`), night after night."""
    late = signalement_nights(tmp_path)
    assert set(_night_both_ways(tmp_path, late.landing).values()) == {0}

    warehouse = tmp_path / "entrepot.duckdb"
    first = [late.signalements[0], late.held_back]
    touched = {_siren(p) for p in first}
    untouched = next(_siren(p) for p in late.monthly if _siren(p) not in touched)
    with connect(warehouse, read_only=False) as connection:
        marked = _mark(connection, untouched)
    assert all(marked.values()), marked
    land(late.source, late.landing, first)
    ingest(warehouse, late.landing, tmp_path / "quarantine")
    with connect(warehouse, read_only=False) as connection:
        assert _still_marked_then_restored(connection, untouched) == marked
    assert set(_as_rebuilt(warehouse, tmp_path / "entier.duckdb").values()) == {0}

    for signalement in late.signalements[1:]:
        land(late.source, late.landing, [signalement])
        differences_ = _night_both_ways(tmp_path, late.landing)
        assert set(differences_.values()) == {0}, (signalement.name, differences_)
    assert any(BIG in p.name for p in late.signalements[1:])
