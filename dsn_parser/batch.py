"""Many small DSN files read in one Polars pass: the same result as reading them one by one.

A night brings thousands of files of a few KB, and reading one costs a fixed ~60 ms of plan
building and small-frame operations whatever its size. Here files of one encoding and one
declared norm version are read together: their UTF-8 text is joined, lexed, built into one tree
and one set of tables, then cut back into one ParsedFile per file. Line numbers (the ids of
instances, envois and declarations) run on across the joined files and are brought back to each
file's own numbering when cut.

Each file's boundary is a hard one because only files that start on an envoi's first rubric
(S10.G00.00.001), or on a concentrator lot's (S05.G51.00.001) followed by its envelope and an
envoi's, take part: such a line opens a new instance and closes every block of its tree (the lot
envelope is a tree of its own) still open, so nothing of a file hangs on the previous one. Files
the joined reading could read differently from the file-by-file one are read on their own, with
`dsn_parser.parse`: empty, undecodable or big files, files starting otherwise, envelope blocks in
a file that does not start a lot, envois declaring several norm versions in one file (the tree
and tables follow the first one's), and what validation shows odd (see `_odd_files`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import polars as pl

from dsn_parser.decoding import (
    DsnBytes,
    Inspection,
    UnreadableFileError,
    expand_source,
    inspect,
    read_chunks,
    utf8_line_chunks,
)
from dsn_parser.lexer import lex, split_lines
from dsn_parser.model import ParsedFile
from dsn_parser.norm import resolve_norm
from dsn_parser.reading import norm_structures, read_file, unreadable_file
from dsn_parser.tables import OpenKeys, TableLayout, build_tables
from dsn_parser.tree import DECLARATION_BLOCK, ENVOI_BLOCK, LOT_BLOCK, TreeState, build_tree
from dsn_parser.validation import validate, validate_joined

# A batch's frames hold every line of its files several times over (lines, tables, validation
# context): bounded so a batch stays well under 1 GB, and big enough that the fixed cost of a
# pass (~100 ms of plans) is spread over many files. 300 files of a median 2.6 KB is under 1 MB;
# the byte bound matters for the rarer big monthly files. Measured on 2,000 small files, against
# 300 files a batch: 100 gave 0.80x the throughput, 1,000 gave 0.97x.
MAX_BATCH_FILES = 300
MAX_BATCH_BYTES = 16 * 1024 * 1024
# A file bigger than this is read on its own: its own fixed cost is small against its size. It
# is read whole (lines, tables and validation of the whole file at once): a caller bounding its
# memory reads such files with the streaming reader (`dsn_parser.streaming.read_in_batches`).
MAX_GROUPED_FILE_BYTES = 4 * 1024 * 1024

_ENVOI_START = b"S10.G00.00.001,'"
_LOT_START = b"S05.G51.00.001,'"
_LOT_ENVELOPE = re.compile(rb"^S\d\d\.G51\.", re.MULTILINE)
# The first line of a lot that is not of its envelope.
_AFTER_LOT_HEAD = re.compile(rb"^(?!S\d\d\.G51\.).*$", re.MULTILINE)
_DECLARED_NORM = re.compile(rb"^S10\.G00\.00\.006,'(.*)'\r?$", re.MULTILINE)

# Columns holding line numbers, per frame cut back into files.
_LINE_IDS = ("line", "instance_id", "parent_id", "envoi_id", "declaration_id")
_TABLE_IDS = ("instance_id", "parent_id", "envoi_id", "declaration_id")
_DECLARATION_IDS = ("envoi_id", "declaration_id")
_DIAGNOSTIC_IDS = ("line", "declaration_id")
# Key columns a block table has only when one of its rows hangs on such an ancestor.
_KEYS_OF_ANCHORS = {"individu_id": "employee_key", "contrat_id": "employment_contract_key"}


# Files read together share their encoding, their declared norm and whether they come in a lot
# (validation reads every line of a lot as an OC copy's).
_GroupKey = tuple[str, str | None, bool]


@dataclass(frozen=True)
class _Member:
    """One file that can be read with others: its identity and its text as UTF-8 lines."""

    dsn: DsnBytes  # the file's bytes, in memory
    inspection: Inspection
    norm: str | None
    in_lot: bool  # wrapped in a concentrator's lot envelope (S05 ... S95)
    text: bytes  # ends with a line end
    line_count: int


def parse_many(sources: Sequence[Path]) -> list[list[ParsedFile]]:
    """Read and validate many DSN files: the same result as `[parse(s) for s in sources]`."""
    results: list[list[ParsedFile | None]] = []
    # Per (encoding, declared norm): the files waiting to be read together, with their slot.
    pending: dict[_GroupKey, list[tuple[tuple[int, int], _Member]]] = {}
    pending_bytes: dict[_GroupKey, int] = {}

    def read_together(key: _GroupKey) -> None:
        batch = pending.pop(key)
        pending_bytes.pop(key)
        parsed = _parse_batch([member for _, member in batch])
        for ((index, position), _), one in zip(batch, parsed, strict=True):
            results[index][position] = one

    for index, source in enumerate(sources):
        try:
            files = expand_source(source)
        except UnreadableFileError as error:
            results.append([unreadable_file(str(source), str(error))])
            continue
        results.append([None] * len(files))
        for position, dsn in enumerate(files):
            member = _member(dsn)
            if member is None:
                results[index][position] = _parse_alone(dsn)
                continue
            key = (member.inspection.encoding, member.norm, member.in_lot)
            batch = pending.setdefault(key, [])
            batch.append(((index, position), member))
            pending_bytes[key] = pending_bytes.get(key, 0) + len(member.text)
            if len(batch) >= MAX_BATCH_FILES or pending_bytes[key] >= MAX_BATCH_BYTES:
                read_together(key)
    for key in list(pending):
        read_together(key)
    return [[parsed for parsed in files if parsed is not None] for files in results]


def _parse_alone(dsn: DsnBytes) -> ParsedFile:
    return validate(read_file(dsn))


def _member(dsn: DsnBytes) -> _Member | None:
    """The file ready to be read with others, or None when it must be read on its own."""
    try:
        # At most one byte past the bound is read: a big lot is never held here.
        chunks = read_chunks(dsn, MAX_GROUPED_FILE_BYTES + 1)
        try:
            content = next(chunks, b"")
        finally:
            chunks.close()
        if not 0 < len(content) <= MAX_GROUPED_FILE_BYTES:
            return None
        in_memory = DsnBytes(dsn.source, lambda: io.BytesIO(content))
        inspection = inspect(in_memory)
        text = b"".join(utf8_line_chunks(in_memory, inspection.encoding, len(content) + 1))
    except UnreadableFileError:
        return None
    in_lot = text.startswith(_LOT_START)
    first_line = text.split(b"\n", 1)[0].removesuffix(b"\r")
    after_head = _AFTER_LOT_HEAD.search(text) if in_lot else None
    first_of_envoi = after_head.group().removesuffix(b"\r") if after_head else first_line
    if not (_well_formed(first_line) and first_of_envoi.startswith(_ENVOI_START)):
        return None
    if not _well_formed(first_of_envoi) or text.endswith(b"\r"):
        return None
    if not in_lot and _LOT_ENVELOPE.search(text):
        return None
    norms = set(_DECLARED_NORM.findall(text))
    if len(norms) > 1:
        return None
    if not text.endswith(b"\n"):
        text += b"\n"
    return _Member(
        dsn=in_memory,
        inspection=inspection,
        norm=norms.pop().decode() if norms else None,
        in_lot=in_lot,
        text=text,
        line_count=text.count(b"\n"),
    )


def _well_formed(line: bytes) -> bool:
    return len(line) >= len(_ENVOI_START) + 1 and line.endswith(b"'")


def _parse_batch(members: list[_Member]) -> list[ParsedFile]:
    """The files read and validated in one pass, cut back into one ParsedFile each, in order."""
    raw = split_lines(b"".join(member.text for member in members))
    counts = [member.line_count for member in members]
    if raw.len() != sum(counts):  # a line end the lexer sees otherwise: no risk taken
        return [_parse_alone(member.dsn) for member in members]
    declared = members[0].norm
    tree, layout = norm_structures(resolve_norm(declared)[0])
    lines, instances = build_tree(lex(raw, 1), tree, TreeState())
    blocks, declarations = build_tables(lines, instances, layout, "", OpenKeys())
    starts = pl.Series("start", _starts(counts), dtype=pl.UInt32)
    joined = ParsedFile(
        source="",
        file_id="",
        size=0,
        encoding=members[0].inspection.encoding,
        norm=declared,
        # In one chunk: Polars 2.1 panics on some validation plans over lines in several
        # chunks ("assertion failed: i < self.len()"), which joined files' lines can be.
        lines=lines.rechunk(),
        # The official controls read their values from the typed tables (else from the lines).
        blocks=blocks,
        declarations=declarations,
    )
    alone = _odd_files(instances, starts)
    if not validate_joined(joined, starts):
        alone = set(range(len(members)))
    file_ids = pl.Series("file_id", [member.inspection.file_id for member in members])
    lines_of = _split(lines, starts, "line", _LINE_IDS)
    declarations_of = _split(
        joined.declarations, starts, "declaration_id", _DECLARATION_IDS, file_ids
    )
    diagnostics_of = _split(joined.diagnostics, starts, "line", _DIAGNOSTIC_IDS, file_ids)
    tables_of = _tables_per_file(blocks, instances, layout, starts, file_ids)
    return [
        _parse_alone(member.dsn)
        if index in alone
        else ParsedFile(
            source=member.dsn.source,
            file_id=member.inspection.file_id,
            size=member.inspection.size,
            encoding=member.inspection.encoding,
            norm=declared,
            lines=lines_of[index],
            blocks=tables_of[index],
            declarations=declarations_of[index],
            diagnostics=diagnostics_of[index],
        )
        for index, member in enumerate(members)
    ]


def _tables_per_file(
    blocks: dict[str, pl.DataFrame],
    instances: pl.DataFrame,
    layout: TableLayout,
    starts: pl.Series,
    file_ids: pl.Series,
) -> list[dict[str, pl.DataFrame]]:
    """Each file's block tables, as reading it alone gives them (blocks in sorted order)."""
    lacking = _lacking_keys(instances, starts)
    tables_of: list[dict[str, pl.DataFrame]] = [{} for _ in range(starts.len())]
    for block, table in sorted(blocks.items()):
        known = set(layout.block_rubrics.get(block, ()))
        unknown = [name for name in table.columns if name.startswith(block) and name not in known]
        parts = _split(table, starts, "instance_id", _TABLE_IDS, file_ids)
        for index, part in enumerate(parts):
            if part.height:
                absent = lacking.get((block, index), [])
                tables_of[index][block] = _as_read_alone(part, unknown, absent)
    return tables_of


def _odd_files(instances: pl.DataFrame, starts: pl.Series) -> set[int]:
    """The files whose validation depends on more than their envois' content, read on their
    own: a file without a declaration (a verdict on the whole file), and a file with an
    instance outside its expected scope (a block with no parent, a S21 block outside a
    declaration), which the controls' scopes would let meet another file's."""
    file_index = pl.lit(starts).search_sorted(pl.col("instance_id"), side="right") - 1
    block = pl.col("block").cast(pl.String)
    found = instances.select(
        file=file_index,
        declaration=block == DECLARATION_BLOCK,
        odd=(pl.col("parent_id").is_null() & ~block.is_in([ENVOI_BLOCK, LOT_BLOCK]))
        | (block.str.starts_with("S21.") & pl.col("declaration_id").is_null()),
    )
    with_declaration = set(found.filter("declaration")["file"].to_list())
    odd = set(found.filter("odd")["file"].to_list())
    return odd | (set(range(starts.len())) - with_declaration)


def _lacking_keys(instances: pl.DataFrame, starts: pl.Series) -> dict[tuple[str, int], list[str]]:
    """Per (block, file index), the key columns the block's table has for the batch but not
    for the file read alone: a key is joined to a table only if one of its rows hangs on the
    key's anchor (individu_id, contrat_id). Only the few pairs lacking one are listed."""
    file_index = pl.lit(starts).search_sorted(pl.col("instance_id"), side="right") - 1
    anchors = list(_KEYS_OF_ANCHORS)
    found = instances.group_by(pl.col("block").cast(pl.String), file=file_index).agg(
        pl.col(anchors).is_not_null().any()
    )
    lacking = found.filter(
        pl.any_horizontal(
            ~pl.col(anchor) & pl.col(anchor).any().over("block") for anchor in anchors
        )
    )
    keys: dict[tuple[str, int], list[str]] = {}
    for block, file, *flags in lacking.iter_rows():
        has = dict(zip(anchors, flags, strict=True))
        keys[(block, file)] = [key for anchor, key in _KEYS_OF_ANCHORS.items() if not has[anchor]]
    return keys


def _as_read_alone(part: pl.DataFrame, unknown: list[str], lacking: list[str]) -> pl.DataFrame:
    """A file's part of a block table with the columns reading the file alone gives: a rubric
    the norm does not know only if the file declares it, a key only if a row hangs on its
    anchor."""
    absent = [name for name in unknown if part.get_column(name).null_count() == part.height]
    absent += [key for key in lacking if key in part.columns]
    return part.drop(absent) if absent else part


def _starts(counts: list[int]) -> list[int]:
    starts, first = [], 1
    for count in counts:
        starts.append(first)
        first += count
    return starts


def _split(
    frame: pl.DataFrame,
    starts: pl.Series,
    by: str,
    ids: tuple[str, ...],
    file_ids: pl.Series | None = None,
) -> list[pl.DataFrame]:
    """`frame` (sorted on `by`, a line number) cut into one frame per file, with its line
    numbers brought back to the file's own, and each row's file_id when `file_ids` is given."""
    bounds = [*frame.get_column(by).search_sorted(starts, side="left").to_list(), frame.height]
    file_index = pl.lit(starts).search_sorted(pl.col(by), side="right") - 1
    offset = pl.lit(starts).gather(file_index) - 1
    columns = [(pl.col(name) - offset).cast(pl.UInt32).alias(name) for name in ids]
    if file_ids is not None:
        columns.append(pl.lit(file_ids).gather(file_index).alias("file_id"))
    local = frame.with_columns(columns) if frame.height else frame
    return [local.slice(start, end - start) for start, end in pairwise(bounds)]
