"""What the ledger relies on: balance checks, batch split, movement identity across deliveries,
CFONB layouts, diagnostics for bad files, and the Polars tables."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

import payment_files
from payment_files import (
    FileKind,
    Severity,
    read_payment_file,
    returns_frame,
    statements_frame,
    transactions_frame,
)
from payment_files.cfonb import rib_to_iban
from payment_files.codes import reason_code_in_text
from payment_files.diagnostic_codes import DIAGNOSTIC_CODES

PAYMENTS = Path(__file__).parents[1] / "fixtures" / "payments"
CAMT_TXDTLS = PAYMENTS / "camt053" / "oca__test-camt053-txdtls.xml"
CAMT_OCA = PAYMENTS / "camt053" / "oca__test-camt053.xml"
CFONB_CLASSIC = PAYMENTS / "cfonb120" / "oca_l10n-france__cfonb_classic.cfo"
CFONB_COMPLEX = PAYMENTS / "cfonb120" / "silarhi__complex-test.txt"


def _codes(result: object) -> list[str]:
    return [d.code for d in result.diagnostics]  # type: ignore[attr-defined]


# -- balances -------------------------------------------------------------------------------


def test_altered_camt_closing_balance_is_flagged_with_its_gap() -> None:
    original = CAMT_TXDTLS.read_bytes()
    altered = original.replace(b"79443.15", b"79443.16")
    assert altered != original
    assert not read_payment_file(original).statements[0].balance_mismatch
    statement = read_payment_file(altered).statements[0]
    assert statement.balance_mismatch
    assert statement.balance_gap == Decimal("0.01")
    assert "SOLDE_INCOHERENT" in _codes(read_payment_file(altered))


def test_altered_cfonb_movement_is_flagged() -> None:
    lines = CFONB_CLASSIC.read_text().splitlines()
    # first movement: 1040.17 ("...010401G") becomes 1040.18 ("...010401H")
    assert lines[1].startswith("04") and lines[1][90:104] == "0000000010401G"
    lines[1] = lines[1][:103] + "H" + lines[1][104:]
    result = read_payment_file("\n".join(lines).encode())
    (statement,) = result.statements
    assert statement.balance_gap == Decimal("-0.01")
    assert result.transactions[0].amount == Decimal("1040.18")


def test_pending_entries_do_not_count_in_the_booked_balance() -> None:
    pending = CAMT_TXDTLS.read_bytes().replace(b"<Sts>BOOK</Sts>", b"<Sts>PDNG</Sts>")
    result = read_payment_file(pending)
    assert [tx.status for tx in result.transactions] == ["PDNG", "PDNG"]
    assert result.statements[0].booked_total == 0
    assert result.statements[0].balance_mismatch


# -- batch split ----------------------------------------------------------------------------


def test_batch_entry_is_split_into_its_details() -> None:
    result = read_payment_file(CAMT_TXDTLS)
    first, second = result.transactions
    assert (first.entry_index, first.detail_index) == (0, 0)
    assert (second.entry_index, second.detail_index) == (0, 1)
    assert first.amount + second.amount == Decimal("3483.00")
    assert first.debtor_iban == "CH2222000000123456789"
    assert second.debtor_iban == "CH3333000000123456789"
    assert second.debtor_bic == "POFICHBEYYY"
    # both details carry the same AcctSvcrRef: the position keeps the movements apart
    assert first.account_servicer_reference == second.account_servicer_reference
    assert first.movement_id != second.movement_id
    assert first.xpath and first.xpath.endswith("TxDtls[1]")


def test_batch_whose_details_do_not_add_up_stays_one_transaction() -> None:
    broken = CAMT_TXDTLS.read_bytes().replace(b">1296.00<", b">1296.01<")
    result = read_payment_file(broken)
    (tx,) = result.transactions
    assert tx.amount == Decimal("3483.00") and tx.detail_index is None
    # nothing lost: both details' references are kept on the entry
    assert tx.creditor_references == (
        "302388292000011111111111111",
        "302388292000022222222222222",
    )
    assert tx.debtor_iban is None  # the details disagree on it
    assert "CAMT_LOT_NON_VENTILE" in _codes(result)


# -- movement identity ----------------------------------------------------------------------


def _cfonb_statements(path: Path) -> list[list[str]]:
    """The file's 01…07 runs as lists of lines."""
    runs: list[list[str]] = []
    for line in path.read_text().splitlines():
        if line.startswith("01"):
            runs.append([])
        if line.strip():
            runs[-1].append(line)
    return runs


def test_same_cfonb_movement_in_two_overlapping_deliveries_has_one_identity() -> None:
    runs = _cfonb_statements(CFONB_COMPLEX)
    first = "\n".join(line for run in runs[:4] for line in run).encode()
    second = "\n".join(line for run in runs[2:] for line in run).encode()
    a, b = read_payment_file(first), read_payment_file(second)
    ids_a = {tx.movement_id: tx for tx in a.transactions}
    ids_b = {tx.movement_id: tx for tx in b.transactions}
    common = set(ids_a) & set(ids_b)
    # statements 3 and 4 are in both files: exactly their one movement (-117.75) is shared
    assert [ids_a[i].amount for i in common] == [Decimal("-117.75")]
    union = {tx.movement_id for tx in a.transactions + b.transactions}
    assert len(union) == len(read_payment_file(CFONB_COMPLEX).transactions)


def test_same_camt_movement_in_two_overlapping_statements_has_one_identity() -> None:
    text = CAMT_OCA.read_text()
    start, end = text.index("<Ntry>"), text.rindex("</Ntry>") + len("</Ntry>")
    entries = text[start:end].split("</Ntry>")[:-1]
    assert len(entries) == 3
    entries = [e + "</Ntry>" for e in entries]
    # the next day's statement repeats the last two entries and adds a new one
    new_entry = (
        entries[2]
        .replace("1405.31", "12.34")
        .replace("INNDNL2U20140105000217200000708", "INNDNL2U20140106000000000000001")
    )
    second = text[:start] + "".join([entries[1], entries[2], new_entry]) + text[end:]
    a, b = read_payment_file(text.encode()), read_payment_file(second.encode())
    ids_a = [tx.movement_id for tx in a.transactions]
    ids_b = [tx.movement_id for tx in b.transactions]
    assert ids_b[:3] == ids_a[1:]  # the batch's two details and the 1405.31 credit
    assert ids_b[3] not in ids_a


def test_identical_cfonb_movements_are_told_apart_and_recognised_again() -> None:
    lines = CFONB_COMPLEX.read_text().splitlines()
    fee = next(line for line in lines if "FACTURE SGT" in line)
    # two genuinely different fees: same account, dates, amount, label and entry number
    twice = "\n".join([fee, fee]).encode()
    first, again = read_payment_file(twice), read_payment_file(twice)
    ids = [tx.movement_id for tx in first.transactions]
    assert len(set(ids)) == 2
    assert [tx.movement_id for tx in again.transactions] == ids


def test_different_references_same_amount_and_date_are_different_movements() -> None:
    text = CAMT_TXDTLS.read_text()
    other = text.replace("20170323001234567891234567891234", "20170323001234567891234567899999")
    a, b = read_payment_file(text.encode()), read_payment_file(other.encode())
    assert [t.amount for t in a.transactions] == [t.amount for t in b.transactions]
    assert not {t.movement_id for t in a.transactions} & {t.movement_id for t in b.transactions}


def test_identity_ignores_the_file_and_the_statement_position() -> None:
    a = read_payment_file(CAMT_OCA)
    renamed = CAMT_OCA.read_bytes().replace(b"TESTBANK/NL/1420561226673", b"OTHER-MSG-ID")
    b = read_payment_file(renamed, name="redelivered.xml")
    assert a.file_id != b.file_id
    assert [t.movement_id for t in a.transactions] == [t.movement_id for t in b.transactions]


# -- CFONB layouts --------------------------------------------------------------------------


def test_cfonb_without_line_breaks_reads_like_with_them() -> None:
    text = CFONB_CLASSIC.read_text()
    flat = "".join(line for line in text.splitlines() if line.strip())
    crlf = "\r\n".join(text.splitlines())
    reference = read_payment_file(CFONB_CLASSIC)
    for variant in (flat, crlf):
        result = read_payment_file(variant.encode())
        assert result.kind is FileKind.CFONB120
        assert [t.amount for t in result.transactions] == [t.amount for t in reference.transactions]
        assert [t.movement_id for t in result.transactions] == [
            t.movement_id for t in reference.transactions
        ]


def test_cfonb_with_a_dos_end_of_file_mark_reads_cleanly() -> None:
    result = read_payment_file(CFONB_CLASSIC.read_bytes() + b"\x1a")
    assert result.ok and result.records_rejected == 0
    assert len(result.transactions) == 13


def test_malformed_cfonb_records_are_rejected_counted_and_located() -> None:
    lines = CFONB_CLASSIC.read_text().splitlines()
    assert lines[1].startswith("04") and lines[2].startswith("05")
    lines[1] = lines[1][:95] + "XX" + lines[1][97:]  # amount digits broken
    lines.insert(5, "99" + " " * 118)  # unknown record code
    result = read_payment_file("\n".join(lines).encode())
    errors = [(d.code, d.line) for d in result.diagnostics if d.severity is Severity.ERROR]
    assert ("CFONB_MONTANT_INVALIDE", 2) in errors
    assert ("CFONB_ENREGISTREMENT_INCONNU", 6) in errors
    # the 05 complements of the rejected movement are rejected too, not silently attached
    assert ("CFONB_COMPLEMENT_ORPHELIN", 3) in errors
    assert result.records_rejected == len(errors)
    assert len(result.transactions) == 12
    assert not result.ok


def test_cfonb_truncated_last_record_is_rejected() -> None:
    data = CFONB_CLASSIC.read_bytes().rstrip()[:-60]
    result = read_payment_file(data)
    assert result.records_rejected == 1
    assert [d.code for d in result.diagnostics if d.severity is Severity.ERROR] == [
        "CFONB_LONGUEUR"
    ]
    assert result.statements[0].closing is None


# -- not a payment file ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "FICHIER_VIDE"),
        ("Bonjour, ceci n'est pas un relevé\n".encode(), "FORMAT_INCONNU"),
        (b"<?xml version='1.0'?><Document><BkToCstmrStmt><Stmt>", "XML_MALFORME"),
        (b"<Document><BkToCstmrAcctRpt/></Document>", "FORMAT_NON_PRIS_EN_CHARGE"),
        (b"<html><body>erreur 500</body></html>", "FORMAT_INCONNU"),
        (b'<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>', "FORMAT_INCONNU"),
    ],
)
def test_unreadable_files_give_an_error_diagnostic(data: bytes, code: str) -> None:
    result = read_payment_file(data, name="depot.bin")
    assert result.source == "depot.bin"
    assert code in _codes(result)
    assert not result.ok and not result.transactions


def test_broken_xml_reports_its_line_and_the_guessed_kind() -> None:
    text = CAMT_OCA.read_bytes()
    result = read_payment_file(text[: len(text) // 2])
    (diagnostic,) = result.diagnostics
    assert diagnostic.code == "XML_MALFORME" and diagnostic.line
    assert result.kind is FileKind.CAMT053


def test_missing_file_gives_a_diagnostic(tmp_path: Path) -> None:
    result = read_payment_file(tmp_path / "absent.xml")
    assert _codes(result) == ["FICHIER_ILLISIBLE"]


def test_invalid_camt_entry_is_rejected_and_the_rest_read() -> None:
    text = CAMT_OCA.read_bytes().replace(
        b'<Amt Ccy="EUR">754.25</Amt>', b'<Amt Ccy="EUR">7,54</Amt>'
    )
    result = read_payment_file(text)
    assert result.records_read == 3 and result.records_rejected == 1
    assert "CAMT_ECRITURE_ILLISIBLE" in _codes(result)
    assert len(result.transactions) == 3
    rejected = next(d for d in result.diagnostics if d.code == "CAMT_ECRITURE_ILLISIBLE")
    assert rejected.xpath and rejected.xpath.endswith("Ntry[1]") and rejected.line


# -- Polars tables --------------------------------------------------------------------------


def test_transactions_frame_keeps_exact_amounts() -> None:
    results = [read_payment_file(CFONB_CLASSIC), read_payment_file(CAMT_OCA)]
    frame = transactions_frame(results)
    assert frame.schema["amount"] == pl.Decimal(18, 2)
    assert frame.height == sum(len(r.transactions) for r in results)
    expected = sum((tx.amount for r in results for tx in r.transactions), Decimal(0))
    assert frame["amount"].sum() == expected
    assert frame["movement_id"].n_unique() == frame.height
    assert frame.filter(pl.col("is_return"))["return_reason_code"].to_list() == ["AC06", "AC06"]


def test_statement_and_return_frames() -> None:
    camt = read_payment_file(CAMT_OCA)
    pain = read_payment_file(PAYMENTS / "pain" / "oca__test-sepa-pain-unpaid.xml")
    statements = statements_frame(camt)
    assert statements["balance_mismatch"].to_list() == [True]
    assert statements["balance_gap"].to_list() == [Decimal("-434.16")]
    returns = returns_frame([camt, pain])
    assert returns["kind"].to_list() == ["return"] * 2 + ["reject"] * 4
    assert returns.schema["amount"] == pl.Decimal(18, 2)


# -- more statement checks ------------------------------------------------------------------


def test_missing_statements_between_two_of_the_same_account_are_flagged() -> None:
    result = read_payment_file(CFONB_COMPLEX)
    # the last 01 (line 25) opens at 584353.02 while the account's previous 07 closed 11484.75
    assert [(d.code, d.line) for d in result.diagnostics if d.code == "SOLDES_DISCONTINUS"] == [
        ("SOLDES_DISCONTINUS", 25)
    ]
    runs = _cfonb_statements(CFONB_COMPLEX)
    without_a_day = "\n".join(line for run in runs[:3] + runs[4:7] for line in run).encode()
    codes = _codes(read_payment_file(without_a_day))
    assert "SOLDES_DISCONTINUS" in codes


def test_paginated_camt_page_uses_its_interim_balances() -> None:
    page = CAMT_TXDTLS.read_bytes().replace(b"OPBD", b"ITBD").replace(b"CLBD", b"ITBD")
    (statement,) = read_payment_file(page).statements
    assert statement.opening is not None and statement.closing is not None
    assert (statement.opening.amount, statement.closing.amount) == (
        Decimal("75960.15"),
        Decimal("79443.15"),
    )
    assert not statement.balance_mismatch


def test_cfonb_account_gets_its_french_iban_back() -> None:
    # the published La Banque Postale example: RIB 20041 01005 0500013M026 key 06
    assert rib_to_iban("20041 01005 0500013M026") == "FR1420041010050500013M02606"
    assert rib_to_iban("20041 01005 0500013M02") is None
    result = read_payment_file(CFONB_CLASSIC)
    (statement,) = result.statements
    assert statement.account_iban is not None and statement.account_iban.startswith("FR")
    assert result.account_iban == statement.account_iban == result.transactions[0].account_iban
    assert result.currency == "EUR"


def test_account_numbers_in_diagnostics_show_their_ends_only() -> None:
    [discontinuous] = [
        d for d in read_payment_file(CFONB_COMPLEX).diagnostics if d.code == "SOLDES_DISCONTINUS"
    ]
    assert "du compte FR76…0330 :" in discontinuous.message
    lines = CFONB_CLASSIC.read_text().splitlines()
    lines[1] = lines[1][:21] + "98765432101" + lines[1][32:]  # the 04 on another account
    [differs] = read_payment_file("\n".join(lines).encode()).diagnostics
    assert differs.code == "CFONB_COMPTE_DIFFERENT"
    # an 11-digit account number: its last four only, seven digits stay hidden
    assert differs.message.startswith("Numéro de compte …2101 différent")


def test_a_shifted_record_does_not_echo_a_name_in_its_diagnostic() -> None:
    lines = CFONB_CLASSIC.read_text().splitlines()
    # the label slid over the amount zone: the name must not reach the message
    lines[1] = lines[1][:90] + "DURAND JEAN-MA" + lines[1][104:]
    result = read_payment_file("\n".join(lines).encode())
    (rejected,) = [d for d in result.diagnostics if d.code == "CFONB_MONTANT_INVALIDE"]
    assert "DURAND" not in rejected.message and rejected.line == 2


def test_camt_summary_totals_are_checked_against_the_entries() -> None:
    unpaid = PAYMENTS / "camt054" / "oca__test-sepa-camt054-unpaid.xml"
    assert "CAMT_TOTAUX_INCOHERENTS" not in _codes(read_payment_file(unpaid))
    altered = unpaid.read_bytes().replace(b"<Sum>100</Sum>", b"<Sum>150</Sum>")
    (diagnostic,) = [
        d for d in read_payment_file(altered).diagnostics if d.code == "CAMT_TOTAUX_INCOHERENTS"
    ]
    assert "TtlDbtNtries/Sum" in diagnostic.message and diagnostic.line


def test_return_reason_is_taken_from_the_label_only_when_it_is_a_known_iso_code() -> None:
    assert reason_code_in_text(["IMPAYE PRLV SEPA", "MOTIF RETOUR AM04"]) == "AM04"
    assert reason_code_in_text(["FACTURE ZZ99 DU 12/03"]) is None
    assert reason_code_in_text([]) is None


# -- pain.002 statuses ----------------------------------------------------------------------

PAIN = PAYMENTS / "pain" / "oca__test-sepa-pain-unpaid.xml"


def test_pain002_accepted_transactions_are_counted_not_returned() -> None:
    text = PAIN.read_text().replace("<TxSts>RJCT</TxSts>", "<TxSts>ACSC</TxSts>", 1)
    result = read_payment_file(text.encode())
    assert result.records_read == 4
    assert [r.original_end_to_end_id for r in result.returns] == ["E2EID2", "E2EID3", "E2EID4"]


def test_pain002_transaction_without_status_inherits_its_block_status() -> None:
    text = PAIN.read_text().replace("<TxSts>RJCT</TxSts>", "", 1)
    inherited = text.replace(
        "<OrgnlPmtInfId>PMTINFID1</OrgnlPmtInfId>",
        "<OrgnlPmtInfId>PMTINFID1</OrgnlPmtInfId><PmtInfSts>RJCT</PmtInfSts>",
    )
    assert len(read_payment_file(text.encode()).returns) == 3
    assert len(read_payment_file(inherited.encode()).returns) == 4


def test_pain002_whole_remittance_rejected_without_details() -> None:
    text = PAIN.read_text()
    start, end = text.index("<OrgnlPmtInfAndSts>"), text.rindex("</OrgnlPmtInfAndSts>")
    group_only = text[:start] + text[end + len("</OrgnlPmtInfAndSts>") :]
    group_only = group_only.replace(
        "<OrgnlCtrlSum>400</OrgnlCtrlSum>",
        "<OrgnlCtrlSum>400</OrgnlCtrlSum><GrpSts>RJCT</GrpSts>"
        "<StsRsnInf><Rsn><Cd>FF01</Cd></Rsn></StsRsnInf>",
    )
    result = read_payment_file(group_only.encode())
    (reject,) = result.returns
    assert (reject.amount, reject.reason_code) == (Decimal("400"), "FF01")
    assert reject.original_message_id == "MSGID12345678912"
    assert "PAIN002_REJET_GLOBAL" in _codes(result)


def test_every_diagnostic_code_is_in_the_catalogue_and_used() -> None:
    package = Path(payment_files.__file__).parent
    source = "\n".join(
        p.read_text() for p in package.glob("*.py") if p.name != "diagnostic_codes.py"
    )
    used = set(
        re.findall(
            r'"((?:CAMT|CFONB|PAIN002|XML|FICHIER|FORMAT|SOLDES?|VERSION|ERREUR|IBAN|BIC)_[A-Z0-9_]+)"',
            source,
        )
    )
    assert used == set(DIAGNOSTIC_CODES)
