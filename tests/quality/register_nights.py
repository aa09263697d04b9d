"""Nights of the anomaly register run on a warehouse file, for the decisions tests."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from quality.anomalies.nightly import RegisterRefresh, refresh_register
from warehouse.connections import connect

NIGHT_1 = date(2026, 11, 20)
NIGHT_2 = NIGHT_1 + timedelta(days=1)
NIGHT_3 = NIGHT_2 + timedelta(days=1)


def night(warehouse: Path, tonight: Any, when: date) -> RegisterRefresh:
    """The register's night on `tonight`'s detections, with the decisions beside the warehouse."""
    with connect(warehouse, read_only=False) as connection:
        return refresh_register(connection, tonight, when, warehouse.parent / "decisions")


def query(warehouse: Path, sql: str) -> list[tuple[Any, ...]]:
    with connect(warehouse) as connection:
        return connection.execute(sql).fetchall()
