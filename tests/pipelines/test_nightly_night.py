"""The whole night in process (`dsnpipe run`) on a small generated portfolio: the affiliation
and stoppage domains run after the ingestion, write their tables and the steward report, and
running the same night again changes none of their tables."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipelines.cli import main
from synthetic import generate
from tests.pseudonym_key import use_test_pseudonym_key
from warehouse.connections import connect

# Every table the affiliation and stoppage domains write (anomalies: quality/anomalies).
DOMAIN_TABLES = (
    "core.affiliation_states",
    "core.affiliation_history",
    "reference.oc_contracts",
    "from_portal.affiliation_requests",
    "registry.rejected_lines",
    "anomalies",
    "anomaly_events",
    "steward_decisions",
    "stoppage.episodes",
    "stoppage.planned_end_history",
    "stoppage.employee_events",
    "stoppage.signals",
    "stoppage.claims",
    "stoppage.nights",
)


@pytest.fixture(autouse=True)
def pseudonym_key(monkeypatch: pytest.MonkeyPatch) -> None:
    use_test_pseudonym_key(monkeypatch)


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("portfolio") / "landing"
    generate(
        path, companies=3, employees=40, months=6, start=date(2024, 1, 1), seed=5, fault_rate=0.1
    )
    return path


def _snapshot(warehouse: Path) -> dict[str, list[tuple[object, ...]]]:
    with connect(warehouse) as connection:
        return {
            table: sorted(connection.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
            for table in DOMAIN_TABLES
        }


def test_a_night_fills_the_domains_says_so_in_french_and_reruns_identically(
    landing: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse = tmp_path / "entrepot.duckdb"
    assert main(["run", "--landing", str(landing), "--warehouse", str(warehouse)]) == 0
    out = capsys.readouterr().out
    # Six months from January 2024: the night is the due date of June's DSNs.
    assert "Affiliations (nuit du 15/07/2024) :" in out and "anomalie(s) ouverte(s)" in out
    assert "Arrêts de travail :" in out and "épisode(s) en cours" in out
    report = tmp_path / "reports" / "anomalies-2024-07-15.html"
    assert f"Rapport des gestionnaires : {report}" in out
    assert report.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")
    assert report.with_suffix(".xlsx").stat().st_size > 0
    with connect(warehouse) as connection:
        episodes = connection.execute("SELECT count(*) FROM stoppage.episodes").fetchone()
        nights = connection.execute("SELECT night FROM stoppage.nights").fetchall()
        anomalies = connection.execute("SELECT count(*), min(first_seen) FROM anomalies").fetchone()
    assert episodes and episodes[0] > 0  # the generator always declares some stoppages
    assert nights == [(date(2024, 7, 15),)]
    assert anomalies is not None and anomalies[0] > 0  # fault_rate 0.1
    assert anomalies[1] == date(2024, 7, 15)

    # Running the same night again changes none of the domains' tables.
    before = _snapshot(warehouse)
    assert main(["run", "--landing", str(landing), "--warehouse", str(warehouse)]) == 0
    assert _snapshot(warehouse) == before
    assert before["stoppage.signals"], "a night with stoppages has signals"


def test_an_explicit_night_dates_what_is_first_seen_and_a_later_night_keeps_it(
    landing: Path, tmp_path: Path
) -> None:
    warehouse = tmp_path / "entrepot.duckdb"
    arguments = ["run", "--landing", str(landing), "--warehouse", str(warehouse)]
    assert main([*arguments, "--night", "2024-08-01"]) == 0
    assert main([*arguments, "--night", "2024-08-02"]) == 0
    with connect(warehouse) as connection:
        seen = connection.execute(
            "SELECT DISTINCT first_seen_night, last_seen_night FROM stoppage.signals"
        ).fetchall()
        anomalies_seen = connection.execute("SELECT DISTINCT first_seen FROM anomalies").fetchall()
    # Same files: every signal and anomaly was already there the first night.
    assert seen == [(date(2024, 8, 1), date(2024, 8, 2))]
    assert anomalies_seen == [(date(2024, 8, 1),)]


def test_a_night_on_a_relative_warehouse_path_publishes_too(
    landing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The operator's usual `--warehouse var/entrepot.duckdb`; the publish step's quality gates
    # once refused the relative Data Docs directory derived from it.
    monkeypatch.chdir(tmp_path)
    assert main(["run", "--landing", str(landing), "--warehouse", "var/entrepot.duckdb"]) == 0
    assert (tmp_path / "var" / "serving.duckdb").exists()
