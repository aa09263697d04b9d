"""One DSN file read in batches of whole envois, in bounded memory.

The file is decoded and lexed in chunks of lines; the lexed lines are cut into batches at envoi
starts (S10.G00.00), so every batch holds whole envois (plus the lot envelope lines around
them) and can be validated on its own. Memory then grows with the largest envoi, not with the
size of an insurer's lot. The tree state and the open declaration's keys are carried from batch
to batch, so ids, parents and keys are the same as if the file had been read at once.

An envoi bigger than MAX_BATCH_LINES (a very large employer) is cut between individuals; its
tables are still right, but validation then sees it in parts (envoi-level counts and
cardinalities of a part are not meaningful).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache

import polars as pl

from dsn_parser.decoding import (
    CHUNK_BYTES,
    DsnBytes,
    Inspection,
    UnreadableFileError,
    inspect,
    utf8_line_chunks,
)
from dsn_parser.lexer import lex, split_lines
from dsn_parser.model import (
    DECLARATIONS_SCHEMA,
    DIAGNOSTICS_SCHEMA,
    LINES_SCHEMA,
    ParsedFile,
    Severity,
)
from dsn_parser.norm import Norm, resolve_norm
from dsn_parser.tables import NORM_RUBRIC, OpenKeys, TableLayout, build_tables
from dsn_parser.tree import (
    ENVOI_BLOCK,
    INDIVIDU_BLOCK,
    BlockTree,
    TreeState,
    build_tree,
    instance_starts,
)

# A batch with no envoi start to cut at is cut anyway once it holds this many lines (about
# 60 MB of text), so a giant envoi or a file without S10 still reads in bounded memory. Such a
# batch is validated as a part of its envoi (see the module docstring).
MAX_BATCH_LINES = 2_500_000


@dataclass
class Batch:
    lines: pl.DataFrame  # LINES_SCHEMA
    blocks: dict[str, pl.DataFrame]
    declarations: pl.DataFrame  # DECLARATIONS_SCHEMA


@dataclass
class FileReader:
    """Reads one file's batches; `declared_norm` and `norm` are known after the first batch."""

    dsn: DsnBytes
    inspection: Inspection
    chunk_bytes: int = CHUNK_BYTES
    declared_norm: str | None = None
    norm: Norm | None = None
    _state: TreeState = field(default_factory=TreeState)
    _open_keys: OpenKeys = field(default_factory=OpenKeys)

    def batches(self) -> Iterator[Batch]:
        tree: BlockTree | None = None
        layout: TableLayout | None = None
        for lexed in self._lexed_batches():
            if tree is None or layout is None:
                self.declared_norm = _declared_norm(lexed)
                self.norm, _ = resolve_norm(self.declared_norm)
                tree, layout = norm_structures(self.norm)
            lines, instances = build_tree(lexed, tree, self._state)
            blocks, declarations = build_tables(
                lines, instances, layout, self.inspection.file_id, self._open_keys
            )
            yield Batch(lines=lines, blocks=blocks, declarations=declarations)

    def _lexed_batches(self) -> Iterator[pl.DataFrame]:
        carried: pl.DataFrame | None = None
        next_line = 1
        for chunk in utf8_line_chunks(self.dsn, self.inspection.encoding, self.chunk_bytes):
            raw = split_lines(chunk)
            lexed = lex(raw, next_line)
            next_line += raw.len()
            pending = lexed if carried is None else pl.concat([carried, lexed])
            cut = _last_envoi_start(pending)
            if cut == 0 and pending.height > MAX_BATCH_LINES:
                cut = _last_instance_start(pending, self._state)
            if cut > 0:
                yield pending.slice(0, cut)
                carried = pending.slice(cut)
            else:
                carried = pending
        if carried is not None and carried.height:
            yield carried


def read_file(dsn: DsnBytes, chunk_bytes: int = CHUNK_BYTES) -> ParsedFile:
    """One file read in batches of envois, put together: lines, tables and declarations."""
    try:
        inspection = inspect(dsn, chunk_bytes)
        reader = FileReader(dsn, inspection, chunk_bytes)
        batches = list(reader.batches())
    except UnreadableFileError as error:
        return unreadable_file(dsn.source, str(error))
    blocks: dict[str, list[pl.DataFrame]] = {}
    for batch in batches:
        for block, table in batch.blocks.items():
            blocks.setdefault(block, []).append(table)
    return ParsedFile(
        source=dsn.source,
        file_id=inspection.file_id,
        size=inspection.size,
        encoding=inspection.encoding,
        norm=reader.declared_norm,
        lines=pl.concat([batch.lines for batch in batches]) if batches else empty_lines(),
        blocks={
            block: pl.concat(tables, how="diagonal_relaxed")
            for block, tables in sorted(blocks.items())
        },
        declarations=(
            pl.concat([batch.declarations for batch in batches])
            if batches
            else empty_declarations()
        ),
    )


@cache
def norm_structures(norm: Norm) -> tuple[BlockTree, TableLayout]:
    """Built once per norm version and process: the warehouse reads thousands of small files
    a night, where rebuilding them per file would cost as much as reading the file."""
    return BlockTree.from_parents(norm.parent_of), TableLayout.from_norm(norm)


def _declared_norm(lexed: pl.DataFrame) -> str | None:
    declared = lexed.filter(pl.col("rubric") == NORM_RUBRIC).get_column("value")
    return declared[0] if declared.len() else None


def _last_envoi_start(lexed: pl.DataFrame) -> int:
    """Where to cut so the batch before holds at least one whole envoi (0: do not cut yet).

    Lines before the first envoi (the lot header) stay with it, so every batch has an envoi
    and its declared norm.
    """
    starts = lexed.select(
        pl.arg_where(
            (pl.col("block") == ENVOI_BLOCK)
            & (pl.col("block").forward_fill().shift(1) != ENVOI_BLOCK).fill_null(True)
        )
    ).to_series()
    return int(starts[-1]) if starts.len() >= 2 else 0


def _last_instance_start(lexed: pl.DataFrame, state: TreeState) -> int:
    """Where to cut an envoi too big for one batch: before its last individual, so the
    declaration's head and each individual's subtree stay whole; else before any instance."""
    starts = instance_starts(lexed, state)
    cut_points = lexed.select(
        individual=pl.arg_where(starts & (pl.col("block") == INDIVIDU_BLOCK)).max(),
        instance=pl.arg_where(starts).max(),
    ).row(0)
    return int(next((point for point in cut_points if point), 0))


def empty_lines() -> pl.DataFrame:
    return pl.DataFrame(schema=LINES_SCHEMA)


def empty_declarations() -> pl.DataFrame:
    return pl.DataFrame(schema=DECLARATIONS_SCHEMA)


def unreadable_file(source: str, reason: str) -> ParsedFile:
    """A file whose bytes could not even be decoded (corrupt archive): one error, no lines."""
    diagnostic = pl.DataFrame(
        {
            "file_id": [""],
            "declaration_id": [None],
            "line": [None],
            "rubric": [None],
            "label": [None],
            "code": ["FILE-UNREADABLE"],
            "severity": [Severity.ERROR.value],
            "message": [f"Fichier illisible, rien n'a pu être intégré. {reason}"],
        },
        schema=DIAGNOSTICS_SCHEMA,
    )
    return ParsedFile(
        source=source,
        file_id="",
        size=0,
        encoding="",
        norm=None,
        lines=empty_lines(),
        diagnostics=diagnostic,
    )
