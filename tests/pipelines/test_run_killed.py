"""A night killed in the middle of loading (SIGKILL, no chance to clean up), then run again,
leaves the same warehouse as a night that was never interrupted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pipelines.cli import main
from tests.pipelines.landings import landing_with_files
from tests.warehouse.helpers import (
    core_snapshot,
    registry_snapshot,
    staging_snapshot,
)
from warehouse.connections import connect
from warehouse.load import CRASH_TEST_PAUSE_AT_ENV, CRASH_TEST_PAUSE_ENV

REPO = Path(__file__).parents[2]


def warehouse_state(path: Path) -> tuple[object, ...]:
    with connect(path) as connection:
        return (
            core_snapshot(connection),
            staging_snapshot(connection),
            registry_snapshot(connection),
        )


def test_a_night_killed_while_loading_then_run_again_equals_an_uninterrupted_night(
    tmp_path: Path,
) -> None:
    uninterrupted = tmp_path / "uninterrupted"
    landing = landing_with_files(uninterrupted)
    assert (
        main(["run", "--landing", str(landing), "--warehouse", str(uninterrupted / "w.duckdb")])
        == 0
    )

    killed = tmp_path / "killed"
    landing = landing_with_files(killed)
    marker = killed / "paused_inside_loading"
    command = [
        sys.executable,
        "-m",
        "pipelines.cli",
        "run",
        "--landing",
        str(landing),
        "--warehouse",
        str(killed / "w.duckdb"),
    ]
    # Batches of two files; the pause comes inside the transaction of the second batch, after
    # the first batch was committed: the kill leaves a half-done night behind.
    environment = {
        **os.environ,
        "DSNPIPE_LOAD_BATCH_FILES": "2",
        CRASH_TEST_PAUSE_ENV: str(marker),
        CRASH_TEST_PAUSE_AT_ENV: "3",
    }
    process = subprocess.Popen(
        command, cwd=REPO, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "the run never reached the loading pause"
            time.sleep(0.1)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait()
        if process.stderr:
            process.stderr.close()
    assert process.returncode == -signal.SIGKILL

    with connect(killed / "w.duckdb") as connection:
        half_done = connection.execute(
            "SELECT count(*) FILTER (status = 'received'), count(*) FROM registry.files"
        ).fetchone()
    assert half_done == (2, 4)  # the first batch is in, the second was rolled back

    assert main(["run", "--landing", str(landing), "--warehouse", str(killed / "w.duckdb")]) == 0
    assert warehouse_state(killed / "w.duckdb") == warehouse_state(uninterrupted / "w.duckdb")
