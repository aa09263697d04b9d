"""What every control needs, computed once per file: the norm of each envoi, the nature of each
declaration, and one row per block instance with the individual and establishment it belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property

import numpy as np
import polars as pl

from dsn_parser.model import ID_TYPE, WHOLE_FILE, ParsedFile, Part
from dsn_parser.norm import Norm, load_norm, resolve_norm
from dsn_parser.reading import carried_tables
from dsn_parser.tables import ETABLISSEMENT_BLOCK, NORM_RUBRIC
from dsn_parser.tree import INDIVIDU_BLOCK as INDIVIDUAL_BLOCK
from dsn_parser.tree import LOT_BLOCK, NATURE_RUBRIC, BlockTree, individual_blocks

# Added by the deposit platform to the copy a concentrator sends an OC.
DEPOSIT_BLOCK = "S10.G00.95"
RUBRIC_ID = r"^S[0-9]{2}\.G[0-9]{2}\.[0-9]{2}\.[0-9]{3}"
# Nature used for envoi-level blocks (S10, S90) of an envoi with no readable declaration.
DEFAULT_NATURE = "01"


@dataclass(frozen=True)
class Context:
    file_id: str
    encoding: str  # the file's, as inspect() settled it
    # LINES_SCHEMA plus, per line: `norm` (version of the dictionary used),
    # `declaration_nature` (S20.G00.05.001 of its declaration), `fallback` (its envoi is checked
    # against another version's dictionary), `oc_copy` (the envoi is an OC copy, filtered by a
    # concentrator after national checks: it carries the deposit block S10.G00.95 or sits in a
    # lot), `service` (a rubric added on the way by a platform or concentrator, never an
    # error), `scope_instance_id` and `claimed_rubric` (for unreadable lines, see below).
    lines: pl.DataFrame
    # One row per block instance: instance_id, block, parent_id, envoi_id, declaration_id,
    # norm, declaration_nature, fallback, oc_copy, individual_id, establishment_id.
    instances: pl.DataFrame
    # The reader's typed block tables (ParsedFile.blocks): one row per instance.
    tables: dict[str, pl.DataFrame]
    norm_versions: tuple[str, ...]  # sorted: the key of the per-norm caches
    rubrics: pl.DataFrame  # the norm rubrics of every version used, with a `norm` column
    blocks: pl.DataFrame  # the norm blocks of every version used, with a `norm` column
    codes: pl.DataFrame  # norm, rubric, code
    # One row per envoi: envoi_id, declared (S10.G00.00.006), norm, fallback_message, line.
    envois: pl.DataFrame
    # When several files are validated together (dsn_parser.batch), the line number each file
    # starts at: line numbers run on across the files, and messages show each file's own.
    file_starts: pl.Series | None = None
    # A batch of a file read in parts (dsn_parser.reading): `lines` start with what its envoi's
    # and its first declaration's earlier parts carried (Part.continued, Part.declaration), and
    # the batch's own lines start at `own_from`.
    part: Part = WHOLE_FILE
    own_from: int = 0

    def own(self, line: pl.Expr) -> pl.Expr:
        """Whether a line number is one of the batch's own lines, not carried from before."""
        return line >= self.own_from

    def reportable(self) -> pl.Expr:
        """Whether an instance's findings may be reported in this batch: one of its own, or one
        an earlier part carried outside individuals (judged on its envoi's or declaration's last
        part). The individuals' lines a declaration's earlier parts carried were judged in their
        own part: checking their presence rules again would only find what they left out."""
        return self.own(pl.col("instance_id")) | pl.col("individual_id").is_null()

    def shown_line(self, line: pl.Expr) -> pl.Expr:
        """A line number as a message shows it: its file's own."""
        if self.file_starts is None:
            return line
        return line - (pl.lit(self.file_starts).gather(self.file_of(line)) - 1)

    def file_of(self, line: pl.Expr) -> pl.Expr:
        """The index of the file a line number lies in (0 when one file is validated)."""
        if self.file_starts is None:
            return pl.lit(0, pl.UInt32)
        return pl.lit(self.file_starts).search_sorted(line, side="right") - 1


def build_context(
    parsed: ParsedFile, file_starts: pl.Series | None = None, part: Part = WHOLE_FILE
) -> Context:
    lines = parsed.lines if parsed.lines["line"].is_sorted() else parsed.lines.sort("line")
    carried = [so_far.lines for so_far in (part.continued, part.declaration) if so_far is not None]
    own_from = int(lines["line"][0]) if carried and lines.height else 0
    if carried:
        lines = pl.concat([*carried, lines])
        if not lines["line"].is_sorted():  # a malformed line amid its first block
            lines = lines.sort("line")
    envois, norms = _envoi_norms(lines)
    natures = _declaration_natures(lines)
    first_natures = natures.unique("envoi_id", keep="first", maintain_order=True)
    default_norm: str = envois["norm"][0] if envois.height else _latest_norm().version
    # A huge lot is validated in batches and only the first one holds the lot header.
    in_lot = part.in_lot or bool((lines["block"] == LOT_BLOCK).any())
    copies = lines.filter(pl.col("block") == DEPOSIT_BLOCK)["envoi_id"].unique().drop_nulls()
    per_envoi = envois.select(
        "envoi_id",
        pl.col("norm").cast(ID_TYPE),
        "fallback",
        oc_copy=pl.col("envoi_id").is_in(copies.implode()),
    ).join(
        first_natures.select("envoi_id", first_nature="declaration_nature"),
        on="envoi_id",
        how="left",
        maintain_order="left",
    )
    envoi = _RowOf(lines.get_column("envoi_id"), per_envoi.get_column("envoi_id"))
    declaration = _RowOf(lines.get_column("declaration_id"), natures["declaration_id"])
    per_line = lines.with_columns(
        norm=envoi.value(per_envoi["norm"], default_norm),
        fallback=envoi.value(per_envoi["fallback"], False),
        declaration_nature=_declaration_nature(natures, per_envoi, declaration, envoi),
        oc_copy=pl.lit(True) if in_lot else envoi.value(per_envoi["oc_copy"], False),
        service=_is_service(lines, norms[default_norm]),
        # A line the lexer could not read belongs to no instance; its findings are scoped to
        # the instance it interrupts (the one before it), and the rubric id it starts with, if
        # any, is what it was meant to declare.
        scope_instance_id=pl.col("instance_id").forward_fill(),
        claimed_rubric=_claimed_rubric(lines),
    )
    versions = tuple(sorted(norms))
    rubrics, blocks, codes = norm_tables(versions)
    return Context(
        file_id=parsed.file_id,
        encoding=parsed.encoding,
        lines=per_line,
        instances=_instances(per_line),
        # A declaration's earlier parts' rows first: the rows stay in instance order.
        tables=(
            carried_tables(part.declaration.tables, parsed.blocks)
            if part.declaration is not None
            else parsed.blocks
        ),
        norm_versions=versions,
        rubrics=rubrics,
        blocks=blocks,
        codes=codes,
        envois=envois,
        file_starts=file_starts,
        part=part,
        own_from=own_from,
    )


class _RowOf:
    """Per line, the row of its envoi or declaration in a small frame keyed by that id.

    The ids are line numbers, so sorted: one binary search per line serves every attribute of
    the frame, costs a fraction of a hash lookup and moves none of the lines' columns (a join
    would move them all). The search is made only if an attribute varies: in the common case
    (one norm version, one nature, no copy) every line gets the same values without it.
    """

    def __init__(self, keys: pl.Series, sorted_keys: pl.Series) -> None:
        self._keys = keys
        self._sorted_keys = sorted_keys

    @cached_property
    def _rows(self) -> tuple[pl.Series, pl.Series]:
        """Per line: its row in the frame, and whether it has one."""
        sorted_keys = self._sorted_keys
        row = sorted_keys.search_sorted(self._keys).clip(upper_bound=sorted_keys.len() - 1)
        return row, (sorted_keys.gather(row) == self._keys).fill_null(False)

    def value(self, column: pl.Series, default: object = None) -> pl.Expr:
        """`column`'s value on each line's row; `default` where the line has no row or a null."""
        otherwise = pl.lit(default, column.dtype)
        if default is None:
            only_default = column.is_null().all()
        else:
            only_default = column.fill_null(otherwise).eq(default).all()
        if column.is_empty() or only_default:
            return otherwise
        row, found = self._rows
        values = pl.select(pl.when(found).then(column.gather(row))).to_series()
        return pl.lit(values).fill_null(otherwise)


def _declaration_nature(
    natures: pl.DataFrame, per_envoi: pl.DataFrame, declaration: _RowOf, envoi: _RowOf
) -> pl.Expr:
    """The nature of the line's declaration, else the first of its envoi, else DEFAULT_NATURE
    (envoi-level lines of an envoi without a readable declaration)."""
    declared = pl.concat([natures["declaration_nature"], per_envoi["first_nature"]])
    if set(declared.drop_nulls().cast(pl.String)) <= {DEFAULT_NATURE}:
        return pl.lit(DEFAULT_NATURE, ID_TYPE)
    return pl.coalesce(
        declaration.value(natures["declaration_nature"]),
        envoi.value(per_envoi["first_nature"]),
        pl.lit(DEFAULT_NATURE, ID_TYPE),
    )


def _claimed_rubric(lines: pl.DataFrame) -> pl.Expr:
    # A file the lexer read whole has no raw line (its null count is free to read): the rubric
    # is then all there is, with no pass over the lines.
    if lines.get_column("raw").null_count() == lines.height:
        return pl.col("rubric")
    return pl.coalesce("rubric", pl.col("raw").str.extract(f"({RUBRIC_ID})").cast(ID_TYPE))


def _is_service(lines: pl.DataFrame, norm: Norm) -> pl.Expr:
    # The norm's rule runs once per distinct rubric of the file, not once per line; most files
    # have no service rubric at all. Nulls are dropped from the few distinct rubrics, not from
    # every line, and the order-keeping unique of a categorical costs less (Polars 2.0).
    distinct = lines["rubric"].unique(maintain_order=True).drop_nulls().to_list()
    service = [rubric for rubric in distinct if norm.is_service_rubric(rubric)]
    return pl.col("rubric").is_in(service) if service else pl.lit(False)


def _latest_norm() -> Norm:
    return resolve_norm(None)[0]


def _envoi_norms(lines: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, Norm]]:
    """Each envoi's declared version and the dictionary used for it (resolved once per version).

    An envoi is identified by its first line; `line` is where its version is declared.
    """
    declared = lines.filter(pl.col("rubric") == NORM_RUBRIC).unique("envoi_id", keep="first")
    # An envoi's lines follow each other: its id is read once per run, not hashed per line.
    starts = (
        lines.select(
            pl.col("envoi_id").rle().struct.field("value").unique().drop_nulls().alias("envoi_id")
        )
        .join(declared.select("envoi_id", declared="value", line="line"), on="envoi_id", how="left")
        .with_columns(pl.col("line").fill_null(pl.col("envoi_id")))
    )
    norms: dict[str, Norm] = {}
    resolved: list[dict[str, object]] = []
    for version in starts["declared"].unique().to_list():
        norm, message = resolve_norm(version)
        norms[norm.version] = norm
        resolved.append({"declared": version, "norm": norm.version, "fallback_message": message})
    if not norms:
        norm = _latest_norm()
        norms[norm.version] = norm
    mapping = pl.DataFrame(
        resolved,
        schema={"declared": pl.String, "norm": pl.String, "fallback_message": pl.String},
    )
    envois = (
        starts.join(mapping, on="declared", how="left", nulls_equal=True)
        .with_columns(pl.col("fallback_message").is_not_null().alias("fallback"))
        .sort("envoi_id")
    )
    return envois, norms


def _declaration_natures(lines: pl.DataFrame) -> pl.DataFrame:
    """declaration_id, envoi_id, declaration_nature (S20.G00.05.001), in file order."""
    return (
        lines.filter((pl.col("rubric") == NATURE_RUBRIC) & pl.col("declaration_id").is_not_null())
        .unique("declaration_id", keep="first")
        .select("declaration_id", "envoi_id", declaration_nature=pl.col("value").cast(ID_TYPE))
        .sort("declaration_id")
    )


def _instances(lines: pl.DataFrame) -> pl.DataFrame:
    # An instance's id is its first line number: its first line carries all it needs (its
    # rubric is kept as `first_rubric`, the rubric a structure finding on the block shows).
    # Selected before filtering: the lines' other columns (their text) are not gathered.
    instances = (
        lines.select(
            "instance_id",
            "block",
            "parent_id",
            "envoi_id",
            "declaration_id",
            "norm",
            "declaration_nature",
            "fallback",
            "oc_copy",
            first_rubric="rubric",
            is_first_line=pl.col("line") == pl.col("instance_id"),
        )
        .filter("is_first_line")
        .drop("is_first_line")
    )
    parent_rows = _parent_rows(instances)
    return instances.with_columns(
        _nearest(instances, parent_rows, INDIVIDUAL_BLOCK).alias("individual_id"),
        _nearest(instances, parent_rows, ETABLISSEMENT_BLOCK).alias("establishment_id"),
    )


def _parent_rows(instances: pl.DataFrame) -> np.ndarray:
    """Per instance, the row of its parent in `instances` (-1: none, or outside this batch).

    Instance ids are line numbers of the batch, so a table indexed by line number finds each
    parent's row in one gather: a third of the time of a binary search.
    """
    ids = instances.get_column("instance_id").to_numpy().astype(np.int64)
    if not ids.size:
        return np.empty(0, dtype=np.int64)
    parents = instances.get_column("parent_id").fill_null(0).to_numpy().astype(np.int64)
    row_of_line = np.full(ids[-1] - ids[0] + 1, -1, dtype=np.int64)
    row_of_line[ids - ids[0]] = np.arange(ids.size)
    offset = parents - ids[0]
    in_batch = (parents > 0) & (offset >= 0) & (offset < row_of_line.size)
    return np.where(in_batch, row_of_line[np.where(in_batch, offset, 0)], -1)


def _nearest(instances: pl.DataFrame, parent_rows: np.ndarray, block: str) -> pl.Series:
    """Per instance, itself or its nearest ancestor of type `block` (null if none).

    The instances not of the block climb their ancestors together, one level a step, and
    leave the climb once they find one of the block or reach the top (or a parent outside this
    batch): each step only touches the instances still climbing, not one join per tree level.
    """
    ids = instances.get_column("instance_id").to_numpy()
    is_block = instances.get_column("block").eq(block).fill_null(False).to_numpy()
    found = np.where(is_block, ids, 0)
    climbing = np.flatnonzero(~is_block & (parent_rows >= 0))
    reached = parent_rows[climbing]  # the ancestor each climbing instance looks at
    while climbing.size:
        found[climbing] = found[reached]
        going_on = (found[climbing] == 0) & (parent_rows[reached] >= 0)
        climbing, reached = climbing[going_on], parent_rows[reached[going_on]]
    return pl.Series(found, dtype=pl.UInt32).replace(0, None)


@cache
def individual_blocks_of(versions: tuple[str, ...]) -> list[str]:
    """The blocks of an individual's subtree in these norm versions (tree.individual_blocks)."""
    found: set[str] = set()
    for version in versions:
        found |= individual_blocks(BlockTree.from_parents(load_norm(version).parent_of))
    return sorted(found)


@cache
def norm_tables(versions: tuple[str, ...]) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The rubrics, blocks and codes of these norm versions, tagged with a `norm` column.

    Cached per set of versions, like every table the controls derive from the norm alone: a
    night's thousands of small files use a few versions.
    """
    norms = [load_norm(version) for version in versions]
    return (
        _tagged(norms, "rubrics"),
        _tagged(norms, "blocks"),
        _tagged(norms, "codes").select("norm", "rubric", "code"),
    )


def _tagged(norms: list[Norm], table: str) -> pl.DataFrame:
    tagged = pl.concat(
        [getattr(norm, table).with_columns(norm=pl.lit(norm.version)) for norm in norms]
    )
    # Ids typed as in the lines, so the tables join to them.
    ids = [column for column in ("norm", "rubric", "block", "parent") if column in tagged.columns]
    return tagged.with_columns(pl.col(ids).cast(ID_TYPE))
