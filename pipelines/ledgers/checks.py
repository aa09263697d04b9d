"""Blocking checks of the ledgers, on the tables as written: the two identities of
`ledgers.balances` must hold to the cent before anything is published."""

import dagster as dg
import polars as pl

from ledgers.store import ledger_identity_breaks
from pipelines.ledgers.assets import contribution_ledgers
from pipelines.resources import WarehouseResource
from pipelines.settings import WAREHOUSE_POOL
from warehouse.connections import connect


def _result(breaks: pl.DataFrame, key: str) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=breaks.is_empty(),
        metadata={
            "breaks": breaks.height,
            "total_gap": str(breaks["gap"].sum()) if breaks.height else "0.00",
            "examples": ", ".join(str(k) for k in breaks[key].head(5).to_list())
            if breaks.height
            else "",
        },
    )


@dg.asset_check(
    asset=contribution_ledgers,
    blocking=True,
    pool=WAREHOUSE_POOL,
    description="Par entreprise : appels − paiements affectés = solde, au centime près.",
)
def company_identity_breaks(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with connect(warehouse.path, read_only=True) as connection:
        breaks = ledger_identity_breaks(connection)["entreprise"]
    return _result(breaks, "siren")


@dg.asset_check(
    asset=contribution_ledgers,
    blocking=True,
    pool=WAREHOUSE_POOL,
    description="Par mouvement et au total : Σ mouvements bancaires = Σ affecté + Σ non affecté "
    "(compte d'attente compris), au centime près.",
)
def bank_identity_breaks(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with connect(warehouse.path, read_only=True) as connection:
        breaks = ledger_identity_breaks(connection)["banque"]
    return _result(breaks, "movement_id")


LEDGER_CHECKS = [company_identity_breaks, bank_identity_breaks]
