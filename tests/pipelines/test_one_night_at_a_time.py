"""Two nights on one warehouse: one runs, the other is refused in French; the night that
publishes passed its own gates; a night killed between its swap and its last record is settled
by the next one. Nights run as `dsnpipe run` processes (`tests.pipelines.night_process`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pipelines.cli import main
from serving.snapshot import published_night_id
from tests.pipelines.night_process import PAUSE_AT, PAUSE_GO, PAUSE_MARKER
from tests.pseudonym_key import TEST_PSEUDONYM_KEY as KEY
from tests.warehouse.helpers import AUGUST_2019, SEPTEMBER_2019, deliver
from warehouse.connections import connect

REPO = Path(__file__).parents[2]


@pytest.fixture(autouse=True)
def pseudonym_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DSNPIPE_PSEUDONYM_KEY", KEY)


def _landing(root: Path) -> Path:
    landing = root / "landing"
    deliver(landing, "aout.dsn", AUGUST_2019)
    deliver(landing, "septembre.dsn", SEPTEMBER_2019)
    return landing


def _night(landing: Path, warehouse: Path, **pause: str) -> subprocess.Popen[str]:
    command = ["run", "--landing", str(landing), "--warehouse", str(warehouse)]
    return subprocess.Popen(
        [sys.executable, "-m", "tests.pipelines.night_process", *command],
        cwd=REPO,
        env={**os.environ, **pause},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 300  # progress guard, not a timing assertion
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def _publications(warehouse: Path) -> dict[str, str]:
    with connect(warehouse) as connection:
        return dict(
            connection.execute("SELECT night_id, status FROM publish.publications").fetchall()
        )


def _gates_passed(warehouse: Path, night_id: str) -> bool:
    with connect(warehouse) as connection:
        [(gates, failed)] = connection.execute(
            "SELECT count(*), count(*) FILTER (blocking AND NOT passed) "
            "FROM publish.gate_results WHERE night_id = ?",
            [night_id],
        ).fetchall()
    return gates > 0 and failed == 0


def test_two_nights_started_together_one_runs_the_other_is_refused_in_french(
    tmp_path: Path,
) -> None:
    landing, warehouse = _landing(tmp_path), tmp_path / "entrepot.duckdb"
    paused, go = tmp_path / "paused", tmp_path / "go"
    # Whichever night takes the lock waits after its first step until the other has answered.
    pause = {PAUSE_AT: "step:1", PAUSE_MARKER: str(paused), PAUSE_GO: str(go)}
    nights = [_night(landing, warehouse, **pause), _night(landing, warehouse, **pause)]
    try:
        _wait_for(lambda: any(n.poll() is not None for n in nights), "neither night ended")
        [refused] = [n for n in nights if n.poll() is not None]
        [winner] = [n for n in nights if n is not refused]
        _wait_for(paused.exists, "the running night never reached its first step")
        go.touch()
        winner.wait(timeout=600)
    finally:
        for night in nights:
            if night.poll() is None:
                night.kill()
                night.wait()
    refusal = refused.stdout.read() if refused.stdout else ""
    output = winner.stdout.read() if winner.stdout else ""
    assert refused.returncode == 3, refusal
    [line] = [x for x in refusal.splitlines() if x.strip()]
    assert line.startswith("Une nuit est déjà en cours sur cet entrepôt depuis le ")
    assert f"(pid {winner.pid}, hôte " in line and line.endswith(" : réessayer après sa fin.")
    assert winner.returncode == 0, output

    served = published_night_id(tmp_path / "serving.duckdb")
    assert _publications(warehouse) == {served: "publiée"}
    assert served is not None and _gates_passed(warehouse, served)
    assert list(tmp_path.glob("serving.duckdb.candidate*")) == []


def test_a_night_killed_between_its_swap_and_its_record_is_settled_by_the_next_night(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    landing, warehouse = _landing(tmp_path), tmp_path / "entrepot.duckdb"
    paused = tmp_path / "paused"
    killed = _night(landing, warehouse, **{PAUSE_AT: "after_swap", PAUSE_MARKER: str(paused)})
    try:
        _wait_for(lambda: paused.exists() or killed.poll() is not None, "never swapped")
        assert killed.poll() is None, killed.stdout.read() if killed.stdout else ""
        os.kill(killed.pid, signal.SIGKILL)
    finally:
        killed.wait()
        if killed.stdout:
            killed.stdout.close()
    served = published_night_id(tmp_path / "serving.duckdb")
    assert served is not None
    assert _publications(warehouse) == {served: "en cours de publication"}

    assert main(["run", "--landing", str(landing), "--warehouse", str(warehouse)]) == 0
    assert f"Nuit {served} : servie au portail, notée publiée." in capsys.readouterr().out
    now_served = published_night_id(tmp_path / "serving.duckdb")
    assert now_served is not None and now_served != served
    assert _publications(warehouse) == {served: "publiée", now_served: "publiée"}
    assert _gates_passed(warehouse, served) and _gates_passed(warehouse, now_served)
