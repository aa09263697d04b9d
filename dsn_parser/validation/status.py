"""The status of each declaration, like the insurer's return to the company (compte rendu métier).

The scope of a finding is where its line lies:
- in an individual's subtree (S21.G00.30 and its child blocks): the finding is about that
  individual only; an error rejects the individual, and the declaration is *partially accepted*
  (2): its other individuals and its establishment data (adhésions, payments) are usable. A
  signal (natures 04, 05, 07, 08, 10) is about its individual only: when every individual of a
  signal is rejected nothing usable is left, and the signal is *rejected* (3);
- elsewhere in a declaration (S20 header, S21.G00.06/11, adhésions, payments...): an error
  rejects the declaration (3);
- in the envoi outside its declarations (S10, S90 totals): an error rejects every declaration of
  the envoi (3);
- outside any envoi (the concentrator's lot envelope, stray lines) or about the whole file: it
  cannot be tied to a declaration, so it only marks every declaration of the file as *accepted
  with anomalies* (1) — rejecting a whole lot for one envelope line would lose good data.
Any warning in scope gives at least 1; no finding in scope gives 0.
"""

from __future__ import annotations

import polars as pl

from dsn_parser.model import DeclarationStatus, Severity
from dsn_parser.tree import DECLARATION_BLOCK
from dsn_parser.validation.context import INDIVIDUAL_BLOCK, Context
from dsn_parser.validation.diagnostics import lines_at

# Declarations about one event of an individual: arrêt (04), reprise (05), fin de contrat (07),
# amorçage (08), DPAE (10). Monthly DSNs (01) and substitutions (09) also carry establishment data.
SIGNAL_NATURES = ("04", "05", "07", "08", "10")


def declaration_statuses(
    ctx: Context, diagnostics: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """declaration_id, status for every declaration (S20.G00.05 instance) of the file; and
    what the findings outside declarations say of each envoi and of the file, for `settled`
    (envoi_id, null outside any envoi; error; finding)."""
    declarations = ctx.instances.filter(pl.col("block") == DECLARATION_BLOCK).select(
        "declaration_id", "envoi_id", "declaration_nature"
    )
    scoped = _scoped(ctx, diagnostics)
    in_declaration = scoped.filter(pl.col("declaration_id").is_not_null())
    per_declaration = in_declaration.group_by("declaration_id").agg(
        declaration_error=(pl.col("is_error") & pl.col("individual_id").is_null()).any(),
        rejected_individuals=pl.col("individual_id")
        .filter(pl.col("is_error"))
        .drop_nulls()
        .n_unique(),
        has_finding=pl.lit(True),
    )
    per_envoi = (
        scoped.filter(pl.col("declaration_id").is_null() & pl.col("envoi_id").is_not_null())
        .group_by("envoi_id")
        .agg(envoi_error=pl.col("is_error").any(), envoi_finding=pl.lit(True))
    )
    # Per file: files validated together (Context.file_starts) each keep their own.
    files_with_outside = (
        scoped.filter(pl.col("envoi_id").is_null())
        .with_columns(file=ctx.file_of(pl.col("line")))
        .get_column("file")
    )
    outside_envois = ctx.file_of(pl.col("declaration_id")).is_in(files_with_outside.implode())
    individuals = (
        ctx.instances.filter(pl.col("block") == INDIVIDUAL_BLOCK)
        .group_by("declaration_id")
        .agg(individuals=pl.len())
    )
    summary = (
        declarations.join(per_declaration, on="declaration_id", how="left")
        .join(per_envoi, on="envoi_id", how="left")
        .join(individuals, on="declaration_id", how="left")
        .with_columns(pl.col(pl.Boolean).fill_null(False), pl.col(pl.UInt32).fill_null(0))
    )
    signal_left_empty = (
        pl.col("declaration_nature").is_in(SIGNAL_NATURES)
        & (pl.col("individuals") > 0)
        & (pl.col("rejected_individuals") >= pl.col("individuals"))
    )
    status = (
        pl.when(pl.col("declaration_error") | pl.col("envoi_error") | signal_left_empty)
        .then(DeclarationStatus.REJECTED.value)
        .when(pl.col("rejected_individuals") > 0)
        .then(DeclarationStatus.PARTIALLY_ACCEPTED.value)
        .when(pl.col("has_finding") | pl.col("envoi_finding") | outside_envois)
        .then(DeclarationStatus.ACCEPTED_WITH_ANOMALIES.value)
        .otherwise(DeclarationStatus.ACCEPTED.value)
    )
    verdicts = (
        scoped.filter(pl.col("declaration_id").is_null())
        .group_by("envoi_id")
        .agg(error=pl.col("is_error").any(), finding=pl.lit(True))
    )
    return summary.select("declaration_id", status=status.cast(pl.UInt8)), verdicts


def _scoped(ctx: Context, diagnostics: pl.DataFrame) -> pl.DataFrame:
    """Per finding: its severity, and the envoi, declaration and individual its line lies in."""
    return (
        diagnostics.select("line", "severity")
        .join(
            lines_at(ctx.lines, diagnostics["line"]).select(
                "line", "envoi_id", "declaration_id", instance_id="scope_instance_id"
            ),
            on="line",
            how="left",
        )
        .join(ctx.instances.select("instance_id", "individual_id"), on="instance_id", how="left")
        .with_columns(is_error=pl.col("severity") == Severity.ERROR.value)
    )


def settled(declarations: pl.DataFrame, verdicts: pl.DataFrame) -> pl.DataFrame:
    """The declarations of a file validated in parts (DECLARATIONS_SCHEMA), each status given by
    its own part, completed with `verdicts` (every part's, from declaration_statuses): an error
    in its envoi outside declarations rejects it, any other finding there or outside the envois
    makes it at least accepted with anomalies, as when the file is validated at once."""
    per_envoi = (
        verdicts.filter(pl.col("envoi_id").is_not_null())
        .group_by("envoi_id")
        .agg(envoi_error=pl.col("error").any(), envoi_finding=pl.col("finding").any())
    )
    outside_envois = bool(verdicts.filter(pl.col("envoi_id").is_null()).height)
    status = pl.col("status")
    return (
        declarations.join(per_envoi, on="envoi_id", how="left", maintain_order="left")
        .with_columns(
            status=pl.when(pl.col("envoi_error").fill_null(False))
            .then(DeclarationStatus.REJECTED.value)
            .when(pl.col("envoi_finding").fill_null(False) | outside_envois)
            .then(pl.max_horizontal(status, DeclarationStatus.ACCEPTED_WITH_ANOMALIES.value))
            .otherwise(status)
            .cast(declarations.schema["status"])
        )
        .select(declarations.columns)
    )
