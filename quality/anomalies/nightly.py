"""The night's work on the register: steward decisions first, then tonight's detections.

Decisions go first because the steward decided on what last night's report showed: a
resolution then holds against tonight's detection of the same detail, and reopens only if
tonight's detail differs from the one the steward saw.

The caller owns the connection: run these inside one transaction, under the warehouse writer's
lock, so that a failure leaves the register as it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from quality.anomalies.decisions import DecisionsSummary, apply_pending_decisions
from quality.anomalies.detection import DetectionContext, Detector, RuleSettings, detect_all
from quality.anomalies.lifecycle import (
    NightSummary,
    check_night_order,
    update_register,
)
from warehouse.changes import EVERY_COMPANY, CompanyScope


@dataclass(frozen=True)
class RegisterRefresh:
    decisions: DecisionsSummary
    night: NightSummary


def refresh_register(
    connection: duckdb.DuckDBPyConnection,
    detections: pl.DataFrame,
    night: date,
    decisions_dir: Path,
    scope: CompanyScope = EVERY_COMPANY,
) -> RegisterRefresh:
    """Apply pending decisions then tonight's `detections` (`model.IDENTIFIED_SCHEMA`) of the
    companies in `scope`."""
    check_night_order(connection, night)
    decisions = apply_pending_decisions(connection, decisions_dir, night)
    return RegisterRefresh(
        decisions=decisions, night=update_register(connection, detections, night, scope)
    )


def run_anomaly_night(
    connection: duckdb.DuckDBPyConnection,
    night: date,
    decisions_dir: Path,
    detectors: Mapping[str, Detector],
    settings: RuleSettings | None = None,
    scope: CompanyScope = EVERY_COMPANY,
) -> RegisterRefresh:
    """Detect with `detectors` (the night's: `quality.affiliation.rules.AFFILIATION_RULES`)
    and refresh the register with the detections of the companies and employees in `scope`;
    the register keeps the others' anomalies as they were. The detectors may read more than
    `scope` (the affiliation's `night_sources` holds the companies sharing an employee with
    it, the keys its employees' results depend on): what they find for those is left out,
    since it misses rows of theirs.

    The steward report is then `quality.report.write_steward_report(connection, night, ...)`.
    """
    check_night_order(connection, night)  # before the detection work, not after
    context = DetectionContext(connection, night, settings or RuleSettings())
    detections = detect_all(context, detectors)
    return refresh_register(connection, scope.keep(detections), night, decisions_dir, scope)
