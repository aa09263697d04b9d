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
_TONIGHT = "compte_rendu_fingerprints"  # temporary: every declaration's fingerprint and path
_TO_WRITE = "comptes_rendus_to_write"  # temporary: the declarations whose compte rendu is computed

_DECLARATIONS = """
    SELECT t.file_id, t.declaration_id, t.siren, t.siret, t.nature, t.type, t.month,
        t.built_on, t.status, f.original_name, w.path
    FROM staging.declarations AS t
    JOIN {to_write} AS w USING (file_id, declaration_id)
    LEFT JOIN registry.files AS f USING (file_id)
    ORDER BY t.file_id, t.declaration_id
"""
_DIAGNOSTICS = """
    SELECT file_id, declaration_id, line, rubric, code, severity, message
    FROM staging.diagnostics SEMI JOIN {to_write} USING (file_id, declaration_id)
    ORDER BY file_id, declaration_id, line
"""
_ANOMALIES = """
    SELECT file_id, declaration_id, rule_code, severity, status, contract_reference, detail
    FROM main.anomalies SEMI JOIN {to_write} USING (file_id, declaration_id)
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


# Where a declaration's compte rendu is, under the output directory. Values read from a
# declaration are data, never paths: each goes into the path only when it has its norm's shape,
# else a placeholder stands in (the JSON still carries the value read).
_PATH = """
    concat_ws('/',
        CASE WHEN regexp_full_match(d.siren, '[0-9]{9}') THEN d.siren ELSE 'sans-siren' END,
        coalesce(strftime(d.month, '%Y-%m'), 'sans-mois'),
        concat_ws('_',
            CASE WHEN regexp_full_match(d.siret, '[0-9]{14}') THEN d.siret ELSE 'sans-siret' END,
            CASE WHEN regexp_full_match(d.nature, '[0-9]{2}') THEN d.nature ELSE 'sans-nature' END,
            left(d.file_id, 12),
            d.declaration_id
        ) || '.json'
    )
"""


def comptes_rendus(
    connection: duckdb.DuckDBPyConnection, to_write: str
) -> dict[Path, dict[str, Any]]:
    """The comptes rendus of the declarations of the relation `to_write` (file_id,
    declaration_id and the compte rendu's path), keyed by their path relative to the output
    directory."""
    diagnostics = _grouped(connection, _DIAGNOSTICS.format(to_write=to_write))
    anomalies = (
        _grouped(connection, _ANOMALIES.format(to_write=to_write))
        if has_table(connection, "main", "anomalies")
        else {}
    )
    reports: dict[Path, dict[str, Any]] = {}
    cursor = connection.execute(_DECLARATIONS.format(to_write=to_write))
    names = [d[0] for d in cursor.description or []]
    for row in cursor.fetchall():
        d = dict(zip(names, row, strict=True))
        key = (d["file_id"], d["declaration_id"])
        status = DeclarationStatus(d["status"]) if d["status"] is not None else None
        reports[Path(d["path"])] = {
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
    """Tonight's fingerprint of every declaration's compte rendu inputs, and the path of its
    compte rendu, into `_TONIGHT`."""
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
            ))) AS fingerprint,
            {_PATH} AS path
        FROM staging.declarations AS d
        LEFT JOIN registry.files AS f USING (file_id)
        LEFT JOIN {anomalies} AS a {join}
        """
    )


def _select_to_write(connection: duckdb.DuckDBPyConnection, out_dir: Path, everything: bool) -> str:
    """The declarations whose compte rendu is to be computed into `_TO_WRITE`, with its path:
    every one, or those whose fingerprint is new or changed since their compte rendu was
    written, and those whose compte rendu is not in `out_dir` (deleted by hand, or lost: their
    inputs did not change, so their fingerprint does not select them). Return its name."""
    if everything:
        selected = "TRUE"
    else:
        selected = f"""
            NOT EXISTS (SELECT 1 FROM {INPUTS} AS i WHERE i.file_id = t.file_id
                AND i.declaration_id = t.declaration_id AND i.fingerprint = t.fingerprint)
            OR t.path NOT IN (SELECT unnest(?::VARCHAR[]))
        """
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {_TO_WRITE} AS "
        f"SELECT file_id, declaration_id, path FROM temp.{_TONIGHT} AS t WHERE {selected}",
        [] if everything else [_present(out_dir)],
    )
    return f"temp.{_TO_WRITE}"


def _present(out_dir: Path) -> list[str]:
    """The files under `out_dir`, relative to it: one listing of the directory, by `os.scandir`
    (the entries' types come with the listing; `os.walk` took 0.10–0.14 s against 0.08–0.10 s
    for the 20,000-employee year's 12,792 comptes rendus)."""
    found: list[str] = []
    directories = [""]
    while directories:
        relative = directories.pop()
        with os.scandir(out_dir / relative) as entries:
            for entry in entries:
                name = f"{relative}/{entry.name}" if relative else entry.name
                if entry.is_dir(follow_symlinks=False):
                    directories.append(name)
                else:
                    found.append(name)
    return found


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
    to_write = _select_to_write(connection, out_dir, everything)
    written = _write(comptes_rendus(connection, to_write), out_dir)
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
