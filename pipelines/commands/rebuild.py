"""`dsnpipe rebuild`: recompute the whole core model from the registry's staged files; with
`--relire`, read every registered file again from the landing directory first (after a reader
fix, for example). Runs in this process, like `dsnpipe run`, and needs the warehouse to itself."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.locations import DEFAULT_LANDING, DEFAULT_WAREHOUSE, quarantine_beside

if TYPE_CHECKING:
    from rich.console import Console


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--warehouse",
        type=Path,
        metavar="FICHIER",
        default=Path(DEFAULT_WAREHOUSE),
        help=f"fichier DuckDB de l'entrepôt (défaut : {DEFAULT_WAREHOUSE})",
    )
    parser.add_argument(
        "--relire",
        action="store_true",
        help="relire tous les fichiers du registre depuis le répertoire d'arrivée",
    )
    parser.add_argument(
        "--landing",
        type=Path,
        metavar="DOSSIER",
        default=Path(DEFAULT_LANDING),
        help=f"répertoire d'arrivée, pour --relire (défaut : {DEFAULT_LANDING})",
    )
    parser.add_argument(
        "--quarantine",
        type=Path,
        metavar="DOSSIER",
        help="répertoire de quarantaine (défaut : « quarantine » à côté de l'entrepôt)",
    )


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from pipelines.commands.run import with_warehouse

    console = Console()
    if not args.warehouse.exists():
        console.print(f"[red]Entrepôt introuvable : {args.warehouse}[/red]")
        return 2
    return with_warehouse(console, args.warehouse, lambda: _rebuild(args, console))


def _rebuild(args: argparse.Namespace, console: Console) -> int:
    from pipelines.progress import RichProgress
    from warehouse import load, models, registry
    from warehouse.connections import connect
    from warehouse.registry import FileKind

    quarantine = args.quarantine or quarantine_beside(args.warehouse)
    started = time.perf_counter()
    with connect(args.warehouse, read_only=False) as connection:
        if args.relire:
            reset, missing = registry.mark_for_reload(
                connection, args.landing, (FileKind.DSN, FileKind.BANK)
            )
            console.print(
                f"{reset} fichier(s) à relire ; {missing} absent(s) du répertoire "
                "d'arrivée, conservé(s) tels quels."
            )
            with RichProgress(console) as progress:

                def report(done: int, total: int, current: str) -> None:
                    progress.files("Relecture des DSN", done, total, current)

                load.load_received_dsn_files(connection, args.landing, quarantine, report)
            load.load_received_bank_files(connection, args.landing, quarantine)
        models.rebuild_core(connection)
        declarations = connection.execute(
            "SELECT count(*) FROM core.declarations_in_force"
        ).fetchone()
        employees = connection.execute("SELECT count(*) FROM core.employees").fetchone()
    console.print(
        f"Modèle reconstruit en {time.perf_counter() - started:.1f} s : "
        f"{declarations[0] if declarations else 0} déclaration(s) en vigueur, "
        f"{employees[0] if employees else 0} salarié(s)."
    )
    return 0
