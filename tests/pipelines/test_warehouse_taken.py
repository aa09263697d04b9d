"""A warehouse taken by another night or another process: the commands say so in one French
line and exit 3 before writing anything; a Dagster run fails with that line as its message."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest
from rich.console import Console

from pipelines.cli import main
from pipelines.commands.run import print_run_messages
from pipelines.ingestion.assets import file_registry
from pipelines.resources import pipeline_resources
from pipelines.settings import Settings
from tests.warehouse.helpers import AUGUST_2019, deliver
from tests.warehouse.holders import hold, stop
from warehouse import lock

QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(lock, "LOCK_WAIT_SECONDS", 0.3)
    path = tmp_path / "entrepot.duckdb"
    duckdb.connect(str(path)).close()
    return path


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    deliver(tmp_path / "landing", "aout.dsn", AUGUST_2019)
    return tmp_path / "landing"


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("command", ["run", "rebuild"])
def test_a_command_is_refused_while_another_night_holds_the_warehouse(
    command: str,
    warehouse: Path,
    landing: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    night = hold("night", warehouse, tmp_path / "held")
    try:
        code = main([command, "--landing", str(landing), "--warehouse", str(warehouse)])
    finally:
        stop(night)
    [line] = _lines(capsys.readouterr().out)
    assert code == 3
    assert line.startswith("Une nuit est déjà en cours sur cet entrepôt depuis le ")
    with duckdb.connect(str(warehouse)) as connection:
        assert connection.execute("SELECT count(*) FROM duckdb_tables()").fetchall() == [(0,)]


def test_a_night_is_refused_in_one_french_line_while_an_analyst_holds_the_warehouse(
    warehouse: Path, landing: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    analyst = hold("reader", warehouse, tmp_path / "reading")
    try:
        code = main(["run", "--landing", str(landing), "--warehouse", str(warehouse)])
    finally:
        stop(analyst)
    [line] = _lines(capsys.readouterr().out)
    assert code == 3
    assert line.startswith(f"Le fichier {warehouse} est ouvert par le processus {analyst.pid}")


def test_a_step_that_finds_the_warehouse_held_fails_with_the_french_line_only(
    warehouse: Path, landing: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    analyst = hold("reader", warehouse, tmp_path / "reading")
    instance = dg.DagsterInstance.ephemeral()
    try:
        result = dg.materialize(
            [file_registry],
            resources=pipeline_resources(Settings(landing, warehouse, tmp_path / "quarantine")),
            instance=instance,
            run_config=QUIET,
            raise_on_error=False,
        )
    finally:
        stop(analyst)
    [failure] = [e for e in result.all_events if e.is_step_failure]
    error = failure.step_failure_data.error
    assert error is not None and "Le fichier" in error.message and "processus" in error.message
    print_run_messages(Console(), instance, result.run_id)
    [line] = _lines(capsys.readouterr().out)
    assert line.startswith(f"Le fichier {warehouse} est ouvert par le processus {analyst.pid}")


def test_a_dagster_run_is_refused_while_another_night_holds_the_warehouse(
    warehouse: Path, landing: Path, tmp_path: Path
) -> None:
    night = hold("night", warehouse, tmp_path / "held")
    try:
        result = dg.materialize(
            [file_registry],
            resources=pipeline_resources(Settings(landing, warehouse, tmp_path / "quarantine")),
            instance=dg.DagsterInstance.ephemeral(),
            run_config=QUIET,
            raise_on_error=False,
        )
    finally:
        stop(night)
    assert not result.success
    [error] = [
        e.engine_event_data.error
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.RESOURCE_INIT_FAILURE
    ]
    assert error is not None
    assert error.message.startswith(
        "dagster._core.definitions.events.Failure: Une nuit est déjà en cours sur cet entrepôt "
    )
