"""A night with late files (a month's DSN, the contract parameter files), killed (SIGKILL) after
one of its steps did its work, then run again, publishes what a fresh night on the same landing
publishes: the incremental stages' watermarks, the analysts' copy and exports, the comptes
rendus written by the killed night leave nothing stale. The portal swapped in by the killed
night, the analysts' copy and exports not yet written, is the point every night passes; every
other step is tried by `make bench`."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.pipelines.fresh_night import Outputs, differences, fresh_night
from tests.pipelines.night_process import PAUSE_AT, PAUSE_MARKER, killed_at_pause
from tests.pipelines.replay import arrivals, land, run_night, small_portfolio
from tests.pseudonym_key import TEST_PSEUDONYM_KEY as KEY

STEPS = 24  # the nightly job's steps (`tests/pipelines/dagster_graph.json`)


@pytest.fixture(scope="module")
def first_night(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, date]:
    """A warehouse after a night without the parameter files and one month's DSN, with the
    landing those late files are in: (its folder, the night's date)."""
    root = tmp_path_factory.mktemp("premiere-nuit")
    source, landing = root / "source", root / "landing"
    small_portfolio(source, fault_rate=0.6)
    files = [p for paths in arrivals(source).values() for p in paths]
    late = sorted(p for p in files if p.name.startswith("DSN_01_609137187"))[1]
    (landing / "reference").mkdir(parents=True)
    shutil.copy2(source / "reference" / "pmss.json", landing / "reference")
    land(source, landing, [p for p in files if p != late])
    night = max(arrivals(source))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DSNPIPE_PSEUDONYM_KEY", KEY)
        code, out = run_night(landing, root / "nuit" / "entrepot.duckdb", night)
    assert code == 0, out
    land(source, landing, [late])
    for parameters in (source / "reference").glob("0*.json"):
        shutil.copy2(parameters, landing / "reference")
    return root, night


def _killed_then_run_again(first_night: tuple[Path, date], point: str, work: Path) -> None:
    root, night = first_night
    shutil.copytree(root / "nuit", work / "nuit")
    outputs, landing = Outputs(work / "nuit" / "entrepot.duckdb"), root / "landing"
    late_night = night + timedelta(days=1)
    arguments = ["--landing", str(landing), "--warehouse", str(outputs.warehouse)]
    arguments += ["--night", late_night.isoformat()]
    marker = work / "arrêtée"
    assert killed_at_pause(arguments, {PAUSE_AT: point, PAUSE_MARKER: str(marker)}, marker), point
    code, out = run_night(landing, outputs.warehouse, late_night)
    assert code == 0, (point, out)
    fresh = fresh_night(landing, work / "fraiche", late_night)
    assert differences(outputs, fresh) == {}, point


@pytest.fixture(autouse=True)
def pseudonym_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DSNPIPE_PSEUDONYM_KEY", KEY)


def test_a_night_of_late_files_killed_after_its_swap_then_run_again_equals_a_fresh_night(
    first_night: tuple[Path, date], tmp_path: Path
) -> None:
    _killed_then_run_again(first_night, "after_swap", tmp_path)


@pytest.mark.bench
@pytest.mark.parametrize("step", range(1, STEPS + 1))
def test_a_night_of_late_files_killed_after_any_step_then_run_again_equals_a_fresh_night(
    first_night: tuple[Path, date], step: int, tmp_path: Path
) -> None:
    _killed_then_run_again(first_night, f"step:{step}", tmp_path)
