"""`dsnpipe run`: one night, in this process, with the same Dagster assets as the scheduled job
(`pipelines.nightly`; no daemon, no Dagster storage), a progress display and a summary in French:
the ingestion, then one line per domain and where the steward report is.

The night's date (first-seen dates of anomalies and signals, the report's name) is `--night`
or, by default, the due date of the latest declared month (`warehouse.night`), never today's
date: the same files give the same warehouse whatever day they are run."""

from __future__ import annotations

import argparse
import contextlib
import time
from datetime import date, datetime
from typing import TYPE_CHECKING

from pipelines.commands.options import add_options, settings_of

if TYPE_CHECKING:
    import duckdb
    from rich.console import Console

    from pipelines.settings import Settings


def configure(parser: argparse.ArgumentParser) -> None:
    add_options(parser, "landing", "warehouse", "quarantine", "night")


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    console = Console()
    settings = settings_of(args)
    if not settings.landing.is_dir():
        console.print(f"[red]Répertoire d'arrivée introuvable : {settings.landing}[/red]")
        return 2
    started_at = datetime.now()
    started = time.perf_counter()
    success = run_night(settings, console)
    print_summary(console, settings, started_at, time.perf_counter() - started)
    print_domains(console, settings)
    if not success:
        print_failure(console)
    return 0 if success else 1


def print_failure(console: Console) -> None:
    console.print(
        "[red]La nuit a échoué : voir les messages ci-dessus ; relancer la même "
        "commande reprend là où elle s'est arrêtée.[/red]"
    )


def run_night(settings: Settings, console: Console) -> bool:
    """Materialise the nightly assets and their checks in process; True when all succeeded."""
    import dagster as dg

    from pipelines.nightly import NIGHTLY_ASSETS, NIGHTLY_CHECKS
    from pipelines.progress import RichProgress
    from pipelines.resources import pipeline_resources

    with RichProgress(console) as progress:
        result = dg.materialize(
            [*NIGHTLY_ASSETS, *NIGHTLY_CHECKS],
            resources=pipeline_resources(settings, progress),
            instance=dg.DagsterInstance.ephemeral(),
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
            raise_on_error=False,
        )
    checks_passed = all(e.passed for e in result.get_asset_check_evaluations())
    return bool(result.success) and checks_passed


def print_summary(console: Console, settings: Settings, since: datetime, elapsed: float) -> None:
    from rich.table import Table

    from warehouse.connections import connect
    from warehouse.summary import night_summary

    warehouse = settings.warehouse
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
        ("Entrées ignorées (liens, fichiers spéciaux, dépôts en cours)", summary.entries_ignored),
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
        console.print(f"Quarantaine (fichiers et motifs) : {settings.quarantine}", soft_wrap=True)


def print_domains(console: Console, settings: Settings) -> None:
    """One line per domain after the ingestion summary, from what the night left in the
    warehouse (a domain that did not run says so)."""
    import duckdb

    from warehouse.connections import connect
    from warehouse.night import night_of_warehouse

    if not settings.warehouse.exists():
        return
    with connect(settings.warehouse, read_only=True) as connection:
        try:
            day = settings.night or night_of_warehouse(connection)
        except ValueError:
            return
        for line in (_anomalies_line, _stoppages_line):
            # A domain that never ran on this warehouse has no tables: no line.
            with contextlib.suppress(duckdb.CatalogException):
                console.print(line(connection, day), soft_wrap=True)
    report = settings.reports / f"anomalies-{day:%Y-%m-%d}.html"
    if report.exists():
        console.print(
            f"Rapport des gestionnaires : {report} (et {report.with_suffix('.xlsx').name})",
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
