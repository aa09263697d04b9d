"""A night taken through the Dagster assets, for the serving tests (their fixtures are in
conftest.py; test modules import these helpers, never another test module)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from pipelines.resources import pipeline_resources
from pipelines.settings import Settings

# A process holding an analysts' copy open, as an analyst's session does: argument the file;
# prints "ouvert" once it reads it.
HOLD_OPEN = """
import sys, time, duckdb
connection = duckdb.connect(sys.argv[1], read_only=True)
connection.execute("SELECT count(*) FROM core.employees").fetchall()
print("ouvert", flush=True)
time.sleep(120)
"""


@dataclass(frozen=True)
class Night:
    root: Path
    landing: Path
    warehouse: Path
    serving: Path
    exports: Path
    result: dg.ExecuteInProcessResult


def materialize_night(
    landing: Path, warehouse: Path, assets: list, *, demo: bool = False, data_docs: bool = True
) -> dg.ExecuteInProcessResult:
    """The assets (and checks) materialised as the nightly job does, everything beside the
    warehouse; `demo`: the demonstration's pseudonym key file instead of a secret;
    `data_docs`: whether the gates' Data Docs site is built (`Settings.data_docs_site`)."""
    settings = Settings(
        landing, warehouse, warehouse.parent / "quarantine", demo=demo, data_docs_site=data_docs
    )
    return dg.materialize(
        assets,
        resources=pipeline_resources(settings),
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
