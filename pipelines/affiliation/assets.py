"""The affiliation assets: thin calls into `quality.affiliation` and `quality.report`."""

from pathlib import Path

import dagster as dg

from pipelines.code_versions import CODE_VERSIONS
from pipelines.ingestion.assets import core_dimensions, reference_data
from pipelines.resources import NightResource, WarehouseResource
from pipelines.settings import WAREHOUSE_POOL
from quality.affiliation.night import run_affiliation_night
from quality.report import write_steward_report
from warehouse.changes import changed_since, record_progress
from warehouse.connections import transaction

AFFILIATION_STAGE = "affiliations"  # its watermark in core.stage_progress


@dg.asset(
    group_name="affiliation",
    deps=[core_dimensions, reference_data],
    pool=WAREHOUSE_POOL,
    kinds={"duckdb", "polars"},
    description="Registre des anomalies d'affiliation (décisions des gestionnaires appliquées "
    "d'abord, puis détections de la nuit) et états d'affiliation par salarié et contrat.",
)
def affiliation_register(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    night: NightResource,
) -> dg.MaterializeResult:
    with warehouse.connect() as connection:
        day = night.night_of_run(context, connection)
        with transaction(connection):
            version = CODE_VERSIONS["affiliation"]
            changed = changed_since(connection, AFFILIATION_STAGE, version)
            result = run_affiliation_night(
                connection, day, Path(night.decisions_dir), changed=changed
            )
            record_progress(connection, AFFILIATION_STAGE, changed, day, version)
    refresh = result.anomalies.night
    context.log.info(f"Nuit du {day:%d/%m/%Y} : {refresh.new} nouvelle(s) anomalie(s)")
    return dg.MaterializeResult(
        metadata={
            "night": day.isoformat(),
            "companies_recomputed": "toutes" if result.companies is None else str(result.companies),
            "employees_recomputed": result.employees,
            "states": result.states,
            "dagster/row_count": result.states,
            "anomalies_detected": refresh.detected,
            "anomalies_new": refresh.new,
            "anomalies_reopened": refresh.reopened,
            "anomalies_resolved_by_data": refresh.resolved_by_data,
        }
    )


@dg.asset(
    group_name="affiliation",
    deps=[affiliation_register],
    pool=WAREHOUSE_POOL,
    kinds={"html", "excel"},
    description="Rapport des gestionnaires (page HTML autonome et classeur Excel des anomalies "
    "ouvertes), dans le répertoire des rapports à côté de l'entrepôt.",
)
def steward_report(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, night: NightResource
) -> dg.MaterializeResult:
    with warehouse.connect() as connection:
        day = night.night_of_run(context, connection)
        files = write_steward_report(connection, day, Path(night.reports_dir))
    return dg.MaterializeResult(
        metadata={"html": dg.MetadataValue.path(str(files.html)), "excel": str(files.excel)}
    )


AFFILIATION_ASSETS = [affiliation_register, steward_report]
