"""The landing directory under faults: links never followed, special files never opened, a file
that vanishes or cannot be read never stops the others, and every entry ends with a reason."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from tests.warehouse.helpers import AUGUST_2019, SEPTEMBER_2019, deliver
from warehouse import load, registry
from warehouse.registry import FileKind, FileStatus, ReceivedFile


def statuses(connection: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str | None]]:
    rows = connection.execute("SELECT landing_path, status, reason FROM registry.landing_status")
    return {path: (status, reason) for path, status, reason in rows.fetchall()}


def test_links_are_never_followed_whatever_they_point_to(tmp_path: Path) -> None:
    landing, outside = tmp_path / "landing", tmp_path / "ailleurs"
    deliver(landing, "vrai.dsn", AUGUST_2019)
    deliver(outside, "cache.dsn", SEPTEMBER_2019)
    (landing / "dsn" / "passwd.dsn").symlink_to("/etc/passwd")
    (landing / "dsn" / "externe.dsn").symlink_to(outside / "dsn" / "cache.dsn")
    (landing / "dossier").symlink_to(outside)  # a DSN inside it must not be found either
    (landing / "dsn" / "casse.dsn").symlink_to(tmp_path / "absent")

    files, ignored = registry.scan_landing_entries(landing)

    assert [f.landing_path for f in files] == ["dsn/vrai.dsn"]
    assert {e.landing_path: e.entry_type for e in ignored} == {
        "dsn/passwd.dsn": "symlink",
        "dsn/externe.dsn": "symlink",
        "dossier": "symlink",
        "dsn/casse.dsn": "symlink",
    }
    assert all("jamais suivi" in e.reason for e in ignored)
    assert registry.landing_paths(landing) == ["dsn/vrai.dsn"]  # the night's check's listing


def test_a_fifo_is_ignored_without_being_opened(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    (landing / "dsn").mkdir(parents=True)
    os.mkfifo(landing / "dsn" / "tube.dsn")  # opening it for reading would block the night
    files, ignored = registry.scan_landing_entries(landing)
    assert files == []
    assert [(e.landing_path, e.entry_type) for e in ignored] == [("dsn/tube.dsn", "special")]
    assert registry.landing_paths(landing) == []


def test_the_listing_of_paths_is_the_scan_s_files(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    deliver(landing, "b.dsn", AUGUST_2019)
    deliver(landing, "a.dsn", SEPTEMBER_2019)
    (landing / "dsn" / "envoi.dsn.part").write_bytes(b"en cours")
    (landing / "dsn" / ".cache").write_bytes(b"cache")
    (landing / "bank" / "mois").mkdir(parents=True)
    (landing / "bank" / "mois" / "releve.xml").write_bytes(b"<x/>")
    files, _ = registry.scan_landing_entries(landing)
    assert registry.landing_paths(landing) == [f.landing_path for f in files]
    assert [f.landing_path for f in files] == ["bank/mois/releve.xml", "dsn/a.dsn", "dsn/b.dsn"]


def test_an_io_error_on_one_file_does_not_stop_the_others(
    landing: Path,
    warehouse: duckdb.DuckDBPyConnection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deliver(landing, "aout.dsn", AUGUST_2019)
    broken = deliver(landing, "disque_abime.dsn", SEPTEMBER_2019)
    hash_and_head = registry._hash_and_head

    def failing(path: Path) -> tuple[str, bytes]:
        if path == broken:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        return hash_and_head(path)

    monkeypatch.setattr(registry, "_hash_and_head", failing)
    counts = registry.register_deliveries(warehouse, landing, datetime.now())

    assert (counts.new_files, counts.ignored) == (1, 1)
    found = statuses(warehouse)
    assert found["dsn/aout.dsn"][0] == "received"
    status, reason = found["dsn/disque_abime.dsn"]
    assert status == "ignored" and reason is not None
    assert "erreur d'entrée-sortie" in reason and "prochaine nuit" in reason

    monkeypatch.setattr(registry, "_hash_and_head", hash_and_head)  # the disk recovered
    registry.register_deliveries(warehouse, landing, datetime.now())
    assert statuses(warehouse)["dsn/disque_abime.dsn"][0] == "received"


def test_a_file_removed_after_registration_ends_ignored_and_the_night_goes_on(
    landing: Path,
    tmp_path: Path,
    warehouse: duckdb.DuckDBPyConnection,
    night: Callable[[], None],
) -> None:
    deliver(landing, "aout.dsn", AUGUST_2019)
    gone = deliver(landing, "parti.dsn", SEPTEMBER_2019)
    unknown = deliver(landing, "inconnu.bin", b"\x00\x01", kind="autre")
    registry.register_deliveries(warehouse, landing, datetime.now())
    gone.unlink()
    unknown.unlink()

    night()  # FileNotFoundError in copy_to_quarantine used to fail this night and every next

    found = statuses(warehouse)
    assert found["dsn/aout.dsn"][0] == "loaded_with_diagnostics"
    assert found["dsn/parti.dsn"][0] == "ignored"
    assert "disparu" in (found["dsn/parti.dsn"][1] or "")
    assert found["autre/inconnu.bin"][0] == "ignored"
    assert {s for s, _ in found.values()} <= registry.TERMINAL_STATUSES

    deliver(landing, "parti.dsn", SEPTEMBER_2019)  # the same content delivered again is read
    night()
    assert statuses(warehouse)["dsn/parti.dsn"][0] == "loaded_with_diagnostics"


def test_a_file_swapped_for_a_link_after_registration_is_not_read(
    landing: Path, tmp_path: Path, warehouse: duckdb.DuckDBPyConnection
) -> None:
    swapped = deliver(landing, "echange.dsn", AUGUST_2019)
    registry.register_deliveries(warehouse, landing, datetime.now())
    swapped.unlink()
    swapped.symlink_to("/etc/passwd")

    counts = load.load_received_dsn_files(warehouse, landing, tmp_path / "quarantine")

    assert counts == {FileStatus.IGNORED: 1}
    status, reason = statuses(warehouse)["dsn/echange.dsn"]
    assert status == "ignored" and "Lien symbolique" in (reason or "")
    assert not (tmp_path / "quarantine").exists()


def test_quarantining_a_vanished_file_writes_its_note_alone(tmp_path: Path) -> None:
    received = ReceivedFile("ab" * 32, FileKind.DSN, tmp_path / "absent.dsn", "absent.dsn")
    copy = registry.copy_to_quarantine(received, tmp_path / "quarantine", "Motif d'essai.")
    assert not copy.exists()
    note = copy.with_name(copy.name + ".motif.txt").read_text("utf-8")
    assert "Motif d'essai." in note and "Copie en quarantaine impossible" in note


def test_ignored_entries_are_recorded_once_however_often_the_night_runs(
    landing: Path, warehouse: duckdb.DuckDBPyConnection
) -> None:
    deliver(landing, "envoi.dsn.part", AUGUST_2019)
    (landing / "dsn" / "lien.dsn").symlink_to("/etc/passwd")
    for _ in range(2):
        registry.register_deliveries(warehouse, landing, datetime.now())
    rows = warehouse.execute(
        "SELECT landing_path, entry_type FROM registry.ignored_entries ORDER BY 1"
    ).fetchall()
    assert rows == [("dsn/envoi.dsn.part", "partial"), ("dsn/lien.dsn", "symlink")]
