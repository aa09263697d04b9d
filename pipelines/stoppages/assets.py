"""The stoppage asset: a thin call into `quality.stoppages`, results written by its store."""

import dagster as dg

from pipelines.code_versions import CODE_VERSIONS
from pipelines.ingestion.assets import core_dimensions, reference_data
from pipelines.resources import NightResource, WarehouseResource
from pipelines.settings import WAREHOUSE_POOL
from quality.stoppages.night import run_stoppage_night
from warehouse.changes import changed_since, record_progress
from warehouse.connections import transaction

STOPPAGE_STAGE = "stoppages"  # its watermark in core.stage_progress


@dg.asset(
    group_name="stoppages",
    deps=[core_dimensions, reference_data],
    pool=WAREHOUSE_POOL,
    kinds={"duckdb", "polars"},
    description="Épisodes d'arrêt de travail (prolongations, reprises, annulations), "
    "invalidité et décès, signaux prévoyance et déclarations de sinistre pré-remplies.",
)
def stoppage_results(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, night: NightResource
) -> dg.MaterializeResult:
    with warehouse.connect() as connection:
        day = night.night_of_run(context, connection)
        with transaction(connection):
            version = CODE_VERSIONS["stoppages"]
            changed = changed_since(connection, STOPPAGE_STAGE, version)
            run = run_stoppage_night(connection, day, changed)
            record_progress(connection, STOPPAGE_STAGE, changed, day, version)
    stored = run.stored
    return dg.MaterializeResult(
        metadata={
            "night": day.isoformat(),
            "as_of": str(run.as_of),
            "episodes": stored.episodes,
            "dagster/row_count": stored.episodes,
            "episodes_in_progress": stored.episodes_in_progress,
            "signals": stored.signals,
            "signals_new": stored.new_signals,
            "claims": stored.claims,
            "companies_recomputed": "toutes" if run.companies is None else str(run.companies),
            "employees_recomputed": run.employees,
        }
    )


STOPPAGE_ASSETS = [stoppage_results]
