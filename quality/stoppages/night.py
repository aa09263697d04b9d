"""The stoppage part of the nightly job, as one call for the Dagster wiring."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb

from quality.stoppages.pipeline import build_from_warehouse
from quality.stoppages.scope import stoppage_scope, warehouse_observation_end
from quality.stoppages.store import StoppageNight, store_results
from warehouse.changes import EVERY_COMPANY, CompanyScope


@dataclass(frozen=True)
class StoppageNightRun:
    stored: StoppageNight
    as_of: date | None  # the observation end the results are stated for
    companies: int | None  # how many companies were recomputed whole; None: every one
    employees: int  # how many employees were recomputed in every company besides


def run_stoppage_night(
    connection: duckdb.DuckDBPyConnection, night: date, changed: CompanyScope = EVERY_COMPANY
) -> StoppageNightRun:
    """Recompute the stoppage results of the companies `changed` since the stage last ran and
    of those whose results may differ with theirs (`quality.stoppages.scope`); the others'
    are kept. The caller owns the connection and the transaction."""
    as_of = warehouse_observation_end(connection)
    scope, read = stoppage_scope(connection, changed, as_of)
    results = build_from_warehouse(connection, scope, as_of, read)
    stored = store_results(connection, results, night, scope)
    return StoppageNightRun(
        stored=stored, as_of=as_of, companies=scope.companies, employees=len(scope.keys)
    )
