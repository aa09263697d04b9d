"""The ledgers' two DSN inputs, read from the DSN reader's block tables: contributions (one row
per affiliation and month, `ledgers.calls.CONTRIBUTIONS_SCHEMA`) and declared payments (one row
per S21.G00.55 component, as `ledgers.allocation.allocate` takes them).

Which declarations count is the warehouse's decision (declarations in force, replacements and
cancellations applied, history kept); pass its choice as `in_force` (file_id, declaration_id).
Without it, `latest_monthly_declarations` gives a simple default: per establishment, month and
fraction, the monthly DSN built last (a cancellation, type 04, removes the month).

Links inside one declaration (technical ids are never used across files):
  S21.G00.81 (code 059) → its parent S21.G00.78 (base code 31) → 78.005 = S21.G00.70.012 of the
  same employee → 70.013 = S21.G00.15.005 → the adhésion's contract reference 15.001.
  S21.G00.55 → its parent S21.G00.20.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from dsn_parser.model import ParsedFile
from ledgers.calls import AMOUNT, CONTRIBUTIONS_SCHEMA
from ledgers.tables import DECLARED_PAYMENTS

__all__ = [
    "DECLARED_PAYMENTS_SCHEMA",
    "contributions_from_dsn",
    "declared_payments_from_dsn",
    "latest_monthly_declarations",
]

_KEYS = ["file_id", "declaration_id"]
MONTHLY = "01"  # S20.G00.05.001 nature: DSN mensuelle
CANCELLATION = "04"  # S20.G00.05.002 type: annule
BASE_CODE = "31"  # S21.G00.78.001: prévoyance, santé, retraite supplémentaire
CONTRIBUTION_CODE = "059"  # S21.G00.81.001: the OC contribution
BASE_COMPONENTS = {"11": "tranche_a", "13": "tranche_b", "18": "pmss"}  # S21.G00.79.001

DECLARED_PAYMENTS_SCHEMA = DECLARED_PAYMENTS.polars_schema()


def latest_monthly_declarations(parsed: Iterable[ParsedFile]) -> pl.DataFrame:
    """file_id, declaration_id, month of the monthly DSN built last per establishment, month
    and fraction; none for a month whose last word is a cancellation."""
    declarations = pl.concat([f.declarations for f in parsed], how="diagonal_relaxed")
    last = (
        declarations.filter(pl.col("nature") == MONTHLY)
        .sort(
            "built_on",
            pl.col("order_number").cast(pl.Int64, strict=False),
            "file_id",
            "declaration_id",
        )
        .unique(["siret", "month", "fraction"], keep="last", maintain_order=True)
    )
    return last.filter(pl.col("type") != CANCELLATION).select(*_KEYS, "month").sort(_KEYS)


def contributions_from_dsn(
    parsed: Iterable[ParsedFile], in_force: pl.DataFrame | None = None
) -> pl.DataFrame:
    """One row per affiliation and month: company, contract, population, option, month, the 059
    amount and the bases declared beside it (`ledgers.calls.CONTRIBUTIONS_SCHEMA`)."""
    files = list(parsed)
    kept = _in_force(files, in_force)
    adhesions = _block(files, "S21.G00.15", kept).select(
        *_KEYS,
        pl.col("S21.G00.15.005").alias("adhesion_id"),
        pl.col("S21.G00.15.001").alias("contract_reference"),
    )
    affiliations = _block(files, "S21.G00.70", kept).select(
        *_KEYS,
        "employee_key",
        pl.col("S21.G00.70.012").alias("affiliation_id"),
        pl.col("S21.G00.70.013").alias("adhesion_id"),
        pl.col("S21.G00.70.004").alias("option"),
        pl.col("S21.G00.70.005").alias("population"),
    )
    bases = (
        _block(files, "S21.G00.78", kept)
        .filter(pl.col("S21.G00.78.001") == BASE_CODE)
        .select(
            *_KEYS,
            "employee_key",
            pl.col("instance_id").alias("base_id"),
            pl.col("S21.G00.78.005").alias("affiliation_id"),
        )
    )
    components = (
        _block(files, "S21.G00.79", kept)
        .filter(pl.col("S21.G00.79.001").is_in(list(BASE_COMPONENTS)))
        .select(
            *_KEYS,
            pl.col("parent_id").alias("base_id"),
            pl.col("S21.G00.79.001").replace_strict(BASE_COMPONENTS).alias("component"),
            pl.col("S21.G00.79.004").cast(AMOUNT).alias("value"),
        )
        .group_by(*_KEYS, "base_id", "component")
        .agg(pl.col("value").sum())
        .pivot("component", index=[*_KEYS, "base_id"], values="value")
    )
    contributions = (
        _block(files, "S21.G00.81", kept)
        .filter(pl.col("S21.G00.81.001") == CONTRIBUTION_CODE)
        .select(
            *_KEYS,
            "siren",
            pl.col("parent_id").alias("base_id"),
            pl.col("S21.G00.81.004").cast(AMOUNT).alias("amount"),
        )
    )
    joined = (
        contributions.join(bases, on=[*_KEYS, "base_id"], how="left")
        .join(affiliations, on=[*_KEYS, "employee_key", "affiliation_id"], how="left")
        .join(adhesions, on=[*_KEYS, "adhesion_id"], how="left")
        .join(kept, on=_KEYS)
        .join(components, on=[*_KEYS, "base_id"], how="left")
    )
    missing = [
        pl.lit(None, dtype=AMOUNT).alias(c)
        for c in BASE_COMPONENTS.values()
        if c not in joined.columns
    ]
    return (
        joined.with_columns(missing)
        .select(list(CONTRIBUTIONS_SCHEMA))
        .cast(CONTRIBUTIONS_SCHEMA)
        .sort("siren", "contract_reference", "month", "population", "amount", nulls_last=True)
    )


def declared_payments_from_dsn(
    parsed: Iterable[ParsedFile], in_force: pl.DataFrame | None = None
) -> pl.DataFrame:
    """One row per S21.G00.55 component with its S21.G00.20 payment (payments with no component
    — to other bodies than the OC — are left out)."""
    files = list(parsed)
    kept = _in_force(files, in_force)
    payments = _block(files, "S21.G00.20", kept).select(
        *_KEYS,
        pl.col("instance_id").alias("payment_id"),
        "siren",
        "siret",
        pl.col("S21.G00.20.001").alias("organisme_code"),
        pl.col("S21.G00.20.004").alias("iban"),
        pl.col("S21.G00.20.005").cast(AMOUNT).alias("payment_total"),
        pl.col("S21.G00.20.010").alias("payment_mode"),
        pl.col("S21.G00.20.011").alias("payment_date"),
    )
    components = _block(files, "S21.G00.55", kept).select(
        *_KEYS,
        pl.col("parent_id").alias("payment_id"),
        pl.col("S21.G00.55.003").alias("contract_reference"),
        pl.col("S21.G00.55.002").alias("population"),
        pl.col("S21.G00.55.004").alias("period_code"),
        pl.col("S21.G00.55.001").cast(AMOUNT).alias("amount"),
    )
    return (
        components.join(payments, on=[*_KEYS, "payment_id"])
        .join(kept, on=_KEYS)
        .with_columns(
            pl.concat_str("file_id", pl.lit(":"), pl.col("payment_id").cast(pl.String)).alias(
                "declared_payment_id"
            )
        )
        .select(list(DECLARED_PAYMENTS_SCHEMA))
        .cast(DECLARED_PAYMENTS_SCHEMA)
        .sort("declared_payment_id", "period_code", "contract_reference", "amount")
    )


def _in_force(files: list[ParsedFile], in_force: pl.DataFrame | None) -> pl.DataFrame:
    kept = latest_monthly_declarations(files) if in_force is None else in_force
    if "month" not in kept.columns:
        declarations = pl.concat([f.declarations for f in files], how="diagonal_relaxed")
        kept = kept.join(declarations.select(*_KEYS, "month"), on=_KEYS)
    return kept.select(*_KEYS, "month")


def _block(files: list[ParsedFile], block: str, kept: pl.DataFrame) -> pl.DataFrame:
    """The block's rows of the declarations kept, with every rubric column of the block (a
    rubric no instance declares is a null column: optional rubrics are often absent)."""
    tables = [f.blocks[block] for f in files if block in f.blocks]
    frame = (
        pl.concat(tables, how="diagonal_relaxed")
        if tables
        else pl.DataFrame(
            schema={
                "file_id": pl.String(),
                "declaration_id": pl.UInt32(),
                "instance_id": pl.UInt32(),
                "parent_id": pl.UInt32(),
                "siren": pl.String(),
                "siret": pl.String(),
                "employee_key": pl.String(),
            }
        )
    )
    absent = [
        pl.lit(None, dtype=pl.String).alias(rubric)
        for rubric in _RUBRICS[block]
        if rubric not in frame.columns
    ]
    return frame.with_columns(absent).join(kept.select(_KEYS), on=_KEYS)


_RUBRICS = {
    "S21.G00.15": ("S21.G00.15.001", "S21.G00.15.005"),
    "S21.G00.20": tuple(f"S21.G00.20.{n:03d}" for n in (1, 4, 5, 10, 11)),
    "S21.G00.55": tuple(f"S21.G00.55.{n:03d}" for n in (1, 2, 3, 4)),
    "S21.G00.70": tuple(f"S21.G00.70.{n:03d}" for n in (4, 5, 12, 13)),
    "S21.G00.78": ("S21.G00.78.001", "S21.G00.78.005"),
    "S21.G00.79": ("S21.G00.79.001", "S21.G00.79.004"),
    "S21.G00.81": ("S21.G00.81.001", "S21.G00.81.004"),
}
