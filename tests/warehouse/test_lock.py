"""One night at a time on a warehouse, and a clear French line when another process holds the
file: the night lock, and DuckDB's own lock waited for, then reported."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from warehouse import lock
from warehouse.connections import connect
from warehouse.lock import NightAlreadyRunningError, WarehouseBusyError, night_lock

REPO = Path(__file__).parents[2]

# Holds what argv[1] names until killed: "night" (the night lock of warehouse argv[2]) or
# "reader" (a read-only DuckDB connection on it, like an analyst), after touching argv[3].
HOLDER = """
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


def _hold(what: str, warehouse: Path, marker: Path, *seconds: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, what, str(warehouse), str(marker), *seconds], cwd=REPO
    )
    deadline = time.monotonic() + 60  # progress guard, not a timing assertion
    while not marker.exists():
        assert process.poll() is None, "the holder process died"
        assert time.monotonic() < deadline, "the holder process never took its lock"
        time.sleep(0.05)
    return process


def _stop(process: subprocess.Popen[bytes]) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait()


def test_a_second_night_is_refused_in_french_with_who_holds_the_warehouse(
    tmp_path: Path,
) -> None:
    warehouse = tmp_path / "w.duckdb"
    holder = _hold("night", warehouse, tmp_path / "held")
    try:
        with pytest.raises(NightAlreadyRunningError) as refusal, night_lock(warehouse):
            pass
    finally:
        _stop(holder)
    message = str(refusal.value)
    assert message.startswith("Une nuit est déjà en cours sur cet entrepôt depuis le ")
    assert f"(pid {holder.pid}, hôte {socket.gethostname()})" in message
    assert message.endswith(" : réessayer après sa fin.")


def test_a_night_killed_with_its_lock_leaves_it_to_the_next_night(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    _stop(_hold("night", warehouse, tmp_path / "held"))
    lock_file = lock.night_lock_path(warehouse)
    assert json.loads(lock_file.read_text())["pid"] != os.getpid()  # the dead night's record
    with night_lock(warehouse):
        assert json.loads(lock_file.read_text())["pid"] == os.getpid()
    assert lock_file.read_text() == ""  # released: names no one
    assert lock_file.stat().st_mode & 0o777 == 0o600


def test_the_night_lock_is_taken_again_by_the_process_that_holds_it(tmp_path: Path) -> None:
    # `dsnpipe run` holds it, then the Dagster run it starts takes it for its resources.
    warehouse = tmp_path / "w.duckdb"
    with night_lock(warehouse), night_lock(tmp_path / "." / "w.duckdb"):
        pass
    with night_lock(warehouse):
        pass


def test_a_reader_holding_the_warehouse_is_waited_for_then_reported_in_one_french_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = tmp_path / "w.duckdb"
    duckdb.connect(str(warehouse)).close()
    monkeypatch.setattr(lock, "LOCK_WAIT_SECONDS", 0.5)
    reader = _hold("reader", warehouse, tmp_path / "reading")
    try:
        with pytest.raises(WarehouseBusyError) as busy, connect(warehouse, read_only=False):
            pass
    finally:
        _stop(reader)
    message = str(busy.value)
    assert "\n" not in message
    assert message.startswith(f"Le fichier {warehouse} est ouvert par le processus {reader.pid}")
    assert "fermer cette connexion" in message


def test_a_reader_that_closes_within_the_wait_lets_the_night_through(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    duckdb.connect(str(warehouse)).close()
    reader = _hold("reader", warehouse, tmp_path / "reading", "1")
    try:
        with connect(warehouse, read_only=False) as connection:
            connection.execute("CREATE TABLE written_while_waited (x INTEGER)")
    finally:
        reader.wait()
    assert reader.returncode == 0
