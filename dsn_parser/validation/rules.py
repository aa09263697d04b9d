"""Declarative rules for the official controls, evaluated in Polars over one frame per block.

A rule is checked on the instances of one block, each a row of that block's *frame*: its ids
(instance_id, parent_id, envoi_id, declaration_id, individual_id, establishment_id), its
`norm`, `declaration_nature` and `fallback`; per rubric the block's rules read, its value as
declared (a column named by the rubric id, text, null when absent), taken from the reader's
block table of the block (from the lines where the table lacks it). The rubrics of
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

import operator
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, reduce

import polars as pl

from dsn_parser.model import ENGINE, OPTIMIZATIONS
from dsn_parser.norm import USAGE_NATURES, load_norm, official_controls
from dsn_parser.validation.context import Context
from dsn_parser.validation.diagnostics import findings

TRUE = pl.lit(True)
_RUBRIC = re.compile(r"S\d{2}\.G\d{2}\.\d{2}\.\d{3}")
# A rubric's value read as a date or an amount is a column of its own ("<rubric>:date"): taken
# as is from the reader's typed table, it is not parsed again by every rule that reads it.
_DATE, _AMOUNT = ":date", ":amount"
# A date's month end is a form of its own too: the declared month's last day, which many rules
# of the blocks under a declaration read, is then worked out once per declaration, not per row.
_MONTH_END = ":month_end"
_VALUE = re.compile(rf"({_RUBRIC.pattern})({_DATE}|{_AMOUNT}|{_MONTH_END})?")
AMOUNT_TYPE = pl.Decimal(38, 2)
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


# The rules are evaluated per file on a few rows each, where an expression costs its number of
# operations more than its rows: the helpers below spell each test in the fewest.


def is_(rubric: str, *codes: str) -> pl.Expr:
    """The rubric is declared with one of these codes (false when absent)."""
    if len(codes) == 1:
        return pl.col(rubric).eq_missing(codes[0])
    return pl.col(rubric).is_in(codes, nulls_equal=True)


def is_not(rubric: str, *codes: str) -> pl.Expr:
    """The rubric is declared with a code other than these (false when absent)."""
    if len(codes) == 1:
        return pl.col(rubric).ne(codes[0]).fill_null(False)
    return pl.col(rubric).is_in(codes).not_().fill_null(False)


def date(rubric: str) -> pl.Expr:
    """The rubric's value as a date (null when absent or not a DDMMYYYY date)."""
    return pl.col(rubric + _DATE)


def month_end(rubric: str) -> pl.Expr:
    """The last day of the month of the rubric's date (null when absent or not a date)."""
    return pl.col(rubric + _MONTH_END)


def amount(rubric: str) -> pl.Expr:
    """The rubric's value as an amount (null when absent or not an amount)."""
    return pl.col(rubric + _AMOUNT)


def _parsed(rubric: str, form: str) -> pl.Expr:
    """The form of a rubric's value read from its declared text."""
    text = pl.col(rubric)
    if form == _DATE:
        return text.str.to_date("%d%m%Y", strict=False).alias(rubric + form)
    if form == _MONTH_END:
        return text.str.to_date("%d%m%Y", strict=False).dt.month_end().alias(rubric + form)
    return text.cast(AMOUNT_TYPE, strict=False).alias(rubric + form)


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
    # The blocks of the levels climbed through, from the parent up (depth - 1 of them): an
    # instance's parent is always of its block's parent block (tree.py), so each climb looks
    # up the parents of that block's instances only, not of the file's.
    through: tuple[str, ...] = ()

    @property
    def id_column(self) -> str:
        """The row's column holding the ancestor's instance_id, once joined."""
        return self.key or ("parent_id" if self.depth == 1 else f"ancestor:{self.depth}")


@dataclass(frozen=True)
class Needs:
    """What the rules read of one block's instances."""

    rubrics: tuple[str, ...]  # its own rubrics' values: text, "<rubric>:date" or ":amount"
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
    # them (a Reference's reads the `named` column its target join adds, see _reference_named).
    fails: tuple[tuple[Rule, pl.Expr], ...]
    # Per rule, the rubrics one of which a file must declare for it to fail anywhere (a Check
    # reading rubrics only, that holds where they are all absent); None: no such set.
    fail_only_with: tuple[frozenset[str] | None, ...]
    # Per rule, the rubrics each of which a file must declare for it to fail anywhere.
    requires: tuple[frozenset[str], ...]
    # Per rule, the column of its rows holding the instance whose line of the control's rubric a
    # finding shows (None: the row's own first line).
    shown_in: tuple[str | None, ...]


def make_plan(rules: Sequence[Rule], aggregates: Sequence[Aggregate]) -> Plan:
    owner = {aggregate.name: aggregate.block for aggregate in aggregates}
    tree = load_norm(_TREE_VERSION)
    own: dict[str, set[str]] = {}
    up: dict[str, dict[str, set[str]]] = {}

    def read(block: str, names: Iterable[str]) -> None:
        own.setdefault(block, set())
        for name in names:
            if _VALUE.fullmatch(name):
                home = name[:10]
                own.setdefault(home, set()).add(name)
            elif name in owner:
                home = owner[name]
                own.setdefault(home, set())
            else:
                continue  # a context column
            if home != block:
                up.setdefault(block, {}).setdefault(home, set()).add(name)

    for aggregate in aggregates:
        read(aggregate.of, aggregate.agg.meta.root_names())
        if aggregate.of in up:
            raise ValueError(f"{aggregate.name}: an aggregate reads its own block's rubrics")
        own.setdefault(aggregate.block, set())
    for rule in rules:
        rubric = official_controls()[rule.control_id].rubric
        # The line a finding shows is its control's rubric's, when the row's instance or one
        # of its ancestors has it: the ancestor is then joined to the row.
        if rubric[:10] in (rule.block, *tree.ancestors(rule.block)):
            read(rule.block, [rubric])
        if isinstance(rule, Check):
            read(rule.block, [*rule.ok.meta.root_names(), *rule.when.meta.root_names()])
        elif isinstance(rule, Reference):
            read(rule.block, [rule.rubric, *rule.when.meta.root_names()])
            target, names = rule.target[:10], [rule.target, *rule.target_when.meta.root_names()]
            read(target, names)
            # The targets are read from the target block's frame before any ancestor's column
            # is joined to it (evaluate's first collect).
            if any(owner.get(name, name[:10]) != target for name in names if name not in _CONTEXT):
                raise ValueError(f"{rule.control_id}: a target reads its own block's columns only")
        else:
            read(rule.block, [*rule.keys, *rule.when.meta.root_names()])

    def ancestor(block: str, home: str, columns: set[str]) -> Ancestor:
        key = _ANCESTOR_KEYS.get(home)
        depth = 0 if key else tree.ancestors(block).index(home) + 1
        names = tuple(sorted(columns))
        nulls = tuple(pl.lit(None, _dtype(name, aggregates)).alias(name) for name in names)
        through = tuple(tree.ancestors(block)[: depth - 1]) if depth else ()
        return Ancestor(home, names, key, depth, nulls, through)

    blocks = {
        block: Needs(
            rubrics=tuple(sorted(rubrics)),
            aggregates=tuple(a for a in aggregates if a.block == block),
            ancestors=tuple(
                ancestor(block, home, columns)
                for home, columns in sorted(up.get(block, {}).items())
            ),
        )
        for block, rubrics in sorted(own.items())
    }

    def shown_in(rule: Rule) -> str | None:
        home = official_controls()[rule.control_id].rubric[:10]
        if home == rule.block:
            return "instance_id"
        return next((a.id_column for a in blocks[rule.block].ancestors if a.block == home), None)

    return Plan(
        rules=tuple(rules),
        rubrics=tuple(sorted({name[:14] for name in set().union(*own.values())})),
        blocks=blocks,
        fails=tuple((rule, _fails(rule, TRUE)) for rule in rules),
        fail_only_with=tuple(_fail_only_with(rule) for rule in rules),
        requires=tuple(_requires(rule) for rule in rules),
        shown_in=tuple(shown_in(rule) for rule in rules),
    )


# --------------------------------------------------------------------------- the frames


def _own_frames(ctx: Context, plan: Plan, counts: dict[str, int]) -> dict[str, pl.LazyFrame]:
    """Per block the rules read and the file declares, one row per instance with its ids, its
    kind (norm, nature, fallback, oc_copy) and the values of its own rubrics the rules read:
    as declared (text), as dates or as amounts; null where absent.

    The values come from the reader's block tables, which hold them already one row per
    instance: only the rubrics the file declares are read, and a rubric whose table column
    does not hold every value its lines declare (a date or an amount that did not fit its
    type: the table has a null, the rules must see the text) is read from the lines instead.
    `counts`: how many lines declare each rubric of the file (_declared).
    """
    instances = ctx.instances.filter(pl.col("block").is_in(list(plan.blocks))).select(
        *_CONTEXT,
        # partitioned on its categorical codes: the keys come out as text all the same
        "block",
        norm=pl.col("norm").cast(pl.String),
        declaration_nature=pl.col("declaration_nature").cast(pl.String),
        fallback="fallback",
        oc_copy="oc_copy",
    )
    frames: dict[str, pl.LazyFrame] = {}
    from_lines: dict[str, list[str]] = {}
    forms: dict[str, list[pl.Expr]] = {}
    for (block,), frame in instances.partition_by("block", as_dict=True, include_key=False).items():
        table = ctx.tables.get(block)
        schema = table.schema if table is not None else {}
        columns: list[pl.Expr] = []
        nulls: list[pl.Expr] = []
        parsed: list[pl.Expr] = []
        for name in plan.blocks[block].rubrics:
            rubric, form = name[:14], name[14:]
            count = counts.get(rubric, 0)
            dtype = schema.get(rubric)
            if not count:
                nulls.append(_null(name))
            elif _usable(dtype) and _holds(table, rubric, count):
                columns.append(_from_table(rubric, form, dtype))
            else:
                read_in_lines = from_lines.setdefault(block, [])
                if rubric not in read_in_lines:
                    read_in_lines.append(rubric)
                if form:
                    parsed.append(_parsed(rubric, form))
        lazy = frame.lazy()
        if nulls:
            lazy = lazy.with_columns(nulls)
        if table is not None and columns:
            lazy = _with_values(lazy, frame.get_column("instance_id"), table, columns)
        frames[block] = lazy
        if parsed:
            forms[block] = parsed
    for block, rubrics in _declared_in_lines(ctx, from_lines).items():
        frames[block] = frames[block].join(
            rubrics, on="instance_id", how="left", maintain_order="left"
        )
        if block in forms:
            frames[block] = frames[block].with_columns(forms[block])
    return frames


def _with_values(
    frame: pl.LazyFrame, ids: pl.Series, table: pl.DataFrame, columns: list[pl.Expr]
) -> pl.LazyFrame:
    """The block's rows (`ids` their instances) with these values of its table. The reader's
    table holds one row per instance of its block in instance order, so its columns are laid
    beside the rows as they are; a table in another order (none is, but nothing vouches for
    it) is joined on the instance."""
    if table.get_column("instance_id").equals(ids):
        return pl.concat([frame, table.lazy().select(columns)], how="horizontal")
    values = table.lazy().select("instance_id", *columns)
    return frame.join(values, on="instance_id", how="left", maintain_order="left")


def _declared(ctx: Context) -> dict[str, int]:
    """How many lines declare each rubric of the file."""
    counts = ctx.lines.get_column("rubric").drop_nulls().value_counts()
    return dict(
        zip(
            counts.get_column("rubric").to_list(), counts.get_column("count").to_list(), strict=True
        )
    )


def _usable(dtype: pl.DataType | None) -> bool:
    """Whether a table column of this type gives a rubric's text, date and amount."""
    return dtype in (pl.String, pl.Date) or isinstance(dtype, pl.Decimal)


def _holds(table: pl.DataFrame | None, rubric: str, count: int) -> bool:
    """Whether the table's column has a value for each of the `count` lines declaring it."""
    if table is None:
        return False
    column = table.get_column(rubric)
    return column.len() - column.null_count() == count


@cache
def _null(name: str) -> pl.Expr:
    return pl.lit(None, _dtype(name)).alias(name)


@cache
def _from_table(rubric: str, form: str, dtype: pl.DataType) -> pl.Expr:
    """A value read from a table column holding every declared value of the rubric.

    As text: a date as DDMMYYYY (the only shape the table reads into a date), an amount as its
    decimal text (the rules read amounts as amounts). As a date or an amount: the typed value
    itself, which is what parsing the declared text gives, or the text parsed where the table
    holds the rubric as text (a norm version that did not type it).
    """
    column = pl.col(rubric)
    if form in (_DATE, _MONTH_END):
        day = column if dtype == pl.Date else column.str.to_date("%d%m%Y", strict=False)
        return (day if form == _DATE else day.dt.month_end()).alias(rubric + form)
    if form == _AMOUNT:
        return column.cast(AMOUNT_TYPE, strict=False).alias(rubric + form)
    if dtype == pl.String:
        return column
    if dtype == pl.Date:
        return column.dt.strftime("%d%m%Y")
    return column.cast(pl.String)


def _declared_in_lines(ctx: Context, rubrics_of: dict[str, list[str]]) -> dict[str, pl.LazyFrame]:
    """Per block, its instances' values of these rubrics as the lines declare them."""
    if not rubrics_of:
        return {}
    wanted = [rubric for rubrics in rubrics_of.values() for rubric in rubrics]
    lines = ctx.lines.filter(pl.col("rubric").is_in(wanted)).select(
        "instance_id", "value", rubric=pl.col("rubric").cast(pl.String)
    )
    return {
        block: lines.lazy()
        .filter(pl.col("rubric").is_in(rubrics))
        .pivot(
            on="rubric",
            on_columns=rubrics,
            index="instance_id",
            values="value",
            aggregate_function="first",
        )
        for block, rubrics in rubrics_of.items()
    }


def _with_aggregates(own: dict[str, pl.LazyFrame], block: str, needs: Needs) -> pl.LazyFrame:
    """The block's frame with its aggregates: one grouping and one join per descendant block
    and key, whatever the number of aggregates read through them."""
    frame = own[block]
    grouped: dict[tuple[str, str], list[Aggregate]] = {}
    for aggregate in needs.aggregates:
        grouped.setdefault((aggregate.of, aggregate.key), []).append(aggregate)
    for (of_block, key), aggregates in grouped.items():
        of = own.get(of_block)
        if of is None:
            frame = frame.with_columns(_default(aggregate) for aggregate in aggregates)
            continue
        values = of.group_by(key).agg(a.agg.alias(a.name) for a in aggregates)
        frame = frame.join(
            values, left_on="instance_id", right_on=key, how="left", maintain_order="left"
        ).with_columns(
            pl.col(aggregate.name).fill_null(_default(aggregate))
            for aggregate in aggregates
            if aggregate.default is not None
        )
    return frame


def _default(aggregate: Aggregate) -> pl.Expr:
    return pl.lit(aggregate.default, aggregate.dtype).alias(aggregate.name)


def _dtype(column: str, aggregates: Sequence[Aggregate] = ()) -> pl.DataType:
    if column.endswith((_DATE, _MONTH_END)):
        return pl.Date()
    if column.endswith(_AMOUNT):
        return AMOUNT_TYPE
    return next((a.dtype for a in aggregates if a.name == column), pl.String())


def _with_ancestors(
    frames: dict[str, pl.DataFrame], block: str, needs: Needs, instances: pl.DataFrame
) -> pl.LazyFrame:
    frame = frames[block].lazy()
    climbed = 1  # the row's parent_id names its ancestor one level up
    for ancestor in sorted(needs.ancestors, key=lambda ancestor: ancestor.depth):
        source = frames.get(ancestor.block)
        if source is None:  # not in this file (or batch): nothing to read from it
            frame = frame.with_columns(ancestor.nulls)
            continue
        key = ancestor.id_column
        while climbed < ancestor.depth:
            below = "parent_id" if climbed == 1 else f"ancestor:{climbed}"
            parents = _parents(frames, instances, ancestor.through[climbed - 1])
            climbed += 1
            frame = frame.join(
                parents.rename({"instance_id": below, "up": f"ancestor:{climbed}"}),
                on=below,
                how="left",
                maintain_order="left",
            )
        frame = frame.join(
            source.lazy().select(pl.col("instance_id").alias(key), *ancestor.columns),
            on=key,
            how="left",
            maintain_order="left",
        )
    return frame


def _parents(frames: dict[str, pl.DataFrame], instances: pl.DataFrame, block: str) -> pl.LazyFrame:
    """The instances of `block` with their parent (`up`): a climb joins these few rows, not
    every instance of the file."""
    of_block = frames.get(block)
    if of_block is None:  # a block the rules do not read, or that the file lacks
        of_block = instances.filter(pl.col("block") == block)
    return of_block.lazy().select("instance_id", up="parent_id")


# --------------------------------------------------------------------------- evaluation


def evaluate(ctx: Context, plan: Plan) -> list[pl.LazyFrame]:
    """The findings of every rule of the plan on this file: two collects whatever the number
    of blocks and rules (the blocks' frames with their aggregates, then their ancestors'
    columns with whether each rule fails), then only the rules that failed somewhere build
    findings, lazily."""
    if ctx.envois.is_empty() or ctx.envois.get_column("fallback").all():
        return []  # no catalogue for the envois' declared norm: no rule applies
    counts = _declared(ctx)
    own = _own_frames(ctx, plan, counts)
    # Whether a rule applies depends on its row's norm, nature and fallback only: the few
    # kinds of rows of its block settle, once per rule, whether it applies to none of its rows
    # (skipped), to all (no test per row) or, in a block mixing kinds, to some (its failing
    # rows are then kept where it applies; a Unique only counts those rows).
    kinds: dict[str, set[tuple[str, str, bool]]] = {}
    for block, *kind in (
        ctx.instances.select("block", "norm", "declaration_nature", "fallback")
        .unique()
        .select(pl.col("block", "norm", "declaration_nature").cast(pl.String), "fallback")
        .iter_rows()
    ):
        kinds.setdefault(block, set()).add(tuple(kind))
    by_block: dict[str, list[tuple[int, Rule, pl.Expr, pl.Expr]]] = {}
    for index, ((rule, fail), reads, required) in enumerate(
        zip(plan.fails, plan.fail_only_with, plan.requires, strict=True)
    ):
        if (
            rule.block not in own
            or (reads is not None and reads.isdisjoint(counts))
            or not required.issubset(counts)
        ):
            continue
        of_block = kinds[rule.block]
        applying = tuple(
            sorted(kind for kind in of_block if applies(rule.control_id, rule.natures, *kind))
        )
        if not applying:
            continue
        where = TRUE
        if len(applying) < len(of_block):
            if isinstance(rule, Unique):
                fail = _fails(rule, _of_kinds(applying))
            else:
                where = _of_kinds(applying)
        by_block.setdefault(rule.block, []).append((index, rule, fail, where))
    if not by_block:
        return []
    frames = dict(
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
    checked = pl.collect_all(
        [_checked(frames, block, plan, rules, ctx.instances) for block, rules in by_block.items()],
        engine=ENGINE,
        optimizations=OPTIMIZATIONS,
    )
    return [
        control_findings(
            ctx,
            frame.lazy().filter(pl.col(f"fail:{index}") & where),
            rule.control_id,
            shown_in if (shown_in := plan.shown_in[index]) in frame.columns else None,
        )
        for rules, frame in zip(by_block.values(), checked, strict=True)
        for index, rule, _, where in rules
        if frame.get_column(f"fail:{index}").any()
    ]


def _checked(
    frames: dict[str, pl.DataFrame],
    block: str,
    plan: Plan,
    rules: list[tuple[int, Rule, pl.Expr, pl.Expr]],
    instances: pl.DataFrame,
) -> pl.LazyFrame:
    """The block's rows with their ancestors' columns and, per rule, whether it fails there."""
    frame = _with_ancestors(frames, block, plan.blocks[block], instances)
    for _, rule, _, _ in rules:
        if isinstance(rule, Reference):
            frame = _with_targets(frames, rule, frame)
    return frame.with_columns(fail.alias(f"fail:{index}") for index, _, fail, _ in rules)


@cache
def applies(
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


@cache
def _of_kinds(kinds: tuple[tuple[str, str, bool], ...]) -> pl.Expr:
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
    """Where the rule fails (a Reference reads the column its targets' join adds)."""
    if isinstance(rule, Check):
        return _all(applies, rule.when, ~rule.ok).fill_null(False)
    if isinstance(rule, Unique):
        declared = pl.all_horizontal(present(key) for key in rule.keys)
        candidate = _all(applies, rule.when, declared).fill_null(False)
        key = pl.when(candidate).then(pl.struct(rule.within, *rule.keys))
        return candidate & ~key.is_first_distinct()
    named = pl.col(_named(rule))
    fails = _all(applies, rule.when, present(rule.rubric)).fill_null(False)
    return fails & (~named if rule.exists else named)


def _all(*terms: pl.Expr) -> pl.Expr:
    """The conjunction of the terms, leaving out those that are always true."""
    kept = [term for term in terms if term is not TRUE]
    return reduce(operator.and_, kept) if kept else TRUE


def _fail_only_with(rule: Rule) -> frozenset[str] | None:
    """The rubrics a Check reads, if it reads nothing else and holds on a row where they are
    all absent: a Check is a row expression, so it then holds on every row of a file that
    declares none of them."""
    if not isinstance(rule, Check):
        return None
    reads = frozenset([*rule.ok.meta.root_names(), *rule.when.meta.root_names()])
    if not reads or not all(_VALUE.fullmatch(name) for name in reads):
        return None
    nothing = pl.DataFrame(
        {name: [None] for name in reads}, schema={name: _dtype(name) for name in reads}
    )
    return None if nothing.select(_fails(rule, TRUE)).item() else frozenset(r[:14] for r in reads)


def _requires(rule: Rule) -> frozenset[str]:
    """The rubrics a rule fails only where they are declared: those that alone make a term of
    its failing conjunction not true where absent (`is_("S21.G00.62.002", "059")` in `when`,
    a Reference's own rubric, a Unique's keys)."""
    if isinstance(rule, Check):
        terms = [*_conjuncts(rule.when), ~rule.ok]
    elif isinstance(rule, Reference):
        terms = [*_conjuncts(rule.when), present(rule.rubric)]
    else:
        terms = [*_conjuncts(rule.when), *(present(key) for key in rule.keys)]
    required = set()
    for term in terms:
        names = set(term.meta.root_names())
        if len(names) != 1 or not _VALUE.fullmatch(name := names.pop()):
            continue
        absent = pl.DataFrame({name: [None]}, schema={name: _dtype(name)})
        if absent.select(term).item() is not True:
            required.add(name[:14])
    return frozenset(required)


def _conjuncts(expr: pl.Expr) -> list[pl.Expr]:
    """The terms of a conjunction (`a & b & c`), or the expression itself."""
    inputs = expr.meta.pop()
    if len(inputs) == 2:
        right, left = inputs
        if (left & right).meta.eq(expr):
            return [*_conjuncts(left), *_conjuncts(right)]
    return [expr]


def _named(rule: Reference) -> str:
    """The column telling, per row, whether its rubric names one of the rule's targets."""
    return f"named:{rule.control_id}"


def _with_targets(
    frames: dict[str, pl.DataFrame], rule: Reference, frame: pl.LazyFrame
) -> pl.LazyFrame:
    named = _named(rule)
    among = frames.get(rule.target[:10])
    if among is None:
        return frame.with_columns(pl.lit(False).alias(named))
    targets = among.lazy()
    # No filter when every instance is a target: Polars 2.1's in-memory engine evaluates a
    # filter's predicate on each part of a frame of 16,384 rows or more it splits over its
    # threads, and a predicate that is one value (here `lit(True).fill_null(False)`; a bare
    # `lit(True)` too, the optimizations we run keeping it) gives one value per part, not
    # broadcast: "ShapeError: filter predicate length of 2" with 2 threads.
    if rule.target_when is not TRUE:
        targets = targets.filter(rule.target_when.fill_null(False))
    targets = (
        targets.select(rule.within, pl.col(rule.target).alias(rule.rubric))
        .unique()
        .with_columns(pl.lit(True).alias(named))
    )
    # A null scope or value names nothing: join keys never match a null.
    return frame.join(
        targets, on=[rule.within, rule.rubric], how="left", maintain_order="left"
    ).with_columns(pl.col(named).fill_null(False))


def control_findings(
    ctx: Context,
    failing: pl.LazyFrame,
    control_id: str,
    shown_in: str | None,
) -> pl.LazyFrame:
    """The control's findings on the `failing` rows, each on the line of its control's rubric
    in the instance the column `shown_in` names (the row's own first line where that instance
    lacks it, or `shown_in` is None)."""
    control = official_controls()[control_id]
    line = pl.col("instance_id")
    if shown_in is not None:
        shown = ctx.lines.lazy().filter(pl.col("rubric") == control.rubric)
        failing = failing.join(
            shown.select(pl.col("instance_id").alias(shown_in), shown_line="line"),
            on=shown_in,
            how="left",
        )
        line = pl.coalesce("shown_line", "instance_id")
    return findings(
        failing,
        control_id,
        pl.lit(control.message),
        line=line,
        rubric=pl.lit(control.rubric),
        warning_when=pl.col("oc_copy"),
    )
