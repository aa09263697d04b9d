"""Writing a night's stoppage results into the `stoppage.*` tables (migration 0012).

The rows of the night's companies are replaced (every company's on a whole night), except what
a signal carries across nights: the night it was first seen. A signal is identified by its
code, keys and dates, so recomputing the same night gives the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import polars as pl

from quality.stoppages.catalogue import IN_PROGRESS_SQL
from quality.stoppages.episodes import opaque_id
from quality.stoppages.pipeline import StoppageResults
from warehouse.changes import EVERY_COMPANY, CompanyScope, register_scope

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
    claims: int


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
    connection: duckdb.DuckDBPyConnection,
    results: StoppageResults,
    night: date,
    scope: CompanyScope = EVERY_COMPANY,
) -> StoppageNight:
    """Replace the results of `scope`'s companies and employees with tonight's (the others' are
    kept, their signals seen tonight); the caller owns the transaction."""
    register_scope(connection, scope)
    in_scope = scope.sql("siren", "employee_key")
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
    # before the episodes: their rows tell which episodes' history is replaced
    _replace(
        connection,
        "stoppage.planned_end_history",
        planned_end_history(results.episodes),
        f"episode_id IN (SELECT episode_id FROM stoppage.episodes WHERE {in_scope})",
    )
    _replace(connection, "stoppage.episodes", results.episodes, in_scope)
    _replace(connection, "stoppage.employee_events", results.events, in_scope)
    _replace(connection, "stoppage.signals", signals, in_scope)
    connection.execute("UPDATE stoppage.signals SET last_seen_night = ?", [night])
    _replace(connection, "stoppage.claims", results.claims, in_scope)
    connection.execute("DELETE FROM stoppage.nights WHERE night = ?", [night])
    connection.execute("INSERT INTO stoppage.nights VALUES (?, ?)", [night, results.as_of])
    [(episodes, in_progress, signal_count, new_signals, claims)] = connection.execute(
        f"""
        SELECT (SELECT count(*) FROM stoppage.episodes),
            (SELECT count(*) FROM stoppage.episodes WHERE status IN ({IN_PROGRESS_SQL})),
            (SELECT count(*) FROM stoppage.signals),
            (SELECT count(*) FROM stoppage.signals WHERE first_seen_night = ?),
            (SELECT count(*) FROM stoppage.claims)
        """,
        [night],
    ).fetchall()
    return StoppageNight(
        episodes_in_progress=in_progress,
        episodes=episodes,
        signals=signal_count,
        new_signals=new_signals,
        claims=claims,
    )


def _replace(
    connection: duckdb.DuckDBPyConnection,
    table: str,
    frame: pl.DataFrame,
    rows_replaced: str,
) -> None:
    """Replace the rows of `table` matching `rows_replaced` (SQL) with `frame`'s."""
    columns = connection.sql(f"SELECT * FROM {table} LIMIT 0").columns
    connection.execute(f"DELETE FROM {table} WHERE {rows_replaced}")
    rows = frame.select(c for c in columns if c in frame.columns)  # noqa: F841 (read by DuckDB)
    connection.execute(f"INSERT INTO {table} BY NAME SELECT * FROM rows")
