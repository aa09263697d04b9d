"""Validation of a parsed DSN file: diagnostics with stable codes and a status per declaration.

`validate(parsed)` runs every control family over the lines frame (vectorised with Polars, the
norm's tables joined in), adds the findings to `parsed.diagnostics` and writes each
declaration's status into `parsed.declarations`. The catalogue of codes is in `diagnostics.py`,
the status rule in `status.py`.
"""

from __future__ import annotations

import polars as pl

from dsn_parser.model import (
    DIAGNOSTICS_SCHEMA,
    ENGINE,
    OPTIMIZATIONS,
    WHOLE_FILE,
    ParsedFile,
    Part,
)
from dsn_parser.tree import DECLARATION_BLOCK, LOT_ENVELOPE
from dsn_parser.validation import official, structure, syntax, totals
from dsn_parser.validation.context import (
    NORM_RUBRIC,
    Context,
    build_context,
    individual_blocks_of,
)
from dsn_parser.validation.diagnostics import CATALOGUE, findings, lines_at, to_diagnostics
from dsn_parser.validation.status import declaration_statuses, settled

__all__ = ["CATALOGUE", "settled", "validate", "validate_joined", "validate_part"]


def validate(parsed: ParsedFile) -> ParsedFile:
    """Check `parsed` against the norm of each of its envois; returns it, completed."""
    validate_part(parsed, WHOLE_FILE)
    return parsed


def validate_part(parsed: ParsedFile, part: Part) -> pl.DataFrame:
    """Check a batch of a file read in parts (dsn_parser.reading), completing it like `validate`.

    What is about an envoi as a whole (its header and total lines, its blocks counted) is
    reported on its last part, with what its earlier parts carried, so each finding is reported
    once. A declaration's status is settled by `settled` once every part is read: returns what
    this part's findings say of envois and of the file (status.declaration_statuses).
    """
    ctx = build_context(parsed, part=part)
    from_reader = parsed.diagnostics.cast(pl.Schema(DIAGNOSTICS_SCHEMA))
    diagnostics = pl.concat([from_reader, _diagnostics(ctx, parsed.file_id)])
    if _nothing_readable(ctx):
        diagnostics = _unreadable(diagnostics, parsed.file_id)
    return _complete(parsed, ctx, diagnostics)


def validate_joined(joined: ParsedFile, file_starts: pl.Series) -> bool:
    """Validate files read together as one (dsn_parser.batch): `joined` holds their lines and
    declarations, numbered on across the files, each file starting at its `file_starts`.

    Every control is scoped to an instance, a declaration or an envoi, all within one file, so
    one run over the joined lines finds what a run per file would, messages show each file's own
    line numbers and a finding outside the envois counts for its file's declarations only. What
    is about a whole file is left to the caller, which must read on its own a file without a
    declaration. Returns False, and leaves `joined` as it was, when a finding has no line: it
    cannot be told which file it is about.
    """
    ctx = build_context(joined, file_starts)
    diagnostics = _diagnostics(ctx, joined.file_id)
    if diagnostics["line"].null_count():
        return False
    _complete(joined, ctx, diagnostics)
    return True


def _diagnostics(ctx: Context, file_id: str) -> pl.DataFrame:
    found = pl.concat(
        [
            _norm_fallbacks(ctx),
            *syntax.check(ctx),
            *structure.check(ctx),
            *totals.check(ctx),
            *official.check(ctx),
        ]
    ).collect(engine=ENGINE, optimizations=OPTIMIZATIONS)
    labels = ctx.rubrics.select("rubric", "label")
    found = _reported_in_this_part(found, ctx)
    return to_diagnostics(found, file_id=file_id, lines=ctx.lines, labels=labels)


def _reported_in_this_part(found: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """The findings a batch of a file read in parts reports: on its own lines, but those of an
    envoi going on outside its declarations (its header and totals are judged on its last
    part) and those of a declaration going on outside its individuals (judged on its last
    part, with every individual counted); and on the lines its envoi's earlier parts carried
    outside declarations when the envoi ends here, and those its declaration's earlier parts
    carried outside individuals when the declaration ends here (the lines of the other
    declarations, and of individuals, were judged in their own part)."""
    part = ctx.part
    carried = (part.continued, part.goes_on, part.declaration, part.declaration_goes_on)
    if all(so_far is None for so_far in carried):
        return found
    at = lines_at(ctx.lines, found["line"]).select(
        "line", "envoi_id", "declaration_id", "scope_instance_id"
    )
    outside_declarations = pl.col("declaration_id").is_null()
    envoi_going_on = (pl.col("envoi_id") == pl.lit(part.goes_on, pl.UInt32)).fill_null(False)
    judged_later = envoi_going_on & outside_declarations
    carried_reported = outside_declarations
    if part.declaration is not None or part.declaration_goes_on is not None:
        at = at.join(
            ctx.instances.select(scope_instance_id="instance_id", scope_block="block"),
            on="scope_instance_id",
            how="left",
        )
        individual = individual_blocks_of(ctx.norm_versions)
        about_declaration = ~pl.col("scope_block").is_in(individual).fill_null(False)
        ending_here = part.declaration.declaration_id if part.declaration else None
        judged_later |= _is(part.declaration_goes_on) & about_declaration
        carried_reported |= _is(ending_here) & about_declaration
    reported = pl.col("line").is_null() | (
        ~judged_later & (ctx.own(pl.col("line")) | carried_reported)
    )
    return (
        found.join(at, on="line", how="left", maintain_order="left")
        .filter(reported)
        .select(found.columns)
    )


def _is(declaration_id: int | None) -> pl.Expr:
    """Whether a finding's line lies in this declaration (never, for None)."""
    return (pl.col("declaration_id") == pl.lit(declaration_id, pl.UInt32)).fill_null(False)


def _complete(parsed: ParsedFile, ctx: Context, diagnostics: pl.DataFrame) -> pl.DataFrame:
    """Write the diagnostics and each declaration's status into `parsed`; returns what the
    findings say of envois and of the file, for `settled`."""
    # Two controls may report the very same finding; two different findings of one code on one
    # line (two missing blocks under the same parent) are both kept: the message tells them
    # apart. Sorted on the whole key, so the order never depends on how the engine scheduled
    # the controls.
    key = ["line", "code", "rubric", "message"]
    parsed.diagnostics = diagnostics.unique(key).sort(key, nulls_last=False)
    statuses, verdicts = declaration_statuses(ctx, parsed.diagnostics)
    parsed.declarations = (
        parsed.declarations.drop("status")
        .join(statuses, on="declaration_id", how="left")
        .select(parsed.declarations.columns)
    )
    return verdicts


def _norm_fallbacks(ctx: Context) -> pl.LazyFrame:
    return findings(
        ctx.envois.filter(pl.col("fallback")),
        "NORM-FALLBACK",
        pl.format(
            "{} Présence des rubriques et listes de codes contrôlées en avertissement seulement.",
            pl.col("fallback_message"),
        ),
        rubric=pl.lit(NORM_RUBRIC),
    )


def _nothing_readable(ctx: Context) -> bool:
    """No declaration, and not just a piece of a concentrator's lot envelope: a huge lot is
    validated in batches of envois, and its trailer may come alone in the last one. An envoi
    going on is judged on its last part, which holds the first block of all its declarations."""
    if ctx.part.goes_on is not None:
        return False
    if not ctx.instances.filter(pl.col("block") == DECLARATION_BLOCK).is_empty():
        return False
    outside_envelope = ctx.lines.filter(~pl.col("block").is_in(LOT_ENVELOPE).fill_null(False))
    return outside_envelope.height > 0 or ctx.lines.height == 0


def _unreadable(diagnostics: pl.DataFrame, file_id: str) -> pl.DataFrame:
    """A file with no declaration gets one FILE-UNREADABLE error, unless the reader gave one."""
    if (diagnostics["code"] == "FILE-UNREADABLE").any():
        return diagnostics
    unreadable = pl.DataFrame(
        {
            "file_id": [file_id],
            "declaration_id": [None],
            "line": [None],
            "rubric": [None],
            "label": [None],
            "code": ["FILE-UNREADABLE"],
            "severity": [CATALOGUE["FILE-UNREADABLE"].severity.value],
            "message": [
                "Aucune déclaration DSN lisible dans ce fichier (pas de bloc S10 suivi "
                "d'un bloc S20) : rien n'a pu être intégré."
            ],
        },
        schema=DIAGNOSTICS_SCHEMA,
    )
    return pl.concat([diagnostics, unreadable])
