"""What one night did, for the operator: counted from the registry and the core model."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb


@dataclass(frozen=True)
class NightSummary:
    files_loaded: int
    files_with_diagnostics: int
    files_quarantined: int
    files_registered: int
    duplicates: int
    entries_ignored: int  # links, special files, uploads in progress, vanished or unreadable
    files_waiting: int  # still `received`: only after a failed run
    declarations_loaded: int
    declarations_in_force: int
    employees: int


def night_summary(connection: duckdb.DuckDBPyConnection, since: datetime) -> NightSummary:
    """Files processed and duplicate deliveries seen since `since`; totals of the warehouse."""
    statuses = dict(
        connection.execute(
            "SELECT status, count(*) FROM registry.files WHERE processed_at >= ? GROUP BY status",
            [since],
        ).fetchall()
    )

    def scalar(query: str, parameters: list[object] | None = None) -> int:
        row = connection.execute(query, parameters or []).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    return NightSummary(
        files_loaded=statuses.get("loaded", 0),
        files_with_diagnostics=statuses.get("loaded_with_diagnostics", 0),
        files_quarantined=statuses.get("quarantined", 0),
        files_registered=statuses.get("registered", 0),
        duplicates=scalar(
            "SELECT count(*) FROM registry.deliveries WHERE is_duplicate AND seen_at >= ?", [since]
        ),
        entries_ignored=statuses.get("ignored", 0)
        + scalar(
            "SELECT count(*) FROM registry.landing_status WHERE status = 'ignored' "
            "AND file_id IS NULL AND seen_at >= ?",
            [since],
        ),
        files_waiting=scalar("SELECT count(*) FROM registry.files WHERE status = 'received'"),
        declarations_loaded=scalar(
            "SELECT coalesce(sum(declarations), 0) FROM registry.files "
            "WHERE processed_at >= ? AND status LIKE 'loaded%' AND kind = 'dsn'",
            [since],
        ),
        declarations_in_force=scalar("SELECT count(*) FROM core.declarations_in_force"),
        employees=scalar("SELECT count(*) FROM core.employees"),
    )
