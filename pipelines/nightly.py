"""Every asset and check of the nightly job, in one place: `definitions.py` (Dagster) and
`dsnpipe run` (in process) both read these lists, so adding a domain is one line here. The
whole night's job and its 2 a.m. schedule are defined here too."""

import hashlib
from datetime import timedelta
from pathlib import Path

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

# Who answers for each group's assets (Dagster shows them in the catalog) and the code that
# computes them: a change there changes the assets' code version, so Dagster marks them stale.
_GROUPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "ingestion": ("team:integration", ("dsn_parser", "payment_files", "contracts", "warehouse")),
    "core": ("team:integration", ("warehouse",)),
    "affiliation": ("team:gestion-affiliations", ("quality/affiliation", "quality/anomalies")),
    "stoppages": ("team:prevoyance-sinistres", ("quality/stoppages",)),
    "ledgers": ("team:cotisations", ("ledgers",)),
    "publish": ("team:portail", ("serving",)),
}
_ROOT = Path(__file__).resolve().parents[1]
# The portal must show a new night every night: one missed night is visible in the catalog.
SERVING_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(hours=30), warn_window=timedelta(hours=26)
)


def _code_version(packages: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for package in packages:
        for path in sorted((_ROOT / package).rglob("*")):
            if path.suffix in {".py", ".sql"}:
                digest.update(path.relative_to(_ROOT).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


_CODE_VERSIONS = {group: _code_version(packages) for group, (_, packages) in _GROUPS.items()}


def _catalogued(spec: dg.AssetSpec) -> dg.AssetSpec:
    group = spec.group_name or ""
    owner, _ = _GROUPS[group]
    freshness = SERVING_FRESHNESS if spec.key.to_user_string() == "serving_snapshot" else None
    return spec.replace_attributes(
        owners=[owner], code_version=_CODE_VERSIONS[group], freshness_policy=freshness
    )


NIGHTLY_ASSETS = dg.map_asset_specs(
    _catalogued,
    [*INGESTION_ASSETS, *AFFILIATION_ASSETS, *STOPPAGE_ASSETS, *LEDGER_ASSETS, *PUBLISH_ASSETS],
)
NIGHTLY_CHECKS = [
    *INGESTION_CHECKS,
    *AFFILIATION_CHECKS,
    *STOPPAGE_CHECKS,
    *LEDGER_CHECKS,
    *PUBLISH_CHECKS,
]

# In process, like the ingestion job: every step writes the warehouse through the one-slot pool,
# so they run one after another whatever the executor; a process per step only added minutes,
# and would hold the night lock step by step instead of for the whole run.
nightly_job = dg.define_asset_job(
    name="nuit_complete",
    selection=dg.AssetSelection.assets(*NIGHTLY_ASSETS),
    description="Toute la nuit : ingestion, affiliations, arrêts, comptes, publication.",
    executor_def=dg.in_process_executor,
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
