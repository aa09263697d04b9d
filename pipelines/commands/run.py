"""`dsnpipe run`: one night, in this process, with the same Dagster assets as the scheduled job
(`pipelines.nightly`; no daemon, no Dagster storage), a progress display and a summary in French:
the ingestion, then one line per domain and where the steward report is.

The night's date (first-seen dates of anomalies and signals, the report's name) is `--night`
or, by default, the due date of the latest declared month (`resources.night_of_warehouse`),
never today's date: the same files give the same warehouse whatever day they are run."""

from __future__ import annotations

import argparse
import contextlib
import os
import time
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.locations import DEFAULT_WAREHOUSE, quarantine_beside
from pipelines.resources import REQUIRE_REFERENCE_VARIABLE

if TYPE_CHECKING:
    import duckdb
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
    parser.add_argument(
        "--night",
        type=date.fromisoformat,
        metavar="AAAA-MM-JJ",
        help="date de la nuit (défaut : le 15 du mois suivant le dernier mois déclaré)",
    )
    parser.add_argument(
        "--exiger-referentiels",
        dest="require_reference",
        action="store_true",
        help="refuser la publication si un contrat déclaré n'a pas de fiche de paramétrage ou "
        "si la clé de pseudonymisation manque (défaut : avertir ; aussi "
        "DSNPIPE_REQUIRE_REFERENCE=1)",
    )


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    console = Console()
    if not args.landing.is_dir():
        console.print(f"[red]Répertoire d'arrivée introuvable : {args.landing}[/red]")
        return 2
    quarantine = args.quarantine or quarantine_beside(args.warehouse)
    started_at = datetime.now()
    started = time.perf_counter()
    require_reference = args.require_reference or os.environ.get(REQUIRE_REFERENCE_VARIABLE) == "1"
    success = run_night(
        args.landing,
        args.warehouse,
        quarantine,
        console,
        args.night,
        require_reference=require_reference,
    )
    print_summary(console, args.warehouse, quarantine, started_at, time.perf_counter() - started)
    print_domains(console, args.warehouse, args.night)
    print_warnings(console, args.warehouse, refused=require_reference)
    if not success:
        print_failure(console)
    return 0 if success else 1


def print_failure(console: Console) -> None:
    console.print(
        "[red]La nuit a échoué : voir les messages ci-dessus ; relancer la même "
        "commande reprend là où elle s'est arrêtée.[/red]"
    )


def run_night(
    landing: Path,
    warehouse: Path,
    quarantine: Path,
    console: Console,
    night: date | None = None,
    resources: dict[str, object] | None = None,
    *,
    require_reference: bool = False,
) -> bool:
    """Materialise the nightly assets and their checks in process; True when all succeeded
    (a check failing as a warning does not fail the night). `resources` override the defaults
    (the demo's pseudonymisation key, for instance)."""
    import dagster as dg

    from pipelines.nightly import NIGHTLY_ASSETS, NIGHTLY_CHECKS
    from pipelines.progress import RichProgress
    from pipelines.resources import pipeline_resources

    with RichProgress(console) as progress:
        result = dg.materialize(
            [*NIGHTLY_ASSETS, *NIGHTLY_CHECKS],
            resources={
                **pipeline_resources(
                    landing, warehouse, quarantine, progress, night, require_reference
                ),
                **(resources or {}),
            },
            instance=dg.DagsterInstance.ephemeral(),
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
            raise_on_error=False,
        )
    checks_passed = all(
        e.passed or e.severity == dg.AssetCheckSeverity.WARN
        for e in result.get_asset_check_evaluations()
    )
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


def print_domains(console: Console, warehouse: Path, night: date | None) -> None:
    """One line per domain after the ingestion summary, from what the night left in the
    warehouse (a domain that did not run says so)."""
    import duckdb

    from pipelines.resources import night_of_warehouse, reports_dir
    from warehouse.connections import connect

    if not warehouse.exists():
        return
    with connect(warehouse, read_only=True) as connection:
        try:
            day = night or night_of_warehouse(connection)
        except ValueError:
            return
        for line in (_anomalies_line, _stoppages_line):
            # A domain that never ran on this warehouse has no tables: no line.
            with contextlib.suppress(duckdb.CatalogException):
                console.print(line(connection, day), soft_wrap=True)
    report = reports_dir(warehouse) / f"anomalies-{day:%Y-%m-%d}.html"
    if report.exists():
        console.print(
            f"Rapport des gestionnaires : {report} (et {report.with_suffix('.xlsx').name})",
            soft_wrap=True,
        )


def print_warnings(console: Console, warehouse: Path, *, refused: bool) -> None:
    """What the night lacked (reference files, pseudonymisation key), loudly: in red when the
    night required them and refused its publication, else in yellow; then the companies the
    portal kept on their last good night."""
    from pipelines.ledgers.checks import PSEUDONYM_KEY_WARNING
    from serving.history import latest_company_refusals
    from serving.pseudonym import KEY_VARIABLE
    from warehouse.connections import connect
    from warehouse.reference import reference_warnings

    if not warehouse.exists():
        return
    with connect(warehouse, read_only=True) as connection:
        warnings = reference_warnings(connection)
        withheld = latest_company_refusals(connection)
    if not os.environ.get(KEY_VARIABLE):
        warnings.append(PSEUDONYM_KEY_WARNING)
    colour = "red" if refused else "yellow"
    prefix = "Publication refusée (référentiels exigés) : " if refused else "Attention : "
    for warning in warnings:
        console.print(f"[{colour}]{prefix}{warning}[/{colour}]", soft_wrap=True)
    for siren, gates in withheld:
        console.print(
            f"[yellow]Portail : entreprise {siren} retenue sur sa dernière bonne nuit, les "
            f"autres sont publiées (contrôles en échec : {gates})[/yellow]",
            soft_wrap=True,
        )


def _anomalies_line(connection: duckdb.DuckDBPyConnection, day: date) -> str:
    from quality.anomalies.model import ACTIVE_STATUSES_SQL

    [(open_, new)] = connection.execute(
        f"SELECT count(*) FILTER (status IN ({ACTIVE_STATUSES_SQL})), "
        f"count(*) FILTER (status IN ({ACTIVE_STATUSES_SQL}) AND first_seen = ?) FROM anomalies",
        [day],
    ).fetchall()
    return (
        f"Affiliations (nuit du {day:%d/%m/%Y}) : {open_} anomalie(s) ouverte(s), "
        f"dont {new} nouvelle(s)"
    )


def _stoppages_line(connection: duckdb.DuckDBPyConnection, day: date) -> str:
    from quality.stoppages.catalogue import IN_PROGRESS_SQL

    [(in_progress, new)] = connection.execute(
        f"SELECT (SELECT count(*) FROM stoppage.episodes WHERE status IN ({IN_PROGRESS_SQL})),"
        " (SELECT count(*) FROM stoppage.signals WHERE first_seen_night = ?)",
        [day],
    ).fetchall()
    return f"Arrêts de travail : {in_progress} épisode(s) en cours, {new} signal(aux) nouveau(x)"
