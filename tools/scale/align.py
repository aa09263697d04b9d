"""Make a warehouse state look computed by another code: each stage's code version in
`core.stage_progress` set to the given repository's, and the analysts' copy's identity to its
file's (a copied file has a new inode: the copy would be rebuilt whole). For timing a changed
stage on an incremental night without its full night (`try.sh`); the results kept are still
those of the code that computed them.

usage: python -m tools.scale.align STATE (from the repository whose code versions to set)"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

from pipelines.code_versions import CODE_VERSIONS
from serving.analyst import file_identity

# stage (`warehouse.changes`) → the group of assets whose code version it records
STAGE_GROUPS = {
    "affiliations": "affiliation",
    "comptes": "ledgers",
    "stoppages": "stoppages",
    "comptes_rendus": "publish",
    "analyst_warehouse": "publish",
}


def align(state: Path) -> None:
    with duckdb.connect(str(state / "entrepot.duckdb")) as connection:
        for stage, group in STAGE_GROUPS.items():
            connection.execute(
                "UPDATE core.stage_progress SET code_version = ? WHERE stage = ?",
                [CODE_VERSIONS[group], stage],
            )
        connection.execute(
            "UPDATE publish.analyst_copy_fingerprints SET copy_file = ?",
            [file_identity(state / "analystes.duckdb")],
        )


if __name__ == "__main__":
    align(Path(sys.argv[1]))
