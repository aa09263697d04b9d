"""Exports: the employees Excel file of a company, and the analyst Parquet files that must never
carry a NIR, a name or an IBAN."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import openpyxl
import polars as pl
import pytest

from pipelines.cli import main
from pipelines.publish.assets import PUBLISH_ASSETS
from pipelines.publish.checks import PUBLISH_CHECKS
from pipelines.settings import PSEUDONYM_KEY_VARIABLE as KEY_VARIABLE
from serving.analyst import write_analyst_exports
from serving.pseudonym import MissingPseudonymKeyError, pseudonym_key
from tests.serving.nights import Night, materialize_night
from warehouse.connections import connect


def _personal_values(warehouse: Path) -> set[str]:
    with connect(warehouse) as connection:
        rows = connection.execute(
            """
            SELECT nir FROM core.employees WHERE nir IS NOT NULL
            UNION SELECT last_name FROM core.employees WHERE length(last_name) > 3
            UNION SELECT iban FROM core.declared_payments WHERE iban IS NOT NULL
            UNION SELECT employee_key FROM core.employees
            """
        ).fetchall()
    return {row[0] for row in rows}


def _every_text_value(parquet_dir: Path) -> set[str]:
    values: set[str] = set()
    for path in parquet_dir.rglob("*.parquet"):
        relation = duckdb.read_parquet(str(path))
        for column in relation.columns:
            for (value,) in relation.select(f'CAST("{column}" AS VARCHAR)').fetchall():
                if value is not None:
                    values.add(value)
    return values


def test_no_nir_name_or_iban_in_any_analyst_export(night: Night) -> None:
    personal = _personal_values(night.warehouse)
    assert len(personal) > 20  # the portfolio has employees, so the test can fail
    exported = _every_text_value(night.exports)
    assert exported, "no analyst export was written"
    assert not personal & exported
    assert not [v for v in exported for p in personal if len(p) >= 9 and p in v]
    tables = {p.name for p in night.exports.iterdir()}
    assert {"contributions", "affiliations", "employee_months"} <= tables


def test_no_nir_in_the_comptes_rendus_nor_in_the_data_docs(night: Night) -> None:
    nirs = {p for p in _personal_values(night.warehouse) if p.isdigit() and len(p) == 13}
    assert nirs
    files = [
        *(night.root / "comptes_rendus").rglob("*.json"),
        *(night.root / "data_docs").rglob("*.html"),
        *(night.root / "data_docs").rglob("*.json"),
    ]
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert not [nir for nir in nirs if nir in text], path


def test_analyst_exports_are_partitioned_by_month(night: Night) -> None:
    months = sorted(p.name for p in (night.exports / "contributions").iterdir())
    assert months and all(m.startswith("month=20") for m in months)
    with connect(night.warehouse) as connection:
        declared = connection.execute(
            "SELECT DISTINCT strftime(month, '%Y-%m') FROM core.contributions ORDER BY 1"
        ).fetchall()
    assert months == [f"month={m}" for (m,) in declared]


def test_the_same_employee_has_the_same_pseudonym_only_under_the_same_key(
    night: Night, tmp_path: Path
) -> None:
    def pseudonyms(key: bytes, out: Path) -> set[str]:
        write_analyst_exports(night.warehouse, out, key)
        with duckdb.connect() as connection:
            rows = connection.execute(
                "SELECT DISTINCT employee_pseudonym FROM read_parquet(?)",
                [f"{out}/employee_months/*/*.parquet"],
            ).fetchall()
        return {row[0] for row in rows}

    first = pseudonyms(b"k" * 32, tmp_path / "a")
    assert first == pseudonyms(b"k" * 32, tmp_path / "b")
    assert not first & pseudonyms(b"z" * 32, tmp_path / "c")


def test_an_export_without_rows_tonight_is_read_by_polars_with_its_columns(
    night: Night, tmp_path: Path
) -> None:
    """As the README reads them: `pl.scan_parquet("exports/<table>/**/*.parquet")`, also on the
    night a table has no rows (it used to be an empty directory, which Polars refuses), and
    again once rows come back."""
    warehouse, exports = tmp_path / "entrepot.duckdb", tmp_path / "exports"
    shutil.copy(night.warehouse, warehouse)

    def read() -> pl.DataFrame:
        files = str(exports / "contributions" / "**" / "*.parquet")
        return pl.scan_parquet(files, hive_partitioning=True).collect()

    write_analyst_exports(warehouse, exports, b"v" * 32)
    columns = read().columns
    with connect(warehouse, read_only=False) as connection:
        connection.execute("CREATE TABLE kept AS FROM core.contributions")
        connection.execute("DELETE FROM core.contributions")
    write_analyst_exports(warehouse, exports, b"v" * 32)
    empty = read()
    assert (empty.height, empty.columns) == (0, columns)
    assert write_analyst_exports(warehouse, exports, b"v" * 32)["contributions"].files == 0

    with connect(warehouse, read_only=False) as connection:
        connection.execute("INSERT INTO core.contributions FROM kept")
    write_analyst_exports(warehouse, exports, b"v" * 32)
    with connect(warehouse) as connection:
        [(declared,)] = connection.execute("SELECT count(*) FROM core.contributions").fetchall()
    assert read().height == declared > 0


def test_without_a_key_the_analyst_exports_are_refused_in_french() -> None:
    with pytest.raises(
        MissingPseudonymKeyError, match=f"Clé de pseudonymisation absente.*{KEY_VARIABLE}"
    ):
        pseudonym_key(None, None, KEY_VARIABLE)


def test_the_demo_key_file_is_private(tmp_path: Path) -> None:
    key_file = tmp_path / "pseudonym.key"
    key = pseudonym_key(None, key_file, KEY_VARIABLE)
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert pseudonym_key(None, key_file, KEY_VARIABLE) == key  # stable across nights
    # the secret from the environment wins
    secret = "secret-de-production-" + "p" * 11
    assert pseudonym_key(secret, key_file, KEY_VARIABLE) == secret.encode()


def test_export_employees_writes_the_company_list_as_the_portal_shows_it(
    night: Night, tmp_path: Path
) -> None:
    with duckdb.connect(str(night.serving), read_only=True) as serving:
        siren, contracts = serving.execute(
            "SELECT siren, count(*) FROM portal_v1.employees GROUP BY siren ORDER BY siren LIMIT 1"
        ).fetchone()  # type: ignore[misc]
        nirs = {
            row[0]
            for row in serving.execute(
                "SELECT nir FROM portal_v1.employees WHERE siren = ? AND nir IS NOT NULL", [siren]
            ).fetchall()
        }
        states = serving.execute(
            "SELECT count(*) FROM portal_v1.affiliation_states WHERE siren = ?", [siren]
        ).fetchone()
    out = tmp_path / "salaries.xlsx"
    code = main(
        [
            "export",
            "employees",
            "--warehouse",
            str(night.warehouse),
            "--siren",
            siren,
            "--out",
            str(out),
        ]
    )
    assert code == 0
    sheet = openpyxl.load_workbook(out).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert siren in str(rows[0][0])
    header = rows[2]
    assert header[:3] == ("Nom", "Prénoms", "NIR")
    body = rows[3:]
    assert len(body) == contracts
    assert {row[2] for row in body if row[2]} == nirs  # NIR kept as text, leading digits intact
    start = header.index("Début du contrat")
    assert all(isinstance(row[start], datetime) for row in body)
    affiliations = header.index("Affiliations (contrat : état)")
    if states and states[0]:
        assert any(row[affiliations] for row in body)


def test_export_employees_of_an_unknown_company_is_a_clear_error(
    night: Night, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "export",
            "employees",
            "--warehouse",
            str(night.warehouse),
            "--siren",
            "732829320",
            "--out",
            str(tmp_path / "x.xlsx"),
        ]
    )
    assert code == 1
    assert "SIREN 732829320 inconnu" in capsys.readouterr().out
    assert not (tmp_path / "x.xlsx").exists()


def test_a_night_without_key_publishes_the_portal_but_not_the_exports(
    night: Night, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_VARIABLE, raising=False)
    warehouse = tmp_path / night.warehouse.name
    shutil.copy(night.warehouse, warehouse)
    result = materialize_night(night.landing, warehouse, [*PUBLISH_ASSETS, *PUBLISH_CHECKS])
    assert result.success
    materialized = {
        key.to_user_string()
        for e in result.get_asset_materialization_events()
        if (key := e.asset_key) is not None
    }
    assert "serving_snapshot" in materialized
    assert "analyst_exports_by_month" not in materialized
    assert not (tmp_path / "exports").exists()
