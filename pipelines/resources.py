"""Resources of the pipeline: the warehouse file, the landing area, a progress reporter.

Our own thin DuckDB resource rather than dagster-duckdb's, which always opens read-write and hides
lock errors behind retries: here the `read_only` flag is explicit and read-only by default, and a
lock conflict fails the step at once with DuckDB's message.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.locations import DEFAULT_LANDING, DEFAULT_QUARANTINE, DEFAULT_WAREHOUSE
from pipelines.progress import ProgressReporter
from warehouse.connections import connect


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse file. Writers must say `read_only=False`."""

    path: str
    read_only: bool = True

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with connect(self.path, read_only=self.read_only) as connection:
            yield connection


class LandingResource(dg.ConfigurableResource):
    """Where files arrive (the generator's layout: dsn/, bank/, reference/, portal/) and where
    rejected files are copied with the reason."""

    landing_dir: str
    quarantine_dir: str

    @property
    def landing(self) -> Path:
        return Path(self.landing_dir)

    @property
    def quarantine(self) -> Path:
        return Path(self.quarantine_dir)


def resources_from_environment() -> dict[str, object]:
    """The resources `dagster dev` and production use: paths from the environment."""
    return pipeline_resources(
        landing_dir=Path(os.environ.get("DSNPIPE_LANDING", DEFAULT_LANDING)),
        warehouse_path=Path(os.environ.get("DSNPIPE_WAREHOUSE", DEFAULT_WAREHOUSE)),
        quarantine_dir=Path(os.environ.get("DSNPIPE_QUARANTINE", DEFAULT_QUARANTINE)),
    )


def pipeline_resources(
    landing_dir: Path,
    warehouse_path: Path,
    quarantine_dir: Path,
    progress: ProgressReporter | None = None,
) -> dict[str, object]:
    return {
        "warehouse": WarehouseResource(path=str(warehouse_path), read_only=False),
        "landing": LandingResource(
            landing_dir=str(landing_dir), quarantine_dir=str(quarantine_dir)
        ),
        "progress": progress or ProgressReporter(),
    }
