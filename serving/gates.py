"""Run the expectations of every portal table on the candidate snapshot.

Each `TableSpec` gives its key (unique, not null), code lists, date orders and accounting
identities; the row count is bounded by the previous published count (a table losing more than
half its rows is the classic sign of a broken load and blocks; one tripling is only a warning).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from serving.spec import SCHEMA, Expectation, TableSpec
from warehouse.connections import connect_serving

MAX_DROP = 0.5  # a table may lose at most half of its rows from one publication to the next
MAX_GROWTH = 3.0  # beyond this factor, a warning
GROWTH_SLACK = 10  # rows: a table of a handful of rows may well triple without anything wrong


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


def _frame(connection: duckdb.DuckDBPyConnection, spec: TableSpec) -> Any:
    extra = "".join(
        f", CAST({sql} AS DOUBLE) AS {name}" for name, sql in spec.check_columns.items()
    )
    return connection.execute(f"SELECT *{extra} FROM {SCHEMA}.{spec.name}").df()


def run_gates(
    candidate: Path,
    specs: tuple[TableSpec, ...],
    previous_counts: dict[str, int],
    docs_dir: Path | None = None,
) -> list[GateResult]:
    """Validate every table of the candidate file; build the Data Docs site into `docs_dir`."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    if docs_dir is not None:
        context.add_data_docs_site(
            site_name="portail",
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs_dir),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    source = context.data_sources.add_pandas(SCHEMA)
    results: list[GateResult] = []
    with connect_serving(candidate) as connection:
        for spec in specs:
            expectations = (
                *spec.all_expectations(),
                *row_count_bounds(previous_counts.get(spec.name)),
            )
            suite = context.suites.add(gx.ExpectationSuite(name=spec.name))
            for expectation in expectations:
                suite.add_expectation(
                    getattr(gxe, expectation.kind)(
                        **expectation.arguments, meta={"bloquant": expectation.blocking}
                    )
                )
            batch = source.add_dataframe_asset(spec.name).add_batch_definition_whole_dataframe(
                "nuit"
            )
            validation = context.validation_definitions.add(
                gx.ValidationDefinition(name=spec.name, data=batch, suite=suite)
            )
            checkpoint = context.checkpoints.add(
                gx.Checkpoint(
                    name=spec.name,
                    validation_definitions=[validation],
                    # No sample of failing values: they would put NIRs and names in Data Docs.
                    result_format={"result_format": "BASIC", "partial_unexpected_count": 0},
                )
            )
            outcome = checkpoint.run(batch_parameters={"dataframe": _frame(connection, spec)})
            validation_result = next(iter(outcome.run_results.values()))
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
        context.build_data_docs()
    return results
