"""The quality gates of the candidate snapshot, one Dagster check per portal table.

The gates judge every table in one pass over the candidate (`serving.gates.run_gates`, in
DuckDB); Great Expectations validates the same file for the Data Docs in a child process,
which the publish resource awaits at the run's end. Each table's result becomes an
`AssetCheckResult`. A failed blocking expectation fails its check with ERROR severity, which
stops `serving_snapshot`: the portal keeps yesterday's file and the refusal, with its reason, is
recorded in the warehouse (`publish.publications`, `publish.gate_results`) for the operators.
Non-blocking failures are warnings. The gates read the candidate this run built
(`candidate_night_id`), and `serving_snapshot` swaps in only a candidate recorded as passed.
"""

from collections.abc import Iterator
from pathlib import Path

import dagster as dg

from pipelines.publish.assets import candidate_night_id, portal_candidate
from pipelines.publish.resources import PublishResource
from pipelines.resources import ACCEPTED_DROPS_TAG, WarehouseResource
from pipelines.settings import WAREHOUSE_POOL
from serving import history
from serving.data_docs import retire_data_docs
from serving.gates import HoldBack, run_gates
from serving.snapshot import read_candidate
from serving.spec import SCHEMA, GateResult
from serving.tables import PORTAL_TABLES


def _check_name(table: str) -> str:
    return f"controles_{table}"


def _result(table: str, results: list[GateResult], data_docs: Path | None) -> dg.AssetCheckResult:
    failed = [r for r in results if not r.passed]
    blocking_failed = [r for r in failed if r.blocking]
    metadata: dict[str, dg.MetadataValue] = {
        "expectations": dg.MetadataValue.int(len(results)),
        "failed": dg.MetadataValue.int(len(failed)),
        "failed_blocking": dg.MetadataValue.int(len(blocking_failed)),
        "details": dg.MetadataValue.text(
            "; ".join(r.failure + ("" if r.blocking else " [avertissement]") for r in failed)
            or "Toutes les attentes sont satisfaites."
        ),
    }
    if data_docs is not None:
        metadata["data_docs"] = dg.MetadataValue.path(data_docs / "index.html")
    return dg.AssetCheckResult(
        check_name=_check_name(table),
        asset_key=portal_candidate.key,
        passed=not failed,
        # The severity says how bad a failure is; a passing check is simply PASS.
        severity=dg.AssetCheckSeverity.WARN
        if failed and not blocking_failed
        else dg.AssetCheckSeverity.ERROR,
        metadata=metadata,
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
    candidate = read_candidate(publish.serving, candidate_night_id(context))
    # One connection for the whole check: each costs a few tens of milliseconds to open.
    with warehouse.connect() as connection:
        previous = history.previous_counts(connection)
        accepted = _accepted_drops(context)
        bounded = {t: n for t, n in previous.items() if t not in accepted}
        results, withheld = run_gates(
            candidate.path,
            PORTAL_TABLES,
            bounded,
            publish.data_docs,
            HoldBack(publish.serving, candidate.night),
        )
        if withheld:  # their rows replaced: the row counts changed
            candidate = read_candidate(publish.serving, candidate.night_id)
        refusal = history.record_checks(connection, candidate.night_id, results)
        history.record_company_refusals(connection, candidate, withheld)
    if publish.data_docs_retired is not None and retire_data_docs(
        publish.data_docs_retired, candidate.night
    ):
        context.log.warning(
            "Data Docs désactivées (DSNPIPE_DATA_DOCS=0) : le site des nuits précédentes est "
            f"remplacé par une page qui le dit ({publish.data_docs_retired / 'index.html'})"
        )
    for table in accepted:
        context.log.warning(
            f"Volume de {table} accepté sans borne cette nuit, à la demande de l'opérateur : "
            f"{previous.get(table, 0)} ligne(s) à la dernière publication, "
            f"{candidate.rows.get(table, 0)} ce soir"
        )
    for company in withheld:
        context.log.warning(
            f"Entreprise {company.siren} retenue sur sa dernière bonne nuit : "
            + "; ".join(company.gates)
        )
    if refusal is not None:
        context.log.error(refusal)
    for spec in PORTAL_TABLES:
        yield _result(spec.name, [r for r in results if r.table == spec.name], publish.data_docs)


def _accepted_drops(context: dg.AssetCheckExecutionContext) -> list[str]:
    """The portal tables the run's ACCEPTED_DROPS_TAG names; a name of no portal table said
    (`dsnpipe run` refuses those before the run, a tag added at a Dagster launch cannot)."""
    named = {t.strip() for t in context.run.tags.get(ACCEPTED_DROPS_TAG, "").split(",")} - {""}
    known = {spec.name for spec in PORTAL_TABLES}
    for unknown in sorted(named - known):
        context.log.warning(f"{ACCEPTED_DROPS_TAG} : « {unknown} » n'est pas une table du portail")
    return sorted(named & known)


PUBLISH_CHECKS = [portal_quality_gates]
