"""The gates' Data Docs: Great Expectations validates the candidate with the gates' very
expectations and renders the site the stewards read (`data_docs/index.html`), in a child process
(`serving.data_docs_site`) given its job after the gates' verdict (`serving.gates.run_gates`,
on DuckDB), beside the night's next steps; the publish resource awaits it at the run's end
(`wait_for_data_docs`). The night starts that child with the portal's candidate
(`start_data_docs`), so that GX's import is done by the time the gates judge.

GX's import and validations are about 1.9 s of Python at 20,000 employees whatever the night's
size (import 1.2-1.3 s CPU, validations 0.65 s; the site 0.4-1.1 s more): the verdict no longer
waits for them. Not a thread of the night's process: there, GX's Python held the GIL while the
analysts' copy and exports waited for it between their hundreds of DuckDB statements (20,000
employees, one pair of nights: gates 4.1 -> 0.5 s, analysts' copy 5.0 -> 7.4 s, exports 2.8 ->
6.1 s). GX's own results are compared with the verdict's: a difference is an error reported at
the run's end (`DataDocsDisagreeError`), so the gates' SQL is checked against GX every night.
"""

from __future__ import annotations

import contextlib
import dataclasses
import html
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

from serving.snapshot import swap_directory
from serving.spec import SCHEMA, Expectation, GateResult, columns_label
from warehouse.connections import MEMORY_LIMIT


class DataDocsDisagreeError(Exception):
    """Great Expectations judged the candidate otherwise than the gates did (French)."""


@dataclass(frozen=True)
class Documented:
    """A table as GX validates it: its name, its check columns (name -> SQL) and tonight's
    expectations."""

    table: str
    check_columns: dict[str, str]
    expectations: tuple[Expectation, ...]


@dataclass(frozen=True)
class _Child:
    process: subprocess.Popen[bytes]
    results: IO[bytes]  # the child's standard output: GX's results, as JSON


@dataclass(frozen=True)
class _Building:
    child: _Child
    verdict: list[GateResult]


_building: _Building | None = None  # the Data Docs the last gates are building
_started: _Child | None = None  # a child started ahead (`start_data_docs`), waiting for its job


def start_data_docs() -> None:
    """Start the child that builds the next gates' Data Docs now, so that it imports GX (about
    2.2 s of CPU) while the steps before the gates run; `document_in_background` then gives it
    its job. A night with no file waited for that import at its end (100,000 employees: the
    gates run near the end, little is left to run beside the child)."""
    global _started
    _started = _running(_started) or _start_child()


def wait_for_data_docs() -> None:
    """Wait for the Data Docs site the last gates started building: `DataDocsDisagreeError`
    when GX's results differ from the gates', RuntimeError when the site failed (its reason
    stays out of the night's log: GX's messages may quote values). A child started ahead for
    gates that did not run (a failed night) is stopped."""
    global _started
    started, _started = _started, None
    if started is not None:
        with started.results:
            started.process.kill()
            started.process.wait()
    _wait_for_building()


def _wait_for_building() -> None:
    global _building
    building, _building = _building, None
    if building is None:
        return
    child = building.child
    with child.results:
        code = child.process.wait()
        if code:
            raise RuntimeError(f"construction des Data Docs terminée avec le code {code}")
        child.results.seek(0)
        by_gx = gx_results(json.loads(child.results.read().splitlines()[-1]))
    if by_gx != building.verdict:
        differing = sorted(
            {r.label for r in by_gx} ^ {r.label for r in building.verdict}
            | {g.label for g, v in zip(by_gx, building.verdict, strict=False) if g != v}
        )
        raise DataDocsDisagreeError(
            "Les Data Docs (Great Expectations) ne jugent pas la publication comme les "
            f"contrôles : {'; '.join(differing) or 'ordre des résultats'}"
        )


def document_in_background(
    candidate: Path, tables: list[Documented], verdict: list[GateResult], docs_dir: Path
) -> None:
    """Start the child that validates `tables` of the candidate file with GX and builds the
    site into `docs_dir`; `wait_for_data_docs` compares its results with the gates' `verdict`.
    The child reads the candidate through a second name (a hard link it removes once it has the
    file open), so that the swap renaming the candidate does not matter. The child started ahead
    (`start_data_docs`) takes the job, else one is started."""
    global _building, _started
    _wait_for_building()  # the previous gates' site, which this one replaces
    link = candidate.with_name(candidate.name + ".docs")
    link.unlink(missing_ok=True)
    os.link(candidate, link)
    job = {
        "candidate": str(link),
        "docs_dir": str(docs_dir),
        "memory_limit": MEMORY_LIMIT,
        "schema": SCHEMA,
        "tables": [dataclasses.asdict(table) for table in tables],
    }
    child, _started = _running(_started) or _start_child(), None
    assert child.process.stdin is not None
    # A child that ended meanwhile (its import failed) says so by its exit code at the wait.
    with contextlib.suppress(BrokenPipeError), child.process.stdin:
        child.process.stdin.write(json.dumps(job).encode())
    _building = _Building(child, verdict)


def _running(child: _Child | None) -> _Child | None:
    """`child` if it still runs; one that ended before its job has its output file closed."""
    if child is None or child.process.poll() is None:
        return child
    child.results.close()
    return None


def _start_child() -> _Child:
    """`serving.data_docs_site` started, reading its job on its standard input."""
    results = tempfile.TemporaryFile()  # noqa: SIM115 (closed by `wait_for_data_docs`)
    process = subprocess.Popen(
        [sys.executable, "-m", "serving.data_docs_site"],
        stdin=subprocess.PIPE,
        stdout=results,
        # GX's warnings and a failure's traceback stay out of the night's output.
        stderr=subprocess.DEVNULL,
        env={**os.environ, "GX_ANALYTICS_ENABLED": "False"},
    )
    return _Child(process, results)


def gx_results(raw: list[dict[str, Any]]) -> list[GateResult]:
    """GX's results as `serving.data_docs_site` writes them, as the gates' results."""
    return [
        GateResult(
            table=r["table"],
            expectation=r["expectation"],
            column=columns_label(r["columns"]),
            blocking=r["blocking"],
            passed=r["passed"],
            unexpected_count=r["unexpected_count"],
            observed=r["observed"],
        )
        for r in raw
    ]


# In the page that stands for a site retired (`retire_data_docs`): how a later night knows it.
_RETIRED_MARK = '<meta name="dsnpipe" content="data-docs-retirees">'


def retire_data_docs(docs_dir: Path, night: date) -> bool:
    """With the Data Docs switched off, replace a site built on an earlier night by one page
    saying so and where tonight's results are: its pages would otherwise be read as tonight's
    verdict. The whole directory is swapped at once; nothing is written where no site was, nor
    again where the page stands. Return whether a site was retired. The results themselves are
    kept in the warehouse (`publish.gate_results`), so no verdict is lost with the pages."""
    index = docs_dir / "index.html"
    if not index.is_file() or _RETIRED_MARK in index.read_text(encoding="utf-8", errors="replace"):
        return False
    replacement = docs_dir.with_name(f".{docs_dir.name}.retrait")
    shutil.rmtree(replacement, ignore_errors=True)
    replacement.mkdir(mode=0o700)
    (replacement / "index.html").write_text(_retired_page(night), encoding="utf-8")
    swap_directory(replacement, docs_dir)
    return True


def _retired_page(night: date) -> str:
    since = html.escape(night.strftime("%d/%m/%Y"))
    return f"""<!DOCTYPE html>
<html lang="fr">
<head><meta charset="utf-8">{_RETIRED_MARK}<title>Data Docs désactivées</title></head>
<body>
<h1>Data Docs des contrôles désactivées</h1>
<p>Le site des Data Docs n'est plus construit depuis la nuit du {since}
(variable <code>DSNPIPE_DATA_DOCS=0</code>). Les pages des nuits précédentes ont été retirées
pour qu'on ne les lise pas comme le verdict de la dernière nuit.</p>
<p>Les résultats des contrôles de chaque nuit restent consultables dans Dagster (contrôles de
l'actif <code>portal_candidate</code>) et dans la table <code>publish.gate_results</code> de
l'entrepôt.</p>
<p>Pour reconstruire le site, retirer <code>DSNPIPE_DATA_DOCS=0</code> : la nuit suivante le
construit à nouveau ici.</p>
</body>
</html>
"""
