"""Scale run (`make bench`): a generated portfolio of 10,000 employees over 12 months, loaded in
one night, then one more night bringing 1 % new files. Figures are printed; the extra night is
reported as a ratio of the full night measured in the same test (target: below 10 %)."""

from __future__ import annotations

import random
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from warehouse.connections import connect

REPO = Path(__file__).parents[2]


def run_night(landing: Path, warehouse: Path) -> float:
    """`dsnpipe run` in a child process (as in production); its wall-clock time in seconds."""
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pipelines.cli",
            "run",
            "--landing",
            str(landing),
            "--warehouse",
            str(warehouse),
        ],
        cwd=REPO,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


@pytest.mark.bench
def test_a_year_of_a_10000_employee_portfolio_and_an_incremental_night(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if "bench" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("mesure à grande échelle : make bench")
    from synthetic import generate

    generated = tmp_path / "generated"
    portfolio = generate(generated, companies=150, employees=10_000, months=12, seed=7)
    delivered = sorted(
        path
        for folder in ("dsn", "bank", "reference", "portal")
        for path in (generated / folder).rglob("*")
        if path.is_file()
    )
    late = set(random.Random(7).sample(delivered, k=max(1, len(delivered) // 100)))

    landing, warehouse = tmp_path / "landing", tmp_path / "entrepot.duckdb"
    for path in delivered:
        if path not in late:
            target = landing / path.relative_to(generated)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    first_night_files = len(delivered) - len(late)
    first_night_bytes = sum(p.stat().st_size for p in delivered if p not in late)

    full = run_night(landing, warehouse)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss

    for path in late:
        target = landing / path.relative_to(generated)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    extra = run_night(landing, warehouse)

    with connect(warehouse) as connection:
        waiting, files = connection.execute(
            "SELECT count(*) FILTER (status = 'received'), count(*) FROM registry.files"
        ).fetchone() or (None, None)
        declarations, employees = connection.execute(
            "SELECT (SELECT count(*) FROM core.declarations_in_force), "
            "(SELECT count(*) FROM core.employees)"
        ).fetchone() or (None, None)
    print(
        f"\nPortefeuille : {portfolio.companies} entreprises, {portfolio.employees} salariés, "
        f"{len(delivered)} fichiers ({portfolio.bytes / 1e6:.0f} Mo)\n"
        f"Nuit complète : {first_night_files} fichiers en {full:.1f} s = "
        f"{first_night_files / full:.1f} fichiers/s, {first_night_bytes / 1e6 / full:.2f} Mo/s, "
        f"mémoire max {peak_kib / 1024:.0f} Mo\n"
        f"Nuit suivante (+{len(late)} fichiers, 1 %) : {extra:.1f} s = "
        f"{extra / full:.1%} de la nuit complète (cible < 10 %)\n"
        f"Entrepôt : {declarations} déclarations en vigueur, {employees} salariés"
    )
    assert waiting == 0 and files
