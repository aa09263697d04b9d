"""The analysts' Parquet exports read as the README tells analysts to read them, with DuckDB
(`read_parquet`, `hive_partitioning`) and with Polars (`scan_parquet`, `hive_partitioning`),
across two nights, the second bringing a company's correction (annule et remplace) of its first
month: both readers see the same rows; each month holds as many rows as the analysts' copy of
the same night (the corrected month's old rows are gone, none twice across files or
partitions); the correction shows; an employee keeps his pseudonym from night to night, and it
is the `employee_key` of the analysts' copy, which the exports are joined to."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from serving.analyst import ANALYST_EXPORTS
from tests.pipelines.landings import correction
from tests.pipelines.replay import arrivals, land, land_insurer_files, run_night, small_portfolio
from tests.pseudonym_key import use_test_pseudonym_key


def _with_duckdb(exports: Path, table: str) -> pl.DataFrame:
    files = str(exports / table / "**" / "*.parquet")
    with duckdb.connect() as connection:
        return connection.sql(
            f"SELECT * FROM read_parquet('{files}', hive_partitioning = true)"
        ).pl()


def _with_polars(exports: Path, table: str) -> pl.DataFrame:
    files = str(exports / table / "**" / "*.parquet")
    return pl.scan_parquet(files, hive_partitioning=True).collect()


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(sorted(frame.columns)).sort(pl.all(), nulls_last=True)


def _months_in_copy(analysts: Path, source: str) -> dict[str | None, int]:
    with duckdb.connect(str(analysts), read_only=True) as connection:
        rows = connection.execute(
            f"SELECT strftime(month, '%Y-%m'), count(*) FROM {source} GROUP BY ALL"
        ).fetchall()
    return dict(rows)


def _employee_keys(analysts: Path) -> set[str]:
    with duckdb.connect(str(analysts), read_only=True) as connection:
        return {
            k for (k,) in connection.execute("SELECT employee_key FROM core.employees").fetchall()
        }


def test_the_exports_read_by_duckdb_and_polars_across_a_correction_of_an_old_month(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_test_pseudonym_key(monkeypatch)
    source, landing = tmp_path / "source", tmp_path / "landing"
    small_portfolio(source)
    land_insurer_files(source, landing)
    land(source, landing, [p for paths in arrivals(source).values() for p in paths])
    warehouse = tmp_path / "nuits" / "entrepot.duckdb"
    exports, analysts = warehouse.parent / "exports", warehouse.parent / "analystes.duckdb"
    day = max(arrivals(source))
    pseudonyms: dict[str, set[str]] = {}
    january: float | Decimal | None = None  # what Polars' Series.sum returns

    for what in ("première nuit", "correction du premier mois"):
        if what.startswith("correction"):
            first = min(p for p in (source / "dsn").rglob("DSN_01_*") if p.is_file())
            correction(first, landing)
        day += timedelta(days=1)
        code, out = run_night(landing, warehouse, day)
        assert code == 0, (what, out)
        for export in ANALYST_EXPORTS:
            read = _with_duckdb(exports, export.name)
            assert_frame_equal(_sorted(read), _sorted(_with_polars(exports, export.name)))
            counted = read.group_by("month").len()
            in_exports = dict(zip(counted["month"], counted["len"], strict=True))
            assert in_exports == _months_in_copy(analysts, export.requires), (what, export.name)
            if export.employees:
                found = set(read["employee_pseudonym"])
                assert found <= _employee_keys(analysts), (what, export.name)
                assert pseudonyms.get(export.name, set()) <= found, (what, export.name)
                pseudonyms[export.name] = found
        contributions = _with_polars(exports, "contributions")
        total = contributions.filter(pl.col("month") == "2024-01")["amount"].cast(pl.Float64).sum()
        assert january is None or total == pytest.approx(january + 1), what
        january = total
