"""Events on the employee that matter to provident cover: invalidity and death."""

from __future__ import annotations

import polars as pl

from quality.stoppages.catalogue import DEATH_REASON, INVALIDITY_REASONS
from quality.stoppages.episodes import CONTRACT_KEY
from quality.stoppages.inputs import StoppageInputs

# S21.G00.62.002 = 099: the contract end declared earlier is cancelled.
CONTRACT_END_CANCELLATION = "099"

EVENT_COLUMNS = [
    "event",  # "invalidité" or "décès"
    "siren",
    "siret",
    *CONTRACT_KEY,
    "event_date",  # invalidity start (65.002) or date of death (62.001)
    "detail",  # invalidity category code (112/114/116) or end reason
    "first_seen",
    "first_file",
]


def employee_events(inputs: StoppageInputs) -> pl.DataFrame:
    """One row per invalidity (65: 112/114/116, repeated monthly) and per death (62 = 066)."""
    invalidity = inputs.suspensions.filter(pl.col("reason").is_in(INVALIDITY_REASONS)).select(
        pl.lit("invalidité").alias("event"),
        "siren",
        "siret",
        *CONTRACT_KEY,
        pl.col("start_date").alias("event_date"),
        pl.col("reason").alias("detail"),
        "built_on",
        "file_id",
    )
    return (
        pl.concat([_first_seen(invalidity), _first_seen(_deaths(inputs.contract_ends))])
        .select(EVENT_COLUMNS)
        .sort("siren", "employee_key", "event_date", "event")
    )


def _deaths(contract_ends: pl.DataFrame) -> pl.DataFrame:
    """Deaths, unless a later 62 of the same contract cancels the end (099)."""
    cancellations = contract_ends.filter(pl.col("end_reason") == CONTRACT_END_CANCELLATION).select(
        *CONTRACT_KEY, pl.col("built_on").alias("cancelled_on")
    )
    deaths = contract_ends.filter(pl.col("end_reason") == DEATH_REASON)
    cancelled = deaths.join(cancellations, on=CONTRACT_KEY, how="inner").filter(
        pl.col("cancelled_on") > pl.col("built_on")
    )
    return deaths.join(cancelled.select(CONTRACT_KEY).unique(), on=CONTRACT_KEY, how="anti").select(
        pl.lit("décès").alias("event"),
        "siren",
        "siret",
        *CONTRACT_KEY,
        pl.col("end_date").alias("event_date"),
        pl.col("end_reason").alias("detail"),
        "built_on",
        "file_id",
    )


def _first_seen(rows: pl.DataFrame) -> pl.DataFrame:
    """Monthly DSNs repeat the same event: keep it once, from the first file that showed it."""
    return (
        rows.sort("built_on", "file_id")
        .group_by("event", *CONTRACT_KEY, "event_date", "detail", maintain_order=True)
        .agg(
            pl.col("siren").first(),
            pl.col("siret").first(),
            pl.col("built_on").first().alias("first_seen"),
            pl.col("file_id").first().alias("first_file"),
        )
    )
