"""Bench of the map over batches: the same batches of a synthetic portfolio read by a Dask
cluster of 2 worker processes and of 1, printed as a ratio (and the process alone as the
baseline), then loaded by the single writer. `make bench` only."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from warehouse import batches, load, registry
from warehouse.batches import BatchFile, plan_batches
from warehouse.connections import connect
from warehouse.dask_map import mapped_batches
from warehouse.registry import FileKind, received_files

# Taken at import, before the autouse fixture of conftest memoizes it: timed reads must read.
_READ_FILES = batches._read_files


@pytest.mark.bench
def test_two_workers_against_one_on_the_same_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from distributed import Client, LocalCluster

    from synthetic import generate

    monkeypatch.setattr(batches, "_read_files", _READ_FILES)
    landing = tmp_path / "landing"
    # About 1,400 DSN files (66 MB), 29 batches: enough that the map, not a cluster's start
    # and the first batches' imports, is what is timed (254 files read in 2 s said nothing).
    generate(landing, companies=40, employees=2600, months=12, seed=7)
    with connect(tmp_path / "w.duckdb", read_only=False) as connection:
        registry.register_deliveries(connection, landing, datetime.now())
        received = received_files(connection, landing, FileKind.DSN)
    files = [BatchFile(f.file_id, f.path, f.path.stat().st_size) for f in received]
    planned = plan_batches(files, max_files=50)
    megabytes = sum(file.size for file in files) / 1e6

    def map_all(scheduler: str | None, area: Path) -> float:
        started = time.perf_counter()
        outputs = list(mapped_batches(planned, area, scheduler, workers=1))
        assert len(outputs) == len(planned)
        return time.perf_counter() - started

    # The machine is shared: each configuration keeps its best of two runs, and the two
    # cluster sizes alternate. The process alone runs before any cluster exists: their
    # schedulers' threads would live in this process.
    _warm_up(files[0].path)
    alone = [map_all(None, tmp_path / f"seul{n}") for n in range(2)]
    timings = {"ce processus": min(alone)}
    with (
        LocalCluster(n_workers=1, **_CLUSTER) as one,
        LocalCluster(n_workers=2, **_CLUSTER) as two,
        Client(one) as one_client,
        Client(two) as two_client,
    ):
        for client in (one_client, two_client):
            client.run(_warm_up, files[0].path)  # imports and norm tables, outside the timing
        clusters = {"1 worker(s)": one.scheduler_address, "2 worker(s)": two.scheduler_address}
        for round_number in range(2):
            for label, scheduler in clusters.items():
                seconds = map_all(scheduler, tmp_path / f"{label[0]}-{round_number}")
                timings[label] = min(seconds, timings.get(label, seconds))

    loading = _timed(lambda: _load(tmp_path, landing))
    baseline = timings["ce processus"]
    print(
        f"\nCarte des lots : {len(files)} fichiers DSN ({megabytes:.1f} Mo), "
        f"{len(planned)} lots de 50 au plus"
    )
    for label, seconds in timings.items():
        print(
            f"  lecture, {label} : {seconds:.1f} s, {len(files) / seconds:.0f} fichiers/s, "
            f"{baseline / seconds:.2f}× ce processus"
        )
    print(f"  2 workers / 1 worker : {timings['1 worker(s)'] / timings['2 worker(s)']:.2f}×")
    print(f"  chargement complet en ce processus (lecture + écriture) : {loading:.1f} s")


_CLUSTER: dict[str, object] = {
    "threads_per_worker": 1,
    "processes": True,
    "dashboard_address": None,
}


def _warm_up(path: Path) -> None:
    from dsn_parser import parse_many

    parse_many([path])


def _load(root: Path, landing: Path) -> None:
    with connect(root / "chargement.duckdb", read_only=False) as connection:
        registry.register_deliveries(connection, landing, datetime.now())
        load.load_received_dsn_files(connection, landing, root / "quarantine", batch_files=50)


def _timed(action: Callable[[], None]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started
