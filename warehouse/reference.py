"""The insurer's own files, loaded into the warehouse once a night at ingestion, so that every
domain reads tables and none reads the landing directory.

- `reference/*.json`: one contract-parameter file (fiche de paramétrage) per contract, kept whole
  in `reference.contract_parameters` and spread into `reference.oc_contracts`, `_options`,
  `_populations`, `_rates`; `reference/pmss.json` the yearly social security ceiling
  (`reference.pmss`). The latest file of a contract (in path order) wins.
- `portal/*.csv`: the portal's exports (`contracts.portal_exports`) into `from_portal.*`.

Each export is the portal's full current list and each parameter file the contract's current
terms, so a file's rows are replaced whole; a portal file absent tonight leaves its table as it
was. A file or line that cannot be read is recorded in `registry.rejected_lines` with the reason.

A night reads only what changed: `registry.reference_reads` keeps each file's size, time and
content hash as last read (and the reading code's version), so an unchanged file is neither
parsed nor rewritten and a contract keeps its rows while its file in force is the same; the
tables end as a load of every file gives (tests/warehouse/test_reference_loads.py).
"""

from __future__ import annotations

import hashlib
import logging
import sys
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import duckdb
import polars as pl
from pydantic import ValidationError

from contracts.parameters import ContractParameters, Cover, PmssTable
from contracts.portal_exports import PORTAL_EXPORTS, RejectedLine, read_portal_export
from warehouse.changes import mark_companies, mark_every_company
from warehouse.reference_tables import (
    CONTRACT_PARAMETERS,
    OC_CONTRACT_OPTIONS,
    OC_CONTRACT_POPULATIONS,
    OC_CONTRACT_RATES,
    OC_CONTRACTS,
    PMSS,
)
from warehouse.tables.registry import REFERENCE_READS

log = logging.getLogger(__name__)

REFERENCE_DIR = "reference"
PORTAL_DIR = "portal"
PMSS_FILE = "pmss.json"


@dataclass(frozen=True)
class FileRead:
    """A reference or portal file as a load read it: its state on disk, the SHA-256 of its
    content and, for a contract-parameter file, the contract it holds (None: rejected, or no
    contract file)."""

    size: int
    mtime: float
    file_id: str
    contract_reference: str | None = None


@dataclass
class ReferenceLoad:
    """What one load read: table -> rows (for a contract table, the rows of
    `contracts_replaced` only), the lines it could not read, and every file it found."""

    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    rejects: list[RejectedLine] = field(default_factory=list)
    # contracts whose rows are replaced: their file changed, another file holds them now, or
    # none does any more
    contracts_replaced: set[str] = field(default_factory=set)
    files: dict[str, FileRead] = field(default_factory=dict)
    unchanged: set[str] = field(default_factory=set)  # found as last read: their rows stay

    @property
    def contracts(self) -> int:
        frame = self.tables.get("reference.contract_parameters")
        return 0 if frame is None else frame.height


def _short_error(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'fichier'} : {e['msg']}" for e in error.errors()
        )[:500]
    return type(error).__name__


def _changed_bytes(
    path: Path, name: str, previous: Mapping[str, FileRead], load: ReferenceLoad
) -> bytes | None:
    """The file's bytes when they are not what the last load read from it, else None (found
    unchanged by size and modification time, or by content once touched); `load` records the
    file either way."""
    status = path.stat()
    before = previous.get(name)
    if before is not None and (status.st_size, status.st_mtime) == (before.size, before.mtime):
        load.files[name] = before
        load.unchanged.add(name)
        return None
    data = path.read_bytes()
    file_id = hashlib.sha256(data).hexdigest()
    if before is not None and before.file_id == file_id:
        load.files[name] = replace(before, size=status.st_size, mtime=status.st_mtime)
        load.unchanged.add(name)
        return None
    load.files[name] = FileRead(status.st_size, status.st_mtime, file_id)
    return data


def read_reference(
    folder: Path,
    load: ReferenceLoad,
    previous: Mapping[str, FileRead] | None = None,
    in_force: Mapping[str, str] | None = None,
) -> None:
    """The contract-parameter files and the PMSS table of `folder` into `load`: the files
    changed since `previous` (the last load's reads) are parsed, and the contracts whose file
    in force (`in_force`: contract -> file, as loaded) is not the same any more."""
    previous, in_force = previous or {}, in_force or {}
    winners: dict[str, str] = {}  # contract -> its file, the latest in path order
    parsed: dict[str, ContractParameters] = {}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        name = f"{REFERENCE_DIR}/{path.name}"
        try:
            data = _changed_bytes(path, name, previous, load)
            if path.name == PMSS_FILE:
                if data is not None:
                    table = PmssTable.model_validate_json(data)
                    pmss = [{"year": y, "amount": a} for y, a in table.pmss_by_year.items()]
                    load.tables["reference.pmss"] = pl.DataFrame(pmss, schema=PMSS.polars_schema())
                continue
            if data is not None:
                parsed[name] = ContractParameters.model_validate_json(data)
                reference = parsed[name].contract_reference
                load.files[name] = replace(load.files[name], contract_reference=reference)
        except (ValidationError, OSError) as error:
            load.rejects.append(RejectedLine(name, 0, _short_error(error)))
            continue
        if (contract := load.files[name].contract_reference) is not None:
            winners[contract] = name
    if not winners:
        return  # no contract file tonight: the contracts stay as they were
    kept = {c for c, name in winners.items() if name in load.unchanged and in_force.get(c) == name}
    load.contracts_replaced = (set(winners) | set(in_force)) - kept
    if not load.contracts_replaced:
        return
    every = [
        (winners[c], parsed.get(winners[c]) or _parse(folder, winners[c]))
        for c in sorted(load.contracts_replaced & set(winners))
    ]
    load.tables |= _contract_tables(every)


def _parse(folder: Path, name: str) -> ContractParameters:
    """An unchanged file that holds its contract tonight and did not before (the file that did
    is gone): read again, as it was when last read."""
    return ContractParameters.model_validate_json((folder / Path(name).name).read_bytes())


def _contract_tables(
    contracts: list[tuple[str, ContractParameters]],
) -> dict[str, pl.DataFrame]:
    documents, contracts_rows, options, populations, rates = [], [], [], [], []
    for name, parameters in contracts:
        ref = parameters.contract_reference
        documents.append(
            {
                "contract_reference": ref,
                "source_file": name,
                "document": parameters.model_dump_json(),
            }
        )
        contracts_rows.append(
            {
                "contract_reference": ref,
                "organisme_code": parameters.organisme_code,
                "delegate_code": parameters.delegate_code,
                "siren": parameters.siren,
                "cover": parameters.cover.value,
                "effective_from": parameters.effective_from,
                "effective_to": parameters.effective_to,
                "source_file": name,
            }
        )
        options += [{"contract_reference": ref, "option_code": o.code} for o in parameters.options]
        populations += [
            {"contract_reference": ref, "population_code": p.code, "category": category}
            for p in parameters.populations
            for category in p.categories
        ]
        rates += [
            {
                "contract_reference": ref,
                "option_code": r.option,
                "population_code": r.population,
                "base": r.base.value,
                "rate_percent": r.rate_percent,
                "effective_from": r.effective_from,
                "effective_to": r.effective_to,
            }
            for r in parameters.rates
        ]
    return {
        table.qualified_name: pl.DataFrame(rows, schema=table.polars_schema())
        for table, rows in (
            (CONTRACT_PARAMETERS, documents),
            (OC_CONTRACTS, contracts_rows),
            (OC_CONTRACT_OPTIONS, options),
            (OC_CONTRACT_POPULATIONS, populations),
            (OC_CONTRACT_RATES, rates),
        )
    }


def read_portal(
    folder: Path, load: ReferenceLoad, previous: Mapping[str, FileRead] | None = None
) -> None:
    """The portal's export files of `folder` changed since `previous` into `load`."""
    for export in PORTAL_EXPORTS:
        path = folder / export.file_name
        name = f"{PORTAL_DIR}/{export.file_name}"
        if path.is_file() and _changed_bytes(path, name, previous or {}, load) is not None:
            rows, rejects = read_portal_export(path, export, name)
            load.tables[f"from_portal.{export.table}"] = rows
            load.rejects += rejects


def read_reference_files(
    landing_dir: Path,
    previous: Mapping[str, FileRead] | None = None,
    in_force: Mapping[str, str] | None = None,
) -> ReferenceLoad:
    """The reference and portal files of `landing_dir`, every one or those changed since
    `previous` (`read_reference`)."""
    load = ReferenceLoad()
    read_reference(landing_dir / REFERENCE_DIR, load, previous, in_force)
    read_portal(landing_dir / PORTAL_DIR, load, previous)
    return load


def store_reference(connection: duckdb.DuckDBPyConnection, load: ReferenceLoad) -> None:
    """Replace the rows `load` has read and the rejected lines of the files it read, and mark
    as changed the companies whose reference rows differ from the previous ones
    (`warehouse.changes`); the caller holds the transaction."""
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {_REPLACED} AS "
        "SELECT unnest(?::VARCHAR[]) AS contract_reference",
        [sorted(load.contracts_replaced)],
    )
    previous = {table: _keep_previous(connection, table) for table in load.tables}
    try:
        for table, frame in load.tables.items():
            _replace(connection, table, frame)
        for table in load.tables:
            _mark_changed_companies(connection, table, previous)
    finally:
        for copy in [*previous.values(), _REPLACED]:
            connection.execute(f"DROP TABLE IF EXISTS temp.{copy}")
    connection.execute(
        "DELETE FROM registry.rejected_lines WHERE NOT list_contains(?, source_file)",
        [sorted(load.unchanged)],
    )
    if load.rejects:
        connection.executemany(
            "INSERT INTO registry.rejected_lines VALUES (?, ?, ?)",
            [[r.source_file, r.line_number, r.error] for r in load.rejects],
        )
    _record_reads(connection, load)


_REPLACED = "replaced_contracts"
_CONTRACT_TABLES = frozenset(
    table.qualified_name
    for table in (
        CONTRACT_PARAMETERS,
        OC_CONTRACTS,
        OC_CONTRACT_OPTIONS,
        OC_CONTRACT_POPULATIONS,
        OC_CONTRACT_RATES,
    )
)


def _rewritten(table: str) -> str:
    """The rows of `table` a load replaces: a contract table's rows of the replaced contracts,
    every row of another table."""
    if table not in _CONTRACT_TABLES:
        return table
    return (
        f"(SELECT * FROM {table} WHERE contract_reference IN "
        f"(SELECT contract_reference FROM temp.{_REPLACED}))"
    )


def _keep_previous(connection: duckdb.DuckDBPyConnection, table: str) -> str:
    copy = "previous_" + table.replace(".", "_")
    connection.execute(f"CREATE OR REPLACE TEMP TABLE {copy} AS SELECT * FROM {_rewritten(table)}")
    return copy


def _replace(connection: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    if table in _CONTRACT_TABLES:
        connection.execute(
            f"DELETE FROM {table} WHERE contract_reference IN "
            f"(SELECT contract_reference FROM temp.{_REPLACED})"
        )
    else:
        connection.execute(f"DELETE FROM {table}")
    if frame.height:
        connection.register("_reference_rows", frame)
        try:
            columns = ", ".join(frame.columns)
            connection.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM _reference_rows"
            )
        finally:
            connection.unregister("_reference_rows")


def _record_reads(connection: duckdb.DuckDBPyConnection, load: ReferenceLoad) -> None:
    rows = pl.DataFrame(
        [
            (name, read.size, read.mtime, read.file_id, read.contract_reference)
            for name, read in load.files.items()
        ],
        schema=REFERENCE_READS.polars_schema(exclude=["reader_version"]),
        orient="row",
    )
    connection.execute("DELETE FROM registry.reference_reads")
    connection.register("_reads", rows)
    try:
        connection.execute(
            "INSERT INTO registry.reference_reads SELECT *, ? FROM _reads", [_reader_version()]
        )
    finally:
        connection.unregister("_reads")


def _previous_reads(connection: duckdb.DuckDBPyConnection) -> dict[str, FileRead]:
    """The last load's reads, when the same code made them (a reader fix reads every file)."""
    rows = connection.execute(
        "SELECT landing_path, size, mtime, file_id, contract_reference "
        "FROM registry.reference_reads WHERE reader_version = ?",
        [_reader_version()],
    ).fetchall()
    return {name: FileRead(*read) for name, *read in rows}


@cache
def _reader_version() -> str:
    """A digest of the code that turns a file into rows: the readers, this module and the
    tables' declarations (a column added there must be filled for the files already read)."""
    digest = hashlib.sha256()
    readers = ("contracts.parameters", "contracts.portal_exports", "warehouse.reference_tables")
    for module in (*readers, __name__):
        digest.update(Path(sys.modules[module].__file__ or "").read_bytes())
    return digest.hexdigest()[:12]


# How a changed reference row names its company when it has no SIREN: through its contract
# (the OC's contracts list the companies holding them) or its portal request. A row naming
# none (the PMSS) changes every company.
_COMPANY_OWNERS = {
    "contract_reference": "reference.oc_contracts",
    "request_id": "from_portal.affiliation_requests",
}


def _mark_changed_companies(
    connection: duckdb.DuckDBPyConnection, table: str, previous: dict[str, str]
) -> None:
    before = f"temp.{previous[table]}"
    after = _rewritten(table)
    changed = (
        f"(SELECT * FROM {before} EXCEPT ALL SELECT * FROM {after}) UNION ALL "
        f"(SELECT * FROM {after} EXCEPT ALL SELECT * FROM {before})"
    )
    columns = {row[0] for row in connection.execute(f"DESCRIBE {table}").fetchall()}
    if "siren" in columns:
        mark_companies(connection, f"SELECT siren FROM ({changed})")
        return
    for key, owner in _COMPANY_OWNERS.items():
        if key in columns:
            # Both the owner's rows of tonight and of the previous load, so that a row moved
            # from one company to another, or removed with its owner, marks both.
            owners = f"SELECT {key}, siren FROM {owner}"
            if owner in previous:
                owners += f" UNION SELECT {key}, siren FROM temp.{previous[owner]}"
            mark_companies(
                connection,
                f"SELECT o.siren FROM ({changed}) AS c JOIN ({owners}) AS o USING ({key})",
            )
            return
    if connection.execute(f"SELECT count(*) FROM ({changed})").fetchone()[0]:  # type: ignore[index]
        mark_every_company(connection)


def load_reference_files(connection: duckdb.DuckDBPyConnection, landing_dir: Path) -> ReferenceLoad:
    """Read the reference and portal files of `landing_dir` changed since the last load and
    replace their rows; the load's `rejects` are then every file's rejected lines."""
    in_force = dict(
        connection.execute(
            "SELECT contract_reference, source_file FROM reference.contract_parameters"
        ).fetchall()
    )
    load = read_reference_files(landing_dir, _previous_reads(connection), in_force)
    store_reference(connection, load)
    rows = connection.execute(
        "SELECT source_file, line_number, error FROM registry.rejected_lines ORDER BY ALL"
    ).fetchall()
    load.rejects = [RejectedLine(*row) for row in rows]
    if load.rejects:
        log.warning("%d ligne(s) de référentiel ou du portail illisible(s)", len(load.rejects))
    return load


def contract_parameters(
    connection: duckdb.DuckDBPyConnection,
    sirens: Collection[str] | None = None,
    cover: Cover | None = None,
) -> list[ContractParameters]:
    """The parameters as loaded tonight, by contract reference, of every contract or of those
    of the companies `sirens` and of the `cover` given: validating a document costs, and a
    stage recomputing a few companies needs only theirs."""
    rows = connection.execute(
        """
        SELECT p.document FROM reference.contract_parameters AS p
        JOIN reference.oc_contracts AS c USING (contract_reference)
        WHERE (? OR list_contains(?, c.siren)) AND c.cover = coalesce(?, c.cover)
        ORDER BY p.contract_reference
        """,
        [sirens is None, sorted(sirens or ()), None if cover is None else cover.value],
    ).fetchall()
    return [ContractParameters.model_validate_json(document) for (document,) in rows]


def contracts_without_parameters(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """The contracts the DSNs declare (S21.G00.15.001 of an adhésion in force) that have no
    parameter file tonight: their ledgers are provisional and their affiliations unknown to the
    register (AFF003). Empty when no DSN was ever loaded."""
    rows = connection.execute(
        """
        SELECT DISTINCT a.contract_reference FROM core.adhesions AS a
        WHERE a.contract_reference IS NOT NULL
            AND a.contract_reference NOT IN (
                SELECT contract_reference FROM reference.contract_parameters)
        ORDER BY 1
        """
    ).fetchall()
    return [reference for (reference,) in rows]


def reference_warnings(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """What the night lacks of the insurer's reference files, in French, for the night summary,
    its Dagster check and the steward report; empty when nothing is missing."""
    [(parameter_files,)] = connection.execute(
        "SELECT count(*) FROM reference.contract_parameters"
    ).fetchall()
    missing = contracts_without_parameters(connection)
    warnings = []
    if not parameter_files:
        warnings.append(
            f"Aucune fiche de paramétrage de contrat chargée (dossier {REFERENCE_DIR}/ absent ou "
            "vide dans le répertoire d'arrivée) : résultats dégradés"
        )
    if missing:
        shown = ", ".join(missing[:_CONTRACTS_SHOWN]) + (
            " …" if len(missing) > _CONTRACTS_SHOWN else ""
        )
        warnings.append(
            f"{len(missing)} contrat(s) déclaré(s) en DSN sans fiche de paramétrage ({shown}) : "
            "appels, échéances et recouvrement provisoires, affiliations en anomalie AFF003"
        )
    return warnings


_CONTRACTS_SHOWN = 10
