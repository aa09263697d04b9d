"""The Dagster definitions of the pipeline (`dagster dev -m pipelines.definitions`)."""

from __future__ import annotations

import dagster as dg

from pipelines.ingestion.assets import INGESTION_ASSETS
from pipelines.ingestion.automation import ingestion_job, landing_sensor, nightly_schedule
from pipelines.ingestion.checks import INGESTION_CHECKS
from pipelines.resources import resources_from_environment

defs = dg.Definitions(
    assets=INGESTION_ASSETS,
    asset_checks=INGESTION_CHECKS,
    jobs=[ingestion_job],
    sensors=[landing_sensor],
    schedules=[nightly_schedule],
    resources=resources_from_environment(),
)
