"""Give a warehouse state the analysts' copy served before the served one, as every night but
the first after a rebuild has it (`serving.analyst.previous_copy`): a copy of the served file,
described by the served copy's fingerprints, no company marked in between (as if the night
before had changed rows outside the analysts' copy only). To time the incremental night in that
steady state from a state taken right after the full night (`fullsnap.sh`), whose next night
would otherwise copy the served file as the first night after a rebuild does.

usage: python -m tools.scale.previous_copy STATE (after tools.scale.align)"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from pipelines.tables import DOMAIN_TABLES
from serving.analyst import (
    FINGERPRINTS,
    PREVIOUS_FINGERPRINTS,
    PREVIOUS_MARKS,
    file_identity,
    previous_copy,
)
from warehouse.connections import connect


def keep_previous_copy(state: Path) -> None:
    served = state / "analystes.duckdb"
    previous = previous_copy(served)
    shutil.copyfile(served, previous)
    previous.chmod(0o600)
    with connect(state / "entrepot.duckdb", read_only=False, tables=DOMAIN_TABLES) as connection:
        connection.execute(f"DELETE FROM {PREVIOUS_FINGERPRINTS}")
        connection.execute(
            f"INSERT INTO {PREVIOUS_FINGERPRINTS} "
            f"SELECT * REPLACE (? AS copy_file) FROM {FINGERPRINTS}",
            [file_identity(previous)],
        )
        connection.execute(f"DELETE FROM {PREVIOUS_MARKS}")


if __name__ == "__main__":
    keep_previous_copy(Path(sys.argv[1]))
