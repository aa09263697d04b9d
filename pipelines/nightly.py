"""Every asset and check of the nightly job, in one place: `definitions.py` (Dagster) and
`dsnpipe run` (in process) both read these lists, so adding a domain is one line here. The
whole night's job and its 2 a.m. schedule are defined here too."""

from datetime import timedelta

import dagster as dg

from pipelines.affiliation.assets import AFFILIATION_ASSETS
from pipelines.affiliation.checks import AFFILIATION_CHECKS
from pipelines.code_versions import CODE_VERSIONS
from pipelines.ingestion.assets import INGESTION_ASSETS
from pipelines.ingestion.automation import runs_by_default
from pipelines.ingestion.checks import INGESTION_CHECKS
from pipelines.ledgers.assets import LEDGER_ASSETS
from pipelines.ledgers.checks import LEDGER_CHECKS
from pipelines.publish.assets import PUBLISH_ASSETS
from pipelines.publish.checks import PUBLISH_CHECKS
from pipelines.stoppages.assets import STOPPAGE_ASSETS
from pipelines.stoppages.checks import STOPPAGE_CHECKS
from pipelines.tables import DOMAIN_TABLES
from serving.tables import PORTAL_TABLES
from warehouse.reference_tables import REFERENCE_TABLES
from warehouse.schema import Table
from warehouse.tables import WAREHOUSE_TABLES

# Who answers for each group's assets (Dagster shows them in the catalog).
_OWNERS = {
    "ingestion": "team:integration",
    "core": "team:integration",
    "affiliation": "team:gestion-affiliations",
    "stoppages": "team:prevoyance-sinistres",
    "ledgers": "team:cotisations",
    "publish": "team:portail",
}
# The portal must show a new night every night: one missed night is visible in the catalog.
SERVING_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(hours=30), warn_window=timedelta(hours=26)
)


# The table each asset is best known by: its column schema, from the table's one declaration,
# is shown with the asset (the other tables it writes are in `docs/` and the warehouse comments).
_MAIN_TABLE = {
    "file_registry": "registry.files",
    "reference_data": "reference.oc_contracts",
    "declaration_versions": "core.declaration_versions",
    "core_facts": "core.employee_months",
    "core_dimensions": "core.employees",
    "affiliation_register": "core.affiliation_states",
    "stoppage_results": "stoppage.episodes",
    "contribution_ledgers": "ledger.balances",
    "portal_candidate": "portal_v1.contribution_periods",
    "serving_snapshot": "portal_v1.contribution_periods",
}
_DECLARED = {
    t.qualified_name: t
    for t in (*WAREHOUSE_TABLES, *REFERENCE_TABLES, *DOMAIN_TABLES, *PORTAL_TABLES)
}


def column_schema(table: Table) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(c.name, c.type, description=c.comment, constraints=None)
            for c in table.columns
        ]
    )


def _catalogued(spec: dg.AssetSpec) -> dg.AssetSpec:
    group = spec.group_name or ""
    owner = _OWNERS[group]
    key = spec.key.to_user_string()
    freshness = SERVING_FRESHNESS if key == "serving_snapshot" else None
    metadata = dict(spec.metadata)
    if key in _MAIN_TABLE:
        table = _DECLARED[_MAIN_TABLE[key]]
        metadata["dagster/column_schema"] = column_schema(table)
        metadata["dagster/table_name"] = table.qualified_name
    return spec.replace_attributes(
        owners=[owner],
        code_version=CODE_VERSIONS[group],
        freshness_policy=freshness,
        metadata=metadata,
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
