"""The changes every stage has taken into account are forgotten (`warehouse.changes.
prune_changes`), and forgetting them changes nothing a stage sees."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import duckdb
import pytest

from warehouse.changes import changed_since, mark_companies, prune_changes, record_progress
from warehouse.migrations import apply_migrations

NIGHT = date(2025, 4, 15)


@pytest.fixture
def connection() -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(":memory:") as con:
        apply_migrations(con)
        yield con


def _mark(connection: duckdb.DuckDBPyConnection, *sirens: str) -> None:
    mark_companies(connection, f"SELECT unnest({list(sirens)!r})")


def _caught_up(connection: duckdb.DuckDBPyConnection, stage: str) -> None:
    record_progress(connection, stage, changed_since(connection, stage, "v1"), NIGHT, "v1")


def _kept(connection: duckdb.DuckDBPyConnection) -> list[tuple[int, str]]:
    return connection.execute("SELECT * FROM core.company_changes ORDER BY ALL").fetchall()


def test_the_changes_below_every_watermark_are_forgotten_and_the_stages_see_the_same(
    connection: duckdb.DuckDBPyConnection,
) -> None:
    _mark(connection, "111111111")
    _caught_up(connection, "affiliations")
    _caught_up(connection, "comptes")
    _mark(connection, "222222222")
    _caught_up(connection, "affiliations")  # comptes is one change behind
    _mark(connection, "333333333")
    before = {s: changed_since(connection, s, "v1") for s in ("affiliations", "comptes")}

    prune_changes(connection)

    assert _kept(connection) == [(2, "222222222"), (3, "333333333")]
    assert {s: changed_since(connection, s, "v1") for s in before} == before
    _caught_up(connection, "affiliations")
    _caught_up(connection, "comptes")
    prune_changes(connection)
    assert _kept(connection) == [(3, "333333333")]
    _mark(connection, "444444444")  # a new change still comes after every watermark
    assert changed_since(connection, "comptes", "v1").sirens == frozenset({"444444444"})


def test_nothing_is_forgotten_before_any_stage_ran(connection: duckdb.DuckDBPyConnection) -> None:
    _mark(connection, "111111111")
    prune_changes(connection)
    assert _kept(connection) == [(1, "111111111")]


def test_employee_marks_are_forgotten_with_the_companies_and_the_newest_change_kept(
    connection: duckdb.DuckDBPyConnection,
) -> None:
    _mark(connection, "111111111")
    # a signalement's employee mark, numbered after the company's (as mark_pending_changes does)
    connection.execute("INSERT INTO core.employee_changes VALUES (2, '222222222', 'K1')")
    _caught_up(connection, "affiliations")
    connection.execute("INSERT INTO core.employee_changes VALUES (3, '222222222', 'K2')")
    before = changed_since(connection, "affiliations", "v1")

    prune_changes(connection)

    assert _kept(connection) == []
    employees = connection.execute("SELECT * FROM core.employee_changes").fetchall()
    assert employees == [(3, "222222222", "K2")]
    assert changed_since(connection, "affiliations", "v1") == before
    _caught_up(connection, "affiliations")
    prune_changes(connection)
    assert connection.execute("SELECT count(*) FROM core.employee_changes").fetchone() == (1,)
    _mark(connection, "444444444")  # numbered after the kept employee mark
    assert changed_since(connection, "affiliations", "v1").sirens == frozenset({"444444444"})
