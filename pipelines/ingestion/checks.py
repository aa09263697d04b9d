"""Blocking checks of the ingestion: nothing silently dropped, one version in force per group."""

from pathlib import Path

import dagster as dg

from pipelines.ingestion.assets import (
    bank_staging,
    declaration_versions,
    dsn_staging,
)
from pipelines.resources import LandingResource, WarehouseResource
from pipelines.settings import WAREHOUSE_POOL
from warehouse import registry
from warehouse.connections import connect


@dg.asset_check(
    asset=dsn_staging,
    additional_deps=[bank_staging],
    blocking=True,
    pool=WAREHOUSE_POOL,
    description="Chaque fichier du répertoire d'arrivée est au registre avec un statut final.",
)
def every_landing_file_accounted_for(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource, landing: LandingResource
) -> dg.AssetCheckResult:
    with connect(warehouse.path, read_only=True) as connection:
        recorded = dict(
            connection.execute(
                "SELECT landing_path, status FROM registry.landing_status"
            ).fetchall()
        )
    # The listing alone: the registry's scan of this night took every file's size and time.
    on_disk = registry.landing_paths(landing.landing)
    # A file arriving while the run works is the next run's: only files already there when the
    # run started must be accounted for (the time asked of the unaccounted files alone).
    run_started = context.instance.get_run_stats(context.run.run_id).start_time or float("inf")
    unaccounted = [
        path
        for path in on_disk
        if recorded.get(path) not in registry.TERMINAL_STATUSES
        and _modified_before(landing.landing / path, run_started)
    ]
    missing = [path for path in unaccounted if path not in recorded]
    not_final = [path for path in unaccounted if path in recorded]
    return dg.AssetCheckResult(
        passed=not missing and not not_final,
        metadata={
            "files_in_landing": len(on_disk),
            "missing_from_registry": len(missing),
            "without_final_status": len(not_final),
            "examples": ", ".join((missing + not_final)[:5]),
        },
    )


def _modified_before(path: Path, moment: float) -> bool:
    try:
        return path.stat(follow_symlinks=False).st_mtime < moment
    except FileNotFoundError:  # gone since the listing: nothing to account for
        return False


@dg.asset_check(
    asset=declaration_versions,
    blocking=True,
    pool=WAREHOUSE_POOL,
    description="Au plus une déclaration en vigueur par SIRET, mois, fraction et nature "
    "(DSN mensuelles).",
)
def one_monthly_declaration_in_force(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with connect(warehouse.path, read_only=True) as connection:
        row = connection.execute(
            """
            SELECT count(*) FROM (
                SELECT siret, month, fraction, nature
                FROM core.declarations_in_force
                WHERE nature = '01' AND month IS NOT NULL
                GROUP BY ALL HAVING count(*) > 1
            )
            """
        ).fetchone()
    conflicts = int(row[0]) if row else 0
    return dg.AssetCheckResult(passed=conflicts == 0, metadata={"conflicting_groups": conflicts})


INGESTION_CHECKS = [every_landing_file_accounted_for, one_monthly_declaration_in_force]
