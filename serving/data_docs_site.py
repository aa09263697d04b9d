"""Great Expectations' side of the gates, run as a child process by `serving.data_docs`
(`python -m serving.data_docs_site`, its job as JSON on standard input): validate the candidate
with the gates' expectations, build the Data Docs site, write GX's results as JSON, the last
line of standard output. It imports neither the warehouse's modules nor Polars, only DuckDB and
GX: its start is CPU the night's machine spends beside the night (serving.data_docs with its
imports: 2.3 s under load, this module 0.1 s).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys
import types
from pathlib import Path
from typing import Any

import duckdb

# The Data Docs site written into the docs directory; built alone, not with the ephemeral
# context's own default site in a temporary directory nobody reads (half of the building time).
_DOCS_SITE = "portail"
# The arguments naming the columns an expectation reads.
_COLUMN_ARGUMENTS = ("column", "column_list", "column_A", "column_B")

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


def main(job: dict[str, Any]) -> None:
    link = Path(job["candidate"])
    connection = duckdb.connect(str(link), read_only=True)
    link.unlink()  # the open file is the child's until it closes it
    try:
        connection.execute(f"SET memory_limit = '{job['memory_limit']}'")
        context, results = validate(connection, job["schema"], job["tables"], Path(job["docs_dir"]))
    finally:
        connection.close()
    context.build_data_docs(site_names=[_DOCS_SITE])
    print(json.dumps(results))  # the last line: whatever GX itself prints comes before


def validate(
    connection: duckdb.DuckDBPyConnection,
    schema: str,
    tables: list[dict[str, Any]],
    docs_dir: Path | None = None,
) -> tuple[Any, list[dict[str, Any]]]:
    """GX's validation of `tables` (each a `serving.data_docs.Documented` as a dict) of `schema`
    in the candidate of `connection`, with the site `docs_dir` declared (not built): the context
    holding the results, and the results (`_gx_result`)."""
    _import_gx()
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
        context.data_sources.add_pandas(schema)
        .add_dataframe_asset(schema)
        .add_batch_definition_whole_dataframe("nuit")
    )
    results: list[dict[str, Any]] = []
    for table in tables:
        # The suite is stored once, whole: each expectation added to a stored suite stores it
        # again.
        suite = context.suites.add(
            gx.ExpectationSuite(
                name=table["table"],
                expectations=[
                    getattr(gxe, expectation["kind"])(
                        **expectation["arguments"], meta={"bloquant": expectation["blocking"]}
                    )
                    for expectation in table["expectations"]
                ],
            )
        )
        validation = context.validation_definitions.add(
            gx.ValidationDefinition(name=table["table"], data=batch, suite=suite)
        )
        # Run directly, not through a checkpoint of its own: a checkpoint adds nothing here (no
        # action) but its checks that every stored object is fresh. The result is stored all
        # the same for the Data Docs.
        validation_result = validation.run(
            batch_parameters={"dataframe": _frame(connection, schema, table)},
            # No sample of failing values: they would put NIRs and names in Data Docs.
            result_format={"result_format": "BASIC", "partial_unexpected_count": 0},
        )
        results.extend(_gx_result(table["table"], result) for result in validation_result.results)
    return context, results


def _gx_result(table: str, result: Any) -> dict[str, Any]:
    """What the gates need of one GX result: serving.data_docs.gx_results reads it."""
    config = result.expectation_config
    assert config is not None  # GX always reports the expectation it ran
    observed = result.result.get("observed_value")
    return {
        "table": table,
        "expectation": config.type,
        "columns": {k: v for k, v in config.kwargs.items() if k in _COLUMN_ARGUMENTS},
        "blocking": bool((config.meta or {}).get("bloquant", True)),
        "passed": bool(result.success),
        "unexpected_count": result.result.get("unexpected_count"),
        "observed": None if observed is None else str(observed),
    }


def _checked_columns(expectations: list[dict[str, Any]]) -> list[str]:
    """The columns `expectations` read, in order of first use."""
    columns: dict[str, None] = {}
    for expectation in expectations:
        arguments = expectation["arguments"]
        for name in (
            arguments.get("column"),
            *(arguments.get("column_list") or []),
            arguments.get("column_A"),
            arguments.get("column_B"),
        ):
            if name is not None:
                columns[name] = None
    return list(columns)


def _frame(connection: duckdb.DuckDBPyConnection, schema: str, table: dict[str, Any]) -> Any:
    """The table's columns the expectations read, its check columns computed: no expectation
    reads the others, and converting them to pandas was most of the frame's cost (names, NIRs)."""
    selected = [
        f'"{name}"'
        for name in _checked_columns(table["expectations"])
        if name not in table["check_columns"]
    ] + [f"CAST({sql} AS DOUBLE) AS {name}" for name, sql in table["check_columns"].items()]
    return connection.execute(f"SELECT {', '.join(selected)} FROM {schema}.{table['table']}").df()


def _import_gx() -> None:
    """GX imported as the gates need it, before the job comes when the child is started ahead
    (`serving.data_docs.start_data_docs`). GX's package imports every context, expectation and
    data source; the modules of one expectation no gate uses are deferred (`defer_imports`)."""
    defer_imports(_UNUSED_BY_GATES)
    import great_expectations.expectations  # noqa: F401
    from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: F401


if __name__ == "__main__":
    # The night's next steps come first: the site is awaited only at the run's end, and on a
    # busy machine this child's 3.7-5.3 s of CPU (20,000 employees, load 11) would slow them.
    os.nice(10)
    _import_gx()
    raw = sys.stdin.read()
    if raw:  # none: started ahead for gates that did not run
        main(json.loads(raw))
