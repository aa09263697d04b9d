"""The row-count gates: a table losing more than half its rows blocks; one more than tripling is
only a warning. The row-level gates count the failing rows."""

from __future__ import annotations

from pathlib import Path

import duckdb

from serving.gates import row_count_bounds, run_gates
from serving.spec import SCHEMA, Column, TableSpec, in_set, ordered, zero


def test_a_table_published_for_the_first_time_has_no_row_count_gate() -> None:
    assert row_count_bounds(None) == ()


def test_losing_half_the_rows_blocks_and_tripling_warns() -> None:
    drop, growth = row_count_bounds(101)
    assert (drop.arguments, drop.blocking) == ({"min_value": 50}, True)
    assert (growth.arguments, growth.blocking) == ({"max_value": 313}, False)


def test_an_empty_table_may_get_a_few_rows_without_a_warning() -> None:
    drop, growth = row_count_bounds(0)
    assert drop.arguments == {"min_value": 0}
    assert growth.arguments == {"max_value": 10}


def test_every_row_level_gate_sees_its_columns_and_counts_the_failing_rows(
    tmp_path: Path,
) -> None:
    """The gates read only the columns their expectations name (and the check columns): each
    still finds its failing rows, among columns it does not read."""
    spec = TableSpec(
        name="ledger_lines",
        comment="Lignes.",
        columns=(
            Column("siren", "VARCHAR", "SIREN."),
            Column("line", "INTEGER", "Ligne."),
            Column("stage", "VARCHAR", "Étape."),
            Column("start", "DATE", "Début."),
            Column("finish", "DATE", "Fin."),
            Column("due", "INTEGER", "Dû."),
            Column("paid", "INTEGER", "Payé."),
            Column("name", "VARCHAR", "Nom, qu'aucun contrôle ne lit."),
        ),
        key=("siren", "line"),
        sql=None,
        expectations=(in_set("stage", ["ouvert", "clos"]), ordered("start", "finish"), zero("gap")),
        check_columns={"gap": "due - paid"},
    )
    candidate = tmp_path / "candidat.duckdb"
    with duckdb.connect(str(candidate)) as connection:
        connection.execute(f"CREATE SCHEMA {SCHEMA}")
        connection.execute(
            f"CREATE TABLE {SCHEMA}.ledger_lines (siren VARCHAR, line INTEGER, stage VARCHAR, "
            "start DATE, finish DATE, due INTEGER, paid INTEGER, name VARCHAR)"
        )
        connection.execute(
            f"""
            INSERT INTO {SCHEMA}.ledger_lines VALUES
                ('111111111', 1, 'ouvert', '2024-01-01', '2024-01-31', 10, 10, 'A'),
                ('111111111', 1, 'clos', '2024-02-01', '2024-01-31', 10, 10, 'B'),
                ('222222222', 1, 'perdu', NULL, '2024-01-31', 10, 7, 'C'),
                ('222222222', NULL, 'clos', '2024-03-01', '2024-03-31', 5, 5, 'D')
            """
        )
    results, _ = run_gates(candidate, (spec,), {})
    failed = {(r.expectation, r.column): r.unexpected_count for r in results if not r.passed}
    assert failed == {
        ("expect_column_values_to_not_be_null", "line"): 1,
        ("expect_compound_columns_to_be_unique", "siren, line"): 2,
        ("expect_column_values_to_be_in_set", "stage"): 1,
        ("expect_column_pair_values_a_to_be_greater_than_b", "start ≤ finish"): 1,
        ("expect_column_values_to_be_between", "gap"): 1,
    }
