"""Benchmark (`make bench`): the nightly job launched the Dagster way (`dagster job execute`, a
process of its own, the job's executor) against `dsnpipe run` on the same portfolio, in the same
run, each on a fresh warehouse. Printed as a ratio (target: at most 1.2)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).parents[2]


def timed(command: list[str], environment: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=REPO, check=True, env=environment, capture_output=True)
    return time.perf_counter() - started


@pytest.mark.bench
def test_the_dagster_job_runs_at_the_speed_of_dsnpipe_run(tmp_path: Path) -> None:
    from synthetic import generate

    landing = tmp_path / "landing"
    generate(landing, companies=4, employees=60, months=12, seed=3)
    dagster_bin = Path(sys.executable).with_name("dagster")
    ratios = []
    for attempt in range(2):
        cli_home, dagster_home = tmp_path / f"cli{attempt}", tmp_path / f"dagster{attempt}"
        dagster_home.mkdir(parents=True)
        (dagster_home / "dagster.yaml").write_text((REPO / "dagster.yaml").read_text())
        environment = {
            **os.environ,
            "DAGSTER_HOME": str(dagster_home),
            "DSNPIPE_LANDING": str(landing),
            "DSNPIPE_WAREHOUSE": str(dagster_home / "entrepot.duckdb"),
        }
        cli = timed(
            [
                sys.executable,
                "-m",
                "pipelines.cli",
                "run",
                "--landing",
                str(landing),
                "--warehouse",
                str(cli_home / "entrepot.duckdb"),
            ],
            dict(os.environ),
        )
        dagster = timed(
            [
                str(dagster_bin),
                "job",
                "execute",
                "-m",
                "pipelines.definitions",
                "-j",
                "nuit_complete",
            ],
            environment,
        )
        ratios.append(dagster / cli)
        print(
            f"\ndsnpipe run {cli:.1f} s, dagster job execute {dagster:.1f} s : {dagster / cli:.2f}×"
        )
    print(f"Dagster / dsnpipe run, meilleur de {len(ratios)} : {min(ratios):.2f}× (cible ≤ 1,2)")
