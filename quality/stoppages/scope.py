"""Which companies the stoppage night recomputes, and why recomputing by company is exact.

A company's episodes, employee events, signals and claims are computed from its own
declarations (stoppages, suspensions, contract ends, gross pay, categories, the months its
establishments declared), with these exceptions:

- an episode and an event are keyed on the employee's employment contract, not on the
  company: a contract transferred with its stoppage to another company is one episode, under
  the company that declared it last. With the changed companies the night therefore
  recomputes every company declaring a stoppage, a suspension or a contract end of one of
  their employees (under his current key), and reads their own sharers too: an episode of
  theirs may span a company further on. Only the scope's results are kept;
- the signals compare an episode with the months its establishment declared (the monthly
  declarations, read whole: a few rows per company and month).

So the results are per employee: an episode, an event, a claim or a signal reads one
employee's rows, in every company, and his establishments' months. The employees the core
model marked alone (signalements: `warehouse.changes`) are recomputed in every company under
their current key, their rows read under any key of theirs; their companies' other results
are kept. Besides:
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
) -> tuple[CompanyScope, CompanyScope]:
    """What the night recomputes and what it reads for it: every company if the observation end
    moved since the last night stored; else `changed`'s companies widened to those sharing an
    employee with them, and the employees marked alone in the others (their current keys,
    recomputed in every company); read: their sharers too, and those employees' rows under any
    of their keys (module doc)."""
    if changed.everything:
        return changed, changed
    last = connection.execute(
        "SELECT as_of FROM stoppage.nights ORDER BY night DESC LIMIT 1"
    ).fetchall()
    if last != [(as_of,)]:
        everything = replace(changed, everything=True)
        return everything, everything
    declared, current = _declared(connection)
    companies = _with_sharers(declared, changed.whole_sirens)
    alone = {key for siren, key in changed.employees if siren not in companies}
    keys = frozenset(current.get(key, key) for key in alone)
    kept = replace(changed, sirens=companies, employees=frozenset(), keys=keys)
    under_any_key = keys | {previous for previous, key in current.items() if key in keys}
    return kept, replace(kept, sirens=_with_sharers(declared, companies), keys=under_any_key)


def with_sharers(connection: duckdb.DuckDBPyConnection, scope: CompanyScope) -> CompanyScope:
    """`scope` and every company declaring, in a stoppage, suspension or contract end, an
    employee one of its companies declares there."""
    if scope.everything or not scope.sirens:
        return scope
    return replace(scope, sirens=_with_sharers(_declared(connection)[0], scope.sirens))


def _declared(connection: duckdb.DuckDBPyConnection) -> tuple[pl.DataFrame, dict[str, str]]:
    """Who declares whom (`_DECLARED`) under his current key, and the current keys."""
    current = current_keys(
        connection.sql("SELECT previous_key, employee_key FROM core.employee_links").pl()
    )
    declared = connection.sql(_DECLARED).pl().with_columns(pl.col("employee_key").replace(current))
    return declared, current


def _with_sharers(declared: pl.DataFrame, sirens: frozenset[str]) -> frozenset[str]:
    """`sirens` and every company declaring, in a stoppage, suspension or contract end, an
    employee one of them declares there."""
    if not sirens:
        return sirens
    theirs = declared.filter(pl.col("siren").is_in(sorted(sirens)))["employee_key"]
    sharing = declared.filter(pl.col("employee_key").is_in(theirs.unique().to_list()))
    return sirens | frozenset(sharing["siren"].drop_nulls())
