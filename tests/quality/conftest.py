"""Fixtures of the quality tests (helpers: `detections.py`, `dsn_cases.py`)."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from warehouse.migrations import apply_migrations


@pytest.fixture
def connection() -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(":memory:") as con:
        apply_migrations(con)
        yield con
