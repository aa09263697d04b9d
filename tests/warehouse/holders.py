"""Another process holding a warehouse, as the lock tests need one: a night (the night lock) or
an analyst (a read-only DuckDB connection)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).parents[2]

# Holds what argv[1] names until killed (or for argv[4] seconds): "night" (the night lock of
# warehouse argv[2]) or "reader" (a read-only DuckDB connection on it), after touching argv[3].
_HOLDER = """
import sys, time
from pathlib import Path
what, warehouse, marker = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
if what == "night":
    from warehouse.lock import acquire_night_lock
    acquire_night_lock(warehouse)
else:
    import duckdb
    connection = duckdb.connect(str(warehouse), read_only=True)
marker.touch()
time.sleep(float(sys.argv[4]) if len(sys.argv) > 4 else 3600)
"""


def hold(what: str, warehouse: Path, marker: Path, *seconds: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, what, str(warehouse), str(marker), *seconds], cwd=REPO
    )
    deadline = time.monotonic() + 60  # progress guard, not a timing assertion
    while not marker.exists():
        assert process.poll() is None, "the holder process died"
        assert time.monotonic() < deadline, "the holder process never took its lock"
        time.sleep(0.05)
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
