"""One Dagster night from landing files to the published portal, the comptes rendus and the
analyst exports."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from pipelines.ingestion.assets import INGESTION_ASSETS
from pipelines.ingestion.checks import INGESTION_CHECKS
from pipelines.ledgers.assets import LEDGER_ASSETS
from pipelines.publish.assets import PUBLISH_ASSETS
from pipelines.publish.checks import PUBLISH_CHECKS
from serving.night import portal_summary
from serving.tables import PORTAL_TABLES
from synthetic import generate
from tests.serving.nights import Night, materialize_night
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


def test_switching_the_data_docs_off_retires_the_site_of_earlier_nights(
    tmp_path: Path,
) -> None:
    # A steward opening data_docs/index.html after the switch must not read an earlier night's
    # verdict as the last one: the site gives way to one page saying it is off, and where the
    # verdicts are.
    landing, warehouse = tmp_path / "landing", tmp_path / "entrepot.duckdb"
    generate(landing, companies=2, employees=6, months=2)
    assets = [
        *INGESTION_ASSETS,
        *INGESTION_CHECKS,
        *LEDGER_ASSETS,
        *PUBLISH_ASSETS,
        *PUBLISH_CHECKS,
    ]
    site = tmp_path / "data_docs"
    assert materialize_night(landing, warehouse, assets, demo=True).success
    built = (site / "index.html").read_text(encoding="utf-8")
    assert "désactivées" not in built and any(site.rglob("validations/**/*.html"))

    off = materialize_night(landing, warehouse, assets, demo=True, data_docs=False)

    assert off.success
    page = (site / "index.html").read_text(encoding="utf-8")
    assert "Data Docs des contrôles désactivées" in page and "DSNPIPE_DATA_DOCS=0" in page
    assert sorted(p.name for p in site.iterdir()) == ["index.html"]
    with connect(warehouse) as connection:
        [(night_id, night)] = connection.execute(
            "SELECT night_id, night FROM publish.publications ORDER BY recorded_at DESC LIMIT 1"
        ).fetchall()
        verdicts = connection.execute(
            "SELECT count(*) FROM publish.gate_results WHERE night_id = ?", [night_id]
        ).fetchone()
    assert night.strftime("%d/%m/%Y") in page
    assert verdicts is not None and verdicts[0] > 0  # the verdict the page points to
    links = [
        key
        for check in off.get_asset_check_evaluations()
        for key in check.metadata
        if key == "data_docs"
    ]
    assert links == []  # no check links to a site that is not tonight's
