"""`dsnpipe run`: one night, in this process, with the same Dagster assets as the scheduled job
(`pipelines.nightly`; no daemon, no Dagster storage), a progress display and a summary in French:
the ingestion, then one line per domain and where the steward report is.

The night's date (first-seen dates of anomalies and signals, the report's name) is `--night`
or, by default, the due date of the latest declared month (`warehouse.night`), never today's
date: the same files give the same warehouse whatever day they are run.

One night at a time: the night holds the warehouse's night lock (`warehouse.lock`) from start to
end, and a night that cannot have the warehouse exits with code 3 and one French line."""

from __future__ import annotations

import argparse
import contextlib
import gc
import time
from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING

from pipelines.commands.options import add_options, settings_of

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    import duckdb
    from dagster import DagsterInstance, EventLogEntry
    from dagster._utils.error import SerializableErrorInfo
    from rich.console import Console

    from pipelines.settings import Settings


def configure(parser: argparse.ArgumentParser) -> None:
    add_options(parser, "landing", "warehouse", "quarantine", "night")
    parser.add_argument(
        "--exiger-referentiels",
        dest="require_reference",
        action="store_true",
        help="refuser la publication si un contrat déclaré n'a pas de fiche de paramétrage ou "
        "si la clé de pseudonymisation manque (défaut : avertir ; aussi "
        "DSNPIPE_REQUIRE_REFERENCE=1)",
    )
    parser.add_argument(
        "--accepter-baisse",
        dest="accepted_drops",
        metavar="TABLES",
        type=_portal_tables,
        default=(),
        help="tables du portail (séparées par des virgules) dont le volume peut cette nuit "
        "sortir des bornes des contrôles : une baisse voulue, qu'un refus a signalée",
    )


def _portal_tables(value: str) -> tuple[str, ...]:
    from serving.tables import PORTAL_TABLES

    known = {spec.name for spec in PORTAL_TABLES}
    tables = tuple(t.strip() for t in value.split(",") if t.strip())
    unknown = [t for t in tables if t not in known]
    if unknown or not tables:
        named = "aucune table"
        if unknown:
            named = f"table(s) du portail inconnue(s) : {', '.join(unknown)}"
        raise argparse.ArgumentTypeError(f"{named} (connues : {', '.join(sorted(known))})")
    return tables


# Exit code of a night that could not have the warehouse: another night runs, or another process
# holds the file. Nothing was written; the same command later does the night.
WAREHOUSE_TAKEN = 3


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    console = Console()
    settings = settings_of(args)
    if args.require_reference:
        settings = replace(settings, require_reference=True)
    if args.accepted_drops:
        settings = replace(settings, accepted_drops=args.accepted_drops)
    if not settings.landing.is_dir():
        console.print(f"[red]Répertoire d'arrivée introuvable : {settings.landing}[/red]")
        return 2
    return with_warehouse(console, settings.warehouse, lambda: _run(settings, console))


def with_warehouse(console: Console, warehouse: Path, night: Callable[[], int]) -> int:
    """`night()` holding the night lock of `warehouse`; one French line and `WAREHOUSE_TAKEN`
    when another night or another process has it."""
    from warehouse.lock import NightAlreadyRunningError, WarehouseBusyError, night_lock

    try:
        with night_lock(warehouse):
            return night()
    except (NightAlreadyRunningError, WarehouseBusyError) as refusal:
        console.print(str(refusal), style="red", soft_wrap=True, markup=False)
        return WAREHOUSE_TAKEN


def _run(settings: Settings, console: Console) -> int:
    from pipelines.tables import DOMAIN_TABLES
    from warehouse.connections import connect

    if settings.warehouse.exists():
        # Refused before anything is written when another process holds the file. The domains'
        # tables as the steps' connections declare them: the schema's stamp is theirs.
        with connect(settings.warehouse, read_only=False, tables=DOMAIN_TABLES):
            pass
    started_at = datetime.now()
    started = time.perf_counter()
    success = run_night(settings, console)
    print_summary(console, settings, started_at, time.perf_counter() - started)
    print_domains(console, settings)
    print_warnings(console, settings)
    if not success:
        print_failure(console)
    return 0 if success else 1


def print_failure(console: Console) -> None:
    console.print(
        "[red]La nuit a échoué : voir les messages ci-dessus ; relancer la même "
        "commande reprend là où elle s'est arrêtée.[/red]"
    )


def run_night(settings: Settings, console: Console) -> bool:
    """Materialise the nightly assets and their checks in process; True when all succeeded
    (a check failing as a warning does not fail the night). Prints each step's duration and
    the process's peak memory at its end."""
    import uuid

    import dagster as dg

    from pipelines.nightly import NIGHTLY_ASSETS, NIGHTLY_CHECKS, nightly_job
    from pipelines.progress import RichProgress
    from pipelines.resources import ACCEPTED_DROPS_TAG, pipeline_resources

    instance = dg.DagsterInstance.ephemeral()
    # The run's id is chosen here so that the steps are metered as they end, not after.
    run_id = str(uuid.uuid4())
    meter = StepMeter()
    instance.add_event_listener(run_id, meter.on_event)
    with RichProgress(console) as progress:
        job = dg.Definitions(
            assets=[*NIGHTLY_ASSETS, *NIGHTLY_CHECKS],
            jobs=[nightly_job],
            resources=pipeline_resources(settings, progress),
        ).resolve_job_def(nightly_job.name)
        with frozen_heap():
            result = job.execute_in_process(
                instance=instance,
                run_id=run_id,
                tags={ACCEPTED_DROPS_TAG: ",".join(settings.accepted_drops)}
                if settings.accepted_drops
                else None,
                # Warnings and failures are printed after the run (`print_run_messages`), not by
                # Dagster's console logger, which prints a traceback with every failure.
                run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
                raise_on_error=False,
            )
    print_run_messages(console, instance, run_id)
    print_steps(console, meter.seconds, meter.megabytes)
    checks_passed = all(
        e.passed or e.severity == dg.AssetCheckSeverity.WARN
        for e in result.get_asset_check_evaluations()
    )
    return bool(result.success) and checks_passed


@contextlib.contextmanager
def frozen_heap() -> Iterator[None]:
    """The objects alive now (the modules, Dagster's definitions) kept out of the cyclic
    collector's passes while the block runs: they live for the whole run, and each full pass
    the steps' allocations trigger walked them again (20,000 employees, incremental night,
    three alternated pairs: 15.7 s -> 14.7 s). Unfrozen after, for a process that goes on."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


_STEP_ENDS = {"STEP_SUCCESS", "STEP_FAILURE"}


class StepMeter:
    """Each step's duration and the process's peak resident memory (MB) as it ends (a step's
    figure above the previous step's is memory that step reached), read on Dagster's step
    events as they come: the in-process executor emits them in the step's own thread, so no
    timing code in the steps and no second pass over the run's log."""

    def __init__(self) -> None:
        self._started: dict[str, float] = {}
        self.seconds: dict[str, float] = {}
        self.megabytes: dict[str, int] = {}

    def on_event(self, entry: EventLogEntry) -> None:
        event, step = entry.dagster_event, entry.step_key
        if event is None or step is None:
            return
        if event.event_type == "STEP_START":
            self._started[step] = entry.timestamp
        elif event.event_type in _STEP_ENDS and step in self._started:
            self.seconds[step] = entry.timestamp - self._started[step]
            self.megabytes[step] = peak_memory_megabytes()


def peak_memory_megabytes() -> int:
    """The largest resident memory of this process so far: the high-water mark of its address
    space (VmHWM). Its ru_maxrss would be at least the peak of the process that started it
    (Linux hands it down through fork and exec): a test run's or a scheduler's, not the night's."""
    import re
    from pathlib import Path

    try:
        status = Path("/proc/self/status").read_text()
    except FileNotFoundError:  # not Linux: the nearest figure there is
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    return int(re.findall(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)[0]) // 1024


def print_steps(
    console: Console, steps: dict[str, float], peaks: dict[str, int] | None = None
) -> None:
    """The steps' durations and shares of their total, longest first, with the process's peak
    memory at each step's end (where the night's peak was reached)."""
    from rich.table import Table

    total = sum(steps.values())
    if not total:
        return
    peaks = peaks or {}
    table = Table(title="Durée par étape")
    table.add_column("étape", justify="left")
    table.add_column("durée", justify="right")
    table.add_column("part", justify="right")
    table.add_column("mémoire max du processus", justify="right")
    for step, seconds in sorted(steps.items(), key=lambda item: -item[1]):
        peak = f"{peaks[step]} Mo" if step in peaks else ""
        table.add_row(step, f"{seconds:.1f} s", f"{100 * seconds / total:.0f} %", peak)
    console.print(table)


# Errors whose message is meant for the operator as it is (French, one line): no traceback.
_OPERATOR_ERRORS = {"WarehouseBusyError", "NightAlreadyRunningError", "Failure"}


def print_run_messages(console: Console, instance: DagsterInstance, run_id: str) -> None:
    """The run's warnings and errors: the steps' own messages, and each failure either as its
    French line (operator errors, blocking checks) or whole with its traceback (anything
    unforeseen); the steps a failure left unrun in one French line at the end."""
    import logging

    not_run: list[str] = []
    for entry in instance.all_logs(run_id):
        level = entry.level if isinstance(entry.level, int) else logging.getLevelName(entry.level)
        if level < logging.WARNING:
            continue
        event = entry.dagster_event
        if event is None:
            if entry.user_message.startswith(_NOT_RUN_PREFIX) and entry.step_key:
                not_run.append(entry.step_key)
            else:
                console.print(entry.user_message, style="yellow", soft_wrap=True, markup=False)
            continue
        error = getattr(event.event_specific_data, "error", None)
        if error is None or event.is_run_failure:
            continue
        console.print(_failure_text(error), style="red", soft_wrap=True, markup=False)
    if not_run:
        console.print(
            "Étapes non exécutées, une étape dont elles dépendent ayant échoué : "
            + ", ".join(not_run),
            style="red",
            soft_wrap=True,
        )


# Dagster's own message, in English, for a step whose inputs failed or were not produced.
_NOT_RUN_PREFIX = "Dependencies for step "


def _failure_text(error: SerializableErrorInfo) -> str:
    cause: SerializableErrorInfo | None = error
    while cause is not None:
        if cause.cls_name in _OPERATOR_ERRORS:
            return cause.message.split(": ", 1)[-1].strip()
        if cause.cls_name == "DagsterAssetCheckFailedError":
            # The checks' reasons are their own messages, printed above; Dagster's names them.
            failed = cause.message.strip().split("\n")[1:]
            return "Contrôles bloquants en échec : " + "; ".join(failed)
        cause = cause.cause
    return error.to_string()


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


def print_warnings(console: Console, settings: Settings) -> None:
    """What the night lacked (reference files, pseudonymisation key), loudly: in red when the
    night required them and refused its publication, else in yellow; then the companies the
    portal kept on their last good night."""
    from pipelines.settings import pseudonym_secret
    from serving.history import latest_company_refusals
    from serving.pseudonym import missing_key_warning
    from warehouse.connections import connect
    from warehouse.reference import reference_warnings

    if not settings.warehouse.exists():
        return
    with connect(settings.warehouse, read_only=True) as connection:
        warnings = reference_warnings(connection)
        withheld = latest_company_refusals(connection)
    if not pseudonym_secret(settings.pseudonym_key_variable) and not settings.demo:
        warnings.append(missing_key_warning(settings.pseudonym_key_variable))
    refused = settings.require_reference
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
