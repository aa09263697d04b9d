"""The bank-file writers produce files a bank could have sent: valid against the ISO schemas,
CFONB 120 records exactly as the layout says, balances that add up, and the same bytes for the
same inputs. CFONB is checked with a small decoder written here from the layout (not the
product's parser), itself checked first against real sample statements."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from payment_files import BankTransaction, read_payment_file
from synthetic.bank_files import (
    BankAccount,
    BankBatch,
    BankMovement,
    Entry,
    MovementKind,
    batch_direct_debits,
    write_camt053,
    write_camt054,
    write_cfonb120,
)
from synthetic.bank_files.cfonb import encode_amount

PAYMENTS = Path(__file__).parents[1] / "fixtures" / "payments"
VERSIONS = ("001.02", "001.04", "001.08")

# FR76 30006 00001 12345678901 89: bank 30006, branch 00001, account 12345678901, RIB key 89.
INSURER = BankAccount(
    iban="FR7630006000011234567890189", bic="AGRIFRPP", owner_name="Prévoyance Exemple"
)
COMPANY_IBAN = "FR1420041010050500013M02606"
COMPANY_BIC = "PSSTFRPP"

TRANSFER = BankMovement(
    booking_date=date(2024, 2, 5),
    value_date=date(2024, 2, 5),
    amount=Decimal("1234.56"),
    kind=MovementKind.SEPA_CREDIT_TRANSFER,
    account_servicer_reference="B240205001",
    debtor_name="Hélène-Françoise D'Almeida, SARL",
    debtor_iban=COMPANY_IBAN,
    debtor_bic=COMPANY_BIC,
    end_to_end_id="COT-2024T1-0001",
    creditor_reference="RF18539007547034",
    remittance_text="Cotisations prévoyance 1er trimestre 2024 contrat PREV-0042",
)
DEBIT_1 = BankMovement(
    booking_date=date(2024, 2, 6),
    value_date=date(2024, 2, 7),
    amount=Decimal("10.00"),
    kind=MovementKind.SEPA_DIRECT_DEBIT,
    account_servicer_reference="B240206001",
    debtor_name="LE GOFF TRANSPORTS",
    debtor_iban=COMPANY_IBAN,
    end_to_end_id="PRLV-0001",
    mandate_id="RUM-0001",
)
DEBIT_2 = BankMovement(
    booking_date=date(2024, 2, 6),
    value_date=date(2024, 2, 7),
    amount=Decimal("20.05"),
    kind=MovementKind.SEPA_DIRECT_DEBIT,
    account_servicer_reference="B240206002",
    debtor_name="BOULANGERIE DUPONT",
    debtor_iban=COMPANY_IBAN,
    end_to_end_id="PRLV-0002",
    mandate_id="RUM-0002",
)
RETURN = BankMovement(
    booking_date=date(2024, 2, 12),
    value_date=date(2024, 2, 12),
    amount=Decimal("-10.00"),
    kind=MovementKind.DIRECT_DEBIT_RETURN,
    account_servicer_reference="B240212001",
    debtor_name="LE GOFF TRANSPORTS",
    debtor_iban=COMPANY_IBAN,
    mandate_id="RUM-0001",
    return_reason="AM04",
    original_end_to_end_id="PRLV-0001",
)
CHEQUE = BankMovement(
    booking_date=date(2024, 2, 20),
    value_date=date(2024, 2, 22),
    amount=Decimal("0.07"),
    kind=MovementKind.CHEQUE,
    account_servicer_reference="B240220001",
    debtor_name="Œuvres sociales Cœur d'Alène",
)
ENTRIES: list[Entry] = [TRANSFER, BankBatch("R240206", (DEBIT_1, DEBIT_2)), RETURN, CHEQUE]
# 100.00 + 1234.56 + 10.00 + 20.05 - 10.00 + 0.07, added up by hand
OPENING = Decimal("100.00")
CLOSING = Decimal("1354.68")


# --- camt -------------------------------------------------------------------------------------


def _schema(message: str, version: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(PAYMENTS / "xsd" / f"camt.{message}.{version}.xsd")))


def _xpath(node: etree._Element, path: str) -> list[etree._Element]:
    """Namespace-free XPath: `a/b` on local names."""
    steps = "/".join(
        f"*[local-name()='{step}']" if step not in ("", ".", "*") else step
        for step in path.split("/")
    )
    return node.xpath(steps)


def _texts(node: etree._Element, path: str) -> list[str]:
    return [element.text for element in _xpath(node, path)]


def _signed(node: etree._Element, amount_tag: str = "Amt") -> Decimal:
    amount = Decimal(_texts(node, amount_tag)[0])
    return amount if _texts(node, "CdtDbtInd")[0] == "CRDT" else -amount


def _write_camt053(path: Path, version: str, opening: Decimal = OPENING) -> etree._Element:
    write_camt053(
        path,
        INSURER,
        ENTRIES,
        statement_id="STMT-2024-02",
        from_date=date(2024, 2, 1),
        to_date=date(2024, 2, 29),
        opening_balance=opening,
        version=version,
    )
    return etree.parse(str(path)).getroot()


def _write_camt054(path: Path, version: str) -> etree._Element:
    write_camt054(
        path,
        INSURER,
        ENTRIES,
        message_id="NTF-2024-02-29",
        created_at=datetime(2024, 2, 29, 6, 30),
        version=version,
    )
    return etree.parse(str(path)).getroot()


@pytest.mark.parametrize("version", VERSIONS)
def test_camt053_is_valid_against_its_schema(tmp_path: Path, version: str) -> None:
    root = _write_camt053(tmp_path / "statement.xml", version)
    schema = _schema("053", version)
    assert schema.validate(root), schema.error_log
    assert root.nsmap[None] == f"urn:iso:std:iso:20022:tech:xsd:camt.053.{version}"


@pytest.mark.parametrize("version", VERSIONS)
def test_camt054_is_valid_against_its_schema(tmp_path: Path, version: str) -> None:
    root = _write_camt054(tmp_path / "notification.xml", version)
    schema = _schema("054", version)
    assert schema.validate(root), schema.error_log
    assert root.nsmap[None] == f"urn:iso:std:iso:20022:tech:xsd:camt.054.{version}"


@pytest.mark.parametrize("version", VERSIONS)
def test_camt053_closing_balance_is_opening_plus_movements(tmp_path: Path, version: str) -> None:
    statement = _xpath(_write_camt053(tmp_path / "s.xml", version), "BkToCstmrStmt/Stmt")[0]
    balances = {_texts(bal, "Tp/CdOrPrtry/Cd")[0]: bal for bal in _xpath(statement, "Bal")}
    assert _signed(balances["OPBD"]) == OPENING
    assert _signed(balances["CLBD"]) == CLOSING
    assert _texts(balances["OPBD"], "Dt/Dt") == ["2024-02-01"]
    assert _texts(balances["CLBD"], "Dt/Dt") == ["2024-02-29"]
    assert sum(_signed(entry) for entry in _xpath(statement, "Ntry")) == CLOSING - OPENING


def test_camt053_negative_balance_is_a_debit(tmp_path: Path) -> None:
    statement = _xpath(
        _write_camt053(tmp_path / "s.xml", "001.02", Decimal("-2000.00")), "BkToCstmrStmt/Stmt"
    )[0]
    closing = next(
        bal for bal in _xpath(statement, "Bal") if _texts(bal, "Tp/CdOrPrtry/Cd") == ["CLBD"]
    )
    assert _texts(closing, "Amt") == ["745.32"]  # -2000.00 + 1254.68
    assert _texts(closing, "CdtDbtInd") == ["DBIT"]


@pytest.mark.parametrize("version", VERSIONS)
def test_camt054_one_entry_per_movement_or_batch(tmp_path: Path, version: str) -> None:
    notification = _xpath(
        _write_camt054(tmp_path / "n.xml", version), "BkToCstmrDbtCdtNtfctn/Ntfctn"
    )[0]
    entries = _xpath(notification, "Ntry")
    assert [len(_xpath(entry, "NtryDtls/TxDtls")) for entry in entries] == [1, 2, 1, 1]
    assert [_signed(entry) for entry in entries] == [
        Decimal("1234.56"),
        Decimal("30.05"),
        Decimal("-10.00"),
        Decimal("0.07"),
    ]
    assert _texts(entries[1], "AcctSvcrRef") == ["R240206"]
    assert _texts(entries[1], "NtryDtls/Btch/NbOfTxs") == ["2"]
    assert _texts(entries[1], "NtryDtls/Btch/TtlAmt") == ["30.05"]
    assert [_texts(entry, "BookgDt/Dt")[0] for entry in entries] == [
        "2024-02-05",
        "2024-02-06",
        "2024-02-12",
        "2024-02-20",
    ]
    assert _texts(entries[1], "ValDt/Dt") == ["2024-02-07"]


@pytest.mark.parametrize("version", VERSIONS)
def test_camt054_transaction_details(tmp_path: Path, version: str) -> None:
    notification = _xpath(
        _write_camt054(tmp_path / "n.xml", version), "BkToCstmrDbtCdtNtfctn/Ntfctn"
    )[0]
    details = _xpath(notification, "Ntry/NtryDtls/TxDtls")
    assert [_texts(d, "Refs/AcctSvcrRef")[0] for d in details] == [
        "B240205001",
        "B240206001",
        "B240206002",
        "B240212001",
        "B240220001",
    ]
    # the return repeats the end-to-end id of the collection it returns
    assert [_texts(d, "Refs/EndToEndId") for d in details] == [
        ["COT-2024T1-0001"],
        ["PRLV-0001"],
        ["PRLV-0002"],
        ["PRLV-0001"],
        [],
    ]
    assert [_texts(d, "Refs/MndtId") for d in details][1:4] == [
        ["RUM-0001"],
        ["RUM-0002"],
        ["RUM-0001"],
    ]
    name_path = "RltdPties/Dbtr/Pty/Nm" if version == "001.08" else "RltdPties/Dbtr/Nm"
    assert _texts(details[0], name_path) == ["Hélène-Françoise D'Almeida, SARL"]
    assert _texts(details[0], "RltdPties/DbtrAcct/Id/IBAN") == [COMPANY_IBAN]
    assert _texts(details[0], "RltdAgts/DbtrAgt/FinInstnId/*") == [COMPANY_BIC]
    assert _texts(details[0], "RmtInf/Ustrd") == [TRANSFER.remittance_text]
    assert _texts(details[0], "RmtInf/Strd/CdtrRefInf/Ref") == ["RF18539007547034"]
    assert _texts(details[3], "RtrInf/Rsn/Cd") == ["AM04"]
    assert [_xpath(d, "RtrInf") == [] for d in details] == [True, True, True, False, True]
    amount_path = "Amt" if version != "001.02" else "AmtDtls/TxAmt/Amt"
    assert [_texts(d, amount_path) for d in details] == [
        ["1234.56"],
        ["10.00"],
        ["20.05"],
        ["10.00"],
        ["0.07"],
    ]


@pytest.mark.parametrize("writer", ["053", "054"])
def test_camt_output_is_deterministic(tmp_path: Path, writer: str) -> None:
    write = _write_camt053 if writer == "053" else _write_camt054
    write(tmp_path / "a.xml", "001.08")
    write(tmp_path / "b.xml", "001.08")
    assert (tmp_path / "a.xml").read_bytes() == (tmp_path / "b.xml").read_bytes()


def test_camt_rejects_unknown_version(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not supported"):
        _write_camt054(tmp_path / "n.xml", "001.05")


def test_camt053_rejects_a_movement_outside_its_period(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="outside"):
        write_camt053(
            tmp_path / "s.xml",
            INSURER,
            [TRANSFER],
            statement_id="S",
            from_date=date(2024, 3, 1),
            to_date=date(2024, 3, 31),
            opening_balance=OPENING,
        )


# --- CFONB 120 ----------------------------------------------------------------------------------

_POSITIVE = "{ABCDEFGHI"
_NEGATIVE = "}JKLMNOPQR"


def decode_amount(zone: str, decimals: int) -> Decimal:
    """CFONB signed amount: the last character is the last digit and the sign."""
    last = zone[-1]
    sign, digit = (1, _POSITIVE.index(last)) if last in _POSITIVE else (-1, _NEGATIVE.index(last))
    return sign * Decimal(int(zone[:-1] + str(digit))).scaleb(-decimals)


def records_of(data: bytes) -> list[str]:
    text = data.decode("ascii")
    if "\n" in text:
        return [line for line in text.split("\n") if line.strip()]
    return [text[i : i + 120] for i in range(0, len(text), 120)]


def _balance_checks(records: list[str]) -> list[tuple[Decimal, Decimal]]:
    """(opening + movements, closing) for every 01 … 07 block of a statement."""
    checks = []
    running = Decimal(0)
    for record in records:
        if record[:2] not in ("01", "04", "07"):
            continue
        amount = decode_amount(record[90:104], int(record[19]))
        if record.startswith("01"):
            running = amount
        elif record.startswith("04"):
            running += amount
        elif record.startswith("07"):
            checks.append((running, amount))
    return checks


@pytest.mark.parametrize(
    "sample",
    [
        "oca_l10n-france__cfonb_classic.cfo",
        "pennylane__example.txt",
        "silarhi__complex-test.txt",
        "silarhi__non-strict-test.txt",
        "silarhi__simple-test.txt",
        "silarhi__test-unused-parts.txt",
    ],
)
def test_the_test_decoder_balances_real_statements(sample: str) -> None:
    checks = _balance_checks(records_of((PAYMENTS / "cfonb120" / sample).read_bytes()))
    assert checks
    assert all(computed == closing for computed, closing in checks)


def test_the_test_decoder_reads_a_known_balance() -> None:
    records = records_of(
        (PAYMENTS / "cfonb120" / "oca_l10n-france__cfonb_classic.cfo").read_bytes()
    )
    assert decode_amount(records[0][90:104], 2) == Decimal("1017311.89")  # per the sample's source
    assert decode_amount(records[-1][90:104], 2) == Decimal("1031585.79")


def _write_cfonb(
    path: Path, line_breaks: bool = True, entries: list[Entry] | None = None
) -> list[str]:
    write_cfonb120(
        path,
        INSURER,
        ENTRIES if entries is None else entries,
        from_date=date(2024, 2, 1),
        to_date=date(2024, 2, 29),
        opening_balance=OPENING,
        line_breaks=line_breaks,
    )
    return records_of(path.read_bytes())


def test_cfonb_records_are_120_characters_with_or_without_line_breaks(tmp_path: Path) -> None:
    with_breaks = _write_cfonb(tmp_path / "a.cfo", line_breaks=True)
    without = _write_cfonb(tmp_path / "b.cfo", line_breaks=False)
    raw = (tmp_path / "b.cfo").read_bytes()
    assert b"\n" not in raw and len(raw) == 120 * len(without)
    assert (tmp_path / "a.cfo").read_bytes().count(b"\n") == len(with_breaks)
    assert with_breaks == without
    assert all(len(record) == 120 for record in with_breaks)


def test_cfonb_structure_and_account_numbers_from_the_iban(tmp_path: Path) -> None:
    records = _write_cfonb(tmp_path / "s.cfo")
    assert [r[:2] for r in records] == [
        "01",
        "04",
        "05",
        "05",
        "05",
        "05",
        "05",
        "04",
        "05",
        "04",
        "05",
        "05",
        "05",
        "05",
        "05",
        "05",
        "04",
        "05",
        "05",
        "07",
    ]
    for record in records:
        assert (record[2:7], record[11:16], record[16:19], record[19], record[21:32]) == (
            "30006",
            "00001",
            "EUR",
            "2",
            "12345678901",
        )


def test_cfonb_amounts_and_balances_decode_back(tmp_path: Path) -> None:
    records = _write_cfonb(tmp_path / "s.cfo")
    movements = [decode_amount(r[90:104], 2) for r in records if r.startswith("04")]
    assert movements == [Decimal("1234.56"), Decimal("30.05"), Decimal("-10.00"), Decimal("0.07")]
    assert decode_amount(records[0][90:104], 2) == OPENING
    assert decode_amount(records[-1][90:104], 2) == CLOSING
    assert _balance_checks(records) == [(CLOSING, CLOSING)]


def test_cfonb_dates_codes_and_references(tmp_path: Path) -> None:
    records = _write_cfonb(tmp_path / "s.cfo")
    assert records[0][34:40] == "310124"  # old balance: the evening before the first day
    assert records[-1][34:40] == "290224"
    movements = [r for r in records if r.startswith("04")]
    assert [(r[32:34], r[34:40], r[42:48]) for r in movements] == [
        ("05", "050224", "050224"),
        ("A1", "060224", "070224"),
        ("B3", "120224", "120224"),
        ("02", "200224", "220224"),
    ]
    assert [r[104:120].rstrip() for r in movements] == [
        "B240205001",
        "R240206",
        "B240212001",
        "B240220001",
    ]
    assert movements[0][48:79] == "VIR SEPA HELENE-FRANCOISE D'ALM"
    assert movements[3][48:79] == "REMISE CHEQUE OEUVRES SOCIALES "


def _complements(records: list[str], movement_index: int) -> dict[str, str]:
    """Qualifier -> information of the 05 records following the n-th 04 record."""
    starts = [i for i, r in enumerate(records) if r.startswith("04")]
    found = {}
    for record in records[starts[movement_index] + 1 :]:
        if not record.startswith("05"):
            break
        assert record[40:45] == "     " and record[118:120] == "  "
        found[record[45:48]] = record[48:118].rstrip()
    return found


def test_cfonb_complements_carry_payer_and_references(tmp_path: Path) -> None:
    records = _write_cfonb(tmp_path / "s.cfo")
    transfer = _complements(records, 0)
    assert transfer["NPY"] == "HELENE-FRANCOISE D'ALMEIDA, SARL"
    assert transfer["RCN"] == "COT-2024T1-0001"
    assert transfer["LCS"] == "RF18539007547034"
    assert transfer["LCC"] == "Cotisations prevoyance 1er trimestre 2024 contrat PREV-0042"
    assert "CPY" not in transfer  # a transfer's payer account is never shown (banking secrecy)
    returned = _complements(records, 2)
    assert returned["RCN"] == "PRLV-0001"
    assert returned["RUM"] == "RUM-0001"
    assert returned["CPY"] == COMPANY_IBAN
    assert "AM04" in returned["LIB"]


def test_cfonb_long_remittance_text_continues_on_a_second_line(tmp_path: Path) -> None:
    text = "A" * 70 + "B" * 50
    movement = BankMovement(
        booking_date=date(2024, 2, 5),
        value_date=date(2024, 2, 5),
        amount=Decimal("1.00"),
        kind=MovementKind.SEPA_CREDIT_TRANSFER,
        account_servicer_reference="X1",
        debtor_name="X",
        remittance_text=text,
    )
    complements = _complements(_write_cfonb(tmp_path / "s.cfo", entries=[movement]), 0)
    assert complements["LCC"] + complements["LC2"] == text


def test_cfonb_output_is_deterministic(tmp_path: Path) -> None:
    _write_cfonb(tmp_path / "a.cfo")
    _write_cfonb(tmp_path / "b.cfo")
    assert (tmp_path / "a.cfo").read_bytes() == (tmp_path / "b.cfo").read_bytes()


@given(
    st.decimals(min_value=Decimal("-99999999999.99"), max_value=Decimal("99999999999.99"), places=2)
)
def test_cfonb_amount_encoding_round_trips(amount: Decimal) -> None:
    zone = encode_amount(amount)
    assert len(zone) == 14
    assert decode_amount(zone, 2) == amount


def test_cfonb_needs_a_french_account(tmp_path: Path) -> None:
    german = BankAccount(iban="DE89370400440532013000", bic="COBADEFFXXX", owner_name="X")
    with pytest.raises(ValueError, match="French IBAN"):
        write_cfonb120(
            tmp_path / "s.cfo",
            german,
            [],
            from_date=date(2024, 1, 1),
            to_date=date(2024, 1, 31),
            opening_balance=OPENING,
        )


def test_cfonb_rejects_a_reference_too_long_for_its_zone(tmp_path: Path) -> None:
    movement = BankMovement(
        booking_date=date(2024, 2, 5),
        value_date=date(2024, 2, 5),
        amount=Decimal("1.00"),
        kind=MovementKind.SEPA_CREDIT_TRANSFER,
        account_servicer_reference="REF-LONGER-THAN-16-CHARS",
        debtor_name="X",
    )
    with pytest.raises(ValueError, match="16 characters"):
        _write_cfonb(tmp_path / "s.cfo", entries=[movement])


# --- the movement model -------------------------------------------------------------------------


def _movement(**changes: object) -> BankMovement:
    fields: dict[str, object] = {
        "booking_date": date(2024, 2, 5),
        "value_date": date(2024, 2, 5),
        "amount": Decimal("1.00"),
        "kind": MovementKind.SEPA_CREDIT_TRANSFER,
        "account_servicer_reference": "X1",
        "debtor_name": "X",
    }
    fields.update(changes)
    return BankMovement(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount": Decimal("1.001")}, "2 decimals"),
        ({"amount": Decimal("0.00")}, "zero"),
        ({"amount": 1.5}, "Decimal"),
        ({"amount": Decimal("-1.00")}, "sign"),
        ({"kind": MovementKind.DIRECT_DEBIT_RETURN, "amount": Decimal("-1.00")}, "reason"),
        (
            {
                "kind": MovementKind.DIRECT_DEBIT_RETURN,
                "amount": Decimal("-1.00"),
                "return_reason": "MD06",
                "original_end_to_end_id": "E1",
                "end_to_end_id": "E2",
            },
            "original",
        ),
        ({"return_reason": "AM04"}, "only a return"),
        ({"end_to_end_id": "E" * 36}, "end_to_end_id"),
        ({"currency": "CHF"}, "euros"),
        ({"debtor_name": " "}, "debtor_name"),
    ],
)
def test_movement_rejects_inconsistent_values(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _movement(**changes)


def test_movement_rejects_an_invalid_iban() -> None:
    with pytest.raises(ValueError):
        _movement(debtor_iban="FR7630006000011234567890188")


def test_batch_needs_movements_of_one_day_and_kind() -> None:
    with pytest.raises(ValueError, match="differ"):
        BankBatch("R1", (DEBIT_1, _movement(kind=MovementKind.SEPA_DIRECT_DEBIT)))
    assert BankBatch("R1", (DEBIT_1, DEBIT_2)).amount == Decimal("30.05")


# --- round trip through the product's readers ---------------------------------------------------


def _flat(entries: list[Entry]) -> list[BankMovement]:
    return [m for e in entries for m in (e.movements if isinstance(e, BankBatch) else (e,))]


def _as_written(movement: BankMovement) -> tuple[object, ...]:
    return (
        movement.amount,
        movement.booking_date,
        movement.value_date,
        movement.end_to_end_id or movement.original_end_to_end_id,
        movement.mandate_id,
        movement.creditor_reference,
        movement.debtor_name,
        movement.debtor_iban,
        movement.kind is MovementKind.DIRECT_DEBIT_RETURN,
        movement.return_reason,
    )


def _as_read(tx: BankTransaction) -> tuple[object, ...]:
    return (
        tx.amount,
        tx.booking_date,
        tx.value_date,
        tx.end_to_end_id,
        tx.mandate_id,
        tx.creditor_reference,
        tx.debtor_name,
        tx.debtor_iban,
        tx.is_return,
        tx.return_reason_code,
    )


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("message", ["053", "054"])
def test_camt_reads_back_the_same_movements(tmp_path: Path, message: str, version: str) -> None:
    path = tmp_path / "camt.xml"
    (_write_camt053 if message == "053" else _write_camt054)(path, version)
    result = read_payment_file(path)
    assert result.ok and result.message_name == f"camt.{message}.{version}"
    assert [_as_read(tx) for tx in result.transactions] == [_as_written(m) for m in _flat(ENTRIES)]
    singles = [e for e in ENTRIES if isinstance(e, BankMovement)]
    assert [
        tx.account_servicer_reference for tx in result.transactions if tx.detail_index is None
    ] == [m.account_servicer_reference for m in singles]
    assert [r.original_end_to_end_id for r in result.returns] == ["PRLV-0001"]
    if message == "053":
        assert result.statements[0].balance_gap == 0
        assert result.statements[0].closing is not None
        assert result.statements[0].closing.amount == CLOSING


@pytest.mark.parametrize("line_breaks", [True, False])
def test_cfonb_reads_back_the_same_movements(tmp_path: Path, line_breaks: bool) -> None:
    path = tmp_path / "releve.cfo"
    _write_cfonb(path, line_breaks=line_breaks)
    result = read_payment_file(path)
    assert result.ok and result.kind.value == "cfonb120"
    read = [
        (tx.amount, tx.booking_date, tx.value_date, tx.end_to_end_id, tx.mandate_id, tx.is_return)
        for tx in result.transactions
    ]
    assert read == [
        (Decimal("1234.56"), date(2024, 2, 5), date(2024, 2, 5), "COT-2024T1-0001", None, False),
        (Decimal("30.05"), date(2024, 2, 6), date(2024, 2, 7), None, None, False),
        (Decimal("-10.00"), date(2024, 2, 12), date(2024, 2, 12), "PRLV-0001", "RUM-0001", True),
        (Decimal("0.07"), date(2024, 2, 20), date(2024, 2, 22), None, None, False),
    ]
    transfer, _, returned, _ = result.transactions
    assert transfer.creditor_reference == "RF18539007547034"
    assert transfer.debtor_name == "HELENE-FRANCOISE D'ALMEIDA, SARL"
    assert transfer.debtor_iban is None  # banking secrecy: a transfer's payer account is not shown
    assert returned.debtor_iban == COMPANY_IBAN
    statement = result.statements[0]
    assert statement.opening is not None and statement.opening.amount == OPENING
    assert statement.closing is not None and statement.closing.amount == CLOSING
    assert statement.balance_gap == 0


def test_a_movement_delivered_twice_keeps_its_identity(tmp_path: Path) -> None:
    """Overlapping statements and a notification of the same movement: one movement, one id."""
    first, second = tmp_path / "s1.xml", tmp_path / "s2.xml"
    for path, entries, period in (
        (first, [TRANSFER, RETURN], (date(2024, 2, 1), date(2024, 2, 15))),
        (second, [RETURN, CHEQUE], (date(2024, 2, 10), date(2024, 2, 29))),
    ):
        write_camt053(
            path,
            INSURER,
            entries,
            statement_id=path.stem,
            from_date=period[0],
            to_date=period[1],
            opening_balance=OPENING,
            version="001.08",
        )
    notification = tmp_path / "n.xml"
    write_camt054(
        notification,
        INSURER,
        [RETURN],
        message_id="N",
        created_at=datetime(2024, 2, 12, 20),
        version="001.08",
    )
    ids = [
        {tx.account_servicer_reference: tx.movement_id for tx in read_payment_file(p).transactions}
        for p in (first, second, notification)
    ]
    assert ids[0]["B240212001"] == ids[1]["B240212001"] == ids[2]["B240212001"]
    assert len({*ids[0].values(), *ids[1].values()}) == 3


def test_direct_debits_of_a_day_are_batched_and_the_rest_left_alone() -> None:
    lone_debit = _movement(
        kind=MovementKind.SEPA_DIRECT_DEBIT,
        booking_date=date(2024, 2, 7),
        value_date=date(2024, 2, 7),
        account_servicer_reference="B240207001",
    )
    entries = batch_direct_debits([TRANSFER, DEBIT_1, RETURN, DEBIT_2, lone_debit], "R1")
    assert entries == [
        TRANSFER,
        BankBatch("R1240206240207", (DEBIT_1, DEBIT_2)),
        RETURN,
        lone_debit,
    ]
