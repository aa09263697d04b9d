"""Scale run (`make bench`): a generated year of 100,000 employees (about 1,500 companies) loaded
in one night by `dsnpipe run` in a child process, as in production, then two more nights each
bringing 1 % late files (`tools.scale.year.deliveries`): the first after a full night, and the
steady state, whose night before changed companies too. The same test first runs a
1,000-employee year the same way, so the time per employee is printed as a ratio to that
baseline; each late night is a ratio to the full night.

Printed: wall time, files/s, the share of each stage (from the night's own step durations), the
peak memory of the night process. Targets (issue 20): full night ≤ 10 min on 2 cores, time per
employee ≤ 1.1 × the baseline's, each late night ≤ 5 % of the full night, peak memory < 2 GB. They
are printed with their verdict, not asserted: a timing is not a test on a shared machine.

`BENCH_EMPLOYEES` (read by this test only) sets the size of the large run, to iterate at
10,000–30,000 employees."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tools.scale.year import deliveries
from warehouse.connections import connect

REPO = Path(__file__).parents[2]
BASELINE_EMPLOYEES = 1_000
# The generator's portfolios average about 66 employees per company (150 for 10,000 in the
# earlier scale review): 1,500 companies for 100,000 employees.
EMPLOYEES_PER_COMPANY = 66
# What each step of the night belongs to, for the stage shares (checks count with their asset;
# the ledgers' three checks are one step, `ledger_checks`).
STAGES = {
    "lecture et chargement": ("file_registry", "dsn_staging", "bank_staging", "reference_data"),
    "modèle central": ("declaration_versions", "core_facts", "core_dimensions"),
    "affiliations": ("affiliation_register", "steward_report"),
    "arrêts": ("stoppage_results",),
    "comptes": ("contribution_ledgers", "ledger_checks"),
    "publication et contrôles": ("portal_", "serving_snapshot"),
    "copie analystes": ("analyst_warehouse", "analyst_exports_by_month"),
    "comptes rendus": ("comptes_rendus",),
}
_STEP_LINE = re.compile(r"^\W*([a-z_]+)\W+(\d+\.\d) s\b", re.MULTILINE)
# `dsnpipe run` (what `python -m pipelines.cli` runs), then on its standard error its own peak
# memory, VmHWM (the high-water mark of its address space), and its reader processes' (KiB).
# ru_maxrss of this test's children would be at least this test process's peak, which Linux
# hands down through fork and exec: the generation of the year, or an earlier bench of
# `make bench`. The night's own children inherit the night's peak so far the same way: the
# larger of the two figures is still the larger of the night's and its readers'.
_NIGHT_PROCESS = """
import atexit, os, re, resource, sys
from pathlib import Path
from pipelines.cli import main
code = main(sys.argv[1:])
status = Path("/proc/self/status").read_text()
readers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print("VmHWM", re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1), readers, file=sys.stderr)
atexit._run_exitfuncs()
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)  # as `dsnpipe` ends (`pipelines.cli.process_main`): no teardown of the heap
"""
_PEAK_LINE = re.compile(r"^VmHWM (\d+) (\d+)$", re.MULTILINE)


@dataclass(frozen=True)
class Night:
    seconds: float
    steps: dict[str, float]  # step → seconds, as the night printed them
    peak_mib: float  # of the night's process
    readers_peak_mib: float  # of the night's process or its reader processes, the larger


@dataclass(frozen=True)
class Year:
    employees: int
    files: int
    megabytes: float
    full: Night
    late: list[Night]  # the nights after the full night, each bringing 1 % late files
    late_files: int  # each of them


def run_night(landing: Path, warehouse: Path) -> Night:
    """`dsnpipe run` in a child process (as in production): its wall time, step durations and
    peak memory."""
    started = time.perf_counter()
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            _NIGHT_PROCESS,
            "run",
            "--landing",
            str(landing),
            "--warehouse",
            str(warehouse),
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
        # A wide console so that the steps' table is one line per step; a key so that the
        # analysts' copy is part of the night measured, and the Data Docs site as in production
        # (the suite skips it: tests/conftest.py).
        env={
            **os.environ,
            "COLUMNS": "200",
            "DSNPIPE_PSEUDONYM_KEY": "clé de bench " + "x" * 32,
            "DSNPIPE_DATA_DOCS": "1",
        },
    )
    seconds = time.perf_counter() - started
    steps = {step: float(s) for step, s in _STEP_LINE.findall(completed.stdout)}
    [(own_kib, readers_kib)] = _PEAK_LINE.findall(completed.stderr)
    own = int(own_kib) / 1024
    return Night(seconds, steps, own, max(own, int(readers_kib) / 1024))


def deliver(paths: list[Path], generated: Path, landing: Path) -> None:
    for path in paths:
        target = landing / path.relative_to(generated)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(path, target)  # same content as a copy, without doubling a 3 GB portfolio


def a_year(root: Path, employees: int) -> Year:
    """Generate a year of `employees`, load 98 % of its files in one night, then 1 % late files
    in each of two more nights; check that every file ended loaded or in a known state."""
    from synthetic import generate

    generated = root / "generated"
    companies = max(1, employees // EMPLOYEES_PER_COMPANY)
    portfolio = generate(generated, companies=companies, employees=employees, months=12, seed=7)
    first, late = deliveries(generated)
    landing, warehouse = root / "landing", root / "entrepot.duckdb"
    deliver(first, generated, landing)
    full = run_night(landing, warehouse)
    late_nights = []
    for files in late:
        deliver(files, generated, landing)
        late_nights.append(run_night(landing, warehouse))
    with connect(warehouse) as connection:
        waiting, files = connection.execute(
            "SELECT count(*) FILTER (status = 'received'), count(*) FROM registry.files"
        ).fetchone() or (None, None)
    assert waiting == 0 and files
    return Year(
        employees=portfolio.employees,
        files=len(first),
        megabytes=sum(p.stat().st_size for p in first) / 1e6,
        full=full,
        late=late_nights,
        late_files=len(late[0]),
    )


def stage_shares(night: Night) -> str:
    total = sum(night.steps.values()) or 1.0
    stages = {
        stage: sum(s for step, s in night.steps.items() if step.startswith(steps))
        for stage, steps in STAGES.items()
    }
    stages["autres contrôles"] = max(0.0, total - sum(stages.values()))
    return "\n".join(
        f"    {stage:<26} {seconds:7.1f} s  {seconds / total:4.0%}"
        for stage, seconds in stages.items()
    )


def verdict(met: bool) -> str:
    return "atteint" if met else "NON ATTEINT"


def late_night_lines(year: Year) -> str:
    """Each late night: its time as a share of the full night, its peak memory, its stages."""
    names = ("Nuit suivante (la première après la nuit complète)", "Nuit d'après (régime établi)")
    lines = []
    for name, night in zip(names, year.late, strict=True):
        share = night.seconds / year.full.seconds
        lines.append(
            f"{name}, +{year.late_files} fichiers (1 %) : {night.seconds:.1f} s = {share:.1%} de "
            f"la nuit complète (cible ≤ 5 % : {verdict(share <= 0.05)}), mémoire max "
            f"{night.peak_mib:.0f} Mo\n  part des étapes :\n{stage_shares(night)}"
        )
    return "\n".join(lines)


@pytest.mark.bench
def test_a_year_of_100000_employees_in_one_night_then_two_late_nights(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if "bench" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("mesure à grande échelle : make bench")
    employees = int(os.environ.get("BENCH_EMPLOYEES", "100000"))

    baseline = a_year(tmp_path / "base", BASELINE_EMPLOYEES)
    large = a_year(tmp_path / "large", employees)
    base_ms, large_ms = (1000 * y.full.seconds / y.employees for y in (baseline, large))
    per_employee = large_ms / base_ms
    base_late = ", ".join(f"{night.seconds:.1f} s" for night in baseline.late)
    print(
        f"\nBase : {baseline.employees} salariés, {baseline.files} fichiers, nuit complète "
        f"{baseline.full.seconds:.1f} s, nuits suivantes {base_late}\n"
        f"Année : {large.employees} salariés, {large.files} fichiers ({large.megabytes:.0f} Mo)\n"
        f"Nuit complète : {large.full.seconds:.1f} s = {large.files / large.full.seconds:.1f} "
        f"fichiers/s, {large.megabytes / large.full.seconds:.2f} Mo/s "
        f"(cible ≤ 600 s : {verdict(large.full.seconds <= 600)})\n"
        f"  temps par salarié : {large_ms:.1f} ms = {per_employee:.2f} × la base "
        f"({base_ms:.1f} ms ; cible ≤ 1,1 : {verdict(per_employee <= 1.1)})\n"
        f"  mémoire max du processus de la nuit : {large.full.peak_mib:.0f} Mo (cible < 2048 : "
        f"{verdict(large.full.peak_mib < 2048)}) ; processus de lecture compris "
        f"{large.full.readers_peak_mib:.0f} Mo\n"
        f"  part des étapes (somme des étapes {sum(large.full.steps.values()):.1f} s) :\n"
        f"{stage_shares(large.full)}\n"
        f"{late_night_lines(large)}"
    )
    assert large.full.steps and all(night.steps for night in large.late)
