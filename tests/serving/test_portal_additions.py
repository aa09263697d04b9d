"""What the portal reads beside the codes: labels, names, the action an anomaly calls for, and
the comptes rendus of the declarations, all from the night's snapshot."""

from __future__ import annotations

from typing import Any

import duckdb

from tests.serving.nights import Night


def _rows(serving: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    # each query's own columns: whatever Python values DuckDB gives for their SQL types
    return serving.execute(sql).fetchall()


def test_codes_come_with_their_labels_and_companies_with_their_names(night: Night) -> None:
    with duckdb.connect(str(night.serving), read_only=True) as serving:
        categories = _rows(
            serving,
            "SELECT DISTINCT category, category_label FROM portal_v1.employees ORDER BY 1",
        )
        names = _rows(serving, "SELECT siren, name FROM portal_v1.companies ORDER BY 1")
        reasons = _rows(
            serving, "SELECT DISTINCT reason, reason_label FROM portal_v1.stoppage_episodes"
        )
    assert categories and all(label for _, label in categories)
    assert any(code == "01" and "cadre" in str(label).lower() for code, label in categories)
    with duckdb.connect(str(night.warehouse), read_only=True) as warehouse:
        expected = dict(
            warehouse.execute(
                "SELECT json_extract_string(document, '$.siren'), "
                "min(json_extract_string(document, '$.company_name')) "
                "FROM reference.contract_parameters GROUP BY 1"
            ).fetchall()
        )
    assert names and all(name == expected.get(siren) for siren, name in names)
    assert all(label for _, label in reasons)


def test_each_declaration_has_its_compte_rendu_in_the_portal(night: Night) -> None:
    with duckdb.connect(str(night.warehouse), read_only=True) as warehouse:
        declarations = _rows(
            warehouse,
            "SELECT file_id, declaration_id::INTEGER, status::INTEGER FROM staging.declarations "
            "WHERE siren IS NOT NULL ORDER BY ALL",
        )
    with duckdb.connect(str(night.serving), read_only=True) as serving:
        reports = _rows(
            serving,
            "SELECT file_id, declaration_id, status FROM portal_v1.declaration_reports "
            "ORDER BY ALL",
        )
        labels = {
            r[0] for r in _rows(serving, "SELECT status_label FROM portal_v1.declaration_reports")
        }
        counted = _rows(
            serving,
            "SELECT r.errors + r.warnings, count(d.line) FROM portal_v1.declaration_reports AS r "
            "LEFT JOIN portal_v1.declaration_diagnostics AS d USING (file_id, declaration_id) "
            "GROUP BY r.file_id, r.declaration_id, r.errors, r.warnings",
        )
    assert reports == declarations
    assert labels <= {"acceptée", "acceptée avec anomalies", "partiellement acceptée", "rejetée"}
    assert all(listed <= total for total, listed in counted)


def test_every_anomaly_says_what_to_do(night: Night) -> None:
    with duckdb.connect(str(night.serving), read_only=True) as serving:
        actions = _rows(serving, "SELECT rule_code, action FROM portal_v1.affiliation_anomalies")
    assert actions and all(action for _, action in actions)


def test_the_contribution_detail_adds_up_to_the_periods_and_carries_the_bases(
    night: Night,
) -> None:
    with duckdb.connect(str(night.serving), read_only=True) as serving:
        mismatched = _rows(
            serving,
            """
            SELECT p.siren, p.contract_reference, p.period_code
            FROM portal_v1.contribution_periods AS p
            JOIN (
                SELECT siren, contract_reference, period_code, sum(declared) AS declared
                FROM portal_v1.contribution_details GROUP BY ALL
            ) AS d USING (siren, contract_reference, period_code)
            WHERE d.declared <> p.declared
            """,
        )
        details = _rows(
            serving,
            "SELECT employees, coalesce(base_tranche_a, 0) + coalesce(base_tranche_b, 0) "
            "+ coalesce(base_pmss, 0), rates FROM portal_v1.contribution_details",
        )
    with duckdb.connect(str(night.warehouse), read_only=True) as warehouse:
        [(components,)] = warehouse.execute(
            "SELECT sum(amount) FROM core.contribution_components "
            "WHERE component_type IN ('11', '13', '18')"
        ).fetchall()
    assert mismatched == []
    assert details and all(employees > 0 for employees, _, _ in details)
    assert sum(base for _, base, _ in details) == components  # every base of every month
    assert any(rates and " % " in rates for _, _, rates in details)


def test_each_contribution_detail_counts_the_employees_and_bases_its_period_declares(
    night: Night,
) -> None:
    # The ledgers count and sum them with each call (Polars); here, again, from the core
    # model's contributions of the call's company, contract, population and months (SQL).
    with duckdb.connect(str(night.serving), read_only=True) as serving:
        published = _rows(
            serving,
            "SELECT siren, contract_reference, population, period_code, employees, "
            "base_tranche_a, base_tranche_b, base_pmss FROM portal_v1.contribution_details",
        )
    with duckdb.connect(str(night.warehouse), read_only=True) as warehouse:
        recounted = _rows(
            warehouse,
            """
            WITH declared AS (
                SELECT left(c.siret, 9) AS siren,
                    coalesce(a.contract_reference, '') AS contract_reference,
                    c.population_code AS population, c.month, c.employee_key, c.file_id,
                    c.instance_id
                FROM core.contributions AS c
                LEFT JOIN core.adhesions AS a
                    ON a.adhesion_key = c.adhesion_key AND a.siret = c.siret
            )
            SELECT k.siren, k.contract_reference, coalesce(k.population, ''), k.period_code,
                count(DISTINCT c.employee_key),
                sum(b.amount) FILTER (b.component_type = '11'),
                sum(b.amount) FILTER (b.component_type = '13'),
                sum(b.amount) FILTER (b.component_type = '18')
            FROM ledger.calls AS k
            JOIN declared AS c
                ON c.siren = k.siren AND c.contract_reference = k.contract_reference
                AND c.population IS NOT DISTINCT FROM k.population
                AND c.month BETWEEN k.period_start AND k.period_end
            LEFT JOIN core.contribution_components AS b
                ON b.file_id = c.file_id AND b.contribution_instance_id = c.instance_id
                AND b.component_type IN ('11', '13', '18')
            WHERE k.siren IS NOT NULL
            GROUP BY ALL
            """,
        )
    assert published and sorted(published, key=repr) == sorted(recounted, key=repr)


def test_my_contracts_shows_each_contract_with_its_risk_options_and_populations(
    night: Night,
) -> None:
    with duckdb.connect(str(night.warehouse), read_only=True) as warehouse:
        expected = warehouse.execute(
            "SELECT json_extract_string(document, '$.siren'), contract_reference, "
            "json_extract_string(document, '$.cover') FROM reference.contract_parameters "
            "ORDER BY 1, 2"
        ).fetchall()
    with duckdb.connect(str(night.serving), read_only=True) as serving:
        contracts = _rows(
            serving,
            "SELECT siren, contract_reference, risk, populations FROM portal_v1.contracts "
            "ORDER BY 1, 2",
        )
    words = {"sante": "santé", "prevoyance": "prévoyance"}
    assert [(s, c, r) for s, c, r, _ in contracts] == [(s, c, words[r]) for s, c, r in expected]
    assert all(populations and "catégories" in populations for *_, populations in contracts)
