"""Which companies the affiliation night recomputes besides those whose data changed
(`quality.affiliation.scope`): the companies declaring one of their employees, and those with
a date event since the stage's last night."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from quality.affiliation.scope import Sharing, affiliation_scope
from quality.affiliation.states import RegisterSettings
from quality.anomalies.detection import RuleSettings
from warehouse.changes import CompanyScope

CHANGED, SHARING, UNRELATED, EXEMPTING = "111111111", "222222222", "333333333", "444444444"
LAST_NIGHT, NIGHT = date(2025, 3, 5), date(2025, 3, 6)
MARCH = date(2025, 3, 1)


def _declares(connection: duckdb.DuckDBPyConnection, siren: str, employee_key: str) -> None:
    file_id = f"f{siren}{employee_key}"
    connection.execute(
        """
        INSERT INTO core.declaration_versions BY NAME
        SELECT ? AS file_id, 1 AS declaration_id, ? AS siren, ? AS siret, ? AS month,
            '01' AS nature, 1 AS version_rank, 1 AS versions, true AS in_force,
            false AS cancelled
        """,
        [file_id, siren, siren + "00011", MARCH],
    )
    connection.execute(
        """
        INSERT INTO core.contract_months BY NAME
        SELECT ? AS file_id, 1 AS declaration_id, ? AS siret, ? AS month, 1 AS instance_id,
            ? AS employee_key
        """,
        [file_id, siren + "00011", MARCH, employee_key],
    )
    connection.execute(
        "INSERT OR IGNORE INTO core.employees BY NAME SELECT ? AS employee_key",
        [employee_key],
    )


def _scope(connection: duckdb.DuckDBPyConnection, tmp_path: Path) -> frozenset[str]:
    changed = CompanyScope(False, frozenset({CHANGED}), LAST_NIGHT, 7)
    scope = affiliation_scope(
        connection,
        changed,
        NIGHT,
        tmp_path,
        RuleSettings(),
        RegisterSettings(),
        Sharing(connection),
    )
    assert not scope.everything and scope.change_id == 7
    return scope.sirens


def test_a_company_declaring_an_employee_of_a_changed_company_is_recomputed_with_it(
    connection: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    _declares(connection, CHANGED, "1850612345678")
    _declares(connection, SHARING, "1850612345678")  # his name, AFF008 read across companies
    _declares(connection, UNRELATED, "2850575116107")
    assert _scope(connection, tmp_path) == {CHANGED, SHARING}


def test_an_exemption_ending_since_the_last_night_brings_its_company(
    connection: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    connection.execute(
        """
        INSERT INTO from_portal.exemptions BY NAME
        SELECT 'X1' AS exemption_id, ? AS siren, ? AS siret, 'C1' AS contract_reference,
            '2850575116107' AS nir, DATE '2024-01-01' AS start_date, ? AS end_date
        """,
        [EXEMPTING, EXEMPTING + "00011", LAST_NIGHT],
    )
    assert _scope(connection, tmp_path) == {CHANGED, EXEMPTING}
