"""The affiliation part of the nightly job, as one call for the Dagster wiring."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from quality.affiliation.inputs import load_oc_inputs
from quality.affiliation.states import RegisterSettings, refresh_states
from quality.anomalies.detection import RuleSettings
from quality.anomalies.nightly import RegisterRefresh, run_anomaly_night


@dataclass(frozen=True)
class AffiliationNight:
    states: int  # employees × contracts in the register
    oc_input_rejects: int  # reference or portal lines that could not be read
    anomalies: RegisterRefresh


def run_affiliation_night(
    connection: duckdb.DuckDBPyConnection,
    night: date,
    landing_dir: Path,
    decisions_dir: Path,
    rule_settings: RuleSettings | None = None,
    register_settings: RegisterSettings | None = None,
) -> AffiliationNight:
    """Load the contract parameters and portal exports of `landing_dir`, detect the anomalies
    and refresh their register (steward decisions first), then recompute the affiliation
    states (which read the forced affiliations and radiations just applied).

    The caller owns the connection and the transaction, as for `run_anomaly_night`."""
    inputs = load_oc_inputs(connection, landing_dir, night)
    anomalies = run_anomaly_night(connection, night, decisions_dir, rule_settings)
    states = refresh_states(connection, night, register_settings)
    return AffiliationNight(
        states=states.height, oc_input_rejects=len(inputs.rejects), anomalies=anomalies
    )
