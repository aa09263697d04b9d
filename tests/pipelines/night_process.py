"""`python -m tests.pipelines.night_process ARGS...`: `dsnpipe ARGS...` (what `python -m
pipelines.cli` runs) that can stop at a chosen point of the night, for the crash and
concurrency tests, without a test hook in the product. `python -m tests.pipelines.night_process
dagster` runs the nightly job instead, as a run worker launched by the schedule or the UI does:
in this process, on the Dagster instance of `DAGSTER_HOME`, the settings from the environment.

The point comes from the environment: `NIGHT_PAUSE_AT` is `step:N` (after the N-th step of the
Dagster run did its work, before Dagster records its success: a stage boundary) or `after_swap`
(the serving file replaced, its record not yet written). There the process touches
`NIGHT_PAUSE_MARKER`, then waits for `NIGHT_PAUSE_GO` to exist (forever when not given: the test
kills it). `killed_at_pause` runs a night so and kills it there.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pipelines.cli import main

PAUSE_AT, PAUSE_MARKER, PAUSE_GO = "NIGHT_PAUSE_AT", "NIGHT_PAUSE_MARKER", "NIGHT_PAUSE_GO"
REPO = Path(__file__).parents[2]


def killed_at_pause(arguments: Sequence[str], pause: Mapping[str, str], marker: Path) -> bool:
    """Run `dsnpipe run ARGUMENTS` in a process of its own with the environment `pause` added
    (a pause point: this module's, or the load's), kill it (SIGKILL) once it touched `marker`;
    False when it ended before."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.pipelines.night_process", "run", *arguments],
        cwd=REPO,
        env={**os.environ, **pause},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 600  # progress guard, not a timing assertion
        while not marker.exists() and process.poll() is None:
            assert time.monotonic() < deadline, f"the night never paused ({dict(pause)})"
            time.sleep(0.1)
        if marker.exists():
            os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait()
    return marker.exists()


def _pause() -> None:
    Path(os.environ[PAUSE_MARKER]).touch()
    go = os.environ.get(PAUSE_GO)
    while go is None or not Path(go).exists():
        time.sleep(0.05)


def _pausing_after(function: Callable[..., Any], calls: int) -> Callable[..., Any]:
    seen = 0

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal seen
        result = function(*args, **kwargs)
        seen += 1
        if seen == calls:
            _pause()
        return result

    return wrapper


def _install(point: str) -> None:
    if point.startswith("step:"):
        from dagster._core.events import DagsterEvent

        DagsterEvent.step_success_event = staticmethod(  # type: ignore[method-assign]
            _pausing_after(DagsterEvent.step_success_event, int(point.removeprefix("step:")))
        )
    elif point == "after_swap":
        from serving import history

        history.swap_in = _pausing_after(history.swap_in, 1)
    else:
        raise ValueError(f"unknown pause point {point!r}")


def _dagster_run() -> int:
    import dagster as dg

    from pipelines.definitions import defs

    with dg.DagsterInstance.get() as instance:
        result = defs.resolve_job_def("nuit_complete").execute_in_process(
            instance=instance, raise_on_error=False
        )
    return 0 if result.success else 1


if __name__ == "__main__":
    if os.environ.get(PAUSE_AT):
        _install(os.environ[PAUSE_AT])
    sys.exit(_dagster_run() if sys.argv[1:] == ["dagster"] else main(sys.argv[1:]))
