"""The stoppage asset: a thin call into `quality.stoppages`, results written by `store`."""

from pathlib import Path

import dagster as dg
from pydantic import ValidationError

from pipelines.ingestion.assets import WAREHOUSE_POOL, core_dimensions
from pipelines.resources import LandingResource, NightResource, WarehouseResource
from pipelines.stoppages.store import store_results
from quality.affiliation.inputs import PMSS_FILE
from quality.stoppages.pipeline import build_from_warehouse
from quality.stoppages.terms import ProvidentTerms, load_terms
from warehouse.connections import transaction


def provident_terms(reference_dir: Path) -> tuple[list[ProvidentTerms], list[str]]:
    """The provident terms of the contract parameter files, and the files that could not be read
    (the affiliation domain records their lines in `portal.rejects`)."""
    terms, unreadable = [], []
    for path in sorted(reference_dir.glob("*.json")) if reference_dir.is_dir() else []:
        if path.name == PMSS_FILE:
            continue
        try:
            terms += load_terms([path])
        except (ValidationError, OSError):
            unreadable.append(path.name)
    return terms, unreadable


@dg.asset(
    group_name="stoppages",
    deps=[core_dimensions],
    pool=WAREHOUSE_POOL,
    kinds={"duckdb", "polars"},
    description="Épisodes d'arrêt de travail (prolongations, reprises, annulations), "
    "invalidité et décès, signaux prévoyance et déclarations de sinistre pré-remplies.",
)
def stoppage_results(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    landing: LandingResource,
    night: NightResource,
) -> dg.MaterializeResult:
    terms, unreadable = provident_terms(landing.landing / "reference")
    if unreadable:
        context.log.warning(f"Fiches de paramétrage illisibles : {', '.join(unreadable)}")
    with warehouse.connect() as connection:
        day = night.night_date(connection)
        results = build_from_warehouse(connection, terms)
        with transaction(connection):
            stored = store_results(connection, results, day)
    return dg.MaterializeResult(
        metadata={
            "night": day.isoformat(),
            "as_of": str(results.as_of),
            "episodes": stored.episodes,
            "episodes_in_progress": stored.episodes_in_progress,
            "signals": stored.signals,
            "signals_new": stored.new_signals,
            "claims": results.claims.height,
            "unreadable_parameter_files": len(unreadable),
        }
    )


STOPPAGE_ASSETS = [stoppage_results]
