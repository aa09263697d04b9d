"""One DSN file read in batches of whole envois, in bounded memory.

The file is decoded and lexed in chunks of lines; the lexed lines are cut into batches at envoi
starts (S10.G00.00), so every batch holds whole envois (plus the lot envelope lines around
them) and can be validated on its own. Memory then grows with the largest envoi, not with the
size of an insurer's lot. The tree state and the open declaration's keys are carried from batch
to batch, so ids, parents and keys are the same as if the file had been read at once.

An envoi bigger than `max_lines` (a concentrator's lot of thousands of companies is one envoi of
millions of lines) is cut before one of its declarations (S20.G00.05). Each batch then comes with
its `Part`: what the envoi's earlier parts hold that the envoi-level controls need (`EnvoiSoFar`:
its lines outside declarations, the first block of each declaration, its lines counted), and
whether its last envoi goes on. The validator reports the envoi's own findings (header, totals,
blocks counted under it) once, on its last part, and `streaming` settles the statuses at the end
of the file, so a file read in parts gives the tables, diagnostics and statuses of the file read
at once.

A declaration bigger than `max_declaration_lines` (the 100,000-employee year's lots are one
declaration of 54,513 employees in 5.1 million lines) is cut the same way, before one of its
individuals (S21.G00.30) or another block under its establishment (adhésions, payments), never
inside an individual's subtree nor before its company's or establishment's block. The `Part`
then also carries the declaration's earlier parts (`DeclarationSoFar`): its lines outside
individuals (the company, establishment, adhésions and payments the individuals' rules join),
and of its individuals the few lines the controls across them read (`ACROSS_INDIVIDUALS`: the
instances counted under the declaration, the NIRs unique in it, the adhésions its affiliations
name). The validator reports a finding on an individual in its own part, with those lines beside
it, and the declaration's own findings (its header, its counts, an adhésion no affiliation names)
once, on its last part, where every individual is counted; `status.settled` folds every part's
verdicts into the declaration's status. Memory then grows with the largest individual, not the
largest declaration. Only lines that hold no such start past `MAX_UNCUT_LINES` (a declaration's
header, an individual or a file without S20 of 10 million lines) are cut before any instance,
so that memory stays bounded whatever comes; the controls then see those lines in parts
(inexact).
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
    INSTANCE_COLUMNS,
    LINES_SCHEMA,
    DeclarationSoFar,
    EnvoiSoFar,
    ParsedFile,
    Part,
    Severity,
)
from dsn_parser.norm import Norm, resolve_norm
from dsn_parser.tables import (
    ETABLISSEMENT_BLOCK,
    NORM_RUBRIC,
    OpenKeys,
    TableLayout,
    build_tables,
)
from dsn_parser.tree import (
    DECLARATION_BLOCK,
    ENVOI_BLOCK,
    INDIVIDU_BLOCK,
    LOT_BLOCK,
    LOT_ENVELOPE,
    BlockTree,
    TreeState,
    build_tree,
    individual_blocks,
    instance_starts,
)

# A batch with no envoi start to cut at is cut anyway once it holds this many lines (about
# 60 MB of text), before a declaration, so a giant envoi still reads in bounded memory; such a
# batch is validated as a part of its envoi (see the module docstring).
MAX_BATCH_LINES = 2_500_000
# A declaration is cut between its individuals past this many lines (see the module
# docstring). The read map of a lot of one declaration of 5.1 million lines peaked at 1.0-1.1 GB
# read as one batch; cut past 2.5 M lines 1,112 MB, 1 M 933 MB, 500,000 777 MB, 250,000 785 MB
# (the rest of the peak is not the batches').
MAX_DECLARATION_LINES = 500_000
# Lines that hold no individual start past MAX_DECLARATION_LINES (a declaration's header, one
# individual, a file without S20) are cut before any instance only past this many: memory stays
# bounded whatever comes, at the price of exactness (see the module docstring).
MAX_UNCUT_LINES = 4 * MAX_BATCH_LINES
# What the controls across a declaration's individuals read of its individuals (rules.py: the
# instances counted under the declaration and its establishment, the keys unique in the
# declaration, the references between its adhésions and its individuals' affiliations): per
# block, the rubrics read, besides the first line of each of its instances, always carried (it
# counts the instance, and a descendant's establishment is found through it). A declaration
# read in parts carries these lines of its individuals from part to part: a few lines of the
# hundreds an employee takes. tests/dsn_parser/test_declaration_parts.py checks they cover the
# rule table.
ACROSS_INDIVIDUALS: dict[str, tuple[str, ...]] = {
    INDIVIDU_BLOCK: ("S21.G00.30.001", "S21.G00.30.020"),
    "S21.G00.40": ("S21.G00.40.029",),
    "S21.G00.70": ("S21.G00.70.013",),
    "S21.G00.86": (),
}


@dataclass
class Batch:
    lines: pl.DataFrame  # LINES_SCHEMA
    blocks: dict[str, pl.DataFrame]
    declarations: pl.DataFrame  # DECLARATIONS_SCHEMA
    part: Part


@dataclass
class FileReader:
    """Reads one file's batches; `declared_norm` and `norm` are known after the first batch."""

    dsn: DsnBytes
    inspection: Inspection
    chunk_bytes: int = CHUNK_BYTES
    # None: MAX_BATCH_LINES and MAX_DECLARATION_LINES as they are when the file is read.
    max_lines: int | None = None
    max_declaration_lines: int | None = None
    declared_norm: str | None = None
    norm: Norm | None = None
    _state: TreeState = field(default_factory=TreeState)
    _open_keys: OpenKeys = field(default_factory=OpenKeys)

    def batches(self) -> Iterator[Batch]:
        tree: BlockTree | None = None
        layout: TableLayout | None = None
        before = Part()
        for lexed, envoi_goes_on, declaration_goes_on in self._lexed_batches():
            if tree is None or layout is None:
                self.declared_norm = _declared_norm(lexed)
                self.norm, _ = resolve_norm(self.declared_norm)
                tree, layout = norm_structures(self.norm)
            lines, instances = build_tree(lexed, tree, self._state)
            blocks, declarations = build_tables(
                lines, instances, layout, self.inspection.file_id, self._open_keys
            )
            so_far = _envoi_so_far(lines, before.continued) if envoi_goes_on else None
            declaration = (
                _declaration_so_far(lines, blocks, before.declaration, individual_blocks(tree))
                if declaration_goes_on
                else None
            )
            part = Part(
                in_lot=before.in_lot,
                continued=before.continued,
                goes_on=so_far.envoi_id if so_far else None,
                declaration=before.declaration,
                declaration_goes_on=declaration.declaration_id if declaration else None,
            )
            yield Batch(lines=lines, blocks=blocks, declarations=declarations, part=part)
            before = Part(
                in_lot=part.in_lot or bool((lines["block"] == LOT_BLOCK).any()),
                continued=so_far,
                declaration=declaration,
            )

    def _under_establishment(self, lexed: pl.DataFrame) -> list[str]:
        """The blocks a declaration is cut before: its individual (S21.G00.30) and the other
        blocks under its establishment (adhésions, payments...), never inside an individual,
        nor before its own, its company's or its establishment's block (the declarations
        table reads them together)."""
        norm = self.norm or resolve_norm(_declared_norm(lexed))[0]
        tree, _ = norm_structures(norm)
        under = tree.descendants.get(ETABLISSEMENT_BLOCK, frozenset()) - individual_blocks(tree)
        return sorted({INDIVIDU_BLOCK, *under})

    def _lexed_batches(self) -> Iterator[tuple[pl.DataFrame, bool, bool]]:
        """Batches of lexed lines, each with whether its last envoi, and its last declaration,
        go on in the next."""
        carried: pl.DataFrame | None = None
        next_line = 1
        max_lines = self.max_lines or MAX_BATCH_LINES
        max_declaration_lines = self.max_declaration_lines or MAX_DECLARATION_LINES
        for chunk in utf8_line_chunks(self.dsn, self.inspection.encoding, self.chunk_bytes):
            raw = split_lines(chunk)
            lexed = lex(raw, next_line)
            next_line += raw.len()
            pending = lexed if carried is None else pl.concat([carried, lexed])
            cut, inside_envoi, inside_declaration = _last_envoi_start(pending), False, False
            if cut == 0 and pending.height > min(max_lines, max_declaration_lines):
                starts = instance_starts(pending, self._state)  # one scan for both cuts
                # Before a declaration when there is one to cut at: nothing to carry for it.
                cut, inside_envoi = _last_declaration_start(pending, starts), True
                if cut == 0 and pending.height > max_declaration_lines:
                    cut = _last_instance_start(
                        pending, starts, self._under_establishment(pending), MAX_UNCUT_LINES
                    )
                    inside_envoi = inside_declaration = True
            if cut > 0:
                yield pending.slice(0, cut), inside_envoi, inside_declaration
                carried = pending.slice(cut)
            else:
                carried = pending
        if carried is not None and carried.height:
            yield carried, False, False


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


def _last_declaration_start(lexed: pl.DataFrame, starts: pl.Series) -> int:
    """Where to cut an envoi too big for one batch: before its last declaration (0: none, or
    the batch is one declaration so far). `starts`: the lines starting an instance."""
    positions = (starts & (lexed.get_column("block") == DECLARATION_BLOCK)).arg_true()
    return int(positions[-1]) if positions.len() else 0


def _last_instance_start(
    lexed: pl.DataFrame, starts: pl.Series, cuttable: list[str], max_uncut_lines: int
) -> int:
    """Where to cut a declaration too big for one batch: before its last instance of a
    `cuttable` block, so each individual's subtree stays whole (0: none yet); else, past
    `max_uncut_lines`, before any instance."""
    exact, anywhere = lexed.select(
        exact=pl.arg_where(starts & pl.col("block").is_in(cuttable)).max(),
        anywhere=pl.arg_where(starts).max(),
    ).row(0)
    if exact:
        return int(exact)
    return int(anywhere or 0) if lexed.height > max_uncut_lines else 0


def _envoi_so_far(lines: pl.DataFrame, before: EnvoiSoFar | None) -> EnvoiSoFar | None:
    """The batch's last envoi, which goes on in the next batch, as its parts so far hold it."""
    envois = lines.get_column("envoi_id").drop_nulls()
    if envois.is_empty():
        return None
    envoi_id = int(envois[-1])
    own = lines.filter(pl.col("envoi_id") == envoi_id)
    carried = own.filter(
        pl.col("declaration_id").is_null() | (pl.col("block") == DECLARATION_BLOCK)
    )
    counted = own.filter(~pl.col("block").is_in(LOT_ENVELOPE).fill_null(False)).height
    if before is not None and before.envoi_id == envoi_id:
        return EnvoiSoFar(
            envoi_id, pl.concat([before.lines, carried]), before.counted_lines + counted
        )
    return EnvoiSoFar(envoi_id, carried, counted)


def _declaration_so_far(
    lines: pl.DataFrame,
    blocks: dict[str, pl.DataFrame],
    before: DeclarationSoFar | None,
    individual: frozenset[str],
) -> DeclarationSoFar | None:
    """The batch's last declaration, which goes on in the next batch, as its parts so far hold
    it (DeclarationSoFar). `individual`: the blocks of an individual's subtree."""
    declarations = lines.get_column("declaration_id").drop_nulls()
    if declarations.is_empty():
        return None
    declaration_id = int(declarations[-1])
    own = lines.filter(pl.col("declaration_id") == declaration_id)
    block = pl.col("block")
    across = pl.lit(False)
    for of, rubrics in ACROSS_INDIVIDUALS.items():
        read = pl.col("line") == pl.col("instance_id")
        if rubrics:
            read |= pl.col("rubric").is_in(rubrics)
        across |= (block == of) & read
    # Its first block goes with its envoi's (EnvoiSoFar), when it has one.
    with_envoi = (block == DECLARATION_BLOCK).fill_null(False) & pl.col("envoi_id").is_not_null()
    carried = own.filter((_about_declaration(individual) & ~with_envoi) | across.fill_null(False))
    tables = _rows_of(blocks, carried)
    if before is not None and before.declaration_id == declaration_id:
        carried = pl.concat([before.lines, carried])
        tables = carried_tables(before.tables, tables)
    return DeclarationSoFar(declaration_id, carried, tables)


def _rows_of(blocks: dict[str, pl.DataFrame], lines: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The tables' rows of these lines' instances: of an individual's block, its ids and the
    rubrics ACROSS_INDIVIDUALS names only."""
    ids = lines.filter(pl.col("line") == pl.col("instance_id")).get_column("instance_id")
    rows: dict[str, pl.DataFrame] = {}
    for block, table in blocks.items():
        found = table.filter(pl.col("instance_id").is_in(ids.implode()))
        if found.is_empty():
            continue
        if block in ACROSS_INDIVIDUALS:
            kept = [*INSTANCE_COLUMNS, *ACROSS_INDIVIDUALS[block]]
            found = found.select(name for name in found.columns if name in kept)
        rows[block] = found
    return rows


def carried_tables(
    before: dict[str, pl.DataFrame], tables: dict[str, pl.DataFrame]
) -> dict[str, pl.DataFrame]:
    """Per block, the rows of `before` then those of `tables` (in instance order)."""
    return {
        block: pl.concat(
            [frame for frame in (before.get(block), tables.get(block)) if frame is not None],
            how="diagonal_relaxed",
        )
        for block in sorted(before.keys() | tables.keys())
    }


def _about_declaration(individual: frozenset[str]) -> pl.Expr:
    """Whether a line of a declaration is about the declaration, not one of its individuals: its
    block (a malformed line's, the one it interrupts) is not in an individual's subtree."""
    return ~pl.col("block").forward_fill().is_in(sorted(individual)).fill_null(False)


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
