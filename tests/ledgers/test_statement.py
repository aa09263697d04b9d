"""The account statement for a date range, as a frame and as an Excel file read back."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import openpyxl
import polars as pl

from ledgers.statement import account_statement, account_statements, write_statement_excel
from tests.ledgers.ledger_frames import (
    ACME,
    ACME_IBAN,
    BETA,
    allocate,
    d,
    monthly_calls,
    movement,
    movements,
)

JAN, FEB, MAR = date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)


def _ledger():
    calls = monthly_calls({JAN: "100.00", FEB: "110.00", MAR: "95.00"})
    bank = movements(
        movement("jan", "100.00", date(2024, 2, 10), remittance_lines=["C1-2024M01"]),
        movement(
            "feb",
            "110.00",
            date(2024, 3, 14),
            remittance_lines=["C1-2024M02"],
            end_to_end_id="DD-FEB",
            debtor_iban=ACME_IBAN,
        ),
        movement(
            "ret", "-110.00", date(2024, 3, 25), end_to_end_id="DD-FEB", debtor_iban=ACME_IBAN
        ),
        movement("mar", "120.00", date(2024, 4, 12), remittance_lines=["C1-2024M03"]),
    )
    return calls, allocate(calls, bank).allocations


def test_statement_lines_and_running_balance() -> None:
    calls, allocations = _ledger()
    lines = account_statement(calls, allocations, ACME, date(2024, 3, 1), date(2024, 4, 30))
    as_tuples = [
        (r["date"], r["label"], r["period_code"], r["debit"], r["credit"], r["balance"])
        for r in lines.to_dicts()
    ]
    assert as_tuples == [
        # before March: January called (100) and paid (100), nothing owed
        (date(2024, 3, 1), "Solde au 01/03/2024", None, None, None, d("0.00")),
        (date(2024, 3, 14), "Paiement reçu", "2024M02", None, d("110.00"), d("-110.00")),
        (
            date(2024, 3, 15),
            "Cotisations du 01/02/2024 au 29/02/2024 – population CAD",
            "2024M02",
            d("110.00"),
            None,
            d("0.00"),
        ),
        (
            date(2024, 3, 25),
            "Rejet de prélèvement (paiement retourné)",
            "2024M02",
            d("110.00"),
            None,
            d("110.00"),
        ),
        (date(2024, 4, 12), "Paiement reçu", "2024M03", None, d("95.00"), d("15.00")),
        (
            date(2024, 4, 12),
            "Paiement non affecté (crédit disponible)",
            None,
            None,
            d("25.00"),
            d("-10.00"),
        ),
        (
            date(2024, 4, 15),
            "Cotisations du 01/03/2024 au 31/03/2024 – population CAD",
            "2024M03",
            d("95.00"),
            None,
            d("85.00"),
        ),
    ]
    assert set(lines["contract_reference"].drop_nulls()) == {"C1"}


def test_statement_of_a_range_with_nothing_shows_the_opening_balance_only() -> None:
    calls, allocations = _ledger()
    lines = account_statement(calls, allocations, ACME, date(2025, 1, 1), date(2025, 1, 31))
    assert lines.height == 1
    assert lines.row(0, named=True)["balance"] == d("85.00")  # 305 called − 220 kept


def test_excel_statement_reads_back_with_french_headers_and_numbers(tmp_path: Path) -> None:
    calls, allocations = _ledger()
    start, end = date(2024, 1, 1), date(2024, 4, 30)
    lines = account_statement(calls, allocations, ACME, start, end)
    path = write_statement_excel(
        lines,
        tmp_path / "situation.xlsx",
        siren=ACME,
        start=start,
        end=end,
        company_name="ACME INDUSTRIE",
    )
    sheet = openpyxl.load_workbook(path).active
    assert sheet.title == "Situation de compte"
    assert sheet["A1"].value == f"Situation de compte – ACME INDUSTRIE – SIREN {ACME}"
    assert sheet["A2"].value == "Du 01/01/2024 au 30/04/2024"
    headers = [c.value for c in sheet[4]]
    assert headers == [
        "Date",
        "Libellé",
        "Contrat",
        "Période",
        "Débit (€)",
        "Crédit (€)",
        "Solde (€)",
    ]
    assert sheet.freeze_panes == "A5"
    rows = list(sheet.iter_rows(min_row=5, values_only=True))
    assert len(rows) == lines.height
    first_call = rows[1]
    assert first_call[0] == datetime(2024, 2, 10)  # payment of January before its due date
    by_label = [r for r in rows if r[1] and r[1].startswith("Cotisations du 01/01/2024")]
    [january] = by_label
    assert (january[2], january[3], january[4]) == ("C1", "du 01/01/2024 au 31/01/2024", 100.0)
    assert sheet.cell(row=5 + 1, column=6).number_format == "#,##0.00"
    assert sheet.cell(row=5, column=1).number_format == "dd/mm/yyyy"
    last_balance = rows[-1][6]
    assert round(last_balance, 2) == float(lines["balance"][-1]) == 85.0
    credit_total = sum(r[5] or 0 for r in rows)
    expected = lines.select(pl.col("credit").sum()).item()
    assert round(credit_total, 2) == float(expected)


def test_statements_of_several_companies_at_once_are_each_companys_own() -> None:
    """The night writes every recomputed company's statement in one pass: each is the one
    `account_statement` gives for that company alone, numbered from 1, its opening balance its
    own."""
    acme_calls, acme_allocations = _ledger()
    calls = pl.concat([monthly_calls({JAN: "40.00", FEB: "-15.00"}, siren=BETA), acme_calls])
    start, end = MAR, date(2024, 4, 30)
    both = account_statements(calls, acme_allocations, [BETA, ACME], start, end)
    for siren in (ACME, BETA):
        own = both.filter(pl.col("siren") == siren)
        assert own["line_number"].to_list() == list(range(1, own.height + 1))
        alone = account_statement(calls, acme_allocations, siren, start, end)
        assert own.select(alone.columns).equals(alone), siren
    beta = both.filter(pl.col("siren") == BETA).to_dicts()
    assert [(r["label"], r["debit"], r["credit"], r["balance"]) for r in beta] == [
        ("Solde au 01/03/2024", None, None, d("40.00")),  # January's call, due on 15 February
        (
            "Régularisation de cotisations du 01/02/2024 au 29/02/2024",
            None,
            d("15.00"),
            d("25.00"),
        ),
    ]
