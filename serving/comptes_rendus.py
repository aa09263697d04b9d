"""Returns to the companies: one compte-rendu file per declaration, with its global status
(0 accepted … 3 rejected), the reader's diagnostics and the affiliation anomalies it raised.

Written as JSON under `<dir>/<SIREN>/<AAAA-MM>/<SIRET>_<nature>_<fichier>_<n>.json`, rewritten
only when its content changed (a later night may resolve an anomaly). No NIR or name: the
diagnostics are already masked by the reader, and an anomaly is named by its rule, contract and
detail.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import duckdb

from dsn_parser.model import DeclarationStatus
from warehouse.connections import has_table

STATUS_LABELS = {
    DeclarationStatus.ACCEPTED: "acceptée",
    DeclarationStatus.ACCEPTED_WITH_ANOMALIES: "acceptée avec anomalies",
    DeclarationStatus.PARTIALLY_ACCEPTED: "partiellement acceptée",
    DeclarationStatus.REJECTED: "rejetée",
}

_DECLARATIONS = """
    SELECT d.file_id, d.declaration_id, d.siren, d.siret, d.nature, d.type, d.month,
        d.built_on, d.status, f.original_name
    FROM staging.declarations AS d
    LEFT JOIN registry.files AS f USING (file_id)
    ORDER BY d.file_id, d.declaration_id
"""
_DIAGNOSTICS = """
    SELECT file_id, declaration_id, line, rubric, code, severity, message
    FROM staging.diagnostics WHERE declaration_id IS NOT NULL
    ORDER BY file_id, declaration_id, line
"""
_ANOMALIES = """
    SELECT file_id, declaration_id, rule_code, severity, status, contract_reference, detail
    FROM main.anomalies WHERE file_id IS NOT NULL
    ORDER BY file_id, declaration_id, rule_code, anomaly_id
"""


def _grouped(
    connection: duckdb.DuckDBPyConnection, query: str
) -> dict[tuple[str, int], list[dict[str, Any]]]:
    cursor = connection.execute(query)
    names = [d[0] for d in cursor.description or []]
    grouped: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for row in cursor.fetchall():
        record = dict(zip(names, row, strict=True))
        key = (record.pop("file_id"), record.pop("declaration_id"))
        grouped.setdefault(key, []).append(record)
    return grouped


# Values read from a declaration are data, never paths: each goes into a file name only when it
# has its norm's shape, else a placeholder stands in (the JSON still carries the value read).
_SIREN = re.compile(r"\d{9}")
_SIRET = re.compile(r"\d{14}")
_NATURE = re.compile(r"\d{2}")


def _component(value: str | None, shape: re.Pattern[str], placeholder: str) -> str:
    return value if value is not None and shape.fullmatch(value) else placeholder


def comptes_rendus(connection: duckdb.DuckDBPyConnection) -> dict[Path, dict[str, Any]]:
    """Every declaration's compte rendu, keyed by its path relative to the output directory."""
    diagnostics = _grouped(connection, _DIAGNOSTICS)
    anomalies = (
        _grouped(connection, _ANOMALIES) if has_table(connection, "main", "anomalies") else {}
    )
    reports: dict[Path, dict[str, Any]] = {}
    cursor = connection.execute(_DECLARATIONS)
    names = [d[0] for d in cursor.description or []]
    for row in cursor.fetchall():
        d = dict(zip(names, row, strict=True))
        key = (d["file_id"], d["declaration_id"])
        status = DeclarationStatus(d["status"]) if d["status"] is not None else None
        month = f"{d['month']:%Y-%m}" if d["month"] else "sans-mois"
        name = "_".join(
            (
                _component(d["siret"], _SIRET, "sans-siret"),
                _component(d["nature"], _NATURE, "sans-nature"),
                d["file_id"][:12],
                str(d["declaration_id"]),
            )
        )
        siren = _component(d["siren"], _SIREN, "sans-siren")
        reports[Path(siren) / month / f"{name}.json"] = {
            "fichier": d["original_name"],
            "empreinte_fichier": d["file_id"],
            "declaration": d["declaration_id"],
            "siren": d["siren"],
            "siret": d["siret"],
            "nature": d["nature"],
            "type": d["type"],
            "mois_principal": d["month"].isoformat() if d["month"] else None,
            "date_constitution": d["built_on"].isoformat() if d["built_on"] else None,
            "statut": int(status) if status is not None else None,
            "statut_libelle": STATUS_LABELS[status] if status is not None else None,
            "diagnostics": [
                {
                    "ligne": x["line"],
                    "rubrique": x["rubric"],
                    "code": x["code"],
                    "gravite": x["severity"],
                    "message": x["message"],
                }
                for x in diagnostics.get(key, [])
            ],
            "anomalies": [
                {
                    "regle": a["rule_code"],
                    "gravite": a["severity"],
                    "statut": a["status"],
                    "contrat": a["contract_reference"],
                    "detail": a["detail"],
                }
                for a in anomalies.get(key, [])
            ],
        }
    return reports


def write_comptes_rendus(connection: duckdb.DuckDBPyConnection, out_dir: Path) -> int:
    """Write the comptes rendus that are new or changed; return how many were written."""
    written = 0
    root = out_dir.resolve()
    for relative, report in comptes_rendus(connection).items():
        path = root / relative
        if not path.resolve().is_relative_to(root):
            raise ValueError(f"Chemin de compte rendu hors du répertoire de sortie : {relative}")
        text = json.dumps(report, ensure_ascii=False, indent=2) + "\n"
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = path.with_suffix(".json.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
        temporary.replace(path)
        written += 1
    return written
