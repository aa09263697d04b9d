"""Bank-file reading at scale (`make bench`): a generated statement of many movements, read in
full, timed against a bare baseline measured in the same process (no timed assertion)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from payment_files import read_payment_file, transactions_frame
from synthetic.bank_files import (
    BankAccount,
    BankMovement,
    MovementKind,
    write_camt053,
    write_cfonb120,
)

MOVEMENTS = 20_000
DAY = date(2024, 2, 5)
ACCOUNT = BankAccount(
    iban="FR1420041010050500013M02606", bic="PSSTFRPPLIL", owner_name="PREVOYANCE EXEMPLE"
)


def _movements() -> list[BankMovement]:
    return [
        BankMovement(
            booking_date=DAY,
            value_date=DAY,
            amount=Decimal(f"{i % 5000 + 1}.{i % 100:02d}"),
            kind=MovementKind.SEPA_CREDIT_TRANSFER,
            account_servicer_reference=f"B{i:011d}",
            debtor_name="SARL D'ALMEIDA",
            end_to_end_id=f"COT-2024T1-{i:06d}",
            remittance_text="COTISATIONS 2024T1 CONTRAT PREV-001",
        )
        for i in range(MOVEMENTS)
    ]


def _seconds(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def _cfonb_bare(data: bytes) -> int:
    """Baseline: split the records and slice each movement's amount, nothing else."""
    return sum(1 for line in data.decode("ascii").splitlines() if line[:2] == "04" and line[90:104])


@pytest.mark.bench
@pytest.mark.parametrize("kind", ["camt053", "cfonb120"])
def test_reading_a_large_statement(tmp_path: Path, kind: str) -> None:
    path = tmp_path / kind
    if kind == "camt053":
        write_camt053(
            path,
            ACCOUNT,
            _movements(),
            statement_id="S",
            from_date=DAY,
            to_date=DAY,
            opening_balance=Decimal(0),
            version="001.08",
        )
        data = path.read_bytes()
        baseline = _seconds(lambda: etree.fromstring(data))
        baseline_name = "lxml parse alone"
    else:
        write_cfonb120(
            path, ACCOUNT, _movements(), from_date=DAY, to_date=DAY, opening_balance=Decimal(0)
        )
        data = path.read_bytes()
        baseline = _seconds(lambda: _cfonb_bare(data))
        baseline_name = "record split + amount slice"
    results = []
    elapsed = _seconds(lambda: results.append(read_payment_file(data)))
    (result,) = results
    frame_elapsed = _seconds(lambda: transactions_frame(result))
    assert result.ok and len(result.transactions) == MOVEMENTS
    print(
        f"\n{kind}: {len(data) // 1024} KiB, {MOVEMENTS} movements; full read ="
        f" {elapsed / baseline:.1f} x {baseline_name} ({baseline:.3f} s);"
        f" Polars frame = {frame_elapsed / baseline:.1f} x the same baseline"
    )
