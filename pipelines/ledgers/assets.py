"""The nightly ledger asset: a thin call into `warehouse.ledgers`, which reads the core model and
the bank staging, computes the ledgers with `ledgers.ledger.build_ledger` and writes `ledger.*`.
It writes the warehouse, so it is in the `warehouse_writer` pool like the ingestion assets."""

import dagster as dg

from pipelines.ingestion.assets import WAREHOUSE_POOL, bank_staging, core_dimensions, core_facts
from pipelines.resources import LandingResource, NightResource, WarehouseResource
from warehouse.ledgers import refresh_ledgers

REFERENCE_DIR = "reference"  # contract parameters, collection accounts: in the landing


@dg.asset(
    group_name="ledgers",
    deps=[core_facts, core_dimensions, bank_staging],
    pool=WAREHOUSE_POOL,
    kinds={"duckdb", "polars"},
    description="Comptes de cotisations : appels par entreprise, contrat, population et période "
    "(échéance, date de visibilité sur le portail), lettrage des mouvements bancaires avec sa "
    "règle et son score, crédits non affectés, soldes, relances et mises en demeure, lignes de "
    "la situation de compte. Recalculés en entier chaque nuit.",
)
def contribution_ledgers(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    landing: LandingResource,
    night: NightResource,
) -> dg.MaterializeResult:
    with warehouse.connect() as connection:
        # Dunning stages as of the night, not the wall clock: re-running a night is identical.
        as_of = night.night_date(connection)
        refresh = refresh_ledgers(connection, landing.landing / REFERENCE_DIR, as_of)
    for name, reason in refresh.rejected_reference_files:
        context.log.warning(f"Référentiel ignoré : {name} ({reason})")
    return dg.MaterializeResult(
        metadata={
            "contracts": refresh.contracts,
            "rejected_reference_entries": len(refresh.rejected_reference_files),
            **{f"rows_{table}": rows for table, rows in refresh.rows.items()},
        }
    )


LEDGER_ASSETS = [contribution_ledgers]
