"""Blocking checks of the ledgers, on the tables as written: the two identities of
`ledgers.balances` must hold to the cent before anything is published; and whether the night
had its reference files (a warning, or a refusal when the night requires them)."""

import dagster as dg
import polars as pl

from ledgers.store import ledger_identity_breaks
from pipelines.ledgers.assets import contribution_ledgers
from pipelines.publish.resources import PublishResource
from pipelines.resources import NightResource, WarehouseResource
from pipelines.settings import WAREHOUSE_POOL
from serving.pseudonym import missing_key_warning
from warehouse.connections import connect
from warehouse.reference import contracts_without_parameters, reference_warnings


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
        breaks = ledger_identity_breaks(connection, ["entreprise"])["entreprise"]
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
        breaks = ledger_identity_breaks(connection, ["banque"])["banque"]
    return _result(breaks, "movement_id")


@dg.asset_check(
    asset=contribution_ledgers,
    blocking=True,
    pool=WAREHOUSE_POOL,
    description="Référentiels de la nuit : contrats déclarés (S21.G00.15) sans fiche de "
    "paramétrage, clé de pseudonymisation absente. Avertissement (la publication continue, "
    "résultats provisoires), ou refus de la publication quand la nuit exige ses référentiels "
    "(--exiger-referentiels, DSNPIPE_REQUIRE_REFERENCE=1).",
)
def reference_files_present(
    warehouse: WarehouseResource, night: NightResource, publish: PublishResource
) -> dg.AssetCheckResult:
    with connect(warehouse.path, read_only=True) as connection:
        missing = contracts_without_parameters(connection)
        warnings = reference_warnings(connection)
    key_missing = not publish.pseudonym_secret() and publish.demo_key is None
    if key_missing:
        warnings.append(missing_key_warning(publish.pseudonym_key_variable))
    return dg.AssetCheckResult(
        passed=not warnings,
        severity=dg.AssetCheckSeverity.ERROR
        if night.require_reference
        else dg.AssetCheckSeverity.WARN,
        metadata={
            "contracts_without_parameters": ", ".join(missing),
            "pseudonym_key": not key_missing,
            "details": "; ".join(warnings),
        },
    )


LEDGER_CHECKS = [company_identity_breaks, bank_identity_breaks, reference_files_present]
