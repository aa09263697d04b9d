"""The publication history lives in the warehouse (migration 0030); published files are opened
read-only and never migrated. Each step of a night's publication is recorded before it happens,
so that the record and the served file never disagree after the next night has reconciled."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pytest

from serving import history
from serving.gates import GateResult
from serving.night import new_night_id
from serving.snapshot import (
    Candidate,
    build_candidate,
    candidate_path,
    published_night_id,
    swap_in,
)
from serving.tables import PORTAL_TABLES
from warehouse.connections import connect, connect_serving
from warehouse.migrations import apply_migrations

NIGHT = date(2026, 12, 1)
CANDIDATE = Candidate(Path("x.candidate"), "2026-12-01-abcd0123", NIGHT, {"companies": 3}, {})
FAILED_GATE = GateResult(
    "companies", "expect_table_row_count_to_be_between", None, True, False, None, "1"
)


def _candidate(warehouse: Path, serving: Path) -> Candidate:
    # The first portal table only: a candidate is built in well under a second.
    with connect(warehouse, read_only=False):
        pass
    return build_candidate(warehouse, serving, NIGHT, new_night_id(NIGHT), PORTAL_TABLES[:1])


def _status(warehouse: Path, night_id: str) -> tuple[str, str | None]:
    with connect(warehouse) as connection:
        [(status, reason)] = connection.execute(
            "SELECT status, reason FROM publish.publications WHERE night_id = ?", [night_id]
        ).fetchall()
    return status, reason


def test_each_step_is_recorded_before_it_happens_and_the_swap_after_its_gates(
    tmp_path: Path,
) -> None:
    warehouse, serving = tmp_path / "w.duckdb", tmp_path / "serving.duckdb"
    candidate = _candidate(warehouse, serving)
    with connect(warehouse, read_only=False) as connection:
        history.record_candidate(connection, candidate, serving)
        assert _status_of(connection, candidate.night_id) == "en contrôle"
        with pytest.raises(ValueError, match="n'a pas passé ses contrôles"):
            history.publish_checked(connection, serving, candidate.night_id)
        assert history.record_checks(connection, candidate.night_id, []) is None
        assert _status_of(connection, candidate.night_id) == "contrôlée"
        history.publish_checked(connection, serving, candidate.night_id)
        assert _status_of(connection, candidate.night_id) == "publiée"
        assert history.previous_counts(connection) == candidate.rows
    assert published_night_id(serving) == candidate.night_id
    assert not candidate.path.exists()


def _status_of(connection: duckdb.DuckDBPyConnection, night_id: str) -> str:
    [(status,)] = connection.execute(
        "SELECT status FROM publish.publications WHERE night_id = ?", [night_id]
    ).fetchall()
    return str(status)


def test_a_refused_candidate_is_never_swapped_in(tmp_path: Path) -> None:
    warehouse, serving = tmp_path / "w.duckdb", tmp_path / "serving.duckdb"
    candidate = _candidate(warehouse, serving)
    with connect(warehouse, read_only=False) as connection:
        history.record_candidate(connection, candidate, serving)
        reason = history.record_checks(connection, candidate.night_id, [FAILED_GATE])
        assert reason is not None and reason.startswith("Publication refusée")
        with pytest.raises(ValueError, match="statut : refusée"):
            history.publish_checked(connection, serving, candidate.night_id)
        gates = connection.execute("SELECT night_id, passed FROM publish.gate_results").fetchall()
    assert gates == [(candidate.night_id, False)]
    assert not serving.exists()


def test_a_candidate_holding_another_nights_snapshot_is_not_swapped_in(tmp_path: Path) -> None:
    warehouse, serving = tmp_path / "w.duckdb", tmp_path / "serving.duckdb"
    other = _candidate(warehouse, serving)
    kept = tmp_path / "other.duckdb"
    shutil.copy(other.path, kept)
    mine = _candidate(warehouse, serving)
    assert not other.path.exists()  # a night removes the candidates of dead nights
    shutil.copy(kept, mine.path)  # what the shared candidate path allowed: another night's file
    with connect(warehouse, read_only=False) as connection:
        history.record_candidate(connection, mine, serving)
        history.record_checks(connection, mine.night_id, [])
        with pytest.raises(ValueError, match="d'une autre nuit"):
            history.publish_checked(connection, serving, mine.night_id)
    assert not serving.exists()


def test_a_night_id_must_be_one_before_it_names_a_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="Identifiant de nuit invalide"):
        candidate_path(tmp_path / "serving.duckdb", "../../x")


@pytest.mark.parametrize(
    ("killed_after_swap", "expected"), [(True, "publiée"), (False, "interrompue")]
)
def test_a_night_killed_around_its_swap_is_settled_by_the_next_one(
    tmp_path: Path, killed_after_swap: bool, expected: str
) -> None:
    warehouse, serving = tmp_path / "w.duckdb", tmp_path / "serving.duckdb"
    candidate = _candidate(warehouse, serving)
    with connect(warehouse, read_only=False) as connection:
        history.record_candidate(connection, candidate, serving)
        history.record_checks(connection, candidate.night_id, [])
        connection.execute(
            "UPDATE publish.publications SET status = 'en cours de publication'"
        )  # the last record before the swap
    if killed_after_swap:
        swap_in(candidate.path, serving)
    with connect(warehouse, read_only=False) as connection:
        settled = history.reconcile(connection, serving)
    assert len(settled) == 1 and candidate.night_id in settled[0]
    status, reason = _status(warehouse, candidate.night_id)
    assert status == expected
    assert (reason is None) == killed_after_swap
    with connect(warehouse, read_only=False) as connection:
        assert history.reconcile(connection, serving) == []  # settled once


def test_a_served_night_missing_from_the_history_is_recorded_and_orphan_gates_removed(
    tmp_path: Path,
) -> None:
    # What the old order (swap, then record) left after a kill between the two.
    warehouse, serving = tmp_path / "w.duckdb", tmp_path / "serving.duckdb"
    candidate = _candidate(warehouse, serving)
    with connect(warehouse, read_only=False) as connection:
        connection.execute(
            "INSERT INTO publish.gate_results VALUES (?, 'companies', 'e', NULL, true, true, 0, "
            "NULL), ('2026-11-30-deadbeef', 'companies', 'e', NULL, true, true, 0, NULL)",
            [candidate.night_id],
        )
    swap_in(candidate.path, serving)
    with connect(warehouse, read_only=False) as connection:
        settled = history.reconcile(connection, serving)
        assert history.previous_counts(connection) == candidate.rows
        gates = connection.execute("SELECT night_id FROM publish.gate_results").fetchall()
    assert len(settled) == 2
    assert _status(warehouse, candidate.night_id)[0] == "publiée"
    assert gates == [(candidate.night_id,)]


def test_the_refusal_names_the_failed_blocking_gates_only() -> None:
    unique = GateResult(
        "employees", "expect_compound_columns_to_be_unique", "nir", True, False, 2, None
    )
    growth = GateResult(
        "employees", "expect_table_row_count_to_be_between", None, False, False, None, "99"
    )
    assert history.refusal_reason([replace(unique, passed=True), growth]) is None
    assert history.refusal_reason([unique, growth, FAILED_GATE]) == (
        "Publication refusée, le portail garde la publication précédente. Contrôles en échec : "
        "employees : expect_compound_columns_to_be_unique (nir) : 2 ligne(s) en défaut; "
        "companies : expect_table_row_count_to_be_between (observé : 1)."
    )


def test_a_refusal_for_lost_rows_says_how_many_and_what_to_do() -> None:
    reason = history.refusal_reason([FAILED_GATE], {"companies": 4})
    assert reason is not None
    assert "companies : 1 ligne(s) ce soir contre 4 à la dernière publication" in reason
    assert "fiche de paramétrage de contrat retirée" in reason
    assert "Remettez dans le dépôt les fichiers manquants puis relancez la nuit." in reason
    assert reason.endswith("relancez la nuit avec --accepter-baisse companies.")


def test_a_warehouse_whose_publish_step_created_the_tables_keeps_its_history(
    tmp_path: Path,
) -> None:
    with connect(tmp_path / "w.duckdb", read_only=False) as connection:
        history.record_candidate(connection, CANDIDATE, Path("serving.duckdb"))
        connection.execute("DELETE FROM schema_migrations WHERE version = 30")
        assert apply_migrations(connection) == [30]
        assert connection.execute("SELECT count(*) FROM publish.table_counts").fetchall() == [(1,)]


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
