"""A landing of good, malformed and quarantined DSN files, and what a load of it leaves in a
warehouse: shared by the tests and the bench of the map over batches."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import duckdb

from tests.warehouse.helpers import FIXTURES, KEUWA, deliver, registry_snapshot, staging_snapshot
from warehouse import load, registry

NEGATIVE = FIXTURES / "dsn" / "negative"
NONCONFORMANT = NEGATIVE / "neobloblo_opendsn_example_NONCONFORMANT_no_quotes.dsn"


def mixed_landing(root: Path, good_files: int = 5) -> Path:
    """Real monthly files (a duplicate among them), a file without quotes, bytes that are no
    DSN, an empty file, a truncated file."""
    landing = root / "landing"
    sources = sorted(KEUWA.glob("*.dsn"))
    for source in sources[:good_files]:
        deliver(landing, source.name, source)
    deliver(landing, "sans_quotes.dsn", NONCONFORMANT)
    deliver(landing, "pas_une_dsn.dsn", b"\x00\x01 ceci n'est pas une DSN \xff" * 40)
    deliver(landing, "vide.dsn", b"")
    deliver(landing, "tronquee.dsn", sources[0].read_bytes()[:700])
    return landing


def copy_landing(landing: Path, root: Path) -> Path:
    target = root / "landing"
    shutil.copytree(landing, target)
    return target


def register(connection: duckdb.DuckDBPyConnection, landing: Path) -> None:
    registry.register_deliveries(connection, landing, datetime(2026, 1, 15))


def warehouse_state(connection: duckdb.DuckDBPyConnection) -> tuple[object, ...]:
    """Every staging table row for row (sorted), every file's status, reason and counts."""
    files = connection.execute(
        "SELECT file_id, status, reason, encoding, norm, declarations, declarations_rejected, "
        "errors, warnings, rows_loaded, quarantine_path IS NOT NULL FROM registry.files "
        "ORDER BY file_id"
    ).fetchall()
    pending = connection.execute("SELECT DISTINCT * FROM core.pending_groups ORDER BY ALL")
    return staging_snapshot(connection), registry_snapshot(connection), files, pending.fetchall()


def load_dsn(
    connection: duckdb.DuckDBPyConnection,
    landing: Path,
    root: Path,
    *,
    scheduler: str | None = None,
    batch_files: int = 3,
    progress: load.ProgressCallback | None = None,
) -> dict[registry.FileStatus, int]:
    return load.load_received_dsn_files(
        connection,
        landing,
        root / "quarantine",
        progress or (lambda done, total, label: None),
        batch_files=batch_files,
        scheduler=scheduler,
    )
