"""Fault injection: a night killed (SIGKILL) inside the load, at every stage boundary of its
Dagster run, or between its swap and its last record, then run again, leaves every table of the
warehouse as a night never interrupted would, and a publication history with nothing unsettled.

Slow (two nights per kill point, 24 points: the load, the swap and 22 steps; 25 min on the
shared 2-core machine): `make bench`."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pipelines.cli import main
from serving.snapshot import published_night_id
from tests.pipelines.landings import landing_with_files
from tests.pipelines.night_process import PAUSE_AT, PAUSE_MARKER, killed_at_pause
from tests.pseudonym_key import use_test_pseudonym_key
from warehouse.connections import connect
from warehouse.load import CRASH_TEST_PAUSE_AT_ENV, CRASH_TEST_PAUSE_ENV

# Columns that differ between two equal nights by design: night ids are drawn at random, and the
# landing files of two nights were copied at different times.
_VARYING_COLUMNS = {"night_id", "mtime"}
# The storage's own bookkeeping: how many closes put off merging row groups follows the runs.
_LAYOUT_TABLES = {("main", "deferred_merges")}


@pytest.fixture(autouse=True)
def pseudonym_key(monkeypatch: pytest.MonkeyPatch) -> None:
    use_test_pseudonym_key(monkeypatch)


def every_table(warehouse: Path, root: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every table but the publication history, without clock columns, the night's directory
    written as <root>: equal for two nights that did the same work in two directories."""
    snapshot = {}
    with connect(warehouse) as connection:
        tables = connection.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() "
            "WHERE database_name = current_database() AND schema_name <> 'publish'"
        ).fetchall()
        for schema, table in set(tables) - _LAYOUT_TABLES:
            columns = connection.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = "
                "current_database() AND schema_name = ? AND table_name = ? "
                "AND data_type NOT LIKE 'TIMESTAMP%' ORDER BY column_index",
                [schema, table],
            ).fetchall()
            kept = ", ".join(f'"{c}"' for (c,) in columns if c not in _VARYING_COLUMNS)
            rows = connection.execute(f'SELECT {kept} FROM "{schema}"."{table}"').fetchall()
            snapshot[f"{schema}.{table}"] = sorted(
                (tuple(_relative(v, root) for v in row) for row in rows), key=repr
            )
    return snapshot


def _relative(value: object, root: Path) -> object:
    return value.replace(str(root), "<root>") if isinstance(value, str) else value


def _pause_at(point: str, marker: Path) -> dict[str, str]:
    """The environment that stops a night at `point`: "load" (inside the transaction of the
    second batch of files, the first one committed) or a `night_process` point."""
    if point == "load":
        return {CRASH_TEST_PAUSE_ENV: str(marker), CRASH_TEST_PAUSE_AT_ENV: "3"}
    return {PAUSE_AT: point, PAUSE_MARKER: str(marker)}


# Past the last step the night ends before pausing: the loop below stops there.
_POINTS = ["load", "after_swap", *(f"step:{n}" for n in range(1, 60))]


@pytest.mark.bench
def test_a_night_killed_anywhere_then_run_again_equals_an_uninterrupted_night(
    tmp_path: Path,
) -> None:
    reference_root = tmp_path / "uninterrupted"
    landing = landing_with_files(reference_root)
    warehouse = reference_root / "w.duckdb"
    assert main(["run", "--landing", str(landing), "--warehouse", str(warehouse)]) == 0
    expected = every_table(warehouse, reference_root)

    killed_at = []
    for number, point in enumerate(_POINTS):
        root = tmp_path / f"killed{number}"
        landing = landing_with_files(root)
        warehouse = root / "w.duckdb"
        started = time.perf_counter()
        # batches of two files: the load's pause comes after a first batch committed
        pause = {"DSNPIPE_LOAD_BATCH_FILES": "2", **_pause_at(point, root / "paused")}
        arguments = ["--landing", str(landing), "--warehouse", str(warehouse)]
        if not killed_at_pause(arguments, pause, root / "paused"):
            break
        killed_at.append(point)
        assert main(["run", "--landing", str(landing), "--warehouse", str(warehouse)]) == 0
        assert every_table(warehouse, root) == expected, point
        with connect(warehouse) as connection:
            statuses = connection.execute(
                "SELECT night_id, status FROM publish.publications"
            ).fetchall()
        served = published_night_id(root / "serving.duckdb")
        assert (served, "publiée") in statuses
        assert {status for _, status in statuses} <= {"publiée", "interrompue"}
        print(f"tué à {killed_at[-1]} : {time.perf_counter() - started:.0f} s, identique")
    print(f"{len(killed_at)} points d'arrêt : {', '.join(killed_at)}")
    assert len(killed_at) > 10
