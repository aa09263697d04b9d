"""The stoppage asset: a thin call into `quality.stoppages`, results written by its store."""

import dagster as dg

from pipelines.ingestion.assets import core_dimensions, reference_data
from pipelines.resources import NightResource, WarehouseResource
from pipelines.settings import WAREHOUSE_POOL
from quality.stoppages.pipeline import build_from_warehouse
from quality.stoppages.store import store_results
from warehouse.connections import transaction


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
        results = build_from_warehouse(connection)
        with transaction(connection):
            stored = store_results(connection, results, day)
    return dg.MaterializeResult(
        metadata={
            "night": day.isoformat(),
            "as_of": str(results.as_of),
            "episodes": stored.episodes,
            "dagster/row_count": stored.episodes,
            "episodes_in_progress": stored.episodes_in_progress,
            "signals": stored.signals,
            "signals_new": stored.new_signals,
            "claims": results.claims.height,
        }
    )


STOPPAGE_ASSETS = [stoppage_results]
