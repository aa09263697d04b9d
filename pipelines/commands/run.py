"""`dsnpipe run`: one night's ingestion, in this process, with the same Dagster assets as the
scheduled job (no daemon, no Dagster storage), a progress display and a summary in French."""

from __future__ import annotations

import argparse
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.locations import DEFAULT_WAREHOUSE

if TYPE_CHECKING:
    from rich.console import Console


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--landing",
        type=Path,
        required=True,
        metavar="DOSSIER",
        help="répertoire d'arrivée des fichiers",
    )
    parser.add_argument(
        "--warehouse",
        type=Path,
        metavar="FICHIER",
        default=Path(DEFAULT_WAREHOUSE),
        help=f"fichier DuckDB de l'entrepôt (défaut : {DEFAULT_WAREHOUSE})",
    )
    parser.add_argument(
        "--quarantine",
        type=Path,
        metavar="DOSSIER",
        help="répertoire de quarantaine (défaut : « quarantine » à côté de l'entrepôt)",
    )


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    console = Console()
    if not args.landing.is_dir():
        console.print(f"[red]Répertoire d'arrivée introuvable : {args.landing}[/red]")
        return 2
    quarantine = args.quarantine or args.warehouse.parent / "quarantine"
    started_at = datetime.now()
    started = time.perf_counter()
    success = run_night(args.landing, args.warehouse, quarantine, console)
    print_summary(console, args.warehouse, quarantine, started_at, time.perf_counter() - started)
    if not success:
        console.print(
            "[red]La nuit a échoué : voir les messages ci-dessus ; relancer la même "
            "commande reprend là où elle s'est arrêtée.[/red]"
        )
    return 0 if success else 1


def run_night(landing: Path, warehouse: Path, quarantine: Path, console: Console) -> bool:
    """Materialise the ingestion assets and their checks in process; True when all succeeded."""
    import dagster as dg

    from pipelines.ingestion.assets import INGESTION_ASSETS
    from pipelines.ingestion.checks import INGESTION_CHECKS
    from pipelines.progress import RichProgress
    from pipelines.resources import pipeline_resources

    with RichProgress(console) as progress:
        result = dg.materialize(
            [*INGESTION_ASSETS, *INGESTION_CHECKS],
            resources=pipeline_resources(landing, warehouse, quarantine, progress),
            instance=dg.DagsterInstance.ephemeral(),
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
            raise_on_error=False,
        )
    checks_passed = all(e.passed for e in result.get_asset_check_evaluations())
    return bool(result.success) and checks_passed


def print_summary(
    console: Console, warehouse: Path, quarantine: Path, since: datetime, elapsed: float
) -> None:
    from rich.table import Table

    from warehouse.connections import connect
    from warehouse.summary import night_summary

    if not warehouse.exists():
        return
    with connect(warehouse, read_only=True) as connection:
        summary = night_summary(connection, since)
    table = Table(title="Bilan de la nuit", show_header=False)
    table.add_column(justify="left")
    table.add_column(justify="right")
    for label, value in (
        ("Fichiers chargés", summary.files_loaded),
        ("Fichiers chargés avec diagnostics", summary.files_with_diagnostics),
        ("Fichiers en quarantaine", summary.files_quarantined),
        ("Fichiers enregistrés pour un autre domaine", summary.files_registered),
        ("Doublons (contenu déjà reçu)", summary.duplicates),
        ("Fichiers en attente (nuit interrompue)", summary.files_waiting),
        ("Déclarations chargées", summary.declarations_loaded),
        ("Déclarations en vigueur (total)", summary.declarations_in_force),
        ("Salariés (total)", summary.employees),
        ("Durée", f"{elapsed:.1f} s"),
    ):
        table.add_row(label, str(value))
    console.print(table)
    # Paths are printed whole (soft wrap): an operator copies them.
    console.print(f"Entrepôt : {warehouse}", soft_wrap=True)
    if summary.files_quarantined:
        console.print(f"Quarantaine (fichiers et motifs) : {quarantine}", soft_wrap=True)
