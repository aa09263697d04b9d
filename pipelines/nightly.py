"""Every asset and check of the nightly job, in one place: `definitions.py` (Dagster) and
`dsnpipe run` (in process) both read these lists, so adding a domain is one line here. The
whole night's job and its 2 a.m. schedule are defined here too."""

import dagster as dg

from pipelines.affiliation.assets import AFFILIATION_ASSETS
from pipelines.affiliation.checks import AFFILIATION_CHECKS
from pipelines.ingestion.assets import INGESTION_ASSETS
from pipelines.ingestion.automation import runs_by_default
from pipelines.ingestion.checks import INGESTION_CHECKS
from pipelines.ledgers.assets import LEDGER_ASSETS
from pipelines.ledgers.checks import LEDGER_CHECKS
from pipelines.publish.assets import PUBLISH_ASSETS
from pipelines.publish.checks import PUBLISH_CHECKS
from pipelines.stoppages.assets import STOPPAGE_ASSETS
from pipelines.stoppages.checks import STOPPAGE_CHECKS

NIGHTLY_ASSETS = [
    *INGESTION_ASSETS,
    *AFFILIATION_ASSETS,
    *STOPPAGE_ASSETS,
    *LEDGER_ASSETS,
    *PUBLISH_ASSETS,
]
NIGHTLY_CHECKS = [
    *INGESTION_CHECKS,
    *AFFILIATION_CHECKS,
    *STOPPAGE_CHECKS,
    *LEDGER_CHECKS,
    *PUBLISH_CHECKS,
]

nightly_job = dg.define_asset_job(
    name="nuit_complete",
    selection=dg.AssetSelection.assets(*NIGHTLY_ASSETS),
    # One process for the whole run: the warehouse resource holds the night lock from the first
    # step to the last (pipelines.resources.WarehouseResource).
    executor_def=dg.in_process_executor,
    description="Toute la nuit : ingestion, affiliations, arrêts, comptes, publication.",
)

nightly_schedule = dg.ScheduleDefinition(
    name="nuit_complete_planifiee",
    job=nightly_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Europe/Paris",
    default_status=(
        dg.DefaultScheduleStatus.RUNNING if runs_by_default() else dg.DefaultScheduleStatus.STOPPED
    ),
    description="Chaque nuit à 2 h : tout le répertoire d'arrivée est rapproché du registre, "
    "puis affiliations, arrêts, comptes et publication du portail.",
)
