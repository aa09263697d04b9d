"""A portal reader in its own process, for the concurrency test: reopens the serving file for
every query (read-only), as the portal must, and writes one JSON line per query.

    python -m tests.serving.reader_process SERVING STOP_FILE OUT_FILE
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb

# Several tables of the snapshot in one query: they must all come from the same night.
_NIGHTS = """
    SELECT DISTINCT night_id FROM (
        SELECT night_id FROM portal_v1.publication
        UNION ALL SELECT night_id FROM portal_v1.companies
        UNION ALL SELECT night_id FROM portal_v1.employees
        UNION ALL SELECT night_id FROM portal_v1.affiliation_states
        UNION ALL SELECT night_id FROM portal_v1.contribution_periods
    )
"""
_MIXED_JOIN = """
    SELECT count(*) FROM portal_v1.employees AS e JOIN portal_v1.companies AS c USING (siren)
    WHERE e.night_id <> c.night_id
"""


def main(serving: Path, stop: Path, out: Path) -> None:
    with out.open("w", encoding="utf-8") as log:
        while not stop.exists():
            try:
                with duckdb.connect(str(serving), read_only=True) as connection:
                    nights = sorted(row[0] for row in connection.execute(_NIGHTS).fetchall())
                    mixed = connection.execute(_MIXED_JOIN).fetchone()
                line = {"nights": nights, "mixed_join_rows": mixed[0] if mixed else None}
            except Exception as error:  # the test asserts there is none
                line = {"error": repr(error)}
            log.write(json.dumps(line) + "\n")
            log.flush()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
