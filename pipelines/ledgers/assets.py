"""The nightly ledger asset: a thin call into `ledgers.store`, which reads the core model, the
bank staging and the contracts' parameters, recomputes the ledgers of the companies changed since
its last night (`warehouse.changes`) and of those a bank movement links to them, and writes
`ledger.*`. It writes the warehouse, so it is in the `warehouse_writer` pool like the ingestion
assets."""

import dagster as dg

from ledgers.store import (
    LEDGER_MEMORY_LIMIT,
    cycle_collector_paused,
    ledger_scope,
    refresh_ledgers,
)
from pipelines.code_versions import CODE_VERSIONS
from pipelines.ingestion.assets import (
    bank_staging,
    core_dimensions,
    core_facts,
    reference_data,
)
from pipelines.resources import NightResource, WarehouseResource
from pipelines.settings import WAREHOUSE_POOL
from warehouse.connections import memory_held_to


@dg.asset(
    group_name="ledgers",
    deps=[core_facts, core_dimensions, bank_staging, reference_data],
    pool=WAREHOUSE_POOL,
    kinds={"duckdb", "polars"},
    description="Comptes de cotisations : appels par entreprise, contrat, population et période "
    "(échéance, date de visibilité sur le portail), lettrage des mouvements bancaires avec sa "
    "règle et son score, crédits non affectés, soldes, relances et mises en demeure, lignes de "
    "la situation de compte. Recalculés pour les entreprises touchées par la nuit (déclarations, "
    "référentiels, mouvements bancaires) ; relances et totaux recalculés pour toutes.",
)
def contribution_ledgers(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, night: NightResource
) -> dg.MaterializeResult:
    with (
        warehouse.connect() as connection,
        memory_held_to(connection, LEDGER_MEMORY_LIMIT),
        cycle_collector_paused(),
    ):
        # Dunning stages as of the night, not the wall clock: re-running a night is identical.
        as_of = night.night_of_run(context, connection)
        tonight = ledger_scope(connection, CODE_VERSIONS["ledgers"])
        refresh = refresh_ledgers(connection, as_of, tonight)
    for contract, reason in refresh.rejected_accounts:
        context.log.warning(f"Compte ignoré : {contract} ({reason})")
    return dg.MaterializeResult(
        metadata={
            "contracts": refresh.contracts,
            "dagster/row_count": refresh.rows["balances"],
            "rejected_accounts": len(refresh.rejected_accounts),
            "companies_recomputed": "toutes"
            if refresh.companies is None
            else str(refresh.companies),
            "movements_identified": "tous"
            if refresh.identified is None
            else str(refresh.identified),
            **{f"rows_{table}": rows for table, rows in refresh.rows.items()},
        }
    )


LEDGER_ASSETS = [contribution_ledgers]
