"""A compte rendu deleted by hand comes back the next night, though its declaration's inputs
did not change (`serving.comptes_rendus`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from serving.comptes_rendus import write_comptes_rendus
from warehouse.changes import EVERY_COMPANY, CompanyScope
from warehouse.migrations import apply_migrations

NOTHING_CHANGED = CompanyScope(False, frozenset(), date(2025, 4, 15), 1)


@pytest.fixture
def connection() -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(":memory:") as con:
        apply_migrations(con)
        for number, siret in enumerate(("12345678900011", "98765432100022"), start=1):
            file_id = f"{number:064x}"
            con.execute(
                """
                INSERT INTO registry.files (file_id, kind, size, original_name, landing_path,
                    received_at, status, processed_at)
                VALUES (?, 'dsn', 10, ?, ?, ?, 'loaded', ?)
                """,
                [
                    file_id,
                    f"dsn{number}.txt",
                    f"dsn{number}.txt",
                    datetime(2025, 4, 5),
                    datetime(2025, 4, 5),
                ],
            )
            con.execute(
                """
                INSERT INTO staging.declarations (file_id, declaration_id, nature, type, month,
                    built_on, siren, siret, status)
                VALUES (?, 1, '01', '01', DATE '2025-03-01', DATE '2025-04-05', ?, ?, 0)
                """,
                [file_id, siret[:9], siret],
            )
        yield con


def _files(root: Path) -> dict[Path, str]:
    return {p.relative_to(root): p.read_text(encoding="utf-8") for p in root.rglob("*.json")}


def test_a_deleted_compte_rendu_is_written_again_the_next_night(
    connection: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    out = tmp_path / "comptes_rendus"
    assert write_comptes_rendus(connection, out, EVERY_COMPANY) == 2
    written = _files(out)
    assert write_comptes_rendus(connection, out, NOTHING_CHANGED) == 0
    deleted = sorted(written)[0]
    (out / deleted).unlink()

    assert write_comptes_rendus(connection, out, NOTHING_CHANGED) == 1
    assert _files(out) == written
