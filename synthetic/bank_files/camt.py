"""ISO 20022 camt.054 notifications and camt.053 statements, versions 001.02, 001.04, 001.08.

Only what a bank reports on an insurer's collection account is written: booked entries with their
bank transaction code, and per transaction the references (account servicer, end-to-end,
mandate), the debtor (name, account, agent), the remittance information and, for returned
direct debits, the return reason. The element order follows the XSD of each version; the tests
validate every version against its schema.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from lxml import etree

from synthetic.bank_files.model import (
    ACCOUNT_CURRENCY,
    CENT,
    KIND_LABELS,
    BankAccount,
    BankBatch,
    BankMovement,
    Entry,
    MovementKind,
    entries_total,
    entry_movements,
    entry_reference,
)

SUPPORTED_VERSIONS = ("001.02", "001.04", "001.08")

# ISO bank transaction code (domain, family, sub-family) of each kind, creditor side.
_BANK_TRANSACTION_CODES = {
    MovementKind.SEPA_CREDIT_TRANSFER: ("PMNT", "RCDT", "ESCT"),
    MovementKind.SEPA_DIRECT_DEBIT: ("PMNT", "IDDT", "ESDD"),
    MovementKind.DIRECT_DEBIT_RETURN: ("PMNT", "IDDT", "UPDD"),
    MovementKind.CHEQUE: ("PMNT", "RCHQ", "CCHQ"),
}


@dataclass(frozen=True)
class _Dialect:
    """How one message version spells the few things that changed between versions."""

    namespace: str
    bic_tag: str  # "BIC" up to .02, "BICFI" from .04
    status_in_code: bool  # .08 wraps the entry status in <Cd>
    party_in_pty: bool  # .08 wraps a party in <Pty>
    amount_in_transaction: bool  # from .04 a transaction carries its own Amt and CdtDbtInd

    def sub(
        self, parent: etree._Element, tag: str, text: str | None = None, **attrib: str
    ) -> etree._Element:
        element = etree.SubElement(parent, f"{{{self.namespace}}}{tag}", attrib)
        if text is not None:
            element.text = text
        return element


def _dialect(message: str, version: str) -> _Dialect:
    if version not in SUPPORTED_VERSIONS:
        raise ValueError(f"{message} version {version!r} not supported: {SUPPORTED_VERSIONS}")
    modern = version != "001.02"
    return _Dialect(
        namespace=f"urn:iso:std:iso:20022:tech:xsd:{message}.{version}",
        bic_tag="BICFI" if modern else "BIC",
        status_in_code=version == "001.08",
        party_in_pty=version == "001.08",
        amount_in_transaction=modern,
    )


def write_camt054(
    path: Path | str,
    account: BankAccount,
    entries: Sequence[Entry],
    *,
    message_id: str,
    created_at: datetime,
    version: str = "001.08",
) -> None:
    """Write one camt.054 debit/credit notification of `entries` on `account`.

    A `BankMovement` becomes one entry (Ntry) with one transaction detail; a `BankBatch`
    becomes one entry with a batch summary and one transaction detail per movement.
    """
    dialect = _dialect("camt.054", version)
    root = etree.Element(f"{{{dialect.namespace}}}Document", nsmap={None: dialect.namespace})
    message = dialect.sub(root, "BkToCstmrDbtCdtNtfctn")
    _group_header(dialect, message, message_id, created_at)
    notification = dialect.sub(message, "Ntfctn")
    dialect.sub(notification, "Id", message_id)
    dialect.sub(notification, "CreDtTm", _datetime(created_at))
    _account(dialect, notification, account)
    for entry in entries:
        _entry(dialect, notification, entry)
    _write(path, root)


def write_camt053(
    path: Path | str,
    account: BankAccount,
    entries: Sequence[Entry],
    *,
    statement_id: str,
    from_date: date,
    to_date: date,
    opening_balance: Decimal,
    version: str = "001.02",
    created_at: datetime | None = None,
) -> None:
    """Write one camt.053 statement of `account` from `from_date` to `to_date` (inclusive).

    The opening booked balance (OPBD, dated `from_date`) is `opening_balance`; the closing
    booked balance (CLBD, dated `to_date`) is the opening balance plus every movement written.
    The caller chooses the entries, so two statements may overlap and repeat a movement.
    `created_at` defaults to the morning after `to_date`, so the output depends on the
    arguments only.
    """
    if to_date < from_date:
        raise ValueError(f"statement {statement_id}: to_date is before from_date")
    for entry in entries:
        if not from_date <= entry.booking_date <= to_date:
            raise ValueError(
                f"statement {statement_id}: entry {entry_reference(entry)} is booked outside "
                "the statement period"
            )
    dialect = _dialect("camt.053", version)
    created = created_at or datetime.combine(to_date + timedelta(days=1), time(6, 0))
    root = etree.Element(f"{{{dialect.namespace}}}Document", nsmap={None: dialect.namespace})
    message = dialect.sub(root, "BkToCstmrStmt")
    _group_header(dialect, message, statement_id, created)
    statement = dialect.sub(message, "Stmt")
    dialect.sub(statement, "Id", statement_id)
    dialect.sub(statement, "CreDtTm", _datetime(created))
    period = dialect.sub(statement, "FrToDt")
    dialect.sub(period, "FrDtTm", _datetime(datetime.combine(from_date, time(0, 0))))
    dialect.sub(period, "ToDtTm", _datetime(datetime.combine(to_date, time(23, 59, 59))))
    _account(dialect, statement, account)
    closing_balance = opening_balance + entries_total(entries)
    _balance(dialect, statement, "OPBD", opening_balance, from_date)
    _balance(dialect, statement, "CLBD", closing_balance, to_date)
    for entry in entries:
        _entry(dialect, statement, entry)
    _write(path, root)


def _write(path: Path | str, root: etree._Element) -> None:
    Path(path).write_bytes(
        etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    )


def _group_header(
    dialect: _Dialect, message: etree._Element, message_id: str, created_at: datetime
) -> None:
    header = dialect.sub(message, "GrpHdr")
    dialect.sub(header, "MsgId", message_id)
    dialect.sub(header, "CreDtTm", _datetime(created_at))


def _account(dialect: _Dialect, parent: etree._Element, account: BankAccount) -> None:
    element = dialect.sub(parent, "Acct")
    dialect.sub(dialect.sub(element, "Id"), "IBAN", account.iban)
    dialect.sub(element, "Ccy", ACCOUNT_CURRENCY)
    dialect.sub(dialect.sub(element, "Ownr"), "Nm", account.owner_name)
    servicer = dialect.sub(dialect.sub(element, "Svcr"), "FinInstnId")
    dialect.sub(servicer, dialect.bic_tag, account.bic)


def _balance(
    dialect: _Dialect, statement: etree._Element, code: str, amount: Decimal, on: date
) -> None:
    balance = dialect.sub(statement, "Bal")
    dialect.sub(dialect.sub(dialect.sub(balance, "Tp"), "CdOrPrtry"), "Cd", code)
    _amount(dialect, balance, amount)
    dialect.sub(dialect.sub(balance, "Dt"), "Dt", on.isoformat())


def _entry(dialect: _Dialect, parent: etree._Element, entry: Entry) -> None:
    ntry = dialect.sub(parent, "Ntry")
    _amount(dialect, ntry, entry.amount)
    status = dialect.sub(ntry, "Sts")
    if dialect.status_in_code:
        dialect.sub(status, "Cd", "BOOK")
    else:
        status.text = "BOOK"
    dialect.sub(dialect.sub(ntry, "BookgDt"), "Dt", entry.booking_date.isoformat())
    dialect.sub(dialect.sub(ntry, "ValDt"), "Dt", entry.value_date.isoformat())
    dialect.sub(ntry, "AcctSvcrRef", entry_reference(entry))
    _bank_transaction_code(dialect, ntry, "BkTxCd", _BANK_TRANSACTION_CODES[entry.kind])
    details = dialect.sub(ntry, "NtryDtls")
    movements = entry_movements(entry)
    if isinstance(entry, BankBatch):
        batch = dialect.sub(details, "Btch")
        dialect.sub(batch, "NbOfTxs", str(len(movements)))
        _amount(dialect, batch, entry.amount, amount_tag="TtlAmt")
    for movement in movements:
        _transaction(dialect, details, movement)
    dialect.sub(ntry, "AddtlNtryInf", _entry_label(entry))


def _entry_label(entry: Entry) -> str:
    label = KIND_LABELS[entry.kind]
    if isinstance(entry, BankBatch):
        return f"REMISE {label} {len(entry.movements)} OPERATIONS"
    return f"{label} {entry.debtor_name}"[:500]


def _transaction(dialect: _Dialect, details: etree._Element, movement: BankMovement) -> None:
    transaction = dialect.sub(details, "TxDtls")
    refs = dialect.sub(transaction, "Refs")
    dialect.sub(refs, "AcctSvcrRef", movement.account_servicer_reference)
    end_to_end_id = movement.end_to_end_id or movement.original_end_to_end_id
    if end_to_end_id is not None:
        dialect.sub(refs, "EndToEndId", end_to_end_id)
    if movement.mandate_id is not None:
        dialect.sub(refs, "MndtId", movement.mandate_id)
    if dialect.amount_in_transaction:
        _amount(dialect, transaction, movement.amount)
    else:  # .02 has no direction per transaction: the entry's applies
        transaction_amount = dialect.sub(dialect.sub(transaction, "AmtDtls"), "TxAmt")
        _amount(dialect, transaction_amount, movement.amount, with_direction=False)
    _bank_transaction_code(dialect, transaction, "BkTxCd", _BANK_TRANSACTION_CODES[movement.kind])
    _debtor(dialect, transaction, movement)
    _remittance(dialect, transaction, movement)
    if movement.return_reason is not None:
        return_info = dialect.sub(transaction, "RtrInf")
        original_code = _BANK_TRANSACTION_CODES[MovementKind.SEPA_DIRECT_DEBIT]
        _bank_transaction_code(dialect, return_info, "OrgnlBkTxCd", original_code)
        dialect.sub(dialect.sub(return_info, "Rsn"), "Cd", movement.return_reason)


def _debtor(dialect: _Dialect, transaction: etree._Element, movement: BankMovement) -> None:
    parties = dialect.sub(transaction, "RltdPties")
    debtor = dialect.sub(parties, "Dbtr")
    if dialect.party_in_pty:
        debtor = dialect.sub(debtor, "Pty")
    dialect.sub(debtor, "Nm", movement.debtor_name)
    if movement.debtor_iban is not None:
        account_id = dialect.sub(dialect.sub(parties, "DbtrAcct"), "Id")
        dialect.sub(account_id, "IBAN", movement.debtor_iban)
    if movement.debtor_bic is not None:
        agent = dialect.sub(dialect.sub(transaction, "RltdAgts"), "DbtrAgt")
        dialect.sub(dialect.sub(agent, "FinInstnId"), dialect.bic_tag, movement.debtor_bic)


def _remittance(dialect: _Dialect, transaction: etree._Element, movement: BankMovement) -> None:
    if movement.remittance_text is None and movement.creditor_reference is None:
        return
    remittance = dialect.sub(transaction, "RmtInf")
    if movement.remittance_text is not None:
        dialect.sub(remittance, "Ustrd", movement.remittance_text)
    if movement.creditor_reference is not None:
        reference = dialect.sub(dialect.sub(remittance, "Strd"), "CdtrRefInf")
        reference_type = dialect.sub(reference, "Tp")
        dialect.sub(dialect.sub(reference_type, "CdOrPrtry"), "Cd", "SCOR")
        if movement.creditor_reference.startswith("RF"):
            dialect.sub(reference_type, "Issr", "ISO")
        dialect.sub(reference, "Ref", movement.creditor_reference)


def _bank_transaction_code(
    dialect: _Dialect,
    parent: etree._Element,
    tag: str,
    code: tuple[str, str, str],
) -> None:
    domain_code, family_code, sub_family_code = code
    domain = dialect.sub(dialect.sub(parent, tag), "Domn")
    dialect.sub(domain, "Cd", domain_code)
    family = dialect.sub(domain, "Fmly")
    dialect.sub(family, "Cd", family_code)
    dialect.sub(family, "SubFmlyCd", sub_family_code)


def _amount(
    dialect: _Dialect,
    parent: etree._Element,
    signed: Decimal,
    amount_tag: str = "Amt",
    with_direction: bool = True,
) -> None:
    """ISO amounts are unsigned; the direction goes in CdtDbtInd."""
    dialect.sub(parent, amount_tag, str(abs(signed).quantize(CENT)), Ccy=ACCOUNT_CURRENCY)
    if with_direction:
        dialect.sub(parent, "CdtDbtInd", "CRDT" if signed >= 0 else "DBIT")


def _datetime(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
