"""A rule plugged into the night run, over three nights, with a steward in between."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl

from quality.anomalies.decisions import DecisionAction, StewardDecision, record_decision
from quality.anomalies.detection import DetectionContext
from quality.anomalies.nightly import run_anomaly_night
from quality.report import write_steward_report
from warehouse.migrations import apply_migrations

NIGHT_1 = date(2026, 11, 20)


def employees_without_affiliation(context: DetectionContext) -> pl.DataFrame:
    """A stand-in for an AFF001 rule over a core table the test fills."""
    return context.connection.sql(
        """
        SELECT siret, nir AS employee_key, name AS employee_name, contract AS contract_reference,
               'Catégorie ' || category || ' couverte, aucune affiliation' AS detail
        FROM declared_employees WHERE NOT affiliated
        """
    ).pl()


def declare(connection: duckdb.DuckDBPyConnection, *rows: tuple[str, str, bool, str]) -> None:
    connection.execute(
        "CREATE OR REPLACE TABLE declared_employees (siret VARCHAR, nir VARCHAR, name VARCHAR, "
        "contract VARCHAR, category VARCHAR, affiliated BOOLEAN)"
    )
    for nir, name, affiliated, category in rows:
        connection.execute(
            "INSERT INTO declared_employees VALUES ('73282932000074', ?, ?, 'CTR-1', ?, ?)",
            [nir, name, category, affiliated],
        )


def test_three_nights_with_a_steward_decision(tmp_path: Path) -> None:
    decisions, detectors = tmp_path / "decisions", {"AFF001": employees_without_affiliation}
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as connection:
        apply_migrations(connection)
        declare(
            connection,
            ("1850575123456", "DUPONT Jean", False, "04"),
            ("2900133000111", "LÉGER Anaïs", False, "01"),
        )
        first = run_anomaly_night(connection, NIGHT_1, decisions, detectors=detectors)
        assert first.night.new == 2

        [(dupont,)] = connection.execute(
            "SELECT anomaly_id FROM anomalies WHERE employee_name = 'DUPONT Jean'"
        ).fetchall()
        record_decision(
            decisions,
            StewardDecision(
                anomaly_id=dupont,
                action=DecisionAction.RESOLVE,
                decided_by="c.durand",
                reason="Dispense reçue par courrier",
            ),
        )
        # Léger gets affiliated by the company's next DSN.
        declare(
            connection,
            ("1850575123456", "DUPONT Jean", False, "04"),
            ("2900133000111", "LÉGER Anaïs", True, "01"),
        )
        second = run_anomaly_night(
            connection, NIGHT_1 + timedelta(days=1), decisions, detectors=detectors
        )
        assert (second.decisions.applied, second.night.resolved_by_data) == (1, 1)

        # Dupont's category changes: the data the steward saw changed, the anomaly reopens.
        declare(
            connection,
            ("1850575123456", "DUPONT Jean", False, "01"),
            ("2900133000111", "LÉGER Anaïs", True, "01"),
        )
        third = run_anomaly_night(
            connection, NIGHT_1 + timedelta(days=2), decisions, detectors=detectors
        )
        assert (third.decisions.applied, third.night.reopened) == (0, 1)
        statuses = dict(
            connection.execute("SELECT employee_name, status FROM anomalies").fetchall()
        )
        assert statuses == {"DUPONT Jean": "open", "LÉGER Anaïs": "resolved_by_data"}

        files = write_steward_report(connection, NIGHT_1 + timedelta(days=2), tmp_path / "out")
    assert files.html.name == "anomalies-2026-11-22.html"
    assert "DUPONT Jean" in files.html.read_text(encoding="utf-8")
    assert files.excel.exists()
