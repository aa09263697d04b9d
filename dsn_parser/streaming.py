"""Huge files to Parquet in bounded memory: `parse_to_parquet`.

Each batch of whole envois, of whole declarations of a giant envoi, or of the individuals of a
giant declaration (dsn_parser.reading), is validated on its own and appended to one Parquet
file per block (`S21.G00.30.parquet`), plus `declarations.parquet` and `diagnostics.parquet`, so
memory does not grow with the size of an insurer's lot. A file's declarations come with its last
batch: their statuses are only settled once every batch is validated (an envoi's total, the
lot's trailer or a later part of a declaration may reject or flag the declarations of earlier
batches). Every row carries its file_id, so a zip of several DSN files writes one set of tables.

Three things happen at once: the next batch is read in a thread (`read_ahead`), two batches are
validated on a thread pool (`_validated_in_order`), and this thread writes the results in file
order. Polars does the heavy work of each and releases the GIL while it does.
"""

from __future__ import annotations

import contextlib
import queue
import shutil
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from os import PathLike
from pathlib import Path
from typing import TypeVar

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from dsn_parser.decoding import CHUNK_BYTES, Source, UnreadableFileError, expand_source, inspect
from dsn_parser.model import DECLARATIONS_SCHEMA, DIAGNOSTICS_SCHEMA, ParsedFile, Part, Severity
from dsn_parser.reading import FileReader, empty_lines, unreadable_file

DECLARATIONS_FILE = "declarations.parquet"
DIAGNOSTICS_FILE = "diagnostics.parquet"

# Batches validated at once: with the reading thread, enough to keep two cores busy.
VALIDATION_THREADS = 2
# Rows per Parquet row group, and the most the writers hold before writing anyway (as Polars
# estimates frames: held text also keeps its batch's buffers alive, measured +50-80 MB of peak
# memory on a 200 MB lot).
ROW_GROUP_ROWS = 100_000
HELD_BYTES = 64 * 1024 * 1024

_Item = TypeVar("_Item")
_Result = TypeVar("_Result")


@dataclass
class FileSummary:
    source: str
    file_id: str
    encoding: str
    norm: str | None
    lines: int = 0
    declarations: int = 0
    rejected_declarations: int = 0
    errors: int = 0
    warnings: int = 0


@dataclass
class ParquetSummary:
    out_dir: Path
    files: list[FileSummary] = field(default_factory=list)
    tables: dict[str, int] = field(default_factory=dict)  # table file name -> rows written


class _TableWriter:
    """Appends frames to one Parquet file; a frame with new columns starts a new part file,
    and the parts are merged (columns aligned) when the writer closes.

    Frames are held until they make a row group of ROW_GROUP_ROWS (or `flush`): a batch holds a
    few hundred rows of most blocks, and writing each batch's frames as they come cost about
    1.7x the CPU (a compression context per column chunk) and left analysts tiny row groups.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.parts: list[Path] = []
        self.rows = 0
        self.held_bytes = 0
        self._held: list[pl.DataFrame] = []
        self._writer: pq.ParquetWriter | None = None
        self._schema: pa.Schema | None = None

    def write(self, frame: pl.DataFrame) -> None:
        if self._held and frame.schema != self._held[0].schema:
            self.flush()
        self._held.append(frame)
        self.held_bytes += int(frame.estimated_size())
        self.rows += frame.height
        if sum(held.height for held in self._held) >= ROW_GROUP_ROWS:
            self.flush()

    def flush(self) -> None:
        """Write the frames held so far as one row group."""
        if not self._held:
            return
        # Polars' own string layout (Arrow string views): no copy to large strings on the way.
        table = pl.concat(self._held).to_arrow(compat_level=pl.CompatLevel.newest())
        self._held, self.held_bytes = [], 0
        if self._schema is None or not table.schema.equals(self._schema):
            self._open_part(table.schema)
        assert self._writer is not None
        self._writer.write_table(table)

    def _open_part(self, schema: pa.Schema) -> None:
        if self._writer is not None:
            self._writer.close()
        part = self.path.with_name(f"{self.path.stem}.part{len(self.parts)}.parquet")
        self.parts.append(part)
        # Measured on a lot's block tables: dictionary encoding took most of the write time
        # (identifiers, names and amounts are nearly all distinct) and zstd without it wrote
        # files half the size of snappy with it, in about 60 % of the time.
        self._writer = pq.ParquetWriter(part, schema, compression="zstd", use_dictionary=False)
        self._schema = schema

    def close(self) -> None:
        self.flush()
        if self._writer is not None:
            self._writer.close()
        if len(self.parts) == 1:
            shutil.move(self.parts[0], self.path)
        elif self.parts:
            merged = pl.concat(
                [pl.scan_parquet(part) for part in self.parts], how="diagonal_relaxed"
            )
            merged.sink_parquet(self.path)
            for part in self.parts:
                part.unlink()


def parse_to_parquet(
    source: Source,
    out_dir: str | PathLike[str],
    *,
    name: str | None = None,
    chunk_bytes: int = CHUNK_BYTES,
    validate: bool = True,
) -> ParquetSummary:
    """Read, validate and write every DSN file of `source` as Parquet tables in `out_dir`."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = ParquetSummary(out_dir=out)
    writers: dict[str, _TableWriter] = {}

    def write(file_name: str, frame: pl.DataFrame) -> None:
        if file_name not in writers:
            writers[file_name] = _TableWriter(out / file_name)
        writers[file_name].write(frame)
        if sum(writer.held_bytes for writer in writers.values()) > HELD_BYTES:
            for writer in writers.values():
                writer.flush()

    for file_summary, parsed in read_in_batches(
        source, name=name, chunk_bytes=chunk_bytes, validate=validate
    ):
        if not summary.files or summary.files[-1] is not file_summary:
            summary.files.append(file_summary)
        _record(parsed, file_summary, write)
    write(DECLARATIONS_FILE, pl.DataFrame(schema=DECLARATIONS_SCHEMA))
    write(DIAGNOSTICS_FILE, pl.DataFrame(schema=DIAGNOSTICS_SCHEMA))
    for file_name, writer in writers.items():
        writer.close()
        summary.tables[file_name] = writer.rows
    return summary


def read_in_batches(
    source: Source,
    *,
    name: str | None = None,
    chunk_bytes: int = CHUNK_BYTES,
    validate: bool = True,
    max_lines: int | None = None,
    max_declaration_lines: int | None = None,
) -> Iterator[tuple[FileSummary, ParsedFile]]:
    """Every DSN file of `source` as batches of whole envois (or whole declarations of an envoi
    over `max_lines`, default reading.MAX_BATCH_LINES, or parts of a declaration over
    `max_declaration_lines` cut between its individuals, default
    reading.MAX_DECLARATION_LINES), each with its file's summary (the same
    object for every batch of a file, its counts up to date once the batch is recorded by the
    caller), read ahead and validated in file order; memory bounded by a few batches.
    Validated, a file's declarations come in a last batch of their own, with their settled
    statuses and no lines.

    An unreadable source or file is one batch with its FILE-UNREADABLE diagnostic."""
    label = name or (None if isinstance(source, bytes) else str(source))
    try:
        files = expand_source(source, name)
    except UnreadableFileError as error:
        yield (
            FileSummary(label or "<bytes>", "", "", None),
            unreadable_file(label or "<bytes>", str(error)),
        )
        return
    for dsn in files:
        try:
            inspection = inspect(dsn, chunk_bytes)
            reader = FileReader(dsn, inspection, chunk_bytes, max_lines, max_declaration_lines)
            file_summary = FileSummary(dsn.source, inspection.file_id, inspection.encoding, None)
            read = (
                (
                    ParsedFile(
                        source=dsn.source,
                        file_id=inspection.file_id,
                        size=inspection.size,
                        encoding=inspection.encoding,
                        norm=reader.declared_norm,
                        lines=batch.lines,
                        blocks=batch.blocks,
                        declarations=batch.declarations,
                    ),
                    batch.part,
                )
                for batch in reader.batches()
            )
            if validate:
                batches = _settled_at_the_end(_validated_in_order(read_ahead(read)))
            else:
                batches = (parsed for parsed, _ in read_ahead(read))
            for parsed in batches:
                file_summary.norm = reader.declared_norm
                yield file_summary, parsed
        except UnreadableFileError as error:
            yield FileSummary(dsn.source, "", "", None), unreadable_file(dsn.source, str(error))


def _settled_at_the_end(
    validated: Iterator[tuple[ParsedFile, pl.DataFrame]],
) -> Iterator[ParsedFile]:
    """A file's validated batches without their declarations, then a batch of the declarations
    alone, their statuses settled with every batch's verdicts (validation.settled)."""
    from dsn_parser.validation import settled  # it imports this package's model

    declarations: list[pl.DataFrame] = []
    verdicts: list[pl.DataFrame] = []
    last: ParsedFile | None = None
    for parsed, verdict in validated:
        declarations.append(parsed.declarations)
        verdicts.append(verdict)
        last = replace(parsed, declarations=parsed.declarations.clear())
        yield last
    if last is not None:
        yield replace(
            last,
            lines=empty_lines(),
            blocks={},
            declarations=settled(pl.concat(declarations), pl.concat(verdicts)),
            diagnostics=last.diagnostics.clear(),
        )


def read_ahead(items: Iterator[_Item]) -> Iterator[_Item]:
    """`items`, the next one produced in a thread while the caller works on the current one.

    Reading a batch and validating the previous one then share the machine's cores: both are
    mostly Polars work, which releases the GIL. One batch ahead at most, so memory stays
    bounded; an exception raised while producing is raised again in the caller.
    """
    handoff: queue.Queue[tuple[str, object]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                handoff.put(("item", item))
        except BaseException as error:  # handed to the consumer, which raises it
            handoff.put(("error", error))
        else:
            handoff.put(("end", None))

    producer = threading.Thread(target=produce, name="dsn-read-ahead", daemon=True)
    producer.start()
    try:
        while True:
            kind, payload = handoff.get()
            if kind == "end":
                return
            if kind == "error":
                assert isinstance(payload, BaseException)
                raise payload
            yield payload  # type: ignore[misc]
    finally:
        stop.set()
        while producer.is_alive():  # unblock a producer waiting on a full queue
            with contextlib.suppress(queue.Empty):
                handoff.get(timeout=0.05)
        producer.join()


def _record(
    parsed: ParsedFile, file_summary: FileSummary, write: Callable[[str, pl.DataFrame], None]
) -> None:
    for block, table in parsed.blocks.items():
        write(f"{block}.parquet", table)
    write(DECLARATIONS_FILE, parsed.declarations)
    write(DIAGNOSTICS_FILE, parsed.diagnostics)
    severities = parsed.diagnostics.get_column("severity")
    file_summary.lines += parsed.lines.height
    file_summary.declarations += parsed.declarations.height
    file_summary.rejected_declarations += int((parsed.declarations["status"] == 3).sum())
    file_summary.errors += int((severities == Severity.ERROR.value).sum())
    file_summary.warnings += int((severities == Severity.WARNING.value).sum())


def _validated_in_order(
    batches: Iterator[tuple[ParsedFile, Part]],
) -> Iterator[tuple[ParsedFile, pl.DataFrame]]:
    """`batches` validated, VALIDATION_THREADS at a time, given back in file order with their
    verdicts (validation.validate_part).

    Validation is more than half the work of a big file; two batches validated at once keep
    both cores busy while a third is read. At most VALIDATION_THREADS batches wait here, so
    memory stays bounded.
    """
    from dsn_parser.validation import validate_part  # it imports this package's model

    def validated(batch: tuple[ParsedFile, Part]) -> tuple[ParsedFile, pl.DataFrame]:
        parsed, part = batch
        return parsed, validate_part(parsed, part)

    with ThreadPoolExecutor(VALIDATION_THREADS, thread_name_prefix="dsn-validation") as pool:
        yield from in_order(pool, validated, batches, window=VALIDATION_THREADS)


def in_order(
    pool: Executor, function: Callable[[_Item], _Result], items: Iterable[_Item], *, window: int
) -> Iterator[_Result]:
    """`function` of each item, run on `pool`, given back in the items' order.

    At most `window` items are submitted and not yet given back, so memory stays bounded
    however many items come.
    """
    pending: deque[Future[_Result]] = deque()
    for item in items:
        pending.append(pool.submit(function, item))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()
