"""Blocking checks of the ledgers, on the tables as written: the two identities of
`ledgers.balances` must hold to the cent before anything is published; and whether the night
had its reference files (a warning, or a refusal when the night requires them)."""

from collections.abc import Iterator

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


def _result(check_name: str, breaks: pl.DataFrame, key: str) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=check_name,
        passed=breaks.is_empty(),
        metadata={
            "breaks": breaks.height,
            "total_gap": str(breaks["gap"].sum()) if breaks.height else "0.00",
            "examples": ", ".join(str(k) for k in breaks[key].head(5).to_list())
            if breaks.height
            else "",
        },
    )


_REFERENCE_DESCRIPTION = (
    "Référentiels de la nuit : contrats déclarés (S21.G00.15) sans fiche de paramétrage, clé "
    "de pseudonymisation absente. Avertissement (la publication continue, résultats "
    "provisoires), ou refus de la publication quand la nuit exige ses référentiels "
    "(--exiger-referentiels, DSNPIPE_REQUIRE_REFERENCE=1)."
)


# The three checks in one step on one connection: each step of Dagster's and each opening of
# the warehouse cost about 0.1 s a night on their own (the checks' queries take 0.01–0.04 s).
@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            "company_identity_breaks",
            asset=contribution_ledgers,
            blocking=True,
            description="Par entreprise : appels − paiements affectés = solde, au centime près.",
        ),
        dg.AssetCheckSpec(
            "bank_identity_breaks",
            asset=contribution_ledgers,
            blocking=True,
            description="Par mouvement et au total : Σ mouvements bancaires = Σ affecté + "
            "Σ non affecté (compte d'attente compris), au centime près.",
        ),
        dg.AssetCheckSpec(
            "reference_files_present",
            asset=contribution_ledgers,
            blocking=True,
            description=_REFERENCE_DESCRIPTION,
        ),
    ],
    pool=WAREHOUSE_POOL,
)
def ledger_checks(
    warehouse: WarehouseResource, night: NightResource, publish: PublishResource
) -> Iterator[dg.AssetCheckResult]:
    with connect(warehouse.path, read_only=True) as connection:
        breaks = ledger_identity_breaks(connection, ["entreprise", "banque"])
        missing = contracts_without_parameters(connection)
        warnings = reference_warnings(connection)
    yield _result("company_identity_breaks", breaks["entreprise"], "siren")
    yield _result("bank_identity_breaks", breaks["banque"], "movement_id")
    key_missing = not publish.pseudonym_secret() and publish.demo_key is None
    if key_missing:
        warnings.append(missing_key_warning(publish.pseudonym_key_variable))
    yield dg.AssetCheckResult(
        check_name="reference_files_present",
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


LEDGER_CHECKS = [ledger_checks]
