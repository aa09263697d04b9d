from __future__ import annotations

from pathlib import Path

import dagster as dg
import yaml

from pipelines.definitions import defs
from pipelines.settings import WAREHOUSE_POOL

# The asset graph other domains and the portal build on: renaming or regrouping an asset is a
# contract change and must show up here.
EXPECTED_ASSETS = {
    "file_registry": ("ingestion", set()),
    "dsn_staging": ("ingestion", {"file_registry"}),
    "bank_staging": ("ingestion", {"file_registry"}),
    "declaration_versions": ("core", {"dsn_staging"}),
    "core_facts": ("core", {"declaration_versions"}),
    "core_dimensions": ("core", {"core_facts"}),
}


def test_the_definitions_load() -> None:
    dg.Definitions.validate_loadable(defs)


def test_every_ingestion_asset_is_listed_with_its_group_and_dependencies() -> None:
    specs = {
        spec.key.to_user_string(): spec
        for spec in defs.resolve_all_asset_specs()
        if spec.key.to_user_string() in EXPECTED_ASSETS
    }
    found = {
        key: (spec.group_name, {dep.asset_key.to_user_string() for dep in spec.deps})
        for key, spec in specs.items()
    }
    assert found == EXPECTED_ASSETS


def test_every_asset_writing_the_warehouse_is_in_the_single_writer_pool() -> None:
    job = defs.resolve_job_def("ingestion_nocturne")
    pools = {node.name: node.definition.pools for node in job.graph.node_dict.values()}
    assert set(pools) >= set(EXPECTED_ASSETS)
    assert all(pools[name] == {WAREHOUSE_POOL} for name in EXPECTED_ASSETS)


def test_sensor_and_schedule_are_off_outside_dagster_dev() -> None:
    sensor = defs.resolve_sensor_def("landing_sensor")
    schedule = defs.resolve_schedule_def("nuit_complete_planifiee")
    assert sensor.default_status is dg.DefaultSensorStatus.STOPPED
    assert schedule.default_status is dg.DefaultScheduleStatus.STOPPED
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.job_name == "nuit_complete"  # the schedule runs the whole night


def test_the_project_dagster_yaml_limits_pools_to_one_slot_and_retries_runs() -> None:
    settings = yaml.safe_load((Path(__file__).parents[2] / "dagster.yaml").read_text("utf-8"))
    assert settings["concurrency"]["pools"]["default_limit"] == 1
    assert settings["run_retries"]["enabled"] is True
    # a night refused by a gate (a failed step) is not retried, a lost run worker is
    assert settings["run_retries"]["retry_on_asset_or_op_failure"] is False
