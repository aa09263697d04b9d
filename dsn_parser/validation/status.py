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
    the verdicts `settled` folds when the file is validated in parts (VERDICTS_SCHEMA): what
    the findings outside declarations say of each envoi (envoi_id, null outside any envoi) and
    of the file, and what this part's findings and individuals say of each declaration."""
    declarations = ctx.instances.filter(pl.col("block") == DECLARATION_BLOCK).select(
        "declaration_id", "envoi_id", "declaration_nature"
    )
    scoped = _scoped(ctx, diagnostics)
    own_individuals = ctx.instances.filter(
        (pl.col("block") == INDIVIDUAL_BLOCK) & ctx.own(pl.col("instance_id"))
    )
    per_declaration = (
        scoped.filter(pl.col("declaration_id").is_not_null())
        .group_by("declaration_id")
        .agg(
            error=(pl.col("is_error") & pl.col("individual_id").is_null()).any(),
            finding=pl.lit(True),
            rejected=pl.col("individual_id").filter(pl.col("is_error")).drop_nulls().unique(),
        )
        .join(
            own_individuals.group_by("declaration_id").agg(individuals=pl.len()),
            on="declaration_id",
            how="full",
            coalesce=True,
        )
        .join(declarations.select("declaration_id", "envoi_id"), on="declaration_id", how="left")
    )
    per_envoi = (
        scoped.filter(pl.col("declaration_id").is_null())
        .group_by("envoi_id")
        .agg(error=pl.col("is_error").any(), finding=pl.lit(True))
    )
    verdicts = pl.concat(
        [_as_verdicts(per_envoi), _as_verdicts(per_declaration)], how="diagonal_relaxed"
    ).select(_as_verdicts(per_envoi).columns)
    # Per file: files validated together (Context.file_starts) each keep their own.
    files_with_outside = (
        scoped.filter(pl.col("envoi_id").is_null())
        .with_columns(file=ctx.file_of(pl.col("line")))
        .get_column("file")
    )
    outside_envois = ctx.file_of(pl.col("declaration_id")).is_in(files_with_outside.implode())
    statuses = _statuses(
        declarations.rename({"declaration_nature": "nature"}).with_columns(
            pl.col("nature").cast(pl.String)
        ),
        verdicts,
        outside_envois,
    )
    return statuses.select("declaration_id", "status"), verdicts


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
    """The declarations of a file validated in parts (DECLARATIONS_SCHEMA), each status settled
    with `verdicts` (every part's, from declaration_statuses), as when the file is validated at
    once: a declaration cut between its individuals has its findings and individuals in several
    parts, and an error in its envoi outside declarations, in any part, rejects it."""
    outside_envois = bool(
        verdicts.filter(pl.col("envoi_id").is_null() & pl.col("declaration_id").is_null()).height
    )
    statuses = _statuses(declarations, verdicts, pl.lit(outside_envois))
    return (
        declarations.drop("status")
        .join(statuses.select("declaration_id", "status"), on="declaration_id", how="left")
        .select(declarations.columns)
        .with_columns(pl.col("status").cast(declarations.schema["status"]))
    )


# What a part's findings say (declaration_statuses), folded over the parts by `settled`.
VERDICTS_SCHEMA: dict[str, pl.DataType] = {
    "envoi_id": pl.UInt32(),
    "declaration_id": pl.UInt32(),  # null: a verdict on the envoi (or the file) outside them
    "error": pl.Boolean(),  # an error: outside individuals for a declaration
    "finding": pl.Boolean(),
    "rejected": pl.List(pl.UInt32()),  # the declaration's individuals with an error
    "individuals": pl.UInt32(),  # the declaration's individuals in the part
}


def _as_verdicts(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(
        pl.col(name).cast(dtype) if name in frame.columns else pl.lit(None, dtype).alias(name)
        for name, dtype in VERDICTS_SCHEMA.items()
    )


def _statuses(
    declarations: pl.DataFrame, verdicts: pl.DataFrame, outside_envois: pl.Expr
) -> pl.DataFrame:
    """declaration_id, status of each of `declarations` (declaration_id, envoi_id, nature), from
    the verdicts of every part (the cahier's rule in the module docstring)."""
    per_declaration = (
        verdicts.filter(pl.col("declaration_id").is_not_null())
        .group_by("declaration_id")
        .agg(
            declaration_error=pl.col("error").fill_null(False).any(),
            has_finding=pl.col("finding").fill_null(False).any(),
            rejected_individuals=pl.col("rejected")
            .list.explode(keep_nulls=False, empty_as_null=False)
            .drop_nulls()
            .n_unique(),
            individuals=pl.col("individuals").fill_null(0).sum(),
        )
    )
    per_envoi = (
        verdicts.filter(pl.col("declaration_id").is_null() & pl.col("envoi_id").is_not_null())
        .group_by("envoi_id")
        .agg(envoi_error=pl.col("error").any(), envoi_finding=pl.col("finding").any())
    )
    summary = (
        declarations.select("declaration_id", "envoi_id", "nature")
        .join(per_declaration, on="declaration_id", how="left", maintain_order="left")
        .join(per_envoi, on="envoi_id", how="left", maintain_order="left")
        .with_columns(pl.col(pl.Boolean).fill_null(False), pl.col(pl.UInt32).fill_null(0))
    )
    signal_left_empty = (
        pl.col("nature").is_in(SIGNAL_NATURES)
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
    return summary.with_columns(status=status.cast(pl.UInt8))
