"""Resources of the pipeline: the warehouse file, the landing area, a progress reporter.

Our own thin DuckDB resource rather than dagster-duckdb's, which always opens read-write and hides
lock errors behind retries: here the `read_only` flag is explicit and read-only by default, and a
lock conflict fails the step at once with DuckDB's message.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.locations import (
    DEFAULT_LANDING,
    DEFAULT_WAREHOUSE,
    REPORTS_DIR_NAME,
    quarantine_beside,
)
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


class NightResource(dg.ConfigurableResource):
    """What the quality domains need besides the warehouse: the night's date, the stewards'
    decisions directory and where the steward report goes.

    `night` (AAAA-MM-JJ) is explicit or, when empty, the due date of the latest declared month
    (`night_of_warehouse`): the same files give the same results whatever day the job runs.
    """

    night: str | None = None
    decisions_dir: str
    reports_dir: str
    # Production: contracts without parameter file or no pseudonym key refuse the publication
    # instead of a warning (`--exiger-referentiels`, DSNPIPE_REQUIRE_REFERENCE=1).
    require_reference: bool = False

    def night_date(self, connection: duckdb.DuckDBPyConnection) -> date:
        return date.fromisoformat(self.night) if self.night else night_of_warehouse(connection)


REQUIRE_REFERENCE_VARIABLE = "DSNPIPE_REQUIRE_REFERENCE"


def night_of_warehouse(connection: duckdb.DuckDBPyConnection) -> date:
    """The 15th of the month after the latest declared month (the later DSN due date, code de la
    sécurité sociale R.243-6): by then that month's DSNs are all due. Every version received
    counts, not only those in force, so the night never goes back when a file is cancelled."""
    # fetchall: DuckDB 2 refuses further work on a connection with a half-read result.
    [(latest,)] = connection.execute("SELECT max(month) FROM core.declaration_versions").fetchall()
    if latest is None:
        raise ValueError(
            "Aucune déclaration dans l'entrepôt : donner la date de la nuit (--night)."
        )
    year, month = (latest.year + 1, 1) if latest.month == 12 else (latest.year, latest.month + 1)
    return date(year, month, 15)


def resources_from_environment() -> dict[str, object]:
    """The resources `dagster dev` and production use: paths from the environment."""
    warehouse_path = Path(os.environ.get("DSNPIPE_WAREHOUSE", DEFAULT_WAREHOUSE))
    quarantine = os.environ.get("DSNPIPE_QUARANTINE")
    return pipeline_resources(
        landing_dir=Path(os.environ.get("DSNPIPE_LANDING", DEFAULT_LANDING)),
        warehouse_path=warehouse_path,
        # Same default as the commands: a warehouse moved elsewhere takes its quarantine along.
        quarantine_dir=Path(quarantine) if quarantine else quarantine_beside(warehouse_path),
        night=date.fromisoformat(os.environ["DSNPIPE_NIGHT"])
        if os.environ.get("DSNPIPE_NIGHT")
        else None,
        require_reference=os.environ.get(REQUIRE_REFERENCE_VARIABLE) == "1",
    )


def pipeline_resources(
    landing_dir: Path,
    warehouse_path: Path,
    quarantine_dir: Path,
    progress: ProgressReporter | None = None,
    night: date | None = None,
    require_reference: bool = False,
) -> dict[str, object]:
    """Every resource of the nightly assets. Decisions, reports and the publish step's files
    live beside the warehouse."""
    from pipelines.publish.resources import publish_resources
    from quality.anomalies.decisions import default_decisions_dir

    return {
        "warehouse": WarehouseResource(path=str(warehouse_path), read_only=False),
        "landing": LandingResource(
            landing_dir=str(landing_dir), quarantine_dir=str(quarantine_dir)
        ),
        "progress": progress or ProgressReporter(),
        "night": NightResource(
            night=night.isoformat() if night else None,
            decisions_dir=str(default_decisions_dir(warehouse_path)),
            reports_dir=str(reports_dir(warehouse_path)),
            require_reference=require_reference,
        ),
        # Absolute: Great Expectations refuses a relative Data Docs directory.
        **publish_resources(warehouse_path.absolute()),
    }


def reports_dir(warehouse_path: Path) -> Path:
    """The steward reports, beside the warehouse (they hold NIRs and names: stewards only)."""
    return warehouse_path.parent / REPORTS_DIR_NAME
