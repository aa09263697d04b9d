"""The publish stages that take only what changed since their last run (`warehouse.changes`)
leave, night after night, exactly what a whole recomputation of the same night gives: a small
generated portfolio lands in arrival order, then a night with nothing new, a late file for one
company, a night far enough ahead for date-dependent anomalies to change, and a contract
reference that changes; after each night the incremental outputs are compared with those
recomputed for every company from a copy of the warehouse."""

from __future__ import annotations

import os
import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from pipelines.code_versions import CODE_VERSIONS
from pipelines.settings import PSEUDONYM_KEY_VARIABLE
from serving.analyst import build_analyst_candidate, remember_analyst_copy
from serving.comptes_rendus import write_comptes_rendus
from serving.pseudonym import pseudonym_key
from serving.snapshot import swap_in
from synthetic import generate
from tests.pipelines.replay import arrivals, land, run_night
from tests.serving.nights import Night
from warehouse.changes import EVERY_COMPANY, CompanyScope, changed_since
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


def _analyst_copy_recomputed(warehouse: Path, work: Path) -> Path:
    """The analysts' warehouse built from scratch from a copy of `warehouse`."""
    key = pseudonym_key(os.environ[PSEUDONYM_KEY_VARIABLE], None, PSEUDONYM_KEY_VARIABLE)
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
            [(count,)] = connection.execute(
                f"SELECT count(*) FROM ((FROM {a} EXCEPT ALL FROM {b}) "
                f"UNION ALL (FROM {b} EXCEPT ALL FROM {a}))"
            ).fetchall()
            if count:
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
    monkeypatch.setenv("DSNPIPE_PSEUDONYM_KEY", "clé de test, pas un secret : " + "x" * 32)
    source = tmp_path / "source"
    generate(
        source, companies=3, employees=15, months=3, start=date(2024, 1, 1), seed=3, fault_rate=0.5
    )
    landing, warehouse = tmp_path / "landing", tmp_path / "w" / "entrepot.duckdb"
    served = warehouse.parent / "comptes_rendus"
    for kind in ("reference", "portal"):
        shutil.copytree(source / kind, landing / kind)
    files = [path for paths in arrivals(source).values() for path in paths]
    late = next(p for p in files if p.name.startswith("DSN_01_"))  # one company's first month
    first_night = max(arrivals(source))

    def night_of(day: date, what: str) -> None:
        code, out = run_night(landing, warehouse, day)
        assert code == 0, (what, out)
        work = tmp_path / "copie"
        assert _files(served) == _comptes_rendus_recomputed(warehouse, work), what
        whole = _analyst_copy_recomputed(warehouse, work)
        assert _analyst_differences(warehouse.parent / "analystes.duckdb", whole) == [], what

    land(source, landing, [p for p in files if p != late])
    night_of(first_night, "première nuit")
    with connect(warehouse, read_only=True) as connection:
        assert not changed_since(connection, "comptes_rendus", CODE_VERSIONS["publish"]).everything
        # the next night starts from the served analysts' copy, which these fingerprints describe
        status = (warehouse.parent / "analystes.duckdb").stat()
        assert connection.execute(
            "SELECT DISTINCT copy_file FROM publish.analyst_copy_fingerprints"
        ).fetchall() == [(f"{status.st_ino}:{status.st_size}:{status.st_mtime_ns}",)]

    night_of(first_night + timedelta(days=1), "rien de nouveau")

    before = len(_files(served))
    land(source, landing, [late])
    night_of(first_night + timedelta(days=2), "un fichier en retard")
    assert len(_files(served)) > before

    before = _ledger_fingerprints(warehouse)
    night_of(first_night + timedelta(days=200), "la date seule avance")
    assert _ledger_fingerprints(warehouse) != before  # due dates passed: the ledgers changed
    after_date = _anomaly_rows(warehouse)

    _reference_changed(landing)
    night_of(first_night + timedelta(days=201), "un référentiel change")
    assert _anomaly_rows(warehouse) != after_date


NOTHING_CHANGED = CompanyScope(everything=False, sirens=frozenset(), last_night=None, change_id=0)


def _publish_copy(warehouse: Path, target: Path, key: bytes, scope: CompanyScope) -> None:
    with connect(warehouse, read_only=False) as connection:
        candidate = build_analyst_candidate(connection, target, key, scope)
        remember_analyst_copy(connection, candidate)
    swap_in(candidate.path, target)


def test_a_new_pseudonym_key_or_a_copy_changed_by_hand_is_copied_again_whole(
    night: Night, tmp_path: Path
) -> None:
    warehouse, served = tmp_path / "entrepot.duckdb", tmp_path / "analystes.duckdb"
    shutil.copy(night.warehouse, warehouse)
    _publish_copy(warehouse, served, b"a" * 32, EVERY_COMPANY)

    _publish_copy(warehouse, served, b"b" * 32, NOTHING_CHANGED)
    whole = tmp_path / "entiere"
    whole.mkdir()
    shutil.copy(warehouse, whole / "copie.duckdb")
    with connect(whole / "copie.duckdb", read_only=False) as connection:
        rebuilt = build_analyst_candidate(
            connection, whole / "analystes.duckdb", b"b" * 32, EVERY_COMPANY
        )
    assert _analyst_differences(served, rebuilt.path) == []

    with duckdb.connect(str(served)) as analyst:  # an analyst writes into the served copy
        analyst.execute("DELETE FROM core.employees")
    _publish_copy(warehouse, served, b"b" * 32, NOTHING_CHANGED)
    assert _analyst_differences(served, rebuilt.path) == []
