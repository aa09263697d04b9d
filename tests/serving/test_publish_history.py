"""The publication history lives in the warehouse (migration 0030); published files are opened
read-only and never migrated."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pytest

from serving import history
from serving.gates import GateResult
from serving.snapshot import Candidate
from warehouse.connections import connect, connect_serving
from warehouse.migrations import apply_migrations

CANDIDATE = Candidate(
    Path("x.candidate"), "2026-12-01-abcd", date(2026, 12, 1), {"companies": 3}, {}
)


def test_a_new_warehouse_records_a_publication_and_its_counts(tmp_path: Path) -> None:
    with connect(tmp_path / "w.duckdb", read_only=False) as connection:
        history.record_gates(connection, CANDIDATE, [])
        history.record_publication(connection, CANDIDATE, "serving.duckdb", None)
    with connect(tmp_path / "w.duckdb") as connection:
        assert history.previous_counts(connection) == {"companies": 3}
        outcome = connection.execute(
            "SELECT night_id, status, reason FROM publish.publications"
        ).fetchall()
    assert outcome == [(CANDIDATE.night_id, "publiée", None)]


def test_the_refusal_names_the_failed_blocking_gates_only() -> None:
    unique = GateResult(
        "employees", "expect_compound_columns_to_be_unique", "nir", True, False, 2, None
    )
    growth = GateResult(
        "employees", "expect_table_row_count_to_be_between", None, False, False, None, "99"
    )
    drop = GateResult(
        "companies", "expect_table_row_count_to_be_between", None, True, False, None, "1"
    )
    assert history.refusal_reason([replace(unique, passed=True), growth]) is None
    assert history.refusal_reason([unique, growth, drop]) == (
        "Publication refusée, le portail garde la publication précédente. Contrôles en échec : "
        "employees : expect_compound_columns_to_be_unique (nir) : 2 ligne(s) en défaut; "
        "companies : expect_table_row_count_to_be_between (observé : 1)"
    )


def test_a_warehouse_whose_publish_step_created_the_tables_keeps_its_history(
    tmp_path: Path,
) -> None:
    with connect(tmp_path / "w.duckdb", read_only=False) as connection:
        history.record_publication(connection, CANDIDATE, "serving.duckdb", None)
        connection.execute("DELETE FROM schema_migrations WHERE version = 30")
        assert apply_migrations(connection) == [30]
        assert history.previous_counts(connection) == {"companies": 3}


def test_a_warehouse_not_migrated_yet_has_no_history_for_a_reader(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    duckdb.connect(str(path)).close()
    with connect(path) as connection:
        assert history.previous_counts(connection) == {}


def test_a_published_file_is_opened_read_only_and_never_migrated(tmp_path: Path) -> None:
    path = tmp_path / "serving.duckdb"
    with pytest.raises(FileNotFoundError, match="Publication introuvable"), connect_serving(path):
        pass
    with duckdb.connect(str(path)) as writer:
        writer.execute("CREATE TABLE t (x INTEGER)")
    with connect_serving(path) as connection:
        with pytest.raises(duckdb.Error):
            connection.execute("INSERT INTO t VALUES (1)")
        tables = connection.execute("SELECT table_name FROM duckdb_tables()").fetchall()
    assert tables == [("t",)]
