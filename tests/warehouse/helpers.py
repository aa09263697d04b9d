"""Small DSN files for warehouse and pipeline tests, derived from the real monthly files of one
employer (tests/fixtures/dsn/keuwa_...): the same employer, employees and contracts, with the
declaration header rewritten to make originals, replacements (03) and cancellations (04); and
the snapshots and row comparisons the tests set warehouses side by side with."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb

KEUWA = Path(__file__).parents[1] / "fixtures" / "dsn" / "keuwa_dsn-parser_pseudonymized"
FIXTURES = Path(__file__).parents[1] / "fixtures"

# Monthly files of type 01 (normale) in 2019, by main month; each has one 059 contribution
# of 47.00 for one employee's affiliation.
AUGUST_2019 = KEUWA / "teledsn_pseudo_01_08_2019_1568445042118.dsn"
SEPTEMBER_2019 = KEUWA / "teledsn_pseudo_01_09_2019_1571034108254.dsn"
OCTOBER_2019 = KEUWA / "teledsn_pseudo_01_10_2019_1573748830446.dsn"
# A real "annule et remplace" (type 03, order number 1) of March 2019, whose original we lack.
MARCH_2019_REPLACEMENT = KEUWA / "teledsn_pseudo_01_03_2019_1555143714208.dsn"
# The same bytes under two names in the source data set: a real duplicate delivery.
JUNE_2019 = KEUWA / "teledsn_pseudo_01_06_2019_1562847927693.dsn"
JUNE_2019_AGAIN = KEUWA / "teledsn_pseudo_01_07_2019_1565714665750.dsn"


def variant(
    source: Path,
    *,
    declaration_type: str | None = None,
    order_number: str | None = None,
    built_on: str | None = None,
    contribution_059: str | None = None,
) -> bytes:
    """The source file with its S20.G00.05 header (and optionally every 059 amount) rewritten.

    Line count and order are kept, so the S90 totals stay right.
    """
    text = source.read_bytes().decode("latin-1")
    replacements = {
        "S20.G00.05.002": declaration_type,
        "S20.G00.05.004": order_number,
        "S20.G00.05.007": built_on,
    }
    for rubric, value in replacements.items():
        if value is not None:
            text = re.sub(rf"^{re.escape(rubric)},'[^']*'", f"{rubric},'{value}'", text, flags=re.M)
    if contribution_059 is not None:
        text = re.sub(
            r"(S21\.G00\.81\.001,'059'\n(?:S21\.G00\.81\.00[23],'[^']*'\n)*)S21\.G00\.81\.004,'[^']*'",
            rf"\g<1>S21.G00.81.004,'{contribution_059}'",
            text,
        )
    return text.encode("latin-1")


def deliver(landing: Path, name: str, content: bytes | Path, kind: str = "dsn") -> Path:
    """Drop a file in the landing directory's sub-directory for its kind."""
    target = landing / kind / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, Path):
        shutil.copyfile(content, target)
    else:
        target.write_bytes(content)
    return target


CORE_SNAPSHOT_TABLES = (
    "declaration_versions",
    "employee_months",
    "identity_changes",
    "contract_months",
    "adhesion_months",
    "affiliations",
    "stoppages",
    "contract_ends",
    "contributions",
    "declared_payments",
    "declared_payment_components",
    "companies",
    "establishments",
    "employees",
    "employee_links",
    "employment_contracts",
    "adhesions",
)


def core_snapshot(connection: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[object, ...]]]:
    """Every core table's rows, sorted: equal snapshots mean identical core models."""
    return {
        table: sorted(connection.execute(f"SELECT * FROM core.{table}").fetchall(), key=repr)
        for table in CORE_SNAPSHOT_TABLES
    }


def staging_snapshot(connection: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[object, ...]]]:
    tables = [
        name
        for (name,) in connection.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'staging'"
        ).fetchall()
    ]
    return {
        table: sorted(connection.execute(f'SELECT * FROM staging."{table}"').fetchall(), key=repr)
        for table in tables
    }


def registry_snapshot(connection: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    """The registry without its clock columns (arrival and processing times)."""
    return sorted(
        connection.execute(
            "SELECT landing_path, file_id, kind, status, reason FROM registry.landing_status"
        ).fetchall(),
        key=repr,
    )


def rows_differing(connection: duckdb.DuckDBPyConnection, one: str, other: str) -> int:
    """The rows of the query or table `one` not in `other` and of `other` not in `one`, as
    multisets (a row held twice on one side and once on the other counts once): 0 when both
    hold the same rows."""
    [(count,)] = connection.execute(
        f"SELECT count(*) FROM ((FROM {one} EXCEPT ALL FROM {other}) "
        f"UNION ALL (FROM {other} EXCEPT ALL FROM {one}))"
    ).fetchall()
    return int(count)
