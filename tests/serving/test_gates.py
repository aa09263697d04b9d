"""A failed quality gate keeps yesterday's snapshot on the portal and says why."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.publish.assets import PUBLISH_ASSETS
from pipelines.publish.checks import PUBLISH_CHECKS
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


def test_a_duplicated_key_reaches_neither_the_portal_nor_the_analysts(copy: Night) -> None:
    before_id = published_night_id(copy.serving)
    with connect(copy.warehouse, read_only=False) as connection:
        connection.execute(
            "INSERT INTO core.employment_contracts SELECT * FROM core.employment_contracts LIMIT 1"
        )
    result = materialize_night(
        copy.landing, copy.warehouse, [*PUBLISH_ASSETS, *PUBLISH_CHECKS], demo=True
    )
    with connect(copy.warehouse) as connection:
        [(reason,)] = connection.execute(
            "SELECT reason FROM publish.publications ORDER BY recorded_at DESC LIMIT 1"
        ).fetchall()
    assert "employees : expect_compound_columns_to_be_unique" in reason
    assert not {"serving_snapshot", "analyst_exports_by_month"} & _materialized(result)
    assert not copy.exports.exists()  # nothing of a refused night reaches the analysts either
    assert published_night_id(copy.serving) == before_id


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
