"""The gates' Data Docs: Great Expectations validates the candidate with the gates' very
expectations and renders the site the stewards read (`data_docs/index.html`), in a child process
started after the gates' verdict (`serving.gates.run_gates`, on DuckDB), beside the night's next
steps; the publish resource awaits it at the run's end (`wait_for_data_docs`).

GX's import and validations are about 1.9 s of Python at 20,000 employees whatever the night's
size (import 1.2-1.3 s CPU, validations 0.65 s; the site 0.4-1.1 s more): the verdict no longer
waits for them. Not a thread of the night's process: there, GX's Python held the GIL while the
analysts' copy and exports waited for it between their hundreds of DuckDB statements (20,000
employees, one pair of nights: gates 4.1 -> 0.5 s, analysts' copy 5.0 -> 7.4 s, exports 2.8 ->
6.1 s). GX's own results are compared with the verdict's: a difference is an error reported at
the run's end (`DataDocsDisagreeError`), so the gates' SQL is checked against GX every night.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import types
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import duckdb

from serving.spec import SCHEMA, Expectation, GateResult, columns_label
from warehouse.connections import limit_memory

# The Data Docs site written into `docs_dir`; built alone, not with the ephemeral context's own
# default site in a temporary directory nobody reads (half of the building time).
_DOCS_SITE = "portail"

# Imported by GX's own import for one expectation (the KL divergence: its charts and its
# statistics) that no gate uses: about 1.5 s of the 3-4 s import, deferred to their first use.
_UNUSED_BY_GATES = ("altair", "scipy.stats")


class DataDocsDisagreeError(Exception):
    """Great Expectations judged the candidate otherwise than the gates did (French)."""


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


@dataclass(frozen=True)
class Documented:
    """A table as GX validates it: its name, its check columns (name -> SQL) and tonight's
    expectations."""

    table: str
    check_columns: dict[str, str]
    expectations: tuple[Expectation, ...]


@dataclass(frozen=True)
class _Building:
    process: subprocess.Popen[bytes]
    errors: IO[bytes]  # the child's standard error, read when it disagrees


_building: _Building | None = None  # the Data Docs the last gates are building
_DISAGREES = 3  # the child's exit code when GX judged otherwise; its last line says how


def wait_for_data_docs() -> None:
    """Wait for the Data Docs site the last gates started building: `DataDocsDisagreeError`
    when GX's results differ from the gates', RuntimeError when the site failed (its reason
    stays out of the night's log: GX's messages may quote values)."""
    global _building
    building, _building = _building, None
    if building is None:
        return
    with building.errors:
        code = building.process.wait()
        if code == _DISAGREES:
            building.errors.seek(0)
            lines = building.errors.read().decode(errors="replace").strip().splitlines()
            raise DataDocsDisagreeError(lines[-1] if lines else "")
        if code:
            raise RuntimeError(f"construction des Data Docs terminée avec le code {code}")


def document_in_background(
    candidate: Path, tables: list[Documented], verdict: list[GateResult], docs_dir: Path
) -> None:
    """Start the child that validates `tables` of the candidate file with GX, builds the site
    into `docs_dir` and compares GX's results with the gates' `verdict`. It reads the candidate
    through a second name (a hard link, removed once the child has the file open), so that the
    swap renaming the candidate does not matter."""
    global _building
    wait_for_data_docs()  # the previous gates' site, which this one replaces
    link = candidate.with_name(candidate.name + ".docs")
    link.unlink(missing_ok=True)
    os.link(candidate, link)
    job = {
        "candidate": str(link),
        "docs_dir": str(docs_dir),
        "tables": [dataclasses.asdict(table) for table in tables],
        "verdict": [dataclasses.asdict(result) for result in verdict],
    }
    errors = tempfile.TemporaryFile()  # noqa: SIM115 (closed by `wait_for_data_docs`)
    process = subprocess.Popen(
        [sys.executable, "-m", "serving.data_docs"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=errors,
        env={**os.environ, "GX_ANALYTICS_ENABLED": "False"},
    )
    assert process.stdin is not None
    with process.stdin:
        process.stdin.write(json.dumps(job).encode())
    _building = _Building(process, errors)


def _document(job: dict[str, Any]) -> int:
    """The child's work (`python -m serving.data_docs`, the job as JSON on its standard input)."""
    link = Path(job["candidate"])
    connection = limit_memory(duckdb.connect(str(link), read_only=True))
    link.unlink()  # the open file is the child's until it closes it
    tables = [
        Documented(
            t["table"],
            t["check_columns"],
            tuple(Expectation(e["kind"], e["arguments"], e["blocking"]) for e in t["expectations"]),
        )
        for t in job["tables"]
    ]
    try:
        context, results = validate(connection, tables, Path(job["docs_dir"]))
    finally:
        connection.close()
    context.build_data_docs(site_names=[_DOCS_SITE])
    verdict = [GateResult(**result) for result in job["verdict"]]
    if results == verdict:
        return 0
    differing = sorted(
        {r.label for r in results} ^ {r.label for r in verdict}
        | {g.label for g, v in zip(results, verdict, strict=False) if g != v}
    )
    print(
        "Les Data Docs (Great Expectations) ne jugent pas la publication comme les contrôles : "
        + ("; ".join(differing) or "ordre des résultats"),
        file=sys.stderr,
    )
    return _DISAGREES


def validate(
    connection: duckdb.DuckDBPyConnection, tables: list[Documented], docs_dir: Path | None = None
) -> tuple[Any, list[GateResult]]:
    """GX's validation of `tables` in the candidate of `connection`, with the site `docs_dir`
    declared (not built): the context holding the results, and the results as the gates'."""
    # GX's package imports every context, expectation and data source; the modules of one
    # expectation no gate uses are deferred (`defer_imports`).
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
    for table in tables:
        # The suite is stored once, whole: each expectation added to a stored suite stores it
        # again.
        suite = context.suites.add(
            gx.ExpectationSuite(
                name=table.table,
                expectations=[
                    getattr(gxe, expectation.kind)(
                        **expectation.arguments, meta={"bloquant": expectation.blocking}
                    )
                    for expectation in table.expectations
                ],
            )
        )
        validation = context.validation_definitions.add(
            gx.ValidationDefinition(name=table.table, data=batch, suite=suite)
        )
        # Run directly, not through a checkpoint of its own: a checkpoint adds nothing here (no
        # action) but its checks that every stored object is fresh. The result is stored all
        # the same for the Data Docs.
        validation_result = validation.run(
            batch_parameters={"dataframe": _frame(connection, table)},
            # No sample of failing values: they would put NIRs and names in Data Docs.
            result_format={"result_format": "BASIC", "partial_unexpected_count": 0},
        )
        results.extend(_gate_result(table.table, result) for result in validation_result.results)
    return context, results


def _gate_result(table: str, result: Any) -> GateResult:
    config = result.expectation_config
    assert config is not None  # GX always reports the expectation it ran
    observed = result.result.get("observed_value")
    return GateResult(
        table=table,
        expectation=config.type,
        column=columns_label(config.kwargs),
        blocking=bool((config.meta or {}).get("bloquant", True)),
        passed=bool(result.success),
        unexpected_count=result.result.get("unexpected_count"),
        observed=None if observed is None else str(observed),
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


def _frame(connection: duckdb.DuckDBPyConnection, table: Documented) -> Any:
    """The table's columns the expectations read, its check columns computed: no expectation
    reads the others, and converting them to pandas was most of the frame's cost (names, NIRs)."""
    selected = [
        f'"{name}"'
        for name in _checked_columns(table.expectations)
        if name not in table.check_columns
    ] + [f"CAST({sql} AS DOUBLE) AS {name}" for name, sql in table.check_columns.items()]
    return connection.execute(f"SELECT {', '.join(selected)} FROM {SCHEMA}.{table.table}").df()


if __name__ == "__main__":
    sys.exit(_document(json.load(sys.stdin)))
