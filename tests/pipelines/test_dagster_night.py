"""The whole night through Dagster itself (the job the schedule launches), not through
`dsnpipe run`: the run carries the night as a tag, an operator's tag decides the night, and the
portal gets the night's publication."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from pipelines.nightly import NIGHTLY_ASSETS, NIGHTLY_CHECKS, nightly_job
from pipelines.resources import ACCEPTED_DROPS_TAG, NIGHT_TAG, pipeline_resources
from pipelines.settings import Settings
from serving.snapshot import published_night_id
from synthetic import generate


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    landing = tmp_path_factory.mktemp("dagster-night") / "landing"
    generate(landing, companies=2, employees=12, months=3)
    return landing


def execute(
    landing: Path,
    warehouse: Path,
    tags: dict[str, str] | None = None,
    instance: dg.DagsterInstance | None = None,
) -> dg.ExecuteInProcessResult:
    defs = dg.Definitions(
        assets=NIGHTLY_ASSETS,
        asset_checks=NIGHTLY_CHECKS,
        jobs=[nightly_job],
        resources=pipeline_resources(Settings(landing, warehouse, warehouse.parent / "quarantine")),
    )
    return defs.resolve_job_def("nuit_complete").execute_in_process(
        instance=instance or dg.DagsterInstance.ephemeral(), tags=tags, raise_on_error=False
    )


def test_the_nightly_job_tags_its_night_and_publishes_it(landing: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "entrepot.duckdb"
    result = execute(landing, warehouse)
    assert result.success
    night = date.fromisoformat(result.dagster_run.tags[NIGHT_TAG])
    assert night.day == 15  # the due date of the latest declared month, not today
    served = published_night_id(tmp_path / "serving.duckdb")
    assert served is not None and served.startswith(night.isoformat())


def test_an_operator_sets_the_night_with_the_run_tag(landing: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "entrepot.duckdb"
    result = execute(landing, warehouse, tags={NIGHT_TAG: "2031-02-03"})
    assert result.success
    served = published_night_id(tmp_path / "serving.duckdb")
    assert served is not None and served.startswith("2031-02-03")


def test_a_malformed_night_tag_fails_the_run_in_french(landing: Path, tmp_path: Path) -> None:
    result = execute(landing, tmp_path / "entrepot.duckdb", tags={NIGHT_TAG: "03/02/2031"})
    assert not result.success
    failures = [e for e in result.all_events if e.is_step_failure]
    assert failures
    assert any("Étiquette dsnpipe/night invalide" in str(e.event_specific_data) for e in failures)


def test_an_accepted_drop_tag_added_at_launch_is_said_and_an_unknown_table_warned(
    landing: Path, tmp_path: Path
) -> None:
    # What an operator types in the launchpad's tags: a portal table and a misspelt one.
    instance = dg.DagsterInstance.ephemeral()
    tags = {ACCEPTED_DROPS_TAG: "companies, affiliation_etats"}
    result = execute(landing, tmp_path / "entrepot.duckdb", tags, instance)
    assert result.success
    said = [e.user_message for e in instance.all_logs(result.run_id)]
    assert any(m.startswith("Volume de companies accepté sans borne cette nuit") for m in said)
    assert not any(m.startswith("Volume de affiliation_etats") for m in said)
    assert any("« affiliation_etats » n'est pas une table du portail" in m for m in said)
