"""Which companies the stoppage night recomputes, and why recomputing by company is exact.

A company's episodes, employee events, signals and claims are computed from its own
declarations (stoppages, suspensions, contract ends, gross pay, categories, the months its
establishments declared), with three exceptions:

- an episode and an event are keyed on the employee's employment contract, not on the
  company: a contract transferred with its stoppage to another company is one episode, under
  the company that declared it last. With the changed companies the night therefore
  recomputes every company declaring a stoppage, a suspension or a contract end of one of
  their employees (under his current key), and reads their own sharers too: an episode of
  theirs may span a company further on. Only the scope's results are kept;
- the observation end (`as_of`, the end of the latest month of any monthly DSN) sets every
  date threshold of the signals and claims: when it moves, every company is recomputed;
- the provident terms come from the contract parameters: the reference load marks the
  companies whose rows changed, a global change every company (`warehouse.changes`).

No rule reads the night's date (a signal only records the nights it was seen): a night where
the date alone moves recomputes no company and dates the signals kept as seen tonight.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import duckdb
import polars as pl

from quality.stoppages.inputs import current_keys
from warehouse.changes import CompanyScope

# Who declares which employee in the rows an episode or an event is made of.
_DECLARED = """
SELECT d.siren, x.employee_key FROM (
    SELECT file_id, declaration_id, employee_key FROM core.stoppages
    UNION ALL SELECT file_id, declaration_id, employee_key FROM core.other_suspensions
    UNION ALL SELECT file_id, declaration_id, employee_key FROM core.contract_ends
) AS x
JOIN core.declarations_in_force AS d USING (file_id, declaration_id)
"""


def warehouse_observation_end(connection: duckdb.DuckDBPyConnection) -> date | None:
    """The end of the latest month with a monthly DSN, every company's."""
    [(end,)] = connection.execute(
        "SELECT last_day(max(month)) FROM core.declarations_in_force WHERE nature = '01'"
    ).fetchall()
    return end


def stoppage_scope(
    connection: duckdb.DuckDBPyConnection, changed: CompanyScope, as_of: date | None
) -> CompanyScope:
    """`changed`, every company if the observation end moved since the last night stored,
    else widened to the companies sharing an employee with it (module doc)."""
    if changed.everything:
        return changed
    last = connection.execute(
        "SELECT as_of FROM stoppage.nights ORDER BY night DESC LIMIT 1"
    ).fetchall()
    if last != [(as_of,)]:
        return replace(changed, everything=True)
    return with_sharers(connection, changed)


def with_sharers(connection: duckdb.DuckDBPyConnection, scope: CompanyScope) -> CompanyScope:
    """`scope` and every company declaring, in a stoppage, suspension or contract end, an
    employee one of its companies declares there."""
    if scope.everything or not scope.sirens:
        return scope
    current = current_keys(
        connection.sql("SELECT previous_key, employee_key FROM core.employee_links").pl()
    )
    declared = connection.sql(_DECLARED).pl().with_columns(pl.col("employee_key").replace(current))
    theirs = declared.filter(pl.col("siren").is_in(sorted(scope.sirens)))["employee_key"]
    sharing = declared.filter(pl.col("employee_key").is_in(theirs.unique().to_list()))
    return replace(scope, sirens=scope.sirens | frozenset(sharing["siren"].drop_nulls()))
