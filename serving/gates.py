"""Run the expectations of every portal table on the candidate snapshot.

Each `TableSpec` gives its key (unique, not null), code lists, date orders and accounting
identities; the row count is bounded by the previous published count (a table losing more than
half its rows is the classic sign of a broken load and blocks; one tripling is only a warning).

Gates are of two scopes. A row-level gate of a table with a SIREN (key filled and unique, codes,
date orders, identities) can be pinned on the companies whose rows fail it: before Great
Expectations runs, `withhold_companies` puts those companies back on their last good night in
the candidate (rows copied from the served file, `company_publication` says so) and the rest
of the night publishes. Row counts, the schema and the contract are about the whole night: a
failure there, or a failing row of no known company, refuses the whole publication.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import os
import sys
import types
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from serving.spec import NIGHT_ID_COLUMN, SCHEMA, Expectation, TableSpec
from warehouse.connections import connect_serving, limit_memory

MAX_DROP = 0.5  # a table may lose at most half of its rows from one publication to the next
MAX_GROWTH = 3.0  # beyond this factor, a warning
GROWTH_SLACK = 10  # rows: a table of a handful of rows may well triple without anything wrong
# The Data Docs site written into `docs_dir`; built alone, not with the ephemeral context's own
# default site in a temporary directory nobody reads (half of the building time).
_DOCS_SITE = "portail"


@dataclass(frozen=True)
class GateResult:
    table: str
    expectation: str  # GX expectation type, e.g. expect_column_values_to_not_be_null
    column: str | None
    blocking: bool
    passed: bool
    unexpected_count: int | None
    observed: str | None

    @property
    def label(self) -> str:
        where = f" ({self.column})" if self.column else ""
        return f"{self.table} : {self.expectation}{where}"

    @property
    def failure(self) -> str:
        """French, one failed expectation as the refusal reason and the Dagster check state it."""
        return (
            self.label
            + (f" : {self.unexpected_count} ligne(s) en défaut" if self.unexpected_count else "")
            + (f" (observé : {self.observed})" if self.observed is not None else "")
        )


def row_count_bounds(previous: int | None) -> tuple[Expectation, ...]:
    """The row-count expectations of a table whose last published count was `previous` (none
    before its first publication)."""
    if previous is None:
        return ()
    return (
        Expectation(
            "ExpectTableRowCountToBeBetween",
            {"min_value": math.floor(previous * (1 - MAX_DROP))},
            blocking=True,
        ),
        Expectation(
            "ExpectTableRowCountToBeBetween",
            {"max_value": math.ceil(previous * MAX_GROWTH) + GROWTH_SLACK},
            blocking=False,
        ),
    )


def _checked_columns(expectations: tuple[Expectation, ...]) -> list[str]:
    """The columns `expectations` read, in order of first use."""
    columns: dict[str, None] = {}
    for expectation in expectations:
        arguments = expectation.arguments
        for name in (
            arguments.get("column"),
            *(arguments.get("column_list") or []),
            arguments.get("column_A"),
            arguments.get("column_B"),
        ):
            if name is not None:
                columns[name] = None
    return list(columns)


def _frame(
    connection: duckdb.DuckDBPyConnection, spec: TableSpec, expectations: tuple[Expectation, ...]
) -> Any:
    """The table's columns the expectations read, its check columns computed: no expectation
    reads the others, and converting them to pandas was most of the frame's cost (names, NIRs)."""
    selected = [
        f'"{name}"' for name in _checked_columns(expectations) if name not in spec.check_columns
    ] + [f"CAST({sql} AS DOUBLE) AS {name}" for name, sql in spec.check_columns.items()]
    return connection.execute(f"SELECT {', '.join(selected)} FROM {SCHEMA}.{spec.name}").df()


# Imported by GX's own import for one expectation (the KL divergence: its charts and its
# statistics) that no gate uses: about 1.5 s of the 3-4 s import, deferred to their first use.
_UNUSED_BY_GATES = ("altair", "scipy.stats")


class _Deferred(types.ModuleType):
    """Stands for a module in `sys.modules` until one of its attributes is read, which imports
    the module itself (then in `sys.modules`) and reads it there. Not the standard library's
    `importlib.util.LazyLoader`: on Python 3.11 an `import` statement reads the lazy module's
    `__spec__`, which loads it at once (tried: GX's import then loaded both modules)."""

    def __getattr__(self, name: str) -> Any:
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), name)


def defer_imports(names: tuple[str, ...]) -> None:
    """Put a `_Deferred` in `sys.modules` for each module of `names` not imported yet."""
    for name in names:
        if name in sys.modules:
            continue
        spec = importlib.util.find_spec(name)
        if spec is None:  # not installed: GX's own import says so
            continue
        deferred = _Deferred(name)
        deferred.__spec__ = spec  # read by `import` itself: a module being imported or not
        sys.modules[name] = deferred


_building_docs: Future[Any] | None = None  # the Data Docs the last `run_gates` is building


def wait_for_data_docs() -> None:
    """Wait for the Data Docs site the last `run_gates` started building; raises its failure."""
    global _building_docs
    building, _building_docs = _building_docs, None
    if building is not None:
        building.result()


def _build_docs_in_background(context: Any) -> None:
    global _building_docs
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="data-docs")
    _building_docs = executor.submit(context.build_data_docs, site_names=[_DOCS_SITE])
    executor.shutdown(wait=False)  # its thread ends with the build


def run_gates(
    candidate: Path,
    specs: tuple[TableSpec, ...],
    previous_counts: dict[str, int],
    docs_dir: Path | None = None,
) -> list[GateResult]:
    """Validate every table of the candidate file; build the Data Docs site into `docs_dir`,
    in a background thread (`wait_for_data_docs`): rendering its pages, about a second of Python,
    need not hold the publication, and the night's next steps mostly wait on DuckDB."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    wait_for_data_docs()  # the previous gates' site, which this one replaces
    # Importing GX is most of the gates' time (20,000 employees: 3.3 s in the night's process,
    # validation 1.1 s, Data Docs 0.4-1.1 s): its package imports every context, expectation
    # and data source; the modules of one expectation no gate uses are deferred
    # (`defer_imports`). Not imported in a thread during the candidate: the GIL made the
    # candidate as much slower (7 Dec, candidate then import 6.6 s in sequence, 6.8 s
    # overlapped); nor at the run's start: on the 100,000-employee incremental night the gates
    # took 2.3 s less and the landing's scan, Python too, 2.2 s more.
    defer_imports(_UNUSED_BY_GATES)
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    if docs_dir is not None:
        context.add_data_docs_site(
            site_name=_DOCS_SITE,
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs_dir),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    # One data asset and batch definition for every table, each table's frame passed when its
    # validation runs: adding an asset or a batch definition writes the context's whole
    # configuration again (a third of the gates' time with one of each per table).
    batch = (
        context.data_sources.add_pandas(SCHEMA)
        .add_dataframe_asset(SCHEMA)
        .add_batch_definition_whole_dataframe("nuit")
    )
    results: list[GateResult] = []
    with connect_serving(candidate) as connection:
        for spec in specs:
            expectations = (
                *spec.all_expectations(),
                *row_count_bounds(previous_counts.get(spec.name)),
            )
            # The suite is stored once, whole: each expectation added to a stored suite
            # stores it again.
            suite = context.suites.add(
                gx.ExpectationSuite(
                    name=spec.name,
                    expectations=[
                        getattr(gxe, expectation.kind)(
                            **expectation.arguments, meta={"bloquant": expectation.blocking}
                        )
                        for expectation in expectations
                    ],
                )
            )
            validation = context.validation_definitions.add(
                gx.ValidationDefinition(name=spec.name, data=batch, suite=suite)
            )
            # Run directly, not through a checkpoint of its own: a checkpoint adds nothing
            # here (no action) but its checks that every stored object is fresh, about a
            # third of the gates' time. The result is stored all the same for the Data Docs.
            validation_result = validation.run(
                batch_parameters={"dataframe": _frame(connection, spec, expectations)},
                # No sample of failing values: they would put NIRs and names in Data Docs.
                result_format={"result_format": "BASIC", "partial_unexpected_count": 0},
            )
            for result in validation_result.results:
                config = result.expectation_config
                assert config is not None  # GX always reports the expectation it ran
                kwargs = config.kwargs
                column = (
                    kwargs.get("column")
                    or ", ".join(kwargs.get("column_list") or [])
                    or (
                        f"{kwargs['column_B']} ≤ {kwargs['column_A']}"
                        if "column_A" in kwargs
                        else None
                    )
                )
                observed = result.result.get("observed_value")
                results.append(
                    GateResult(
                        table=spec.name,
                        expectation=config.type,
                        column=column,
                        blocking=bool((config.meta or {}).get("bloquant", True)),
                        passed=bool(result.success),
                        unexpected_count=result.result.get("unexpected_count"),
                        observed=None if observed is None else str(observed),
                    )
                )
    if docs_dir is not None:  # once for all tables: a rebuild per table costs seconds each
        _build_docs_in_background(context)
    return results


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


def _sql_list(values: list[str]) -> str:
    return ", ".join("'" + value.replace("'", "''") + "'" for value in values)


def _fails(expectation: Expectation) -> str:
    """A SQL expression over a table's row (its check columns computed) true when the row fails
    the row-level `expectation`, as Great Expectations judges it (missing values pass code
    lists, orders and bounds)."""
    arguments = expectation.arguments
    match expectation.kind:
        case "ExpectColumnValuesToNotBeNull":
            return f'"{arguments["column"]}" IS NULL'
        case "ExpectColumnValuesToBeUnique" | "ExpectCompoundColumnsToBeUnique":
            columns = arguments.get("column_list") or [arguments["column"]]
            keys = ", ".join(f'"{c}"' for c in columns)
            return f"count(*) OVER (PARTITION BY {keys}) > 1"
        case "ExpectColumnValuesToBeInSet":
            column = f'"{arguments["column"]}"'
            return f"{column} NOT IN ({_sql_list(list(arguments['value_set']))})"
        case "ExpectColumnPairValuesAToBeGreaterThanB":
            after, before = f'"{arguments["column_A"]}"', f'"{arguments["column_B"]}"'
            return f"NOT ({after} >= {before})"
        case _:  # ExpectColumnValuesToBeBetween
            column = arguments["column"]
            return f"NOT ({column} BETWEEN {arguments['min_value']} AND {arguments['max_value']})"


def _company(spec: TableSpec) -> str:
    # A row whose SIREN is missing belongs to the company of its SIRET, when it has one.
    if "siret" in spec.column_names:
        return f"coalesce({COMPANY_COLUMN}, left(siret, 9))"
    return COMPANY_COLUMN


def failing_companies(
    connection: duckdb.DuckDBPyConnection, specs: tuple[TableSpec, ...]
) -> dict[str, list[str]]:
    """Per company, the French labels of the blocking company-scoped gates its rows fail in
    the portal schema of `connection`. Rows of no known company are left to the whole-night
    gates. One scan per table, whatever its number of gates."""
    failures: dict[str, list[str]] = {}
    for spec in specs:
        gates = [e for e in spec.all_expectations() if e.blocking and company_scoped(spec, e)]
        if not gates:
            continue
        checks = "".join(f", ({sql}) AS {name}" for name, sql in spec.check_columns.items())
        flags = ", ".join(f"coalesce({_fails(e)}, false) AS gate_{i}" for i, e in enumerate(gates))
        failed = " OR ".join(f"gate_{i}" for i in range(len(gates)))
        rows = connection.execute(
            f"""
            SELECT company, {", ".join(f"bool_or(gate_{i})" for i in range(len(gates)))}
            FROM (
                SELECT {_company(spec)} AS company, {flags}
                FROM (SELECT *{checks} FROM {SCHEMA}.{spec.name}))
            WHERE company IS NOT NULL AND ({failed})
            GROUP BY company ORDER BY company
            """
        ).fetchall()
        for i, expectation in enumerate(gates):
            for siren, *gate_failed in rows:
                if gate_failed[i]:
                    failures.setdefault(siren, []).append(f"{spec.name} : {_describe(expectation)}")
    return failures


@dataclass(frozen=True)
class CompanyRefusal:
    siren: str
    gates: tuple[str, ...]  # French
    stale_since: date
    data_night_id: str | None  # the publication its rows come from; None: never published


def withhold_companies(
    candidate: Path, served: Path, night: date, specs: tuple[TableSpec, ...]
) -> list[CompanyRefusal]:
    """In the candidate file, replace the rows of every company failing a company-scoped gate
    by its rows of the served file (its last good night; none if it was never published) and
    say so in `company_publication`; update the candidate's row counts. The other companies
    keep tonight's rows. Returns the companies held back."""
    with limit_memory(duckdb.connect(str(candidate))) as connection:
        failures = failing_companies(connection, specs)
        has_served = served.exists()
        if has_served:
            connection.execute(f"ATTACH '{_escape(served)}' AS served (READ_ONLY)")
        try:
            refusals = [
                _withhold(connection, siren, tuple(gates), night, specs, has_served)
                for siren, gates in sorted(failures.items())
            ]
            connection.execute(
                f"UPDATE {SCHEMA}.{PUBLICATION_TABLE} SET data_night_id = night_id "
                "WHERE data_night_id IS NULL AND publication_status <> ?",
                [WITHHELD],
            )
            if refusals:  # only a company held back changes the row counts
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
