"""Bounded memory: companies are generated one at a time and forgotten; the bench generates
100,000 employees over 12 months in a child process and reports time, rates and peak memory."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import weakref
from pathlib import Path

import pytest

import synthetic.generation as generation
from synthetic import generate
from synthetic.portfolio import Company


def test_at_most_one_company_is_alive_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alive: list[weakref.ref[Company]] = []
    most = 0
    real_draw = generation.draw_company

    def draw_and_count(*args: object, **kwargs: object) -> Company:
        nonlocal most
        gc.collect()
        most = max(most, sum(ref() is not None for ref in alive))
        company = real_draw(*args, **kwargs)  # type: ignore[arg-type]
        alive.append(weakref.ref(company))
        return company

    monkeypatch.setattr(generation, "draw_company", draw_and_count)
    generate(tmp_path, companies=6, employees=60, months=3, seed=2)
    gc.collect()
    # When a company is drawn, the previous one may still be referenced by the loop variable
    # until it is rebound; none older than that.
    assert most <= 1
    assert sum(ref() is not None for ref in alive) == 0


# The peak is the child's VmHWM: its ru_maxrss would be at least this test process's peak, which
# Linux hands down through fork and exec (in `make bench`, the reader bench's 1.5 GB for both).
CHILD = """
import json, re, resource, sys, time
from datetime import date
from pathlib import Path
from synthetic import generate
out, companies, employees = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
started = time.perf_counter()
summary = generate(out, companies=companies, employees=employees, months=12,
                   start=date(2025, 1, 1), seed=42)
elapsed = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_SELF)
peak_kib = re.search(r"VmHWM:\\s+(\\d+) kB", Path("/proc/self/status").read_text()).group(1)
print(json.dumps({"seconds": elapsed, "cpu_seconds": usage.ru_utime + usage.ru_stime,
                  "files": summary.files, "bytes": summary.bytes,
                  "employees": summary.employees, "peak_mib": int(peak_kib) / 1024}))
"""


def run_child(out: Path, companies: int, employees: int) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(out), str(companies), str(employees)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.bench
def test_generation_rate_and_memory_at_100000_employees(tmp_path: Path) -> None:
    baseline = run_child(tmp_path / "baseline", 6, 1_000)
    full = run_child(tmp_path / "full", 600, 100_000)
    for label, figures in (
        ("référence 1 000 salariés", baseline),
        ("100 000 salariés × 12 mois", full),
    ):
        print(
            f"\n{label} : {figures['seconds']:.1f} s ({figures['cpu_seconds']:.1f} s CPU), "
            f"{figures['files']} fichiers "
            f"({figures['files'] / figures['seconds']:.0f} fichiers/s), "
            f"{figures['bytes'] / 1e6:.0f} Mo ({figures['bytes'] / 1e6 / figures['seconds']:.1f}"
            f" Mo/s), mémoire max {figures['peak_mib']:.0f} Mio"
        )
    per_employee = (full["seconds"] / full["employees"]) / (
        baseline["seconds"] / baseline["employees"]
    )
    print(
        f"temps par salarié : {per_employee:.2f} × la référence ; mémoire max : "
        f"{full['peak_mib'] / baseline['peak_mib']:.2f} × la référence"
    )
    # Streaming: 100 times the employees must not need anything like 100 times the memory.
    assert full["peak_mib"] < 10 * baseline["peak_mib"]
