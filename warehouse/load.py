"""Staging loads: a batch of parsed files goes into the staging tables in ONE transaction with the
registry statuses of its files, so a file is either fully loaded and marked, or not there at all
(a killed run leaves it `received` and the next run loads it again).

Frames go in through Arrow (DuckDB scans them in bulk); block tables gain a column the first time
a file carries a rubric they have not seen.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import polars as pl

from dsn_parser.model import DeclarationStatus, ParsedFile, Severity
from dsn_parser.streaming import in_order
from warehouse.connections import block_tables, transaction
from warehouse.registry import (
    FileKind,
    FileStatus,
    Outcome,
    ReceivedFile,
    copy_to_quarantine,
    received_files,
    record_outcome,
    vanished_outcome,
)
from warehouse.schema import comment_table
from warehouse.tables.staging import CREATED_ON_LOAD

if TYPE_CHECKING:
    from payment_files import PaymentFileResult

# A crash test sets these: when loading the N-th file of the process, inside its transaction,
# loading creates the marker file and sleeps, so the test can kill the process at a known point
# in the middle of a night (see tests/pipelines/test_run_killed.py). They are read here, not in
# `pipelines.settings`, because they are a test's instrument inside a real `dsnpipe run`
# subprocess, not a setting of the pipeline: no option, resource or document should offer them.
CRASH_TEST_PAUSE_ENV = "DSNPIPE_CRASH_TEST_PAUSE_FILE"
CRASH_TEST_PAUSE_AT_ENV = "DSNPIPE_CRASH_TEST_PAUSE_AT"
_files_loaded_by_this_process = 0


def block_table_name(block: str) -> str:
    """`S21.G00.30` -> `s21_g00_30` (in schema `staging`)."""
    return block.lower().replace(".", "_")


def insert_frame(connection: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> int:
    """Append a frame to `staging.<table>` by column name, creating or widening the table."""
    if frame.is_empty():
        return 0
    connection.register("incoming_frame", frame.to_arrow())
    try:
        existing = {
            name
            for (name,) in connection.execute(
                "SELECT column_name FROM duckdb_columns() "
                "WHERE schema_name = 'staging' AND table_name = ?",
                [table],
            ).fetchall()
        }
        if not existing:
            connection.execute(
                f'CREATE TABLE staging."{table}" AS SELECT * FROM incoming_frame LIMIT 0'
            )
            _comment_staging_table(connection, table)
        elif set(frame.columns) - existing:
            incoming_types = connection.execute("DESCRIBE SELECT * FROM incoming_frame").fetchall()
            for name, column_type, *_ in incoming_types:
                if name not in existing:
                    connection.execute(
                        f'ALTER TABLE staging."{table}" ADD COLUMN "{name}" {column_type}'
                    )
            _comment_staging_table(connection, table)
        connection.execute(f'INSERT INTO staging."{table}" BY NAME SELECT * FROM incoming_frame')
    finally:
        connection.unregister("incoming_frame")
    return frame.height


_DECLARED_ON_LOAD = {declared.name: declared for declared in CREATED_ON_LOAD}


def _comment_staging_table(connection: duckdb.DuckDBPyConnection, table: str) -> None:
    """Comment a staging table just created or widened: a bank table from its declaration, a
    DSN block table from the norm's labels of the columns it now has."""
    declared = _DECLARED_ON_LOAD.get(table)
    for declaration in [declared] if declared else block_tables(connection, only=table):
        comment_table(connection, declaration)


def outcome_of(parsed: Sequence[ParsedFile]) -> tuple[FileStatus, str | None]:
    """Loaded, loaded with diagnostics, or quarantined (unreadable / every declaration rejected)."""
    declarations = pl.concat([p.declarations for p in parsed]) if parsed else None
    if declarations is None or declarations.is_empty():
        return FileStatus.QUARANTINED, _unreadable_reason(parsed) or (
            "Aucune déclaration lisible dans le fichier (ni S10 ni S20 exploitables) : "
            "vérifier qu'il s'agit bien d'une DSN complète."
        )
    rejected = int((declarations["status"] == DeclarationStatus.REJECTED).sum())
    errors = sum(_count(p.diagnostics, Severity.ERROR) for p in parsed)
    warnings = sum(_count(p.diagnostics, Severity.WARNING) for p in parsed)
    if rejected == declarations.height:
        return FileStatus.QUARANTINED, (
            f"Toutes les déclarations sont rejetées ({rejected}) : "
            f"{errors} erreur(s) bloquante(s), {_first_error_codes(parsed)}. "
            "Voir le compte rendu (dsnpipe validate)."
        )
    if rejected or errors or warnings:
        return FileStatus.LOADED_WITH_DIAGNOSTICS, (
            f"{rejected} déclaration(s) rejetée(s) sur {declarations.height}, "
            f"{errors} erreur(s), {warnings} avertissement(s)."
        )
    return FileStatus.LOADED, None


def _unreadable_reason(parsed: Sequence[ParsedFile]) -> str | None:
    """The reader's own French words on why it read nothing (archive refused or corrupt, no
    line ends, no S10 block): they say what to fix."""
    for p in parsed:
        messages = p.diagnostics.filter(pl.col("code") == "FILE-UNREADABLE")["message"]
        if not messages.is_empty() and messages[0]:
            return f"FILE-UNREADABLE : {messages[0]}"
    return None


def _count(diagnostics: pl.DataFrame, severity: Severity) -> int:
    return int((diagnostics["severity"] == severity.value).sum())


def _first_error_codes(parsed: Sequence[ParsedFile]) -> str:
    codes = sorted(
        {
            code
            for p in parsed
            for code in p.diagnostics.filter(pl.col("severity") == Severity.ERROR.value)["code"]
            if code is not None
        }
    )
    shown = ", ".join(codes[:5]) + (" …" if len(codes) > 5 else "")
    return f"codes {shown}" if codes else "sans code d'erreur détaillé"


@dataclass
class _PreparedFile:
    """A delivered DSN read and judged, waiting to be written with its batch."""

    received: ReceivedFile
    parsed: list[ParsedFile]
    outcome: Outcome


def prepare_dsn(
    received: ReceivedFile, parsed: Sequence[ParsedFile], quarantine_dir: Path
) -> _PreparedFile:
    """Decide a parsed file's status; a quarantined file is copied aside with its reason."""
    status, reason = outcome_of(parsed)
    quarantine_path = None
    if status is FileStatus.QUARANTINED:
        quarantine_path = str(copy_to_quarantine(received, quarantine_dir, reason or ""))
    return _PreparedFile(received, list(parsed), _outcome(status, reason, parsed, quarantine_path))


def prepare_unreadable(received: ReceivedFile, reason: str, quarantine_dir: Path) -> _PreparedFile:
    quarantine_path = str(copy_to_quarantine(received, quarantine_dir, reason))
    return _PreparedFile(
        received, [], Outcome(FileStatus.QUARANTINED, reason, quarantine_path=quarantine_path)
    )


def write_batch(
    connection: duckdb.DuckDBPyConnection, batch: Sequence[_PreparedFile], now: datetime
) -> None:
    """Write a batch of files to staging and their statuses to the registry in ONE transaction.

    Frames of the whole batch are concatenated per table first: DuckDB appends a few large
    Arrow tables much faster than many small ones.
    """
    loaded = [p for f in batch if f.outcome.status is not FileStatus.QUARANTINED for p in f.parsed]
    every_parsed = [p for f in batch for p in f.parsed]
    file_ids = [p.file_id for p in every_parsed]
    with transaction(connection):
        # A killed run committed nothing of its batch, but a rebuild loads known files again.
        _delete_staging_rows(connection, file_ids)
        _insert_frames(connection, "diagnostics", [p.diagnostics for p in every_parsed])
        _insert_frames(connection, "declarations", [p.declarations for p in loaded])
        for block in sorted({block for p in loaded for block in p.blocks}):
            frames = [p.blocks[block] for p in loaded if block in p.blocks]
            _insert_frames(connection, block_table_name(block), frames)
        _mark_groups_pending(connection, [p.file_id for p in loaded])
        _pause_for_crash_test(len(batch))
        for prepared in batch:
            record_outcome(connection, prepared.received.file_id, prepared.outcome, now)


def _insert_frames(
    connection: duckdb.DuckDBPyConnection, table: str, frames: Sequence[pl.DataFrame]
) -> int:
    frames = [frame for frame in frames if not frame.is_empty()]
    if not frames:
        return 0
    return insert_frame(connection, table, pl.concat(frames, how="diagonal_relaxed"))


def quarantine_unreadable(
    connection: duckdb.DuckDBPyConnection,
    received: ReceivedFile,
    reason: str,
    quarantine_dir: Path,
    now: datetime,
) -> Outcome:
    prepared = prepare_unreadable(received, reason, quarantine_dir)
    record_outcome(connection, received.file_id, prepared.outcome, now)
    return prepared.outcome


def _outcome(
    status: FileStatus,
    reason: str | None,
    parsed: Sequence[ParsedFile],
    quarantine_path: str | None,
) -> Outcome:
    if not parsed:
        return Outcome(status, reason, quarantine_path=quarantine_path)
    declarations = pl.concat([p.declarations for p in parsed])
    loaded = status is not FileStatus.QUARANTINED
    return Outcome(
        status=status,
        reason=reason,
        encoding=parsed[0].encoding,
        norm=parsed[0].norm,
        declarations=declarations.height,
        declarations_rejected=int((declarations["status"] == DeclarationStatus.REJECTED).sum()),
        errors=sum(_count(p.diagnostics, Severity.ERROR) for p in parsed),
        warnings=sum(_count(p.diagnostics, Severity.WARNING) for p in parsed),
        rows_loaded=sum(p.lines.height for p in parsed) if loaded else 0,
        quarantine_path=quarantine_path,
    )


def staging_tables(connection: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        name
        for (name,) in connection.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'staging' ORDER BY 1"
        ).fetchall()
    ]


def _delete_staging_rows(connection: duckdb.DuckDBPyConnection, file_ids: list[str]) -> None:
    for table in staging_tables(connection):
        connection.execute(f'DELETE FROM staging."{table}" WHERE file_id IN ?', [file_ids])


def _mark_groups_pending(connection: duckdb.DuckDBPyConnection, file_ids: list[str]) -> None:
    """The (SIRET, month) groups these files' declarations belong to must be recomputed."""
    connection.execute(
        """
        INSERT INTO core.pending_groups
        SELECT DISTINCT siret, month FROM staging.declarations WHERE file_id IN ?
        """,
        [file_ids],
    )


def _pause_for_crash_test(files_in_batch: int) -> None:
    global _files_loaded_by_this_process
    before = _files_loaded_by_this_process
    _files_loaded_by_this_process += files_in_batch
    marker = os.environ.get(CRASH_TEST_PAUSE_ENV)
    pause_at = int(os.environ.get(CRASH_TEST_PAUSE_AT_ENV, "1"))
    if marker and before < pause_at <= _files_loaded_by_this_process:
        Path(marker).touch()
        time.sleep(3600)


# (files done, files to do, what is being done) -> None; the CLI draws a progress bar with it.
ProgressCallback = Callable[[int, int, str], None]


def _no_progress(done: int, total: int, label: str) -> None:
    return None


# A batch is written when it holds this many files or this many DSN lines, whichever first:
# large enough for bulk appends, small enough to bound memory and the work a crash loses.
# BATCH_FILES is the default of the setting `load_batch_files` (`pipelines.settings`).
BATCH_FILES = 200
BATCH_LINES = 2_000_000
# Parsing is pure Python/Polars and independent per file: on a large night it runs in worker
# processes while this one writes to DuckDB; the default of the setting `parse_workers`.
PARSE_WORKERS = os.cpu_count() or 1


def load_received_dsn_files(
    connection: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    quarantine_dir: Path,
    progress: ProgressCallback = _no_progress,
    batch_files: int = BATCH_FILES,
    parse_workers: int = PARSE_WORKERS,
) -> dict[FileStatus, int]:
    """Parse and load every DSN file registered but not processed yet; count files per status."""
    counts: dict[FileStatus, int] = {}
    received = _still_in_landing(
        connection, received_files(connection, landing_dir, FileKind.DSN), counts
    )
    batch: list[_PreparedFile] = []
    parsed_files = _parse_all(received, parse_workers)
    for done, (file, parsed) in enumerate(zip(received, parsed_files, strict=True)):
        progress(done, len(received), file.original_name)
        if isinstance(parsed, str):
            reason = (
                f"Fichier illisible par le lecteur DSN ({parsed}) : vérifier qu'il s'agit "
                "d'une DSN au format NEODeS, non tronquée."
            )
            prepared = prepare_unreadable(file, reason, quarantine_dir)
        else:
            prepared = prepare_dsn(file, parsed, quarantine_dir)
        batch.append(prepared)
        counts[prepared.outcome.status] = counts.get(prepared.outcome.status, 0) + 1
        lines = sum(p.lines.height for f in batch for p in f.parsed)
        if len(batch) >= batch_files or lines >= BATCH_LINES:
            write_batch(connection, batch, datetime.now())
            batch = []
    if batch:
        write_batch(connection, batch, datetime.now())
    progress(len(received), len(received), "")
    return counts


def _still_in_landing(
    connection: duckdb.DuckDBPyConnection,
    files: Sequence[ReceivedFile],
    counts: dict[FileStatus, int],
) -> list[ReceivedFile]:
    """The files still there to be read; one that vanished or was swapped for a link or a
    special file since it was registered is recorded as ignored, with its reason."""
    present = []
    for file in files:
        outcome = vanished_outcome(file)
        if outcome is None:
            present.append(file)
            continue
        record_outcome(connection, file.file_id, outcome, datetime.now())
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    return present


# Small nights parse inline: workers cost a start-up.
_PARALLEL_FROM_FILES = 40


def _parse_all(files: Sequence[ReceivedFile], workers: int) -> Iterator[list[ParsedFile] | str]:
    """The parsed files in the order given; an exception's class name when the reader failed."""
    paths = [file.path for file in files]
    if workers <= 1 or len(paths) < _PARALLEL_FROM_FILES:
        yield from map(_parse_one, paths)
        return
    # spawn, not fork: this process holds DuckDB and Polars thread pools, which fork would copy
    # in an undefined state. A bounded window of pending files keeps memory flat.
    window = workers * 4
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        yield from in_order(pool, _parse_one, paths, window=window)


def _parse_one(path: Path) -> list[ParsedFile] | str:
    from dsn_parser import parse  # the reader is heavy to import; only loading needs it

    try:
        return parse(path)
    except Exception as error:  # any reader failure quarantines the file, the night goes on
        return type(error).__name__


def register_files_of_other_domains(
    connection: duckdb.DuckDBPyConnection, landing_dir: Path, quarantine_dir: Path
) -> dict[FileStatus, int]:
    """Reference and portal files are kept for their domains; unknown files are quarantined."""
    counts: dict[FileStatus, int] = {}
    for file in _still_in_landing(connection, received_files(connection, landing_dir), counts):
        now = datetime.now()
        if file.kind in (FileKind.REFERENCE, FileKind.PORTAL):
            outcome = Outcome(
                FileStatus.REGISTERED,
                f"Fichier {_KIND_LABELS[file.kind]} enregistré, "
                "exploité par son propre traitement.",
            )
            record_outcome(connection, file.file_id, outcome, now)
        elif file.kind is FileKind.UNKNOWN:
            reason = (
                "Type de fichier non reconnu : déposer les DSN dans dsn/, les fichiers bancaires "
                "dans bank/, les référentiels dans reference/ et les fichiers du portail dans "
                "portal/."
            )
            outcome = quarantine_unreadable(connection, file, reason, quarantine_dir, now)
        else:
            continue
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    return counts


_KIND_LABELS = {FileKind.REFERENCE: "référentiel", FileKind.PORTAL: "du portail"}


def load_received_bank_files(
    connection: duckdb.DuckDBPyConnection, landing_dir: Path, quarantine_dir: Path
) -> dict[FileStatus, int]:
    """Load every bank file registered but not processed yet into the `staging.bank_*` tables."""
    from payment_files import read_payment_file

    counts: dict[FileStatus, int] = {}
    received = received_files(connection, landing_dir, FileKind.BANK)
    for file in _still_in_landing(connection, received, counts):
        result = read_payment_file(file.path)
        outcome = _load_bank_result(connection, file, result, quarantine_dir, datetime.now())
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    return counts


def _load_bank_result(
    connection: duckdb.DuckDBPyConnection,
    file: ReceivedFile,
    result: PaymentFileResult,
    quarantine_dir: Path,
    now: datetime,
) -> Outcome:
    from payment_files import (
        Severity as BankSeverity,
    )
    from payment_files import (
        diagnostics_frame,
        returns_frame,
        statements_frame,
        transactions_frame,
    )

    errors = sum(d.severity is BankSeverity.ERROR for d in result.diagnostics)
    warnings = len(result.diagnostics) - errors
    reason: str | None = None
    if errors and not (result.transactions or result.returns or result.statements):
        status = FileStatus.QUARANTINED
        codes = ", ".join(sorted({d.code for d in result.diagnostics})[:5])
        reason = (
            f"Fichier bancaire inexploitable ({codes}) : vérifier le format (camt.053, "
            "camt.054, CFONB 120, pain.002) et que le fichier est complet."
        )
    elif errors or warnings:
        status = FileStatus.LOADED_WITH_DIAGNOSTICS
        reason = f"{errors} erreur(s), {warnings} avertissement(s)."
    else:
        status = FileStatus.LOADED
    quarantine_path = None
    if status is FileStatus.QUARANTINED:
        quarantine_path = str(copy_to_quarantine(file, quarantine_dir, reason or ""))
    with transaction(connection):
        existing = set(staging_tables(connection))
        for table in _BANK_TABLES:
            if table in existing:
                connection.execute(f"DELETE FROM staging.{table} WHERE file_id = ?", [file.file_id])
        rows = insert_frame(connection, "bank_diagnostics", diagnostics_frame(result))
        if status is not FileStatus.QUARANTINED:
            rows += insert_frame(connection, "bank_transactions", transactions_frame(result))
            rows += insert_frame(connection, "bank_returns", returns_frame(result))
            rows += insert_frame(connection, "bank_statements", statements_frame(result))
        outcome = Outcome(
            status,
            reason,
            errors=errors,
            warnings=warnings,
            rows_loaded=rows,
            quarantine_path=quarantine_path,
        )
        record_outcome(connection, file.file_id, outcome, now)
    return outcome


_BANK_TABLES = ("bank_diagnostics", "bank_transactions", "bank_returns", "bank_statements")
