"""Which companies a stage after the core model has to recompute (`warehouse.changes`): the
companies of the groups a night loaded, of the reference rows that changed, every company after
a rebuild, a change of the stage's code, or on its first run; nothing twice once recorded."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb

from tests.warehouse.helpers import AUGUST_2019, FIXTURES, SEPTEMBER_2019, deliver
from warehouse import models
from warehouse.changes import CompanyScope, changed_since, record_progress, register_scope

CONTRACT_FILE = FIXTURES / "reference" / "keuwa_S-GBASE_BET.json"
SIREN = "123456782"  # the keuwa employer, holder of S-GBASE_BET
NIGHT = date(2019, 10, 5)


def caught_up(warehouse: duckdb.DuckDBPyConnection, stage: str = "comptes") -> None:
    record_progress(warehouse, stage, changed_since(warehouse, stage, "v1"), NIGHT, "v1")


def test_a_stage_that_never_ran_sees_every_company_then_only_what_changed(
    landing: Path, warehouse: duckdb.DuckDBPyConnection, night: Callable[[], None]
) -> None:
    deliver(landing, "aout.dsn", AUGUST_2019)
    night()
    first = changed_since(warehouse, "comptes", "v1")
    assert first.everything and first.last_night is None
    caught_up(warehouse)

    night()  # nothing new
    quiet = changed_since(warehouse, "comptes", "v1")
    assert not quiet.everything and quiet.sirens == frozenset()
    assert quiet.last_night == NIGHT

    deliver(landing, "septembre.dsn", SEPTEMBER_2019)
    night()
    assert changed_since(warehouse, "comptes", "v1").sirens == {SIREN}
    # another stage that has caught up before sees the same change, on its own watermark
    assert changed_since(warehouse, "affiliations", "v1").everything


def test_a_failed_stage_sees_the_same_changes_again_and_a_new_code_version_everything(
    landing: Path, warehouse: duckdb.DuckDBPyConnection, night: Callable[[], None]
) -> None:
    deliver(landing, "aout.dsn", AUGUST_2019)
    night()
    caught_up(warehouse)
    deliver(landing, "septembre.dsn", SEPTEMBER_2019)
    night()
    warehouse.execute("BEGIN")
    record_progress(warehouse, "comptes", changed_since(warehouse, "comptes", "v1"), NIGHT, "v1")
    warehouse.execute("ROLLBACK")  # the stage failed after its results: nothing moved
    assert changed_since(warehouse, "comptes", "v1").sirens == {SIREN}
    assert changed_since(warehouse, "comptes", "v2").everything


def test_a_rebuild_changes_every_company(
    landing: Path, warehouse: duckdb.DuckDBPyConnection, night: Callable[[], None]
) -> None:
    deliver(landing, "aout.dsn", AUGUST_2019)
    night()
    caught_up(warehouse)
    models.rebuild_core(warehouse)
    assert changed_since(warehouse, "comptes", "v1").everything


def test_reference_rows_mark_their_company_only_when_they_change(
    landing: Path, warehouse: duckdb.DuckDBPyConnection, night: Callable[[], None]
) -> None:
    (landing / "reference").mkdir(parents=True)
    shutil.copy(CONTRACT_FILE, landing / "reference" / "contrat.json")
    night()
    caught_up(warehouse)

    night()  # the same contract file read again: no change
    assert changed_since(warehouse, "comptes", "v1").sirens == frozenset()

    contract = json.loads(CONTRACT_FILE.read_text())
    contract["due_date_rule"]["days_after_period_end"] = 45  # in the document only
    (landing / "reference" / "contrat.json").write_text(json.dumps(contract))
    night()
    changed = changed_since(warehouse, "comptes", "v1")
    assert not changed.everything and changed.sirens == {SIREN}


def test_a_reference_without_company_changes_every_company(
    landing: Path, warehouse: duckdb.DuckDBPyConnection, night: Callable[[], None]
) -> None:
    (landing / "reference").mkdir(parents=True)
    pmss_by_year = {"2019": "3377.00"}
    pmss = {"format_version": 1, "pmss_by_year": pmss_by_year, "assumed_years": []}
    (landing / "reference" / "pmss.json").write_text(json.dumps(pmss))
    night()
    caught_up(warehouse)
    pmss_by_year["2020"] = "3428.00"
    (landing / "reference" / "pmss.json").write_text(json.dumps(pmss))
    night()
    assert changed_since(warehouse, "comptes", "v1").everything


def test_a_registered_scope_is_the_latest_one_registered_even_after_a_rollback() -> None:
    """The stages register their scope before each step; the table is filled once per scope,
    and what a `scope.sql` predicate selects is always the scope registered last."""
    a = CompanyScope(False, frozenset({"111111111", "222222222"}), NIGHT, 1)
    b = CompanyScope(False, frozenset({"333333333"}), NIGHT, 1)

    def selected(connection: duckdb.DuckDBPyConnection) -> set[str]:
        rows = connection.execute(
            f"SELECT siren FROM (VALUES ('111111111'), ('222222222'), ('333333333')) AS t(siren) "
            f"WHERE {a.sql('siren')}"
        ).fetchall()
        return {siren for (siren,) in rows}

    with duckdb.connect(":memory:") as connection:
        register_scope(connection, a)
        register_scope(connection, a)
        assert selected(connection) == set(a.sirens)
        connection.execute("BEGIN")
        register_scope(connection, b)
        assert selected(connection) == set(b.sirens)
        connection.execute("ROLLBACK")
        assert selected(connection) == set(a.sirens)
        register_scope(connection, b)
        assert selected(connection) == set(b.sirens)
