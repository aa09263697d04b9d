"""Where the map over batches runs: in this process, on a `LocalCluster` of reader processes,
or on a real Dask cluster given by its scheduler's address (docs/dask.md).

Dask runs inside the load, not as Dagster's executor: Dagster keeps the orchestration and its
single-writer pool, and the one process holding the warehouse loads what the map wrote.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from warehouse.batches import Batch, read_batch

if TYPE_CHECKING:
    from distributed import Client

# The scheduler setting asking for an embedded LocalCluster of `parse_workers` processes. Two
# single-threaded workers read no faster than this process alone on the 2-core machine measured
# (docs/dask.md): its Polars uses both cores.
LOCAL_CLUSTER = "local"
# Reader processes: the default of the setting `parse_workers` (the LocalCluster's size).
PARSE_WORKERS = os.cpu_count() or 1
# Without a scheduler set, a night reading more than this is read by ONE reader process beside
# this one, which loads a batch while the next is read, and no longer holds the reader's memory
# on top of the warehouse's: the 100,000-employee year's full night (2.7 GB) took 377 s instead
# of 480 s and its night process peaked at 1,616 MB instead of 2,353 MB (docs/scale.md). Below
# it, the seconds a LocalCluster takes to start are not worth it.
READER_PROCESS_FROM_BYTES = 512 * 1024 * 1024


def mapped_batches(
    batches: Sequence[Batch], area: Path, scheduler: str | None = None, workers: int = PARSE_WORKERS
) -> Iterator[tuple[Batch, Path]]:
    """Each batch with its read output directory, in the order given, as the map completes it.

    `scheduler`: a Dask scheduler's address (`tcp://…`) whose workers see the landing directory
    and `area`; `LOCAL_CLUSTER`: a LocalCluster of `workers` processes on this machine; None:
    this process, or one reader process past `READER_PROCESS_FROM_BYTES`.
    """
    if scheduler is None and _bytes(batches) > READER_PROCESS_FROM_BYTES:
        scheduler, workers = LOCAL_CLUSTER, 1
    if scheduler is None or not batches:
        for batch in batches:
            yield batch, read_batch(batch, area)
        return
    with _client(scheduler, min(workers, len(batches))) as client:
        futures = client.map(
            read_batch,
            list(batches),
            area=area,
            key=[f"lecture-{batch.key}" for batch in batches],
            retries=1,
        )
        for batch, future in zip(batches, futures, strict=True):
            yield batch, Path(future.result())


def _bytes(batches: Sequence[Batch]) -> int:
    return sum(file.size for batch in batches for file in batch.files)


@contextmanager
def _client(scheduler: str | None, workers: int) -> Iterator[Client]:
    from distributed import Client, LocalCluster  # a few hundred ms to import: only when used

    if scheduler not in (None, LOCAL_CLUSTER):
        with Client(scheduler) as client:
            yield client
        return
    # One thread per process: the reader is Polars, itself multi-threaded, and the GIL would
    # serialise Python threads of one worker anyway.
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client
