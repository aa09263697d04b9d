"""The affiliation rules and register against the synthetic generator's ground truth: a portfolio
with many faults, ingested by the real night run, then the affiliation night; precision and
recall per rule, and the final state of every employee on every contract.

Slow (a generated portfolio through the whole ingestion): `make bench`. The figures are
printed. Known disagreements between the generator's truth and the files it writes (a wrong NIR
never corrected in any DSN, the portability end rounded to a month start, the exemption start)
do not occur with this seed; see the report of issue 5.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from quality.affiliation.evaluation import compare_states, read_truth_states
from quality.affiliation.night import run_affiliation_night
from quality.anomalies.evaluation import score_rules
from synthetic.nightly import truth_as_of
from warehouse.reference import load_reference_files

THRESHOLD = 0.99


@pytest.fixture(scope="module")
def night(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, date, duckdb.DuckDBPyConnection]:
    from rich.console import Console

    from pipelines.commands.run import run_night
    from pipelines.settings import Settings
    from synthetic import generate

    root = tmp_path_factory.mktemp("portfolio")
    landing = root / "landing"
    generate(landing, companies=4, employees=60, months=8, seed=7, fault_rate=0.5)
    warehouse = root / "warehouse.duckdb"
    assert run_night(Settings(landing, warehouse, root / "quarantine"), Console(quiet=True))
    as_of = date.fromisoformat(json.loads((landing / "truth" / "meta.json").read_text())["as_of"])
    connection = duckdb.connect(warehouse)
    load_reference_files(connection, landing)
    run_affiliation_night(connection, as_of, root / "decisions")
    return landing, as_of, connection


@pytest.mark.bench
def test_every_rule_meets_precision_and_recall_against_the_truth(
    night: tuple[Path, date, duckdb.DuckDBPyConnection],
) -> None:
    landing, as_of, connection = night
    detected = connection.sql("SELECT * FROM anomalies").pl()
    # The truth as of the last night: an anomaly a later file undid (true_until) is not expected.
    scores = score_rules(detected, truth_as_of(landing / "truth", as_of).anomalies)
    for score in scores:
        print(
            f"{score.rule_code} attendues={score.expected} détectées={score.detected} "
            f"précision={score.precision} rappel={score.recall}"
        )
    assert sum(s.expected for s in scores) > 30, "too few faults to measure anything"
    assert [s.rule_code for s in scores if not s.meets(THRESHOLD)] == []


@pytest.mark.bench
def test_final_affiliation_state_of_every_employee_matches_the_truth(
    night: tuple[Path, date, duckdb.DuckDBPyConnection],
) -> None:
    landing, _, connection = night
    states = connection.sql("SELECT * FROM core.affiliation_states").pl()
    comparison = compare_states(states, read_truth_states(landing / "truth"))
    print(
        f"états attendus={comparison.expected} calculés={comparison.computed} "
        f"même statut={comparison.same_status} même date={comparison.same_status_since}"
    )
    print(comparison.mismatches)
    assert comparison.all_statuses_equal
