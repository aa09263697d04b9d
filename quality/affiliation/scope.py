"""Which companies and employees the affiliation night recomputes: those whose data changed
since the stage last ran (`warehouse.changes`), widened to every company whose anomalies or
states may differ from the ones it keeps.

The grain of each rule, which says how narrow a recomputation can be:
- one employee's rows, in one company: AFF001, AFF003 to AFF005 (his affiliations or contract
  months against the contract parameters and his exemptions), AFF006 (his months under an NTT),
  AFF009 and AFF011 (his months or affiliations against his contract ends), AFF010 (his
  affiliations' dependant blocks), AFF012 (his contributions), AFF014 and AFF015 (his
  affiliations against his exemptions and radiations), the states (his affiliations, contract
  ends, requests, exemptions, radiations and forced decisions);
- his rows and those of the other keys declared on the same employment contract (establishment,
  start, number): AFF002 counts the months of the contract under any key, AFF007 compares the
  keys of one contract, the states keep the contract's latest key;
- his rows and his company's monthly declarations: AFF002 (a monthly DSN of his establishment
  without him), AFF013 (a monthly DSN of the hiring month); and the names of the company's
  declared employees for AFF013 (a request matched by name and birth date);
- his rows in every company: AFF008 (one NIR, two establishments), the name every rule shows;
- his register's previous states: AFF002.

So a night recomputes whole the companies whose declarations changed month by month, whose
contract parameters or portal rows changed, whose dates moved or with decisions, and, for the
employees the core model marked alone (signalements: `warehouse.changes`), only those employees,
in every company (`CompanyScope.keys`): their rows, the other keys of their employment contracts
and the declared employees matching by name a request of theirs are read, their companies'
monthly declarations whole. Their companies' other results are kept: no input of theirs changed.

What widens the changed companies:
- the night date alone: a portal request past its pending days or its admitted delay (AFF013),
  or completed; an exemption starting or ending; a portal radiation, a contract end or the end
  of a portability reached;
- the register's own history: AFF002 reads the states of the nights before tonight, so the
  employees whose states changed at the stage's last night are read again;
- the stewards: decisions applied since the last night or read tonight (their forced
  affiliations and radiations feed the states and AFF015);
- the employees: a company is recomputed with every other company that declares one of its
  employees (his name, his links to an older key and AFF008 read across companies).

The rules then read the scope's companies and their sharers (`with_sharers` once more): a
company B brought in for sharing an employee with a changed company A may share another with a
company C, and AFF008 on that employee reads C's months too. One step is enough: AFF008 reads
the months of the employee it is about, whoever declares him, every other rule his company's
rows. The results of the sharers outside the scope are dropped: their rules miss their own
sharers' rows.

Windows on dates are a few days wider than needed: one company too many costs little, one
too few leaves a result that a whole recomputation would not give."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl

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
# Companies with decisions applied since the last night.
_DECISIONS = "SELECT DISTINCT siren FROM steward_decisions WHERE applied_on >= $last_night"
# Employees whose states changed at the stage's last night (AFF002 reads them from tonight on).
_REGISTER_CHANGES = """
SELECT DISTINCT employee_key FROM core.affiliation_history
WHERE night >= $last_night AND night < $night
"""
# The keys, as the rules show them, of the employees $keys (the warehouse's), and of those a
# portal request of the same name and birth date may be about (AFF013 matches by name).
_KEPT_KEYS = """
WITH marked AS (
    SELECT employee_key FROM aff_employees WHERE list_contains($keys, warehouse_key)
    UNION SELECT regexp_replace(unnest($keys), '^NTT:', '')
)
SELECT employee_key FROM marked
UNION
SELECT r.nir FROM from_portal.affiliation_requests AS r
JOIN aff_names AS n
    ON n.last_name = r.last_name AND n.birth_date = strftime(r.birth_date, '%d%m%Y')
WHERE n.employee_key IN (SELECT employee_key FROM marked)
"""
# What the rules read for the employees $keys: theirs, those of the other keys of their
# employment contracts, and the declared employees a request of theirs may match by name.
_READ_KEYS = """
WITH theirs AS (
    SELECT warehouse_key FROM aff_employees WHERE list_contains($keys, employee_key)
),
employments AS (
    SELECT siret, contract_start, contract_number FROM core.contract_months
    WHERE employee_key IN (SELECT warehouse_key FROM theirs)
    UNION
    SELECT siret, contract_start, contract_number FROM core.affiliations
    WHERE employee_key IN (SELECT warehouse_key FROM theirs)
),
sharing AS (
    SELECT employee_key FROM core.contract_months
    JOIN employments USING (siret, contract_start, contract_number)
    UNION
    SELECT employee_key FROM core.affiliations
    JOIN employments USING (siret, contract_start, contract_number)
)
SELECT unnest($keys)
UNION
SELECT k.employee_key FROM sharing JOIN aff_employees AS k ON k.warehouse_key = sharing.employee_key
UNION
SELECT n.employee_key FROM from_portal.affiliation_requests AS r
JOIN aff_names AS n
    ON n.last_name = r.last_name AND n.birth_date = strftime(r.birth_date, '%d%m%Y')
WHERE list_contains($keys, r.nir)
"""

# Who declares or holds a row about whom, under the employee's key as the rules show it. One pass
# over the contract months and affiliations, read once a night (`Sharing`): the night widens its
# companies to their sharers twice (what it recomputes, then what the rules read).
_DECLARED = """
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
"""


def affiliation_scope(
    connection: duckdb.DuckDBPyConnection,
    changed: CompanyScope,
    night: date,
    decisions_dir: Path,
    rule_settings: RuleSettings,
    register_settings: RegisterSettings,
    sharing: Sharing,
) -> CompanyScope:
    """`changed` widened to the companies whose results may differ tonight, and narrowed to
    the employees marked alone in the others (module doc)."""
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
    sirens = set(changed.whole_sirens)
    events = connection.execute(_DECISIONS, {"last_night": last_night}).fetchall()
    if night > last_night:  # a rerun of the same night: no date has moved
        events += connection.execute(_DATE_EVENTS, parameters).fetchall()
    sirens |= {siren for (siren,) in events if siren is not None}
    sirens |= _companies_of_pending_decisions(connection, decisions_dir)
    companies = with_sharers(
        sharing, replace(changed, sirens=frozenset(sirens), employees=frozenset())
    )
    alone = sorted(key for siren, key in changed.employees if siren not in companies.sirens)
    keys = _rows(connection, _KEPT_KEYS, {"keys": alone}) if alone else set()
    keys |= _rows(connection, _REGISTER_CHANGES, {"night": night, "last_night": last_night})
    return replace(companies, keys=frozenset(keys))


def read_scope(
    connection: duckdb.DuckDBPyConnection, scope: CompanyScope, sharing: Sharing
) -> CompanyScope:
    """What the rules read to recompute `scope`: its companies and their sharers, its employees
    and the keys their results depend on (module doc)."""
    companies = with_sharers(sharing, replace(scope, keys=frozenset()))
    if scope.everything or not scope.keys:
        return companies
    create_views(connection)
    return replace(
        companies, keys=frozenset(_rows(connection, _READ_KEYS, {"keys": sorted(scope.keys)}))
    )


@dataclass
class Sharing:
    """Who declares or holds a row about whom (`_DECLARED`), read from the warehouse on first
    use: a night recomputing every company never needs it."""

    connection: duckdb.DuckDBPyConnection
    _pairs: pl.DataFrame | None = field(default=None, init=False)

    def pairs(self) -> pl.DataFrame:
        if self._pairs is None:
            create_views(self.connection)
            self._pairs = self.connection.sql(_DECLARED).pl()
        return self._pairs


def with_sharers(sharing: Sharing, scope: CompanyScope) -> CompanyScope:
    """`scope` and every company holding a row about one of its companies' employees."""
    if scope.everything or not scope.sirens:
        return scope
    pairs = sharing.pairs()
    theirs = pairs.filter(pl.col("siren").is_in(sorted(scope.sirens)))["employee_key"]
    sharers = pairs.filter(pl.col("employee_key").is_in(theirs.drop_nulls().unique().to_list()))
    return replace(scope, sirens=scope.sirens | frozenset(sharers["siren"].drop_nulls()))


def _rows(
    connection: duckdb.DuckDBPyConnection, sql: str, parameters: dict[str, object]
) -> set[str]:
    create_views(connection)
    return {
        value for (value,) in connection.execute(sql, parameters).fetchall() if value is not None
    }


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
