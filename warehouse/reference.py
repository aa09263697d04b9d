"""The insurer's own files, loaded into the warehouse once a night at ingestion, so that every
domain reads tables and none reads the landing directory.

- `reference/*.json`: one contract-parameter file (fiche de paramétrage) per contract, kept whole
  in `reference.contract_parameters` and spread into `reference.oc_contracts`, `_options`,
  `_populations`, `_rates`; `reference/pmss.json` the yearly social security ceiling
  (`reference.pmss`). The latest file of a contract (in path order) wins.
- `portal/*.csv`: the portal's exports (`contracts.portal_exports`) into `from_portal.*`.

Each export is the portal's full current list and each parameter file the contract's current
terms, so every table is replaced; a portal file absent tonight leaves its table as it was. A
file or line that cannot be read is recorded in `registry.rejected_lines` with the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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

log = logging.getLogger(__name__)

REFERENCE_DIR = "reference"
PORTAL_DIR = "portal"
PMSS_FILE = "pmss.json"


@dataclass
class ReferenceLoad:
    """What one load read: table -> rows, and the lines it could not read."""

    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    rejects: list[RejectedLine] = field(default_factory=list)

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


def read_reference(folder: Path, load: ReferenceLoad) -> None:
    """The contract-parameter files and the PMSS table of `folder` into `load`."""
    by_contract: dict[str, tuple[str, ContractParameters]] = {}
    pmss: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        name = f"{REFERENCE_DIR}/{path.name}"
        try:
            if path.name == PMSS_FILE:
                table = PmssTable.model_validate_json(path.read_bytes())
                pmss += [{"year": y, "amount": a} for y, a in table.pmss_by_year.items()]
                continue
            parameters = ContractParameters.model_validate_json(path.read_bytes())
        except (ValidationError, OSError) as error:
            load.rejects.append(RejectedLine(name, 0, _short_error(error)))
            continue
        by_contract[parameters.contract_reference] = (name, parameters)
    if by_contract:
        every = [by_contract[reference] for reference in sorted(by_contract)]
        load.tables |= _contract_tables(every)
    if pmss:
        load.tables["reference.pmss"] = pl.DataFrame(pmss, schema=PMSS.polars_schema())


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


def read_portal(folder: Path, load: ReferenceLoad) -> None:
    """The portal's export files of `folder` into `load`."""
    for export in PORTAL_EXPORTS:
        path = folder / export.file_name
        if path.is_file():
            rows, rejects = read_portal_export(path, export, f"{PORTAL_DIR}/{export.file_name}")
            load.tables[f"from_portal.{export.table}"] = rows
            load.rejects += rejects


def read_reference_files(landing_dir: Path) -> ReferenceLoad:
    load = ReferenceLoad()
    read_reference(landing_dir / REFERENCE_DIR, load)
    read_portal(landing_dir / PORTAL_DIR, load)
    return load


def store_reference(connection: duckdb.DuckDBPyConnection, load: ReferenceLoad) -> None:
    """Replace the tables `load` has read and the rejected lines, and mark as changed the
    companies whose reference rows differ from the previous ones (`warehouse.changes`); the
    caller holds the transaction."""
    previous = {table: _keep_previous(connection, table) for table in load.tables}
    try:
        for table, frame in load.tables.items():
            _replace(connection, table, frame)
        for table in load.tables:
            _mark_changed_companies(connection, table, previous)
    finally:
        for copy in previous.values():
            connection.execute(f"DROP TABLE IF EXISTS temp.{copy}")
    connection.execute("DELETE FROM registry.rejected_lines")
    if load.rejects:
        connection.executemany(
            "INSERT INTO registry.rejected_lines VALUES (?, ?, ?)",
            [[r.source_file, r.line_number, r.error] for r in load.rejects],
        )
        log.warning("%d ligne(s) de référentiel ou du portail illisible(s)", len(load.rejects))


def _keep_previous(connection: duckdb.DuckDBPyConnection, table: str) -> str:
    copy = "previous_" + table.replace(".", "_")
    connection.execute(f"CREATE OR REPLACE TEMP TABLE {copy} AS SELECT * FROM {table}")
    return copy


def _replace(connection: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
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
    changed = (
        f"(SELECT * FROM {before} EXCEPT ALL SELECT * FROM {table}) UNION ALL "
        f"(SELECT * FROM {table} EXCEPT ALL SELECT * FROM {before})"
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
    """Read the reference and portal files of `landing_dir` and replace their tables."""
    load = read_reference_files(landing_dir)
    store_reference(connection, load)
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
