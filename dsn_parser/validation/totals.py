"""The envoi's totals (S90.G00.90): number of lines from S10 to S90 included, and number of
declarations. Service rubrics added by the deposit platform inside the envoi are counted (the
lot sample's totals include them); the concentrator's lot envelope around envois is not.

An envoi read in parts is judged on its last part: its lines are counted from the count its
earlier parts carried, its declarations and total blocks from the first block of each
declaration and the lines outside declarations they carried (Context.part).
"""

from __future__ import annotations

import polars as pl

from dsn_parser.model import ENGINE, OPTIMIZATIONS
from dsn_parser.tree import DECLARATION_BLOCK, LOT_ENVELOPE
from dsn_parser.validation.context import Context
from dsn_parser.validation.diagnostics import findings

LINE_COUNT_RUBRIC = "S90.G00.90.001"
DECLARATION_COUNT_RUBRIC = "S90.G00.90.002"
TOTAL_BLOCK = "S90.G00.90"


def check(ctx: Context) -> list[pl.LazyFrame]:
    in_envoi = ctx.lines.lazy().filter(
        pl.col("envoi_id").is_not_null() & ~pl.col("block").is_in(LOT_ENVELOPE).fill_null(False)
    )
    # Declarations and the total block are counted on the instances, six times fewer rows.
    blocks = (
        ctx.instances.lazy()
        .filter(pl.col("envoi_id").is_not_null())
        .group_by("envoi_id")
        .agg(
            declarations=(pl.col("block") == DECLARATION_BLOCK).sum(),
            has_total=(pl.col("block") == TOTAL_BLOCK).any(),
        )
    )
    # An envoi's lines follow each other: counted as runs of its id, then the few runs summed
    # (hashing every line's envoi id cost most of this control).
    runs = (
        in_envoi.filter(ctx.own(pl.col("line"))).select(pl.col("envoi_id").rle()).unnest("envoi_id")
    )
    # Computed once: each of the three findings below reads it (a lazy frame read three times
    # is computed three times: validation runs without common subplan elimination).
    counted = (
        runs.group_by(envoi_id="value")
        .agg(lines=pl.col("len").sum())
        .with_columns(pl.col("lines") + _counted_before(ctx))
        .join(blocks, on="envoi_id", how="left")
        .with_columns(pl.col("declarations").fill_null(0), pl.col("has_total").fill_null(False))
        .collect(engine=ENGINE, optimizations=OPTIMIZATIONS)
    )
    declared = in_envoi.filter(
        pl.col("rubric").is_in([LINE_COUNT_RUBRIC, DECLARATION_COUNT_RUBRIC])
    ).select("envoi_id", "line", "rubric", "value")
    compared = declared.join(counted.lazy(), on="envoi_id").with_columns(
        actual=pl.when(pl.col("rubric") == LINE_COUNT_RUBRIC)
        .then(pl.col("lines"))
        .otherwise(pl.col("declarations")),
        stated=pl.col("value").cast(pl.Int64, strict=False),
    )
    # A total that is not a number is a CSL finding already; only numbers are compared.
    wrong = compared.filter(
        pl.col("stated").is_not_null() & (pl.col("stated") != pl.col("actual"))
    ).collect(engine=ENGINE, optimizations=OPTIMIZATIONS)
    line_count = findings(
        wrong.filter(pl.col("rubric") == LINE_COUNT_RUBRIC),
        "S90-LINE-COUNT",
        pl.format(
            "Le total annonce {} rubriques mais l'envoi (du S10 au S90 inclus) en compte {}.",
            pl.col("value"),
            pl.col("actual"),
        ),
    )
    declaration_count = findings(
        wrong.filter(pl.col("rubric") == DECLARATION_COUNT_RUBRIC),
        "S90-DECLARATION-COUNT",
        pl.format(
            "Le total annonce {} déclaration(s) mais l'envoi en contient {}.",
            pl.col("value"),
            pl.col("actual"),
        ),
    )
    incomplete = findings(
        counted.filter(~pl.col("has_total")),
        "STR-ENVOI-INCOMPLETE",
        pl.format(
            "L'envoi commencé ligne {} n'a pas de bloc total S90.G00.90 : le fichier est "
            "peut-être tronqué.",
            ctx.shown_line(pl.col("envoi_id")),
        ),
        line=pl.col("envoi_id"),
        rubric=pl.lit(None, dtype=pl.String),
    )
    return [line_count, declaration_count, incomplete]


def _counted_before(ctx: Context) -> pl.Expr:
    """The lines of the envoi counted by its parts before this batch (0 for the others)."""
    continued = ctx.part.continued
    if continued is None:
        return pl.lit(0, pl.UInt32)
    return (
        pl.when(pl.col("envoi_id") == continued.envoi_id)
        .then(pl.lit(continued.counted_lines, pl.UInt32))
        .otherwise(pl.lit(0, pl.UInt32))
    )
