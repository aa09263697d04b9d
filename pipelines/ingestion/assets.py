"""The nightly ingestion assets. Each is a thin call into `warehouse`, which does the work and is
testable without Dagster. Every asset writing the warehouse is in the `warehouse_writer` pool
(size 1): DuckDB allows one writing process per file."""

from datetime import datetime

import dagster as dg

from pipelines.progress import ProgressReporter
from pipelines.resources import LandingResource, WarehouseResource
from pipelines.settings import WAREHOUSE_POOL
from warehouse import load, models, reference, registry
from warehouse.connections import transaction
from warehouse.registry import FileStatus


def _status_counts(counts: dict[FileStatus, int]) -> dict[str, int]:
    return {status.value: count for status, count in sorted(counts.items())}


@dg.asset(
    group_name="ingestion",
    pool=WAREHOUSE_POOL,
    kinds={"duckdb"},
    description="Registre des fichiers : chaque fichier du répertoire d'arrivée, une fois par "
    "contenu (SHA-256) ; un contenu déjà reçu est un doublon. Les fichiers de type inconnu sont "
    "mis en quarantaine, les référentiels et fichiers du portail enregistrés pour leur domaine.",
)
def file_registry(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, landing: LandingResource
) -> dg.MaterializeResult:
    with warehouse.connect() as connection:
        counts = registry.register_deliveries(connection, landing.landing, datetime.now())
        others = load.register_files_of_other_domains(
            connection, landing.landing, landing.quarantine
        )
    context.log.info(
        f"{counts.new_files} nouveau(x) fichier(s), {counts.duplicates} doublon(s), "
        f"{counts.ignored} entrée(s) ignorée(s)"
    )
    return dg.MaterializeResult(
        metadata={
            "new_files": counts.new_files,
            "duplicates": counts.duplicates,
            "ignored_entries": counts.ignored,
            **_status_counts(others),
        }
    )


@dg.asset(
    group_name="ingestion",
    deps=[file_registry],
    pool=WAREHOUSE_POOL,
    kinds={"duckdb", "polars"},
    description="Tables de staging DSN (une par bloc, avec fichier et numéros de ligne), "
    "déclarations et diagnostics ; un fichier illisible ou entièrement rejeté est mis en "
    "quarantaine avec le motif.",
)
def dsn_staging(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    landing: LandingResource,
    progress: dg.ResourceParam[ProgressReporter],
) -> dg.MaterializeResult:
    def report(done: int, total: int, current: str) -> None:
        progress.files("Chargement des DSN", done, total, current)

    with warehouse.connect() as connection:
        counts = load.load_received_dsn_files(
            connection,
            landing.landing,
            landing.quarantine,
            report,
            batch_files=landing.load_batch_files,
            parse_workers=landing.parse_workers,
            staging_area=landing.staging_area,
            scheduler=landing.dask_scheduler,
        )
    context.log.info(f"DSN traitées : {_status_counts(counts)}")
    return dg.MaterializeResult(metadata=_status_counts(counts))


@dg.asset(
    group_name="ingestion",
    deps=[file_registry],
    pool=WAREHOUSE_POOL,
    kinds={"duckdb", "polars"},
    description="Transactions bancaires (camt.053/054, CFONB 120, pain.002) en staging.",
)
def bank_staging(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, landing: LandingResource
) -> dg.MaterializeResult:
    with warehouse.connect() as connection:
        counts = load.load_received_bank_files(connection, landing.landing, landing.quarantine)
    context.log.info(f"Fichiers bancaires traités : {_status_counts(counts)}")
    return dg.MaterializeResult(metadata=_status_counts(counts))


@dg.asset(
    group_name="ingestion",
    deps=[file_registry],
    pool=WAREHOUSE_POOL,
    kinds={"duckdb"},
    description="Référentiels de l'organisme (fiches de paramétrage des contrats, PMSS) et "
    "exports du portail (demandes d'affiliation, dispenses, radiations), chargés une fois par "
    "nuit dans reference.* et from_portal.* ; les lignes illisibles vont dans "
    "registry.rejected_lines avec leur motif.",
)
def reference_data(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, landing: LandingResource
) -> dg.MaterializeResult:
    with warehouse.connect() as connection, transaction(connection):
        loaded = reference.load_reference_files(connection, landing.landing)
    if loaded.rejects:
        context.log.warning(
            f"{len(loaded.rejects)} ligne(s) de référentiel ou du portail illisible(s) : "
            + ", ".join(sorted({r.source_file for r in loaded.rejects}))
        )
    return dg.MaterializeResult(
        metadata={
            "contracts": loaded.contracts,
            "rejected_lines": len(loaded.rejects),
            **{f"rows_{t}": frame.height for t, frame in loaded.tables.items()},
        }
    )


@dg.asset(
    group_name="core",
    deps=[dsn_staging],
    pool=WAREHOUSE_POOL,
    kinds={"duckdb", "sql"},
    description="Versions des déclarations : annule et remplace (03/05) et annulation (04) "
    "appliqués selon la date de constitution et le numéro d'ordre, historique conservé.",
)
def declaration_versions(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    with warehouse.connect() as connection:
        groups = models.refresh_declaration_versions(connection)
    context.log.info(f"{groups} groupe(s) (SIRET, mois) recalculé(s)")
    return dg.MaterializeResult(metadata={"groups_recomputed": groups})


@dg.asset(
    group_name="core",
    deps=[declaration_versions],
    pool=WAREHOUSE_POOL,
    kinds={"duckdb", "sql"},
    description="Faits mensuels des déclarations en vigueur : salariés, contrats, adhésions, "
    "affiliations, arrêts, fins de contrat, cotisations 059, versements déclarés.",
)
def core_facts(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    with warehouse.connect() as connection:
        inserted = models.refresh_facts(connection)
    return dg.MaterializeResult(metadata={f"rows_{t}": n for t, n in inserted.items()})


@dg.asset(
    group_name="core",
    deps=[core_facts],
    pool=WAREHOUSE_POOL,
    kinds={"duckdb", "sql"},
    description="Entreprises, établissements, salariés (NIR ou NTT, changements d'identité "
    "liés), contrats de travail, adhésions.",
)
def core_dimensions(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    with warehouse.connect() as connection:
        sizes = models.refresh_dimensions(connection)
    return dg.MaterializeResult(
        metadata={
            **{f"rows_{t}": n for t, n in sizes.items()},
            "dagster/row_count": sizes["employees"],
        }
    )


INGESTION_ASSETS = [
    file_registry,
    dsn_staging,
    bank_staging,
    reference_data,
    declaration_versions,
    core_facts,
    core_dimensions,
]
