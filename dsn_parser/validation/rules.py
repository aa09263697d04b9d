"""Declarative rules for the official controls, evaluated in Polars over one frame per block.

A rule is checked on the instances of one block, each a row of that block's *frame*: its ids
(instance_id, parent_id, envoi_id, declaration_id, individual_id, establishment_id), its
`norm`, `declaration_nature` and `fallback`; per rubric the block's rules read, its value (a
column named by the rubric id, null when absent) and its line ("<rubric>:line"). The rubrics of
ancestor blocks its rules read are columns of the row too (a rule on S21.G00.62 reads its
contract's S21.G00.40.001), and so are `Aggregate`s of descendant blocks (how many S21.G00.79 a
base has). So a rule costs the rows of its block, not the file's. A rule fails on the rows
where it applies and `ok` is false; a null (an absent or unreadable value, which presence and
syntax controls report) never fails a rule.

Kinds of rule: `Check` (presence-if, value-if, dates in order, sums: an expression on the row),
`Reference` (a rubric must, or must not, name an instance of another block in the same
scope), `Unique` (no two instances of a block in one scope with the same key).
A finding carries the control's official id, severity and message (`official_controls`), on
the line of the control's rubric in the instance (or the instance's first line). A rule runs
only on the envois declared in a norm version whose catalogue lists its control. On an OC copy
(context.py) every finding is a warning: net-entreprises accepted the declaration before the
concentrator filtered it, so a blocking control it fails can only be failed because of what
the filtering left out; rejecting it would lose data the national checks let through.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

import polars as pl

from dsn_parser.model import ENGINE, OPTIMIZATIONS
from dsn_parser.norm import USAGE_NATURES, load_norm, official_controls
from dsn_parser.validation.context import Context
from dsn_parser.validation.diagnostics import findings

TRUE = pl.lit(True)
_RUBRIC = re.compile(r"S\d{2}\.G\d{2}\.\d{2}\.\d{3}")
# Ancestors every instance names directly (context.py): no need to climb the tree to them.
_ANCESTOR_KEYS = {
    "S10.G00.00": "envoi_id",
    "S20.G00.05": "declaration_id",
    "S21.G00.30": "individual_id",
    "S21.G00.11": "establishment_id",
}
_CONTEXT = ("instance_id", "parent_id", *_ANCESTOR_KEYS.values())
_TREE_VERSION = "P24V01"  # the blocks the rules read nest the same way in every version


# --------------------------------------------------------------------------- expressions


def present(rubric: str) -> pl.Expr:
    return pl.col(rubric).is_not_null()


def absent(rubric: str) -> pl.Expr:
    return pl.col(rubric).is_null()


def is_(rubric: str, *codes: str) -> pl.Expr:
    """The rubric is declared with one of these codes (false when absent)."""
    return pl.col(rubric).is_in(codes).fill_null(False)


def is_not(rubric: str, *codes: str) -> pl.Expr:
    """The rubric is declared with a code other than these (false when absent)."""
    return pl.col(rubric).is_not_null() & ~pl.col(rubric).is_in(codes).fill_null(False)


def date(rubric: str) -> pl.Expr:
    return pl.col(rubric).str.to_date("%d%m%Y", strict=False)


def amount(rubric: str) -> pl.Expr:
    return pl.col(rubric).cast(pl.Decimal(38, 2), strict=False)


def year(rubric: str) -> pl.Expr:
    """The year of a DDMMYYYY date, read from its text (a birth date may have day 00)."""
    return pl.col(rubric).str.slice(4, 4).cast(pl.Int32, strict=False)


def iff(condition: pl.Expr, rubric: str) -> pl.Expr:
    """The rubric is present if and only if the condition holds."""
    return condition == present(rubric)


# --------------------------------------------------------------------------- rule kinds


@dataclass(frozen=True)
class Aggregate:
    """A column `name` of `block`'s frame: `agg` over the instances of `of` that belong to it
    through `key` (parent_id for children; declaration_id, individual_id, establishment_id for
    any descendant). Null where none belongs."""

    name: str
    block: str
    of: str
    agg: pl.Expr
    key: str = "parent_id"
    default: int | None = None  # where none belongs: 0 for a count
    # the column's type, for a file without `of` blocks
    dtype: pl.DataType = field(default_factory=pl.UInt32)


@dataclass(frozen=True)
class Check:
    control_id: str
    block: str
    ok: pl.Expr
    when: pl.Expr = TRUE
    natures: tuple[str, ...] = ()  # declaration natures it applies to; every one if empty


@dataclass(frozen=True)
class Reference:
    """`rubric` of `block` must (exists=False: must not) equal `target` of an instance of the
    target's block (where `target_when` holds) within the same `within` scope."""

    control_id: str
    block: str
    rubric: str
    target: str
    within: str
    when: pl.Expr = TRUE
    target_when: pl.Expr = TRUE
    exists: bool = True
    natures: tuple[str, ...] = ()


@dataclass(frozen=True)
class Unique:
    """No two instances of `block` within one `within` scope with the same `keys` (all
    declared) where `when` holds; the second and later ones are reported."""

    control_id: str
    block: str
    keys: tuple[str, ...]
    within: str
    when: pl.Expr = TRUE
    natures: tuple[str, ...] = ()


Rule = Check | Reference | Unique


# --------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class Ancestor:
    """Columns a block's rows take from one ancestor: through the ancestor key every instance
    carries (`key`), or so many levels up the tree (`depth`)."""

    block: str
    columns: tuple[str, ...]
    key: str | None
    depth: int
    nulls: tuple[pl.Expr, ...]  # the columns, where the file lacks the ancestor's block


@dataclass(frozen=True)
class Needs:
    """What the rules read of one block's instances."""

    rubrics: tuple[str, ...]  # its own rubrics, as values
    shown: tuple[str, ...]  # its own rubrics a finding may show the line of
    aggregates: tuple[Aggregate, ...]  # computed on its rows
    ancestors: tuple[Ancestor, ...]


@dataclass(frozen=True)
class Plan:
    """What the rules read, worked out once from the rule table: each block is read through
    its own frame (its instances, the columns its rules read), so a rule costs the rows of its
    block, not the file's."""

    rules: tuple[Rule, ...]
    rubrics: tuple[str, ...]  # every rubric some rule or aggregate reads
    blocks: dict[str, Needs]  # every block whose instances they read
    # Each rule with where it fails on its block's rows, in a file where it applies to all of
    # them (a Reference's is completed per file).
    fails: tuple[tuple[Rule, pl.Expr], ...]
    # Per rule, the rubrics one of which a file must declare for it to fail anywhere (a Check
    # reading rubrics only, that holds where they are all absent); None: no such set.
    fail_only_with: tuple[frozenset[str] | None, ...]


def make_plan(rules: Sequence[Rule], aggregates: Sequence[Aggregate]) -> Plan:
    owner = {aggregate.name: aggregate.block for aggregate in aggregates}
    tree = load_norm(_TREE_VERSION)
    own: dict[str, set[str]] = {}
    shown: dict[str, set[str]] = {}
    up: dict[str, dict[str, set[str]]] = {}

    def read(block: str, names: Iterable[str], *, with_line: bool = False) -> None:
        own.setdefault(block, set())
        for name in names:
            if _RUBRIC.fullmatch(name):
                home = name[:10]
                own.setdefault(home, set()).add(name)
                columns = {name, f"{name}:line"} if with_line else {name}
                if with_line:
                    shown.setdefault(home, set()).add(name)
            elif name in owner:
                home = owner[name]
                own.setdefault(home, set())
                columns = {name}
            else:
                continue  # a context column
            if home != block:
                up.setdefault(block, {}).setdefault(home, set()).update(columns)

    for aggregate in aggregates:
        read(aggregate.of, aggregate.agg.meta.root_names())
        if aggregate.of in up:
            raise ValueError(f"{aggregate.name}: an aggregate reads its own block's rubrics")
        own.setdefault(aggregate.block, set())
    for rule in rules:
        rubric = official_controls()[rule.control_id].rubric
        # The line a finding shows is its control's rubric, when the row has it.
        if rubric[:10] in (rule.block, *tree.ancestors(rule.block)):
            read(rule.block, [rubric], with_line=True)
        if isinstance(rule, Check):
            read(rule.block, [*rule.ok.meta.root_names(), *rule.when.meta.root_names()])
        elif isinstance(rule, Reference):
            read(rule.block, [rule.rubric, *rule.when.meta.root_names()])
            read(rule.target[:10], [rule.target, *rule.target_when.meta.root_names()])
        else:
            read(rule.block, [*rule.keys, *rule.when.meta.root_names()])

    def ancestor(block: str, home: str, columns: set[str]) -> Ancestor:
        key = _ANCESTOR_KEYS.get(home)
        depth = 0 if key else tree.ancestors(block).index(home) + 1
        names = tuple(sorted(columns))
        nulls = tuple(pl.lit(None, _dtype(name, aggregates)).alias(name) for name in names)
        return Ancestor(home, names, key, depth, nulls)

    blocks = {
        block: Needs(
            rubrics=tuple(sorted(rubrics)),
            shown=tuple(sorted(shown.get(block, ()))),
            aggregates=tuple(a for a in aggregates if a.block == block),
            ancestors=tuple(
                ancestor(block, home, columns)
                for home, columns in sorted(up.get(block, {}).items())
            ),
        )
        for block, rubrics in sorted(own.items())
    }
    return Plan(
        rules=tuple(rules),
        rubrics=tuple(sorted(set().union(*own.values()))),
        blocks=blocks,
        fails=tuple((rule, _fails(rule, TRUE)) for rule in rules),
        fail_only_with=tuple(_fail_only_with(rule) for rule in rules),
    )


# --------------------------------------------------------------------------- the frames


def _frames(ctx: Context, plan: Plan) -> dict[str, pl.DataFrame]:
    """Per block the rules read and the file declares, one row per instance with every column
    its rules read: its own rubrics, its aggregates and its ancestors' columns."""
    instances = ctx.instances.filter(pl.col("block").is_in(list(plan.blocks))).select(
        *_CONTEXT,
        block=pl.col("block").cast(pl.String),
        norm=pl.col("norm").cast(pl.String),
        declaration_nature=pl.col("declaration_nature").cast(pl.String),
        fallback="fallback",
        oc_copy="oc_copy",
    )
    lines = ctx.lines.filter(pl.col("rubric").is_in(plan.rubrics)).select(
        "instance_id",
        "value",
        "line",
        rubric=pl.col("rubric").cast(pl.String),
        block=pl.col("block").cast(pl.String),
    )
    lines_of = {
        block: frame.lazy()
        for (block,), frame in lines.partition_by("block", as_dict=True, include_key=False).items()
    }
    no_lines = lines.drop("block").clear().lazy()
    blocks = instances.partition_by("block", as_dict=True, include_key=False)
    own = dict(
        zip(
            (block for (block,) in blocks),
            pl.collect_all(
                [
                    _own_columns(frame, lines_of.get(block, no_lines), plan.blocks[block])
                    for (block,), frame in blocks.items()
                ],
                engine=ENGINE,
                optimizations=OPTIMIZATIONS,
            ),
            strict=True,
        )
    )
    with_aggregates = dict(
        zip(
            own,
            pl.collect_all(
                [_with_aggregates(own, block, plan.blocks[block]) for block in own],
                engine=ENGINE,
                optimizations=OPTIMIZATIONS,
            ),
            strict=True,
        )
    )
    parents = instances.lazy().select("instance_id", up="parent_id")
    return dict(
        zip(
            own,
            pl.collect_all(
                [
                    _with_ancestors(with_aggregates, block, plan.blocks[block], parents)
                    for block in own
                ],
                engine=ENGINE,
                optimizations=OPTIMIZATIONS,
            ),
            strict=True,
        )
    )


def _own_columns(instances: pl.DataFrame, lines: pl.LazyFrame, needs: Needs) -> pl.LazyFrame:
    """The block's instances with its own rubrics' values and lines (null where absent): the
    columns are known, so the pivots are lazy and need not scan the lines for their names."""
    frame = instances.lazy()
    if not needs.rubrics:
        return frame
    # One pivot for both values and lines (a shown rubric is one of the block's own).
    pivoted = lines.pivot(
        on="rubric",
        on_columns=needs.rubrics,
        index="instance_id",
        values=["value", "line"],
        aggregate_function="first",
    ).select(
        "instance_id",
        *(pl.col(f"value_{rubric}").alias(rubric) for rubric in needs.rubrics),
        *(pl.col(f"line_{rubric}").alias(f"{rubric}:line") for rubric in needs.shown),
    )
    return frame.join(pivoted, on="instance_id", how="left")


def _with_aggregates(own: dict[str, pl.DataFrame], block: str, needs: Needs) -> pl.LazyFrame:
    frame = own[block].lazy()
    for aggregate in needs.aggregates:
        default = pl.lit(aggregate.default, aggregate.dtype)
        of = own.get(aggregate.of)
        if of is None:
            frame = frame.with_columns(default.alias(aggregate.name))
            continue
        values = of.lazy().group_by(aggregate.key).agg(aggregate.agg.alias(aggregate.name))
        frame = frame.join(values, left_on="instance_id", right_on=aggregate.key, how="left")
        if aggregate.default is not None:
            frame = frame.with_columns(pl.col(aggregate.name).fill_null(default))
    return frame


def _dtype(column: str, aggregates: Sequence[Aggregate]) -> pl.DataType:
    if column.endswith(":line"):
        return pl.UInt32()
    return next((a.dtype for a in aggregates if a.name == column), pl.String())


def _with_ancestors(
    frames: dict[str, pl.DataFrame], block: str, needs: Needs, parents: pl.LazyFrame
) -> pl.LazyFrame:
    frame = frames[block].lazy()
    climbed = 1  # the row's parent_id names its ancestor one level up
    for ancestor in sorted(needs.ancestors, key=lambda ancestor: ancestor.depth):
        source = frames.get(ancestor.block)
        if source is None:  # not in this file (or batch): nothing to read from it
            frame = frame.with_columns(ancestor.nulls)
            continue
        key = ancestor.key or ("parent_id" if ancestor.depth == 1 else f"ancestor:{ancestor.depth}")
        while climbed < ancestor.depth:
            below = "parent_id" if climbed == 1 else f"ancestor:{climbed}"
            climbed += 1
            frame = frame.join(
                parents.rename({"instance_id": below, "up": f"ancestor:{climbed}"}),
                on=below,
                how="left",
            )
        frame = frame.join(
            source.lazy().select(pl.col("instance_id").alias(key), *ancestor.columns),
            on=key,
            how="left",
        )
    return frame


# --------------------------------------------------------------------------- evaluation


def evaluate(ctx: Context, plan: Plan) -> list[pl.LazyFrame]:
    """The findings of every rule of the plan on this file: one pass per block computes, on
    its rows only, whether each of its rules fails; only the rules that failed somewhere build
    findings."""
    if ctx.envois.is_empty() or ctx.envois.get_column("fallback").all():
        return []  # no catalogue for the envois' declared norm: no rule applies
    frames = _frames(ctx, plan)
    # Whether a rule applies depends on its row's norm, nature and fallback only: the file's
    # few kinds of rows settle, once per rule, whether it applies to none of its rows
    # (skipped), to all (no test per row) or, in a file mixing kinds, to some.
    kinds = set(
        ctx.instances.select(
            pl.col("norm").cast(pl.String), pl.col("declaration_nature").cast(pl.String), "fallback"
        )
        .unique()
        .iter_rows()
    )
    by_block: dict[str, list[tuple[Rule, pl.Expr]]] = {}
    declared = set(ctx.lines.get_column("rubric").drop_nulls().unique().cast(pl.String))
    for (rule, fail), reads in zip(plan.fails, plan.fail_only_with, strict=True):
        if rule.block not in frames or (reads is not None and reads.isdisjoint(declared)):
            continue
        applies = [kind for kind in kinds if _applies(rule.control_id, rule.natures, *kind)]
        if not applies:
            continue
        if len(applies) < len(kinds):
            fail = _fails(rule, _of_kinds(applies))
        if isinstance(rule, Reference):
            fail = _reference_fails(frames, rule, fail)
        by_block.setdefault(rule.block, []).append((rule, fail))
    failing = pl.collect_all(
        [
            frames[block].lazy().select(fail.alias(str(n)) for n, (_, fail) in enumerate(rules))
            for block, rules in by_block.items()
        ],
        engine=ENGINE,
        optimizations=OPTIMIZATIONS,
    )
    return [
        _findings(frames[block].filter(column), rule)
        for (block, rules), fails in zip(by_block.items(), failing, strict=True)
        for (rule, _), column in zip(rules, fails.iter_columns(), strict=True)
        if column.any()
    ]


@cache
def _applies(
    control_id: str, natures: tuple[str, ...], norm: str, nature: str, fallback: bool
) -> bool:
    """Whether a control (restricted by its rule to `natures`, if any) applies to an instance
    of a declaration of this nature, in an envoi checked against this norm version."""
    control = official_controls()[control_id]
    # Only on envois declared in a version whose catalogue lists the control: a rubric may
    # mean something else in an older norm (S21.G00.20.002 did in P19V01-P21V01).
    return (
        not fallback
        and norm in control.versions
        and nature not in _natures_without(control.rubric)
        and (not natures or nature in natures)
    )


def _of_kinds(kinds: Iterable[tuple[str, str, bool]]) -> pl.Expr:
    """The rows of these kinds (norm, nature, fallback)."""
    return pl.any_horizontal(
        (pl.col("norm") == norm)
        & (pl.col("declaration_nature") == nature)
        & (pl.col("fallback") == fallback)
        for norm, nature, fallback in kinds
    )


@cache
def _natures_without(rubric: str) -> tuple[str, ...]:
    """The natures whose declarations never carry the rubric (usage I or N): the catalogue's
    controls are stated for the natures where their rubric may be declared (cahier technique
    §4.3), so a control on a rubric forbidden in monthly DSNs is not one of theirs."""
    usages = load_norm(_TREE_VERSION).rubrics.filter(pl.col("rubric") == rubric)
    if usages.is_empty():
        return ()
    row = usages.row(0, named=True)
    return tuple(nature for nature in USAGE_NATURES if row[f"usage_{nature}"] in ("I", "N"))


def _fails(rule: Rule, applies: pl.Expr) -> pl.Expr:
    """Where the rule fails, for a Check or a Unique; a Reference also needs the file's
    targets (`_reference_fails`)."""
    if isinstance(rule, Check):
        return (applies & rule.when & ~rule.ok).fill_null(False)
    if isinstance(rule, Unique):
        declared = pl.all_horizontal(present(key) for key in rule.keys)
        candidate = (applies & rule.when & declared).fill_null(False)
        key = pl.when(candidate).then(pl.struct(rule.within, *rule.keys))
        return candidate & ~key.is_first_distinct()
    return (applies & rule.when & present(rule.rubric)).fill_null(False)


def _fail_only_with(rule: Rule) -> frozenset[str] | None:
    """The rubrics a Check reads, if it reads nothing else and holds on a row where they are
    all absent: a Check is a row expression, so it then holds on every row of a file that
    declares none of them."""
    if not isinstance(rule, Check):
        return None
    reads = frozenset([*rule.ok.meta.root_names(), *rule.when.meta.root_names()])
    if not reads or not all(_RUBRIC.fullmatch(name) for name in reads):
        return None
    nothing = pl.DataFrame({name: [None] for name in reads}, schema=dict.fromkeys(reads, pl.String))
    return None if nothing.select(_fails(rule, TRUE)).item() else reads


def _scoped(within: str, value: str) -> pl.Expr:
    return pl.concat_str(pl.col(within).cast(pl.String), pl.col(value), separator="|")


def _reference_fails(frames: dict[str, pl.DataFrame], rule: Reference, fails: pl.Expr) -> pl.Expr:
    among = frames.get(rule.target[:10])
    targets = (
        pl.Series(dtype=pl.String)
        if among is None
        else among.filter(rule.target_when.fill_null(False))
        .select(_scoped(rule.within, rule.target).drop_nulls())
        .to_series()
    )
    named = _scoped(rule.within, rule.rubric).is_in(targets.implode()).fill_null(False)
    return fails & (~named if rule.exists else named)


def _findings(frame: pl.DataFrame, rule: Rule) -> pl.LazyFrame:
    control = official_controls()[rule.control_id]
    line_column = f"{control.rubric}:line"
    line = (
        pl.coalesce(line_column, "instance_id")
        if line_column in frame.columns
        else pl.col("instance_id")
    )
    return findings(
        frame,
        rule.control_id,
        pl.lit(control.message),
        line=line,
        rubric=pl.lit(control.rubric),
        warning_when=pl.col("oc_copy"),
    )
