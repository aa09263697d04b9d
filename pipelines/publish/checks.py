"""The quality gates of the candidate snapshot, one Dagster check per portal table.

GX runs once for all tables (importing it costs seconds); each table's result becomes an
`AssetCheckResult`. A failed blocking expectation fails its check with ERROR severity, which
stops `serving_snapshot`: the portal keeps yesterday's file and the refusal, with its reason,
is recorded in the warehouse (`publish.publications`, `publish.gate_results`) for the
operators. Non-blocking failures are warnings.
"""

from collections.abc import Iterator

import dagster as dg

from pipelines.ingestion.assets import WAREHOUSE_POOL
from pipelines.publish.assets import portal_candidate
from pipelines.publish.resources import PublishResource
from pipelines.resources import WarehouseResource
from serving import history
from serving.gates import GateResult, run_gates, withhold_companies
from serving.snapshot import read_candidate
from serving.spec import SCHEMA
from serving.tables import PORTAL_TABLES
from warehouse.connections import connect


def _check_name(table: str) -> str:
    return f"controles_{table}"


def _result(table: str, results: list[GateResult]) -> dg.AssetCheckResult:
    failed = [r for r in results if not r.passed]
    blocking_failed = [r for r in failed if r.blocking]
    return dg.AssetCheckResult(
        check_name=_check_name(table),
        asset_key=portal_candidate.key,
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR if blocking_failed else dg.AssetCheckSeverity.WARN,
        metadata={
            "expectations": len(results),
            "failed": len(failed),
            "failed_blocking": len(blocking_failed),
            "details": "; ".join(
                r.failure + ("" if r.blocking else " [avertissement]") for r in failed
            ),
        },
    )


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            _check_name(spec.name),
            asset=portal_candidate,
            blocking=True,
            description=f"{SCHEMA}.{spec.name} : clé unique et renseignée, codes connus, dates "
            "ordonnées, montants équilibrés, volume proche de la publication précédente.",
        )
        for spec in PORTAL_TABLES
    ],
    pool=WAREHOUSE_POOL,
)
def portal_quality_gates(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource, publish: PublishResource
) -> Iterator[dg.AssetCheckResult]:
    paths = publish.paths(warehouse.path)
    candidate = read_candidate(paths.serving)
    withheld = withhold_companies(candidate.path, paths.serving, candidate.night, PORTAL_TABLES)
    candidate = read_candidate(paths.serving)  # the row counts changed
    with connect(paths.warehouse, read_only=True) as connection:
        previous = history.previous_counts(connection)
    results = run_gates(candidate.path, PORTAL_TABLES, previous, paths.data_docs)
    refusal = history.refusal_reason(results)
    with connect(paths.warehouse, read_only=False) as connection:
        history.record_gates(connection, candidate, results)
        history.record_company_refusals(connection, candidate, withheld)
        if refusal is not None:
            history.record_publication(connection, candidate, str(paths.serving), refusal)
    for company in withheld:
        context.log.warning(
            f"Entreprise {company.siren} retenue sur sa dernière bonne nuit : "
            + "; ".join(company.gates)
        )
    if refusal is not None:
        context.log.error(refusal)
    for spec in PORTAL_TABLES:
        yield _result(spec.name, [r for r in results if r.table == spec.name])


PUBLISH_CHECKS = [portal_quality_gates]
