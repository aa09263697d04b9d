"""The night as production runs it: `dagster dev` (webserver and daemon, a temporary
DAGSTER_HOME with the repo's `dagster.yaml`), the nightly job submitted through the webserver's
GraphQL as the schedule submits it, its run in a process of its own. While a `dsnpipe run`
holds the warehouse, the Dagster run fails with the French refusal and publishes nothing; run
again, it publishes what `dsnpipe run` publishes on a copy of the same landing.

Slow (Dagster's services take tens of seconds to start on the shared machine): `make bench`."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import dagster as dg
import pytest
from dagster_graphql import DagsterGraphQLClient

from serving.snapshot import published_night_id
from tests.pipelines.fresh_night import Outputs, differences, fresh_night
from tests.pipelines.night_process import PAUSE_AT, PAUSE_GO, PAUSE_MARKER
from tests.pipelines.replay import small_portfolio
from tests.pseudonym_key import TEST_PSEUDONYM_KEY as KEY

REPO = Path(__file__).parents[2]
NIGHT = date(2024, 4, 15)
_DONE = {"SUCCESS", "FAILURE", "CANCELED"}


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 600  # progress guard, not a timing assertion
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.5)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


_JOBS = "{ repositoriesOrError { ... on RepositoryConnection { nodes { jobs { name } } } } }"


def _serves_the_job(port: int) -> bool:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": _JOBS}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            answer = json.load(response)
    except OSError:  # refused until the webserver serves
        return False
    nodes = answer["data"]["repositoriesOrError"].get("nodes", [])
    return any(job["name"] == "nuit_complete" for node in nodes for job in node["jobs"])


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("DSNPIPE_PSEUDONYM_KEY", KEY)  # the CLI night of this process too
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO / "dagster.yaml").read_text())
    return {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "DSNPIPE_LANDING": str(tmp_path / "landing"),
        "DSNPIPE_WAREHOUSE": str(tmp_path / "nuit" / "entrepot.duckdb"),
        "DSNPIPE_NIGHT": NIGHT.isoformat(),
        "DSNPIPE_PSEUDONYM_KEY": KEY,
    }


@pytest.fixture
def dagster_dev(environment: dict[str, str]) -> Iterator[DagsterGraphQLClient]:
    port = _free_port()
    dagster = Path(sys.executable).with_name("dagster")
    process = subprocess.Popen(
        [str(dagster), "dev", "-m", "pipelines.definitions", "-p", str(port)],
        cwd=REPO,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its webserver, daemon and code server stopped together
    )
    try:
        _wait_for(
            lambda: process.poll() is None and _serves_the_job(port), "dagster dev never served"
        )
        yield DagsterGraphQLClient("127.0.0.1", port_number=port)
    finally:
        os.killpg(process.pid, signal.SIGINT)  # what stops `dagster dev` with its services
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _launched(client: DagsterGraphQLClient) -> tuple[str, str]:
    """The nightly job submitted as the schedule does; its run id and final status."""
    run_id = client.submit_job_execution("nuit_complete")
    _wait_for(lambda: client.get_run_status(run_id).value in _DONE, "the run never ended")
    return run_id, client.get_run_status(run_id).value


def _failure_messages(home: Path, run_id: str) -> str:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        return "\n".join(
            str(event.dagster_event.event_specific_data)
            for event in instance.all_logs(run_id)
            if event.dagster_event is not None and event.dagster_event.is_failure
        )


@pytest.mark.bench
def test_a_night_launched_in_dagster_dev_waits_its_turn_and_publishes_what_the_cli_does(
    dagster_dev: DagsterGraphQLClient, environment: dict[str, str], tmp_path: Path
) -> None:
    landing, outputs = tmp_path / "landing", Outputs(tmp_path / "nuit" / "entrepot.duckdb")
    small_portfolio(landing)
    paused, go = tmp_path / "paused", tmp_path / "go"
    cli = subprocess.Popen(
        [sys.executable, "-m", "tests.pipelines.night_process", "run"],
        cwd=REPO,
        env={**environment, PAUSE_AT: "step:1", PAUSE_MARKER: str(paused), PAUSE_GO: str(go)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(lambda: paused.exists() or cli.poll() is not None, "the CLI night never started")
        refused, status = _launched(dagster_dev)
    finally:
        go.touch()
        cli.wait(timeout=600)
    assert status == "FAILURE"
    assert "Une nuit est déjà en cours sur cet entrepôt" in _failure_messages(
        Path(environment["DAGSTER_HOME"]), refused
    )
    assert cli.returncode == 0
    served_by_cli = published_night_id(outputs.folder / "serving.duckdb")

    _, status = _launched(dagster_dev)
    assert status == "SUCCESS"
    served = published_night_id(outputs.folder / "serving.duckdb")
    assert served is not None and served != served_by_cli and served.startswith(NIGHT.isoformat())
    fresh = fresh_night(landing, tmp_path / "cli", NIGHT)
    assert differences(outputs, fresh) == {}
