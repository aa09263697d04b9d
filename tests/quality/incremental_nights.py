"""Helpers of the tests comparing an incremental stage with a whole recomputation night after
night: ingesting a landing directory, making a generated portfolio's companies share employees
(the generator gives each company its own), comparing two warehouses' tables."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb

from synthetic import generate
from tests.pipelines.replay import arrivals, land, land_insurer_files
from tests.warehouse.helpers import rows_differing
from warehouse import load, models, reference, registry
from warehouse.changes import EVERY_COMPANY, CompanyScope, changed_since, record_progress
from warehouse.connections import connect

# A stage's night on a connection and a scope; returns the number of companies it recomputed.
StageNight = Callable[[duckdb.DuckDBPyConnection, CompanyScope], int | None]


def ingest(warehouse: Path, landing: Path, quarantine: Path) -> None:
    with connect(warehouse, read_only=False) as connection:
        registry.register_deliveries(connection, landing, datetime.now())
        load.register_files_of_other_domains(connection, landing, quarantine)
        load.load_received_dsn_files(connection, landing, quarantine)
        load.load_received_bank_files(connection, landing, quarantine)
        models.refresh_core(connection)
        reference.load_reference_files(connection, landing)


def night_both_ways(
    tmp_path: Path,
    landing: Path,
    day: date,
    stage: tuple[str, str],
    run: StageNight,
    compared: tuple[str, ...],
) -> tuple[dict[str, int], int | None]:
    """Ingest, then the stage (name, code version) on the companies changed since it last ran
    on the warehouse, and whole on a copy of it: per compared table, the rows that differ, and
    how many companies the incremental run recomputed."""
    name, version = stage
    warehouse, whole = tmp_path / "entrepot.duckdb", tmp_path / "entier.duckdb"
    ingest(warehouse, landing, tmp_path / "quarantine")
    shutil.copy(warehouse, whole)
    with connect(warehouse, read_only=False) as connection:
        connection.execute("BEGIN")
        changed = changed_since(connection, name, version)
        companies = run(connection, changed)
        record_progress(connection, name, changed, day, version)
        connection.execute("COMMIT")
    with connect(whole, read_only=False) as connection:
        connection.execute("BEGIN")
        run(connection, EVERY_COMPANY)
        connection.execute("COMMIT")
    return differences(warehouse, whole, compared), companies


def nirs_in(files: list[Path]) -> list[str]:
    """The NIRs the files declare, the most declared first."""
    counts = Counter(
        nir for f in files for nir in re.findall(rb"S21\.G00\.30\.001,'(\d{13})'", f.read_bytes())
    )
    return [nir.decode() for nir, _ in sorted(counts.items(), key=lambda c: (-c[1], c[0]))]


def declare_as(files: list[Path], nir: str, other: str) -> None:
    """The employee declared under `nir` is declared under `other` instead."""
    for f in files:
        line = b"S21.G00.30.001,'%s'"
        f.write_bytes(f.read_bytes().replace(line % nir.encode(), line % other.encode()))


def share_employees(source: Path, late: Path) -> None:
    """A, the late file's company, shares an employee of its late file with B; B another with
    C. B's SIREN comes before C's, so that AFF008 on their shared employee names B (both
    declare him for as many months) and B's result needs C's months."""
    monthly = sorted((source / "dsn").glob("DSN_01_*"))
    by_company: dict[str, list[Path]] = {}
    for f in monthly:
        by_company.setdefault(f.name.split("_")[2][:9], []).append(f)
    a = late.name.split("_")[2][:9]
    b, c = sorted(siren for siren in by_company if siren != a)[:2]
    shared_with_a = nirs_in([late])[0]
    first_of_b, second_of_b = nirs_in(by_company[b])[:2]
    declare_as(by_company[b], first_of_b, shared_with_a)
    declare_as(by_company[c], nirs_in(by_company[c])[0], second_of_b)


def shared_employees(warehouse: Path) -> int:
    with connect(warehouse, read_only=True) as connection:
        [(count,)] = connection.execute(
            """
            SELECT count(*) FROM (
                SELECT c.employee_key FROM core.contract_months AS c
                JOIN core.declaration_versions AS d USING (file_id, declaration_id)
                GROUP BY ALL HAVING count(DISTINCT d.siren) > 1)
            """
        ).fetchall()
    return int(count)


def differences(warehouse: Path, whole: Path, tables: tuple[str, ...]) -> dict[str, int]:
    """Per table, the rows in one warehouse and not in the other."""
    with connect(warehouse, read_only=True) as connection:
        connection.execute(f"ATTACH '{whole}' AS whole (READ_ONLY)")
        return {table: rows_differing(connection, table, f"whole.{table}") for table in tables}


@dataclass(frozen=True)
class SignalementNights:
    """A portfolio landed but for its signalements and one monthly DSN held back, both to land
    as late files night after night."""

    source: Path
    landing: Path
    signalements: list[Path]  # in arrival order; most of them the company `BIG`'s
    monthly: list[Path]  # every monthly DSN, by path
    held_back: Path  # a monthly DSN of another company, to land with the first signalement
    day: date  # the portfolio's last arrival day: every late night runs on it


BIG = "482165743"  # the company of most signalements, three establishments


def signalement_nights(root: Path) -> SignalementNights:
    source = root / "source"
    generate(
        source, companies=3, employees=90, months=5, start=date(2024, 1, 1), seed=3, fault_rate=0.5
    )
    landing = root / "landing"
    land_insurer_files(source, landing)
    files = [p for paths in arrivals(source).values() for p in paths]
    signalements = [p for p in files if p.name[:6] in ("DSN_04", "DSN_05", "DSN_07")]
    assert sum(BIG in p.name for p in signalements) >= 8
    monthly = sorted(p for p in files if p.name.startswith("DSN_01"))
    held_back = next(p for p in reversed(monthly) if BIG not in p.name)
    land(source, landing, [p for p in files if p not in signalements and p != held_back])
    day = max(arrivals(source))
    return SignalementNights(source, landing, signalements, monthly, held_back, day)
