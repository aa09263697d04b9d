"""When ingestion runs: a sensor on the landing directory loads files as they arrive (the
nightly schedule of the whole night lives in `pipelines.nightly`).

Both are stopped by default (tests, production until an operator starts them) and running under
`dagster dev`, where a developer expects files dropped in the landing directory to be picked up.
"""

import dagster as dg
from dagster._utils.env import using_dagster_dev

from pipelines.ingestion.assets import INGESTION_ASSETS
from pipelines.resources import LandingResource
from warehouse import registry

ingestion_job = dg.define_asset_job(
    name="ingestion_nocturne",
    selection=dg.AssetSelection.assets(*INGESTION_ASSETS),
    # One process for the whole run: the warehouse resource holds the night lock from the first
    # step to the last (pipelines.resources.WarehouseResource).
    executor_def=dg.in_process_executor,
    description="Enregistrer les fichiers arrivés, les charger en staging, recalculer le modèle.",
)


def runs_by_default() -> bool:
    return using_dagster_dev()


@dg.sensor(
    job=ingestion_job,
    minimum_interval_seconds=30,
    default_status=(
        dg.DefaultSensorStatus.RUNNING if runs_by_default() else dg.DefaultSensorStatus.STOPPED
    ),
    description="Un fichier arrivé (contenu nouveau) déclenche l'ingestion ; un contenu déjà vu, "
    "même renommé, ne déclenche rien.",
)
def landing_sensor(
    context: dg.SensorEvaluationContext, landing: LandingResource
) -> dg.SensorResult | dg.SkipReason:
    # The cursor is the largest modification time seen, never the wall clock. A file copied in
    # with an older mtime (or the very same one) is not seen here: the nightly schedule scans the
    # whole landing directory and catches it.
    since = float(context.cursor) if context.cursor else float("-inf")
    arrived = [f for f in registry.scan_landing(landing.landing) if f.mtime > since]
    if not arrived:
        return dg.SkipReason("Aucun nouveau fichier dans le répertoire d'arrivée.")
    requests: dict[str, dg.RunRequest] = {}
    for landing_file in arrived:
        file_id = registry.content_hash(landing_file.path)
        # Keyed on content: Dagster launches one run per key, ever, so a re-delivery is a no-op.
        requests.setdefault(
            file_id,
            dg.RunRequest(
                run_key=file_id, tags={"dsnpipe/landing_path": landing_file.landing_path}
            ),
        )
    return dg.SensorResult(
        run_requests=list(requests.values()),
        cursor=str(max(f.mtime for f in arrived)),
    )


__all__ = ["ingestion_job", "landing_sensor", "runs_by_default"]
