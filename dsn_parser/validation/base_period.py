"""S21.G00.78.003/SIG-17: a base 31's period lies within the activity of the employment contract
its affiliation is attached to.

The control follows a chain no rule of rules.py can (a rule reads one block, its ancestors and
aggregates of its descendants): a base S21.G00.78 of code 31 names its affiliation by
S21.G00.78.005 = S21.G00.70.012 among its individual's; the affiliation hangs on a contract
S21.G00.40, active from S21.G00.40.001 to its end S21.G00.62.001, or to the last day of the
declared month when it has no end or its end was cancelled (reason 099). The base's period
S21.G00.78.002-S21.G00.78.003 must lie within it. Affiliations of mission contracts
(S21.G00.40.007 = 03) are left out, as the catalogue says: an affiliation id names one
affiliation of an individual, or several of mission contracts only (S21.G00.70.012/CCH-11), so
a base is checked against each non-mission contract its affiliation is attached to, and a base
whose affiliation is attached to mission contracts only is not checked.

Checked on the reader's typed tables in one query per file, or per batch of files read together
(dsn_parser.batch): its keys, the individual and the contract, lie within one declaration, so
files never meet. A date that is absent or not a date never fails it (syntax controls report
it), nor does a base whose affiliation is not found (S21.G00.78.005/CCH-11 reports it).
"""

from __future__ import annotations

import polars as pl

from dsn_parser.model import ENGINE, OPTIMIZATIONS
from dsn_parser.norm import official_controls
from dsn_parser.tree import DECLARATION_BLOCK
from dsn_parser.validation.context import Context
from dsn_parser.validation.rules import applies, control_findings

CONTROL_ID = "S21.G00.78.003/SIG-17"
BASE, AFFILIATION, CONTRACT, CONTRACT_END = (
    "S21.G00.78",
    "S21.G00.70",
    "S21.G00.40",
    "S21.G00.62",
)
# The rubrics read, per block: text, and dates (typed as the reader's tables type them).
_TEXTS = {
    BASE: ("S21.G00.78.001", "S21.G00.78.005"),
    AFFILIATION: ("S21.G00.70.012",),
    CONTRACT: ("S21.G00.40.007",),
    CONTRACT_END: ("S21.G00.62.002",),
}
_DATES = {
    DECLARATION_BLOCK: ("S20.G00.05.005",),
    BASE: ("S21.G00.78.002", "S21.G00.78.003"),
    CONTRACT: ("S21.G00.40.001",),
    CONTRACT_END: ("S21.G00.62.001",),
}
# What settles whether the control applies to a base (rules.applies), and the rest its instance
# tells (context.py): its declaration, its individual, whether it comes in an OC copy.
_KIND = ("norm", "declaration_nature", "fallback")
_FROM_INSTANCE = ("instance_id", "declaration_id", "individual_id", "oc_copy", *_KIND)
BASE_31 = "31"
MISSION = "03"
CANCELLED = "099"


def check(ctx: Context) -> list[pl.LazyFrame]:
    if not _in_versions(ctx):
        return []
    bases = _table(ctx, BASE)
    bases = bases.filter(bases.get_column("S21.G00.78.001").eq(BASE_31))
    if bases.is_empty():
        return []
    checked = _applying(
        bases.select(
            "instance_id",
            affiliation="S21.G00.78.005",
            base_start="S21.G00.78.002",
            base_end="S21.G00.78.003",
        ).join(ctx.instances.select(_FROM_INSTANCE), on="instance_id")
    )
    if checked.is_empty():
        return []
    failing = (
        checked.lazy()
        .join(_month_ends(ctx), on="declaration_id")
        .join(_activities(ctx), on=["individual_id", "affiliation"])
        .filter(
            (pl.col("base_start") < pl.col("start"))
            | (pl.col("base_end") > pl.coalesce(pl.col("end"), pl.col("month_end")))
        )
        .unique("instance_id")
        .collect(engine=ENGINE, optimizations=OPTIMIZATIONS)
    )
    if failing.is_empty():
        return []
    return [control_findings(ctx, failing.lazy(), CONTROL_ID, "instance_id")]


def _in_versions(ctx: Context) -> bool:
    """Whether an envoi is checked against the dictionary of a version whose catalogue lists
    the control: most files of earlier versions are left at once (`applies` then settles each
    declaration)."""
    checked = ctx.envois.filter(~pl.col("fallback")).get_column("norm")
    return bool(checked.is_in(official_controls()[CONTROL_ID].versions).any())


def _applying(rows: pl.DataFrame) -> pl.DataFrame:
    """The rows of the kinds (norm version, declaration nature) the control applies to."""
    kinds = rows.select(_KIND).unique()
    applying = kinds.filter(
        pl.Series([applies(CONTROL_ID, (), *kind) for kind in kinds.iter_rows()], dtype=pl.Boolean)
    )
    if applying.height == kinds.height:
        return rows
    return rows.join(applying, on=kinds.columns, how="semi")


def _month_ends(ctx: Context) -> pl.LazyFrame:
    return (
        _table(ctx, DECLARATION_BLOCK)
        .lazy()
        .select(declaration_id="instance_id", month_end=pl.col("S20.G00.05.005").dt.month_end())
    )


def _table(ctx: Context, block: str) -> pl.DataFrame:
    """The reader's typed table of the block; where the reader handed over none (a file without
    the block, or only its lines), the ids and the rubrics read, from the lines."""
    table = ctx.tables.get(block)
    if table is not None:
        return table
    texts, dates = _TEXTS.get(block, ()), _DATES.get(block, ())
    table = ctx.instances.filter(pl.col("block") == block).select(
        "instance_id", "parent_id", "declaration_id"
    )
    if table.is_empty():
        return table.with_columns(
            *(pl.lit(None, pl.String).alias(rubric) for rubric in texts),
            *(pl.lit(None, pl.Date).alias(rubric) for rubric in dates),
        )
    for rubric in (*texts, *dates):
        values = ctx.lines.filter(pl.col("rubric") == rubric).select(
            "instance_id", pl.col("value").alias(rubric)
        )
        table = table.join(values, on="instance_id", how="left", maintain_order="left")
    return table.with_columns(
        pl.col(rubric).str.to_date("%d%m%Y", strict=False) for rubric in dates
    )


def _activities(ctx: Context) -> pl.LazyFrame:
    """Per affiliation of a non-mission contract: the individual, the affiliation id, the
    contract's start and its end (null when it has none: the declared month's end then)."""
    contracts = (
        _table(ctx, CONTRACT)
        .lazy()
        .filter(pl.col("S21.G00.40.007").ne_missing(MISSION))
        .select(contract="instance_id", individual_id="parent_id", start="S21.G00.40.001")
    )
    # A contract has at most one end block (the structure controls report a second one): the
    # first that is not a cancellation is its end.
    ends = (
        _table(ctx, CONTRACT_END)
        .lazy()
        .filter(pl.col("S21.G00.62.002").ne(CANCELLED))
        .unique("parent_id", keep="first", maintain_order=True)
        .select(contract="parent_id", end="S21.G00.62.001")
    )
    return (
        _table(ctx, AFFILIATION)
        .lazy()
        .select(contract="parent_id", affiliation="S21.G00.70.012")
        .join(contracts, on="contract")
        .join(ends, on="contract", how="left")
    )
