"""One night at a time on a warehouse, and a clear French line when another process holds the
file: the night lock, and DuckDB's own lock waited for, then reported."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import duckdb
import pytest

from tests.warehouse.holders import hold, stop
from warehouse import lock
from warehouse.connections import connect
from warehouse.lock import NightAlreadyRunningError, WarehouseBusyError, night_lock


def test_a_second_night_is_refused_in_french_with_who_holds_the_warehouse(
    tmp_path: Path,
) -> None:
    warehouse = tmp_path / "w.duckdb"
    holder = hold("night", warehouse, tmp_path / "held")
    try:
        with pytest.raises(NightAlreadyRunningError) as refusal, night_lock(warehouse):
            pass
    finally:
        stop(holder)
    message = str(refusal.value)
    assert message.startswith("Une nuit est déjà en cours sur cet entrepôt depuis le ")
    assert f"(pid {holder.pid}, hôte {socket.gethostname()})" in message
    assert message.endswith(" : réessayer après sa fin.")


def test_a_night_killed_with_its_lock_leaves_it_to_the_next_night(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    stop(hold("night", warehouse, tmp_path / "held"))
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
    reader = hold("reader", warehouse, tmp_path / "reading")
    try:
        with pytest.raises(WarehouseBusyError) as busy, connect(warehouse, read_only=False):
            pass
    finally:
        stop(reader)
    message = str(busy.value)
    assert "\n" not in message
    assert message.startswith(f"Le fichier {warehouse} est ouvert par le processus {reader.pid}")
    assert "fermer cette connexion" in message


def test_a_reader_that_closes_within_the_wait_lets_the_night_through(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    duckdb.connect(str(warehouse)).close()
    reader = hold("reader", warehouse, tmp_path / "reading", "1")
    try:
        with connect(warehouse, read_only=False) as connection:
            connection.execute("CREATE TABLE written_while_waited (x INTEGER)")
    finally:
        reader.wait()
    assert reader.returncode == 0
