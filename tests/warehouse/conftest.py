from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from dsn_parser.model import ParsedFile
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


# The same few fixture files are read dozens of times across these tests; the reader's result
# depends only on the bytes, so each distinct content is parsed once per session.
_parsed_by_content: dict[str, list[ParsedFile] | str] = {}


@pytest.fixture(autouse=True)
def parse_each_content_once(monkeypatch: pytest.MonkeyPatch) -> None:
    parse_one = load._parse_one

    def memoized(path: Path) -> list[ParsedFile] | str:
        key = hashlib.sha256(path.read_bytes()).hexdigest()
        if key not in _parsed_by_content:
            _parsed_by_content[key] = parse_one(path)
        return _parsed_by_content[key]

    monkeypatch.setattr(load, "_parse_one", memoized)
