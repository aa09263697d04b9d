"""What the warehouse remembers of each publication: its gates, its row counts, whether the
portal got it and, when not, why, in `publish.publications` and `publish.gate_results` for the
operators (the steward report does not read them); the row-count gates read the counts of the
last publication that reached the portal.

The tables come from migration 0030: the writers here take a writer's connection from
`warehouse.connections.connect`, which applies it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import duckdb

from serving.gates import CompanyRefusal, GateResult
from serving.snapshot import Candidate
from warehouse.connections import has_table

PUBLISHED = "publiée"
REFUSED = "refusée"


def _has_history(connection: duckdb.DuckDBPyConnection) -> bool:
    # A read-only connection does not migrate: a warehouse last written before migration 0030
    # has no history yet.
    return has_table(connection, "publish", "publications")


def previous_counts(connection: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row counts of the latest publication the portal received (empty before the first)."""
    if not _has_history(connection):
        return {}
    rows = connection.execute(
        """
        SELECT c.table_name, c.row_count FROM publish.table_counts AS c
        WHERE c.night_id = (
            SELECT night_id FROM publish.publications WHERE status = ?
            ORDER BY recorded_at DESC LIMIT 1
        )
        """,
        [PUBLISHED],
    ).fetchall()
    return {name: int(count) for name, count in rows}


def refusal_reason(results: Iterable[GateResult]) -> str | None:
    """French, recorded as the refusal's reason and shown to the operator: the blocking gates
    that failed, or None."""
    failed = [r.failure for r in results if r.blocking and not r.passed]
    if not failed:
        return None
    return (
        "Publication refusée, le portail garde la publication précédente. "
        f"Contrôles en échec : {'; '.join(failed)}"
    )


def record_gates(
    connection: duckdb.DuckDBPyConnection, candidate: Candidate, results: list[GateResult]
) -> None:
    connection.execute("DELETE FROM publish.gate_results WHERE night_id = ?", [candidate.night_id])
    if results:
        connection.executemany(
            "INSERT INTO publish.gate_results VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    candidate.night_id,
                    r.table,
                    r.expectation,
                    r.column,
                    r.blocking,
                    r.passed,
                    r.unexpected_count,
                    r.observed,
                ]
                for r in results
            ],
        )


def record_publication(
    connection: duckdb.DuckDBPyConnection,
    candidate: Candidate,
    serving_path: str,
    reason: str | None,
) -> None:
    """Record tonight's outcome: published (with its row counts), or refused with the reason."""
    connection.execute("DELETE FROM publish.publications WHERE night_id = ?", [candidate.night_id])
    connection.execute(
        "INSERT INTO publish.publications VALUES (?, ?, ?, ?, ?, ?)",
        [
            candidate.night_id,
            candidate.night,
            REFUSED if reason else PUBLISHED,
            reason,
            serving_path,
            datetime.now(),
        ],
    )
    connection.execute("DELETE FROM publish.table_counts WHERE night_id = ?", [candidate.night_id])
    connection.executemany(
        "INSERT INTO publish.table_counts VALUES (?, ?, ?)",
        [[candidate.night_id, table, count] for table, count in candidate.rows.items()],
    )


def record_company_refusals(
    connection: duckdb.DuckDBPyConnection, candidate: Candidate, refusals: list[CompanyRefusal]
) -> None:
    """Which companies tonight held back on their last good night, and for which gates."""
    connection.execute(
        "DELETE FROM publish.company_refusals WHERE night_id = ?", [candidate.night_id]
    )
    if refusals:
        connection.executemany(
            "INSERT INTO publish.company_refusals VALUES (?, ?, ?, ?, ?)",
            [
                [candidate.night_id, r.siren, "; ".join(r.gates), r.stale_since, r.data_night_id]
                for r in refusals
            ],
        )


def latest_company_refusals(connection: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(SIREN, failed gates in French) of the companies the latest recorded night held back."""
    if not has_table(connection, "publish", "company_refusals"):
        return []
    return connection.execute(
        """
        SELECT siren, gates FROM publish.company_refusals
        WHERE night_id = (
            SELECT night_id FROM publish.publications ORDER BY recorded_at DESC LIMIT 1)
        ORDER BY siren
        """
    ).fetchall()
