"""The normalised shapes every bank-file reader produces, whatever the format.

A payment file (camt.053 statement, camt.054 notification, CFONB 120 statement, pain.002 status
report) becomes one `PaymentFileResult`: its statements (with balances and a balance check), its
bank transactions (one per transaction detail, signed: credit positive, debit negative), the
returned or rejected payments it reports, and diagnostics. Amounts are `decimal.Decimal`
everywhere, never float. Account numbers (IBAN) are kept as data but never written into a
diagnostic message (see `mask_account`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from dsn_parser import masking
from dsn_parser.model import Severity

__all__ = [
    "Balance",
    "BankTransaction",
    "BankTransactionCode",
    "Diagnostic",
    "FileKind",
    "PaymentFileResult",
    "PaymentReturn",
    "ReturnKind",
    "Severity",
    "Statement",
    "mask_account",
    "quoted_value",
]


class FileKind(StrEnum):
    CAMT053 = "camt053"
    CAMT054 = "camt054"
    CFONB120 = "cfonb120"
    PAIN002 = "pain002"
    UNKNOWN = "unknown"


class ReturnKind(StrEnum):
    """A reject happens before settlement (no money moved: pain.002); a return after it (the
    bank books the reversal: camt.054 unpaid, camt.053 reversal, CFONB rejected/unpaid codes)."""

    REJECT = "reject"
    RETURN = "return"


@dataclass(frozen=True)
class Diagnostic:
    """A finding about the file, with where it was found: `line` (1-based, CFONB record line or
    XML source line) and, for XML, a readable path such as `Stmt[1]/Ntry[2]/NtryDtls/TxDtls[1]`.
    The message is French and never contains an account number or a name."""

    code: str
    severity: Severity
    message: str
    line: int | None = None
    xpath: str | None = None


@dataclass(frozen=True)
class Balance:
    amount: Decimal  # signed: a debit balance is negative
    currency: str | None
    on: date | None
    type_code: str  # OPBD, CLBD, PRCD... ; "01"/"07" for CFONB old/new balance


@dataclass(frozen=True)
class BankTransactionCode:
    """ISO bank transaction code (domain/family/sub-family, or the bank's proprietary code) and,
    for CFONB files, the interbank operation code with its ISO family from the CFONB table."""

    domain: str | None = None
    family: str | None = None
    sub_family: str | None = None
    proprietary: str | None = None
    proprietary_issuer: str | None = None
    cfonb_operation_code: str | None = None
    cfonb_family: str | None = None  # CHK, TRF, DDT, RTI (returned item)...
    cfonb_label: str | None = None


@dataclass
class Statement:
    """A camt.053 `Stmt`, a camt.054 `Ntfctn` (no balances) or a CFONB run 01 … 07."""

    index: int  # 0-based position in the file
    statement_id: str | None
    account_iban: str | None
    account_other_id: str | None  # when the account is not an IBAN (CFONB: bank/branch/account)
    currency: str | None
    opening: Balance | None = None
    closing: Balance | None = None
    booked_total: Decimal = Decimal(0)  # Σ signed booked entries (not the split details)
    entry_count: int = 0
    line: int | None = None  # first line (CFONB record 01 or XML element)
    xpath: str | None = None

    @property
    def account_key(self) -> str | None:
        return self.account_iban or self.account_other_id

    @property
    def balance_gap(self) -> Decimal | None:
        """closing − (opening + Σ booked movements); None when a balance is missing."""
        if self.opening is None or self.closing is None:
            return None
        return self.closing.amount - (self.opening.amount + self.booked_total)

    @property
    def balance_mismatch(self) -> bool:
        gap = self.balance_gap
        return gap is not None and gap != 0


@dataclass
class BankTransaction:
    """One movement on the account: one per transaction detail of a camt entry (a batch entry is
    split into its details), one per CFONB record 04 (with its 05 complements)."""

    # provenance
    statement_index: int
    entry_index: int  # 0-based position of the entry (camt Ntry, CFONB 04) in its statement
    detail_index: int | None  # 0-based position of the TxDtls in a split batch entry, else None
    line: int | None  # CFONB line of the 04 record, XML source line of the entry or detail
    xpath: str | None
    # the movement
    account_iban: str | None
    account_other_id: str | None
    booking_date: date | None
    value_date: date | None
    amount: Decimal  # signed: credit positive, debit negative
    currency: str | None
    status: str  # BOOK, PDNG, INFO
    code: BankTransactionCode
    # references
    account_servicer_reference: str | None = None  # the detail's AcctSvcrRef, else the entry's
    entry_account_servicer_reference: str | None = None  # the entry's (a batch's) AcctSvcrRef
    entry_reference: str | None = None  # camt NtryRef; CFONB entry number + reference zone
    bank_label: str | None = None  # CFONB 04 label (libellé de l'opération)
    end_to_end_id: str | None = None
    instruction_id: str | None = None
    payment_information_id: str | None = None
    transaction_id: str | None = None
    uetr: str | None = None
    mandate_id: str | None = None
    creditor_references: tuple[str, ...] = ()  # RmtInf/Strd/CdtrRefInf/Ref, CFONB LCS
    remittance_lines: tuple[str, ...] = ()  # RmtInf/Ustrd, CFONB LIB/LCC/LC2, 04 label
    additional_info: tuple[str, ...] = ()  # AddtlTxInf, AddtlNtryInf, AddtlRmtInf, other 05
    # parties
    debtor_name: str | None = None
    debtor_iban: str | None = None
    debtor_bic: str | None = None
    creditor_name: str | None = None
    creditor_iban: str | None = None
    creditor_bic: str | None = None
    creditor_id: str | None = None  # SEPA creditor identifier (ICS) when given
    # R-transactions
    reversal: bool = False  # camt RvslInd
    is_return: bool = False  # reversal, return information, or a "returned item" code
    return_reason_code: str | None = None  # ISO (AC04, MD06...) or CFONB reason (2 digits)
    return_reason_scheme: str | None = None  # "ISO" or "CFONB"
    return_reason_info: str | None = None
    # filled once the whole file is read (see identity.py)
    movement_id: str = ""

    @property
    def account_key(self) -> str | None:
        return self.account_iban or self.account_other_id

    @property
    def creditor_reference(self) -> str | None:
        return self.creditor_references[0] if self.creditor_references else None


@dataclass
class PaymentReturn:
    """A collected direct debit (or a transfer) that came back: rejected before settlement
    (pain.002 RJCT) or returned after it (camt/CFONB). Amounts are positive: the original
    payment's amount; `movement_id` links a return to the bank movement that books it."""

    kind: ReturnKind
    amount: Decimal | None
    currency: str | None
    reason_code: str | None
    reason_scheme: str | None  # "ISO" or "CFONB"
    reason_label: str | None  # from the ISO external code list (English, as published)
    reason_info: str | None
    original_end_to_end_id: str | None
    original_instruction_id: str | None
    mandate_id: str | None
    original_message_id: str | None = None
    original_payment_information_id: str | None = None
    status_id: str | None = None
    requested_collection_date: date | None = None
    booking_date: date | None = None
    debtor_name: str | None = None
    debtor_iban: str | None = None
    creditor_id: str | None = None
    movement_id: str | None = None
    line: int | None = None
    xpath: str | None = None


@dataclass
class PaymentFileResult:
    """Everything read from one payment file. `records_read` counts the file's records (CFONB
    lines, camt entries, pain.002 transaction statuses); `records_rejected` those that could not
    be turned into data, each with an error diagnostic."""

    source: str
    file_id: str  # SHA-256 hex of the bytes
    kind: FileKind
    message_name: str | None = None  # e.g. "camt.053.001.02"
    message_id: str | None = None
    created_at: datetime | None = None
    account_iban: str | None = None  # of the first statement; never log it
    currency: str | None = None
    statements: list[Statement] = field(default_factory=list)
    transactions: list[BankTransaction] = field(default_factory=list)
    returns: list[PaymentReturn] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    records_read: int = 0
    records_rejected: int = 0

    @property
    def ok(self) -> bool:
        """True when nothing in the file had to be rejected."""
        return not any(d.severity is Severity.ERROR for d in self.diagnostics)

    @property
    def balance_mismatches(self) -> list[Statement]:
        return [s for s in self.statements if s.balance_mismatch]

    def add(
        self,
        code: str,
        severity: Severity,
        message: str,
        *,
        line: int | None = None,
        xpath: str | None = None,
    ) -> None:
        self.diagnostics.append(Diagnostic(code, severity, message, line, xpath))

    def reject(
        self, code: str, message: str, *, line: int | None = None, xpath: str | None = None
    ) -> None:
        """Record a record that could not be read: counted, and reported as an error."""
        self.records_rejected += 1
        self.add(code, Severity.ERROR, message, line=line, xpath=xpath)


_CODE_LIKE = re.compile(r"^[0-9 .,:/{}+-]{0,20}[A-Z0-9{} ]{0,4}$")


def quoted_value(raw: str | None) -> str:
    """A misplaced value for a message: shown when it looks like a code, a date or an amount,
    masked otherwise (a shifted record can put a name where a number was expected)."""
    if raw is None:
        return "(absent)"
    return f"« {raw} »" if _CODE_LIKE.match(raw) else "(valeur masquée)"


def mask_account(account: str | None) -> str:
    """An account number as a message shows it (`dsn_parser.masking.mask_account`)."""
    if not account:
        return "(inconnu)"
    return masking.mask_account(account)
