"""Judge every portal table of the candidate snapshot against its expectations.

Each `TableSpec` gives its key (unique, not null), code lists, date orders and accounting
identities; the row count is bounded by the previous published count (a table losing more than
half its rows is the classic sign of a broken load and blocks; one tripling is only a warning).

The expectations are Great Expectations' (their names and meanings), judged here in DuckDB: one
query per table counts every expectation's failing rows as GX counts them (missing values pass
code lists, orders and bounds; a key's missing values are the not-null gate's, not the
uniqueness gate's). GX itself validates the same candidate afterwards, in a child process, for
the Data Docs, and its results are compared with these (`serving.data_docs`): at 20,000
employees its import and validations were about 1.9 s of CPU in this step, the queries 0.1 s.

Gates are of two scopes. A row-level gate of a table with a SIREN (key filled and unique, codes,
date orders, identities) can be pinned on the companies whose rows fail it: before the verdict,
`run_gates` puts those companies back on their last good night in the candidate (rows copied
from the served file, `company_publication` says so) and the rest of the night publishes. Row
counts, the schema and the contract are about the whole night: a failure there, or a failing row
of no known company, refuses the whole publication.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from serving.data_docs import Documented, document_in_background
from serving.spec import (
    NIGHT_ID_COLUMN,
    SCHEMA,
    Expectation,
    GateResult,
    TableSpec,
    columns_label,
)
from warehouse.connections import limit_memory

MAX_DROP = 0.5  # a table may lose at most half of its rows from one publication to the next
MAX_GROWTH = 3.0  # beyond this factor, a warning
GROWTH_SLACK = 10  # rows: a table of a handful of rows may well triple without anything wrong
_ROW_COUNT = "ExpectTableRowCountToBeBetween"


def row_count_bounds(previous: int | None) -> tuple[Expectation, ...]:
    """The row-count expectations of a table whose last published count was `previous` (none
    before its first publication)."""
    if previous is None:
        return ()
    return (
        Expectation(
            _ROW_COUNT, {"min_value": math.floor(previous * (1 - MAX_DROP))}, blocking=True
        ),
        Expectation(
            _ROW_COUNT,
            {"max_value": math.ceil(previous * MAX_GROWTH) + GROWTH_SLACK},
            blocking=False,
        ),
    )


def table_expectations(spec: TableSpec, previous_counts: dict[str, int]) -> tuple[Expectation, ...]:
    """Tonight's expectations of the table of `spec`: its own, then its row-count bounds."""
    return (*spec.all_expectations(), *row_count_bounds(previous_counts.get(spec.name)))


@dataclass(frozen=True)
class HoldBack:
    """Where the companies whose rows fail a company-scoped gate are put back on their last good
    night: the file the portal reads now (absent before the first publication), and tonight."""

    served: Path
    night: date


def run_gates(
    candidate: Path,
    specs: tuple[TableSpec, ...],
    previous_counts: dict[str, int],
    docs_dir: Path | None = None,
    hold_back: HoldBack | None = None,
) -> tuple[list[GateResult], list[CompanyRefusal]]:
    """Judge every table of the candidate file: the results in the order of `specs` (each
    table's in GX's order), and the companies held back first (`hold_back`). One scan per table
    serves both; the candidate is scanned again only when a company was held back. With
    `docs_dir`, GX validates the file judged and builds its Data Docs site there in a child
    process (`serving.data_docs.wait_for_data_docs`)."""
    tables = [(spec, table_expectations(spec, previous_counts)) for spec in specs]
    connection = _read_only(candidate)
    try:
        counts = [_count(connection, spec, expectations) for spec, expectations in tables]
        failures = _failing_companies(tables, counts) if hold_back else {}
        withheld: list[CompanyRefusal] = []
        if hold_back and failures:
            connection.close()
            withheld = _withhold_companies(candidate, hold_back, specs, failures)
            connection = _read_only(candidate)
            counts = [_count(connection, spec, expectations) for spec, expectations in tables]
    finally:
        connection.close()
    results = [
        result
        for (spec, expectations), table_counts in zip(tables, counts, strict=True)
        for result in _results(spec, expectations, table_counts)
    ]
    if docs_dir is not None:
        documented = [Documented(s.name, s.check_columns, e) for s, e in tables]
        document_in_background(candidate, documented, results, docs_dir)
    return results, withheld


def _read_only(candidate: Path) -> duckdb.DuckDBPyConnection:
    return limit_memory(duckdb.connect(str(candidate), read_only=True))


# Per company (None: rows of no known company, or a table without a SIREN), its rows and each
# row-level expectation's failing rows among them.
_Counts = list[tuple[str | None, int, list[int]]]


def _row_level(expectations: tuple[Expectation, ...]) -> list[Expectation]:
    return [e for e in expectations if e.kind != _ROW_COUNT]


def _count(
    connection: duckdb.DuckDBPyConnection, spec: TableSpec, expectations: tuple[Expectation, ...]
) -> _Counts:
    """One scan of the table of `spec`: per company, its rows and each row-level expectation's
    failing rows (a key's duplicates are found across companies)."""
    row_level = _row_level(expectations)
    company = _company(spec) if COMPANY_COLUMN in spec.column_names else "NULL"
    flags = "".join(f", coalesce({_unexpected(e)}, false) AS u{i}" for i, e in enumerate(row_level))
    counts = "".join(f", count(*) FILTER (WHERE u{i})" for i in range(len(row_level)))
    rows = connection.execute(
        f"SELECT company, count(*){counts} "
        f"FROM (SELECT {company} AS company{flags} FROM ({_with_checks(spec)})) GROUP BY company"
    ).fetchall()
    return [(row[0], int(row[1]), [int(n) for n in row[2:]]) for row in rows]


def _results(
    spec: TableSpec, expectations: tuple[Expectation, ...], counts: _Counts
) -> list[GateResult]:
    rows = sum(company_rows for _, company_rows, _ in counts)
    row_level = _row_level(expectations)
    failing = {
        id(expectation): sum(unexpected[i] for _, _, unexpected in counts)
        for i, expectation in enumerate(row_level)
    }
    results = []
    for expectation in _in_gx_order(expectations):
        if expectation.kind == _ROW_COUNT:
            low = expectation.arguments.get("min_value")
            high = expectation.arguments.get("max_value")
            passed = (low is None or rows >= low) and (high is None or rows <= high)
            count, observed = None, str(rows)
        else:
            count, observed = failing[id(expectation)], None
            passed = count == 0
        results.append(
            GateResult(
                table=spec.name,
                expectation=_gx_type(expectation.kind),
                column=columns_label(expectation.arguments),
                blocking=expectation.blocking,
                passed=passed,
                unexpected_count=count,
                observed=observed,
            )
        )
    return results


def _in_gx_order(expectations: tuple[Expectation, ...]) -> list[Expectation]:
    """`expectations` in the order GX reports them (its validator's
    `process_expectations_for_validation`): grouped by their `column` argument, the groups in
    order of first appearance, those without one forming a group of their own."""
    groups: dict[str | None, list[Expectation]] = {}
    for expectation in expectations:
        groups.setdefault(expectation.arguments.get("column"), []).append(expectation)
    return [expectation for group in groups.values() for expectation in group]


def _gx_type(kind: str) -> str:
    """GX's name of an expectation class: ExpectColumnValuesToNotBeNull ->
    expect_column_values_to_not_be_null."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", kind).lower()


def _with_checks(spec: TableSpec) -> str:
    """The table's rows with its check columns computed, as GX reads them (DOUBLE)."""
    checks = "".join(
        f", CAST({sql} AS DOUBLE) AS {name}" for name, sql in spec.check_columns.items()
    )
    return f"SELECT *{checks} FROM {SCHEMA}.{spec.name}"


def _sql_list(values: list[str]) -> str:
    return ", ".join("'" + value.replace("'", "''") + "'" for value in values)


def _quoted(columns: list[str]) -> str:
    return ", ".join(f'"{c}"' for c in columns)


def _unexpected(expectation: Expectation) -> str:
    """A SQL expression over a table's row (its check columns computed) true when Great
    Expectations counts the row as failing the row-level `expectation` (its default
    `ignore_row_if`: a compound key's row with every value missing is ignored, a pair's row with
    either missing)."""
    arguments = expectation.arguments
    match expectation.kind:
        case "ExpectColumnValuesToNotBeNull":
            return f'"{arguments["column"]}" IS NULL'
        case "ExpectColumnValuesToBeUnique":
            column = f'"{arguments["column"]}"'
            return f"{column} IS NOT NULL AND count(*) OVER (PARTITION BY {column}) > 1"
        case "ExpectCompoundColumnsToBeUnique":
            columns = list(arguments["column_list"])
            all_missing = " AND ".join(f'"{c}" IS NULL' for c in columns)
            keys = _quoted(columns)
            return f"NOT ({all_missing}) AND count(*) OVER (PARTITION BY {keys}) > 1"
        case "ExpectColumnValuesToBeInSet":
            column = f'"{arguments["column"]}"'
            return f"{column} NOT IN ({_sql_list(list(arguments['value_set']))})"
        case "ExpectColumnPairValuesAToBeGreaterThanB":
            after, before = f'"{arguments["column_A"]}"', f'"{arguments["column_B"]}"'
            return f"NOT ({after} {'>=' if arguments.get('or_equal') else '>'} {before})"
        case "ExpectColumnValuesToBeBetween":
            column = f'"{arguments["column"]}"'
            return f"NOT ({column} BETWEEN {arguments['min_value']} AND {arguments['max_value']})"
    raise ValueError(f"Attente sans traduction SQL dans les contrôles : {expectation.kind}")


# ---------------------------------------------------------------------------------------------
# Company-scoped gates: a company's bad rows hold back that company only.

COMPANY_COLUMN = "siren"
PUBLICATION_TABLE = "company_publication"
WITHHELD = "retenue"
_ROW_LEVEL = {
    "ExpectColumnValuesToNotBeNull",
    "ExpectColumnValuesToBeUnique",
    "ExpectCompoundColumnsToBeUnique",
    "ExpectColumnValuesToBeInSet",
    "ExpectColumnPairValuesAToBeGreaterThanB",
    "ExpectColumnValuesToBeBetween",
}


def company_scoped(spec: TableSpec, expectation: Expectation) -> bool:
    """Whether a failure of `expectation` can be pinned on companies: a row-level expectation of
    a table with a SIREN column. Row counts, schema and contract are about the whole night."""
    return expectation.kind in _ROW_LEVEL and COMPANY_COLUMN in spec.column_names


def gate_scopes(specs: tuple[TableSpec, ...]) -> list[tuple[str, str, bool, bool]]:
    """(table, expectation in French, blocking, per company) of every gate, for the contract's
    reference page; the row-count gates, added at publication time, are whole-night gates."""
    return [
        (spec.name, _describe(expectation), expectation.blocking, company_scoped(spec, expectation))
        for spec in specs
        for expectation in spec.all_expectations()
    ]


def _describe(expectation: Expectation) -> str:
    arguments = expectation.arguments
    match expectation.kind:
        case "ExpectColumnValuesToNotBeNull":
            return f"`{arguments['column']}` renseigné"
        case "ExpectColumnValuesToBeUnique":
            return f"`{arguments['column']}` unique"
        case "ExpectCompoundColumnsToBeUnique":
            return f"({', '.join(arguments['column_list'])}) unique"
        case "ExpectColumnValuesToBeInSet":
            return f"`{arguments['column']}` dans la liste des codes"
        case "ExpectColumnPairValuesAToBeGreaterThanB":
            return f"`{arguments['column_B']}` ≤ `{arguments['column_A']}`"
        case "ExpectColumnValuesToBeBetween":
            return f"`{arguments['column']}` nul (identité comptable)"
    return expectation.kind


def _company(spec: TableSpec) -> str:
    # A row whose SIREN is missing belongs to the company of its SIRET, when it has one.
    if "siret" in spec.column_names:
        return f"coalesce({COMPANY_COLUMN}, left(siret, 9))"
    return COMPANY_COLUMN


def _failing_companies(
    tables: list[tuple[TableSpec, tuple[Expectation, ...]]], counts: list[_Counts]
) -> dict[str, list[str]]:
    """Per company, the French labels of the blocking company-scoped gates its rows fail, in
    the order of the tables and of their gates. Rows of no known company are left to the
    whole-night gates."""
    failures: dict[str, list[str]] = {}
    for (spec, expectations), table_counts in zip(tables, counts, strict=True):
        for i, expectation in enumerate(_row_level(expectations)):
            if not (expectation.blocking and company_scoped(spec, expectation)):
                continue
            for siren, _, unexpected in table_counts:
                if siren is not None and unexpected[i]:
                    failures.setdefault(siren, []).append(f"{spec.name} : {_describe(expectation)}")
    return failures


@dataclass(frozen=True)
class CompanyRefusal:
    siren: str
    gates: tuple[str, ...]  # French
    stale_since: date
    data_night_id: str | None  # the publication its rows come from; None: never published


def _withhold_companies(
    candidate: Path,
    hold_back: HoldBack,
    specs: tuple[TableSpec, ...],
    failures: dict[str, list[str]],
) -> list[CompanyRefusal]:
    """In the candidate file, replace the rows of every company of `failures` by its rows of the
    served file (its last good night; none if it was never published) and say so in
    `company_publication`; update the candidate's row counts. The other companies keep
    tonight's rows. Returns the companies held back."""
    with limit_memory(duckdb.connect(str(candidate))) as connection:
        has_served = hold_back.served.exists()
        if has_served:
            connection.execute(f"ATTACH '{_escape(hold_back.served)}' AS served (READ_ONLY)")
        try:
            refusals = [
                _withhold(connection, siren, tuple(gates), hold_back.night, specs, has_served)
                for siren, gates in sorted(failures.items())
            ]
            _recount(connection, specs)
        finally:
            if has_served:
                connection.execute("DETACH served")
    return refusals


def _recount(connection: duckdb.DuckDBPyConnection, specs: tuple[TableSpec, ...]) -> None:
    for spec in specs:
        connection.execute(
            f"UPDATE {SCHEMA}.publication_tables SET row_count = "
            f"(SELECT count(*) FROM {SCHEMA}.{spec.name}) WHERE table_name = ?",
            [spec.name],
        )


def _escape(path: Path) -> str:
    return str(path).replace("'", "''")


def _served_columns(connection: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    rows = connection.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = 'served' "
        "AND schema_name = ? AND table_name = ? ORDER BY column_index",
        [SCHEMA, table],
    ).fetchall()
    return [name for (name,) in rows]


def _withhold(
    connection: duckdb.DuckDBPyConnection,
    siren: str,
    gates: tuple[str, ...],
    night: date,
    specs: tuple[TableSpec, ...],
    has_served: bool,
) -> CompanyRefusal:
    for spec in specs:
        if spec.name == PUBLICATION_TABLE:
            continue
        table = f"{SCHEMA}.{spec.name}"
        connection.execute(f"DELETE FROM {table} WHERE {_company(spec)} = ?", [siren])
        columns = _served_columns(connection, spec.name) if has_served else []
        # A table the served file's contract did not have yet stays without the company's rows;
        # columns added since are left empty.
        shared = [c for c in columns if c == NIGHT_ID_COLUMN or c in spec.column_names]
        if COMPANY_COLUMN in shared:
            quoted = ", ".join(f'"{c}"' for c in shared)
            connection.execute(
                f"INSERT INTO {table} ({quoted}) SELECT {quoted} FROM served.{table} "
                f"WHERE {_company(spec)} = ?",
                [siren],
            )
    previous = _served_publication(connection, siren) if has_served else None
    stale_since = previous[0] if previous and previous[0] else night
    data_night_id = previous[1] if previous else None
    connection.execute(f"DELETE FROM {SCHEMA}.{PUBLICATION_TABLE} WHERE siren = ?", [siren])
    connection.execute(
        f"INSERT INTO {SCHEMA}.{PUBLICATION_TABLE} "
        f"SELECT (SELECT {NIGHT_ID_COLUMN} FROM {SCHEMA}.publication), ?, ?, ?, ?, ?",
        [siren, WITHHELD, stale_since, data_night_id, "; ".join(gates)],
    )
    return CompanyRefusal(siren, gates, stale_since, data_night_id)


def _served_publication(
    connection: duckdb.DuckDBPyConnection, siren: str
) -> tuple[date | None, str | None] | None:
    """(stale_since, night id of its rows) of `siren` in the served file: its own publication
    row when the file has one, else the file's night for a company it shows."""
    if _served_columns(connection, PUBLICATION_TABLE):
        row = connection.execute(
            f"SELECT stale_since, data_night_id FROM served.{SCHEMA}.{PUBLICATION_TABLE} "
            "WHERE siren = ?",
            [siren],
        ).fetchone()
        return (row[0], row[1]) if row else None
    row = connection.execute(
        f"SELECT {NIGHT_ID_COLUMN} FROM served.{SCHEMA}.companies WHERE siren = ?", [siren]
    ).fetchone()
    return (None, row[0]) if row else None
