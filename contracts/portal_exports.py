"""The company portal's exports, as the pipeline reads them: affiliation requests (pre-affiliation
by the employer), completions (by the employee), exemptions (dispenses) and radiations entered
online. `;`-separated UTF-8 files with a byte-order mark, dates JJ/MM/AAAA, one file each
(`synthetic.portal_files` writes them; `synthetic/FORMATS.md` documents them).

`read_portal_export` returns the rows it could read and, for the others, the line and the reason
(never the line itself, which names an employee).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl


@dataclass(frozen=True)
class RejectedLine:
    source_file: str
    line_number: int  # 0: the whole file
    error: str  # French


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


_Converter = Callable[[str], Any]
_TYPES: dict[_Converter, pl.DataType] = {
    _text: pl.String(),
    _day: pl.Date(),
    _required_day: pl.Date(),
    _yes: pl.Boolean(),
    _count: pl.Int32(),
}


@dataclass(frozen=True)
class PortalExport:
    """One export file: the table it fills, its columns (table column -> file column and
    converter), the columns a row cannot do without, and whether its first column is an id."""

    file_name: str
    table: str
    columns: dict[str, tuple[str, _Converter]]
    required: tuple[str, ...]
    unique_id: bool = True

    @property
    def schema(self) -> dict[str, pl.DataType]:
        return {name: _TYPES[convert] for name, (_, convert) in self.columns.items()}


PORTAL_EXPORTS: tuple[PortalExport, ...] = (
    PortalExport(
        "demandes_affiliation.csv",
        "affiliation_requests",
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
        ("request_id", "siret", "contract_reference"),
    ),
    PortalExport(
        "completions_affiliation.csv",
        "affiliation_completions",
        {
            "request_id": ("id_demande", _text),
            "completed_on": ("date_completion", _required_day),
            "option_code": ("option", _text),
            "dependants": ("nb_ayants_droit", _count),
            "sepa_mandate": ("mandat_sepa", _yes),
        },
        ("request_id",),
        unique_id=False,  # a request may be completed in several steps
    ),
    PortalExport(
        "dispenses.csv",
        "exemptions",
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
        ("exemption_id", "siret", "contract_reference", "nir"),
    ),
    PortalExport(
        "radiations.csv",
        "radiations",
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
        ("radiation_id", "siret", "contract_reference", "nir"),
    ),
)


def read_portal_export(
    path: Path, export: PortalExport, name: str
) -> tuple[pl.DataFrame, list[RejectedLine]]:
    """The rows of one export file (`export.schema`) and the lines that could not be read;
    `name` is how the rejects name the file."""
    rows: list[dict[str, Any]] = []
    rejects: list[RejectedLine] = []
    seen_ids: set[str] = set()
    id_column = next(iter(export.columns))
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as stream:
        reader = csv.DictReader(stream, delimiter=";")
        missing = {source for source, _ in export.columns.values()} - set(reader.fieldnames or [])
        if missing:
            rejects.append(RejectedLine(name, 1, f"colonnes absentes : {sorted(missing)}"))
            return pl.DataFrame(schema=export.schema), rejects
        for record in reader:
            line = reader.line_num
            try:
                row = {
                    column: convert(record[source] or "")
                    for column, (source, convert) in export.columns.items()
                }
            except (ValueError, TypeError) as error:
                rejects.append(RejectedLine(name, line, f"valeur illisible ({error})"[:200]))
                continue
            absent = [c for c in export.required if not row[c]]
            if absent:
                rejects.append(RejectedLine(name, line, f"valeurs obligatoires absentes {absent}"))
                continue
            if export.unique_id and row[id_column] in seen_ids:
                rejects.append(RejectedLine(name, line, "identifiant déjà lu plus haut"))
                continue
            seen_ids.add(row[id_column])
            rows.append(row)
    return pl.DataFrame(rows, schema=export.schema, orient="row"), rejects
