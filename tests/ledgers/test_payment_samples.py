"""Every public sample in tests/fixtures/payments parses, with facts checked by reading the files
by hand (entry counts, a known amount and sign, balances, a known reference)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from payment_files import FileKind, PaymentFileResult, ReturnKind, read_payment_file

SAMPLES = Path(__file__).parents[1] / "fixtures" / "payments"
D = Decimal


@dataclass(frozen=True)
class Expected:
    kind: FileKind
    statements: int
    transactions: int
    # (transaction position, signed amount) of a movement read by hand
    known_amount: tuple[int, Decimal] | None = None
    # statement position -> (opening, closing)
    balances: dict[int, tuple[Decimal, Decimal]] = field(default_factory=dict)
    mismatched_statements: tuple[int, ...] = ()
    # (transaction position, attribute, value)
    known_reference: tuple[int, str, object] | None = None
    returns: int = 0


EXPECTED: dict[str, Expected] = {
    "camt053/genkgo__camt053.v2.all-balance-types.xml": Expected(
        FileKind.CAMT053,
        1,
        1,
        (0, D("8.85")),
        {0: (D("1.01"), D("4.04"))},
        mismatched_statements=(0,),
        known_reference=(0, "end_to_end_id", "000000001"),
    ),
    "camt053/genkgo__camt053.v2.minimal.xml": Expected(
        FileKind.CAMT053,
        1,
        1,
        (0, D("8.85")),
        {0: (D("18.15"), D("-27.00"))},  # closing is a DBIT balance
        mismatched_statements=(0,),
        known_reference=(0, "creditor_reference", "4654654654654654"),
    ),
    "camt053/genkgo__camt053.v2.multi.statement.xml": Expected(
        FileKind.CAMT053,
        2,
        2,
        (1, D("-7.00")),
        {0: (D("18.15"), D("27.00")), 1: (D("27.00"), D("20.00"))},
        known_reference=(1, "end_to_end_id", "000000002"),
    ),
    "camt053/genkgo__camt053.v2.with-party-ids.xml": Expected(
        FileKind.CAMT053,
        1,
        1,
        (0, D("8.85")),
        {0: (D("18.15"), D("-27.00"))},
        mismatched_statements=(0,),
        known_reference=(0, "debtor_iban", "NL56AGDH9619008421"),
    ),
    "camt053/genkgo__camt053.v3.xml": Expected(
        FileKind.CAMT053,
        1,
        1,
        (0, D("8.85")),
        {0: (D("18.15"), D("-27.00"))},
        mismatched_statements=(0,),
        known_reference=(0, "account_servicer_reference", "XXXXXXXXXXXXXXXXXXXXXXEUR"),
    ),
    "camt053/genkgo__camt053.v4.xml": Expected(
        FileKind.CAMT053,
        1,
        1,
        (0, D("8.85")),
        {0: (D("18.15"), D("-27.00"))},
        mismatched_statements=(0,),
        known_reference=(0, "account_servicer_reference", "AAAASESS-FP-CN_98765/01"),
    ),
    "camt053/genkgo__camt053.v8.xml": Expected(
        FileKind.CAMT053,
        1,
        1,
        (0, D("8.85")),
        {0: (D("18.15"), D("-27.00"))},
        mismatched_statements=(0,),
        known_reference=(0, "debtor_name", "NAME NAME"),  # v8 wraps it: Dbtr/Pty/Nm
    ),
    "camt053/oca__test-camt053-no-ntry.xml": Expected(
        FileKind.CAMT053, 1, 0, None, {0: (D("1520.76"), D("1520.76"))}
    ),
    "camt053/oca__test-camt053-txdtls.xml": Expected(
        FileKind.CAMT053,
        1,
        2,
        (1, D("1296.00")),
        {0: (D("75960.15"), D("79443.15"))},
        known_reference=(0, "creditor_reference", "302388292000011111111111111"),
    ),
    "camt053/oca__test-camt053.xml": Expected(
        FileKind.CAMT053,
        1,
        4,
        (0, D("-754.25")),
        {0: (D("15568.27"), D("15121.12"))},
        mismatched_statements=(0,),  # the fixture's entries do not add up to its closing
        known_reference=(0, "mandate_id", "1880000341866"),
        returns=2,
    ),
    "camt054/genkgo__camt054.v2.xml": Expected(
        FileKind.CAMT054,
        1,
        1,  # three details without amounts: the entry cannot be split
        (0, D("-200000")),
        known_reference=(0, "end_to_end_id", "MUELL/FINP/RA12345"),
    ),
    "camt054/genkgo__camt054.v4.xml": Expected(
        FileKind.CAMT054,
        1,
        1,  # details in CHF adding to 9.50 for an entry of 200000 SEK: not split
        (0, D("-200000")),
        known_reference=(0, "account_servicer_reference", "ACSR160617103200001"),
    ),
    "camt054/genkgo__camt054.v8-with-UETR.xml": Expected(
        FileKind.CAMT054,
        1,
        1,
        (0, D("-200000")),
        known_reference=(0, "uetr", "255ae394-9965-4438-ac86-f406feada396"),
    ),
    "camt054/genkgo__camt054.v8.xml": Expected(
        FileKind.CAMT054,
        1,
        1,
        (0, D("-200000")),
        known_reference=(0, "account_servicer_reference", "ACSR160617103200001"),
    ),
    "camt054/oca__test-camt054.xml": Expected(
        FileKind.CAMT054,
        1,
        1,
        (0, D("5.00")),
        known_reference=(0, "instruction_id", "MIB InstrId305-312MM20211231v1"),
    ),
    "camt054/oca__test-sepa-camt054-unpaid.xml": Expected(
        FileKind.CAMT054,
        1,
        1,
        (0, D("-100.00")),
        known_reference=(0, "mandate_id", "MANDATEID2"),
        returns=1,
    ),
    "pain/oca__test-sepa-pain-unpaid.xml": Expected(FileKind.PAIN002, 0, 0, returns=4),
    "cfonb120/akretion_python-cfonb__bank_statement.cfo": Expected(
        FileKind.CFONB120,
        1,
        4,
        (2, D("4000.00")),  # "0000000040000{": positive
        {0: (D("0.08"), D("11871.14"))},
        mismatched_statements=(0,),  # an old synthetic fixture that does not balance
        known_reference=(0, "bank_label", "LCL20000000142"),
    ),
    "cfonb120/oca_l10n-france__cfonb_classic.cfo": Expected(
        FileKind.CFONB120,
        1,
        13,
        (0, D("1040.17")),
        {0: (D("1017311.89"), D("1031585.79"))},
        known_reference=(11, "mandate_id", "++48398735847564876543"),
    ),
    "cfonb120/pennylane__example.txt": Expected(
        FileKind.CFONB120,
        2,
        6,
        (0, D("-32.21")),  # "0000000000322J": negative
        {0: (D("-190.40"), D("-241.21")), 1: (D("-241.21"), D("-163.72"))},
        known_reference=(0, "end_to_end_id", "OTHER REFERENCE"),
        returns=1,  # A3: rejected SEPA direct debit
    ),
    "cfonb120/pennylane__operation.txt": Expected(
        FileKind.CFONB120,
        1,
        1,
        (0, D("-32.21")),
        known_reference=(0, "payment_information_id", "REFERENCE"),
    ),
    "cfonb120/silarhi__complex-test.txt": Expected(
        FileKind.CFONB120,
        8,
        5,
        (2, D("-5000.00")),
        {0: (D("16695.65"), D("16672.86")), 7: (D("584353.02"), D("584353.02"))},
        known_reference=(0, "remittance_lines", ("PRLV SEPA ONLINE SAS", "DEDIBOX 3706114")),
    ),
    "cfonb120/silarhi__non-strict-test.txt": Expected(
        FileKind.CFONB120,
        8,
        5,
        (1, D("-20.11")),  # blank entry number, amount still at 91-104
        {1: (D("16672.86"), D("11652.75"))},
        known_reference=(3, "value_date", date(2020, 4, 1)),
    ),
    "cfonb120/silarhi__simple-test.txt": Expected(
        FileKind.CFONB120, 1, 0, None, {0: (D("16695.65"), D("16695.65"))}
    ),
    "cfonb120/silarhi__test-unused-parts.txt": Expected(
        FileKind.CFONB120,
        8,
        0,
        None,
        {0: (D("18.62"), D("18.62")), 1: (D("0"), D("0")), 7: (D("19875.72"), D("19875.72"))},
    ),
}

_PAYMENT_DIRS = ("camt053", "camt054", "pain", "cfonb120")
_IBAN_LIKE = re.compile(r"\b[A-Z]{2}\d{2}[A-Z0-9]{10,30}\b")


def _sample_names() -> list[str]:
    return sorted(
        str(p.relative_to(SAMPLES))
        for folder in _PAYMENT_DIRS
        for p in (SAMPLES / folder).iterdir()
        if p.is_file()
    )


def test_every_sample_has_expectations() -> None:
    assert _sample_names() == sorted(EXPECTED)


@pytest.fixture(scope="module")
def results() -> dict[str, PaymentFileResult]:
    return {name: read_payment_file(SAMPLES / name) for name in EXPECTED}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_facts(name: str, results: dict[str, PaymentFileResult]) -> None:
    result, expected = results[name], EXPECTED[name]
    assert result.kind is expected.kind
    assert result.records_rejected == 0
    assert result.ok, result.diagnostics
    assert len(result.statements) == expected.statements
    assert len(result.transactions) == expected.transactions
    assert len(result.returns) == expected.returns
    if expected.known_amount is not None:
        position, amount = expected.known_amount
        assert result.transactions[position].amount == amount
    for position, (opening, closing) in expected.balances.items():
        statement = result.statements[position]
        assert statement.opening is not None and statement.closing is not None
        assert (statement.opening.amount, statement.closing.amount) == (opening, closing)
    mismatched = tuple(s.index for s in result.statements if s.balance_mismatch)
    assert mismatched == expected.mismatched_statements
    assert sum(d.code == "SOLDE_INCOHERENT" for d in result.diagnostics) == len(mismatched)
    if expected.known_reference is not None:
        position, attribute, value = expected.known_reference
        assert getattr(result.transactions[position], attribute) == value


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_amounts_are_exact_decimals_and_ids_unique(
    name: str, results: dict[str, PaymentFileResult]
) -> None:
    result = results[name]
    assert all(isinstance(tx.amount, Decimal) for tx in result.transactions)
    ids = [tx.movement_id for tx in result.transactions]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_diagnostics_never_show_an_account_number(
    name: str, results: dict[str, PaymentFileResult]
) -> None:
    for diagnostic in results[name].diagnostics:
        assert not _IBAN_LIKE.search(diagnostic.message), diagnostic
        assert diagnostic.code and diagnostic.message


def test_transactions_of_a_statement_add_up_to_its_booked_entries(
    results: dict[str, PaymentFileResult],
) -> None:
    for result in results.values():
        for statement in result.statements:
            booked = [
                tx.amount
                for tx in result.transactions
                if tx.statement_index == statement.index and tx.status == "BOOK"
            ]
            assert sum(booked, Decimal(0)) == statement.booked_total


def test_camt054_unpaid_direct_debit_is_a_return_with_its_reason(
    results: dict[str, PaymentFileResult],
) -> None:
    result = results["camt054/oca__test-sepa-camt054-unpaid.xml"]
    (tx,) = result.transactions
    assert tx.is_return and tx.amount == Decimal("-100.00")
    assert (tx.code.family, tx.code.sub_family) == ("IDDT", "UPDD")
    (ret,) = result.returns
    assert ret.kind is ReturnKind.RETURN
    assert (ret.reason_code, ret.amount, ret.original_end_to_end_id) == (
        "AC06",
        Decimal("100.00"),
        "E2EID1",
    )
    assert ret.movement_id == tx.movement_id
    assert ret.reason_label is not None and "blocked" in ret.reason_label


def test_camt053_reversed_batch_gives_one_return_per_detail(
    results: dict[str, PaymentFileResult],
) -> None:
    result = results["camt053/oca__test-camt053.xml"]
    returned = [tx for tx in result.transactions if tx.is_return]
    assert [tx.amount for tx in returned] == [Decimal("-564.05"), Decimal("-100.00")]
    assert all(tx.reversal and tx.return_reason_code == "AC06" for tx in returned)
    assert [r.mandate_id for r in result.returns] == [
        "NL22ZZZ524885430000-C0125.1",
        "NL22ZZZ524885430000-C0125.2",
    ]


def test_pain002_rejects_carry_reason_and_original_references(
    results: dict[str, PaymentFileResult],
) -> None:
    result = results["pain/oca__test-sepa-pain-unpaid.xml"]
    assert result.message_id == "MSGID99345678912"
    rejects = [
        (r.original_end_to_end_id, r.reason_code, r.mandate_id, r.amount, r.currency)
        for r in result.returns
    ]
    assert rejects == [
        ("E2EID1", "AC01", "MANDATEID1", Decimal("100"), "EUR"),
        ("E2EID2", "MS02", "MANDATEID2", Decimal("100"), "EUR"),
        ("E2EID3", "MD06", "MANDATEID3", Decimal("100"), "EUR"),
        ("E2EID4", "AM04", "MANDATEID4", Decimal("100"), "EUR"),
    ]
    assert all(r.kind is ReturnKind.REJECT for r in result.returns)
    assert result.returns[0].original_payment_information_id == "PMTINFID1"
    assert result.returns[2].original_payment_information_id == "PMTINFID2"
    assert result.returns[0].debtor_iban == "IE98BOFI90393912121212"


def test_cfonb_unpaid_sepa_direct_debit_code_is_a_return(
    results: dict[str, PaymentFileResult],
) -> None:
    result = results["cfonb120/pennylane__example.txt"]
    (tx,) = [tx for tx in result.transactions if tx.is_return]
    assert tx.code.cfonb_operation_code == "A3"
    assert tx.code.cfonb_family == "RTI"
    assert tx.amount == Decimal("97.49")
    assert result.returns[0].movement_id == tx.movement_id


def test_cfonb_05_complements_fill_the_sepa_fields(results: dict[str, PaymentFileResult]) -> None:
    orange = results["cfonb120/oca_l10n-france__cfonb_classic.cfo"].transactions[11]
    assert orange.amount == Decimal("-617.14")
    assert orange.code.cfonb_operation_code == "B1"
    assert orange.creditor_name == "Orange"
    assert orange.creditor_id == "FR18ZZZ002305"
    assert orange.end_to_end_id == ")30008765 76662391         45 3"
    assert "Séquence : RCUR" in orange.additional_info


def test_camt_v8_booking_date_time_is_read_as_the_booking_day(
    results: dict[str, PaymentFileResult],
) -> None:
    tx = results["camt053/genkgo__camt053.v8.xml"].transactions[0]
    assert tx.booking_date == date(2014, 12, 31)
    assert (tx.code.domain, tx.code.family, tx.code.sub_family) == ("PMNT", "RCDT", "BOOK")
