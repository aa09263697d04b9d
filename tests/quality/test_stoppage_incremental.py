"""The stoppage stage on the companies changed since it last ran gives, night after night,
exactly what a whole recomputation of the same night gives on a copy of the warehouse: a small
generated portfolio (three of its companies sharing employees) landing in arrival order, a
late file for one company (the same night run again), and nights where only the date moves."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipelines.code_versions import CODE_VERSIONS
from quality.stoppages import pipeline
from quality.stoppages.night import run_stoppage_night
from synthetic import generate
from tests.pipelines.replay import arrivals, land, land_insurer_files
from tests.quality.incremental_nights import night_both_ways, share_employees, signalement_nights
from warehouse.connections import connect
from warehouse.reference import contract_parameters

STAGE = "stoppages"
VERSION = CODE_VERSIONS["stoppages"]
COMPARED = (
    "stoppage.episodes",
    "stoppage.planned_end_history",
    "stoppage.employee_events",
    "stoppage.signals",
    "stoppage.claims",
    "stoppage.nights",
)


def _night(tmp_path: Path, landing: Path, day: date) -> tuple[dict[str, int], int | None]:
    return night_both_ways(
        tmp_path,
        landing,
        day,
        (STAGE, VERSION),
        lambda connection, scope: run_stoppage_night(connection, day, scope).companies,
        COMPARED,
    )


def _documents_validated(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many contract documents each stoppage run validates, in run order (a night: the
    incremental run, then the whole one)."""
    counts: list[int] = []

    def counted(connection: duckdb.DuckDBPyConnection, *narrowed: Any) -> list[Any]:
        documents = contract_parameters(connection, *narrowed)
        counts.append(len(documents))
        return documents

    monkeypatch.setattr(pipeline, "contract_parameters", counted)
    return counts


def _rows(warehouse: Path, table: str) -> int:
    with connect(warehouse, read_only=True) as connection:
        [(count,)] = connection.execute(f"SELECT count(*) FROM {table}").fetchall()
    return int(count)


def test_each_night_on_the_changed_companies_equals_a_whole_recomputation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "source"
    generate(
        source, companies=4, employees=30, months=4, start=date(2024, 1, 1), seed=3, fault_rate=0.5
    )
    landing = tmp_path / "landing"
    land_insurer_files(source, landing)
    nights = arrivals(source)
    last = max(nights)
    late = next(p for d in sorted(nights, reverse=True) for p in nights[d] if "DSN_01" in p.name)
    share_employees(source, late)
    scopes: dict[date, int | None] = {}

    def night(day: date) -> None:
        found, scopes[day] = _night(tmp_path, landing, day)
        assert set(found.values()) == {0}, (day, found)

    for day, paths in nights.items():
        land(source, landing, [p for p in paths if p != late])
        night(day)
    land(source, landing, [late])
    night(last)  # a late file for one company, run as the same night again
    validated = _documents_validated(monkeypatch)
    night(last + timedelta(days=20))  # the date only
    assert validated == [0, validated[1]] and validated[1] > 0  # no company read, none validated
    night(last + timedelta(days=400))

    warehouse = tmp_path / "entrepot.duckdb"
    assert _rows(warehouse, "stoppage.episodes") and _rows(warehouse, "stoppage.signals")
    assert scopes[min(scopes)] is None  # the first run recomputes every company
    assert scopes[last + timedelta(days=20)] == 0  # nothing to recompute when the date moves
    incremental = [n for d, n in scopes.items() if d > min(scopes) and n is not None]
    assert any(0 < n < 4 for n in incremental), scopes  # some nights recomputed a few


def test_signalements_recompute_their_employees_only_and_equal_a_whole_recomputation(
    tmp_path: Path,
) -> None:
    """The signalements (stoppages, returns, contract ends) of a company of many employees,
    each landing alone as a late file, recompute their employees only, the first beside a
    monthly DSN of another company: every night as a whole recomputation gives."""
    late = signalement_nights(tmp_path)
    found, companies = _night(tmp_path, late.landing, late.day)
    assert set(found.values()) == {0} and companies is None

    narrowed = []
    for index, signalement in enumerate(late.signalements):
        arriving = [signalement, late.held_back] if index == 0 else [signalement]
        land(late.source, late.landing, arriving)
        found, companies = _night(tmp_path, late.landing, late.day)
        assert set(found.values()) == {0}, (signalement.name, found)
        narrowed.append(companies == 0 if index else companies is not None)
    assert sum(narrowed) >= len(late.signalements) - 2, narrowed
    assert _rows(tmp_path / "entrepot.duckdb", "stoppage.episodes")
