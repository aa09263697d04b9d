"""`dsnpipe demo`: generate a small synthetic portfolio, run one night on it, show the result.

Everything goes under one demo directory (default var/demo/, gitignored): the landing directory
(with the generator's ground truth in landing/truth/, which the pipeline never reads), the
warehouse and the quarantine. A previous demo there is replaced.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

DEFAULT_DEMO_DIR = Path("var/demo")

if TYPE_CHECKING:
    from rich.console import Console

# Written into the demo directory so that a later demo only ever deletes a demo's own files.
_DEMO_MARKER = ".dsnpipe-demo"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dir",
        type=Path,
        metavar="DOSSIER",
        default=DEFAULT_DEMO_DIR,
        help=f"répertoire de la démonstration (défaut : {DEFAULT_DEMO_DIR})",
    )
    parser.add_argument(
        "--companies", type=int, default=8, metavar="N", help="entreprises (défaut : 8)"
    )
    parser.add_argument(
        "--employees", type=int, default=150, metavar="N", help="salariés (défaut : 150)"
    )
    parser.add_argument(
        "--months", type=int, default=12, metavar="N", help="mois déclarés (défaut : 12)"
    )
    # Higher than the generator's own default so that a small demo shows quarantined files and
    # a steward report with something in it.
    parser.add_argument(
        "--faults",
        type=float,
        default=0.1,
        metavar="TAUX",
        help="part des situations en défaut (défaut : 0.1)",
    )


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from pipelines.commands.run import with_warehouse

    console = Console()
    demo_dir: Path = args.dir
    if demo_dir.exists() and any(demo_dir.iterdir()) and not (demo_dir / _DEMO_MARKER).exists():
        console.print(
            f"[red]{demo_dir} existe et ne vient pas d'une démonstration : "
            "choisir un autre répertoire avec --dir.[/red]"
        )
        return 2
    demo_dir.mkdir(parents=True, exist_ok=True)
    warehouse = demo_dir / "entrepot.duckdb"
    # Locked before the previous demo is removed: a demo still running there keeps its files.
    return with_warehouse(console, warehouse, lambda: _demo(args, console, warehouse))


def _demo(args: argparse.Namespace, console: Console, warehouse: Path) -> int:
    from pipelines.commands.run import print_domains, print_failure, print_summary, run_night
    from pipelines.settings import Settings
    from serving.night import portal_summary
    from synthetic import generate
    from warehouse.lock import night_lock_path

    demo_dir = warehouse.parent
    for entry in demo_dir.iterdir():
        if entry == night_lock_path(warehouse):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    (demo_dir / _DEMO_MARKER).touch()
    landing = demo_dir / "landing"
    # A demonstration has no secret for the analysts' pseudonyms: a key file beside it.
    settings = Settings.from_environment(
        landing=landing, warehouse=warehouse, quarantine=demo_dir / "quarantine", demo=True
    )

    console.print("Génération d'un portefeuille synthétique…")
    portfolio = generate(
        landing,
        companies=args.companies,
        employees=args.employees,
        months=args.months,
        fault_rate=args.faults,
    )
    console.print(
        f"{portfolio.companies} entreprises, {portfolio.employees} salariés, "
        f"{portfolio.files} fichiers dans {landing}",
        soft_wrap=True,
    )
    started_at, started = datetime.now(), time.perf_counter()
    success = run_night(settings, console)
    print_summary(console, settings, started_at, time.perf_counter() - started)
    console.print(
        f"Fichiers reçus : {landing} (résultats attendus : {landing / 'truth'})", soft_wrap=True
    )
    query = "SELECT * FROM core.employees LIMIT 10"
    console.print(
        "Interroger l'entrepôt (lecture seule) : "
        f"{sys.executable} -c \"import duckdb; print(duckdb.connect('{warehouse}', "
        f"read_only=True).sql('{query}'))\"",
        soft_wrap=True,
    )
    print_domains(console, settings)
    if settings.serving.exists():
        console.print(portal_summary(settings.serving), soft_wrap=True)
        console.print(
            f"Instantané du portail : {settings.serving} ; exports analystes : "
            f"{settings.exports} ; comptes rendus : {settings.comptes_rendus}"
            + (f" ; Data Docs : {settings.data_docs}" if settings.data_docs_site else ""),
            soft_wrap=True,
        )
    if not success:
        print_failure(console)
    return 0 if success else 1
