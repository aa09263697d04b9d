"""A night without Dagster on a warehouse of its own: the fixtures of the warehouse tests, also
used by the hostile-input tests (their conftest files import them from here)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from warehouse import load, models, reference, registry
from warehouse.connections import connect


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    path = tmp_path / "landing"
    path.mkdir()
    return path


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with connect(tmp_path / "warehouse.duckdb", read_only=False) as connection:
        yield connection


@pytest.fixture
def night(
    landing: Path, tmp_path: Path, warehouse: duckdb.DuckDBPyConnection
) -> Callable[[], None]:
    """One night without Dagster: register, load, recompute the core model, load the
    reference files."""

    def run() -> None:
        registry.register_deliveries(warehouse, landing, datetime.now())
        load.register_files_of_other_domains(warehouse, landing, tmp_path / "quarantine")
        load.load_received_dsn_files(warehouse, landing, tmp_path / "quarantine")
        load.load_received_bank_files(warehouse, landing, tmp_path / "quarantine")
        models.refresh_core(warehouse)
        reference.load_reference_files(warehouse, landing)

    return run
