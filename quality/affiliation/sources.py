"""What the affiliation rules and the register read from the warehouse, as temporary views.

The views resolve every employee to his current key first: an NTT later replaced by a NIR, or
a NIR changed with an S21.G00.31 block, is one employee (`core.employee_links`), known under his
latest key. `employee_key` in what the rules return is that key as the portal shows it: the
NIR, else the NTT (without the warehouse's `NTT:` prefix).

Only declarations in force count (replacements applied); the month-to-month rules read the
monthly DSNs (nature 01) only, since signalements carry no affiliation.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

import duckdb
import polars as pl

from warehouse.changes import CompanyScope, register_scope
from warehouse.connections import has_table

MONTHLY_NATURE = "01"

# `{kind}` VIEW, or TABLE for a night's materialised sources; `{monthly}` (on `siren`) the
# predicate of the monthly declarations read, `{rows}` (on `d.siren` and `k.employee_key`) and
# `{requests}` (on `siren` and `nir`) those of the rows read.
_SOURCES = f"""
CREATE OR REPLACE TEMP {{kind}} aff_key_map AS
WITH RECURSIVE chain(previous_key, current_key, depth) AS (
    SELECT previous_key, employee_key, 1 FROM core.employee_links
    UNION ALL
    SELECT chain.previous_key, link.employee_key, chain.depth + 1
    FROM chain JOIN core.employee_links AS link ON link.previous_key = chain.current_key
    WHERE chain.depth < 10 AND link.employee_key <> chain.previous_key
)
SELECT previous_key, arg_max(current_key, depth) AS current_key FROM chain GROUP BY previous_key;

CREATE OR REPLACE TEMP {{kind}} aff_employees AS
SELECT e.employee_key AS warehouse_key,
    regexp_replace(coalesce(m.current_key, e.employee_key), '^NTT:', '') AS employee_key,
    e.nir, e.ntt
FROM core.employees AS e LEFT JOIN aff_key_map AS m ON m.previous_key = e.employee_key;

CREATE OR REPLACE TEMP {{kind}} aff_names AS
SELECT regexp_replace(employee_key, '^NTT:', '') AS employee_key,
    trim(coalesce(last_name, '') || ' ' || coalesce(first_names, '')) AS employee_name,
    last_name, first_names, birth_date
FROM core.employees;

CREATE OR REPLACE TEMP {{kind}} aff_monthly AS
SELECT file_id, declaration_id, siren, siret, month, fraction, built_on
FROM core.declarations_in_force WHERE nature = '{MONTHLY_NATURE}' AND {{monthly}};

CREATE OR REPLACE TEMP {{kind}} aff_adhesions AS
SELECT DISTINCT file_id, declaration_id, adhesion_key, oc_code, delegate_code,
    contract_reference
FROM core.adhesion_months AS h
WHERE EXISTS (
    SELECT 1 FROM aff_monthly AS m
    WHERE m.file_id = h.file_id AND m.declaration_id = h.declaration_id);

-- One row per affiliation (S21.G00.70) of a monthly DSN in force.
CREATE OR REPLACE TEMP {{kind}} aff_affiliations AS
SELECT d.siren, a.siret, a.month, d.fraction, a.file_id, a.declaration_id, a.instance_id,
    k.employee_key, a.employee_key AS warehouse_key, a.contract_start, a.contract_number,
    ad.oc_code, ad.contract_reference, a.option_code, a.population_code,
    a.children, a.adult_dependants, a.dependants, a.other_dependants, a.child_dependants,
    a.start_date, a.end_date
FROM core.affiliations AS a
JOIN aff_monthly AS d USING (file_id, declaration_id)
JOIN aff_employees AS k ON k.warehouse_key = a.employee_key
LEFT JOIN aff_adhesions AS ad
    ON ad.file_id = a.file_id AND ad.declaration_id = a.declaration_id
    AND ad.adhesion_key = a.adhesion_key
WHERE {{rows}};

-- One row per employment contract (S21.G00.40) of a monthly DSN in force.
CREATE OR REPLACE TEMP {{kind}} aff_contract_months AS
SELECT d.siren, c.siret, c.month, d.fraction, c.file_id, c.declaration_id, c.instance_id,
    k.employee_key, c.employee_key AS warehouse_key, k.nir, c.contract_start,
    c.contract_number, c.category
FROM core.contract_months AS c
JOIN aff_monthly AS d USING (file_id, declaration_id)
JOIN aff_employees AS k ON k.warehouse_key = c.employee_key
WHERE {{rows}};

-- One row per employee contribution (S21.G00.81) of a monthly DSN in force.
CREATE OR REPLACE TEMP {{kind}} aff_contributions AS
SELECT d.siren, c.siret, c.month, c.file_id, c.declaration_id, c.instance_id, k.employee_key,
    c.adhesion_key, c.option_code, c.population_code, c.amount
FROM core.contributions AS c
JOIN aff_monthly AS d USING (file_id, declaration_id)
JOIN aff_employees AS k ON k.warehouse_key = c.employee_key
WHERE {{rows}};

-- The end of each employment contract as last declared (any nature, declarations in force);
-- an end whose latest declaration is a cancellation (099) is no end.
CREATE OR REPLACE TEMP {{kind}} aff_contract_ends AS
SELECT * FROM (
    SELECT e.siret, k.employee_key, e.contract_start, e.contract_number, e.end_date,
        e.end_reason, e.keeps_cover, e.month, e.file_id, e.declaration_id
    FROM core.contract_ends AS e
    JOIN core.declarations_in_force AS d USING (file_id, declaration_id)
    JOIN aff_employees AS k ON k.warehouse_key = e.employee_key
    WHERE {{rows}}
    QUALIFY row_number() OVER (
        PARTITION BY e.siret, k.employee_key, e.contract_start, e.contract_number
        ORDER BY e.month DESC, d.built_on DESC, e.file_id DESC, e.instance_id DESC) = 1
)
WHERE end_reason IS DISTINCT FROM '099';

CREATE OR REPLACE TEMP {{kind}} aff_requests AS
SELECT * FROM from_portal.affiliation_requests WHERE {{requests}};
"""
_SOURCE_NAMES = (
    "aff_key_map",
    "aff_employees",
    "aff_names",
    "aff_monthly",
    "aff_adhesions",
    "aff_affiliations",
    "aff_contract_months",
    "aff_contributions",
    "aff_contract_ends",
    "aff_requests",
)


# The steward's forced affiliations and radiations (quality.anomalies.decisions), latest per
# employee and contract; they are kept with the anomaly's keys when applied.
_FORCED_DECISIONS = """
CREATE OR REPLACE TEMP VIEW aff_forced_decisions AS
SELECT siren, siret, regexp_replace(employee_key, '^NTT:', '') AS employee_key,
    contract_reference, action, coalesce(effective_date, applied_on) AS effective_date,
    decided_at, reason
FROM steward_decisions
WHERE action IN ('force_affiliation', 'force_radiation') AND outcome = 'applied'
    AND employee_key IS NOT NULL AND contract_reference IS NOT NULL
QUALIFY row_number() OVER (
    PARTITION BY siren, employee_key, contract_reference ORDER BY decided_at DESC) = 1
"""
_NO_DECISIONS = """
CREATE OR REPLACE TEMP VIEW aff_forced_decisions AS
SELECT NULL::VARCHAR AS siren, NULL::VARCHAR AS siret, NULL::VARCHAR AS employee_key,
    NULL::VARCHAR AS contract_reference, NULL::VARCHAR AS action,
    NULL::DATE AS effective_date, NULL::TIMESTAMP AS decided_at, NULL::VARCHAR AS reason
WHERE false
"""
# Radiations the OC knows of: entered on the portal, or forced by a steward; a steward's
# forced affiliation decided later undoes a portal radiation.
_OC_RADIATIONS = """
CREATE OR REPLACE TEMP VIEW aff_oc_radiations AS
SELECT r.siren, r.siret, r.nir AS employee_key, r.contract_reference,
    r.radiation_date, coalesce(r.reason, 'radiation saisie sur le portail') AS reason,
    'portail' AS source
FROM from_portal.radiations AS r
WHERE NOT EXISTS (
    SELECT 1 FROM aff_forced_decisions AS f
    WHERE f.employee_key = r.nir AND f.contract_reference = r.contract_reference
        AND f.action = 'force_affiliation'
        AND CAST(f.decided_at AS DATE) >= coalesce(r.entered_on, r.radiation_date))
UNION ALL
SELECT siren, siret, employee_key, contract_reference, effective_date,
    coalesce(reason, 'radiation forcée par un gestionnaire'), 'gestionnaire'
FROM aff_forced_decisions WHERE action = 'force_radiation'
"""


# The connections inside `night_sources` (by `id`: a connection is alive while it holds them):
# their sources are tables and their decisions' views made once, which the rules' queries then
# skip (each check and view made again cost 5–10 ms, 26 times a night).
_PREPARED: set[int] = set()


def create_views(connection: duckdb.DuckDBPyConnection) -> None:
    """(Re)create the temporary views on `connection`; cheap, so every rule calls it. Inside
    `night_sources` its tables and views stand: nothing to do.

    The connection's warehouse is migrated (`warehouse.connections.connect`): OC-side tables
    never loaded are empty (no contract known: every affiliation is then AFF003)."""
    if id(connection) in _PREPARED:
        return
    connection.execute(_SOURCES.format(kind="VIEW", monthly="TRUE", rows="TRUE", requests="TRUE"))
    _create_decision_views(connection)


def _create_decision_views(connection: duckdb.DuckDBPyConnection) -> None:
    has_decisions = has_table(connection, "main", "steward_decisions")
    connection.execute(_FORCED_DECISIONS if has_decisions else _NO_DECISIONS)
    connection.execute(_OC_RADIATIONS)


@contextmanager
def night_sources(connection: duckdb.DuckDBPyConnection, scope: CompanyScope) -> Iterator[None]:
    """The sources as temporary tables holding the rows of `scope` only (its companies', and its
    employees' in every company with every monthly declaration), for one night's rules and
    states. Computed once rather than in every rule's query; and on tables the
    planner joins on their keys: through the views, AFF014 paired every exemption with every
    affiliation to its contract before comparing the NIR (4 million rows at 20,000
    employees, growing with the square of the portfolio)."""
    register_scope(connection, scope)
    for name in _SOURCE_NAMES:
        connection.execute(f"DROP VIEW IF EXISTS temp.{name}")
    sql = _SOURCES.format(
        kind="TABLE",
        monthly="TRUE" if scope.keys else scope.sql("siren"),
        rows=scope.sql("d.siren", "k.employee_key"),
        requests=scope.sql("siren", "nir"),
    )
    connection.execute(sql)
    _create_decision_views(connection)
    _PREPARED.add(id(connection))
    try:
        yield
    except BaseException:
        with suppress(duckdb.Error):  # an aborted transaction drops them with its rollback
            _drop_sources(connection)
        raise
    finally:
        _PREPARED.discard(id(connection))
    _drop_sources(connection)


def _drop_sources(connection: duckdb.DuckDBPyConnection) -> None:
    for name in _SOURCE_NAMES:
        connection.execute(f"DROP TABLE IF EXISTS temp.{name}")


def query(
    connection: duckdb.DuckDBPyConnection, sql: str, parameters: Sequence[Any] = ()
) -> pl.DataFrame:
    create_views(connection)
    return connection.sql(sql, params=list(parameters)).pl()
