"""Returns to the companies: one compte-rendu file per declaration, with its global status
(0 accepted … 3 rejected), the reader's diagnostics and the affiliation anomalies it raised.

Written as JSON under `<dir>/<SIREN>/<AAAA-MM>/<SIRET>_<nature>_<fichier>_<n>.json`, rewritten
only when its content changed (a later night may resolve an anomaly). No NIR or name: the
diagnostics are already masked by the reader, and an anomaly is named by its rule, contract and
detail.

A compte rendu is made of its declaration's row, its file's name, the diagnostics its file's
load wrote and the anomalies pointing at it: a fingerprint of those (the load's time standing
for the diagnostics, which only a load writes) is kept per declaration in
`publish.compte_rendu_inputs`, and a night computes only the comptes rendus whose fingerprint
changed or whose file is missing (deleted by hand: one listing of the directory tells), unless
the changes say every company (first run, new code, rebuild). A file edited by hand is
rewritten when its declaration's inputs next change.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import duckdb

from dsn_parser.model import DeclarationStatus
from warehouse.changes import EVERY_COMPANY, CompanyScope
from warehouse.connections import has_table

STATUS_LABELS = {
    DeclarationStatus.ACCEPTED: "acceptée",
    DeclarationStatus.ACCEPTED_WITH_ANOMALIES: "acceptée avec anomalies",
    DeclarationStatus.PARTIALLY_ACCEPTED: "partiellement acceptée",
    DeclarationStatus.REJECTED: "rejetée",
}

INPUTS = "publish.compte_rendu_inputs"
_TONIGHT = "compte_rendu_fingerprints"  # temporary: every declaration's fingerprint, tonight
_TO_WRITE = "comptes_rendus_to_write"  # temporary: the declarations whose compte rendu is computed
_SELECTED = (
    f"EXISTS (SELECT 1 FROM temp.{_TO_WRITE} AS w "
    "WHERE w.file_id = t.file_id AND w.declaration_id = t.declaration_id)"
)

_DECLARATIONS = """
    SELECT t.file_id, t.declaration_id, t.siren, t.siret, t.nature, t.type, t.month,
        t.built_on, t.status, f.original_name
    FROM staging.declarations AS t
    LEFT JOIN registry.files AS f USING (file_id)
    WHERE {selected}
    ORDER BY t.file_id, t.declaration_id
"""
_DIAGNOSTICS = """
    SELECT file_id, declaration_id, line, rubric, code, severity, message
    FROM staging.diagnostics AS t WHERE declaration_id IS NOT NULL AND {selected}
    ORDER BY file_id, declaration_id, line
"""
_ANOMALIES = """
    SELECT file_id, declaration_id, rule_code, severity, status, contract_reference, detail
    FROM main.anomalies AS t WHERE file_id IS NOT NULL AND {selected}
    ORDER BY file_id, declaration_id, rule_code, anomaly_id
"""
# The shown columns of a declaration's anomalies, in their shown order.
_ANOMALY_FINGERPRINTS = """
    SELECT file_id, declaration_id,
        to_json(list(struct_pack(rule_code, severity, status, contract_reference, detail)
            ORDER BY rule_code, anomaly_id)) AS anomalies
    FROM main.anomalies WHERE file_id IS NOT NULL
    GROUP BY file_id, declaration_id
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


def _relative_path(declaration: dict[str, Any]) -> str:
    """Where a declaration's compte rendu is, under the output directory."""
    d = declaration
    month = f"{d['month']:%Y-%m}" if d["month"] else "sans-mois"
    name = "_".join(
        (
            _component(d["siret"], _SIRET, "sans-siret"),
            _component(d["nature"], _NATURE, "sans-nature"),
            d["file_id"][:12],
            str(d["declaration_id"]),
        )
    )
    return f"{_component(d['siren'], _SIREN, 'sans-siren')}/{month}/{name}.json"


def comptes_rendus(connection: duckdb.DuckDBPyConnection) -> dict[Path, dict[str, Any]]:
    """The comptes rendus of the declarations in `_TO_WRITE`, keyed by their path relative to
    the output directory."""
    diagnostics = _grouped(connection, _DIAGNOSTICS.format(selected=_SELECTED))
    anomalies = (
        _grouped(connection, _ANOMALIES.format(selected=_SELECTED))
        if has_table(connection, "main", "anomalies")
        else {}
    )
    reports: dict[Path, dict[str, Any]] = {}
    cursor = connection.execute(_DECLARATIONS.format(selected=_SELECTED))
    names = [d[0] for d in cursor.description or []]
    for row in cursor.fetchall():
        d = dict(zip(names, row, strict=True))
        key = (d["file_id"], d["declaration_id"])
        status = DeclarationStatus(d["status"]) if d["status"] is not None else None
        reports[Path(_relative_path(d))] = {
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


def _fingerprint_declarations(connection: duckdb.DuckDBPyConnection) -> None:
    """Tonight's fingerprint of every declaration's compte rendu inputs into `_TONIGHT`."""
    has_anomalies = has_table(connection, "main", "anomalies")
    anomalies = f"({_ANOMALY_FINGERPRINTS})" if has_anomalies else "(SELECT NULL AS anomalies)"
    join = "USING (file_id, declaration_id)" if has_anomalies else "ON TRUE"
    connection.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {_TONIGHT} AS
        SELECT d.file_id, d.declaration_id,
            md5(to_json(struct_pack(
                declaration := d, name := f.original_name, loaded := f.processed_at,
                anomalies := a.anomalies
            ))) AS fingerprint
        FROM staging.declarations AS d
        LEFT JOIN registry.files AS f USING (file_id)
        LEFT JOIN {anomalies} AS a {join}
        """
    )


def _select_changed(connection: duckdb.DuckDBPyConnection, everything: bool) -> None:
    """The declarations whose compte rendu is to be computed into `_TO_WRITE`: every one, or
    those whose fingerprint is new or changed since their compte rendu was written."""
    changed = (
        "" if everything else f" EXCEPT SELECT file_id, declaration_id, fingerprint FROM {INPUTS}"
    )
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {_TO_WRITE} AS "
        f"SELECT file_id, declaration_id FROM "
        f"(SELECT file_id, declaration_id, fingerprint FROM temp.{_TONIGHT}{changed})"
    )


def _select_missing(connection: duckdb.DuckDBPyConnection, out_dir: Path) -> None:
    """Add to `_TO_WRITE` the declarations whose compte rendu is not in `out_dir` (deleted by
    hand, or lost): their inputs did not change, so their fingerprint does not select them.
    One listing of the directory."""
    present = {
        f"{directory[len(str(out_dir)) + 1 :]}/{name}"
        for directory, _, names in os.walk(out_dir)
        for name in names
    }
    cursor = connection.execute(
        "SELECT file_id, declaration_id, siren, siret, nature, month FROM staging.declarations"
    )
    names = [d[0] for d in cursor.description or []]
    missing = [
        d
        for d in (dict(zip(names, row, strict=True)) for row in cursor.fetchall())
        if _relative_path(d) not in present
    ]
    if not missing:
        return
    connection.execute(
        f"""
        INSERT INTO temp.{_TO_WRITE}
        SELECT unnest(?::VARCHAR[]), unnest(?::UINTEGER[])
        EXCEPT SELECT file_id, declaration_id FROM temp.{_TO_WRITE}
        """,
        [[d["file_id"] for d in missing], [d["declaration_id"] for d in missing]],
    )


def _remember_fingerprints(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(
        f"DELETE FROM {INPUTS} AS i WHERE NOT EXISTS (SELECT 1 FROM temp.{_TONIGHT} AS t "
        "WHERE t.file_id = i.file_id AND t.declaration_id = i.declaration_id "
        "AND t.fingerprint = i.fingerprint)"
    )
    connection.execute(
        f"INSERT INTO {INPUTS} SELECT file_id, declaration_id, fingerprint FROM temp.{_TONIGHT} "
        f"EXCEPT SELECT file_id, declaration_id, fingerprint FROM {INPUTS}"
    )


def write_comptes_rendus(
    connection: duckdb.DuckDBPyConnection, out_dir: Path, scope: CompanyScope = EVERY_COMPANY
) -> int:
    """Write the comptes rendus that are new or changed; return how many were written. Only
    the declarations whose inputs changed since they were last written, or whose file is
    missing, are computed, unless `scope` is every company or the output directory is missing.
    The caller holds the transaction that also records the stage's progress."""
    _fingerprint_declarations(connection)
    everything = scope.everything or not out_dir.is_dir()
    _select_changed(connection, everything)
    if not everything:
        _select_missing(connection, out_dir)
    written = _write(comptes_rendus(connection), out_dir)
    _remember_fingerprints(connection)
    return written


def _write(reports: dict[Path, dict[str, Any]], out_dir: Path) -> int:
    written = 0
    root = out_dir.resolve()
    for relative, report in reports.items():
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
