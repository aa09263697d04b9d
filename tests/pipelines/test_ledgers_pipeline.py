"""The ledger assets in a night: a generated portfolio's landing directory through the ingestion
and ledger assets (Dagster, in process), then the `ledger.*` tables compared with the
generator's truth, the identities checked in SQL, a re-run, and the Excel export read back."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import cast

import dagster as dg
import duckdb
import openpyxl
import polars as pl
import pytest

from ledgers.store import LEDGER_TABLES
from pipelines.cli import main
from pipelines.ingestion.assets import INGESTION_ASSETS
from pipelines.ingestion.checks import INGESTION_CHECKS
from pipelines.ledgers.assets import LEDGER_ASSETS
from pipelines.ledgers.checks import LEDGER_CHECKS, ledger_checks
from pipelines.resources import pipeline_resources
from pipelines.settings import Settings
from synthetic.generation import generate
from warehouse.connections import connect

AMOUNT = pl.Decimal(18, 2)


@dataclass(frozen=True)
class Night:
    landing: Path
    warehouse: Path
    result: dg.ExecuteInProcessResult


def materialize_night(
    landing: Path, warehouse: Path, assets: list[object]
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        assets,  # type: ignore[arg-type]
        resources=pipeline_resources(Settings(landing, warehouse, warehouse.parent / "quarantine")),
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory) -> Night:
    root = tmp_path_factory.mktemp("ledger_night")
    landing = root / "landing"
    # a seed whose bank files hold every scenario and two repeated lines; the organismes'
    # collection accounts and the SEPA mandates come with the contract parameter files
    generate(landing, companies=8, employees=60, months=12, seed=10)
    warehouse = root / "entrepot.duckdb"
    result = materialize_night(
        landing, warehouse, [*INGESTION_ASSETS, *INGESTION_CHECKS, *LEDGER_ASSETS, *LEDGER_CHECKS]
    )
    return Night(landing, warehouse, result)


def _frame(connection: duckdb.DuckDBPyConnection, sql: str) -> pl.DataFrame:
    frame = pl.from_arrow(connection.sql(sql).to_arrow_table())
    assert isinstance(frame, pl.DataFrame)
    return frame


def _per_line(frame: pl.DataFrame) -> pl.DataFrame:
    return (
        frame.with_columns(pl.col("contract_reference", "period").fill_null(""))
        .group_by("bank_line_id", "contract_reference", "period")
        .agg(pl.col("amount").sum())
        .filter(pl.col("amount") != 0)
    )


def test_the_night_succeeds_with_its_blocking_checks_passed(night: Night) -> None:
    assert night.result.success
    evaluations = {e.check_name: e.passed for e in night.result.get_asset_check_evaluations()}
    assert evaluations["company_identity_breaks"] is True
    assert evaluations["bank_identity_breaks"] is True


def test_at_least_99_percent_of_bank_lines_go_to_the_calls_the_truth_names(night: Night) -> None:
    truth = pl.read_csv(
        night.landing / "truth" / "bank_allocations.csv", infer_schema=False
    ).with_columns(pl.col("amount").str.to_decimal(scale=2).cast(AMOUNT))
    with connect(night.warehouse) as connection:
        # the generator's line id is the bank's reference: camt AcctSvcrRef, CFONB reference zone
        ours = _frame(
            connection,
            """
            SELECT a.contract_reference, a.period_code AS period, a.amount, l.bank_line_id
            FROM ledger.allocations AS a
            JOIN (
                SELECT DISTINCT movement_id, coalesce(account_servicer_reference,
                    split_part(entry_reference, '/', -1)) AS bank_line_id
                FROM staging.bank_transactions
            ) AS l USING (movement_id)
            """,
        )
    compared = _per_line(truth).join(
        _per_line(ours),
        on=["bank_line_id", "contract_reference", "period"],
        how="full",
        coalesce=True,
        suffix="_ours",
    )
    lines = compared.group_by("bank_line_id").agg(
        (pl.col("amount") == pl.col("amount_ours")).fill_null(False).all().alias("right")
    )
    right = int(lines["right"].sum())
    print(f"{right}/{lines.height} lignes bancaires bien affectées")
    assert lines.height == truth["bank_line_id"].n_unique()
    assert right >= 0.99 * lines.height, compared.filter(
        pl.col("bank_line_id").is_in(lines.filter(~pl.col("right"))["bank_line_id"].to_list())
    )


def test_the_identities_hold_to_the_cent_in_the_tables(night: Night) -> None:
    with connect(night.warehouse) as connection:
        company_gaps = connection.execute(
            """
            WITH due AS (
                SELECT siren, sum(declared) AS calls_total FROM ledger.calls GROUP BY siren
            ),
            paid AS (
                SELECT siren, sum(amount) AS allocated_total FROM ledger.allocations
                WHERE call_id IS NOT NULL GROUP BY siren
            )
            SELECT b.siren,
                coalesce(calls_total, 0) - coalesce(allocated_total, 0) - b.balance AS gap
            FROM ledger.company_balances AS b
            LEFT JOIN due USING (siren) LEFT JOIN paid USING (siren)
            WHERE b.siren IS NOT NULL
            """
        ).fetchall()
        bank, allocated, unallocated = connection.execute(
            """
            SELECT (SELECT sum(amount) FROM ledger.movements),
                (SELECT sum(amount) FROM ledger.allocations WHERE call_id IS NOT NULL),
                (SELECT sum(amount) FROM ledger.unallocated_credit)
            """
        ).fetchone() or (None, None, None)
        companies = connection.execute("SELECT count(*) FROM core.companies").fetchone()
        # a company's whole-history statement ends on its net position
        statement_gaps = connection.execute(
            """
            SELECT s.siren, s.balance, b.net_position
            FROM ledger.statement_lines AS s JOIN ledger.company_balances AS b USING (siren)
            QUALIFY s.line_number = max(s.line_number) OVER (PARTITION BY s.siren)
            """
        ).fetchall()
    assert len(company_gaps) == (companies[0] if companies else 0)
    assert all(gap == 0 for _, gap in company_gaps), company_gaps
    assert bank == allocated + unallocated
    assert len(statement_gaps) == len(company_gaps)
    assert all(balance == net for _, balance, net in statement_gaps), statement_gaps
    assert unallocated > 0  # the overpayments stay visible as credit


def _snapshot(warehouse: Path) -> dict[str, list[tuple[object, ...]]]:
    with connect(warehouse) as connection:
        return {
            table: connection.execute(f"SELECT * FROM ledger.{table} ORDER BY ALL").fetchall()
            for table in LEDGER_TABLES
        }


def test_running_the_ledgers_again_gives_identical_tables(night: Night) -> None:
    before = _snapshot(night.warehouse)
    again = materialize_night(night.landing, night.warehouse, [*LEDGER_ASSETS, *LEDGER_CHECKS])
    assert again.success
    assert _snapshot(night.warehouse) == before


def test_the_excel_statement_matches_the_ledger_tables(night: Night, tmp_path: Path) -> None:
    with connect(night.warehouse) as connection:
        row = connection.execute(
            "SELECT siren FROM ledger.calls GROUP BY siren ORDER BY count(*) DESC, siren LIMIT 1"
        ).fetchone()
        assert row is not None
        siren: str = row[0]
        start, end = date(2025, 4, 1), date(2025, 9, 30)

        def balance_on(day: date) -> Decimal:
            due, paid = connection.execute(
                """
                SELECT (SELECT coalesce(sum(declared), 0) FROM ledger.calls
                        WHERE siren = $siren AND due_date <= $day),
                    (SELECT coalesce(sum(amount), 0) FROM ledger.allocations
                        WHERE siren = $siren AND date <= $day)
                """,
                {"siren": siren, "day": day},
            ).fetchone() or (0, 0)
            return Decimal(due) - Decimal(paid)

        entries = connection.execute(
            """
            SELECT (SELECT count(*) FROM ledger.calls
                    WHERE siren = $siren AND due_date BETWEEN $start AND $end)
                + (SELECT count(*) FROM ledger.allocations
                    WHERE siren = $siren AND date BETWEEN $start AND $end)
            """,
            {"siren": siren, "start": start, "end": end},
        ).fetchone()
        opening, closing = balance_on(date(2025, 3, 31)), balance_on(end)
    out = tmp_path / "situation.xlsx"
    code = main(
        [
            "export",
            "statement",
            "--siren",
            siren,
            "--from",
            start.isoformat(),
            "--to",
            end.isoformat(),
            "--out",
            str(out),
            "--warehouse",
            str(night.warehouse),
        ]
    )
    assert code == 0
    sheet = openpyxl.load_workbook(out).active
    assert sheet is not None
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    assert rows[0] == (
        "Date",
        "Libellé",
        "Contrat",
        "Période",
        "Débit (€)",
        "Crédit (€)",
        "Solde (€)",
    )
    lines = rows[1:]
    assert entries is not None and len(lines) == 1 + entries[0]
    assert round(Decimal(str(lines[0][6])), 2) == opening
    assert round(Decimal(str(lines[-1][6])), 2) == closing
    movement = sum(Decimal(str(r[4] or 0)) - Decimal(str(r[5] or 0)) for r in lines[1:])
    assert round(opening + movement, 2) == closing
    assert all(start <= r[0].date() <= end for r in lines)


def test_the_export_refuses_an_unknown_company_and_a_bad_siren(
    night: Night, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "rien.xlsx"
    args = ["--from", "2025-01-01", "--to", "2025-12-31", "--out", str(out)]
    assert main(["export", "statement", "--siren", "732829320", *args,
                 "--warehouse", str(night.warehouse)]) == 1  # fmt: skip
    assert "Aucune cotisation" in capsys.readouterr().out
    assert not out.exists()
    with pytest.raises(SystemExit):
        main(["export", "statement", "--siren", "123456789", *args])
    assert "SIREN invalide" in capsys.readouterr().err


@pytest.mark.bench
def test_bench_ledger_step_against_ingestion(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    generate(landing, seed=10)  # the CLI's default portfolio
    warehouse = tmp_path / "entrepot.duckdb"
    started = time.perf_counter()
    assert materialize_night(landing, warehouse, [*INGESTION_ASSETS, *INGESTION_CHECKS]).success
    ingestion = time.perf_counter() - started
    started = time.perf_counter()
    assert materialize_night(landing, warehouse, [*LEDGER_ASSETS, *LEDGER_CHECKS]).success
    ledgers = time.perf_counter() - started
    print(
        f"ingestion {ingestion:.1f} s, ledgers with checks {ledgers:.1f} s "
        f"(ratio {ledgers / ingestion:.3f})"
    )


def test_a_broken_identity_fails_its_own_check_among_the_three_of_one_step(
    night: Night, tmp_path: Path
) -> None:
    # The three ledger checks run in one step (`ledger_checks`): each still says its own verdict.
    warehouse = tmp_path / "entrepot.duckdb"
    warehouse.write_bytes(night.warehouse.read_bytes())
    with connect(warehouse, read_only=False) as connection:
        [(siren,)] = connection.execute("SELECT min(siren) FROM ledger.company_balances").fetchall()
        connection.execute(
            "UPDATE ledger.company_balances SET balance = balance + 1 WHERE siren = ?", [siren]
        )
    resources = pipeline_resources(Settings(night.landing, warehouse, tmp_path / "quarantine"))
    yielded = ledger_checks(
        warehouse=resources["warehouse"], night=resources["night"], publish=resources["publish"]
    )
    results = {r.check_name: r for r in cast(Iterator[dg.AssetCheckResult], yielded)}
    assert set(results) == {
        "company_identity_breaks",
        "bank_identity_breaks",
        "reference_files_present",
    }
    assert not results["company_identity_breaks"].passed
    assert results["company_identity_breaks"].metadata["examples"].value == siren
    assert results["bank_identity_breaks"].passed
