"""The analysts' warehouse: published after the night beside the warehouse, never a NIR, a name
or an IBAN, and an analyst holding it open does not disturb the next night."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from pipelines.publish.assets import PUBLISH_ASSETS
from pipelines.publish.checks import PUBLISH_CHECKS
from pipelines.settings import Settings
from tests.serving.nights import HOLD_OPEN, Night, materialize_night


def _texts(connection: duckdb.DuckDBPyConnection) -> set[str]:
    """Every text value of every table of the database."""
    columns = connection.execute(
        "SELECT schema_name, table_name, column_name FROM duckdb_columns() "
        "WHERE database_name = current_database() AND data_type = 'VARCHAR'"
    ).fetchall()
    values: set[str] = set()
    for schema, table, column in columns:
        rows = connection.execute(f'SELECT DISTINCT "{column}" FROM "{schema}"."{table}"')
        values |= {value for (value,) in rows.fetchall() if value}
    return values


def test_the_analyst_copy_has_the_tables_but_no_nir_name_or_iban(night: Night) -> None:
    copy = Settings(night.landing, night.warehouse, night.root / "quarantine").analyst_warehouse
    with duckdb.connect(str(night.warehouse), read_only=True) as warehouse:
        nirs = {n for (n,) in warehouse.execute("SELECT nir FROM core.employees").fetchall() if n}
        names = {
            n for (n,) in warehouse.execute("SELECT last_name FROM core.employees").fetchall() if n
        }
        ibans = {
            i
            for (i,) in warehouse.execute("SELECT iban FROM core.declared_payments").fetchall()
            if i
        }
        employees = warehouse.execute("SELECT count(*) FROM core.employees").fetchall()
    assert nirs and names
    with duckdb.connect(str(copy), read_only=True) as analyst:
        assert analyst.execute("SELECT count(*) FROM core.employees").fetchall() == employees
        texts = _texts(analyst)
        # an analyst can still follow one employee across tables, by pseudonym
        linked = analyst.execute(
            "SELECT count(*) FROM core.affiliations JOIN core.employees USING (employee_key)"
        ).fetchall()
    assert linked[0][0] > 0
    assert not texts & nirs
    assert not texts & names
    assert not texts & ibans
    assert not any(nir in text for text in texts for nir in list(nirs)[:20])


def test_an_analyst_holding_the_copy_open_does_not_disturb_the_next_night(
    night: Night, tmp_path: Path
) -> None:
    # On a copy of the published night: the next night must not change the shared fixture.
    for name in (night.warehouse.name, night.serving.name, "analystes.duckdb"):
        shutil.copy(night.root / name, tmp_path / name)
    warehouse = tmp_path / night.warehouse.name
    copy = Settings(night.landing, warehouse, tmp_path / "quarantine").analyst_warehouse
    before = copy.stat().st_ino
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_OPEN, str(copy)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ouvert"
        result = materialize_night(
            night.landing, warehouse, [*PUBLISH_ASSETS, *PUBLISH_CHECKS], demo=True
        )
        assert result.success
    finally:
        holder.kill()
        holder.wait()
    assert copy.stat().st_ino != before  # tonight's copy replaced the one held open


def test_every_table_and_column_of_the_analyst_copy_has_a_comment(night: Night) -> None:
    copy = Settings(night.landing, night.warehouse, night.root / "quarantine").analyst_warehouse
    with duckdb.connect(str(copy), read_only=True) as analyst:
        tables = analyst.execute(
            "SELECT schema_name, table_name, comment FROM duckdb_tables() "
            "WHERE database_name = current_database()"
        ).fetchall()
        columns = analyst.execute(
            "SELECT schema_name, table_name, column_name, comment FROM duckdb_columns() "
            "WHERE database_name = current_database()"
        ).fetchall()
    assert len(tables) > 40
    assert [(s, t) for s, t, comment in tables if not comment] == []
    assert [(s, t, c) for s, t, c, comment in columns if not comment] == []
    pseudonymised = {c: comment for s, t, c, comment in columns if (s, t) == ("core", "employees")}
    assert "Pseudonyme" in pseudonymised["employee_key"]
    assert "birth_year" in pseudonymised and "last_name" not in pseudonymised
