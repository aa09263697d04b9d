"""The night's default date, one rule for every command and for Dagster.

A night is dated by the warehouse's content, never by the clock: the same files give the same
anomalies, signals and snapshot whatever day they are run (or re-run).
"""

from __future__ import annotations

from datetime import date

import duckdb


def night_of_warehouse(connection: duckdb.DuckDBPyConnection) -> date:
    """The 15th of the month after the latest declared month (the later DSN due date, code de la
    sécurité sociale R.243-6): by then that month's DSNs are all due. Every version received
    counts, not only those in force, so the night never goes back when a file is cancelled."""
    # fetchall: DuckDB 2 refuses further work on a connection with a half-read result.
    [(latest,)] = connection.execute("SELECT max(month) FROM core.declaration_versions").fetchall()
    if latest is None:
        raise ValueError(
            "Aucune déclaration dans l'entrepôt : donner la date de la nuit (--night)."
        )
    year, month = (latest.year + 1, 1) if latest.month == 12 else (latest.year, latest.month + 1)
    return date(year, month, 15)
