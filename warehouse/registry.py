"""The file registry: every file delivered to the landing directory, accounted for once.

A file is identified by the SHA-256 of its bytes, so a second delivery of the same content (even
renamed) is recorded as a duplicate delivery and never loaded twice, while a corrected file
(new content) is a new file. Each file ends a run in a terminal status; see `TERMINAL_STATUSES`.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

import duckdb
import polars as pl

from warehouse.connections import transaction

_HASH_CHUNK = 1 << 20


class FileKind(StrEnum):
    DSN = "dsn"
    BANK = "bank"
    REFERENCE = "reference"
    PORTAL = "portal"
    UNKNOWN = "unknown"


class FileStatus(StrEnum):
    RECEIVED = "received"  # registered, not processed yet: the only non-terminal status
    LOADED = "loaded"
    LOADED_WITH_DIAGNOSTICS = "loaded_with_diagnostics"
    QUARANTINED = "quarantined"
    REGISTERED = "registered"  # kept for the domain that reads it (reference, portal files)
    DUPLICATE = "duplicate"  # status of a delivery whose content was already received


TERMINAL_STATUSES = frozenset(FileStatus) - {FileStatus.RECEIVED}


@dataclass(frozen=True)
class LandingFile:
    path: Path
    landing_path: str  # relative to the landing directory, with "/" separators
    size: int
    mtime: float


@dataclass(frozen=True)
class ReceivedFile:
    file_id: str
    kind: FileKind
    path: Path
    original_name: str


@dataclass
class RegistrationCounts:
    new_files: int = 0
    duplicates: int = 0


def scan_landing(landing_dir: Path) -> list[LandingFile]:
    """Every complete file under the landing directory, in path order.

    Hidden files and `*.part` / `*.tmp` files are uploads still in progress: they are picked up
    once renamed to their final name.
    """
    files = []
    for path in sorted(landing_dir.rglob("*")):
        relative_path = path.relative_to(landing_dir)
        if (
            not path.is_file()
            or _is_in_progress(relative_path)
            or relative_path.parts[0] in _NOT_LANDING
        ):
            continue
        stat = path.stat()
        files.append(LandingFile(path, relative_path.as_posix(), stat.st_size, stat.st_mtime))
    return files


def _is_in_progress(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts) or relative.suffix in {
        ".part",
        ".tmp",
    }


# The synthetic generator writes the expected results next to its landing sub-directories; they
# are for tests to compare against, never input.
_NOT_LANDING = {"truth"}


def content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def detect_kind(landing_path: str, head: bytes) -> FileKind:
    """The landing sub-directory says the kind; at the top level, the first bytes do."""
    top = landing_path.split("/", 1)[0] if "/" in landing_path else ""
    if top in {kind.value for kind in FileKind if kind is not FileKind.UNKNOWN}:
        return FileKind(top)
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith((b"S10.G00.00", b"S05.G51.00")):
        return FileKind.DSN
    if text.startswith(b"<?xml") and any(
        marker in head for marker in (b"camt.053", b"camt.054", b"pain.002")
    ):
        return FileKind.BANK
    return FileKind.UNKNOWN


def register_deliveries(
    connection: duckdb.DuckDBPyConnection, landing_dir: Path, now: datetime
) -> RegistrationCounts:
    """Record every landing file not seen yet; new content is `received`, known content a duplicate.

    Files already recorded with the same path, size and modification time are not hashed again,
    which keeps a night proportional to what arrived. Decisions are taken in memory and written
    in one transaction: a night of thousands of files is not thousands of commits.
    """
    seen = set(
        connection.execute("SELECT landing_path, size, mtime FROM registry.deliveries").fetchall()
    )
    delivered = set(
        connection.execute("SELECT landing_path, file_id FROM registry.deliveries").fetchall()
    )
    known_contents = {
        file_id
        for (file_id,) in connection.execute("SELECT file_id FROM registry.files").fetchall()
    }
    new_deliveries: list[tuple[object, ...]] = []
    touched_deliveries: list[tuple[object, ...]] = []
    new_files: list[tuple[object, ...]] = []
    counts = RegistrationCounts()
    for landing_file in scan_landing(landing_dir):
        if (landing_file.landing_path, landing_file.size, landing_file.mtime) in seen:
            continue
        file_id = content_hash(landing_file.path)
        if (landing_file.landing_path, file_id) in delivered:
            # Same path and content, touched again (mtime changed): nothing new arrived.
            touched_deliveries.append(
                (landing_file.size, landing_file.mtime, landing_file.landing_path, file_id)
            )
            continue
        is_duplicate = file_id in known_contents
        new_deliveries.append(
            (
                landing_file.landing_path,
                file_id,
                landing_file.size,
                landing_file.mtime,
                now,
                is_duplicate,
            )
        )
        delivered.add((landing_file.landing_path, file_id))
        if is_duplicate:
            counts.duplicates += 1
            continue
        with landing_file.path.open("rb") as stream:
            kind = detect_kind(landing_file.landing_path, stream.read(4096))
        new_files.append(
            (
                file_id,
                kind.value,
                landing_file.size,
                landing_file.path.name,
                landing_file.landing_path,
                now,
                FileStatus.RECEIVED.value,
            )
        )
        known_contents.add(file_id)
        counts.new_files += 1
    with transaction(connection):
        if touched_deliveries:
            connection.executemany(
                "UPDATE registry.deliveries SET size = ?, mtime = ? "
                "WHERE landing_path = ? AND file_id = ?",
                touched_deliveries,
            )
        _insert_rows(connection, "registry.deliveries", _DELIVERY_COLUMNS, new_deliveries)
        _insert_rows(connection, "registry.files", _NEW_FILE_COLUMNS, new_files)
    return counts


_DELIVERY_COLUMNS = ("landing_path", "file_id", "size", "mtime", "seen_at", "is_duplicate")
_NEW_FILE_COLUMNS = (
    "file_id",
    "kind",
    "size",
    "original_name",
    "landing_path",
    "received_at",
    "status",
)


def _insert_rows(
    connection: duckdb.DuckDBPyConnection,
    table: str,
    columns: tuple[str, ...],
    rows: list[tuple[object, ...]],
) -> None:
    """Bulk insert through Arrow (one scan) rather than one statement per row."""
    if not rows:
        return
    frame = pl.DataFrame(rows, schema=list(columns), orient="row")
    connection.register("incoming_rows", frame.to_arrow())
    try:
        connection.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM incoming_rows"
        )
    finally:
        connection.unregister("incoming_rows")


def received_files(
    connection: duckdb.DuckDBPyConnection, landing_dir: Path, kind: FileKind | None = None
) -> list[ReceivedFile]:
    """Files registered but not processed yet, in a stable order (content hash)."""
    query = "SELECT file_id, kind, landing_path, original_name FROM registry.files WHERE status = ?"
    parameters: list[object] = [FileStatus.RECEIVED.value]
    if kind is not None:
        query += " AND kind = ?"
        parameters.append(kind.value)
    rows = connection.execute(query + " ORDER BY file_id", parameters).fetchall()
    return [
        ReceivedFile(file_id, FileKind(kind_value), landing_dir / landing_path, name)
        for file_id, kind_value, landing_path, name in rows
    ]


@dataclass(frozen=True)
class Outcome:
    """What processing a file concluded, written to the registry with the file's data."""

    status: FileStatus
    reason: str | None = None
    encoding: str | None = None
    norm: str | None = None
    declarations: int | None = None
    declarations_rejected: int | None = None
    errors: int | None = None
    warnings: int | None = None
    rows_loaded: int | None = None
    quarantine_path: str | None = None


def record_outcome(
    connection: duckdb.DuckDBPyConnection, file_id: str, outcome: Outcome, now: datetime
) -> None:
    """Write a file's terminal status; the caller holds the transaction that loaded its data."""
    connection.execute(
        """
        UPDATE registry.files SET
            status = ?, reason = ?, encoding = ?, norm = ?, declarations = ?,
            declarations_rejected = ?, errors = ?, warnings = ?, rows_loaded = ?,
            quarantine_path = ?, processed_at = ?
        WHERE file_id = ?
        """,
        [
            outcome.status.value,
            outcome.reason,
            outcome.encoding,
            outcome.norm,
            outcome.declarations,
            outcome.declarations_rejected,
            outcome.errors,
            outcome.warnings,
            outcome.rows_loaded,
            outcome.quarantine_path,
            now,
            file_id,
        ],
    )


def copy_to_quarantine(received: ReceivedFile, quarantine_dir: Path, reason: str) -> Path:
    """Copy a rejected file next to a note saying why, for a person to fix and re-deliver.

    The landing copy stays where it is: the landing directory is the delivery record, and the
    registry already knows this content is quarantined.
    """
    quarantine_dir.mkdir(parents=True, exist_ok=True)
    target = quarantine_dir / f"{received.file_id[:16]}_{received.original_name}"
    shutil.copyfile(received.path, target)
    target.with_name(target.name + ".motif.txt").write_text(
        f"Fichier : {received.original_name}\nEmpreinte SHA-256 : {received.file_id}\n"
        f"Motif : {reason}\n"
        "Corriger le fichier puis le déposer à nouveau dans le répertoire d'arrivée.\n",
        encoding="utf-8",
    )
    return target


def mark_for_reload(
    connection: duckdb.DuckDBPyConnection, landing_dir: Path, kinds: tuple[FileKind, ...]
) -> tuple[int, int]:
    """Set back to `received` every processed file of these kinds still in the landing directory,
    so the next load reads it again (after a reader fix, say); return (reset, missing) counts.

    A file no longer in the landing directory keeps its status and its staging rows.
    """
    rows = connection.execute(
        "SELECT file_id, landing_path FROM registry.files WHERE kind IN ? AND status <> ?",
        [[kind.value for kind in kinds], FileStatus.RECEIVED.value],
    ).fetchall()
    present = [file_id for file_id, path in rows if (landing_dir / path).is_file()]
    if present:
        connection.execute(
            "UPDATE registry.files SET status = ?, reason = NULL WHERE file_id IN ?",
            [FileStatus.RECEIVED.value, present],
        )
    return len(present), len(rows) - len(present)
