"""The gates judge in DuckDB what Great Expectations judges, and GX's Data Docs show it."""

from __future__ import annotations

import dataclasses
import json
import os
import re
from datetime import date
from pathlib import Path

import duckdb
import pytest

from serving.data_docs import (
    DataDocsDisagreeError,
    Documented,
    document_in_background,
    gx_results,
    retire_data_docs,
    start_data_docs,
    wait_for_data_docs,
)
from serving.data_docs_site import validate
from serving.gates import run_gates, table_expectations
from serving.spec import SCHEMA, Column, Expectation, TableSpec, in_set, ordered, zero

LINES = TableSpec(
    name="ledger_lines",
    comment="Lignes.",
    columns=(
        Column("siren", "VARCHAR", "SIREN."),
        Column("line", "INTEGER", "Ligne."),
        Column("stage", "VARCHAR", "Étape."),
        Column("start", "DATE", "Début."),
        Column("finish", "DATE", "Fin."),
        Column("due", "DECIMAL(18,2)", "Dû."),
        Column("paid", "DECIMAL(18,2)", "Payé."),
    ),
    key=("siren", "line"),
    sql=None,
    expectations=(
        in_set("stage", ["ouvert", "clos"]),
        ordered("start", "finish"),
        ordered("finish", "start", blocking=False),
        zero("gap"),
    ),
    check_columns={"gap": "due - paid"},
)
CODES = TableSpec(
    name="codes",
    comment="Codes.",
    columns=(Column("code", "VARCHAR", "Code."), Column("label", "VARCHAR", "Libellé.")),
    key=("code",),
    sql=None,
    expectations=(Expectation("ExpectColumnValuesToNotBeNull", {"column": "label"}, False),),
)
EMPTY = TableSpec(
    name="nothing_yet",
    comment="Vide.",
    columns=(Column("siren", "VARCHAR", "SIREN."), Column("day", "DATE", "Jour.")),
    key=("siren", "day"),
    sql=None,
)
SPECS = (LINES, CODES, EMPTY)


@pytest.fixture
def candidate(tmp_path: Path) -> Path:
    """Rows failing every kind of gate, with the missing values each kind ignores or not."""
    path = tmp_path / "candidat.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute(f"CREATE SCHEMA {SCHEMA}")
        for spec in SPECS:
            columns = ", ".join(f"{c.name} {c.type}" for c in spec.columns)
            connection.execute(f"CREATE TABLE {SCHEMA}.{spec.name} ({columns})")
        connection.execute(
            f"""
            INSERT INTO {SCHEMA}.ledger_lines VALUES
                ('111111111', 1, 'ouvert', '2024-01-01', '2024-01-31', 10, 10),
                ('111111111', 1, 'clos', '2024-02-01', '2024-01-31', 10, 10),
                ('222222222', 1, 'perdu', NULL, '2024-01-31', 10, 7.5),
                ('222222222', NULL, NULL, '2024-03-01', '2024-03-31', NULL, 5),
                ('222222222', NULL, 'clos', '2024-03-01', NULL, 5, 5),
                (NULL, NULL, 'clos', '2024-03-01', '2024-03-01', 5, 5),
                (NULL, NULL, 'Clos', NULL, NULL, 5, 5.01)
            """
        )
        connection.execute(
            f"""
            INSERT INTO {SCHEMA}.codes VALUES
                ('A', 'un'), ('A', NULL), ('B', 'deux'), (NULL, NULL), (NULL, 'trois')
            """
        )
    return path


def _tables(previous: dict[str, int]) -> list[Documented]:
    return [
        Documented(spec.name, spec.check_columns, table_expectations(spec, previous))
        for spec in SPECS
    ]


@pytest.mark.parametrize(
    "previous",
    [{}, {"ledger_lines": 7, "codes": 20, "nothing_yet": 0}, {"ledger_lines": 2, "codes": 1}],
)
def test_the_gates_judge_every_row_as_great_expectations_does(
    candidate: Path, previous: dict[str, int]
) -> None:
    judged, _ = run_gates(candidate, SPECS, previous)
    with duckdb.connect(str(candidate), read_only=True) as connection:
        _, raw = validate(connection, SCHEMA, [dataclasses.asdict(t) for t in _tables(previous)])
    by_gx = gx_results(json.loads(json.dumps(raw)))  # as the child hands them over
    assert judged == by_gx
    assert not all(r.passed for r in judged)


def test_the_data_docs_are_built_and_a_verdict_gx_does_not_share_is_an_error(
    candidate: Path, tmp_path: Path
) -> None:
    docs = tmp_path / "data_docs"
    judged, _ = run_gates(candidate, SPECS, {}, docs)
    wait_for_data_docs()
    assert (docs / "index.html").is_file()
    assert len(list((docs / "validations").rglob("*.html"))) == len(SPECS)

    wrong = [judged[0].__class__(**{**judged[0].__dict__, "passed": True}), *judged[1:]]
    document_in_background(candidate, _tables({}), wrong, docs)
    with pytest.raises(DataDocsDisagreeError, match="ledger_lines : expect_column_values"):
        wait_for_data_docs()


def _site_children() -> set[int]:
    """The Data Docs children of this process (`serving.data_docs_site`) still running. A child
    whose command line reads empty is one still being executed: the parent learns that the
    program started a moment before its arguments can be read."""
    children = set()
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(re.findall(r"^(\w+):\s+(\S+)", status.read_text(), re.MULTILINE))
            command = (status.parent / "cmdline").read_bytes()
        except OSError:  # ended meanwhile
            continue
        ours = fields.get("PPid") == str(os.getpid()) and fields.get("State") != "Z"
        if ours and (not command or b"serving.data_docs_site" in command):
            children.add(int(status.parent.name))
    return children


def test_a_child_started_ahead_builds_the_gates_site_and_one_left_unused_ends(
    candidate: Path, tmp_path: Path
) -> None:
    docs = tmp_path / "data_docs"
    start_data_docs()  # as the candidate's step does, before the gates
    ahead = _site_children()
    assert len(ahead) == 1
    run_gates(candidate, SPECS, {}, docs)
    assert _site_children() == ahead  # the gates gave it their job: no second child
    wait_for_data_docs()
    assert (docs / "index.html").is_file()
    assert not _site_children()

    start_data_docs()  # a night that fails before its gates
    assert _site_children()
    wait_for_data_docs()  # the run's end
    assert not _site_children()


def test_a_site_is_retired_once_and_nothing_is_written_where_none_was(tmp_path: Path) -> None:
    never_built = tmp_path / "jamais"
    assert not retire_data_docs(never_built, date(2026, 3, 5))
    assert not never_built.exists()
    site = tmp_path / "data_docs"
    (site / "validations").mkdir(parents=True)
    (site / "index.html").write_text("<html>verdict du 04/03/2026</html>", encoding="utf-8")
    (site / "validations" / "page.html").write_text("<html>ancienne page</html>")

    assert retire_data_docs(site, date(2026, 3, 5))
    page = (site / "index.html").read_text(encoding="utf-8")
    assert "depuis la nuit du 05/03/2026" in page and "publish.gate_results" in page
    assert [p.name for p in site.iterdir()] == ["index.html"]
    assert [p.name for p in tmp_path.iterdir()] == ["data_docs"]  # no directory left aside
    # The next nights with the switch off leave the page as it is: it keeps the first night.
    assert not retire_data_docs(site, date(2026, 3, 6))
    assert (site / "index.html").read_text(encoding="utf-8") == page
