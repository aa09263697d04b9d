"""The product's own bank-file writers (synthetic.bank_files) and these readers agree: what is
written as movements is read back as the same movements, in every format and version."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from payment_files import FileKind, read_payment_file, transactions_frame
from payment_files.cfonb import decode_amount
from synthetic.bank_files import (
    BankAccount,
    BankBatch,
    BankMovement,
    MovementKind,
    write_camt053,
    write_camt054,
    write_cfonb120,
)
from synthetic.bank_files import cfonb as synthetic_cfonb

ACCOUNT = BankAccount(
    iban="FR1420041010050500013M02606", bic="PSSTFRPPLIL", owner_name="PREVOYANCE EXEMPLE"
)
DAY = date(2024, 2, 5)


def _movement(reference: str, amount: str, **extra: object) -> BankMovement:
    fields: dict[str, object] = {
        "booking_date": DAY,
        "value_date": DAY,
        "amount": Decimal(amount),
        "kind": MovementKind.SEPA_CREDIT_TRANSFER,
        "account_servicer_reference": reference,
        "debtor_name": "SARL D'ALMEIDA",
        "debtor_iban": "FR7630006000011234567890189",
        "end_to_end_id": f"COT-2024T1-{reference}",
        "remittance_text": "COTISATIONS 2024T1 CONTRAT PREV-001",
    }
    fields.update(extra)
    return BankMovement(**fields)  # type: ignore[arg-type]


TRANSFER = _movement("B24020500001", "1234.56", creditor_reference="RF18539007547034")
DEBITS = BankBatch(
    "R24020500009",
    (
        _movement(
            "B24020500002",
            "100.00",
            kind=MovementKind.SEPA_DIRECT_DEBIT,
            mandate_id="MANDAT-0001",
            debtor_iban="FR7630006000011234567890189",
        ),
        _movement(
            "B24020500003",
            "250.10",
            kind=MovementKind.SEPA_DIRECT_DEBIT,
            mandate_id="MANDAT-0002",
            debtor_iban="FR7630006000011234567890189",
        ),
    ),
)
RETURN = _movement(
    "B24020500004",
    "-100.00",
    kind=MovementKind.DIRECT_DEBIT_RETURN,
    end_to_end_id=None,
    original_end_to_end_id="COT-2024T1-B24020500002",
    return_reason="AM04",
    mandate_id="MANDAT-0001",
)
ENTRIES: list[BankMovement | BankBatch] = [TRANSFER, DEBITS, RETURN]


@pytest.mark.parametrize("version", ["001.02", "001.04", "001.08"])
def test_camt053_written_by_the_generator_reads_back(tmp_path: Path, version: str) -> None:
    path = tmp_path / "releve.xml"
    write_camt053(
        path,
        ACCOUNT,
        ENTRIES,
        statement_id="S2402",
        from_date=DAY,
        to_date=DAY,
        opening_balance=Decimal("10.00"),
        version=version,
    )
    result = read_payment_file(path)
    assert result.kind is FileKind.CAMT053 and result.ok, result.diagnostics
    assert result.message_name == f"camt.053.{version}"
    assert result.account_iban == ACCOUNT.iban
    (statement,) = result.statements
    assert not statement.balance_mismatch
    assert statement.closing is not None
    assert statement.closing.amount == Decimal("1494.66")
    amounts = [tx.amount for tx in result.transactions]
    assert amounts == [Decimal("1234.56"), Decimal("100.00"), Decimal("250.10"), Decimal("-100.00")]
    transfer, first_debit, second_debit, returned = result.transactions
    assert transfer.end_to_end_id == "COT-2024T1-B24020500001"
    assert transfer.creditor_reference == "RF18539007547034"
    assert transfer.debtor_name == "SARL D'ALMEIDA"
    # the batch is split; each detail keeps the bank's reference of its movement
    assert (first_debit.detail_index, second_debit.detail_index) == (0, 1)
    assert first_debit.account_servicer_reference == "B24020500002"
    assert first_debit.entry_account_servicer_reference == "R24020500009"
    assert second_debit.mandate_id == "MANDAT-0002"
    assert returned.is_return and returned.return_reason_code == "AM04"
    (ret,) = result.returns
    assert ret.original_end_to_end_id == "COT-2024T1-B24020500002"
    assert ret.amount == Decimal("100.00") and ret.mandate_id == "MANDAT-0001"


@pytest.mark.parametrize("version", ["001.02", "001.04", "001.08"])
def test_camt054_and_camt053_of_the_same_movements_agree_on_identity(
    tmp_path: Path, version: str
) -> None:
    notification, statement = tmp_path / "avis.xml", tmp_path / "releve.xml"
    write_camt054(
        notification,
        ACCOUNT,
        ENTRIES,
        message_id="N240205",
        created_at=datetime(2024, 2, 5, 12, 0),
        version=version,
    )
    write_camt053(
        statement,
        ACCOUNT,
        ENTRIES,
        statement_id="S2402",
        from_date=DAY,
        to_date=DAY,
        opening_balance=Decimal("0.00"),
        version=version,
    )
    notified, booked = read_payment_file(notification), read_payment_file(statement)
    assert notified.kind is FileKind.CAMT054 and notified.ok
    assert [t.movement_id for t in notified.transactions] == [
        t.movement_id for t in booked.transactions
    ]


def test_overlapping_generated_statements_share_the_repeated_movements(tmp_path: Path) -> None:
    later = _movement("B24020600001", "99.99", booking_date=date(2024, 2, 6))
    first, second = tmp_path / "a.xml", tmp_path / "b.xml"
    write_camt053(
        first,
        ACCOUNT,
        ENTRIES,
        statement_id="S1",
        from_date=DAY,
        to_date=DAY,
        opening_balance=Decimal(0),
    )
    write_camt053(
        second,
        ACCOUNT,
        [*ENTRIES, later],
        statement_id="S2",
        from_date=DAY,
        to_date=date(2024, 2, 6),
        opening_balance=Decimal(0),
    )
    frame = transactions_frame([read_payment_file(first), read_payment_file(second)])
    assert frame.height == 9
    assert frame["movement_id"].n_unique() == 5


@pytest.mark.parametrize("line_breaks", [True, False])
def test_cfonb120_written_by_the_generator_reads_back(tmp_path: Path, line_breaks: bool) -> None:
    path = tmp_path / "releve.cfo"
    write_cfonb120(
        path,
        ACCOUNT,
        ENTRIES,
        from_date=DAY,
        to_date=DAY,
        opening_balance=Decimal("-5.00"),
        line_breaks=line_breaks,
    )
    result = read_payment_file(path)
    assert result.kind is FileKind.CFONB120 and result.ok, result.diagnostics
    (statement,) = result.statements
    assert statement.account_iban == ACCOUNT.iban  # rebuilt from bank, branch and account
    assert not statement.balance_mismatch
    # CFONB 120 shows a batch as its total only
    assert [tx.amount for tx in result.transactions] == [
        Decimal("1234.56"),
        Decimal("350.10"),
        Decimal("-100.00"),
    ]
    transfer, batch, returned = result.transactions
    assert transfer.end_to_end_id == "COT-2024T1-B24020500001"
    assert transfer.creditor_reference == "RF18539007547034"
    assert transfer.debtor_name == "SARL D'ALMEIDA"
    assert batch.code.cfonb_operation_code == "A1"
    assert returned.is_return and returned.code.cfonb_operation_code == "B3"
    assert (returned.return_reason_code, returned.return_reason_scheme) == ("AM04", "ISO")
    assert returned.end_to_end_id == "COT-2024T1-B24020500002"
    assert returned.mandate_id == "MANDAT-0001"
    (ret,) = result.returns
    assert ret.original_end_to_end_id == "COT-2024T1-B24020500002"
    assert ret.reason_code == "AM04" and ret.reason_label is not None


@given(cents=st.integers(min_value=-(10**13 - 1), max_value=10**13 - 1))
def test_the_generator_and_the_reader_agree_on_cfonb_amounts(cents: int) -> None:
    amount = Decimal(cents).scaleb(-2)
    written = synthetic_cfonb.encode_amount(amount)
    assert decode_amount(written, 2) == amount


def test_transactions_frame_loads_into_duckdb_with_exact_amounts(tmp_path: Path) -> None:
    path = tmp_path / "releve.xml"
    write_camt053(
        path,
        ACCOUNT,
        ENTRIES,
        statement_id="S2402",
        from_date=DAY,
        to_date=DAY,
        opening_balance=Decimal("0"),
    )
    frame = transactions_frame(read_payment_file(path))
    connection = duckdb.connect()
    connection.register("movements", frame.to_arrow())
    row = connection.execute(
        "SELECT sum(amount), typeof(any_value(amount)), max(len(remittance_lines)) FROM movements"
    ).fetchone()
    assert row is not None
    total, amount_type, lines = row
    assert total == Decimal("1484.66")
    assert amount_type == "DECIMAL(18,2)"
    assert lines == 1
