"""The read stage of the DSN load as a map over batches: plan batches of received files, then
read each batch into Parquet files under the warehouse's staging area, one file per staging
table per batch plus the files' outcomes (see docs/dask.md).

Reading a batch touches no database: it runs in this process or on any Dask worker that sees
the landing directory and the staging area. Its output is a directory named from the batch's
manifest (the content hashes of its files), written under a temporary name and renamed when
complete: a batch read again after a crash finds its complete output and reuses it, or finds
nothing and writes the same files again. The single writer then loads each directory
(`warehouse.load`) and removes it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

from dsn_parser.batch import MAX_GROUPED_FILE_BYTES
from dsn_parser.model import DeclarationStatus, ParsedFile, Severity
from warehouse.registry import FileStatus

# A batch is closed when it holds this many files or this many bytes, whichever first: large
# enough for one-pass reading and bulk appends, small enough to bound a worker's memory and the
# work a crash loses. BATCH_FILES is the default of the setting `load_batch_files`.
BATCH_FILES = 200
BATCH_BYTES = 64 * 1024 * 1024

# A file bigger than what `parse_many` groups (past it, it reads a file alone and whole) is read
# by the streaming reader instead, a few envois at a time, its tables written as they come:
# read whole, one 115 MB lot of the 100,000-employee year held 1.4 GB (docs/scale.md).
STREAMED_FILE_BYTES = MAX_GROUPED_FILE_BYTES

MANIFEST = "manifest.json"
OUTCOMES = "outcomes.parquet"
# Bumped when what a batch directory holds changes: an output of another format is not reused.
# 2: a table may have several files (a streamed file writes its own, batch of envois by batch).
_FORMAT = 2
_BATCH_PREFIX = "lot-"
_TEMPORARY_MARK = ".partiel-"


@dataclass(frozen=True)
class BatchFile:
    file_id: str  # the SHA-256 of the file's bytes
    path: Path
    size: int


@dataclass(frozen=True)
class Batch:
    files: tuple[BatchFile, ...]

    @property
    def manifest(self) -> dict[str, object]:
        """What the batch's output is the reading of: its files' content hashes, in order."""
        return {"format": _FORMAT, "file_ids": [file.file_id for file in self.files]}

    @property
    def key(self) -> str:
        text = json.dumps(self.manifest, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    @property
    def directory_name(self) -> str:
        """Made of hexadecimal digits only: nothing read from a file names a path."""
        return _BATCH_PREFIX + self.key


def plan_batches(
    files: Sequence[BatchFile], max_files: int = BATCH_FILES, max_bytes: int = BATCH_BYTES
) -> list[Batch]:
    """Consecutive files (in the order given: the registry's, by content hash) cut into batches
    of at most `max_files` files and, past its first file, `max_bytes` bytes: the same files
    give the same batches."""
    batches: list[Batch] = []
    current: list[BatchFile] = []
    size = 0
    for file in files:
        if current and (len(current) >= max_files or size + file.size > max_bytes):
            batches.append(Batch(tuple(current)))
            current, size = [], 0
        current.append(file)
        size += file.size
    if current:
        batches.append(Batch(tuple(current)))
    return batches


def staging_area_beside(warehouse: Path) -> Path:
    """The default staging area: a directory named after the warehouse file, beside it."""
    return warehouse.parent / f"{warehouse.stem}.staging"


def read_batch(batch: Batch, area: Path) -> Path:
    """Read a batch's files into Parquet under `area`; return the batch's output directory.

    An existing output of the same manifest is reused as it is: a batch is read once, however
    many times the night is run or a worker retries it.
    """
    target = area / batch.directory_name
    if _complete(target, batch):
        return target
    _owner_only_directory(area)
    # Not this batch's output (another format): read again.
    shutil.rmtree(target, ignore_errors=True)
    temporary = area / f"{batch.directory_name}{_TEMPORARY_MARK}{uuid.uuid4().hex}"
    _owner_only_directory(temporary)
    try:
        _write_batch_output(batch, temporary)
        try:
            temporary.rename(target)
        except OSError:
            # Another attempt (a retried task, a re-run) completed it first: the same content.
            if not _complete(target, batch):
                raise
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    return target


def leftovers(area: Path) -> list[Path]:
    """Batch outputs and partial writes in the staging area (what a finished load removes)."""
    if not area.is_dir():
        return []
    return sorted(path for path in area.iterdir() if path.name.startswith(_BATCH_PREFIX))


def _complete(target: Path, batch: Batch) -> bool:
    try:
        manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(manifest.get("batch") == batch.manifest)


def _owner_only_directory(path: Path) -> None:
    """Staged tables hold NIRs and names: owner-only, whatever the umask."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)


class _TableFiles:
    """A batch's Parquet files, numbered in the order written, and the staging table of each:
    block names come from file content and never name a path."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.tables: dict[str, list[str]] = {}
        self._written = 0

    def write(self, table: str, frames: list[pl.DataFrame]) -> list[str]:
        """The frames' rows as one file of `table` (none when they have no row)."""
        frames = [frame for frame in frames if not frame.is_empty()]
        if not frames:
            return []
        name = f"table-{self._written:04d}.parquet"
        self._written += 1
        _write_parquet(pl.concat(frames, how="diagonal_relaxed"), self.directory / name)
        self.tables.setdefault(table, []).append(name)
        return [name]

    def discard(self, names: list[str]) -> None:
        for name in names:
            (self.directory / name).unlink()
        for table, files in list(self.tables.items()):
            self.tables[table] = [name for name in files if name not in names]
            if not self.tables[table]:
                del self.tables[table]


def _write_batch_output(batch: Batch, directory: Path) -> None:
    output = _TableFiles(directory)
    grouped = [file for file in batch.files if file.size <= STREAMED_FILE_BYTES]
    outcomes = dict(zip(grouped, _write_read_files(grouped, output), strict=True))
    for file in batch.files:
        if file not in outcomes:
            outcomes[file] = _write_streamed_file(file, output)
    outcome_frame = pl.DataFrame(
        [outcomes[file] for file in batch.files], schema=OUTCOME_SCHEMA, orient="row"
    )
    _write_parquet(outcome_frame, directory / OUTCOMES)
    manifest = {"batch": batch.manifest, "tables": output.tables}
    # Written last: a directory with its manifest is complete.
    path = directory / MANIFEST
    path.write_text(json.dumps(manifest, sort_keys=True), encoding="utf-8")
    path.chmod(0o600)


def _write_read_files(files: list[BatchFile], output: _TableFiles) -> list[dict[str, object]]:
    """The files read together in one pass, one file per staging table; their outcomes."""
    read = _read_files([file.path for file in files])
    outcomes = [_judge(file, parsed) for file, parsed in zip(files, read, strict=True)]
    every_parsed = [p for parsed in read if not isinstance(parsed, str) for p in parsed]
    loaded = [
        p
        for parsed, outcome in zip(read, outcomes, strict=True)
        if not isinstance(parsed, str) and outcome["status"] != FileStatus.QUARANTINED
        for p in parsed
    ]
    output.write("diagnostics", [p.diagnostics for p in every_parsed])
    output.write("declarations", [p.declarations for p in loaded])
    for block in sorted({block for p in loaded for block in p.blocks}):
        tables = [p.blocks[block] for p in loaded if block in p.blocks]
        output.write(block_table_name(block), tables)
    return outcomes


def _write_streamed_file(file: BatchFile, output: _TableFiles) -> dict[str, object]:
    """A big file read by the streaming reader, its tables written batch of envois by batch;
    its outcome as if read whole. What it wrote is taken back when the file is quarantined (its
    diagnostics kept) or when the reader fails on it (nothing kept, as for a grouped file)."""
    from dsn_parser.streaming import read_in_batches  # heavy to import; only reading needs it

    verdicts: list[ParsedFile] = []  # each batch's declarations and diagnostics, for the outcome
    lines = 0
    diagnostics: list[str] = []
    tables: list[str] = []
    try:
        for _, parsed in read_in_batches(file.path):
            lines += parsed.lines.height
            diagnostics += output.write("diagnostics", [parsed.diagnostics])
            tables += output.write("declarations", [parsed.declarations])
            for block, table in sorted(parsed.blocks.items()):
                tables += output.write(block_table_name(block), [table])
            verdicts.append(replace(parsed, lines=parsed.lines.clear(), blocks={}))
    except Exception as error:  # any reader failure quarantines the file, the night goes on
        output.discard(diagnostics + tables)
        return _judge(file, type(error).__name__)
    outcome = _judge(file, verdicts, lines)
    if outcome["status"] == FileStatus.QUARANTINED:
        output.discard(tables)
    return outcome


def _write_parquet(frame: pl.DataFrame, path: Path) -> None:
    frame.write_parquet(path)
    path.chmod(0o600)


def block_table_name(block: str) -> str:
    """`S21.G00.30` -> `s21_g00_30` (in schema `staging`)."""
    return block.lower().replace(".", "_")


def _read_files(paths: list[Path]) -> list[list[ParsedFile] | str]:
    """Each file's parsed DSN, or the reader's exception class name when it failed on it.

    The whole batch in one pass; when the reader fails on the batch, its files one by one, so
    that a bad file quarantines only itself.
    """
    from dsn_parser import parse_many  # the reader is heavy to import; only reading needs it

    try:
        return list(parse_many(paths))
    except Exception:
        return [_parse_one(path) for path in paths]


def _parse_one(path: Path) -> list[ParsedFile] | str:
    from dsn_parser import parse_many

    try:
        return parse_many([path])[0]
    except Exception as error:  # any reader failure quarantines the file, the night goes on
        return type(error).__name__


# What a batch's reading concluded per file, beside its tables; the writer adds the quarantine
# copy's path and the time, and records it in the registry.
OUTCOME_SCHEMA: dict[str, pl.DataType] = {
    "file_id": pl.String(),
    "status": pl.String(),
    "reason": pl.String(),
    "encoding": pl.String(),
    "norm": pl.String(),
    "declarations": pl.Int64(),
    "declarations_rejected": pl.Int64(),
    "errors": pl.Int64(),
    "warnings": pl.Int64(),
    "rows_loaded": pl.Int64(),
}


def _judge(
    file: BatchFile, parsed: list[ParsedFile] | str, lines: int | None = None
) -> dict[str, object]:
    """The file's outcome; `lines`: its line count when `parsed` does not hold its lines."""
    if isinstance(parsed, str):
        reason = (
            f"Fichier illisible par le lecteur DSN ({parsed}) : vérifier qu'il s'agit "
            "d'une DSN au format NEODeS, non tronquée."
        )
        return _outcome_row(file.file_id, FileStatus.QUARANTINED, reason, [], 0)
    status, verdict = outcome_of(parsed)
    if lines is None:
        lines = sum(p.lines.height for p in parsed)
    return _outcome_row(file.file_id, status, verdict, parsed, lines)


def _outcome_row(
    file_id: str, status: FileStatus, reason: str | None, parsed: Sequence[ParsedFile], lines: int
) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(OUTCOME_SCHEMA)
    row |= {"file_id": file_id, "status": status.value, "reason": reason}
    if not parsed:
        return row
    declarations = pl.concat([p.declarations for p in parsed])
    row.update(
        encoding=parsed[0].encoding,
        norm=parsed[0].norm,
        declarations=declarations.height,
        declarations_rejected=int((declarations["status"] == DeclarationStatus.REJECTED).sum()),
        errors=sum(_count(p.diagnostics, Severity.ERROR) for p in parsed),
        warnings=sum(_count(p.diagnostics, Severity.WARNING) for p in parsed),
        rows_loaded=lines if status is not FileStatus.QUARANTINED else 0,
    )
    return row


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
