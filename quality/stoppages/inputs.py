"""What the stoppage rules read, as Polars frames with fixed columns.

Two ways to fill them, giving the same frames:
- `inputs_from_parsed(files)`: from `dsn_parser.parse` results. The files given are taken as
  the declarations in force (choosing between versions is the warehouse's job, see
  `warehouse/models/declaration_versions.sql`); rejected declarations are left out. Employees
  keep the key each file declares (linking an NTT or an old NIR to the current NIR is done by
  the warehouse, `core.employee_links`).
- `read_inputs(connection)`: from the warehouse's core model (declarations in force).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import duckdb
import polars as pl

from dsn_parser.model import DeclarationStatus, ParsedFile
from warehouse.changes import EVERY_COMPANY, CompanyScope, register_scope

AMOUNT = pl.Decimal(18, 2)

_DECLARATION: dict[str, pl.DataType] = {
    "file_id": pl.String(),
    "declaration_id": pl.UInt32(),
    "nature": pl.String(),  # S20.G00.05.001: 01 monthly, 04 arrêt, 05 reprise, 07 FCTU
    "built_on": pl.Date(),  # S20.G00.05.007: orders the observations of one stoppage
    "month": pl.Date(),  # S20.G00.05.005
    "siren": pl.String(),
    "siret": pl.String(),
}
_CONTRACT: dict[str, pl.DataType] = {
    "employee_key": pl.String(),  # NIR, else "NTT:" + NTT (dsn_parser.tables)
    "contract_start": pl.Date(),  # S21.G00.40.001
    "contract_number": pl.String(),  # S21.G00.40.009
}

# One row per S21.G00.60 instance of a declaration in force.
STOPPAGE_COLUMNS: dict[str, pl.DataType] = {
    **_DECLARATION,
    "instance_id": pl.UInt32(),
    **_CONTRACT,
    "reason": pl.String(),  # .001 (99 = cancellation)
    "last_day_worked": pl.Date(),  # .002
    "planned_end": pl.Date(),  # .003
    "subrogation": pl.String(),  # .004: 01 yes, 02 no
    "subrogation_start": pl.Date(),  # .005
    "subrogation_end": pl.Date(),  # .006
    "return_date": pl.Date(),  # .010
    "return_reason": pl.String(),  # .011
    "accident_date": pl.Date(),  # .012
}
# One row per S21.G00.66 instance (therapeutic part-time period) under a stoppage row.
THERAPEUTIC_COLUMNS: dict[str, pl.DataType] = {
    "file_id": pl.String(),
    "stoppage_instance_id": pl.UInt32(),
    "period_start": pl.Date(),  # .001
    "period_end": pl.Date(),  # .002
    "pay": AMOUNT,  # .003
}
# One row per S21.G00.65 instance (other suspension).
SUSPENSION_COLUMNS: dict[str, pl.DataType] = {
    **_DECLARATION,
    **_CONTRACT,
    "reason": pl.String(),  # .001 (112/114/116 invalidity)
    "start_date": pl.Date(),  # .002
}
# One row per S21.G00.62 instance (end of the employment contract).
CONTRACT_END_COLUMNS: dict[str, pl.DataType] = {
    **_DECLARATION,
    **_CONTRACT,
    "end_date": pl.Date(),  # .001
    "end_reason": pl.String(),  # .002 (066 death)
}
# Gross pay (S21.G00.51.011 = 001, amount .013) of an employee in a monthly DSN in force.
GROSS_PAY_COLUMNS: dict[str, pl.DataType] = {
    "siren": pl.String(),
    "employee_key": pl.String(),
    "month": pl.Date(),  # the declaration's main month
    "gross": AMOUNT,
}
# One row per employment contract: its category (S21.G00.40.003, latest declared), which
# decides the provident contract covering the employee. Signalements 04/05 do not declare it.
CONTRACT_COLUMNS: dict[str, pl.DataType] = {
    "siren": pl.String(),
    **_CONTRACT,
    "category": pl.String(),
}
# Monthly DSNs in force: tells whether "the next monthly DSN" has arrived yet.
MONTHLY_COLUMNS: dict[str, pl.DataType] = {"siret": pl.String(), "month": pl.Date()}


@dataclass(frozen=True)
class StoppageInputs:
    stoppages: pl.DataFrame
    therapeutic: pl.DataFrame
    suspensions: pl.DataFrame
    contract_ends: pl.DataFrame
    gross_pay: pl.DataFrame
    contracts: pl.DataFrame
    monthly: pl.DataFrame

    def __post_init__(self) -> None:
        for name, schema in _SCHEMAS.items():
            frame = getattr(self, name)
            missing = set(schema) - set(frame.columns)
            if missing:
                raise ValueError(f"{name}: colonnes manquantes {sorted(missing)}")
            object.__setattr__(
                self, name, frame.select(pl.col(c).cast(t) for c, t in schema.items())
            )


_SCHEMAS = {
    "stoppages": STOPPAGE_COLUMNS,
    "therapeutic": THERAPEUTIC_COLUMNS,
    "suspensions": SUSPENSION_COLUMNS,
    "contract_ends": CONTRACT_END_COLUMNS,
    "gross_pay": GROSS_PAY_COLUMNS,
    "contracts": CONTRACT_COLUMNS,
    "monthly": MONTHLY_COLUMNS,
}


# -- from parsed DSN files ------------------------------------------------------------------


def inputs_from_parsed(files: Iterable[ParsedFile]) -> StoppageInputs:
    parts: dict[str, list[pl.DataFrame]] = {name: [] for name in _SCHEMAS}
    for parsed in files:
        declarations = _accepted_declarations(parsed)
        contracts = _contracts(parsed)
        parts["stoppages"].append(_stoppages(parsed, declarations, contracts))
        parts["therapeutic"].append(_therapeutic(parsed))
        parts["suspensions"].append(_suspensions(parsed, declarations, contracts))
        parts["contract_ends"].append(_contract_ends(parsed, declarations, contracts))
        parts["gross_pay"].append(_gross_pay(parsed, declarations))
        parts["contracts"].append(_categories(declarations, contracts))
        parts["monthly"].append(
            declarations.filter(pl.col("nature") == "01").select("siret", "month")
        )
    frames = {
        name: pl.concat([f for f in frames if not f.is_empty()] or [_empty(_SCHEMAS[name])])
        for name, frames in parts.items()
    }
    frames["gross_pay"] = _monthly_gross(frames["gross_pay"])
    frames["contracts"] = _latest_category(frames["contracts"])
    return StoppageInputs(**frames)


def _empty(schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


def _column(table: pl.DataFrame, rubric: str, dtype: pl.DataType) -> pl.Expr:
    """A rubric column cast to its expected type (null when no instance declared it)."""
    if rubric in table.columns:
        return pl.col(rubric).cast(dtype)
    return pl.lit(None, dtype)


def _accepted_declarations(parsed: ParsedFile) -> pl.DataFrame:
    return parsed.declarations.filter(
        pl.col("status").fill_null(0) < DeclarationStatus.REJECTED
    ).select(pl.col(c).cast(t) for c, t in _DECLARATION.items())


def _contracts(parsed: ParsedFile) -> pl.DataFrame:
    table = parsed.blocks.get("S21.G00.40")
    schema = {
        "file_id": pl.String(),
        "contract_instance_id": pl.UInt32(),
        **_CONTRACT,
        "category": pl.String(),
    }
    if table is None:
        return _empty(schema)
    return table.select(
        pl.col("file_id"),
        pl.col("instance_id").alias("contract_instance_id"),
        pl.col("employee_key"),
        _column(table, "S21.G00.40.001", pl.Date()).alias("contract_start"),
        _column(table, "S21.G00.40.009", pl.String()).alias("contract_number"),
        _column(table, "S21.G00.40.003", pl.String()).alias("category"),
    )


def _under_contract(
    table: pl.DataFrame, declarations: pl.DataFrame, contracts: pl.DataFrame, rubrics: list[pl.Expr]
) -> pl.DataFrame:
    """Rows of a block whose parent is the employment contract, with declaration and keys."""
    return (
        table.select("file_id", "declaration_id", "instance_id", "parent_id", *rubrics)
        .join(declarations, on=["file_id", "declaration_id"], how="inner")
        .join(
            contracts.drop("category"),
            left_on=["file_id", "parent_id"],
            right_on=["file_id", "contract_instance_id"],
            how="inner",
        )
    )


def _stoppages(
    parsed: ParsedFile, declarations: pl.DataFrame, contracts: pl.DataFrame
) -> pl.DataFrame:
    table = parsed.blocks.get("S21.G00.60")
    if table is None:
        return _empty(STOPPAGE_COLUMNS)
    rubrics = {
        "reason": ("001", pl.String()),
        "last_day_worked": ("002", pl.Date()),
        "planned_end": ("003", pl.Date()),
        "subrogation": ("004", pl.String()),
        "subrogation_start": ("005", pl.Date()),
        "subrogation_end": ("006", pl.Date()),
        "return_date": ("010", pl.Date()),
        "return_reason": ("011", pl.String()),
        "accident_date": ("012", pl.Date()),
    }
    columns = [
        _column(table, f"S21.G00.60.{number}", dtype).alias(name)
        for name, (number, dtype) in rubrics.items()
    ]
    return _under_contract(table, declarations, contracts, columns).select(list(STOPPAGE_COLUMNS))


def _therapeutic(parsed: ParsedFile) -> pl.DataFrame:
    table = parsed.blocks.get("S21.G00.66")
    if table is None:
        return _empty(THERAPEUTIC_COLUMNS)
    return table.select(
        pl.col("file_id"),
        pl.col("parent_id").alias("stoppage_instance_id"),
        _column(table, "S21.G00.66.001", pl.Date()).alias("period_start"),
        _column(table, "S21.G00.66.002", pl.Date()).alias("period_end"),
        _column(table, "S21.G00.66.003", AMOUNT).alias("pay"),
    )


def _suspensions(
    parsed: ParsedFile, declarations: pl.DataFrame, contracts: pl.DataFrame
) -> pl.DataFrame:
    table = parsed.blocks.get("S21.G00.65")
    if table is None:
        return _empty(SUSPENSION_COLUMNS)
    columns = [
        _column(table, "S21.G00.65.001", pl.String()).alias("reason"),
        _column(table, "S21.G00.65.002", pl.Date()).alias("start_date"),
    ]
    return _under_contract(table, declarations, contracts, columns).select(list(SUSPENSION_COLUMNS))


def _contract_ends(
    parsed: ParsedFile, declarations: pl.DataFrame, contracts: pl.DataFrame
) -> pl.DataFrame:
    table = parsed.blocks.get("S21.G00.62")
    if table is None:
        return _empty(CONTRACT_END_COLUMNS)
    columns = [
        _column(table, "S21.G00.62.001", pl.Date()).alias("end_date"),
        _column(table, "S21.G00.62.002", pl.String()).alias("end_reason"),
    ]
    selected = _under_contract(table, declarations, contracts, columns)
    return selected.select(list(CONTRACT_END_COLUMNS))


def _gross_pay(parsed: ParsedFile, declarations: pl.DataFrame) -> pl.DataFrame:
    table = parsed.blocks.get("S21.G00.51")
    if table is None:
        return _empty(GROSS_PAY_COLUMNS)
    monthly = declarations.filter(pl.col("nature") == "01").select(
        "file_id", "declaration_id", "siren", "month"
    )
    return (
        table.filter(_column(table, "S21.G00.51.011", pl.String()) == "001")
        .select(
            "file_id",
            "declaration_id",
            "employee_key",
            _column(table, "S21.G00.51.013", AMOUNT).alias("gross"),
        )
        .join(monthly, on=["file_id", "declaration_id"], how="inner")
        .select(list(GROSS_PAY_COLUMNS))
    )


def _categories(declarations: pl.DataFrame, contracts: pl.DataFrame) -> pl.DataFrame:
    """Category of each contract with the month it was declared in (for the latest to win)."""
    return (
        contracts.filter(pl.col("category").is_not_null())
        .join(
            declarations.select("file_id", "siren", "month").unique(subset="file_id"),
            on="file_id",
            how="inner",
        )
        .select("siren", *_CONTRACT, "category", "month")
    )


def _latest_category(rows: pl.DataFrame) -> pl.DataFrame:
    if "month" not in rows.columns:
        return rows
    return (
        rows.sort("month")
        .group_by("siren", *_CONTRACT)
        .agg(pl.col("category").last())
        .sort("siren", *_CONTRACT)
    )


def _monthly_gross(rows: pl.DataFrame) -> pl.DataFrame:
    """One gross amount per employee and month (several 51 blocks of a month add up)."""
    return (
        rows.group_by("siren", "employee_key", "month")
        .agg(pl.col("gross").sum())
        .sort("siren", "employee_key", "month")
    )


# -- from the warehouse ---------------------------------------------------------------------

_IN_FORCE = """
    SELECT file_id, declaration_id, nature, built_on, month, siren, siret
    FROM core.declarations_in_force
"""
_DECLARATION_AND_CONTRACT = """
    d.file_id, d.declaration_id, d.nature, d.built_on, d.month, d.siren, d.siret,
    c.employee_key, c.contract_start, c.contract_number
"""

_WAREHOUSE_QUERIES: dict[str, str] = {
    "stoppages": (
        """SELECT c.file_id, c.declaration_id, c.nature, c.built_on, c.month, d.siren, c.siret,
            c.employee_key, c.contract_start, c.contract_number, c.instance_id,
            c.reason, c.last_day_worked, c.planned_end, c.subrogation, c.subrogation_start,
            c.subrogation_end, c.return_date, c.return_reason, c.accident_date
        FROM core.stoppages AS c
        JOIN core.declarations_in_force AS d USING (file_id, declaration_id)"""
    ),
    # Only the periods under a stoppage row in force are used (joined on file and instance).
    "therapeutic": (
        """SELECT file_id, stoppage_instance_id, period_start, period_end, pay
        FROM core.therapeutic_part_times"""
    ),
    "suspensions": (
        "SELECT "
        + _DECLARATION_AND_CONTRACT
        + """, c.reason, c.start_date
        FROM core.other_suspensions AS c
        JOIN ("""
        + _IN_FORCE
        + """) AS d
            ON d.file_id = c.file_id AND d.declaration_id = c.declaration_id"""
    ),
    "contract_ends": (
        "SELECT "
        + _DECLARATION_AND_CONTRACT
        + """, c.end_date, c.end_reason
        FROM core.contract_ends AS c
        JOIN ("""
        + _IN_FORCE
        + """) AS d
            ON d.file_id = c.file_id AND d.declaration_id = c.declaration_id"""
    ),
    "gross_pay": (
        """SELECT d.siren, x.employee_key, d.month, sum(x.gross) AS gross
        FROM core.gross_pay AS x
        JOIN ("""
        + _IN_FORCE
        + """) AS d
            ON d.file_id = x.file_id AND d.declaration_id = x.declaration_id
        WHERE d.nature = '01' AND {scope}
        GROUP BY ALL"""
    ),
    "contracts": (
        """SELECT d.siren, c.employee_key, c.contract_start, c.contract_number,
            arg_max(c.category, d.month) AS category
        FROM core.contract_months AS c
        JOIN ("""
        + _IN_FORCE
        + """) AS d
            ON d.file_id = c.file_id AND d.declaration_id = c.declaration_id
        WHERE c.category IS NOT NULL AND {scope}
        GROUP BY ALL"""
    ),
    "monthly": (
        "SELECT DISTINCT siren, siret, month FROM core.declarations_in_force WHERE nature = '01'"
    ),
}


_READ_WHOLE = ("therapeutic", "monthly")  # no employee: filtered by stoppage row, by company
# The aggregated inputs take the scope before grouping (as its SIREN and employee key columns):
# filtered after, every company's rows would be grouped to keep a few.
_SCOPED_BEFORE_GROUPING = {
    "gross_pay": ("d.siren", "x.employee_key"),
    "contracts": ("d.siren", "c.employee_key"),
}


def read_inputs(
    connection: duckdb.DuckDBPyConnection, scope: CompanyScope = EVERY_COMPANY
) -> StoppageInputs:
    """The inputs from the warehouse (declarations in force only) of the companies and
    employees (under their keys in the warehouse) in `scope`,
    every employee under his current key (core.employee_links: an NTT later replaced by the
    NIR, an old NIR declared in S21.G00.31), so one stoppage seen before and after the change
    stays one episode. The therapeutic periods are every company's: they count only under a
    stoppage row read."""
    register_scope(connection, scope)
    rows = {
        name: scope.sql("siren", "employee_key")
        for name in _WAREHOUSE_QUERIES
        if name not in _READ_WHOLE
    }
    # an employee's establishments' months, whatever his company
    rows["monthly"] = "TRUE" if scope.keys else scope.sql("siren")
    queries = {
        name: query.format(scope=scope.sql(*_SCOPED_BEFORE_GROUPING[name]))
        if name in _SCOPED_BEFORE_GROUPING
        else query
        for name, query in _WAREHOUSE_QUERIES.items()
    }
    frames = {
        name: connection.sql(
            query
            if name == "therapeutic"
            else f"SELECT * FROM ({query}) WHERE {rows[name]} ORDER BY ALL"
        ).pl()
        for name, query in queries.items()
    }
    current = current_keys(
        connection.sql("SELECT previous_key, employee_key FROM core.employee_links").pl()
    )
    for name, frame in frames.items():
        if "employee_key" in frame.columns:
            frames[name] = frame.with_columns(employee_key=pl.col("employee_key").replace(current))
    frames["contracts"] = frames["contracts"].unique(
        subset=["siren", *_CONTRACT], keep="last", maintain_order=True
    )
    return StoppageInputs(**frames)


def current_keys(links: pl.DataFrame) -> dict[str, str]:
    """previous key -> the latest key it leads to (links can chain: NTT -> NIR -> fixed NIR)."""
    step = dict(zip(links["previous_key"], links["employee_key"], strict=True))
    current = {}
    for previous in step:
        key, seen = previous, {previous}
        while key in step and step[key] not in seen:
            key = step[key]
            seen.add(key)
        current[previous] = key
    return current
