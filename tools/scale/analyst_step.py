"""Time the night's analysts' step alone (scope, candidate, fingerprints kept, swap), as the
`analyst_warehouse` asset runs it: a change worth a second or two is lost in a whole night's
noise on this machine (docs/scale.md), not in this.

The state it runs on, in WORK: the warehouse after an incremental night (AFTER, e.g. the state
`try.sh` leaves) with the analysts' copy, its fingerprints and the step's progress as they were
before that night (BEFORE, the snapshot `fullsnap.sh` takes): the step then has that night's
changes to bring to the copy, again and again. `previous`: with a previous copy kept
(`tools.scale.previous_copy`), the steady state; `copy`: without, as the first night after a
rebuild. Alternate both on the same state to compare.

usage: python -m tools.scale.analyst_step BEFORE AFTER WORK copy|previous"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

from pipelines.code_versions import CODE_VERSIONS
from pipelines.publish.assets import ANALYST_STAGE
from pipelines.tables import DOMAIN_TABLES
from serving.analyst import (
    FINGERPRINTS,
    build_analyst_candidate,
    remember_analyst_copy,
    swap_in_analyst_copy,
)
from tools.scale.align import align
from tools.scale.previous_copy import keep_previous_copy
from warehouse.changes import changed_since, record_progress
from warehouse.connections import connect, transaction
from warehouse.night import night_of_warehouse

BENCH_KEY = "clé de bench xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx".encode()  # tools/scale/night.sh's


def prepare(before: Path, after: Path, work: Path, previous: bool) -> None:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    shutil.copyfile(after / "entrepot.duckdb", work / "entrepot.duckdb")
    shutil.copyfile(before / "analystes.duckdb", work / "analystes.duckdb")
    (work / "analystes.duckdb").chmod(0o600)
    with connect(work / "entrepot.duckdb", read_only=False, tables=DOMAIN_TABLES) as connection:
        connection.execute(f"ATTACH '{before / 'entrepot.duckdb'}' AS before (READ_ONLY)")
        connection.execute(f"DELETE FROM {FINGERPRINTS}")
        connection.execute(f"INSERT INTO {FINGERPRINTS} FROM before.{FINGERPRINTS}")
        connection.execute("DELETE FROM core.stage_progress WHERE stage = ?", [ANALYST_STAGE])
        connection.execute(
            "INSERT INTO core.stage_progress FROM before.core.stage_progress WHERE stage = ?",
            [ANALYST_STAGE],
        )
        connection.execute("DETACH before")
    align(work)
    if previous:
        keep_previous_copy(work)
    subprocess.run(["sync"], check=True)  # the copies' writing out of the way of the timing


def analyst_step(work: Path) -> str:
    served = work / "analystes.duckdb"
    started = time.perf_counter()
    with connect(work / "entrepot.duckdb", read_only=False, tables=DOMAIN_TABLES) as connection:
        version = CODE_VERSIONS["publish"]
        scope = changed_since(connection, ANALYST_STAGE, version)
        candidate = build_analyst_candidate(connection, served, BENCH_KEY, scope)
        with transaction(connection):
            remember_analyst_copy(connection, candidate)
            record_progress(
                connection, ANALYST_STAGE, scope, night_of_warehouse(connection), version
            )
    if not candidate.unchanged:
        swap_in_analyst_copy(candidate.path, served)
    return (
        f"{time.perf_counter() - started:.2f} s, from the previous copy: {candidate.recycled}, "
        f"{candidate.tables_updated} tables updated, {candidate.tables_copied} copied, "
        f"{candidate.rows_written} rows written"
    )


if __name__ == "__main__":
    before, after, work, mode = sys.argv[1:5]
    prepare(Path(before), Path(after), Path(work), mode == "previous")
    print(mode, analyst_step(Path(work)))
