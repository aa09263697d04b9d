"""What analysts read, never the night's own warehouse (any connection to it, even read-only,
can make the night fail): both published after each night, with a keyed pseudonym instead of
the NIR and without names, birth dates or IBANs.

- The analysts' warehouse `analystes.duckdb` beside the warehouse: the core and result tables,
  each table and column with the warehouse's comment, swapped in atomically like the portal's
  snapshot (`build_analyst_candidate`); a night writes only the rows that differ from the
  served copy's, looked for in the companies and months whose rows changed (for the core
  model's tables, those `warehouse.changes` marks; one employee's signalement: his rows). The
  copy served before it is kept beside it (`previous_copy`), and a night brings that file up
  to date rather than copying the served one whole (the whole history, every night).
- Parquet exports of the monthly facts: `<exports>/<table>/month=AAAA-MM/*.parquet` (Hive
  partitioning, readable by DuckDB, Polars, Spark or Trino alike), a month in a few files by
  company; a night writes again only the files whose rows changed. Each table is written beside
  the old one and swapped in, so an analyst never reads half a table.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import duckdb

from serving.pseudonym import (
    pseudonym,
    pseudonym_of,
    register_pseudonym_function,
    remember_pseudonyms,
)
from serving.snapshot import swap_directory, swap_in
from warehouse.changes import CompanyScope
from warehouse.connections import connect, memory_held_to, transaction
from warehouse.models import CORE_TABLES
from warehouse.schema import sql_literal

# What the exports and the analysts' copy hold DuckDB's memory to: they read the whole history
# once, and the cache of what they read is of no use after. At 100,000 employees the copy built
# from scratch peaked at 1,062 MB under the warehouse's 1 GB, 542 MB under this, and took no
# longer (25 s against 28-32 s).
COPY_MEMORY_LIMIT = "256MB"

_EMPLOYEE = f"{pseudonym_of('source_row.employee_key')} AS employee_pseudonym"
_MONTH = "strftime(month, '%Y-%m') AS month"


@dataclass(frozen=True)
class AnalystExport:
    name: str
    # its SELECT list on `source_row`, a row of `requires`: a `month` ('AAAA-MM') among its
    # columns; never a NIR, name or IBAN
    columns: str
    requires: str  # its source table
    employees: bool = True  # whether `requires` has an `employee_key`, exported as a pseudonym


ANALYST_EXPORTS: tuple[AnalystExport, ...] = (
    AnalystExport(
        "employee_months",
        f"{_MONTH}, siret, left(siret, 9) AS siren, {_EMPLOYEE}, "
        "nir IS NULL AS without_nir, try_cast(right(birth_date, 4) AS INTEGER) AS birth_year",
        "core.employee_months",
    ),
    AnalystExport(
        "affiliations",
        f"{_MONTH}, siret, left(siret, 9) AS siren, {_EMPLOYEE}, contract_start, "
        "contract_number, adhesion_key, option_code, population_code, children, "
        "adult_dependants, dependants, other_dependants, child_dependants, start_date, end_date",
        "core.affiliations",
    ),
    AnalystExport(
        "contributions",
        f"{_MONTH}, siret, left(siret, 9) AS siren, {_EMPLOYEE}, adhesion_key, "
        "option_code, population_code, base_amount, amount",
        "core.contributions",
    ),
    AnalystExport(
        "stoppages",
        f"{_MONTH}, siret, left(siret, 9) AS siren, {_EMPLOYEE}, contract_start, "
        "contract_number, reason, last_day_worked, planned_end, return_date, return_reason, "
        "accident_date",
        "core.stoppages",
    ),
    AnalystExport(
        "contract_ends",
        f"{_MONTH}, siret, left(siret, 9) AS siren, {_EMPLOYEE}, contract_start, "
        "contract_number, end_date, end_reason, keeps_cover",
        "core.contract_ends",
    ),
    AnalystExport(
        "declared_payments",
        f"{_MONTH}, siret, left(siret, 9) AS siren, oc_id, amount, period_start, "
        "period_end, payment_mode, payment_date",
        "core.declared_payments",
        employees=False,
    ),
)


@dataclass(frozen=True)
class ExportWritten:
    """What a night wrote of one export: nothing when none of its files changed."""

    rows: int  # rows of the files written again
    files: int  # files written again
    kept: int  # files kept as they were


def write_analyst_exports(
    warehouse_path: Path,
    exports_dir: Path,
    key: bytes,
    exports: tuple[AnalystExport, ...] = ANALYST_EXPORTS,
) -> dict[str, ExportWritten]:
    """Write again the files of each export whose rows changed since they were written (every
    file for a new key or definition, or a file changed since on disk); the others are kept as
    they are. Return what was written per table."""
    exports_dir.mkdir(parents=True, exist_ok=True)
    key_check = pseudonym(key, "exports des analystes")
    with (
        connect(warehouse_path, read_only=True) as connection,
        memory_held_to(connection, COPY_MEMORY_LIMIT),
    ):
        register_pseudonym_function(connection, key)
        return {
            export.name: _write_export(connection, exports_dir, export, key_check)
            for export in exports
        }


# A month is split into files by company, so that a night writes again the files of the
# companies whose rows changed, not the month: a company of `_OWN_FILE_ROWS` rows or more in a
# month has its own file (at 100,000 employees one company holds 54 % of them), the others
# share files by a hash of their SIREN: `_SHARED_FILES`, or more (a power of two, at most
# `_MOST_SHARED_FILES`) when the month's shared rows would make them larger than about
# `_SHARED_FILE_ROWS` rows. The late files of a night change about a third of the companies'
# months: of the 20,000-employee year's exports, 16 shared files a month wrote 236,000 rows
# again, 64 files 85,000 (but files of 330 rows: that year keeps 16, the 100,000-employee
# year's 53,000 shared rows a month take 64).
_OWN_FILE_ROWS = 10_000
_SHARED_FILES = 16
_SHARED_FILE_ROWS = 1_000
_MOST_SHARED_FILES = 256
# Beside each table's directory, what its files were written from: a hidden file, out of the
# directories analysts list and read.
_MANIFEST = ".{}.empreintes.json"
_SCRATCH = ".{}.ecriture"  # beside each table's directory: where DuckDB writes its files
_NO_MONTH = "__HIVE_DEFAULT_PARTITION__"  # DuckDB's partition of the rows without a month
# The files' layout: 2 since an export without rows has a file without rows (before, none: its
# directories written again once, or an empty one would stay without a file).
_LAYOUT = 2
_COMPANIES = "export_companies"  # temporary: per month and company, its file and fingerprint
_WRITTEN = "export_written"  # temporary: the files (month, name) written again tonight
_EXPORT_ROWS = "export_rows"  # temporary: the source rows of the files written again tonight


def _write_export(
    connection: duckdb.DuckDBPyConnection, exports_dir: Path, export: AnalystExport, key_check: str
) -> ExportWritten:
    """Bring one export to tonight: a new directory of the files written again and the others
    linked from the served one, swapped in whole (an analyst never reads half a table); nothing
    is touched when no file changed."""
    target = exports_dir / export.name
    definition = hashlib.md5(
        json.dumps(
            [
                export.columns,
                export.requires,
                key_check,
                _OWN_FILE_ROWS,
                _SHARED_FILES,
                _SHARED_FILE_ROWS,
                _MOST_SHARED_FILES,
                _LAYOUT,
            ]
        ).encode(),
        usedforsecurity=False,
    ).hexdigest()
    tonight = _file_fingerprints(connection, export)
    kept = _files_on_disk(target, definition)
    changed = sorted(
        part
        for part, fingerprint in tonight.items()
        if kept.get(part, {}).get("fingerprint") != fingerprint
    )
    if target.is_dir() and not changed and kept.keys() == tonight.keys():
        return ExportWritten(0, 0, len(kept))
    building = exports_dir / f".{export.name}.en-cours"
    shutil.rmtree(building, ignore_errors=True)
    rows = _write_files(connection, export, building, changed) if changed else 0
    building.mkdir(exist_ok=True)
    if not tonight:
        _write_no_rows(connection, export, building)
    unchanged = [part for part in tonight if part not in changed]
    for part in unchanged:
        month = part.split("/")[0]
        (building / month).mkdir(exist_ok=True)
        for name in kept[part]["files"]:
            os.link(target / month / name, building / month / name)
    swap_directory(building, target)
    # After the swap: a crash in between leaves the previous manifest, whose files' identities
    # the new files do not have, so their parts are written again the next night.
    _write_manifest(target, definition, tonight)
    return ExportWritten(rows, len(changed), len(unchanged))


def _write_no_rows(
    connection: duckdb.DuckDBPyConnection, export: AnalystExport, building: Path
) -> None:
    """An export without rows tonight is one file without rows: read with its columns as the
    others are (`pl.scan_parquet` of an empty directory fails), in the partition of no month."""
    directory = building / f"month={_NO_MONTH}"
    directory.mkdir()
    connection.execute(
        f"COPY (SELECT * EXCLUDE (month) FROM (SELECT {export.columns} "
        f"FROM {export.requires} AS source_row LIMIT 0)) "
        f"TO '{directory / 'sans-lignes.parquet'}' (FORMAT parquet)"
    )


def _file_fingerprints(
    connection: duckdb.DuckDBPyConnection, export: AnalystExport
) -> dict[str, str]:
    """Per file of the export (`month=AAAA-MM/<file>`), the count and the sum of the hashes of
    its source rows, whole (a superset of the columns exported); each month's companies and
    their file into `_COMPANIES`."""
    connection.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {_COMPANIES} AS
        SELECT month, siren, row_count, fingerprint,
            CASE WHEN row_count >= {_OWN_FILE_ROWS}
                THEN 'entreprise-' || left(md5(coalesce(siren, '')), 12)
                ELSE 'lot-' || lpad(CAST(hash(siren) % greatest({_SHARED_FILES}, least(
                    {_MOST_SHARED_FILES}, CAST(2 ** round(log2(greatest(1, shared_rows
                    / {_SHARED_FILE_ROWS}))) AS INTEGER))) AS VARCHAR), 3, '0')
            END AS file
        FROM (
            SELECT *, sum(CASE WHEN row_count < {_OWN_FILE_ROWS} THEN row_count ELSE 0 END)
                OVER (PARTITION BY month) AS shared_rows
            FROM (
                SELECT coalesce(strftime(month, '%Y-%m'), '{_NO_MONTH}') AS month,
                    left(siret, 9) AS siren, sum(row_count) AS row_count,
                    sum(fingerprint) AS fingerprint
                FROM (
                    -- per establishment and month first: grouping on the columns rather than
                    -- on expressions of them took half the time at 100,000 employees
                    SELECT month, siret, count(*) AS row_count,
                        sum(hash(source_row)::HUGEINT) AS fingerprint
                    FROM {export.requires} AS source_row GROUP BY month, siret
                )
                GROUP BY ALL
            )
        )
        """
    )
    rows = connection.execute(
        f"SELECT month, file, sum(row_count), sum(fingerprint) FROM temp.{_COMPANIES} GROUP BY ALL"
    ).fetchall()
    return {
        _part(month, file): f"{count}:{fingerprint}" for month, file, count, fingerprint in rows
    }


def _part(month: str, file: str) -> str:
    return f"month={month}/{file}"


def _write_files(
    connection: duckdb.DuckDBPyConnection, export: AnalystExport, building: Path, parts: list[str]
) -> int:
    """Write the files `parts` of the export into `building`; return their rows."""
    months, files = zip(*(part.removeprefix("month=").split("/") for part in parts), strict=True)
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {_WRITTEN} AS "
        "SELECT unnest(?::VARCHAR[]) AS month, unnest(?::VARCHAR[]) AS file",
        [list(months), list(files)],
    )
    # The rows of those files only, read once from the source table (for their pseudonyms,
    # then written: reading them twice took 1.1 s of 9.6 at 100,000 employees' late files).
    connection.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {_EXPORT_ROWS} AS
        SELECT source_row.*, company.file AS export_file FROM {export.requires} AS source_row
        JOIN temp.{_COMPANIES} AS company
            ON company.month = coalesce(strftime(source_row.month, '%Y-%m'), '{_NO_MONTH}')
            AND company.siren IS NOT DISTINCT FROM left(source_row.siret, 9)
        SEMI JOIN temp.{_WRITTEN} AS written
            ON written.month = company.month AND written.file = company.file
        """
    )
    if export.employees:
        remember_pseudonyms(connection, f"SELECT employee_key FROM temp.{_EXPORT_ROWS}")
    # DuckDB writes month=<month>/export_file=<file>/<name> into the export's own scratch
    # directory, kept from night to night: each file is moved to <month>/<file>-<name> in
    # `building`, its directory left empty for the next night (removing a directory took 1.4
    # to 5.5 ms here: 860 files written again a night at 100,000 employees, 3.1 s).
    scratch = building.with_name(_SCRATCH.format(export.name))
    directories = [
        (month, file, scratch / f"month={month}" / f"export_file={file}")
        for month, file in zip(months, files, strict=True)
    ]
    for _, _, directory in directories:  # what a night stopped while writing left there
        for left in directory.glob("*"):
            left.unlink()
    row = connection.execute(
        f"COPY (SELECT {export.columns}, source_row.export_file "
        f"FROM temp.{_EXPORT_ROWS} AS source_row) "
        f"TO '{scratch}' (FORMAT parquet, PARTITION_BY (month, export_file), "
        "WRITE_PARTITION_COLUMNS false, OVERWRITE_OR_IGNORE true)"
    ).fetchone()
    connection.execute(f"DROP TABLE temp.{_EXPORT_ROWS}")
    for month in set(months):
        (building / f"month={month}").mkdir(parents=True)
    for month, file, directory in directories:
        for written in directory.iterdir():
            written.rename(building / f"month={month}" / f"{file}-{written.name}")
    return int(row[0]) if row else 0


def _files_by_part(target: Path) -> dict[str, dict[str, list[int]]]:
    """The files of each part of the export in `target` (`<file>-<name>.parquet` in its
    month's directory), with their size and modification time: each directory listed once."""
    parts: dict[str, dict[str, list[int]]] = {}
    for directory in target.glob("month=*"):
        for written in directory.glob("*-*.parquet"):
            status = written.stat()
            part = _part(directory.name.removeprefix("month="), written.name.rsplit("-", 1)[0])
            parts.setdefault(part, {})[written.name] = [status.st_size, status.st_mtime_ns]
    return parts


def _manifest(target: Path) -> Path:
    return target.with_name(_MANIFEST.format(target.name))


def _write_manifest(target: Path, definition: str, tonight: dict[str, str]) -> None:
    on_disk = _files_by_part(target)
    parts = {
        part: {"fingerprint": fingerprint, "files": on_disk.get(part, {})}
        for part, fingerprint in tonight.items()
    }
    written = _manifest(target).with_suffix(".en-cours")
    written.write_text(json.dumps({"definition": definition, "parts": parts}), encoding="utf-8")
    written.replace(_manifest(target))


def _files_on_disk(target: Path, definition: str) -> dict[str, dict[str, Any]]:
    """Each part of the served export whose files are still those written for it, with its
    fingerprint and its files; none when it was written under another definition or key."""
    try:
        manifest = json.loads(_manifest(target).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if manifest.get("definition") != definition:
        return {}
    on_disk = _files_by_part(target)
    return {
        part: described
        for part, described in manifest["parts"].items()
        if described["files"] and on_disk.get(part) == described["files"]
    }


# -- the analysts' own warehouse --------------------------------------------------------------

ANALYST_SCHEMAS = ("core", "ledger", "stoppage", "reference", "registry", "publish", "main")
# Tables an analyst has no use for, or that hold personal data in a shape not worth masking:
# raw DSN blocks (staging), the portal's inputs (names, NIR), the model's work queue and the
# stages' own bookkeeping.
_LEFT_OUT = {
    "core.pending_groups",
    "core.company_changes",
    "core.employee_changes",
    "core.pending_changes",
    "core.stage_progress",
    "ledger.company_inputs",
    "ledger.movement_payers",
    "publish.analyst_copy_fingerprints",
    "publish.analyst_previous_copy_fingerprints",
    "publish.analyst_copy_marks",
    "publish.compte_rendu_inputs",
    "main.schema_migrations",
    "main.deferred_merges",  # the warehouse's storage bookkeeping (warehouse.connections)
    "main.schema_stamp",  # the schema's digest, bookkeeping of the writers' connections
    "main.steward_decision_rejects",
}
# Columns naming an employee: kept as the keyed pseudonym, so analysts can still join and count.
PSEUDONYMISED = frozenset(
    {
        "employee_key",
        "nir",
        "ntt",
        "previous_key",
        "previous_nir",
        "episode_id",
        "signal_id",
        "anomaly_id",
    }
)
# Columns no analysis needs that identify a person or an account.
DROPPED = frozenset(
    {
        "last_name",
        "first_names",
        "employee_name",
        "previous_last_name",
        "previous_first_names",
        "iban",
        "account_iban",
        "document",
        "detail_fingerprint",
        "resolved_fingerprint",
    }
)
_PSEUDONYM_NOTE = " Pseudonyme (HMAC-SHA256 avec la clé DSNPIPE_PSEUDONYM_KEY), jamais la valeur."


def _select_list(columns: list[tuple[str, str | None]]) -> tuple[list[str], dict[str, str]]:
    """The SELECT expressions of one table and the comment of each column they produce."""
    expressions, comments = [], {}
    for name, comment in columns:
        if name in DROPPED:
            continue
        if name in PSEUDONYMISED:
            expressions.append(f'{pseudonym_of(f"source_row.{name}")} AS "{name}"')
            comments[name] = (comment or name) + _PSEUDONYM_NOTE
        elif name == "birth_date":  # JJMMAAAA as declared: the year is enough
            expressions.append("try_cast(right(birth_date, 4) AS INTEGER) AS birth_year")
            comments["birth_year"] = "Année de naissance (la date complète n'est pas publiée)."
        else:
            expressions.append(f'"{name}"')
            comments[name] = comment or ""
    return expressions, comments


@dataclass(frozen=True)
class AnalystCandidate:
    """Tonight's analysts' warehouse, built beside the served one and not yet swapped in."""

    path: Path  # the served copy itself when nothing changed since it was built
    rows: dict[str, int]  # rows per table
    tables_copied: int  # tables written whole
    tables_updated: int  # tables whose changed parts were brought to tonight
    rows_written: int = 0  # rows deleted or inserted in those parts
    # the marks since the served copy when its fingerprints described it: once swapped in, that
    # copy is the previous one (`previous_copy`), the next night's to bring up to date
    since_served: CompanyScope | None = None
    recycled: bool = False  # built from the previous copy rather than a copy of the served one
    tables_dropped: int = 0  # tables of the served copy the warehouse no longer has

    @property
    def unchanged(self) -> bool:
        """Whether the served copy is tonight's as it is: nothing to swap in. Never for a
        candidate brought up from the previous copy, which differs from the served one even
        when nothing was written (a change of the night before undone tonight)."""
        return not (
            self.recycled or self.tables_copied or self.tables_updated or self.tables_dropped
        )


def build_analyst_candidate(
    connection: duckdb.DuckDBPyConnection, target: Path, key: bytes, scope: CompanyScope
) -> AnalystCandidate:
    """Write tonight's analysts' warehouse beside `target`: the core and result tables of the
    warehouse `connection` holds, employees pseudonymised, names and IBANs left out, each table
    and column with the warehouse's comment.

    It starts from the served copy when the fingerprints kept of it (`FINGERPRINTS`) still
    describe that file, and replaces in each table only the rows of the companies, and of the
    months for a table with a month, whose rows changed in the warehouse (the whole table for a
    table without either, or a new definition); otherwise, or when `scope` is every company,
    it is built from scratch. `scope` holds the marks since the served copy was built. Rather
    than a copy of the served file, it starts from the copy served before it when that one is
    kept and described (`_previous_marks`), no analyst holds it open and a company was marked
    since the served copy, comparing the companies marked since that copy."""
    with memory_held_to(connection, COPY_MEMORY_LIMIT):
        return _build_analyst_candidate(connection, target, key, scope)


def _build_analyst_candidate(
    connection: duckdb.DuckDBPyConnection, target: Path, key: bytes, scope: CompanyScope
) -> AnalystCandidate:
    candidate = target.with_name(target.name + ".candidate")
    for stale in (candidate, _wal(candidate)):
        stale.unlink(missing_ok=True)
    tables = _analyst_tables(connection, key)
    served = not scope.everything and _describes(connection, target)
    # Nothing marked since the served copy: compared with it, it is most often tonight's. The
    # previous copy would be brought through the night before's changes to the same file
    # (6.5 s against 1.2 s for a night with no file at 100,000 employees).
    marked = bool(scope.sirens or scope.employees)
    since_previous = _previous_marks(connection, target, scope) if served and marked else None
    recycled = since_previous is not None and _take_previous(connection, target, candidate)
    if recycled:
        assert since_previous is not None
        previous, compared = f"(FROM {PREVIOUS_FINGERPRINTS})", since_previous
    else:
        previous = FINGERPRINTS if served else f"(SELECT * FROM {FINGERPRINTS} WHERE FALSE)"
        compared = scope
    register_pseudonym_function(connection, key)
    _register_marked(connection, compared)
    definitions = _kept_definitions(connection, previous)
    _fingerprint_tables(connection, tables, previous, definitions)
    _changed_parts(connection, previous)
    rows_per_table = _rows_per_table(connection, tables)
    if served and not scope.employees and not _differs_from_served(connection, recycled):
        # Every table has parts tonight, each equal to the served copy's: that copy is
        # tonight's, neither copied nor swapped.
        if recycled:
            _give_back_previous(connection, candidate, target)
        return AnalystCandidate(target, rows_per_table, 0, 0)
    if not recycled:
        if served:
            _copy_owner_only(target, candidate)
        connection.execute(f"ATTACH '{candidate}' AS analyst (READ_WRITE)")
    try:
        whole = _written_whole(connection, tables, definitions)
        changed = _tables_changed(connection)
        employees_marked = not compared.everything and bool(compared.employees)
        # Each table's rows compared in its own statements, committed as they go: in one
        # transaction the temporary tables of every table compared are kept to its end, and ran
        # out of the copy's memory at 100,000 employees. The candidate is served only whole.
        updated = [
            _update_table(connection, t, changed, employees_marked)
            for t in tables
            if t not in whole
        ]
        # One transaction: each table's and column's comment committed on its own cost
        # a quarter of the copy of 10,000 employees.
        with transaction(connection):
            dropped = _drop_tables_gone(connection, tables)
            for table in whole:
                _copy_table(connection, table)
        connection.execute("CHECKPOINT analyst")
    finally:
        connection.execute("DETACH analyst")
    return AnalystCandidate(
        candidate,
        rows_per_table,
        len(whole),
        sum(1 for rows in updated if rows is not None),
        sum(rows or 0 for rows in updated),
        since_served=scope if served else None,
        recycled=recycled,
        tables_dropped=dropped,
    )


def previous_copy(target: Path) -> Path:
    """Where the copy served before `target`'s is kept (`swap_in_analyst_copy`), hidden."""
    return target.with_name(f".{target.name}.precedente")


def swap_in_analyst_copy(candidate: Path, target: Path) -> None:
    """Swap the candidate in as `swap_in` does, the served copy kept as the previous one (a
    second name for its file, which analysts still reading it keep reading). A WAL beside the
    served file (an analyst wrote into it) follows it: left beside tonight's file, DuckDB would
    replay it into a file it does not belong to, which then no longer opens; beside the
    previous copy, it keeps that copy from being brought up to date (`_previous_marks`)."""
    previous = previous_copy(target)
    for stale in (previous, _wal(previous)):
        stale.unlink(missing_ok=True)
    if target.exists():
        os.link(target, previous)
    if _wal(target).exists():
        _wal(target).rename(_wal(previous))
    swap_in(candidate, target)


def _wal(database: Path) -> Path:
    return database.with_name(database.name + ".wal")


def _previous_marks(
    connection: duckdb.DuckDBPyConnection, target: Path, scope: CompanyScope
) -> CompanyScope | None:
    """The companies and employees marked since the previous copy (`previous_copy`): those
    marked between it and the served copy (`PREVIOUS_MARKS`) and since (`scope`). None when
    there is no previous copy, or its fingerprints (`PREVIOUS_FINGERPRINTS`) do not describe
    it as it is (rewritten, or the served file itself after a swap stopped half-way)."""
    previous = previous_copy(target)
    if not previous.is_file() or previous.samefile(target):
        return None
    if _wal(previous).exists():
        return None  # written into by an analyst: not as its fingerprints say
    described = connection.execute(
        f"SELECT DISTINCT copy_file FROM {PREVIOUS_FINGERPRINTS}"
    ).fetchall()
    if described != [(file_identity(previous),)]:
        return None
    marks = connection.execute(f"SELECT siren, employee_key FROM {PREVIOUS_MARKS}").fetchall()
    whole = scope.whole_sirens | {siren for siren, key in marks if key is None}
    employees = {
        (siren, key)
        for siren, key in (*scope.employees, *marks)
        if key is not None and siren not in whole
    }
    return replace(
        scope,
        sirens=frozenset(whole | {siren for siren, _ in employees}),
        employees=frozenset(employees),
    )


def _take_previous(connection: duckdb.DuckDBPyConnection, target: Path, candidate: Path) -> bool:
    """Make the previous copy the candidate, attached as `analyst`; False, and the file left
    where it was, when it cannot be written (an analyst still holds it open)."""
    previous = previous_copy(target)
    previous.rename(candidate)
    try:
        connection.execute(f"ATTACH '{candidate}' AS analyst (READ_WRITE)")
    except duckdb.Error:
        candidate.rename(previous)
        return False
    return True


def _give_back_previous(
    connection: duckdb.DuckDBPyConnection, candidate: Path, target: Path
) -> None:
    """The previous copy taken as the candidate put back, unused."""
    connection.execute("DETACH analyst")
    candidate.rename(previous_copy(target))


def _differs_from_served(connection: duckdb.DuckDBPyConnection, recycled: bool) -> bool:
    """Whether tonight's fingerprints (`_TONIGHT`) differ from the served copy's: the parts
    found changed, or, when they were compared with the previous copy's, any part."""
    if not recycled:
        return bool(_count(connection, f"temp.{_CHANGED}"))
    parts = "table_name, definition, siren, month, row_count, fingerprint"
    differing = connection.execute(
        f"SELECT EXISTS (SELECT {parts} FROM temp.{_TONIGHT} EXCEPT ALL "
        f"SELECT {parts} FROM {FINGERPRINTS}) OR EXISTS (SELECT {parts} FROM {FINGERPRINTS} "
        f"EXCEPT ALL SELECT {parts} FROM temp.{_TONIGHT})"
    ).fetchone()
    return bool(differing and differing[0])


def _count(connection: duckdb.DuckDBPyConnection, relation: str) -> int:
    [(count,)] = connection.execute(f"SELECT count(*) FROM {relation}").fetchall()
    return int(count)


def _rows_per_table(connection: duckdb.DuckDBPyConnection, tables: list[_Table]) -> dict[str, int]:
    """Each table's rows, counted in one statement (each of the copy's statements costs about
    1 ms of its own: 655 of them on the 20,000 employees' incremental night)."""
    if not tables:
        return {}
    counts = " UNION ALL ".join(
        f'SELECT {sql_literal(t.name)}, count(*) FROM "{t.schema}"."{t.table}"' for t in tables
    )
    return {name: int(count) for name, count in connection.execute(counts).fetchall()}


def _kept_definitions(connection: duckdb.DuckDBPyConnection, previous: str) -> set[tuple[str, str]]:
    """(table, definition) of every table the fingerprints `previous` describe."""
    return set(
        connection.execute(f"SELECT DISTINCT table_name, definition FROM {previous}").fetchall()
    )


def remember_analyst_copy(
    connection: duckdb.DuckDBPyConnection, candidate: AnalystCandidate
) -> None:
    """Keep the fingerprints of what `candidate` was built from, with the identity of its file;
    the caller holds the transaction, then swaps the candidate in (`swap_in_analyst_copy`). The
    served copy's, when they described it, are kept as the previous copy's, with the marks
    since. A candidate that is the served copy unchanged was built from the fingerprints kept:
    nothing to write."""
    if candidate.unchanged:
        return
    connection.execute(f"DELETE FROM {PREVIOUS_FINGERPRINTS}")
    connection.execute(f"DELETE FROM {PREVIOUS_MARKS}")
    if candidate.since_served is not None:
        connection.execute(f"INSERT INTO {PREVIOUS_FINGERPRINTS} FROM {FINGERPRINTS}")
        marks = candidate.since_served
        rows = [(siren, None) for siren in sorted(marks.whole_sirens)] + sorted(marks.employees)
        connection.execute(
            f"INSERT INTO {PREVIOUS_MARKS} SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[])",
            [[siren for siren, _ in rows], [key for _, key in rows]],
        )
    connection.execute(f"DELETE FROM {FINGERPRINTS}")
    connection.execute(
        f"INSERT INTO {FINGERPRINTS} SELECT ?, table_name, definition, siren, row_count, "
        f"fingerprint, month FROM temp.{_TONIGHT}",
        [file_identity(candidate.path)],
    )


FINGERPRINTS = "publish.analyst_copy_fingerprints"
PREVIOUS_FINGERPRINTS = "publish.analyst_previous_copy_fingerprints"  # of `previous_copy`
PREVIOUS_MARKS = "publish.analyst_copy_marks"  # marked between the previous and served copies
_TONIGHT = "analyst_fingerprints"  # temporary: tonight's fingerprints
_CHANGED = "analyst_changed_parts"  # temporary: (table, company, month) whose rows changed
_MARKED = "analyst_marked"  # temporary: the companies and employees marked since the last copy
# temporary: the rows of one table's changed parts held a different number of times tonight
# and in the served copy
_DIFFERING = "analyst_rows_differing"
_PART_ROWS = "analyst_part_rows"  # temporary: tonight's rows of one table's compared parts


@dataclass(frozen=True)
class _Table:
    schema: str
    table: str
    comment: str | None
    columns: list[tuple[str, str | None]]  # name, comment
    definition: str  # md5 of its comment, its columns' names, types and comments, and the key

    @property
    def name(self) -> str:
        return f"{self.schema}.{self.table}"

    @property
    def company(self) -> str | None:
        """The expression of a row's company (a row without SIREN belongs to its SIRET's)."""
        return self.company_of()

    def company_of(self, row: str = "") -> str | None:
        """`company` on the row named `row`."""
        names, of = {name for name, _ in self.columns}, f"{row}." if row else ""
        if "siren" in names:
            return f"coalesce({of}siren, left({of}siret, 9))" if "siret" in names else f"{of}siren"
        return f"left({of}siret, 9)" if "siret" in names else None

    @property
    def marked(self) -> bool:
        """Whether its rows change only with the companies and employees the core model marks
        (`warehouse.changes`): a table of the core model, of companies."""
        return self.schema == "core" and self.table in CORE_TABLES and self.company is not None

    @property
    def month(self) -> str | None:
        """The expression of a row's month: a late declaration brings one month of its company."""
        return '"month"' if "month" in {name for name, _ in self.columns} else None


def _analyst_tables(connection: duckdb.DuckDBPyConnection, key: bytes) -> list[_Table]:
    # A new pseudonym key changes every pseudonym: every table's definition with it, so that
    # no row keeps a pseudonym of the old key (its check value, not the key, is hashed).
    key_check = pseudonym(key, "copie des analystes")
    tables = connection.execute(
        "SELECT schema_name, table_name, comment FROM duckdb_tables() "
        "WHERE database_name = current_database() AND schema_name IN ? ORDER BY 1, 2",
        [list(ANALYST_SCHEMAS)],
    ).fetchall()
    columns: dict[tuple[str, str], list[tuple[str, str, str | None]]] = {}
    for schema, table, name, data_type, comment in connection.execute(
        "SELECT schema_name, table_name, column_name, data_type, comment FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name IN ? "
        "ORDER BY schema_name, table_name, column_index",
        [list(ANALYST_SCHEMAS)],
    ).fetchall():
        columns.setdefault((schema, table), []).append((name, data_type, comment))
    return [
        _Table(
            schema,
            table,
            comment,
            [(name, column_comment) for name, _, column_comment in columns[(schema, table)]],
            hashlib.md5(
                json.dumps([comment, columns[(schema, table)], key_check]).encode(),
                usedforsecurity=False,
            ).hexdigest(),
        )
        for schema, table, comment in tables
        if f"{schema}.{table}" not in _LEFT_OUT
    ]


def _fingerprint_tables(
    connection: duckdb.DuckDBPyConnection,
    tables: list[_Table],
    previous: str,
    definitions: set[tuple[str, str]],
) -> None:
    """Per table, company and month, tonight's row count and the sum of its rows' hashes
    (whatever their order) into `_TONIGHT`; one part of no company (no month) for a table
    without one. A table of the core model (`_Table.marked`) already in `previous` under its
    definition (`definitions`) is fingerprinted for its marked companies only (`_whole_marked`),
    the others' parts kept from `previous`; those of a company whose employees alone are marked,
    whose rows are compared employee by employee, are kept with no count (-1), never equal to
    tonight's, so that the next time it is marked whole each of its parts is compared. The parts
    kept as they were in `previous` are `kept`: `_changed_parts` need not compare them."""
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {_TONIGHT} (table_name VARCHAR, definition VARCHAR, "
        "siren VARCHAR, row_count BIGINT, fingerprint HUGEINT, month DATE, kept BOOLEAN)"
    )
    for table in tables:
        named = [table.name, table.definition]
        source = f'"{table.schema}"."{table.table}"'
        narrowed = table.marked and (table.name, table.definition) in definitions
        if narrowed:
            marked = _whole_marked(table)
            connection.execute(
                f"INSERT INTO temp.{_TONIGHT} SELECT table_name, definition, siren, "
                "CASE WHEN employees_marked THEN -1 ELSE row_count END, fingerprint, month, "
                "NOT employees_marked "
                f"FROM (SELECT *, coalesce(siren, '') IN (SELECT marked_siren FROM temp.{_MARKED}) "
                f"AS employees_marked FROM {previous} WHERE table_name = ? "
                f"AND coalesce(siren, '') NOT IN ({marked}))",
                [table.name],
            )
        connection.execute(
            f"INSERT INTO temp.{_TONIGHT} SELECT ?, ?, {table.company or 'NULL'}, count(*), "
            f"coalesce(sum(hash(fingerprinted_row)::HUGEINT), 0), {table.month or 'NULL'}, false "
            f"FROM {source} AS fingerprinted_row "
            + (f"WHERE coalesce({table.company}, '') IN ({marked}) " if narrowed else "")
            + "GROUP BY ALL "
            # An empty table has a part all the same (once), so that its definition is kept.
            + f"UNION ALL SELECT ?, ?, NULL, 0, 0, NULL, false WHERE NOT EXISTS (FROM {source}) "
            f"AND NOT EXISTS (FROM temp.{_TONIGHT} WHERE table_name = ?)",
            [*named, *named, table.name],
        )


def _whole_marked(table: _Table) -> str:
    """The companies (`''` for the rows of none) whose rows of `table`, a table of the core
    model, may have changed: every company marked when the table has no employees."""
    if "employee_key" in {name for name, _ in table.columns}:
        return f"SELECT marked_siren FROM temp.{_MARKED} WHERE marked_key IS NULL"
    return f"SELECT marked_siren FROM temp.{_MARKED}"


def file_identity(path: Path) -> str:
    """The file as it is now: a copy rewritten or replaced since is another file."""
    status = path.stat()
    return f"{status.st_ino}:{status.st_size}:{status.st_mtime_ns}"


def _describes(connection: duckdb.DuckDBPyConnection, target: Path) -> bool:
    """Whether the fingerprints kept are those of the served copy `target`, as it is."""
    if not target.exists():
        return False
    kept = connection.execute(f"SELECT DISTINCT copy_file FROM {FINGERPRINTS}").fetchall()
    return kept == [(file_identity(target),)]


def _copy_owner_only(source: Path, target: Path) -> None:
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    shutil.copyfile(source, target)


def _changed_parts(connection: duckdb.DuckDBPyConnection, previous: str) -> None:
    """(table, definition, company, month) of every part whose count or fingerprint differs
    from `previous`, or that only one side has, into `_CHANGED`. A table's company whose parts
    were kept from `previous` has tonight exactly its parts there: only the others are compared
    (at 100,000 employees, 253,000 parts each side took 1.7 s)."""
    parts = "table_name, definition, siren, month, row_count, fingerprint"
    compared = (
        f"(SELECT {parts} FROM {previous} AS part ANTI JOIN (SELECT DISTINCT table_name, "
        f"coalesce(siren, '') AS company FROM temp.{_TONIGHT} WHERE kept) AS kept "
        "ON kept.table_name = part.table_name AND kept.company = coalesce(part.siren, ''))"
    )
    connection.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {_CHANGED} AS
        SELECT DISTINCT table_name, definition, siren, month FROM (
            (SELECT {parts} FROM temp.{_TONIGHT} WHERE NOT kept EXCEPT ALL FROM {compared})
            UNION ALL
            (FROM {compared} EXCEPT ALL SELECT {parts} FROM temp.{_TONIGHT} WHERE NOT kept)
        )
        """
    )


def _drop_tables_gone(connection: duckdb.DuckDBPyConnection, tables: list[_Table]) -> int:
    """Drop the copy's tables the warehouse no longer has; return how many."""
    kept = {table.name for table in tables}
    gone = [
        (schema, table)
        for schema, table in connection.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'analyst'"
        ).fetchall()
        if f"{schema}.{table}" not in kept
    ]
    for schema, table in gone:
        connection.execute(f'DROP TABLE analyst."{schema}"."{table}"')
    return len(gone)


def _written_whole(
    connection: duckdb.DuckDBPyConnection,
    tables: list[_Table],
    definitions: set[tuple[str, str]],
) -> list[_Table]:
    """The tables whose analysts' copy is written again whole: new, or of another definition
    than the kept one's (`definitions`); the others' changed parts only are replaced
    (`_update_table`). Read for every table at once: two statements per table took 0.2-0.4 s
    of the incremental night at 20,000 employees."""
    copied = {
        f"{schema}.{table}"
        for schema, table in connection.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'analyst'"
        ).fetchall()
    }
    return [t for t in tables if (t.name, t.definition) not in definitions or t.name not in copied]


def _tables_changed(connection: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int]]:
    """Per table with changed parts (`_CHANGED`): how many, and how many of them are outside
    the companies whose employees alone are marked; read for every table at once (two counts
    per table were 115 statements of the 20,000 employees' incremental night)."""
    return {
        name: (int(parts), int(outside))
        for name, parts, outside in connection.execute(
            f"SELECT table_name, count(*), count(*) FILTER (WHERE coalesce(siren, '') NOT IN "
            f"(SELECT marked_siren FROM temp.{_MARKED} WHERE marked_key IS NOT NULL)) "
            f"FROM temp.{_CHANGED} GROUP BY table_name"
        ).fetchall()
    }


def _update_table(
    connection: duckdb.DuckDBPyConnection,
    table: _Table,
    changed: dict[str, tuple[int, int]],
    employees_marked: bool,
) -> int | None:
    """Bring the analysts' copy of `table` to tonight where its rows may have changed: the
    parts whose fingerprint changed (`changed`, `_tables_changed`), and for a table of the
    core model the rows of the employees marked alone (`employees_marked`: whether any is).
    Return the rows written; None when nothing could have changed."""
    parts = f"temp.{_CHANGED} WHERE table_name = {sql_literal(table.name)}"
    employees = table.marked and "employee_key" in {name for name, _ in table.columns}
    if employees:  # the parts of a company whose employees alone are marked are theirs
        parts += (
            f" AND coalesce(siren, '') NOT IN "
            f"(SELECT marked_siren FROM temp.{_MARKED} WHERE marked_key IS NOT NULL)"
        )
    all_parts, outside_employees = changed.get(table.name, (0, 0))
    in_parts = bool(outside_employees if employees else all_parts)
    of_employees = employees and employees_marked
    if not (in_parts or of_employees):
        return None

    def kept(alias: str, pseudonymised: bool) -> str:
        joins, conditions = [], []
        if in_parts:
            joins.append(_in_parts(table, parts, alias))
            conditions.append("part.in_part")
        if of_employees:
            joins.append(_of_employees(table, alias, pseudonymised))
            conditions.append("marked.marked_siren IS NOT NULL")
        return f"{' '.join(joins)} WHERE {' OR '.join(conditions)}"

    # Both in one comparison, each side's table read once: the company's parts and the
    # employees' rows are of different companies, so no row is in both. Left joins (each row
    # matches one part or one employee at most), as correlated EXISTS made DuckDB join every
    # row several times (8 times slower at 100,000 employees).
    return _bring_to_tonight(connection, table, kept("source_row", False), kept("served_row", True))


def _bring_to_tonight(
    connection: duckdb.DuckDBPyConnection, table: _Table, tonight_rows: str, served_rows: str
) -> int:
    """Bring the rows of the analysts' copy of `table` that the joins and condition
    `served_rows` keep to those of the warehouse that `tonight_rows` keeps: only the rows that
    differ, as multisets, are deleted or inserted, so that one employee's change in a company of
    many writes his rows, not the company's month. Return the rows deleted and inserted."""
    expressions, _ = _select_list(table.columns)
    target = f'analyst."{table.schema}"."{table.table}"'
    # Both sides' rows in one aggregate, each row counted per side (an aggregate, which spills
    # to disk, where numbering equal rows with a window ran out of DuckDB's memory at 100,000
    # employees), and only the rows held a different number of times kept: a row held more
    # times in the copy than tonight loses its surplus, a row held more times tonight is
    # inserted as many more times. Two temporary tables of every row of the parts, then joined,
    # took twice as long (20,000 employees' incremental night, 65 comparisons); tonight's rows
    # of the parts alone, unpseudonymised, are kept: the warehouse's table is read once, not
    # once for the pseudonyms and once for the comparison.
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {_PART_ROWS} AS SELECT source_row.* "
        f'FROM "{table.schema}"."{table.table}" AS source_row {tonight_rows}'
    )
    _remember_table_pseudonyms(connection, table, f"temp.{_PART_ROWS}")
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {_DIFFERING} AS "
        "SELECT row_value, count(*) FILTER (WHERE copy_row IS NULL) AS tonight, "
        "count(copy_row) AS served, "
        "list(copy_row) FILTER (WHERE copy_row IS NOT NULL) AS copy_rows "
        "FROM (SELECT tonight_row AS row_value, NULL::BIGINT AS copy_row FROM ("
        f"SELECT {', '.join(expressions)} FROM temp.{_PART_ROWS} AS source_row"
        ") AS tonight_row "
        "UNION ALL SELECT served_row AS row_value, served_row.rowid AS copy_row "
        f"FROM {target} AS served_row {served_rows}) "
        "GROUP BY row_value HAVING tonight <> served"
    )
    [(surplus, missing)] = connection.execute(
        "SELECT count(*) FILTER (WHERE served > tonight), count(*) FILTER (WHERE tonight > served) "
        f"FROM temp.{_DIFFERING}"
    ).fetchall()
    writes = []
    if surplus:
        writes.append(
            f"DELETE FROM {target} WHERE rowid IN (SELECT unnest(copy_rows[1:served - tonight]) "
            f"FROM temp.{_DIFFERING} WHERE served > tonight)"
        )
    if missing:
        writes.append(
            f"INSERT INTO {target} SELECT unnest(row_value) FROM (SELECT row_value, "
            f"unnest(range(tonight - served)) FROM temp.{_DIFFERING} WHERE tonight > served)"
        )
    written = 0
    # Both in one commit: each commit to the candidate syncs its file (about 3 ms here).
    with transaction(connection) if len(writes) > 1 else contextlib.nullcontext():
        for write in writes:
            [(rows,)] = connection.execute(write).fetchall()
            written += int(rows)
    connection.execute(f"DROP TABLE temp.{_DIFFERING}")
    connection.execute(f"DROP TABLE temp.{_PART_ROWS}")
    return written


def _remember_table_pseudonyms(
    connection: duckdb.DuckDBPyConnection, table: _Table, rows: str
) -> None:
    """The pseudonyms of the values of `table`'s pseudonymised columns in `rows` (its rows, or
    some of them)."""
    values = [
        f'SELECT source_row."{name}" FROM {rows} AS source_row'
        for name, _ in table.columns
        if name in PSEUDONYMISED
    ]
    if values:
        remember_pseudonyms(connection, " UNION ALL ".join(values))


def _register_marked(connection: duckdb.DuckDBPyConnection, scope: CompanyScope) -> None:
    """`_MARKED`: the companies whose rows of the core model may have changed (no employee), or
    only some employees' rows (each with his key and its pseudonym), and the rows of no company
    whenever one is marked (their declaration's company is)."""
    whole = [] if scope.everything else sorted(scope.whole_sirens)
    employees = [] if scope.everything else sorted(scope.employees)
    connection.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {_MARKED} AS
        SELECT marked_siren, marked_key, pseudonym(marked_key) AS marked_pseudonym FROM (
            SELECT unnest(?::VARCHAR[]) AS marked_siren, NULL::VARCHAR AS marked_key
            UNION ALL SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[])
            UNION ALL SELECT '', NULL WHERE ?
        )
        """,
        [whole, [s for s, _ in employees], [k for _, k in employees], bool(whole or employees)],
    )


def _of_employees(table: _Table, alias: str, pseudonymised: bool) -> str:
    """The join matching the rows of `table` (named `alias`) of the employees marked alone in
    `_MARKED` (`marked.marked_siren` not NULL), their keys pseudonymised in the analysts' copy."""
    key = "marked.marked_pseudonym" if pseudonymised else "marked.marked_key"
    return (
        f"LEFT JOIN (SELECT * FROM temp.{_MARKED} WHERE marked_key IS NOT NULL) AS marked "
        f"ON marked.marked_siren = {table.company_of(alias)} AND {key} = {alias}.employee_key"
    )


def _in_parts(table: _Table, parts: str, alias: str) -> str:
    """The join matching the rows of `table` (named `alias`; a row of no company or no month
    is in the part where that is missing) in the parts `parts` selects of `_CHANGED`
    (`part.in_part` true)."""
    month = f"{alias}.{table.month}" if table.month else "NULL"
    return (
        "LEFT JOIN (SELECT DISTINCT siren AS part_siren, month AS part_month, true AS in_part "
        f"FROM {parts}) AS part ON part.part_siren IS NOT DISTINCT FROM "
        f"{table.company_of(alias) or 'NULL'} AND part.part_month IS NOT DISTINCT FROM {month}"
    )


def _copy_table(connection: duckdb.DuckDBPyConnection, table: _Table) -> None:
    expressions, comments = _select_list(table.columns)
    target = f'analyst."{table.schema}"."{table.table}"'
    connection.execute(f'CREATE SCHEMA IF NOT EXISTS analyst."{table.schema}"')
    connection.execute(f"DROP TABLE IF EXISTS {target}")
    _remember_table_pseudonyms(connection, table, f'"{table.schema}"."{table.table}"')
    connection.execute(
        f"CREATE TABLE {target} AS SELECT {', '.join(expressions)} "
        f'FROM "{table.schema}"."{table.table}" AS source_row'
    )
    connection.execute(f"COMMENT ON TABLE {target} IS {sql_literal(table.comment or '')}")
    for name, text in comments.items():
        connection.execute(f'COMMENT ON COLUMN {target}."{name}" IS {sql_literal(text)}')
