"""The Dagster definitions of the pipeline (`dg dev`; `dagster-webserver -m pipelines.definitions`
in production)."""

from __future__ import annotations

import dagster as dg

from pipelines.ingestion.automation import ingestion_job, landing_sensor
from pipelines.nightly import NIGHTLY_ASSETS, NIGHTLY_CHECKS, nightly_job, nightly_schedule
from pipelines.resources import pipeline_resources
from pipelines.settings import Settings, restrict_file_modes

# The code location's process writes the warehouse and its outputs: owner-only from the start.
restrict_file_modes()

defs = dg.Definitions(
    assets=NIGHTLY_ASSETS,
    asset_checks=NIGHTLY_CHECKS,
    jobs=[ingestion_job, nightly_job],
    sensors=[landing_sensor],
    schedules=[nightly_schedule],
    resources=pipeline_resources(Settings.from_environment()),
)
