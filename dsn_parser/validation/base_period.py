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
from dsn_parser.tree import DECLARATION_BLOCK
from dsn_parser.validation.context import Context
from dsn_parser.validation.rules import applies, control_findings

CONTROL_ID = "S21.G00.78.003/SIG-17"
BASE, PAYMENT, AFFILIATION, CONTRACT, CONTRACT_END = (
    "S21.G00.78",
    "S21.G00.50",
    "S21.G00.70",
    "S21.G00.40",
    "S21.G00.62",
)
_READ = (DECLARATION_BLOCK, BASE, PAYMENT, AFFILIATION, CONTRACT)
BASE_31 = "31"
MISSION = "03"
CANCELLED = "099"


def check(ctx: Context) -> list[pl.LazyFrame]:
    if not all(block in ctx.tables for block in _READ):
        return []
    bases = ctx.tables[BASE].filter(pl.col("S21.G00.78.001") == BASE_31)
    if bases.is_empty():
        return []
    declarations = _declarations(ctx)
    if declarations.is_empty():
        return []
    failing = (
        bases.lazy()
        .select(
            "instance_id",
            "declaration_id",
            payment="parent_id",
            affiliation="S21.G00.78.005",
            base_start="S21.G00.78.002",
            base_end="S21.G00.78.003",
        )
        .join(declarations.lazy(), on="declaration_id")
        .join(
            ctx.tables[PAYMENT].lazy().select(payment="instance_id", individual="parent_id"),
            on="payment",
        )
        .join(_activities(ctx), on=["individual", "affiliation"])
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


def _declarations(ctx: Context) -> pl.DataFrame:
    """The declarations the control applies to (by their norm and nature), with whether each is
    an OC copy and the last day of its declared month."""
    declarations = ctx.instances.filter(pl.col("block") == DECLARATION_BLOCK).select(
        "declaration_id",
        "oc_copy",
        pl.col("norm", "declaration_nature").cast(pl.String),
        "fallback",
    )
    kinds = declarations.select("norm", "declaration_nature", "fallback").unique()
    applying = kinds.filter(
        pl.Series([applies(CONTROL_ID, (), *kind) for kind in kinds.iter_rows()], dtype=pl.Boolean)
    )
    month_ends = ctx.tables[DECLARATION_BLOCK].select(
        declaration_id="instance_id", month_end=pl.col("S20.G00.05.005").dt.month_end()
    )
    return (
        declarations.join(applying, on=kinds.columns, how="semi")
        .select("declaration_id", "oc_copy")
        .join(month_ends, on="declaration_id", how="left")
    )


def _activities(ctx: Context) -> pl.LazyFrame:
    """Per affiliation of a non-mission contract: the individual, the affiliation id, the
    contract's start and its end (null when it has none: the declared month's end then)."""
    contracts = (
        ctx.tables[CONTRACT]
        .lazy()
        .filter(pl.col("S21.G00.40.007").ne_missing(MISSION))
        .select(contract="instance_id", individual="parent_id", start="S21.G00.40.001")
    )
    affiliations = (
        ctx.tables[AFFILIATION]
        .lazy()
        .select(contract="parent_id", affiliation="S21.G00.70.012")
        .join(contracts, on="contract")
    )
    if CONTRACT_END not in ctx.tables:
        return affiliations.with_columns(end=pl.lit(None, pl.Date))
    # A contract has at most one end block (the structure controls report a second one): the
    # first that is not a cancellation is its end.
    ends = (
        ctx.tables[CONTRACT_END]
        .lazy()
        .filter(pl.col("S21.G00.62.002").ne(CANCELLED))
        .unique("parent_id", keep="first", maintain_order=True)
        .select(contract="parent_id", end="S21.G00.62.001")
    )
    return affiliations.join(ends, on="contract", how="left")
