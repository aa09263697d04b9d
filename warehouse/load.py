"""Staging loads: a batch of read files goes into the staging tables in ONE transaction with the
registry statuses of its files, so a file is either fully loaded and marked, or not there at all
(a killed run leaves it `received` and the next run loads it again).

DSN files are read by the map over batches (`warehouse.batches`, `warehouse.dask_map`) into
Parquet, which this single writer appends with `read_parquet`, one statement per table and one
registry update per batch (docs/dask.md). Bank files go in through Arrow, file by file. Block
tables gain a column the first time a file carries a rubric they have not seen.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import polars as pl

from warehouse.batches import (
    BATCH_FILES,
    MANIFEST,
    OUTCOME_SCHEMA,
    OUTCOMES,
    BatchFile,
    leftovers,
    plan_batches,
    staging_area_beside,
)
from warehouse.connections import block_tables, transaction
from warehouse.dask_map import PARSE_WORKERS, mapped_batches
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
from warehouse.schema import comment_table, sql_literal
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


def insert_frame(connection: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> int:
    """Append a frame to `staging.<table>` by column name, creating or widening the table."""
    if frame.is_empty():
        return 0
    connection.register("incoming_frame", frame.to_arrow())
    try:
        _append(connection, table, "incoming_frame")
    finally:
        connection.unregister("incoming_frame")
    return frame.height


def _append(connection: duckdb.DuckDBPyConnection, table: str, source: str) -> None:
    """Append the rows of `source` (a relation: a registered frame, a `read_parquet`) to
    `staging.<table>` by column name; the table is created, or widened when the rows carry a
    rubric it has not seen."""
    existing = {
        name
        for (name,) in connection.execute(
            "SELECT column_name FROM duckdb_columns() "
            "WHERE schema_name = 'staging' AND table_name = ?",
            [table],
        ).fetchall()
    }
    if not existing:
        connection.execute(f'CREATE TABLE staging."{table}" AS SELECT * FROM {source} LIMIT 0')
        _comment_staging_table(connection, table)
    else:
        incoming = connection.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
        added = [(name, column_type) for name, column_type, *_ in incoming if name not in existing]
        for name, column_type in added:
            connection.execute(f'ALTER TABLE staging."{table}" ADD COLUMN "{name}" {column_type}')
        if added:
            _comment_staging_table(connection, table)
    connection.execute(f'INSERT INTO staging."{table}" BY NAME SELECT * FROM {source}')


_DECLARED_ON_LOAD = {declared.name: declared for declared in CREATED_ON_LOAD}


def _comment_staging_table(connection: duckdb.DuckDBPyConnection, table: str) -> None:
    """Comment a staging table just created or widened: a bank table from its declaration, a
    DSN block table from the norm's labels of the columns it now has."""
    declared = _DECLARED_ON_LOAD.get(table)
    for declaration in [declared] if declared else block_tables(connection, only=table):
        comment_table(connection, declaration)


def quarantine_unreadable(
    connection: duckdb.DuckDBPyConnection,
    received: ReceivedFile,
    reason: str,
    quarantine_dir: Path,
    now: datetime,
) -> Outcome:
    quarantine_path = str(copy_to_quarantine(received, quarantine_dir, reason))
    outcome = Outcome(FileStatus.QUARANTINED, reason, quarantine_path=quarantine_path)
    record_outcome(connection, received.file_id, outcome, now)
    return outcome


def load_batch(
    connection: duckdb.DuckDBPyConnection,
    files: Sequence[ReceivedFile],
    output: Path,
    quarantine_dir: Path,
    now: datetime,
) -> dict[FileStatus, int]:
    """Load a batch's read output (`warehouse.batches.read_batch`) in ONE transaction: one
    INSERT per staging table from its Parquet file, one registry update for all its files.

    A quarantined file is copied aside with its reason first, as its status says.
    """
    manifest = json.loads((output / MANIFEST).read_text(encoding="utf-8"))
    outcomes = _with_quarantine_copies(pl.read_parquet(output / OUTCOMES), files, quarantine_dir)
    outcomes = outcomes.with_columns(processed_at=pl.lit(now))
    loaded = outcomes.filter(pl.col("status") != FileStatus.QUARANTINED.value)["file_id"]
    with transaction(connection):
        # A killed run committed nothing of its batch, but a rebuild loads known files again.
        _delete_staging_rows(connection, outcomes["file_id"].to_list())
        for table, names in manifest["tables"].items():
            if not _TABLE_NAME.fullmatch(table):
                raise ValueError(f"nom de table de staging invalide dans {output / MANIFEST}")
            # Several files only for a streamed file's table (warehouse.batches).
            for name in names:
                _append(connection, table, f"read_parquet({sql_literal(str(output / name))})")
        _mark_groups_pending(connection, loaded.to_list())
        _pause_for_crash_test(outcomes.height)
        _record_outcomes(connection, outcomes)
    statuses = outcomes["status"].value_counts()
    return {FileStatus(status): count for status, count in statuses.iter_rows()}


_TABLE_NAME = re.compile(r"[a-z0-9_]+")


def _with_quarantine_copies(
    outcomes: pl.DataFrame, files: Sequence[ReceivedFile], quarantine_dir: Path
) -> pl.DataFrame:
    by_id = {file.file_id: file for file in files}
    paths = [
        str(copy_to_quarantine(by_id[file_id], quarantine_dir, reason or ""))
        if status == FileStatus.QUARANTINED.value
        else None
        for file_id, status, reason in outcomes.select("file_id", "status", "reason").iter_rows()
    ]
    return outcomes.with_columns(quarantine_path=pl.Series(paths, dtype=pl.String()))


def _record_outcomes(connection: duckdb.DuckDBPyConnection, outcomes: pl.DataFrame) -> None:
    """Every file's terminal status of a batch in one statement."""
    connection.register("batch_outcomes", outcomes.to_arrow())
    try:
        assignments = ", ".join(f"{column} = o.{column}" for column in _OUTCOME_COLUMNS)
        connection.execute(
            f"UPDATE registry.files AS f SET {assignments} "
            "FROM batch_outcomes AS o WHERE f.file_id = o.file_id"
        )
    finally:
        connection.unregister("batch_outcomes")


_OUTCOME_COLUMNS = (
    *(column for column in OUTCOME_SCHEMA if column != "file_id"),
    "quarantine_path",
    "processed_at",
)


def staging_tables(connection: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        name
        for (name,) in connection.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'staging' ORDER BY 1"
        ).fetchall()
    ]


def _delete_staging_rows(connection: duckdb.DuckDBPyConnection, file_ids: list[str]) -> None:
    """Remove what an earlier load of these files left (a re-read: `dsnpipe rebuild --relire`).

    Only a file processed before has rows: its outcome and its rows were committed together.
    Each DELETE scans its whole table, so a night of new files does not run them: at 100,000
    employees they read every staging table once per batch, filling DuckDB's buffer pool.
    """
    processed = [
        file_id
        for (file_id,) in connection.execute(
            "SELECT file_id FROM registry.files WHERE file_id IN ? AND processed_at IS NOT NULL",
            [file_ids],
        ).fetchall()
    ]
    if not processed:
        return
    for table in staging_tables(connection):
        connection.execute(f'DELETE FROM staging."{table}" WHERE file_id IN ?', [processed])


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


def load_received_dsn_files(
    connection: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    quarantine_dir: Path,
    progress: ProgressCallback = _no_progress,
    batch_files: int = BATCH_FILES,
    parse_workers: int = PARSE_WORKERS,
    staging_area: Path | None = None,
    scheduler: str | None = None,
) -> dict[FileStatus, int]:
    """Read and load every DSN file registered but not processed yet; count files per status.

    Batches planned from the registry are read by the map (`warehouse.dask_map`: in this
    process, a LocalCluster of `parse_workers` processes, or the cluster at `scheduler`) into
    Parquet under `staging_area` (default: beside the warehouse file); this process loads each
    batch as it comes, in order, then removes its Parquet.
    """
    counts: dict[FileStatus, int] = {}
    received = _still_in_landing(
        connection, received_files(connection, landing_dir, FileKind.DSN), counts
    )
    area = staging_area or staging_area_beside(_warehouse_file(connection))
    progress(0, len(received), "")
    done = 0
    by_id = {file.file_id: file for file in received}
    for batch, output in mapped_batches(
        plan_batches(_batch_files(connection, received), batch_files),
        area,
        scheduler,
        parse_workers,
    ):
        files = [by_id[file.file_id] for file in batch.files]
        for status, count in load_batch(
            connection, files, output, quarantine_dir, datetime.now()
        ).items():
            counts[status] = counts.get(status, 0) + count
        shutil.rmtree(output)
        done += len(files)
        progress(done, len(received), files[-1].original_name)
    # What a crashed night read for files another night has loaded since: never loaded again.
    for leftover in leftovers(area):
        shutil.rmtree(leftover, ignore_errors=True)
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


def _batch_files(
    connection: duckdb.DuckDBPyConnection, received: Sequence[ReceivedFile]
) -> list[BatchFile]:
    if not received:
        return []
    sizes = dict(
        connection.execute(
            "SELECT file_id, size FROM registry.files WHERE file_id IN ?",
            [[file.file_id for file in received]],
        ).fetchall()
    )
    # Absolute: a worker of a real cluster does not run in this process's directory.
    return [BatchFile(file.file_id, file.path.absolute(), sizes[file.file_id]) for file in received]


def _warehouse_file(connection: duckdb.DuckDBPyConnection) -> Path:
    row = connection.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    if row is None or not row[0]:
        raise ValueError("entrepôt en mémoire : indiquer la zone de staging du chargement")
    return Path(row[0])


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
