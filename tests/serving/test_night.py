"""One Dagster night from landing files to the published portal, the comptes rendus and the
analyst exports."""

from __future__ import annotations

import json

import duckdb

from serving.night import portal_summary
from serving.tables import PORTAL_TABLES
from tests.serving.nights import Night
from warehouse.connections import connect


def test_the_night_publishes_every_portal_table_with_its_night_id(night: Night) -> None:
    assert night.result.success
    failed = [c.check_name for c in night.result.get_asset_check_evaluations() if not c.passed]
    assert failed == []
    with duckdb.connect(str(night.serving), read_only=True) as serving:
        night_id = serving.execute("SELECT night_id FROM portal_v1.publication").fetchone()
        for spec in PORTAL_TABLES:
            ids = serving.execute(f"SELECT DISTINCT night_id FROM portal_v1.{spec.name}").fetchall()
            assert ids in ([], [night_id]), spec.name
        companies = serving.execute("SELECT count(*) FROM portal_v1.companies").fetchone()
        states = serving.execute("SELECT count(*) FROM portal_v1.affiliation_states").fetchone()
        periods = serving.execute("SELECT count(*) FROM portal_v1.contribution_periods").fetchone()
    with connect(night.warehouse) as warehouse:
        expected_companies = warehouse.execute("SELECT count(*) FROM core.companies").fetchone()
        outcome = warehouse.execute("SELECT status, reason FROM publish.publications").fetchall()
    assert companies == expected_companies == (3,)
    assert states and states[0] > 0 and periods and periods[0] > 0
    assert outcome == [("publiée", None)]


def test_the_summary_says_what_the_portal_shows(night: Night) -> None:
    summary = portal_summary(night.serving)
    with duckdb.connect(str(night.serving), read_only=True) as serving:
        (contracts,) = serving.execute("SELECT count(*) FROM portal_v1.employees").fetchone()  # type: ignore[misc]
        (night_id,) = serving.execute("SELECT night_id FROM portal_v1.publication").fetchone()  # type: ignore[misc]
    assert summary.startswith("Portail : nuit du ") and night_id in summary
    assert "3 entreprise(s)" in summary and f"{contracts} contrat(s) de salariés" in summary


def test_every_declaration_gets_a_compte_rendu_with_its_status(night: Night) -> None:
    with connect(night.warehouse) as warehouse:
        declarations = dict(
            warehouse.execute(
                "SELECT file_id || ':' || declaration_id, status FROM staging.declarations"
            ).fetchall()
        )
    files = list((night.root / "comptes_rendus").rglob("*.json"))
    reports = [json.loads(path.read_text(encoding="utf-8")) for path in files]
    assert len(reports) == len(declarations)
    for report in reports:
        key = f"{report['empreinte_fichier']}:{report['declaration']}"
        assert report["statut"] == declarations[key]
        assert report["statut"] in (0, 1, 2, 3)
        assert report["statut_libelle"]


def test_the_data_docs_site_is_built_beside_the_warehouse(night: Night) -> None:
    assert (night.root / "data_docs" / "index.html").is_file()
