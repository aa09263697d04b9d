"""`dsnpipe rebuild`: the core model from the registry, optionally reading every file again."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.cli import main
from tests.warehouse.helpers import (
    AUGUST_2019,
    SEPTEMBER_2019,
    core_snapshot,
    deliver,
    registry_snapshot,
    staging_snapshot,
)
from warehouse.connections import connect


def state(warehouse: Path) -> tuple[object, ...]:
    with connect(warehouse) as connection:
        return (
            core_snapshot(connection),
            staging_snapshot(connection),
            registry_snapshot(connection),
        )


def test_rebuilding_and_rereading_every_file_gives_the_same_warehouse(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    landing, warehouse = tmp_path / "landing", tmp_path / "w.duckdb"
    deliver(landing, "aout.dsn", AUGUST_2019)
    deliver(landing, "septembre.dsn", SEPTEMBER_2019)
    assert main(["run", "--landing", str(landing), "--warehouse", str(warehouse)]) == 0
    after_nights = state(warehouse)

    assert main(["rebuild", "--warehouse", str(warehouse)]) == 0
    assert state(warehouse) == after_nights

    (landing / "dsn" / "septembre.dsn").unlink()  # archived since: kept as it was loaded
    arguments = ["rebuild", "--warehouse", str(warehouse), "--relire", "--landing", str(landing)]
    assert main(arguments) == 0
    assert state(warehouse) == after_nights
    out = capsys.readouterr().out
    assert "1 fichier(s) à relire ; 1 absent(s)" in out
    assert "2 déclaration(s) en vigueur" in out


def test_rebuilding_a_missing_warehouse_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rebuild", "--warehouse", str(tmp_path / "absent.duckdb")]) == 2
    assert "Entrepôt introuvable" in capsys.readouterr().out
