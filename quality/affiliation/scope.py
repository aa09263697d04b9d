"""Which companies the affiliation night recomputes: those whose data changed since the stage
last ran (`warehouse.changes`), widened to every company whose anomalies or states may differ
from the ones it keeps.

- the night date alone: a portal request past its pending days or its admitted delay (AFF013),
  or completed; an exemption starting or ending; a portal radiation, a contract end or the end
  of a portability reached;
- the register's own history: AFF002 reads the states of the nights before tonight, so the
  companies whose states changed at the stage's last night are read again;
- the stewards: decisions applied since the last night or read tonight (their forced
  affiliations and radiations feed the states and AFF015);
- the employees: a company is recomputed with every other company that declares one of its
  employees (his name, his links to an older key and AFF008 read across companies).

The rules then read the scope's companies and their sharers (`with_sharers` once more): a
company B brought in for sharing an employee with a changed company A may share another with a
company C, and AFF008 on that employee reads C's months too. One step is enough: every rule
but AFF008 reads one company's rows (its declarations, its establishments, its portal
requests, radiations and exemptions) with the employees' names and keys, which are read whole;
AFF008 reads the months of the employee it is about, whoever declares him. The results of the
sharers outside the scope are dropped: their rules miss their own sharers' rows.

Windows on dates are a few days wider than needed: one company too many costs little, one
too few leaves a result that a whole recomputation would not give."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import duckdb

from quality.affiliation.sources import create_views
from quality.affiliation.states import RegisterSettings
from quality.anomalies.decisions import pending_anomaly_ids
from quality.anomalies.detection import RuleSettings
from warehouse.changes import CompanyScope

_MARGIN = timedelta(days=2)

# Companies with a date event in [$since, $night]; $requests_from and $ends_from, $ends_to:
# the windows shifted by the pending days and the portability months.
_DATE_EVENTS = """
SELECT siren FROM from_portal.affiliation_requests
WHERE requested_on BETWEEN $requests_from AND $night
UNION
SELECT r.siren FROM from_portal.affiliation_requests AS r
JOIN from_portal.affiliation_completions AS c USING (request_id)
WHERE c.completed_on BETWEEN $since AND $night
UNION
SELECT siren FROM from_portal.exemptions
WHERE start_date BETWEEN $since AND $night OR end_date BETWEEN $since AND $night
UNION
SELECT siren FROM from_portal.radiations WHERE radiation_date BETWEEN $since AND $night
UNION
SELECT d.siren FROM core.contract_ends AS e
JOIN core.declaration_versions AS d USING (file_id, declaration_id)
WHERE e.end_date BETWEEN $since AND $night OR e.end_date BETWEEN $ends_from AND $ends_to
"""
# Companies whose states changed at the stage's last night (AFF002 reads them from tonight on)
# or with decisions applied since.
_REGISTER_EVENTS = """
SELECT siren FROM core.affiliation_history WHERE night >= $last_night AND night < $night
UNION
SELECT siren FROM steward_decisions WHERE applied_on >= $last_night
"""

# Every company holding a row about an employee of the companies $sirens (theirs included). One
# pass over the contract months and affiliations costs 0.1 s of CPU at 20,000 employees; reading
# the given companies' employees first, then who else declares them, cost twice that.
_SHARING_EMPLOYEES = """
WITH declared AS (
    SELECT d.siren, k.employee_key
    FROM core.contract_months AS c
    JOIN core.declaration_versions AS d USING (file_id, declaration_id)
    JOIN aff_employees AS k ON k.warehouse_key = c.employee_key
    UNION
    SELECT d.siren, k.employee_key
    FROM core.affiliations AS a
    JOIN core.declaration_versions AS d USING (file_id, declaration_id)
    JOIN aff_employees AS k ON k.warehouse_key = a.employee_key
    UNION SELECT siren, nir FROM from_portal.affiliation_requests
    UNION SELECT siren, nir FROM from_portal.exemptions
    UNION SELECT siren, nir FROM from_portal.radiations
    UNION SELECT siren, employee_key FROM core.affiliation_states
    UNION SELECT siren, employee_key FROM anomalies
),
theirs AS (
    SELECT DISTINCT employee_key FROM declared
    WHERE list_contains($sirens, siren) AND employee_key IS NOT NULL
)
SELECT DISTINCT siren FROM declared WHERE employee_key IN (SELECT employee_key FROM theirs)
UNION SELECT unnest($sirens)
"""


def affiliation_scope(
    connection: duckdb.DuckDBPyConnection,
    changed: CompanyScope,
    night: date,
    decisions_dir: Path,
    rule_settings: RuleSettings,
    register_settings: RegisterSettings,
) -> CompanyScope:
    """`changed` widened to the companies whose results may differ tonight (module doc)."""
    if changed.everything or changed.last_night is None:
        return changed
    last_night = changed.last_night
    waits = max(register_settings.pending_days, rule_settings.portal_request_delay_days)
    months = register_settings.portability_months
    parameters = {
        "since": last_night - _MARGIN,
        "night": night,
        "requests_from": last_night - timedelta(days=waits) - _MARGIN,
        # a month is 28 to 31 days: the portability end is end_date + `months` months
        "ends_from": last_night - timedelta(days=31 * months) - _MARGIN,
        "ends_to": night - timedelta(days=28 * months) + _MARGIN,
    }
    sirens = set(changed.sirens)
    events = connection.execute(
        _REGISTER_EVENTS, {"night": night, "last_night": last_night}
    ).fetchall()
    if night > last_night:  # a rerun of the same night: no date has moved
        events += connection.execute(_DATE_EVENTS, parameters).fetchall()
    sirens |= {siren for (siren,) in events if siren is not None}
    sirens |= _companies_of_pending_decisions(connection, decisions_dir)
    return with_sharers(connection, replace(changed, sirens=frozenset(sirens)))


def with_sharers(connection: duckdb.DuckDBPyConnection, scope: CompanyScope) -> CompanyScope:
    """`scope` and every company holding a row about one of its companies' employees."""
    if scope.everything or not scope.sirens:
        return scope
    create_views(connection)
    rows = connection.execute(_SHARING_EMPLOYEES, {"sirens": sorted(scope.sirens)}).fetchall()
    return replace(scope, sirens=frozenset(s for (s,) in rows if s is not None))


def _companies_of_pending_decisions(
    connection: duckdb.DuckDBPyConnection, decisions_dir: Path
) -> set[str]:
    anomaly_ids = sorted(pending_anomaly_ids(connection, decisions_dir))
    if not anomaly_ids:
        return set()
    rows = connection.execute(
        "SELECT DISTINCT siren FROM anomalies WHERE list_contains(?, anomaly_id)", [anomaly_ids]
    ).fetchall()
    return {siren for (siren,) in rows if siren is not None}
