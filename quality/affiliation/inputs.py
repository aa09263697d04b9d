"""The OC-side inputs of the affiliation register, read from the landing directory and kept in
the warehouse so that the rules read everything from one connection.

- `reference/*.json`: one contract-parameter file (fiche de paramétrage) per OC contract, in
  the format of `contracts.parameters.ContractParameters`; `reference/pmss.json` the
  yearly social security ceiling.
- `portal/*.csv`: the portal's exports (affiliation requests, completions, exemptions,
  radiations), `;`-separated UTF-8 with a byte-order mark, dates JJ/MM/AAAA
  (`synthetic.portal_files.PORTAL_FILES`).

A file or line that cannot be read is recorded in `portal.rejects` (file, line, reason; never
the line itself, which names an employee) and the rest is loaded.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
from pydantic import ValidationError

from contracts.parameters import ContractParameters, PmssTable
from warehouse.migrations import apply_migrations

log = logging.getLogger(__name__)

REFERENCE_DIR = "reference"
PORTAL_DIR = "portal"
PMSS_FILE = "pmss.json"


def ensure_affiliation_schema(connection: duckdb.DuckDBPyConnection) -> None:
    """The tables come from the warehouse migrations (0010_affiliation)."""
    apply_migrations(connection)


@dataclass
class Reject:
    source_file: str
    line_number: int
    error: str


@dataclass
class OcInputs:
    """Every OC-side input table, as frames named like their warehouse table."""

    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list)


# -- contract parameters ----------------------------------------------------------------------


def read_reference(folder: Path, inputs: OcInputs) -> None:
    contracts: list[dict[str, Any]] = []
    options: list[dict[str, Any]] = []
    populations: list[dict[str, Any]] = []
    rates: list[dict[str, Any]] = []
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
            inputs.rejects.append(Reject(name, 0, _short_error(error)))
            continue
        ref = parameters.contract_reference
        contracts.append(
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
    if contracts:
        inputs.tables["reference.oc_contracts"] = pl.DataFrame(contracts, schema=_CONTRACTS)
        inputs.tables["reference.oc_contract_options"] = pl.DataFrame(options, schema=_OPTIONS)
        inputs.tables["reference.oc_contract_populations"] = pl.DataFrame(
            populations, schema=_POPULATIONS
        )
        inputs.tables["reference.oc_contract_rates"] = pl.DataFrame(rates, schema=_RATES)
    if pmss:
        inputs.tables["reference.pmss"] = pl.DataFrame(pmss, schema=_PMSS)


_CONTRACTS = {
    "contract_reference": pl.String(),
    "organisme_code": pl.String(),
    "delegate_code": pl.String(),
    "siren": pl.String(),
    "cover": pl.String(),
    "effective_from": pl.Date(),
    "effective_to": pl.Date(),
    "source_file": pl.String(),
}
_OPTIONS = {"contract_reference": pl.String(), "option_code": pl.String()}
_POPULATIONS = {
    "contract_reference": pl.String(),
    "population_code": pl.String(),
    "category": pl.String(),
}
_RATES = {
    "contract_reference": pl.String(),
    "option_code": pl.String(),
    "population_code": pl.String(),
    "base": pl.String(),
    "rate_percent": pl.Decimal(9, 4),
    "effective_from": pl.Date(),
    "effective_to": pl.Date(),
}
_PMSS = {"year": pl.Int32(), "amount": pl.Decimal(18, 2)}


def _short_error(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'fichier'} : {e['msg']}" for e in error.errors()
        )[:500]
    return type(error).__name__


# -- portal exports ---------------------------------------------------------------------------


def _day(text: str) -> date | None:
    """A JJ/MM/AAAA date; empty text is None, anything else raises ValueError."""
    text = text.strip()
    return datetime.strptime(text, "%d/%m/%Y").date() if text else None


def _required_day(text: str) -> date:
    day = _day(text)
    if day is None:
        raise ValueError("date obligatoire absente")
    return day


def _text(text: str) -> str | None:
    return text.strip() or None


def _yes(text: str) -> bool | None:
    return {"oui": True, "non": False}.get(text.strip().lower())


def _count(text: str) -> int | None:
    return int(text) if text.strip() else None


# file -> (table, {table column: (file column, converter)})
_Converter = Callable[[str], Any]
PORTAL_TABLES: dict[str, tuple[str, dict[str, tuple[str, _Converter]]]] = {
    "demandes_affiliation.csv": (
        "portal.affiliation_requests",
        {
            "request_id": ("id_demande", _text),
            "requested_on": ("date_demande", _required_day),
            "siren": ("siren", _text),
            "siret": ("siret", _text),
            "contract_reference": ("contrat", _text),
            "last_name": ("nom", _text),
            "first_names": ("prenoms", _text),
            "birth_date": ("date_naissance", _day),
            "nir": ("nir", _text),
            "hired_on": ("date_embauche", _day),
            "professional_status": ("statut_professionnel", _text),
        },
    ),
    "completions_affiliation.csv": (
        "portal.affiliation_completions",
        {
            "request_id": ("id_demande", _text),
            "completed_on": ("date_completion", _required_day),
            "option_code": ("option", _text),
            "dependants": ("nb_ayants_droit", _count),
            "sepa_mandate": ("mandat_sepa", _yes),
        },
    ),
    "dispenses.csv": (
        "portal.exemptions",
        {
            "exemption_id": ("id_dispense", _text),
            "entered_on": ("date_saisie", _day),
            "siren": ("siren", _text),
            "siret": ("siret", _text),
            "contract_reference": ("contrat", _text),
            "last_name": ("nom", _text),
            "first_names": ("prenoms", _text),
            "nir": ("nir", _text),
            "reason_code": ("motif_code", _text),
            "reason_label": ("motif_libelle", _text),
            "start_date": ("date_debut", _required_day),
            "end_date": ("date_fin", _day),
            "proof_received": ("justificatif_recu", _yes),
        },
    ),
    "radiations.csv": (
        "portal.radiations",
        {
            "radiation_id": ("id_radiation", _text),
            "entered_on": ("date_saisie", _day),
            "siren": ("siren", _text),
            "siret": ("siret", _text),
            "contract_reference": ("contrat", _text),
            "last_name": ("nom", _text),
            "first_names": ("prenoms", _text),
            "nir": ("nir", _text),
            "radiation_date": ("date_radiation", _required_day),
            "reason": ("motif", _text),
        },
    ),
}
# Columns a row cannot do without (beyond the dates marked required above).
_REQUIRED = {
    "portal.affiliation_requests": ("request_id", "siret", "contract_reference"),
    "portal.affiliation_completions": ("request_id",),
    "portal.exemptions": ("exemption_id", "siret", "contract_reference", "nir"),
    "portal.radiations": ("radiation_id", "siret", "contract_reference", "nir"),
}


def read_portal(folder: Path, inputs: OcInputs) -> None:
    for file_name, (table, columns) in PORTAL_TABLES.items():
        path = folder / file_name
        if path.is_file():
            rows = _read_portal_file(path, f"{PORTAL_DIR}/{file_name}", table, columns, inputs)
            schema = _portal_schema(table)
            inputs.tables[table] = pl.DataFrame(rows, schema=schema, orient="row")


def _read_portal_file(
    path: Path,
    name: str,
    table: str,
    columns: dict[str, tuple[str, _Converter]],
    inputs: OcInputs,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    seen_ids: set[str] = set()
    id_column = next(iter(columns))
    unique_ids = table != "portal.affiliation_completions"
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as stream:
        reader = csv.DictReader(stream, delimiter=";")
        missing = {source for source, _ in columns.values()} - set(reader.fieldnames or [])
        if missing:
            inputs.rejects.append(Reject(name, 1, f"colonnes absentes : {sorted(missing)}"))
            return rows
        for record in reader:
            line = reader.line_num
            try:
                row = {col: convert(record[src] or "") for col, (src, convert) in columns.items()}
            except (ValueError, TypeError) as error:
                inputs.rejects.append(Reject(name, line, f"valeur illisible ({error})"[:200]))
                continue
            absent = [c for c in _REQUIRED[table] if not row[c]]
            if absent:
                inputs.rejects.append(Reject(name, line, f"valeurs obligatoires absentes {absent}"))
                continue
            if unique_ids and row[id_column] in seen_ids:
                inputs.rejects.append(Reject(name, line, "identifiant déjà lu plus haut"))
                continue
            seen_ids.add(row[id_column])
            rows.append(row)
    return rows


def _portal_schema(table: str) -> dict[str, pl.DataType]:
    _, columns = next(v for v in PORTAL_TABLES.values() if v[0] == table)
    types: dict[_Converter, pl.DataType] = {
        _text: pl.String(),
        _day: pl.Date(),
        _required_day: pl.Date(),
        _yes: pl.Boolean(),
        _count: pl.Int32(),
    }
    return {col: types[convert] for col, (_, convert) in columns.items()}


# -- loading ----------------------------------------------------------------------------------


def read_oc_inputs(landing_dir: Path) -> OcInputs:
    inputs = OcInputs()
    read_reference(landing_dir / REFERENCE_DIR, inputs)
    read_portal(landing_dir / PORTAL_DIR, inputs)
    return inputs


def store_oc_inputs(connection: duckdb.DuckDBPyConnection, inputs: OcInputs, night: date) -> None:
    """Replace the OC-side tables `inputs` has read: each export is the portal's full current
    list, so it replaces the previous one; a table whose file is absent tonight is kept."""
    ensure_affiliation_schema(connection)
    for table, frame in inputs.tables.items():
        connection.execute(f"DELETE FROM {table}")
        if frame.height:
            connection.register("_oc_input", frame)
            try:
                columns = ", ".join(frame.columns)
                connection.execute(
                    f"INSERT INTO {table} ({columns}) SELECT {columns} FROM _oc_input"
                )
            finally:
                connection.unregister("_oc_input")
    for reject in inputs.rejects:
        connection.execute(
            "INSERT INTO portal.rejects VALUES (?, ?, ?, ?)",
            [night, reject.source_file, reject.line_number, reject.error],
        )
    if inputs.rejects:
        log.warning("%d ligne(s) de référentiel ou du portail illisible(s)", len(inputs.rejects))


def load_oc_inputs(
    connection: duckdb.DuckDBPyConnection, landing_dir: Path, night: date
) -> OcInputs:
    inputs = read_oc_inputs(landing_dir)
    store_oc_inputs(connection, inputs, night)
    return inputs
