"""The publish assets. `portal_candidate` builds tonight's snapshot beside the serving file; its
blocking gates (`pipelines.publish.checks`) decide whether `serving_snapshot` swaps it in. When
a gate fails, Dagster does not run `serving_snapshot` and the portal keeps yesterday's file.

The candidate's night id travels from `portal_candidate` to its gates and to `serving_snapshot`
in the run's own materialisation metadata (`candidate_night_id`) rather than in a state file:
Dagster already keeps it, per run, so another run can neither overwrite nor read it by mistake,
and there is no file to clean after a crash.
"""

from collections.abc import Iterator
from pathlib import Path

import dagster as dg

from pipelines.code_versions import CODE_VERSIONS
from pipelines.ingestion.assets import core_dimensions, dsn_staging
from pipelines.ledgers.assets import contribution_ledgers
from pipelines.publish.resources import PublishResource
from pipelines.resources import NightResource, WarehouseResource
from pipelines.settings import WAREHOUSE_POOL
from serving import history
from serving.analyst import (
    build_analyst_candidate,
    remember_analyst_copy,
    swap_in_analyst_copy,
)
from serving.comptes_rendus import write_comptes_rendus
from serving.data_docs import start_data_docs
from serving.night import analyst_exports, new_night_id, publication_summary
from serving.pseudonym import MissingPseudonymKeyError, pseudonym_key
from serving.snapshot import write_candidate
from warehouse.changes import changed_since, record_progress
from warehouse.connections import transaction

ANALYST_STAGE = "analyst_warehouse"  # its watermark in core.stage_progress
COMPTES_RENDUS_STAGE = "comptes_rendus"  # its watermark in core.stage_progress


@dg.asset(
    group_name="publish",
    # Every domain whose results the portal shows (by key for the domains whose assets live
    # in packages this one does not import).
    deps=[
        core_dimensions,
        contribution_ledgers,
        dg.AssetKey("affiliation_register"),
        dg.AssetKey("stoppage_results"),
    ],
    pool=WAREHOUSE_POOL,
    kinds={"duckdb"},
    description="Publication candidate de la nuit (schéma portal_v1) construite depuis "
    "l'entrepôt dans un fichier à côté du fichier servi ; contrôlée avant d'être servie.",
)
def portal_candidate(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    publish: PublishResource,
    night: NightResource,
) -> dg.MaterializeResult:
    if publish.data_docs is not None:
        start_data_docs()  # its GX import runs beside the candidate's build, before the gates
    # One connection for the whole step: each costs a few tens of milliseconds to open.
    with warehouse.connect() as connection:
        # First, before anything reads the history: what an interrupted night left unsettled.
        for line in history.reconcile(connection, publish.serving):
            context.log.warning(line)
        day = night.night_of_run(context, connection)
        candidate = write_candidate(connection, publish.serving, day, new_night_id(day))
        history.record_candidate(connection, candidate, publish.serving)
    if candidate.unavailable:
        context.log.info(
            "Tables publiées vides : "
            + "; ".join(f"{t} ({why})" for t, why in candidate.unavailable.items())
        )
    return dg.MaterializeResult(
        metadata={
            "night_id": candidate.night_id,
            **{f"rows_{t}": n for t, n in candidate.rows.items()},
        }
    )


def candidate_night_id(context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext) -> str:
    """The night id of the candidate this run built; a run re-executing a failed one (Dagster's
    run retries) looks in the runs it re-executes."""
    run: dg.DagsterRun | None = context.run
    while run is not None:
        for entry in context.instance.all_logs(
            run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
        ):
            materialization = entry.asset_materialization
            if materialization and materialization.asset_key == portal_candidate.key:
                return str(materialization.metadata["night_id"].value)
        run = context.instance.get_run_by_id(run.parent_run_id) if run.parent_run_id else None
    raise ValueError(
        "Aucune publication candidate construite par cette exécution : relancer la publication "
        "depuis portal_candidate."
    )


@dg.asset(
    group_name="publish",
    deps=[portal_candidate],
    pool=WAREHOUSE_POOL,
    kinds={"duckdb"},
    description="Fichier servi au portail : la publication candidate, une fois ses contrôles "
    "bloquants passés, remplace l'ancienne par un renommage atomique.",
)
def serving_snapshot(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, publish: PublishResource
) -> dg.MaterializeResult:
    with warehouse.connect() as connection:
        candidate = history.publish_checked(
            connection, publish.serving, candidate_night_id(context)
        )
    summary = publication_summary(candidate)
    context.log.info(summary)
    return dg.MaterializeResult(metadata={"night_id": candidate.night_id, "summary": summary})


@dg.asset(
    group_name="publish",
    deps=[serving_snapshot],
    pool=WAREHOUSE_POOL,
    kinds={"parquet"},
    output_required=False,
    description="Exports Parquet pour les analystes, par mois, salariés pseudonymisés (HMAC du "
    "NIR avec la clé DSNPIPE_PSEUDONYM_KEY) ; jamais de NIR, de nom ni d'IBAN. Sans clé, les "
    "exports sont refusés (avertissement dans le journal) et la nuit reste réussie.",
)
def analyst_exports_by_month(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, publish: PublishResource
) -> Iterator[dg.MaterializeResult]:
    written, refusal = analyst_exports(
        Path(warehouse.path),
        publish.exports,
        publish.pseudonym_secret(),
        publish.demo_key,
        publish.pseudonym_key_variable,
    )
    if refusal is not None:
        # Not materialised: the previous exports stay, the operator reads why in the log.
        context.log.warning(refusal)
        return
    assert written is not None
    context.log.info(
        "Exports : "
        + ", ".join(
            f"{t} {w.files} fichier(s) réécrit(s), {w.kept} gardé(s)" for t, w in written.items()
        )
    )
    yield dg.MaterializeResult(
        metadata={
            "files_written": sum(w.files for w in written.values()),
            "files_kept": sum(w.kept for w in written.values()),
            **{f"rows_{t}": w.rows for t, w in written.items()},
        }
    )


@dg.asset(
    group_name="publish",
    deps=[serving_snapshot],
    pool=WAREHOUSE_POOL,
    kinds={"duckdb"},
    output_required=False,
    description="Entrepôt des analystes (analystes.duckdb à côté de l'entrepôt) : tables du "
    "modèle et des résultats, commentées, salariés pseudonymisés, sans nom ni IBAN ; remplacé "
    "par renommage atomique après chaque nuit publiée. L'entrepôt de la nuit reste privé.",
)
def analyst_warehouse(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    publish: PublishResource,
    night: NightResource,
) -> Iterator[dg.MaterializeResult]:
    try:
        key = pseudonym_key(
            publish.pseudonym_secret(), publish.demo_key, publish.pseudonym_key_variable
        )
    except MissingPseudonymKeyError as refusal:
        context.log.warning(str(refusal))  # the analysts keep the previous night's copy
        return
    with warehouse.connect() as connection:
        day = night.night_of_run(context, connection)
        version = CODE_VERSIONS["publish"]
        scope = changed_since(connection, ANALYST_STAGE, version)
        candidate = build_analyst_candidate(connection, publish.analyst_warehouse, key, scope)
        # Swapped in only once its fingerprints are kept: a failure in between leaves the
        # served copy, which the kept fingerprints no longer describe; their file identity
        # (`serving.analyst`) then differs from the served file's, so the next night copies
        # every table again.
        with transaction(connection):
            remember_analyst_copy(connection, candidate)
            record_progress(connection, ANALYST_STAGE, scope, day, version)
    if not candidate.unchanged:
        swap_in_analyst_copy(candidate.path, publish.analyst_warehouse)
    yield dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(publish.analyst_warehouse)),
            "tables": len(candidate.rows),
            "tables_copied": candidate.tables_copied,
            "tables_updated": candidate.tables_updated,
            "rows_written": candidate.rows_written,
            "from_previous_copy": candidate.recycled,
            "dagster/row_count": sum(candidate.rows.values()),
        }
    )


@dg.asset(
    group_name="publish",
    deps=[dsn_staging, core_dimensions, dg.AssetKey("affiliation_register")],
    pool=WAREHOUSE_POOL,
    kinds={"json"},
    description="Comptes rendus aux entreprises : un fichier par déclaration avec son statut "
    "(0 à 3), ses diagnostics et ses anomalies.",
)
def comptes_rendus(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    publish: PublishResource,
    night: NightResource,
) -> dg.MaterializeResult:
    with warehouse.connect() as connection:
        day = night.night_of_run(context, connection)
        version = CODE_VERSIONS["publish"]
        scope = changed_since(connection, COMPTES_RENDUS_STAGE, version)
        with transaction(connection):
            written = write_comptes_rendus(connection, publish.comptes_rendus, scope)
            record_progress(connection, COMPTES_RENDUS_STAGE, scope, day, version)
    context.log.info(f"{written} compte(s) rendu(s) écrit(s) ou mis à jour")
    return dg.MaterializeResult(metadata={"written": written})


PUBLISH_ASSETS = [
    portal_candidate,
    serving_snapshot,
    analyst_exports_by_month,
    analyst_warehouse,
    comptes_rendus,
]
