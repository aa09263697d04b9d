"""A failed quality gate keeps yesterday's snapshot on the portal and says why."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.publish.assets import PUBLISH_ASSETS
from pipelines.publish.checks import PUBLISH_CHECKS
from serving.data_docs_site import defer_imports
from serving.snapshot import published_night_id
from tests.serving.nights import Night, materialize_night
from warehouse.connections import connect


@pytest.fixture
def copy(night: Night, tmp_path: Path) -> Night:
    """The published night's warehouse and serving file, copied so a test may break them."""
    for name in (night.warehouse.name, night.serving.name):
        shutil.copy(night.root / name, tmp_path / name)
    return Night(
        tmp_path,
        night.landing,
        tmp_path / night.warehouse.name,
        tmp_path / night.serving.name,
        tmp_path / "exports",
        night.result,
    )


def _employees(serving: Path) -> int:
    with duckdb.connect(str(serving), read_only=True) as connection:
        row = connection.execute("SELECT count(*) FROM portal_v1.employees").fetchone()
    return int(row[0]) if row else 0


def test_a_broken_load_is_not_published_and_the_portal_keeps_last_night(copy: Night) -> None:
    before_id, before_rows = published_night_id(copy.serving), _employees(copy.serving)
    with connect(copy.warehouse, read_only=False) as connection:  # most contracts lost
        connection.execute(
            "DELETE FROM core.employment_contracts WHERE employee_key NOT IN "
            "(SELECT min(employee_key) FROM core.employment_contracts)"
        )
    result = materialize_night(copy.landing, copy.warehouse, [*PUBLISH_ASSETS, *PUBLISH_CHECKS])

    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert [e.check_name for e in failed] == ["controles_employees"]
    materialized = {
        key.to_user_string()
        for e in result.get_asset_materialization_events()
        if (key := e.asset_key) is not None
    }
    assert "portal_candidate" in materialized and "serving_snapshot" not in materialized
    assert published_night_id(copy.serving) == before_id
    assert _employees(copy.serving) == before_rows
    with connect(copy.warehouse) as connection:
        status, reason = connection.execute(
            "SELECT status, reason FROM publish.publications ORDER BY recorded_at DESC LIMIT 1"
        ).fetchone()  # type: ignore[misc]
        gate = connection.execute(
            "SELECT blocking, observed FROM publish.gate_results WHERE NOT passed"
        ).fetchall()
    assert status == "refusée"
    assert "employees" in reason and "garde la publication précédente" in reason
    assert gate == [(True, "1")]


def _materialized(result: dg.ExecuteInProcessResult) -> set[str]:
    return {
        key.to_user_string()
        for e in result.get_asset_materialization_events()
        if (key := e.asset_key) is not None
    }


def test_a_duplicated_key_holds_back_its_company_only_and_the_rest_publishes(
    copy: Night,
) -> None:
    """A key gate can be pinned on the company whose rows fail it (deliberate change: it used
    to refuse the whole night). That company's portal rows stay those of the served night, in
    every table, flagged in company_publication; the refusal is recorded; the other companies
    get tonight's rows."""
    before_id = published_night_id(copy.serving)
    with connect(copy.warehouse, read_only=False) as connection:
        [(siren,)] = connection.execute(
            "SELECT left(siret, 9) FROM core.employment_contracts ORDER BY ALL LIMIT 1"
        ).fetchall()
        connection.execute(
            "INSERT INTO core.employment_contracts "
            "SELECT * FROM core.employment_contracts ORDER BY ALL LIMIT 1"
        )
    result = materialize_night(
        copy.landing, copy.warehouse, [*PUBLISH_ASSETS, *PUBLISH_CHECKS], demo=True
    )
    assert result.success and copy.exports.exists()
    night_id = published_night_id(copy.serving)
    assert night_id is not None and night_id != before_id
    with duckdb.connect(str(copy.serving), read_only=True) as portal:
        publication = portal.execute(
            "SELECT siren, publication_status, data_night_id, refused_gates "
            "FROM portal_v1.company_publication ORDER BY siren"
        ).fetchall()
        nights = portal.execute(
            "SELECT siren = ?, night_id FROM portal_v1.employees GROUP BY ALL ORDER BY ALL",
            [siren],
        ).fetchall()
    held = [row for row in publication if row[1] == "retenue"]
    assert held == [
        (
            siren,
            "retenue",
            before_id,
            "employees : (siren, employee_key, contract_start, contract_number) unique",
        )
    ]
    assert len(publication) > 1 and all(r[2] == night_id for r in publication if r not in held)
    assert nights == [(False, night_id), (True, before_id)]
    with connect(copy.warehouse) as connection:
        recorded = connection.execute(
            "SELECT siren, data_night_id FROM publish.company_refusals WHERE night_id = ?",
            [night_id],
        ).fetchall()
    assert recorded == [(siren, before_id)]


def test_a_clean_night_replaces_the_snapshot(copy: Night) -> None:
    before_id = published_night_id(copy.serving)
    result = materialize_night(
        copy.landing, copy.warehouse, [*PUBLISH_ASSETS, *PUBLISH_CHECKS], demo=True
    )
    assert result.success
    assert {"serving_snapshot", "analyst_exports_by_month"} <= _materialized(result)
    night_id = result.asset_materializations_for_node("portal_candidate")[0].metadata["night_id"]
    assert published_night_id(copy.serving) == night_id.value != before_id
    assert not list(copy.serving.parent.glob(copy.serving.name + ".candidate*"))  # swapped in
    assert any(copy.exports.iterdir())


def test_a_deferred_module_is_imported_at_its_first_use_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # How the gates keep GX's import from importing what no gate uses (altair, scipy.stats).
    probe = "import sys\nsys.probe_imported = True\nVALUE = 42\n"
    (tmp_path / "deferred_probe.py").write_text(probe)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "deferred_probe", raising=False)
    monkeypatch.setattr(sys, "probe_imported", False, raising=False)

    defer_imports(("deferred_probe",))
    import deferred_probe

    assert not sys.probe_imported  # type: ignore[attr-defined]
    assert deferred_probe.VALUE == 42
    assert sys.probe_imported  # type: ignore[attr-defined]
    assert sys.modules["deferred_probe"].VALUE == 42
    assert sys.modules["deferred_probe"] is not deferred_probe  # the module itself now
    del sys.modules["deferred_probe"]
