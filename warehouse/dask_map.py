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

# The scheduler setting asking for an embedded LocalCluster. Not the default: on the 2-core
# machine measured (docs/dask.md), 2 single-threaded workers read no faster than this process
# alone, whose Polars uses both cores, and a LocalCluster costs seconds to start.
LOCAL_CLUSTER = "local"
# Reader processes: the default of the setting `parse_workers` (the LocalCluster's size).
PARSE_WORKERS = os.cpu_count() or 1


def mapped_batches(
    batches: Sequence[Batch], area: Path, scheduler: str | None = None, workers: int = PARSE_WORKERS
) -> Iterator[tuple[Batch, Path]]:
    """Each batch with its read output directory, in the order given, as the map completes it.

    `scheduler`: a Dask scheduler's address (`tcp://…`) whose workers see the landing directory
    and `area`; `LOCAL_CLUSTER`: a LocalCluster of `workers` processes on this machine; None:
    this process.
    """
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
