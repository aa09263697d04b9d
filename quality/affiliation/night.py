"""The affiliation part of the nightly job, as one call for the Dagster wiring."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from quality.affiliation.rules import AFFILIATION_RULES
from quality.affiliation.states import RegisterSettings
from quality.affiliation.store import refresh_states
from quality.anomalies.detection import RuleSettings
from quality.anomalies.nightly import RegisterRefresh, run_anomaly_night


@dataclass(frozen=True)
class AffiliationNight:
    states: int  # employees × contracts in the register
    anomalies: RegisterRefresh


def run_affiliation_night(
    connection: duckdb.DuckDBPyConnection,
    night: date,
    decisions_dir: Path,
    rule_settings: RuleSettings | None = None,
    register_settings: RegisterSettings | None = None,
) -> AffiliationNight:
    """Detect the anomalies and refresh their register (steward decisions first), then
    recompute the affiliation states (which read the forced affiliations and radiations just
    applied). The contract parameters and portal exports are tables loaded at ingestion
    (`warehouse.reference`)."""
    # The caller owns the connection and the transaction, as for `run_anomaly_night`.
    anomalies = run_anomaly_night(
        connection, night, decisions_dir, AFFILIATION_RULES, rule_settings
    )
    states = refresh_states(connection, night, register_settings)
    return AffiliationNight(states=states.height, anomalies=anomalies)
