"""`dsnpipe rebuild`: recompute the whole core model from the registry's staged files; with
`--relire`, read every registered file again from the landing directory first (after a reader
fix, for example). Runs in this process, like `dsnpipe run`, and needs the warehouse to itself:
it holds the night lock, and is refused like a second night while one runs."""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from pipelines.commands.options import add_options, settings_of

if TYPE_CHECKING:
    from rich.console import Console

    from pipelines.settings import Settings


def configure(parser: argparse.ArgumentParser) -> None:
    add_options(parser, "warehouse", "landing", "quarantine")
    parser.add_argument(
        "--relire",
        action="store_true",
        help="relire tous les fichiers du registre depuis le répertoire d'arrivée",
    )


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from pipelines.commands.run import with_warehouse

    console = Console()
    settings = settings_of(args)
    if not settings.warehouse.exists():
        console.print(f"[red]Entrepôt introuvable : {settings.warehouse}[/red]")
        return 2
    return with_warehouse(
        console, settings.warehouse, lambda: _rebuild(settings, args.relire, console)
    )


def _rebuild(settings: Settings, reread: bool, console: Console) -> int:
    from pipelines.progress import RichProgress
    from warehouse import load, models, registry
    from warehouse.connections import connect
    from warehouse.registry import FileKind

    started = time.perf_counter()
    with connect(settings.warehouse, read_only=False) as connection:
        if reread:
            reset, missing = registry.mark_for_reload(
                connection, settings.landing, (FileKind.DSN, FileKind.BANK)
            )
            console.print(
                f"{reset} fichier(s) à relire ; {missing} absent(s) du répertoire "
                "d'arrivée, conservé(s) tels quels."
            )
            with RichProgress(console) as progress:

                def report(done: int, total: int, current: str) -> None:
                    progress.files("Relecture des DSN", done, total, current)

                load.load_received_dsn_files(
                    connection,
                    settings.landing,
                    settings.quarantine,
                    report,
                    batch_files=settings.load_batch_files,
                    parse_workers=settings.parse_workers,
                    staging_area=settings.staging_area,
                    scheduler=settings.dask_scheduler,
                )
            load.load_received_bank_files(connection, settings.landing, settings.quarantine)
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
