"""`dsnpipe affiliations`: the affiliation part of a night, by hand: contract parameters and
portal exports of the landing directory loaded (`warehouse.reference`), anomaly rules and
their register (steward decisions first), then the affiliation register. Prints the count of
employees per state; with `--truth`, compares every state with a generated portfolio's ground truth.

The nightly Dagster job calls the same `quality.affiliation.night.run_affiliation_night`, and
the night is dated by the same rule: `--night`, else the due date of the latest declared month
(`warehouse.night`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pipelines.commands.options import add_options, settings_of


def configure(parser: argparse.ArgumentParser) -> None:
    add_options(parser, "landing", "warehouse", "decisions", "night")
    parser.add_argument("--truth", type=Path, help="répertoire de vérité du générateur")


def run(args: argparse.Namespace) -> int:
    import duckdb
    from rich.console import Console
    from rich.table import Table

    from pipelines.commands.run import WAREHOUSE_TAKEN
    from quality.affiliation.night import run_affiliation_night
    from warehouse.connections import connect, transaction
    from warehouse.lock import NightAlreadyRunningError, night_lock
    from warehouse.night import night_of_warehouse
    from warehouse.reference import load_reference_files

    console, errors = Console(), Console(stderr=True, soft_wrap=True)
    settings = settings_of(args)
    try:
        # It writes the warehouse: like a night, it holds the night lock.
        with (
            night_lock(settings.warehouse),
            connect(settings.warehouse, read_only=False) as connection,
        ):
            day = settings.night or night_of_warehouse(connection)
            with transaction(connection):
                loaded = load_reference_files(connection, settings.landing)
                night = run_affiliation_night(connection, day, settings.decisions)
            counts = connection.execute(
                "SELECT status, count(*) FROM core.affiliation_states GROUP BY 1 ORDER BY 1"
            ).fetchall()
            states = connection.sql("SELECT * FROM core.affiliation_states").pl()
    except NightAlreadyRunningError as refusal:
        errors.print(str(refusal), style="red", markup=False)
        return WAREHOUSE_TAKEN
    except (FileNotFoundError, duckdb.Error, ValueError) as error:
        errors.print(f"[red]Nuit des affiliations impossible : {error}[/red]")
        return 2
    table = Table(title=f"Affiliations au {day:%d/%m/%Y}")
    table.add_column("État")
    table.add_column("Salariés × contrats", justify="right")
    for status, count in counts:
        table.add_row(status, str(count))
    console.print(table)
    refresh = night.anomalies.night
    console.print(
        f"Anomalies : {refresh.detected} détectée(s) dont {refresh.new} nouvelle(s) et "
        f"{refresh.reopened} rouverte(s), {refresh.resolved_by_data} résolue(s) par les "
        "données ; "
        f"lignes de référentiel ou du portail illisibles : {len(loaded.rejects)}"
    )
    if args.truth is None:
        return 0
    from quality.affiliation.evaluation import compare_states, read_truth_states

    comparison = compare_states(states, read_truth_states(args.truth))
    console.print(
        f"Vérité : {comparison.expected} états attendus, {comparison.computed} calculés, "
        f"{comparison.same_status} de même statut, {comparison.same_status_since} de même date"
    )
    if not comparison.all_statuses_equal:
        console.print(comparison.mismatches)  # keys shown: a generated, fictitious portfolio
        return 1
    return 0
