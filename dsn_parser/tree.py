"""The block tree, rebuilt from line order (cahier technique §3.2).

A block instance is a run of consecutive lines of one block; a new instance starts when the block
changes or the rubric number goes down or repeats. The parent of an instance is the last *open*
instance of its parent block type: an instance stays open until an instance of a block at its
depth or above starts (a new S21.G00.30 closes the previous individual and all its contracts).
The insurer's lot envelope (S05/S06/S95/S96.G51.00) is a tree of its own laid over the envois:
its blocks neither open nor close DSN blocks, and the other way round.

Everything is computed on whole columns (forward fills over instance starts), never with a
Python loop per line. A file may be read in batches: `TreeState` carries what is still open from
one batch to the next, so the result does not depend on where batches are cut.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

import polars as pl

from dsn_parser.model import ID_TYPE, by_id

ENVOI_BLOCK = "S10.G00.00"
DECLARATION_BLOCK = "S20.G00.05"
INDIVIDU_BLOCK = "S21.G00.30"
CONTRAT_BLOCK = "S21.G00.40"
LOT_BLOCK = "S05.G51.00"
# The concentrator's lot envelope around envois: header, group headers and trailers, trailer.
LOT_ENVELOPE = (LOT_BLOCK, "S06.G51.00", "S95.G51.00", "S96.G51.00")
NATURE_RUBRIC = "S20.G00.05.001"

DSN_LAYER = 0
LOT_LAYER = 1

# Ancestors the natural keys hang on: each instance row carries the id of its open ancestor
# of these types (null when it is not a descendant).
KEY_ANCHORS = {"individu_id": INDIVIDU_BLOCK, "contrat_id": CONTRAT_BLOCK}

INSTANCES_SCHEMA: dict[str, pl.DataType] = {
    "instance_id": pl.UInt32(),
    "block": ID_TYPE,
    "parent_id": pl.UInt32(),
    "envoi_id": pl.UInt32(),
    "declaration_id": pl.UInt32(),
    "individu_id": pl.UInt32(),
    "contrat_id": pl.UInt32(),
}


@dataclass(frozen=True)
class BlockTree:
    """The norm's parent relation with what the builder derives from it: depth and layer."""

    parent_of: Mapping[str, str | None]
    depth: dict[str, int]
    layer: dict[str, int]
    descendants: dict[str, frozenset[str]]

    @cached_property
    def table(self) -> pl.DataFrame:
        """block, parent, depth, layer: one row per block of the norm."""
        return pl.DataFrame(
            {
                "block": list(self.parent_of),
                "parent": list(self.parent_of.values()),
                "depth": [self.depth[block] for block in self.parent_of],
                "layer": [self.layer[block] for block in self.parent_of],
            },
            schema={"block": ID_TYPE, "parent": ID_TYPE, "depth": pl.Int32, "layer": pl.Int32},
        )

    @classmethod
    def from_parents(cls, parent_of: Mapping[str, str | None]) -> BlockTree:
        depth: dict[str, int] = {}
        layer: dict[str, int] = {}
        descendants: dict[str, set[str]] = {block: set() for block in parent_of}
        for block in parent_of:
            chain = _ancestors(parent_of, block)
            depth[block] = len(chain)
            root = chain[-1] if chain else block
            layer[block] = LOT_LAYER if root == LOT_BLOCK else DSN_LAYER
            for ancestor in chain:
                descendants.setdefault(ancestor, set()).add(block)
        return cls(
            parent_of=parent_of,
            depth=depth,
            layer=layer,
            descendants={block: frozenset(found) for block, found in descendants.items()},
        )


def individual_blocks(tree: BlockTree) -> frozenset[str]:
    """The individual's block (S21.G00.30) and the blocks under it: a declaration's lines in
    these are about one individual, its other lines about the declaration."""
    return frozenset({INDIVIDU_BLOCK, *tree.descendants.get(INDIVIDU_BLOCK, ())})


def _ancestors(parent_of: Mapping[str, str | None], block: str) -> list[str]:
    chain: list[str] = []
    parent = parent_of.get(block)
    while parent is not None and parent not in chain and len(chain) < 32:
        chain.append(parent)
        parent = parent_of.get(parent)
    return chain


@dataclass
class TreeState:
    """What a batch leaves open for the next one."""

    previous_block: str | None = None
    previous_rubric_no: int | None = None
    current_instance: int | None = None
    envoi_id: int = 0  # 0: no envoi open
    last_start: dict[str, int] = field(default_factory=dict)  # block -> last instance id
    # (layer, depth) -> last instance id of a block of that layer at that depth or above
    last_closing: dict[tuple[int, int], int] = field(default_factory=dict)


def instance_starts(lexed: pl.DataFrame, state: TreeState) -> pl.Series:
    """True on the first line of each block instance (malformed lines never start one)."""
    return lexed.select(
        pl.col("rubric").is_not_null()
        & (
            (pl.col("block") != _previous("block", state.previous_block))
            | (pl.col("rubric_no") <= _previous("rubric_no", state.previous_rubric_no))
        ).fill_null(True)
    ).to_series()


def _previous(column: str, carried: str | int | None) -> pl.Expr:
    # The value on the previous well-formed line: malformed lines in between do not count.
    return _or_carried(pl.col(column).forward_fill().shift(1), carried)


def _or_carried(expr: pl.Expr, carried: str | int | None) -> pl.Expr:
    """`expr`, its leading nulls taken from the previous batch (when it left a value)."""
    return expr if carried is None else expr.fill_null(carried)


def build_tree(
    lexed: pl.DataFrame, tree: BlockTree, state: TreeState
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Lines with their instance, parent, envoi and declaration ids, and the instances table.

    `lexed` holds consecutive lines (lexer.LEXED_SCHEMA); `state` is read and updated.
    """
    starts = instance_starts(lexed, state)
    instances = _instances(lexed.select("line", "block").filter(starts), tree, state)
    # Each line takes the ids of the latest instance start at or above it: the k-th start's
    # row of `instances`, gathered by the running count of starts.
    started = starts.cast(pl.UInt32).cum_sum()
    ordinal = pl.select(pl.when(started > 0).then(started - 1)).to_series()
    gathered = instances.select(pl.col("parent_id", "envoi_id", "declaration_id").gather(ordinal))
    lines = lexed.with_columns(
        instance_id=pl.when(pl.col("rubric").is_not_null()).then(
            pl.when(starts)
            .then(pl.col("line"))
            .forward_fill()
            .pipe(_or_carried, state.current_instance)
        ),
        parent_id=pl.when(pl.col("rubric").is_not_null()).then(gathered["parent_id"]),
        # Lines before the batch's first instance start (malformed ones) are still in the envoi
        # the previous batch left open.
        envoi_id=pl.when(pl.lit(ordinal).is_null())
        .then(pl.lit(state.envoi_id or None, pl.UInt32))
        .otherwise(pl.lit(gathered["envoi_id"])),
        declaration_id=gathered["declaration_id"],
    )
    _remember(lexed, lines, instances, tree, state)
    instances = instances.drop("_layer", "_depth")
    return lines.select(
        "line",
        "rubric",
        "block",
        "value",
        "raw",
        "instance_id",
        "parent_id",
        "envoi_id",
        "declaration_id",
    ), instances


def _instances(first_lines: pl.DataFrame, tree: BlockTree, state: TreeState) -> pl.DataFrame:
    blocks, norm_blocks = first_lines.get_column("block"), tree.table
    frame = first_lines.select(instance_id=pl.col("line"), block=pl.col("block")).with_columns(
        by_id(blocks, norm_blocks["block"], norm_blocks[column])
        for column in ("parent", "depth", "layer")
    )
    present = set(frame.get_column("block").unique().drop_nulls())
    parents: set[str] = set()
    for block in present:
        parent = tree.parent_of.get(block)
        if parent is not None:
            parents.add(parent)
    anchors = {DECLARATION_BLOCK, *KEY_ANCHORS.values()}

    known = [block for block in sorted(parents | anchors) if block in tree.depth]
    levels = sorted({(tree.layer[block], tree.depth[block]) for block in known})
    # Per block type, its last instance so far; per level, the last instance of any block at
    # that level or above: an instance is still open when nothing at its level started since.
    frame = frame.with_columns(
        *(
            pl.when(pl.col("block") == block)
            .then(pl.col("instance_id"))
            .forward_fill()
            .pipe(_or_carried, state.last_start.get(block))
            .alias(f"last:{block}")
            for block in known
        ),
        *(
            pl.when((pl.col("layer") == layer) & (pl.col("depth") <= depth))
            .then(pl.col("instance_id"))
            .forward_fill()
            .pipe(_or_carried, state.last_closing.get((layer, depth)))
            .alias(f"closing:{layer}:{depth}")
            for layer, depth in levels
        ),
    ).with_columns(
        pl.when(
            pl.col(f"last:{block}") == pl.col(f"closing:{tree.layer[block]}:{tree.depth[block]}")
        )
        .then(pl.col(f"last:{block}"))
        .alias(f"open:{block}")
        for block in known
    )

    parent_id: pl.Expr = pl.lit(None, pl.UInt32)
    for block in sorted(parents):
        if block in tree.depth:
            parent_id = (
                pl.when(pl.col("parent") == block)
                .then(pl.col(f"open:{block}"))
                .otherwise(parent_id)
            )
    envoi_marker = (
        pl.when(pl.col("block") == ENVOI_BLOCK)
        .then(pl.col("instance_id"))
        .when(pl.col("layer") == LOT_LAYER)
        .then(0)
        .forward_fill()
        .fill_null(state.envoi_id)
    )
    in_dsn = pl.col("layer") != LOT_LAYER
    columns: dict[str, pl.Expr] = {
        "parent_id": parent_id,
        "envoi_id": pl.when(envoi_marker > 0).then(envoi_marker),
        "declaration_id": pl.when(in_dsn.fill_null(True)).then(pl.col(f"open:{DECLARATION_BLOCK}")),
    }
    for name, anchor in KEY_ANCHORS.items():
        members = [anchor, *sorted(tree.descendants.get(anchor, ()))]
        columns[name] = pl.when(pl.col("block").is_in(members)).then(pl.col(f"open:{anchor}"))
    return frame.select("instance_id", "block", **columns, _layer="layer", _depth="depth").cast(
        {name: dtype for name, dtype in INSTANCES_SCHEMA.items() if name != "block"}
    )


def _remember(
    lexed: pl.DataFrame,
    lines: pl.DataFrame,
    instances: pl.DataFrame,
    tree: BlockTree,
    state: TreeState,
) -> None:
    carried = lines.select(
        block=pl.col("block").drop_nulls().last(),
        rubric_no=lexed.get_column("rubric_no").drop_nulls().last(),
        instance_id=pl.col("instance_id").drop_nulls().last(),
    ).row(0, named=True)
    if carried["block"] is not None:
        state.previous_block = carried["block"]
        state.previous_rubric_no = carried["rubric_no"]
        state.current_instance = carried["instance_id"]
    if instances.is_empty():
        return
    last = instances.row(-1, named=True)
    state.envoi_id = last["envoi_id"] or (0 if last["_layer"] == LOT_LAYER else state.envoi_id)
    starts = instances.group_by("block").agg(pl.col("instance_id").max())
    state.last_start.update(zip(starts["block"], starts["instance_id"], strict=True))
    levels = (
        instances.filter(pl.col("_depth").is_not_null())
        .group_by("_layer", "_depth")
        .agg(pl.col("instance_id").max())
    )
    for layer, depth, instance_id in levels.iter_rows():
        for covered in range(depth, max(tree.depth.values(), default=0) + 1):
            key = (layer, covered)
            state.last_closing[key] = max(state.last_closing.get(key, 0), instance_id)
