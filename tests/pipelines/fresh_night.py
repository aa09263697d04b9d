"""What a night published, set beside what a fresh night gives on a copy of the same landing
(a new warehouse, every file read for the first time): the warehouse's result tables, the portal
snapshot, the analysts' copy and exports, the comptes rendus and the steward's workbook. Shared
by the tests that run nights one after another on one warehouse (test modules import it from
here, never from one another)."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import openpyxl

from serving.spec import NIGHT_ID_COLUMN
from tests.pipelines.replay import run_night
from tests.warehouse.helpers import rows_differing

# The warehouse's own bookkeeping and history, which a fresh night cannot have: the changes and
# stage watermarks of the incremental stages, the nights' records, the anomaly register's
# events, the registry's deliveries (a reference file's former versions stay registered), the
# affiliation states' changes night by night (which record no departure: a state gone with its
# contract's parameter file keeps its last row there).
_HISTORY_TABLES = {
    "core.affiliation_history",
    "portal_v1.affiliation_follow_up",
    "core.company_changes",
    "core.employee_changes",
    "core.stage_progress",
    "core.pending_changes",
    "core.pending_dimension_keys",
    "core.pending_groups",
    "ledger.company_inputs",
    "ledger.contract_keys",
    "main.anomaly_events",
    "main.anomaly_nights",
    "main.schema_migrations",
    "main.table_comments",
    "main.deferred_merges",  # the storage's bookkeeping: closes that put off merging row groups
    "stoppage.nights",
    "registry.files",
    "registry.deliveries",
    "registry.ignored_entries",
    "registry.reference_reads",
    "portal_v1.publication_tables",  # its row counts: those of the tables compared
}
# History tables whose rows name what is current: a fresh night names the same things (the portal
# follows the affiliations of tonight's register, not those gone with a parameter file).
_CURRENT_KEYS = {
    "portal_v1.affiliation_follow_up": ("siren", "employee_key", "contract_reference"),
}
# When a row was first or last seen, and where the landing was: history and paths, not results.
_HISTORY_COLUMNS = frozenset(
    {
        "first_seen",
        "status_since",
        "last_seen",
        "first_seen_night",
        "last_seen_night",
        "night",
        "landing_path",
        "source_file",
        NIGHT_ID_COLUMN,
        "data_night_id",
        "built_at",
    }
)
# The anomaly register, the portal and the comptes rendus keep the anomalies resolved on earlier
# nights: tonight's are compared, and a declaration's count of them is history too.
_CURRENT = {
    "main.anomalies": "status IN ('open', 'acknowledged')",
    "portal_v1.affiliation_anomalies": "status IN ('open', 'acknowledged')",
}
_CURRENT_STATUSES = {"open", "acknowledged"}
_RESOLVED_COUNTED = ("portal_v1.declaration_reports", "anomalies")
# Steward workbook columns telling the anomaly's history, not tonight's finding.
_REPORT_HISTORY = {"Nouvelle", "Vue depuis", "Dernière vue"}


@dataclass(frozen=True)
class Outputs:
    """Where one night's outputs are, beside its warehouse."""

    warehouse: Path

    @property
    def folder(self) -> Path:
        return self.warehouse.parent


def fresh_night(landing: Path, work: Path, night: date) -> Outputs:
    """A fresh night on a copy of `landing` (files keep their times) in `work`."""
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(landing, work / "landing", symlinks=True)
    outputs = Outputs(work / "nuit" / "entrepot.duckdb")
    code, out = run_night(work / "landing", outputs.warehouse, night)
    assert code == 0, out
    return outputs


def differences(
    night: Outputs, fresh: Outputs, history: frozenset[str] = frozenset()
) -> dict[str, int]:
    """Per published output that differs from the fresh night's, how many rows or files differ
    (an empty dict when the night published what a fresh night publishes); the columns and
    compte rendu fields of `history` are also history (e.g. the name a file was received under,
    which a fresh night knows only by its name tonight)."""
    history = _HISTORY_COLUMNS | history
    found = {
        **_database_differences(night.warehouse, fresh.warehouse, "entrepôt", history),
        **_database_differences(
            night.folder / "serving.duckdb", fresh.folder / "serving.duckdb", "portail", history
        ),
        **_database_differences(
            night.folder / "analystes.duckdb",
            fresh.folder / "analystes.duckdb",
            "analystes",
            history,
        ),
        **_export_differences(night.folder / "exports", fresh.folder / "exports"),
    }
    returns, fresh_returns = (_comptes_rendus(o.folder, history) for o in (night, fresh))
    if returns != fresh_returns:
        found["comptes_rendus"] = len(set(returns.items()) ^ set(fresh_returns.items()))
    workbook, fresh_workbook = _workbook(night.folder), _workbook(fresh.folder)
    if workbook != fresh_workbook:
        found["rapport des gestionnaires"] = len(workbook ^ fresh_workbook)
    return found


def _database_differences(a: Path, b: Path, label: str, history: frozenset[str]) -> dict[str, int]:
    with duckdb.connect() as connection:
        connection.execute(f"ATTACH '{a}' AS a (READ_ONLY)")
        connection.execute(f"ATTACH '{b}' AS b (READ_ONLY)")
        tables = {
            database: set(
                connection.execute(
                    "SELECT schema_name || '.' || table_name FROM duckdb_tables() "
                    "WHERE database_name = ? AND schema_name <> 'publish'",
                    [database],
                ).fetchall()
            )
            for database in ("a", "b")
        }
        found = {}
        if tables["a"] != tables["b"]:
            found[f"{label} : tables"] = len(tables["a"] ^ tables["b"])
        for (name,) in sorted(tables["b"]):
            if name in _CURRENT_KEYS:
                keys = ", ".join(_CURRENT_KEYS[name])
                x, y = (f"(SELECT DISTINCT {keys} FROM {d}.{name})" for d in ("a", "b"))
                if count := rows_differing(connection, x, y):
                    found[f"{label} : {name} (clés)"] = count
            if name in _HISTORY_TABLES:
                continue
            schema, table = name.split(".")
            columns = connection.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = 'b' "
                "AND schema_name = ? AND table_name = ? ORDER BY column_index",
                [schema, table],
            ).fetchall()
            kept = ", ".join(
                f'"{c}"' for (c,) in columns if c not in history and (name, c) != _RESOLVED_COUNTED
            )
            if not kept:  # history alone (the night a table describes)
                continue
            where = f" WHERE {_CURRENT[name]}" if name in _CURRENT else ""
            x, y = (f'(SELECT {kept} FROM {d}."{schema}"."{table}"{where})' for d in ("a", "b"))
            if count := rows_differing(connection, x, y):
                found[f"{label} : {name}"] = count
    return found


def _export_differences(a: Path, b: Path) -> dict[str, int]:
    """Per analysts' export, the rows that differ, read as analysts read them (all its Parquet
    files, the month from the directory names)."""
    found = {}
    with duckdb.connect() as connection:
        for table in sorted({p.name for root in (a, b) for p in root.iterdir() if p.is_dir()}):
            written = [sorted((root / table).rglob("*.parquet")) for root in (a, b)]
            if not any(written):
                continue
            if not all(written):
                found[f"exports : {table}"] = 1
                continue
            x, y = (
                f"read_parquet({[str(p) for p in files]}, hive_partitioning = true, "
                "union_by_name = true)"
                for files in written
            )
            if count := rows_differing(connection, x, y):
                found[f"exports : {table}"] = count
    return found


def _comptes_rendus(folder: Path, history: frozenset[str]) -> dict[str, str]:
    """Every compte rendu by path, with tonight's anomalies only, without its `history` fields."""
    returns = {}
    for path in sorted((folder / "comptes_rendus").rglob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        document = {k: v for k, v in document.items() if k not in history}
        document["anomalies"] = [
            a for a in document.get("anomalies", []) if a["statut"] in _CURRENT_STATUSES
        ]
        returns[path.relative_to(folder).as_posix()] = json.dumps(document, sort_keys=True)
    return returns


def _workbook(folder: Path) -> set[tuple[object, ...]]:
    """The latest steward workbook's anomalies to handle, without their history columns."""
    [*_, latest] = sorted((folder / "reports").glob("anomalies-*.xlsx"))
    sheet = openpyxl.load_workbook(latest, read_only=True)["Anomalies à traiter"]
    header, *rows = sheet.iter_rows(values_only=True)
    kept = [i for i, name in enumerate(header) if name not in _REPORT_HISTORY]
    return {tuple(row[i] for i in kept) for row in rows}
