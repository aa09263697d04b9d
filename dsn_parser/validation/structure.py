"""Structure controls (cahier technique §4.4): known rubrics, block placement, cardinalities,
and the presence rules of the usage table for the declaration's nature.

Presence rules (mandatory and forbidden rubrics, minimum cardinalities) are downgraded to
warnings in two cases, because the dictionary cannot be trusted to say what is missing there:
- the envoi declares a version we have no dictionary for and is checked against another year's,
  whose usage table differs (rubrics added since then would read as missing);
- the envoi is an OC copy (it carries the deposit platform's block S10.G00.95 or comes in a
  concentrator's lot): the concentrator sends the OC only the data meant for it, after the
  national validator accepted the full declaration, so absent blocks and rubrics
  (remunerations, complementary pension, the declaration's currency) are expected there.
"""

from __future__ import annotations

from functools import cache

import polars as pl

from dsn_parser.model import ID_TYPE, by_id
from dsn_parser.norm import USAGE_NATURES
from dsn_parser.validation.context import Context, norm_tables
from dsn_parser.validation.diagnostics import findings

_PRESENCE_AS_WARNING = pl.col("fallback") | pl.col("oc_copy")


def check(ctx: Context) -> list[pl.LazyFrame]:
    return [
        _unknown_rubrics(ctx),
        _orphan_blocks(ctx),
        _interleaved_siblings(ctx),
        _too_many(ctx),
        _too_few(ctx),
        _mandatory(ctx),
        _forbidden_rubrics(ctx),
        _forbidden_blocks(ctx),
    ]


def _usages(ctx: Context) -> pl.DataFrame:
    """norm, rubric, block, declaration_nature, usage (O C F I N): the usage table, long."""
    return _usages_of(ctx.norm_versions)


@cache
def _usages_of(versions: tuple[str, ...]) -> pl.DataFrame:
    rubrics, _, _ = norm_tables(versions)
    return rubrics.unpivot(
        index=["norm", "rubric", "block"],
        on=[f"usage_{nature}" for nature in USAGE_NATURES],
        variable_name="declaration_nature",
        value_name="usage",
    ).with_columns(pl.col("declaration_nature").str.strip_prefix("usage_").cast(ID_TYPE))


def _unknown_rubrics(ctx: Context) -> pl.LazyFrame:
    unknown = (
        ctx.lines.lazy()
        .filter(pl.col("rubric").is_not_null() & pl.col("value").is_not_null() & ~pl.col("service"))
        # Cheap first pass: a rubric every version in use knows is known whatever the line's
        # version; only the few other lines go through the (norm, rubric) anti-join.
        .filter(~pl.col("rubric").is_in(_known_by_every_version(ctx.norm_versions).implode()))
        .join(ctx.rubrics.lazy().select("norm", "rubric"), on=["norm", "rubric"], how="anti")
    )
    return findings(
        unknown,
        "STR-UNKNOWN-RUBRIC",
        pl.when(pl.col("fallback"))
        .then(
            pl.format(
                "Rubrique absente du dictionnaire {} utilisé à la place de la norme "
                "déclarée (elle a pu être supprimée depuis).",
                pl.col("norm"),
            )
        )
        .otherwise(pl.format("Rubrique inconnue de la norme {}.", pl.col("norm"))),
        warning_when=pl.col("fallback"),
    )


@cache
def _known_by_every_version(versions: tuple[str, ...]) -> pl.Series:
    rubrics, _, _ = norm_tables(versions)
    counts = rubrics.group_by("rubric").agg(pl.col("norm").n_unique())
    return counts.filter(pl.col("norm") == len(versions)).get_column("rubric").sort()


def _known_instances(ctx: Context, instances: pl.LazyFrame) -> pl.LazyFrame:
    """These instances of blocks the dictionary knows, with the block's parent and
    cardinalities."""
    return instances.join(
        ctx.blocks.lazy().select(
            "norm", "block", "parent", "min_occurs", "max_occurs", "origin", block_label="label"
        ),
        on=["norm", "block"],
        how="inner",
    )


# A structure finding shows the rubric of its instance's first line, which the instance carries:
# joining it back from the instances hashed them all for each control (~3 ms a 730k-line batch).
_FIRST_RUBRIC = pl.col("first_rubric")


def _child_key(parent: pl.Expr) -> pl.Expr:
    """(parent instance, block) as one integer: the parent's id in the high half, the block's
    categorical code in the low half. One 64-bit key hashes in about half the time of the two
    columns (is_first_distinct on a 730k-line batch's 87k sibling runs: 3.6 -> 1.7 ms)."""
    return parent.cast(pl.UInt64) * (1 << 32) + pl.col("block").to_physical().cast(pl.UInt64)


def _orphan_blocks(ctx: Context) -> pl.LazyFrame:
    """A block whose parent block is not open where it appears (cahier technique §4.4: a block
    is always forbidden when its parent is absent)."""
    # Nearly every instance has its parent: the few without one are all the join reads.
    orphans = (
        _known_instances(ctx, ctx.instances.lazy().filter(pl.col("parent_id").is_null()))
        .filter(pl.col("parent").is_not_null())
        .filter(pl.col("origin") != "service")
    )
    return findings(
        orphans,
        "STR-ORDER",
        pl.format(
            "Bloc {} ({}) placé hors de son bloc parent {} : il doit suivre un bloc {}.",
            pl.col("block"),
            pl.col("block_label"),
            pl.col("parent"),
            pl.col("parent"),
        ),
        line=pl.col("instance_id"),
        rubric=_FIRST_RUBRIC,
    )


def _interleaved_siblings(ctx: Context) -> pl.LazyFrame:
    """Instances of one block type under one parent must follow each other: the norm imposes
    an order of sibling blocks, so a block type that reappears after another type is out of
    order whatever that order is."""
    block, parent = pl.col("block"), pl.col("parent_id")
    # The first instance of each run of one block type under one parent; instances are in file
    # order, so a stable sort on the parent lists each parent's children in order.
    run_starts = (
        ctx.instances.lazy()
        .filter(parent.is_not_null())
        .select("instance_id", "parent_id", "block", "first_rubric")
        .sort("parent_id", maintain_order=True)
        .filter(((block != block.shift(1)) | (parent != parent.shift(1))).fill_null(True))
    )
    reappearing = run_starts.filter(~_child_key(parent).is_first_distinct())
    return findings(
        reappearing,
        "STR-ORDER",
        pl.format(
            "Bloc {} reparaissant après des blocs d'un autre type sous le même parent "
            "(ligne {}) : les blocs de même type doivent se suivre.",
            block,
            ctx.shown_line(parent),
        ),
        line=pl.col("instance_id"),
        rubric=_FIRST_RUBRIC,
    )


def _too_many(ctx: Context) -> pl.LazyFrame:
    # Few blocks have a maximum (about 1 % of a monthly lot's instances): only their instances
    # are joined and ranked.
    bounded = ctx.blocks.filter(pl.col("max_occurs").is_not_null()).get_column("block")
    excess = (
        _known_instances(
            ctx,
            ctx.instances.lazy().filter(
                pl.col("block").is_in(bounded.implode()) & pl.col("parent_id").is_not_null()
            ),
        )
        .filter(pl.col("max_occurs").is_not_null())
        .sort("instance_id")
        .with_columns(rank=pl.col("instance_id").cum_count().over("parent_id", "block"))
        .filter(pl.col("rank") == pl.col("max_occurs") + 1)
    )
    return findings(
        excess,
        "STR-CARDINALITY-MAX",
        pl.format(
            "Bloc {} ({}) présent plus de {} fois sous son bloc parent (ligne {}).",
            pl.col("block"),
            pl.col("block_label"),
            pl.col("max_occurs"),
            ctx.shown_line(pl.col("parent_id")),
        ),
        line=pl.col("instance_id"),
        rubric=_FIRST_RUBRIC,
    )


def _block_usage(ctx: Context) -> pl.DataFrame:
    """norm, block, nature, absent: True when every rubric of the block is N (block absent from
    the declaration model of that nature)."""
    return _block_usage_of(ctx.norm_versions)


@cache
def _block_usage_of(versions: tuple[str, ...]) -> pl.DataFrame:
    # A rubric without a usage (one the newer usage table no longer lists, e.g. S21.G00.71.003
    # in P24V01) says nothing about its block: the block is absent when its rubrics that do
    # have a usage are all N.
    return (
        _usages_of(versions)
        .filter(pl.col("usage").is_not_null())
        .group_by("norm", "block", "declaration_nature")
        .agg(absent=(pl.col("usage") == "N").all())
    )


def _too_few(ctx: Context) -> pl.LazyFrame:
    """Blocks required under a present parent (the rule applies only when the parent is)."""
    required = ctx.blocks.filter(pl.col("min_occurs") > 0).select(
        "norm", "block", "min_occurs", "label", parent_block="parent"
    )
    # Most instances (bases, cotisations...) have no required child: the string joins below
    # only see the instances of a parent block and the children of a required one.
    parents = (
        ctx.instances.lazy()
        .filter(
            pl.col("block").is_in(required.get_column("parent_block").implode()) & ctx.reportable()
        )
        .select(
            "instance_id",
            "norm",
            "declaration_nature",
            "fallback",
            "oc_copy",
            "first_rubric",
            parent_block="block",
        )
    )
    present = (
        ctx.instances.lazy()
        .filter(
            pl.col("parent_id").is_not_null()
            & pl.col("block").is_in(required.get_column("block").implode())
        )
        .group_by(key=_child_key(pl.col("parent_id")))
        .agg(count=pl.len())
    )
    missing = (
        parents.join(required.lazy(), on=["norm", "parent_block"], how="inner")
        .join(_block_usage(ctx).lazy(), on=["norm", "block", "declaration_nature"], how="left")
        .filter(~pl.col("absent").fill_null(False))
        .join(present, left_on=_child_key(pl.col("instance_id")), right_on="key", how="left")
        .filter(pl.col("count").fill_null(0) < pl.col("min_occurs"))
    )
    return findings(
        missing,
        "STR-CARDINALITY-MIN",
        pl.format(
            "Bloc obligatoire {} ({}) absent sous le bloc {} commençant ligne {}.",
            pl.col("block"),
            pl.col("label"),
            pl.col("parent_block"),
            ctx.shown_line(pl.col("instance_id")),
        ),
        line=pl.col("instance_id"),
        rubric=_FIRST_RUBRIC,
        warning_when=_PRESENCE_AS_WARNING,
    )


def _mandatory(ctx: Context) -> pl.LazyFrame:
    """Rubrics of usage O for the declaration's nature, absent from a present block."""
    mandatory = _mandatory_of(ctx.norm_versions)
    # Expected (instance, rubric) pairs are millions in a big lot, and nearly all are there:
    # only the instances that declare fewer mandatory rubrics than their block requires are
    # matched rubric by rubric. A rubric on an unreadable line is reported as such
    # (LEX-UNQUOTED), not as missing too.
    short = _short_of_mandatory(ctx, mandatory)
    present = (
        ctx.lines.lazy()
        .filter(pl.col("scope_instance_id").is_in(short.implode()))
        .select(instance_id="scope_instance_id", rubric="claimed_rubric")
    )
    missing = (
        ctx.instances.lazy()
        .filter(pl.col("instance_id").is_in(short.implode()))
        .join(mandatory.lazy(), on=["norm", "block", "declaration_nature"], how="inner")
        .join(present, on=["instance_id", "rubric"], how="anti")
        .join(ctx.rubrics.lazy().select("norm", "rubric", "label"), on=["norm", "rubric"])
    )
    return findings(
        missing,
        "STR-MANDATORY",
        pl.format(
            "Rubrique obligatoire {} ({}) absente du bloc {} commençant ligne {} "
            "(déclaration de nature {}).",
            pl.col("rubric"),
            pl.col("label"),
            pl.col("block"),
            ctx.shown_line(pl.col("instance_id")),
            pl.col("declaration_nature"),
        ),
        line=pl.col("instance_id"),
        warning_when=_PRESENCE_AS_WARNING,
    )


@cache
def _mandatory_of(versions: tuple[str, ...]) -> pl.DataFrame:
    """norm, block, declaration_nature, rubric: the rubrics of usage O."""
    return (
        _usages_of(versions)
        .filter(pl.col("usage") == "O")
        .select("norm", "block", "declaration_nature", "rubric")
    )


def _short_of_mandatory(ctx: Context, mandatory: pl.DataFrame) -> pl.Series:
    """The instances declaring fewer of their block's mandatory rubrics than it has (of those
    whose findings this batch may report, Context.reportable).

    A rubric occurs at most once per instance (a repeat starts a new instance) and an
    instance's lines are consecutive, so counting its readable lines whose rubric is mandatory
    for its norm and nature is enough, and the count is a difference of running sums.
    """
    # The file's versions and natures, each read alone (hashing the pairs of all instances
    # cost more): a pair absent from the file only adds a branch no line takes.
    in_file = mandatory.filter(
        pl.col("norm").is_in(ctx.norm_versions)
        & pl.col("declaration_nature").is_in(_natures(ctx).implode())
    )
    is_mandatory, required = pl.lit(False), pl.lit(None, pl.UInt32)
    blocks = ctx.instances.get_column("block")
    for (norm, nature), rubrics in in_file.group_by("norm", "declaration_nature"):
        of_these = (pl.col("norm") == norm) & (pl.col("declaration_nature") == nature)
        is_mandatory = (
            pl.when(of_these)
            .then(pl.col("rubric").is_in(rubrics.get_column("rubric").implode()))
            .otherwise(is_mandatory)
        )
        # Per instance, how many rubrics its block requires: gathered by the block's code (a
        # join of every instance on three keys cost ten times as much).
        per_block = rubrics.group_by("block").agg(required=pl.len())
        counts = by_id(blocks, per_block.get_column("block"), per_block.get_column("required"))
        required = pl.when(of_these).then(pl.lit(counts)).otherwise(required)
    declared = ctx.lines.select(
        running=is_mandatory.fill_null(False).cast(pl.UInt32).cum_sum(),
        is_start=pl.col("line") == pl.col("instance_id"),
    )
    starts = declared.get_column("is_start").arg_true()
    if starts.is_empty():
        return pl.Series("instance_id", [], dtype=pl.UInt32)
    ends = pl.concat([starts.slice(1) - 1, pl.Series([declared.height - 1], dtype=starts.dtype)])
    running = declared.get_column("running")
    before = pl.concat([pl.Series([0], dtype=pl.UInt32), running]).gather(starts)
    return ctx.instances.filter(
        ((running.gather(ends) - before) < required) & ctx.reportable()
    ).get_column("instance_id")


def _natures(ctx: Context) -> pl.Series:
    """The declaration natures the file's lines and instances are checked against (a line has
    its instance's nature)."""
    return ctx.instances.get_column("declaration_nature").unique()


def _forbidden_rubrics(ctx: Context) -> pl.LazyFrame:
    """Rubrics of usage I for the declaration's nature."""
    # Only the rules of the natures in the file: a rubric forbidden in some other nature (most
    # are, in signalements) would send a third of a monthly lot's lines through the join.
    forbidden = _usages(ctx).filter(
        (pl.col("usage") == "I") & pl.col("declaration_nature").is_in(_natures(ctx).implode())
    )
    present = (
        ctx.lines.lazy()
        .filter(
            pl.col("value").is_not_null()
            & pl.col("rubric").is_in(forbidden.get_column("rubric").unique().implode())
        )
        .join(
            forbidden.lazy().select("norm", "rubric", "declaration_nature"),
            on=["norm", "rubric", "declaration_nature"],
            how="inner",
        )
    )
    return findings(
        present,
        "STR-FORBIDDEN",
        pl.format(
            "Rubrique interdite dans une déclaration de nature {}.", pl.col("declaration_nature")
        ),
        warning_when=pl.col("fallback"),
    )


def _forbidden_blocks(ctx: Context) -> pl.LazyFrame:
    """Blocks absent from the declaration model of the nature (every rubric N)."""
    absent = _block_usage(ctx).filter(
        pl.col("absent") & pl.col("declaration_nature").is_in(_natures(ctx).implode())
    )
    present = (
        ctx.instances.lazy()
        .filter(pl.col("block").is_in(absent.get_column("block").unique().implode()))
        .join(
            absent.lazy().select("norm", "block", "declaration_nature"),
            on=["norm", "block", "declaration_nature"],
            how="inner",
        )
    )
    return findings(
        present,
        "STR-FORBIDDEN",
        pl.format(
            "Bloc {} non prévu dans une déclaration de nature {}.",
            pl.col("block"),
            pl.col("declaration_nature"),
        ),
        line=pl.col("instance_id"),
        rubric=_FIRST_RUBRIC,
        warning_when=pl.col("fallback"),
    )
