"""Two runs of the nightly job at once on one Dagster instance and one warehouse, as the 2 a.m.
schedule and an operator's launch from the UI would start them (each run worker a process of
its own on the instance of `DAGSTER_HOME`, with the repo's `dagster.yaml`): the second is
refused in French before it writes anything and is not retried by the daemon behind the
operator's back; the first publishes, nothing is left half-published, and what it published is
what one night alone publishes (a fresh night on a copy of the landing)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.tags import WILL_RETRY_TAG

from serving.snapshot import published_night_id
from tests.pipelines.fresh_night import Outputs, differences, fresh_night
from tests.pipelines.landings import landing_with_files
from tests.pipelines.night_process import PAUSE_AT, PAUSE_GO, PAUSE_MARKER
from tests.pseudonym_key import TEST_PSEUDONYM_KEY as KEY
from warehouse.connections import connect

REPO = Path(__file__).parents[2]
NIGHT = date(2019, 11, 15)


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 600  # progress guard, not a timing assertion
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def _run_worker(environment: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.pipelines.night_process", "dagster"],
        cwd=REPO,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _runs(home: Path) -> list[tuple[str, str, str | None]]:
    """Every run of the instance: its status, its failures' messages, whether it will retry."""
    with dg.DagsterInstance.from_config(str(home)) as instance:
        return [
            (
                run.status.value,
                "\n".join(
                    str(event.dagster_event.event_specific_data)
                    for event in instance.all_logs(run.run_id)
                    if event.dagster_event is not None and event.dagster_event.is_failure
                ),
                run.tags.get(WILL_RETRY_TAG),
            )
            for run in instance.get_runs()
        ]


def test_a_second_run_started_during_the_night_is_refused_in_french_and_not_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DSNPIPE_PSEUDONYM_KEY", KEY)  # the fresh night of this process
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO / "dagster.yaml").read_text())
    landing = landing_with_files(tmp_path)
    outputs = Outputs(tmp_path / "nuit" / "entrepot.duckdb")
    environment = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "DSNPIPE_LANDING": str(landing),
        "DSNPIPE_WAREHOUSE": str(outputs.warehouse),
        "DSNPIPE_NIGHT": NIGHT.isoformat(),
        "DSNPIPE_PSEUDONYM_KEY": KEY,
    }
    paused, go = tmp_path / "paused", tmp_path / "go"
    first = _run_worker(
        {**environment, PAUSE_AT: "step:1", PAUSE_MARKER: str(paused), PAUSE_GO: str(go)}
    )
    try:
        _wait_for(lambda: paused.exists() or first.poll() is not None, "the first run never ran")
        second = _run_worker(environment)
        second.wait(timeout=600)
    finally:
        go.touch()
        first.wait(timeout=600)
    assert second.returncode == 1, second.stdout.read() if second.stdout else ""
    assert first.returncode == 0, first.stdout.read() if first.stdout else ""

    refused, published = sorted(_runs(home))  # FAILURE before SUCCESS
    assert refused[0] == "FAILURE" and published[0] == "SUCCESS"
    assert "Une nuit est déjà en cours sur cet entrepôt" in refused[1]
    assert refused[2] == "false"  # the daemon does not launch it again behind the operator
    served = published_night_id(outputs.folder / "serving.duckdb")
    with connect(outputs.warehouse) as connection:
        publications = connection.execute(
            "SELECT night_id, status FROM publish.publications"
        ).fetchall()
    assert publications == [(served, "publiée")]
    assert list(outputs.folder.glob("serving.duckdb.candidate*")) == []
    assert differences(outputs, fresh_night(landing, tmp_path / "seule", NIGHT)) == {}
