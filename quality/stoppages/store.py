"""Writing a night's stoppage results into the `stoppage.*` tables (migration 0012).

Everything is replaced each night except what a signal carries across nights: the night it was
first seen. A signal is identified by its code, keys and dates, so recomputing the same night
gives the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import polars as pl

from quality.stoppages.catalogue import IN_PROGRESS
from quality.stoppages.episodes import opaque_id
from quality.stoppages.pipeline import StoppageResults

_SIGNAL_IDENTITY = [
    "code",
    "siren",
    "employee_key",
    "contract_start",
    "contract_number",
    "contract_reference",
    "stoppage_first_day",
    "signal_date",
    "episode_id",
]


@dataclass(frozen=True)
class StoppageNight:
    episodes_in_progress: int  # en cours or prolongé
    episodes: int
    signals: int
    new_signals: int  # first seen tonight


def planned_end_history(episodes: pl.DataFrame) -> pl.DataFrame:
    return (
        episodes.select("episode_id", "prolongations")
        .explode("prolongations")
        .drop_nulls("prolongations")
        .unnest("prolongations")
        .rename({"from": "previous_end", "to": "planned_end", "declared_on": "declared_on"})
        .sort("episode_id", "declared_on", "planned_end")
    )


def with_signal_ids(signals: pl.DataFrame) -> pl.DataFrame:
    return signals.with_columns(signal_id=opaque_id(_SIGNAL_IDENTITY))


def store_results(
    connection: duckdb.DuckDBPyConnection, results: StoppageResults, night: date
) -> StoppageNight:
    """Replace tonight's results; the caller owns the transaction."""
    signals = with_signal_ids(results.signals)
    first_seen = connection.execute(
        "SELECT signal_id, min(first_seen_night) FROM stoppage.signals GROUP BY 1"
    ).fetchall()
    known = pl.DataFrame(
        first_seen, schema={"signal_id": pl.String(), "first_seen_night": pl.Date()}, orient="row"
    )
    signals = signals.join(known, on="signal_id", how="left").with_columns(
        pl.col("first_seen_night").fill_null(night), last_seen_night=pl.lit(night)
    )
    _replace(connection, "stoppage.episodes", results.episodes)
    _replace(connection, "stoppage.planned_end_history", planned_end_history(results.episodes))
    _replace(connection, "stoppage.employee_events", results.events)
    _replace(connection, "stoppage.signals", signals)
    _replace(connection, "stoppage.claims", results.claims)
    connection.execute("DELETE FROM stoppage.nights WHERE night = ?", [night])
    connection.execute("INSERT INTO stoppage.nights VALUES (?, ?)", [night, results.as_of])
    in_progress = results.episodes.filter(pl.col("status").is_in(IN_PROGRESS))
    return StoppageNight(
        episodes_in_progress=in_progress.height,
        episodes=results.episodes.height,
        signals=signals.height,
        new_signals=signals.filter(pl.col("first_seen_night") == night).height,
    )


def _replace(connection: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    columns = connection.sql(f"SELECT * FROM {table} LIMIT 0").columns
    connection.execute(f"DELETE FROM {table}")
    rows = frame.select(c for c in columns if c in frame.columns)  # noqa: F841 (read by DuckDB)
    connection.execute(f"INSERT INTO {table} BY NAME SELECT * FROM rows")
