"""The affiliation part of the nightly job, as one call for the Dagster wiring."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from quality.affiliation.rules import AFFILIATION_RULES
from quality.affiliation.scope import Sharing, affiliation_scope, read_scope
from quality.affiliation.sources import night_sources
from quality.affiliation.states import RegisterSettings
from quality.affiliation.store import refresh_states
from quality.anomalies.detection import RuleSettings
from quality.anomalies.nightly import RegisterRefresh, run_anomaly_night
from warehouse.changes import EVERY_COMPANY, CompanyScope


@dataclass(frozen=True)
class AffiliationNight:
    states: int  # employees × contracts in the register
    anomalies: RegisterRefresh
    companies: int | None  # how many companies were recomputed whole; None: every one
    employees: int  # how many employees were recomputed in every company besides


def run_affiliation_night(
    connection: duckdb.DuckDBPyConnection,
    night: date,
    decisions_dir: Path,
    rule_settings: RuleSettings | None = None,
    register_settings: RegisterSettings | None = None,
    changed: CompanyScope = EVERY_COMPANY,
) -> AffiliationNight:
    """Detect the anomalies and refresh their register (steward decisions first), then
    recompute the affiliation states (which read the forced affiliations and radiations just
    applied), for the companies `changed` since the stage last ran and those whose results
    may differ tonight, or only some employees of theirs (`quality.affiliation.scope`); the
    others' rows are kept. The contract
    parameters and portal exports are tables loaded at ingestion (`warehouse.reference`)."""
    # The caller owns the connection and the transaction, as for `run_anomaly_night`.
    rule_settings = rule_settings or RuleSettings()
    register_settings = register_settings or RegisterSettings()
    sharing = Sharing(connection)
    scope = affiliation_scope(
        connection, changed, night, decisions_dir, rule_settings, register_settings, sharing
    )
    with night_sources(connection, read_scope(connection, scope, sharing)):
        anomalies = run_anomaly_night(
            connection, night, decisions_dir, AFFILIATION_RULES, rule_settings, scope
        )
        refresh_states(connection, night, register_settings, scope)
    [(states,)] = connection.execute("SELECT count(*) FROM core.affiliation_states").fetchall()
    return AffiliationNight(
        states=int(states),
        anomalies=anomalies,
        companies=scope.companies,
        employees=len(scope.keys),
    )
