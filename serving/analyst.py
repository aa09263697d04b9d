"""Analyst exports: the warehouse's monthly facts as Parquet, partitioned by declaration month,
with a keyed pseudonym instead of the NIR and without names, birth dates or IBANs.

Layout: `<exports>/<table>/month=AAAA-MM/*.parquet` (Hive partitioning, readable by DuckDB,
Polars, Spark or Trino alike). Each table is written beside the old one and swapped in, so an
analyst never reads half a table.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from serving.pseudonym import register_pseudonym_function
from warehouse.connections import connect

_EMPLOYEE = "pseudonym(employee_key) AS employee_pseudonym"
_MONTH = "strftime(month, '%Y-%m') AS month"


@dataclass(frozen=True)
class AnalystExport:
    name: str
    sql: str  # must produce a `month` column ('AAAA-MM'); never a NIR, name or IBAN
    requires: str


ANALYST_EXPORTS: tuple[AnalystExport, ...] = (
    AnalystExport(
        "employee_months",
        f"SELECT {_MONTH}, siret, left(siret, 9) AS siren, {_EMPLOYEE}, "
        "nir IS NULL AS without_nir, try_cast(right(birth_date, 4) AS INTEGER) AS birth_year "
        "FROM core.employee_months",
        "core.employee_months",
    ),
    AnalystExport(
        "affiliations",
        f"SELECT {_MONTH}, siret, left(siret, 9) AS siren, {_EMPLOYEE}, contract_start, "
        "contract_number, adhesion_key, option_code, population_code, children, "
        "adult_dependants, dependants, other_dependants, child_dependants, start_date, end_date "
        "FROM core.affiliations",
        "core.affiliations",
    ),
    AnalystExport(
        "contributions",
        f"SELECT {_MONTH}, siret, left(siret, 9) AS siren, {_EMPLOYEE}, adhesion_key, "
        "option_code, population_code, base_amount, amount FROM core.contributions",
        "core.contributions",
    ),
    AnalystExport(
        "stoppages",
        f"SELECT {_MONTH}, siret, left(siret, 9) AS siren, {_EMPLOYEE}, contract_start, "
        "contract_number, reason, last_day_worked, planned_end, return_date, return_reason, "
        "accident_date FROM core.stoppages",
        "core.stoppages",
    ),
    AnalystExport(
        "contract_ends",
        f"SELECT {_MONTH}, siret, left(siret, 9) AS siren, {_EMPLOYEE}, contract_start, "
        "contract_number, end_date, end_reason, keeps_cover FROM core.contract_ends",
        "core.contract_ends",
    ),
    AnalystExport(
        "declared_payments",
        f"SELECT {_MONTH}, siret, left(siret, 9) AS siren, oc_id, amount, period_start, "
        "period_end, payment_mode, payment_date FROM core.declared_payments",
        "core.declared_payments",
    ),
)


def write_analyst_exports(
    warehouse_path: Path,
    exports_dir: Path,
    key: bytes,
    exports: tuple[AnalystExport, ...] = ANALYST_EXPORTS,
) -> dict[str, int]:
    """Write every export; return the rows written per table."""
    exports_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    with connect(warehouse_path, read_only=True) as connection:
        register_pseudonym_function(connection, key)
        for export in exports:
            building = exports_dir / f".{export.name}.en-cours"
            shutil.rmtree(building, ignore_errors=True)
            row = connection.execute(
                f"COPY ({export.sql}) TO '{building}' "
                "(FORMAT parquet, PARTITION_BY (month), WRITE_PARTITION_COLUMNS false)"
            ).fetchone()
            written[export.name] = int(row[0]) if row else 0
            _swap_directory(building, exports_dir / export.name)
    return written


def _swap_directory(new: Path, target: Path) -> None:
    old = target.with_name(f".{target.name}.ancien")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    if new.exists():
        new.rename(target)
    else:  # an empty table writes no partition: publish an empty directory
        target.mkdir()
    shutil.rmtree(old, ignore_errors=True)
