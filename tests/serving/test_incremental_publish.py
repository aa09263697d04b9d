"""The publish stages that take only what changed since their last run (`warehouse.changes`)
leave, night after night, exactly what a whole recomputation of the same night gives: a small
generated portfolio lands in arrival order, then a night with nothing new, a late file for one
company, a night far enough ahead for date-dependent anomalies to change, and a contract
reference that changes; after each night the incremental outputs are compared with those
recomputed for every company from a copy of the warehouse."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from pipelines.code_versions import CODE_VERSIONS
from pipelines.settings import PSEUDONYM_KEY_VARIABLE
from serving import analyst
from serving.analyst import (
    AnalystCandidate,
    build_analyst_candidate,
    previous_copy,
    remember_analyst_copy,
    swap_in_analyst_copy,
    write_analyst_exports,
)
from serving.comptes_rendus import write_comptes_rendus
from serving.pseudonym import pseudonym, pseudonym_key
from synthetic import generate
from tests.pipelines.replay import arrivals, land, land_insurer_files, run_night
from tests.pseudonym_key import use_test_pseudonym_key
from tests.quality.incremental_nights import BIG, ingest, signalement_nights
from tests.serving.nights import HOLD_OPEN, Night
from tests.warehouse.helpers import rows_differing
from warehouse.changes import EVERY_COMPANY, CompanyScope, changed_since, record_progress
from warehouse.connections import connect


def _files(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in root.rglob("*.json")
    }


def _comptes_rendus_recomputed(warehouse: Path, work: Path) -> dict[str, str]:
    """Every compte rendu computed from scratch on a copy of `warehouse`."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    shutil.copy(warehouse, work / "copie.duckdb")
    with connect(work / "copie.duckdb", read_only=False) as connection:
        write_comptes_rendus(connection, work / "comptes_rendus", EVERY_COMPANY)
    return _files(work / "comptes_rendus")


def _analyst_copy_rebuilt(warehouse: Path, work: Path, key: bytes) -> Path:
    """The analysts' warehouse built from scratch, under `key`, from a copy of `warehouse` in
    `work` (`work/copie.duckdb`, left there)."""
    work.mkdir(exist_ok=True)
    shutil.copy(warehouse, work / "copie.duckdb")
    with connect(work / "copie.duckdb", read_only=False) as connection:
        candidate = build_analyst_candidate(
            connection, work / "analystes.duckdb", key, EVERY_COMPANY
        )
    return candidate.path


def _catalog(connection: duckdb.DuckDBPyConnection, database: str) -> list[tuple[object, ...]]:
    return connection.execute(
        "SELECT schema_name, table_name, column_name, data_type, c.comment, t.comment "
        "FROM duckdb_columns() AS c JOIN duckdb_tables() AS t "
        "USING (database_name, schema_name, table_name) WHERE database_name = ? "
        "ORDER BY ALL",
        [database],
    ).fetchall()


def _analyst_differences(served: Path, whole: Path) -> list[str]:
    """The tables whose rows differ between two analysts' warehouses (as multisets)."""
    with duckdb.connect() as connection:
        connection.execute(f"ATTACH '{served}' AS served (READ_ONLY)")
        connection.execute(f"ATTACH '{whole}' AS whole (READ_ONLY)")
        assert _catalog(connection, "served") == _catalog(connection, "whole")
        tables = connection.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'whole'"
        ).fetchall()
        different = []
        for schema, table in tables:
            a, b = f'served."{schema}"."{table}"', f'whole."{schema}"."{table}"'
            if rows_differing(connection, a, b):
                different.append(f"{schema}.{table}")
    return different


def _ledger_fingerprints(warehouse: Path) -> set[tuple[object, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute(
            "SELECT table_name, siren, row_count, fingerprint "
            "FROM publish.analyst_copy_fingerprints WHERE table_name LIKE 'ledger.%'"
        ).fetchall()
    return set(rows)


def _anomaly_rows(warehouse: Path) -> set[tuple[object, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute(
            "SELECT file_id, declaration_id, rule_code, status, detail FROM anomalies"
        ).fetchall()
    return set(rows)


def _reference_changed(landing: Path) -> None:
    """A contract's parameter file is withdrawn: its affiliations become AFF003 anomalies."""
    sorted((landing / "reference").glob("*_S*.json"))[0].unlink()


def test_the_incremental_publish_stages_match_a_whole_recomputation_every_night(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_test_pseudonym_key(monkeypatch)
    source = tmp_path / "source"
    generate(
        source, companies=3, employees=15, months=3, start=date(2024, 1, 1), seed=3, fault_rate=0.5
    )
    landing, warehouse = tmp_path / "landing", tmp_path / "w" / "entrepot.duckdb"
    served = warehouse.parent / "comptes_rendus"
    exports = warehouse.parent / "exports"
    land_insurer_files(source, landing)
    files = [path for paths in arrivals(source).values() for path in paths]
    late = next(p for p in files if p.name.startswith("DSN_01_"))  # one company's first month
    first_night = max(arrivals(source))

    def night_of(day: date, what: str) -> None:
        code, out = run_night(landing, warehouse, day)
        assert code == 0, (what, out)
        work = tmp_path / "copie"
        assert _files(served) == _comptes_rendus_recomputed(warehouse, work), what
        key = pseudonym_key(os.environ[PSEUDONYM_KEY_VARIABLE], None, PSEUDONYM_KEY_VARIABLE)
        whole = _analyst_copy_rebuilt(warehouse, work, key)
        assert _analyst_differences(warehouse.parent / "analystes.duckdb", whole) == [], what
        write_analyst_exports(work / "copie.duckdb", work / "exports", key)
        assert _export_differences(exports, work / "exports") == [], what

    land(source, landing, [p for p in files if p != late])
    night_of(first_night, "première nuit")
    with connect(warehouse, read_only=True) as connection:
        assert not changed_since(connection, "comptes_rendus", CODE_VERSIONS["publish"]).everything
        # the next night starts from the served analysts' copy, which these fingerprints describe
        status = (warehouse.parent / "analystes.duckdb").stat()
        assert connection.execute(
            "SELECT DISTINCT copy_file FROM publish.analyst_copy_fingerprints"
        ).fetchall() == [(f"{status.st_ino}:{status.st_size}:{status.st_mtime_ns}",)]

    exported = _export_files(exports)
    night_of(first_night + timedelta(days=1), "rien de nouveau")
    # No export written again; the analysts' copy does change, the night's date alone moves
    # anomalies, dunning and the publication records (its narrow path is tested below).
    assert _export_files(exports) == exported

    served_before = len(_files(served))
    land(source, landing, [late])
    night_of(first_night + timedelta(days=2), "un fichier en retard")
    assert len(_files(served)) > served_before
    # brought up to date from the copy served two nights ago (kept beside the served one), not
    # copied from last night's: the first night's file, equal to a recomputation above
    assert (warehouse.parent / "analystes.duckdb").stat().st_ino == status.st_ino
    kept = {
        path for path, identity in _export_files(exports).items() if exported.get(path) == identity
    }
    assert kept  # the months the late file does not touch keep their files

    before = _ledger_fingerprints(warehouse)
    night_of(first_night + timedelta(days=200), "la date seule avance")
    assert _ledger_fingerprints(warehouse) != before  # due dates passed: the ledgers changed
    after_date = _anomaly_rows(warehouse)

    _reference_changed(landing)
    night_of(first_night + timedelta(days=201), "un référentiel change")
    assert _anomaly_rows(warehouse) != after_date


NOTHING_CHANGED = CompanyScope(everything=False, sirens=frozenset(), last_night=None, change_id=0)


def _publish_copy(
    warehouse: Path, target: Path, key: bytes, scope: CompanyScope
) -> AnalystCandidate:
    with connect(warehouse, read_only=False) as connection:
        candidate = build_analyst_candidate(connection, target, key, scope)
        remember_analyst_copy(connection, candidate)
    if not candidate.unchanged:
        swap_in_analyst_copy(candidate.path, target)
    return candidate


def _fingerprint_rows(warehouse: Path) -> list[tuple[object, ...]]:
    """The analysts' copy fingerprints with their row ids (rows written again get new ones)."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(
            "SELECT rowid, * FROM publish.analyst_copy_fingerprints ORDER BY rowid"
        ).fetchall()


def _identity(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_ino, status.st_mtime_ns


def _status(path: Path) -> tuple[int, int, int]:
    """`_identity` and the time of the last change of the file's status (a rename)."""
    status = path.stat()
    return status.st_ino, status.st_mtime_ns, status.st_ctime_ns


def _export_files(exports: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(exports).as_posix(): _identity(p) for p in exports.rglob("*.parquet")}


def _export_differences(exports: Path, whole: Path) -> list[str]:
    """The exports whose rows differ between two export directories (as multisets)."""
    different = []
    with duckdb.connect() as connection:
        # the hidden directories beside the tables are not read by analysts
        tables = [p.name for p in whole.iterdir() if p.is_dir() and not p.name.startswith(".")]
        for table in sorted(tables):
            written = [any((root / table).rglob("*.parquet")) for root in (exports, whole)]
            if not any(written):  # an empty table: an empty directory on both sides
                continue
            if not all(written):
                different.append(table)
                continue
            a, b = (
                f"read_parquet('{root}/{table}/*/*.parquet', hive_partitioning = true, "
                "union_by_name = true)"
                for root in (exports, whole)
            )
            if rows_differing(connection, a, b):
                different.append(table)
    return different


def _one_row_changed(warehouse: Path) -> str:
    """One contribution of one company and month changed by a cent: its month (AAAA-MM)."""
    return _one_contribution_changed(warehouse)[0]


def _one_contribution_changed(warehouse: Path) -> tuple[str, str, str]:
    """One contribution of an employee of the company of most employees changed by a cent:
    its month (AAAA-MM), company and employee."""
    with connect(warehouse, read_only=False) as connection:
        [(month, siren, employee)] = connection.execute(
            "UPDATE core.contributions SET amount = amount + 0.01 WHERE rowid = ("
            "SELECT min(rowid) FROM core.contributions WHERE left(siret, 9) = ("
            "SELECT left(siret, 9) FROM core.employee_months "
            "GROUP BY 1 ORDER BY count(DISTINCT employee_key) DESC, 1 LIMIT 1)) "
            "RETURNING strftime(month, '%Y-%m'), left(siret, 9), employee_key"
        ).fetchall()
    return str(month), str(siren), str(employee)


def _another_contribution_changed(warehouse: Path, siren: str) -> str:
    """One contribution of a company other than `siren` changed by a cent: its company."""
    with connect(warehouse, read_only=False) as connection:
        [(other,)] = connection.execute(
            "UPDATE core.contributions SET amount = amount + 0.01 WHERE rowid = ("
            "SELECT min(rowid) FROM core.contributions WHERE left(siret, 9) <> ?) "
            "RETURNING left(siret, 9)",
            [siren],
        ).fetchall()
    return str(other)


def _one_state_changed(warehouse: Path) -> None:
    """One employee's affiliation state (the affiliation stage's, no company marked) moved."""
    with connect(warehouse, read_only=False) as connection:
        connection.execute(
            "UPDATE core.affiliation_states SET status_since = status_since - 1 "
            "WHERE rowid = (SELECT min(rowid) FROM core.affiliation_states)"
        )


def test_the_analysts_copy_is_left_as_it_is_on_a_quiet_night_and_narrowly_updated_after(
    night: Night, tmp_path: Path
) -> None:
    warehouse, served = tmp_path / "entrepot.duckdb", tmp_path / "analystes.duckdb"
    shutil.copy(night.warehouse, warehouse)
    key = b"q" * 32
    first = _publish_copy(warehouse, served, key, EVERY_COMPANY)
    assert first.tables_copied == len(first.rows)

    before, kept = _identity(served), _fingerprint_rows(warehouse)
    quiet = _publish_copy(warehouse, served, key, NOTHING_CHANGED)
    assert quiet.unchanged and _identity(served) == before
    assert _fingerprint_rows(warehouse) == kept  # the same rows, not written again

    def rebuilt_equals_served() -> bool:
        rebuilt = _analyst_copy_rebuilt(warehouse, tmp_path / "entiere", key)
        return _analyst_differences(served, rebuilt) == []

    _one_state_changed(warehouse)
    narrow = _publish_copy(warehouse, served, key, NOTHING_CHANGED)
    # found by its fingerprint; in its (table, company) part the changed row alone is written:
    # the old row deleted, the new one inserted, the company's other rows kept
    assert (narrow.tables_copied, narrow.tables_updated, narrow.rows_written) == (0, 1, 2)
    assert not narrow.recycled  # no copy was served before the first one
    assert _identity(served) != before
    assert rebuilt_equals_served()

    # From now on each night brings the copy served before the served one up to date (kept
    # beside it): it writes the rows changed since that copy, two nights' changes. The same
    # contribution changes each night below: the older copy holds it as it was two nights ago,
    # one row deleted and one inserted whatever happened to it in between.
    # A company's monthly declaration loaded again: the core model marks the company, whose
    # rows are compared with the copy's; one employee's signalement: that employee alone.
    for marked, written in (("company", 2 + 2), ("employee", 2)):  # + the state's 2 rows
        _, siren, employee = _one_contribution_changed(warehouse)
        scope = replace(
            NOTHING_CHANGED,
            sirens=frozenset({siren}),
            employees=frozenset({(siren, employee)}) if marked == "employee" else frozenset(),
        )
        narrow = _publish_copy(warehouse, served, key, scope)
        assert narrow.recycled, marked
        assert (narrow.tables_copied, narrow.rows_written) == (0, written), marked
        assert rebuilt_equals_served(), marked

    # Both in one night: one company marked whole, another's employee alone.
    _, siren, employee = _one_contribution_changed(warehouse)
    other = _another_contribution_changed(warehouse, siren)
    scope = replace(
        NOTHING_CHANGED,
        sirens=frozenset({siren, other}),
        employees=frozenset({(siren, employee)}),
    )
    narrow = _publish_copy(warehouse, served, key, scope)
    assert narrow.recycled
    assert (narrow.tables_copied, narrow.rows_written) == (0, 4)
    assert rebuilt_equals_served()


def _two_copies_served(night: Night, tmp_path: Path, key: bytes) -> tuple[Path, Path, str]:
    """A copy of the published night's warehouse whose analysts' copy was published twice, a
    contribution of one company changed in between (that company marked): the served copy,
    the previous one kept beside it, and that company."""
    warehouse, served = tmp_path / "entrepot.duckdb", tmp_path / "analystes.duckdb"
    shutil.copy(night.warehouse, warehouse)
    _publish_copy(warehouse, served, key, EVERY_COMPANY)
    _, siren, _ = _one_contribution_changed(warehouse)
    second = _publish_copy(
        warehouse, served, key, replace(NOTHING_CHANGED, sirens=frozenset({siren}))
    )
    assert not second.recycled and previous_copy(served).is_file()  # the first copy, kept
    return warehouse, served, siren


def _rebuilt_equals(warehouse: Path, served: Path, work: Path, key: bytes) -> bool:
    return _analyst_differences(served, _analyst_copy_rebuilt(warehouse, work, key)) == []


def _another_company_published(
    warehouse: Path, served: Path, key: bytes, siren: str
) -> AnalystCandidate:
    """A contribution of a company other than `siren` changed, that company marked, and the
    analysts' copy published."""
    other = _another_contribution_changed(warehouse, siren)
    return _publish_copy(
        warehouse, served, key, replace(NOTHING_CHANGED, sirens=frozenset({other}))
    )


def test_the_previous_copy_brought_up_to_date_takes_the_changes_of_the_night_in_between(
    night: Night, tmp_path: Path
) -> None:
    key = b"q" * 32
    warehouse, served, siren = _two_copies_served(night, tmp_path, key)
    # Tonight another company is marked: the first copy, brought to tonight in place of a copy
    # of the served one, also lacks the change of the night in between, whose company tonight's
    # marks do not name: the marks kept with the served copy do.
    third = _another_company_published(warehouse, served, key, siren)
    assert third.recycled
    assert (third.tables_copied, third.rows_written) == (0, 2 + 2)
    assert _rebuilt_equals(warehouse, served, tmp_path / "entiere", key)

    # A quiet night compares with the served copy, tonight's: the previous copy is not even
    # taken (renamed, its status would change), and is brought up to date the night after.
    served_file, previous_file = _status(served), _status(previous_copy(served))
    quiet = _publish_copy(warehouse, served, key, NOTHING_CHANGED)
    assert quiet.unchanged and not quiet.recycled
    assert (_status(served), _status(previous_copy(served))) == (served_file, previous_file)
    # A night marking a company whose rows are as served: the previous copy, taken and found
    # behind the served one, which is tonight's, is given back as it was.
    same_rows = _publish_copy(
        warehouse, served, key, replace(NOTHING_CHANGED, sirens=frozenset({siren}))
    )
    assert same_rows.unchanged and not same_rows.recycled
    assert _identity(served) == served_file[:2]
    assert _identity(previous_copy(served)) == previous_file[:2]
    assert _another_company_published(warehouse, served, key, siren).recycled
    assert _rebuilt_equals(warehouse, served, tmp_path / "entiere-apres", key)


def test_a_previous_copy_an_analyst_holds_open_is_left_as_it_is(
    night: Night, tmp_path: Path
) -> None:
    key = b"q" * 32
    warehouse, served, siren = _two_copies_served(night, tmp_path, key)
    held = tmp_path / "tenu-ouvert.duckdb"
    os.link(previous_copy(served), held)  # the file the analyst has open, whatever its name
    before = _identity(held), held.stat().st_size
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_OPEN, str(previous_copy(served))],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ouvert"
        third = _another_company_published(warehouse, served, key, siren)
        assert not third.recycled  # the served copy copied, the one held open not written
    finally:
        holder.kill()
        holder.wait()
    assert (_identity(held), held.stat().st_size) == before
    assert _rebuilt_equals(warehouse, served, tmp_path / "entiere", key)


def test_a_swap_stopped_half_way_never_writes_into_the_served_file(
    night: Night, tmp_path: Path
) -> None:
    key = b"q" * 32
    warehouse, served, siren = _two_copies_served(night, tmp_path, key)
    # A night built its copy and kept its fingerprints, then stopped once the served file had
    # its second name (the previous copy's) and before its own copy was swapped in.
    other = _another_contribution_changed(warehouse, siren)
    tonight = replace(NOTHING_CHANGED, sirens=frozenset({other}))
    with connect(warehouse, read_only=False) as connection:
        lost = build_analyst_candidate(connection, served, key, tonight)
        remember_analyst_copy(connection, lost)
    assert lost.path != served
    previous_copy(served).unlink(missing_ok=True)  # taken by the lost copy
    os.link(served, previous_copy(served))
    lost.path.unlink()
    witness = tmp_path / "lu-par-un-analyste.duckdb"
    os.link(served, witness)  # the served file as an analyst reading it has it
    read = _identity(witness), witness.stat().st_size

    _publish_copy(warehouse, served, key, tonight)

    assert (_identity(witness), witness.stat().st_size) == read
    assert _rebuilt_equals(warehouse, served, tmp_path / "entiere", key)


def _contribution_moved(warehouse: Path, cents: int) -> tuple[str, str]:
    """The contribution `_one_contribution_changed` changes, moved by `cents`: its company and
    employee."""
    with connect(warehouse, read_only=False) as connection:
        [(siren, employee)] = connection.execute(
            "UPDATE core.contributions SET amount = amount + ? WHERE rowid = ("
            "SELECT min(rowid) FROM core.contributions WHERE left(siret, 9) = ("
            "SELECT left(siret, 9) FROM core.employee_months "
            "GROUP BY 1 ORDER BY count(DISTINCT employee_key) DESC, 1 LIMIT 1)) "
            "RETURNING left(siret, 9), employee_key",
            [cents / 100],
        ).fetchall()
    return str(siren), str(employee)


def test_a_change_undone_the_next_night_is_undone_in_the_served_copy(
    night: Night, tmp_path: Path
) -> None:
    # Tonight's rows are then those of the previous copy, not the served one: brought up to
    # date, that copy needs no write, and is tonight's copy all the same.
    key = b"q" * 32
    warehouse, served = tmp_path / "entrepot.duckdb", tmp_path / "analystes.duckdb"
    shutil.copy(night.warehouse, warehouse)
    _publish_copy(warehouse, served, key, EVERY_COMPANY)
    siren, employee = _contribution_moved(warehouse, +1)
    _publish_copy(warehouse, served, key, replace(NOTHING_CHANGED, sirens=frozenset({siren})))
    _contribution_moved(warehouse, -1)  # the employee's signalement alone marks him tonight
    employee_alone = replace(
        NOTHING_CHANGED, sirens=frozenset({siren}), employees=frozenset({(siren, employee)})
    )
    undone = _publish_copy(warehouse, served, key, employee_alone)
    assert undone.recycled and undone.rows_written == 0 and not undone.unchanged
    assert _rebuilt_equals(warehouse, served, tmp_path / "entiere", key)

    # A row no company's marks name (found by its fingerprint), moved and moved back.
    with connect(warehouse, read_only=False) as connection:
        [(state,)] = connection.execute("SELECT min(rowid) FROM core.affiliation_states").fetchall()
    for days in (-1, +1):
        with connect(warehouse, read_only=False) as connection:
            connection.execute(
                "UPDATE core.affiliation_states SET status_since = status_since + ? "
                "WHERE rowid = ?",
                [days, state],
            )
        _publish_copy(warehouse, served, key, NOTHING_CHANGED)
        assert _rebuilt_equals(warehouse, served, tmp_path / f"entiere{days}", key), days


def test_a_table_the_warehouse_drops_on_a_quiet_night_leaves_the_served_copy(
    night: Night, tmp_path: Path
) -> None:
    key = b"q" * 32
    warehouse, served = tmp_path / "entrepot.duckdb", tmp_path / "analystes.duckdb"
    shutil.copy(night.warehouse, warehouse)
    with connect(warehouse, read_only=False) as connection:
        connection.execute("CREATE TABLE reference.retiree AS SELECT 1 AS n")
    _publish_copy(warehouse, served, key, EVERY_COMPANY)
    with connect(warehouse, read_only=False) as connection:
        connection.execute("DROP TABLE reference.retiree")

    quiet = _publish_copy(warehouse, served, key, NOTHING_CHANGED)

    assert quiet.tables_dropped == 1 and not quiet.unchanged
    assert _rebuilt_equals(warehouse, served, tmp_path / "entiere", key)


# An analyst who opened a copy for writing (DuckDB's default), wrote, and whose process died:
# a WAL beside the file, the file itself as it was.
_CRASHED_WRITING = """
import os, sys, duckdb
connection = duckdb.connect(sys.argv[1])
connection.execute("UPDATE core.contributions SET amount = amount + 100")
os._exit(0)
"""


def test_a_wal_an_analyst_left_beside_the_served_copy_never_reaches_the_next_one(
    night: Night, tmp_path: Path
) -> None:
    key = b"q" * 32
    warehouse, served, siren = _two_copies_served(night, tmp_path, key)
    subprocess.run([sys.executable, "-c", _CRASHED_WRITING, str(served)], check=True)
    wal = served.with_name(served.name + ".wal")
    assert wal.is_file()
    previous_wal = previous_copy(served).with_name(previous_copy(served).name + ".wal")
    # Night 3 brings the first copy up to date; the file written into becomes the previous copy,
    # its WAL with it. Night 4 does not take it (written into), copies the served one, and the
    # file written into goes with its WAL.
    for night_number, recycled, wal_beside_previous in ((3, True, True), (4, False, False)):
        tonight = _another_company_published(warehouse, served, key, siren)
        assert tonight.recycled is recycled, night_number
        assert not wal.exists() and previous_wal.exists() is wal_beside_previous, night_number
        assert _rebuilt_equals(warehouse, served, tmp_path / f"entiere{night_number}", key)


@pytest.mark.parametrize("shared_file_rows", [None, 1], ids=["16 fichiers", "plus de fichiers"])
def test_the_exports_rewrite_only_the_files_that_changed(
    night: Night, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_file_rows: int | None
) -> None:
    if shared_file_rows:  # a month's shared rows "many": split into more files than 16
        monkeypatch.setattr(analyst, "_SHARED_FILE_ROWS", shared_file_rows)
    warehouse, exports = tmp_path / "entrepot.duckdb", tmp_path / "exports"
    shutil.copy(night.warehouse, warehouse)
    key = b"e" * 32
    written = write_analyst_exports(warehouse, exports, key)
    assert all(w.kept == 0 for w in written.values())
    files = _export_files(exports)

    quiet = write_analyst_exports(warehouse, exports, key)
    assert [w.files for w in quiet.values()] == [0] * len(quiet)
    assert _export_files(exports) == files

    month = _one_row_changed(warehouse)
    narrow = write_analyst_exports(warehouse, exports, key)
    assert {t: w.files for t, w in narrow.items() if w.files} == {"contributions": 1}
    after = _export_files(exports)
    moved = {path for path in files if after.get(path) != files[path]}
    # one file written again: that month's file of the company's share, not the month
    assert len(moved) == 1 and next(iter(moved)).startswith(f"contributions/month={month}/")
    assert len([p for p in files if p.startswith(f"contributions/month={month}/")]) > 1

    whole = write_analyst_exports(warehouse, tmp_path / "entiers", key)
    assert sum(w.rows for w in whole.values()) > 0
    assert _export_differences(exports, tmp_path / "entiers") == []

    another_key = write_analyst_exports(warehouse, exports, b"f" * 32)
    # a new key: every file written again, as from scratch
    assert {t: (w.kept, w.files) for t, w in another_key.items()} == {
        t: (0, w.files) for t, w in whole.items()
    }


def test_files_left_by_a_night_stopped_while_writing_are_not_exported(
    night: Night, tmp_path: Path
) -> None:
    warehouse, exports = tmp_path / "entrepot.duckdb", tmp_path / "exports"
    shutil.copy(night.warehouse, warehouse)
    key = b"k" * 32
    write_analyst_exports(warehouse, exports, key)
    # A night stopped while DuckDB wrote the files: one more file in each directory it writes
    # into, rows of another month, before it moved them into the export.
    stray = next((exports / "contributions").rglob("*.parquet"))
    written_into = [d for d in exports.glob(".contributions.*/month=*/*") if d.is_dir()]
    assert written_into
    for directory in written_into:
        shutil.copy(stray, directory / "data_9.parquet")

    _one_row_changed(warehouse)
    assert write_analyst_exports(warehouse, exports, key)["contributions"].files == 1
    write_analyst_exports(warehouse, tmp_path / "entiers", key)
    assert _export_differences(exports, tmp_path / "entiers") == []


def test_a_month_of_many_shared_rows_is_split_into_more_files(
    night: Night, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def files_per_month(exports: Path) -> set[int]:
        months = (exports / "contributions").glob("month=*")
        return {len(list(month.glob("lot-*.parquet"))) for month in months}

    monkeypatch.setattr(analyst, "_SHARED_FILES", 1)
    monkeypatch.setattr(analyst, "_SHARED_FILE_ROWS", 10**9)
    write_analyst_exports(night.warehouse, tmp_path / "few", b"m" * 32)
    monkeypatch.setattr(analyst, "_SHARED_FILE_ROWS", 1)
    write_analyst_exports(night.warehouse, tmp_path / "many", b"m" * 32)
    assert files_per_month(tmp_path / "few") == {1}
    assert min(files_per_month(tmp_path / "many")) > 1  # the portfolio's companies apart
    assert _export_differences(tmp_path / "few", tmp_path / "many") == []


def test_a_new_pseudonym_key_or_a_copy_changed_by_hand_is_copied_again_whole(
    night: Night, tmp_path: Path
) -> None:
    warehouse, served = tmp_path / "entrepot.duckdb", tmp_path / "analystes.duckdb"
    shutil.copy(night.warehouse, warehouse)
    _publish_copy(warehouse, served, b"a" * 32, EVERY_COMPANY)

    _publish_copy(warehouse, served, b"b" * 32, NOTHING_CHANGED)
    rebuilt = _analyst_copy_rebuilt(warehouse, tmp_path / "entiere", b"b" * 32)
    assert _analyst_differences(served, rebuilt) == []

    with duckdb.connect(str(served)) as analyst:  # an analyst writes into the served copy
        analyst.execute("DELETE FROM core.employees")
    _publish_copy(warehouse, served, b"b" * 32, NOTHING_CHANGED)
    assert _analyst_differences(served, rebuilt) == []


def _copy_and_exports_night(
    warehouse: Path, copy: Path, exports: Path, key: bytes, day: date
) -> tuple[CompanyScope, AnalystCandidate]:
    """The analysts' stage as a night runs it: the changes since it last ran."""
    with connect(warehouse, read_only=False) as connection:
        scope = changed_since(connection, "analyst_warehouse", CODE_VERSIONS["publish"])
        candidate = build_analyst_candidate(connection, copy, key, scope)
        remember_analyst_copy(connection, candidate)
        record_progress(connection, "analyst_warehouse", scope, day, CODE_VERSIONS["publish"])
    if not candidate.unchanged:
        swap_in_analyst_copy(candidate.path, copy)
    write_analyst_exports(warehouse, exports, key)
    return scope, candidate


def _rows_of(copy: Path, employees: set[str], key: bytes) -> int:
    """The rows of the analysts' copy that name one of `employees`, by pseudonym."""
    pseudonyms = [pseudonym(key, employee) for employee in employees]
    with duckdb.connect(str(copy), read_only=True) as connection:
        tables = connection.execute(
            "SELECT schema_name, table_name FROM duckdb_columns() "
            "WHERE database_name = current_database() AND column_name = 'employee_key'"
        ).fetchall()
        return sum(
            connection.execute(
                f'SELECT count(*) FROM "{schema}"."{table}" WHERE employee_key IN ?', [pseudonyms]
            ).fetchall()[0][0]
            for schema, table in tables
        )


def test_signalements_of_a_big_company_write_their_employees_rows_and_files_alone(
    tmp_path: Path,
) -> None:
    late = signalement_nights(tmp_path / "nuits")
    warehouse, copy, exports = (tmp_path / n for n in ("entrepot.duckdb", "copie", "exports"))
    copy = copy.with_suffix(".duckdb")
    key = b"s" * 32

    def night(what: str) -> tuple[CompanyScope, AnalystCandidate, dict[str, tuple[int, int]]]:
        before = _export_files(exports) if exports.exists() else {}
        ingest(warehouse, late.landing, tmp_path / "quarantine")
        scope, candidate = _copy_and_exports_night(warehouse, copy, exports, key, late.day)
        whole = _analyst_copy_rebuilt(warehouse, tmp_path / "entiere", key)
        assert _analyst_differences(copy, whole) == [], what
        write_analyst_exports(tmp_path / "entiere" / "copie.duckdb", tmp_path / "ent", key)
        assert _export_differences(exports, tmp_path / "ent") == [], what
        shutil.rmtree(tmp_path / "ent")
        after = _export_files(exports)
        moved = {p: i for p, i in after.items() if before.get(p) != i}
        return scope, candidate, moved

    night("première nuit")
    narrowed = 0
    for signalement in [p for p in late.signalements if BIG in p.name][:4]:
        land(late.source, late.landing, [signalement])
        scope, candidate, moved = night(signalement.name)
        employees = {k for siren, k in scope.employees if siren == BIG}
        if not employees:  # an identity change or a new employee: the company is marked whole
            continue
        narrowed += 1
        # his rows written again, at most: the old ones deleted and the new ones inserted
        assert candidate.tables_copied == 0
        assert candidate.rows_written <= 2 * _rows_of(copy, employees, key), signalement.name
        # a signalement declares no month: of each export, its file of the rows without a
        # month and the company's share, no monthly file
        assert {p.split("/")[1] for p in moved} <= {"month=__HIVE_DEFAULT_PARTITION__"}, moved
        assert len(moved) <= len({p.split("/")[0] for p in moved}), moved
    assert narrowed

    land(late.source, late.landing, [late.held_back])
    _, candidate, moved = night("une DSN mensuelle d'une autre entreprise")
    assert candidate.tables_copied == 0
    # that company's month only: in each export, files of that month
    assert len({p.split("/")[1] for p in moved}) == 1, moved

    _reference_changed(late.landing)
    night("un fichier de paramètres de contrat retiré")
