"""The night's work on the register: steward decisions first, then tonight's detections.

Decisions go first because the steward decided on what last night's report showed: a
resolution then holds against tonight's detection of the same detail, and reopens only if
tonight's detail differs from the one the steward saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from quality.anomalies.decisions import DecisionsSummary, apply_pending_decisions
from quality.anomalies.lifecycle import (
    NightSummary,
    check_night_order,
    ensure_register_schema,
    update_register,
)


@dataclass(frozen=True)
class RegisterRefresh:
    decisions: DecisionsSummary
    night: NightSummary


def refresh_register(
    connection: duckdb.DuckDBPyConnection,
    detections: pl.DataFrame,
    night: date,
    decisions_dir: Path,
) -> RegisterRefresh:
    """Apply pending decisions then tonight's `detections` (`model.IDENTIFIED_SCHEMA`)."""
    ensure_register_schema(connection)
    check_night_order(connection, night)
    decisions = apply_pending_decisions(connection, decisions_dir, night)
    return RegisterRefresh(
        decisions=decisions, night=update_register(connection, detections, night)
    )
