"""Scale of the ledger: calls, lettrage and balances for many companies (make bench).

Prints the time for 10× the companies as a ratio to a baseline run in the same process: near
10 means the work grows linearly with the portfolio (each company's movements only look at
that company's calls)."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

import polars as pl
import pytest

from ledgers.balances import balances_by_company, bank_identity_breaks
from ledgers.calls import build_calls
from ledgers.periods import add_months
from tests.ledgers.ledger_frames import allocate, declared_payments, movement, movements, terms

MONTHS = 12


def _portfolio(companies: int) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, list]:
    contributions, declared, bank, contracts = [], [], [], []
    for n in range(companies):
        siren, iban = f"{n:09d}", f"FR76{n:023d}"
        contracts.append(terms(f"C{n}", siren))
        for m in range(MONTHS):
            month = add_months(date(2024, 1, 1), m)
            amount = Decimal(100 + (n * 7 + m * 3) % 50)
            period = f"{month.year}M{month.month:02d}"
            for population in ("CAD", "NC"):
                contributions.append(
                    {
                        "siren": siren,
                        "contract_reference": f"C{n}",
                        "population": population,
                        "month": month,
                        "amount": amount,
                    }
                )
            declared.append(
                (f"D{n}-{m}", siren, iban, str(2 * amount), f"C{n}", period, str(2 * amount))
            )
            if (n + m) % 17:  # some periods are never paid
                bank.append(
                    movement(
                        f"M{n}-{m}",
                        str(2 * amount),
                        add_months(month, 1).replace(day=12),
                        debtor_iban=iban,
                        remittance_lines=[f"COTISATIONS {period}"],
                    )
                )
    frame = pl.DataFrame(contributions).with_columns(pl.col("amount").cast(pl.Decimal(18, 2)))
    return frame, declared_payments(*declared), movements(*bank), contracts


def _run(companies: int) -> float:
    contributions, declared, bank, contracts = _portfolio(companies)
    started = time.perf_counter()
    calls = build_calls(contributions, contracts)
    result = allocate(calls, bank, declared_payments=declared)
    balances_by_company(calls, result.allocations)
    elapsed = time.perf_counter() - started
    assert bank_identity_breaks(result.movements, result.allocations).is_empty()
    print(f"{companies} companies, {bank.height} movements, {calls.height} calls: {elapsed:.2f} s")
    return elapsed


@pytest.mark.bench
def test_ledger_grows_linearly_with_the_portfolio() -> None:
    baseline = _run(200)
    larger = _run(2000)
    print(f"10× the companies: {larger / baseline:.1f}× the time of the baseline")
