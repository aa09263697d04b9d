"""The nightly update of the anomaly register from the night's detections.

Each anomaly moves through:

    (new) ──► open ──steward──► acknowledged
               │                    │
               ├──── not detected ──┴──► resolved_by_data ──detected again──► open
               └──── steward ───────────► resolved_by_steward ──detected with another
                                                                 detail──► open

A steward's resolution holds while the anomaly is detected with the detail the steward saw
(its fingerprint); it reopens when the detail changes. Every change is an `anomaly_events` row.

The caller owns the connection, its transaction and the warehouse lock. Running the same night
twice with the same detections changes nothing; a night older than the latest one is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import polars as pl

from quality.anomalies.model import IDENTIFIED_SCHEMA, AnomalyStatus
from warehouse.changes import EVERY_COMPANY, CompanyScope, register_scope

# Data columns refreshed from tonight's detection (the identity columns never change).
_DATA_COLUMNS = (
    "severity",
    "employee_name",
    "period",
    "detail",
    "detail_fingerprint",
    "file_id",
    "declaration_id",
)


@dataclass(frozen=True)
class NightSummary:
    night: date
    detected: int
    new: int
    reopened: int
    resolved_by_data: int


def latest_night(connection: duckdb.DuckDBPyConnection) -> date | None:
    [(night,)] = connection.execute("SELECT max(night) FROM anomaly_nights").fetchall()
    return night


def check_night_order(connection: duckdb.DuckDBPyConnection, night: date) -> None:
    """Refuse a night older than the latest one applied (rerunning the latest one is fine)."""
    previous = latest_night(connection)
    if previous is not None and night < previous:
        raise ValueError(
            f"Nuit du {night:%d/%m/%Y} antérieure à la dernière mise à jour du registre "
            f"({previous:%d/%m/%Y}) : refusée"
        )


def update_register(
    connection: duckdb.DuckDBPyConnection,
    detections: pl.DataFrame,
    night: date,
    scope: CompanyScope = EVERY_COMPANY,
) -> NightSummary:
    """Bring the register up to date with tonight's `detections` (`IDENTIFIED_SCHEMA`) of the
    companies in `scope`. The other companies' data did not change: what the register's previous
    night detected for them is detected again (seen tonight, as a whole detection would say),
    never resolved for not being looked at."""
    check_night_order(connection, night)
    previous = latest_night(connection)
    tonight = detections.select(
        [pl.col(name).cast(dtype) for name, dtype in IDENTIFIED_SCHEMA.items()]
    )
    if tonight["anomaly_id"].is_duplicated().any():
        raise ValueError("Détections en double pour un même identifiant d'anomalie")
    register_scope(connection, scope)
    connection.register("tonight_detections", tonight.to_arrow())
    try:
        _classify(connection, scope)
        counts = _count_changes(connection)
        _record_events(connection, night)
        _apply_changes(connection, night)
        detected = tonight.height + _still_detected(connection, scope, previous, night)
        connection.execute(
            "INSERT OR REPLACE INTO anomaly_nights (night, detected) VALUES (?, ?)",
            [night, detected],
        )
    finally:
        connection.execute("DROP TABLE IF EXISTS temp.night_changes")
        connection.unregister("tonight_detections")
    return NightSummary(night=night, detected=detected, **counts)


def _classify(connection: duckdb.DuckDBPyConnection, scope: CompanyScope) -> None:
    """One row per anomaly detected tonight or still unresolved in `scope`, with its next
    status."""
    open_, ack = AnomalyStatus.OPEN.value, AnomalyStatus.ACKNOWLEDGED.value
    by_data = AnomalyStatus.RESOLVED_BY_DATA.value
    by_steward = AnomalyStatus.RESOLVED_BY_STEWARD.value
    connection.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE night_changes AS
        SELECT
            coalesce(t.anomaly_id, a.anomaly_id) AS anomaly_id,
            t.anomaly_id IS NOT NULL AS detected,
            a.status AS from_status,
            CASE
                WHEN a.anomaly_id IS NULL THEN '{open_}'
                WHEN t.anomaly_id IS NULL AND a.status IN ('{open_}', '{ack}') THEN '{by_data}'
                WHEN t.anomaly_id IS NULL THEN a.status
                WHEN a.status = '{by_data}' THEN '{open_}'
                WHEN a.status = '{by_steward}'
                     AND t.detail_fingerprint <> a.resolved_fingerprint THEN '{open_}'
                ELSE a.status
            END AS to_status,
            t.detail_fingerprint AS new_fingerprint,
            a.detail_fingerprint AS old_fingerprint
        FROM tonight_detections AS t
        FULL OUTER JOIN anomalies AS a USING (anomaly_id)
        WHERE t.anomaly_id IS NOT NULL
            OR a.status IN ('{open_}', '{ack}') AND {scope.sql("a.siren", "a.employee_key")}
        """
    )


def _count_changes(connection: duckdb.DuckDBPyConnection) -> dict[str, int]:
    row = connection.execute(
        """
        SELECT
            count(*) FILTER (WHERE from_status IS NULL),
            count(*) FILTER (WHERE from_status IS NOT NULL AND from_status <> to_status
                             AND to_status = 'open'),
            count(*) FILTER (WHERE to_status = 'resolved_by_data'
                             AND from_status IS DISTINCT FROM to_status)
        FROM night_changes
        """
    ).fetchall()[0]
    return {"new": row[0], "reopened": row[1], "resolved_by_data": row[2]}


def _record_events(connection: duckdb.DuckDBPyConnection, night: date) -> None:
    connection.execute(
        """
        INSERT INTO anomaly_events
            (anomaly_id, night, event, from_status, to_status, detail_fingerprint)
        SELECT
            anomaly_id,
            ?,
            CASE
                WHEN from_status IS NULL THEN 'detected'
                WHEN to_status = 'open' THEN 'reopened'
                ELSE to_status
            END,
            from_status,
            to_status,
            coalesce(new_fingerprint, old_fingerprint)
        FROM night_changes
        WHERE from_status IS DISTINCT FROM to_status
        UNION ALL
        SELECT anomaly_id, ?, 'detail_changed', from_status, to_status, new_fingerprint
        FROM night_changes
        WHERE from_status = to_status AND detected AND new_fingerprint <> old_fingerprint
        ORDER BY 1
        """,
        [night, night],
    )


def _still_detected(
    connection: duckdb.DuckDBPyConnection,
    scope: CompanyScope,
    previous: date | None,
    night: date,
) -> int:
    """Date tonight what the previous night detected out of `scope` (its `last_seen`), as a
    whole detection would have; returns how many."""
    if scope.everything or previous is None:
        return 0
    # resolved by data on a rerun of the previous night: seen that night, no longer detected
    in_scope = scope.sql("siren", "employee_key")
    out_of_scope = f"""
        status <> '{AnomalyStatus.RESOLVED_BY_DATA.value}' AND NOT ({in_scope})
        AND anomaly_id NOT IN (SELECT anomaly_id FROM tonight_detections)
    """
    connection.execute(
        f"UPDATE anomalies SET last_seen = ? WHERE last_seen = ? AND {out_of_scope}",
        [night, previous],
    )
    [(count,)] = connection.execute(
        f"SELECT count(*) FROM anomalies WHERE last_seen = ? AND {out_of_scope}", [night]
    ).fetchall()
    return int(count)


def _apply_changes(connection: duckdb.DuckDBPyConnection, night: date) -> None:
    columns = ", ".join(IDENTIFIED_SCHEMA)
    connection.execute(
        f"""
        INSERT INTO anomalies ({columns}, status, status_since, first_seen, last_seen)
        SELECT {columns}, 'open', ?, ?, ?
        FROM tonight_detections
        WHERE anomaly_id IN (SELECT anomaly_id FROM night_changes WHERE from_status IS NULL)
        """,
        [night, night, night],
    )
    refreshed = ", ".join(f"{c} = t.{c}" for c in _DATA_COLUMNS)
    connection.execute(
        f"""
        UPDATE anomalies AS a
        SET {refreshed}, last_seen = ?
        FROM tonight_detections AS t, night_changes AS c
        WHERE a.anomaly_id = t.anomaly_id AND c.anomaly_id = t.anomaly_id
          AND c.from_status IS NOT NULL
        """,
        [night],
    )
    connection.execute(
        """
        UPDATE anomalies AS a
        SET status = c.to_status,
            status_since = ?,
            resolved_fingerprint = CASE WHEN c.to_status = 'open' THEN NULL
                                        ELSE a.resolved_fingerprint END
        FROM night_changes AS c
        WHERE a.anomaly_id = c.anomaly_id AND c.from_status IS NOT NULL
          AND c.from_status <> c.to_status
        """,
        [night],
    )
