"""The DSN read stage as a map over batches: the same warehouse whether the batches are read in
this process or on a Dask cluster of worker processes, after a worker is killed mid-map, and
after a night killed with batches half written; a batch read twice gives the same Parquet."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import AbstractContextManager
from functools import partial
from pathlib import Path

import polars as pl
import pytest

from tests.warehouse.maps import (
    copy_landing,
    load_dsn,
    mixed_landing,
    register,
    warehouse_state,
)
from warehouse import batches, dask_map
from warehouse.batches import Batch, BatchFile, leftovers, plan_batches, read_batch
from warehouse.connections import connect
from warehouse.registry import FileKind, FileStatus, received_files

# Taken at import, before the autouse fixture of conftest memoizes it.
_READ_FILES = batches._read_files


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """Two reader processes, started once for the module (a few seconds)."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as local_cluster:
        yield local_cluster.scheduler_address


@pytest.fixture(scope="module")
def in_process(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, tuple[object, ...]]:
    """The mixed landing loaded in this process, and the warehouse it left."""
    root = tmp_path_factory.mktemp("in_process")
    landing = mixed_landing(root)
    with connect(root / "w.duckdb", read_only=False) as connection:
        register(connection, landing)
        counts = load_dsn(connection, landing, root)
        state = warehouse_state(connection)
    # The landing holds every outcome the comparison must cover.
    assert counts[FileStatus.QUARANTINED] >= 3
    assert counts.get(FileStatus.LOADED, 0) + counts[FileStatus.LOADED_WITH_DIAGNOSTICS] >= 4
    return landing, state


def test_the_map_on_a_cluster_of_two_workers_loads_what_the_process_alone_loads(
    tmp_path: Path, cluster: str, in_process: tuple[Path, tuple[object, ...]]
) -> None:
    landing, expected = in_process
    landing = copy_landing(landing, tmp_path)
    with connect(tmp_path / "w.duckdb", read_only=False) as connection:
        register(connection, landing)
        load_dsn(connection, landing, tmp_path, scheduler=cluster)
        assert warehouse_state(connection) == expected
    assert not leftovers(tmp_path / "w.staging")  # the loaded batches' Parquet is removed


def test_a_night_past_the_reader_process_threshold_is_read_beside_and_loads_the_same(
    tmp_path: Path,
    in_process: tuple[Path, tuple[object, ...]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without a scheduler set, a big night is read by one reader process (its memory apart
    from the warehouse's); the warehouse is the one the process alone loads."""
    landing, expected = in_process
    landing = copy_landing(landing, tmp_path)
    started: list[tuple[str | None, int]] = []
    real_client = dask_map._client

    def recorded(scheduler: str | None, workers: int) -> AbstractContextManager[object]:
        started.append((scheduler, workers))
        return real_client(scheduler, workers)

    monkeypatch.setattr(dask_map, "READER_PROCESS_FROM_BYTES", 0)
    monkeypatch.setattr(dask_map, "_client", recorded)
    with connect(tmp_path / "w.duckdb", read_only=False) as connection:
        register(connection, landing)
        load_dsn(connection, landing, tmp_path)
        assert warehouse_state(connection) == expected
    assert started == [(dask_map.LOCAL_CLUSTER, 1)]


# About 10 s more on the shared 2-core machine (a batch per file, workers restarted): make bench.
@pytest.mark.bench
def test_a_worker_killed_mid_map_changes_nothing(
    tmp_path: Path, cluster: str, in_process: tuple[Path, tuple[object, ...]]
) -> None:
    from distributed import Client

    landing, expected = in_process
    landing = copy_landing(landing, tmp_path)
    with Client(cluster) as client:
        pids = client.run(os.getpid)
    killed: list[int] = []

    def kill_a_worker_after_the_first_batch(done: int, total: int, label: str) -> None:
        if done and not killed:
            killed.append(pids[min(pids)])
            os.kill(killed[0], signal.SIGKILL)

    with connect(tmp_path / "w.duckdb", read_only=False) as connection:
        register(connection, landing)
        load_dsn(
            connection,
            landing,
            tmp_path,
            scheduler=cluster,
            batch_files=1,
            progress=kill_a_worker_after_the_first_batch,
        )
        assert killed
        assert warehouse_state(connection) == expected


def test_a_night_killed_with_batches_read_then_run_again_equals_the_uninterrupted_one(
    tmp_path: Path, in_process: tuple[Path, tuple[object, ...]]
) -> None:
    """What a killed map leaves (complete batch outputs, one half written) is reused or
    replaced: the warehouse is the one of a night never interrupted."""
    landing, expected = in_process
    landing = copy_landing(landing, tmp_path)
    area = tmp_path / "w.staging"
    with connect(tmp_path / "w.duckdb", read_only=False) as connection:
        register(connection, landing)
        planned = _planned(connection, landing)
        read_batch(planned[0], area)
        read_batch(planned[1], area)
        half_written = area / f"{planned[2].directory_name}.partiel-tue"
        half_written.mkdir()
        (half_written / "table-0000.parquet").write_bytes(b"PAR1 coupe au milieu")
        load_dsn(connection, landing, tmp_path)
        assert warehouse_state(connection) == expected
    assert not leftovers(area)


def test_a_batch_read_again_gives_the_same_parquet_and_a_complete_one_is_reused(
    tmp_path: Path, in_process: tuple[Path, tuple[object, ...]]
) -> None:
    landing, _ = in_process
    with connect(tmp_path / "w.duckdb", read_only=False) as connection:
        register(connection, landing)
        batch = _planned(connection, landing)[0]
    first = read_batch(batch, tmp_path / "premier")
    again = read_batch(batch, tmp_path / "second")
    assert first.name == again.name == batch.directory_name
    assert _contents(first) == _contents(again)
    assert _bytes(first) == _bytes(again)
    assert oct(first.stat().st_mode & 0o777) == oct(0o700)
    assert {oct(path.stat().st_mode & 0o777) for path in first.iterdir()} == {oct(0o600)}

    marker = first / "lu.une.fois"
    marker.touch()
    assert read_batch(batch, tmp_path / "premier") == first
    assert marker.exists()  # reused as it was, not read again


def test_big_files_streamed_batch_of_envois_by_batch_load_what_reading_them_whole_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_process: tuple[Path, tuple[object, ...]]
) -> None:
    """Every file over the bound (here: every file) is read by the streaming reader, its
    tables written as they come (a table in several files): the warehouse is the same, good,
    malformed and quarantined files alike."""
    monkeypatch.setattr(batches, "STREAMED_FILE_BYTES", 0)
    landing, expected = in_process
    landing = copy_landing(landing, tmp_path)
    with connect(tmp_path / "w.duckdb", read_only=False) as connection:
        register(connection, landing)
        load_dsn(connection, landing, tmp_path)
        assert warehouse_state(connection) == expected


def test_envois_streamed_in_parts_load_what_reading_them_whole_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_process: tuple[Path, tuple[object, ...]]
) -> None:
    """An envoi over the streaming reader's bound (here: every envoi, a bound of one line) is
    read in parts cut before its declarations: the warehouse is the same, statuses included."""
    from dsn_parser import streaming

    monkeypatch.setattr(batches, "STREAMED_FILE_BYTES", 0)
    monkeypatch.setattr(
        streaming, "read_in_batches", partial(streaming.read_in_batches, max_lines=1)
    )
    landing, expected = in_process
    landing = copy_landing(landing, tmp_path)
    with connect(tmp_path / "w.duckdb", read_only=False) as connection:
        register(connection, landing)
        load_dsn(connection, landing, tmp_path)
        assert warehouse_state(connection) == expected


def test_a_file_the_streaming_reader_fails_on_is_quarantined_with_nothing_of_it_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dsn_parser import streaming

    read_in_batches = streaming.read_in_batches

    def failing_after_a_batch(source: Path) -> Iterator[object]:
        yield from read_in_batches(source)
        if source.name == "sans_quotes.dsn":
            raise RuntimeError("le lecteur a échoué")

    monkeypatch.setattr(batches, "STREAMED_FILE_BYTES", 0)
    monkeypatch.setattr(streaming, "read_in_batches", failing_after_a_batch)
    landing = mixed_landing(tmp_path, good_files=2)
    with connect(tmp_path / "w.duckdb", read_only=False) as connection:
        register(connection, landing)
        load_dsn(connection, landing, tmp_path)
        [(file_id, status)] = connection.execute(
            "SELECT file_id, status || ' ' || reason FROM registry.files "
            "WHERE original_name = 'sans_quotes.dsn'"
        ).fetchall()
        rows = connection.execute(
            "SELECT (SELECT count(*) FROM staging.diagnostics WHERE file_id = $1), "
            "(SELECT count(*) FROM staging.declarations WHERE file_id = $1)",
            [file_id],
        ).fetchall()
    assert status.startswith("quarantined Fichier illisible par le lecteur DSN (RuntimeError)")
    assert rows == [(0, 0)]


def test_a_reader_failing_on_a_batch_reads_its_files_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One file the reader raises on quarantines itself with its French reason; the others of
    its batch load."""
    import dsn_parser

    parse_many = dsn_parser.parse_many

    def failing_on_one_file(sources: list[Path]) -> list[object]:
        if any(source.name == "sans_quotes.dsn" for source in sources):
            raise RuntimeError("le lecteur a échoué")
        return parse_many(sources)  # type: ignore[return-value]

    monkeypatch.setattr(batches, "_read_files", _READ_FILES)  # not the memoized reader
    monkeypatch.setattr(dsn_parser, "parse_many", failing_on_one_file)
    landing = mixed_landing(tmp_path, good_files=2)
    with connect(tmp_path / "w.duckdb", read_only=False) as connection:
        register(connection, landing)
        load_dsn(connection, landing, tmp_path, batch_files=50)
        statuses = dict(
            connection.execute(
                "SELECT original_name, status || ' ' || coalesce(reason, '') FROM registry.files"
            ).fetchall()
        )
    assert statuses["sans_quotes.dsn"].startswith(
        "quarantined Fichier illisible par le lecteur DSN (RuntimeError)"
    )
    loaded = [name for name, status in statuses.items() if status.startswith("loaded")]
    assert len(loaded) >= 2


def test_batches_are_bounded_and_the_same_files_give_the_same_batches() -> None:
    files = [BatchFile(f"{n:064x}", Path(f"f{n}"), size) for n, size in enumerate([5, 5, 50, 1])]
    assert plan_batches(files, max_files=2, max_bytes=20) == [
        Batch(tuple(files[:2])),
        Batch((files[2],)),  # alone past the byte bound: a big file is never split
        Batch((files[3],)),
    ]
    keys = [batch.key for batch in plan_batches(files, 2, 20)]
    assert keys == [batch.key for batch in plan_batches(list(files), 2, 20)]
    assert plan_batches(files, 2, 20)[0].key != plan_batches(files[1:], 2, 20)[0].key


def _planned(connection: object, landing: Path) -> list[Batch]:
    received = received_files(connection, landing, FileKind.DSN)  # type: ignore[arg-type]
    return plan_batches(
        [BatchFile(f.file_id, f.path, f.path.stat().st_size) for f in received], max_files=3
    )


def _contents(directory: Path) -> dict[str, object]:
    return {
        path.name: pl.read_parquet(path).rows() if path.suffix == ".parquet" else path.read_text()
        for path in sorted(directory.iterdir())
    }


def _bytes(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}
