"""Resources of the pipeline: the warehouse file, the landing area, the night, the publish
step's files, a progress reporter; all built from one `Settings` (`pipeline_resources`).

Our own thin DuckDB resource rather than dagster-duckdb's, which always opens read-write and hides
lock errors behind retries: here the `read_only` flag is explicit and read-only by default, and a
lock conflict waits a bounded time, then fails the step with one French line
(`warehouse.connections.connect`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import PrivateAttr

from pipelines.progress import ProgressReporter
from pipelines.publish.resources import PublishResource
from pipelines.settings import Settings
from pipelines.tables import DOMAIN_TABLES
from warehouse.batches import BATCH_FILES
from warehouse.connections import connect
from warehouse.dask_map import PARSE_WORKERS
from warehouse.lock import (
    NightAlreadyRunningError,
    WarehouseBusyError,
    acquire_night_lock,
    release_night_lock,
)
from warehouse.night import night_of_warehouse

# Dagster's run tag bounding the daemon's relaunches of a failed run (`run_retries`).
_MAX_RETRIES_TAG = "dagster/max_retries"


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse file. Writers must say `read_only=False`.

    A writer holds the night lock (`warehouse.lock`) from the run's start to its end. Taken
    here rather than in the first asset: resource setup runs before any step and teardown after
    the last one, also when a step fails, whereas an asset releasing the lock "at the end"
    would not run after a failure. It spans the run because the jobs writing the warehouse run
    in one process (`in_process_executor`): a process per step would hold it step by step.
    """

    path: str
    read_only: bool = True
    _holds_night_lock: bool = PrivateAttr(default=False)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        if self.read_only:
            return
        try:
            acquire_night_lock(Path(self.path))
        except NightAlreadyRunningError as refusal:
            if context.instance is not None and context.run is not None:
                # Not a failure of the infrastructure, which `run_retries` relaunches: the other
                # night computes this one, and a relaunch behind the operator would run it twice.
                context.instance.add_run_tags(context.run.run_id, {_MAX_RETRIES_TAG: "0"})
            # The run's failure message is the refusal itself, in French.
            raise dg.Failure(description=str(refusal), allow_retries=False) from None
        self._holds_night_lock = True

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._holds_night_lock:
            release_night_lock(Path(self.path))
            self._holds_night_lock = False

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with ExitStack() as stack:
            # A writer also comments the domains' tables whose declaration changed.
            try:
                connection = stack.enter_context(
                    connect(self.path, read_only=self.read_only, tables=DOMAIN_TABLES)
                )
            except WarehouseBusyError as busy:
                # The step's failure message is the French line, not a traceback to read.
                raise dg.Failure(description=str(busy)) from None
            yield connection


class LandingResource(dg.ConfigurableResource):
    """Where files arrive (the generator's layout: dsn/, bank/, reference/, portal/), where
    rejected files are copied with the reason, and how the DSN files are read and loaded."""

    landing_dir: str
    quarantine_dir: str
    parse_workers: int = PARSE_WORKERS
    load_batch_files: int = BATCH_FILES
    staging_area_dir: str | None = None  # None: beside the warehouse
    dask_scheduler: str | None = None  # None: in this process; "local"; tcp://…

    @property
    def landing(self) -> Path:
        return Path(self.landing_dir)

    @property
    def quarantine(self) -> Path:
        return Path(self.quarantine_dir)

    @property
    def staging_area(self) -> Path | None:
        return Path(self.staging_area_dir) if self.staging_area_dir else None


NIGHT_TAG = "dsnpipe/night"
# The run's tag naming the portal tables whose volume may leave the gates' bounds in this run
# only (comma-separated): `dsnpipe run --accepter-baisse`, or a tag added at a Dagster launch.
ACCEPTED_DROPS_TAG = "dsnpipe/accepter-baisse"


class NightResource(dg.ConfigurableResource):
    """What the quality domains need besides the warehouse: the night's date, the stewards'
    decisions directory and where the steward report goes.

    The night is the run's `dsnpipe/night` tag (AAAA-MM-JJ) when an operator launched it with
    one, else `night` from the run config, else the due date of the latest declared month
    (`warehouse.night.night_of_warehouse`): the same files give the same results whatever day
    the job runs. Whatever decided, the run is tagged with the night it computed, so that the
    runs list shows and filters nights.
    """

    night: str | None = None
    decisions_dir: str
    reports_dir: str
    # Production: contracts without parameter file or no pseudonym key refuse the publication
    # instead of a warning (`--exiger-referentiels`, DSNPIPE_REQUIRE_REFERENCE=1).
    require_reference: bool = False

    def night_date(self, connection: duckdb.DuckDBPyConnection) -> date:
        return date.fromisoformat(self.night) if self.night else night_of_warehouse(connection)

    def night_of_run(
        self, context: dg.AssetExecutionContext, connection: duckdb.DuckDBPyConnection
    ) -> date:
        # The run's tags as stored now, not as the run started: the first asset to compute the
        # night tags the run, and every later asset reads that night instead of computing it
        # again (the same night for the whole run, one query).
        stored = context.instance.get_run_by_id(context.run.run_id)
        tagged = (stored.tags if stored else context.run.tags).get(NIGHT_TAG)
        if tagged:
            try:
                return date.fromisoformat(tagged)
            except ValueError:
                raise dg.Failure(
                    f"Étiquette {NIGHT_TAG} invalide : « {tagged} » (attendu AAAA-MM-JJ)."
                ) from None
        day = self.night_date(connection)
        context.instance.add_run_tags(context.run.run_id, {NIGHT_TAG: day.isoformat()})
        return day


def pipeline_resources(
    settings: Settings, progress: ProgressReporter | None = None
) -> dict[str, object]:
    """Every resource of the nightly assets, from the settings."""
    return {
        "warehouse": WarehouseResource(path=str(settings.warehouse), read_only=False),
        "landing": LandingResource(
            landing_dir=str(settings.landing),
            quarantine_dir=str(settings.quarantine),
            parse_workers=settings.parse_workers,
            load_batch_files=settings.load_batch_files,
            staging_area_dir=str(settings.staging_area),
            dask_scheduler=settings.dask_scheduler,
        ),
        "progress": progress or ProgressReporter(),
        "night": NightResource(
            night=settings.night.isoformat() if settings.night else None,
            decisions_dir=str(settings.decisions),
            reports_dir=str(settings.reports),
            require_reference=settings.require_reference,
        ),
        "publish": PublishResource(
            serving_path=str(settings.serving),
            exports_dir=str(settings.exports),
            analyst_warehouse_path=str(settings.analyst_warehouse),
            comptes_rendus_dir=str(settings.comptes_rendus),
            data_docs_dir=str(settings.data_docs),
            data_docs_site=settings.data_docs_site,
            demo_key_file=str(settings.demo_key_file) if settings.demo_key_file else None,
            pseudonym_key_variable=settings.pseudonym_key_variable,
        ),
    }
