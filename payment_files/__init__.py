"""Bank payment files into normalised bank transactions.

    from payment_files import read_payment_file, transactions_frame
    result = read_payment_file("landing/releve.xml")
    result.transactions, result.statements, result.returns, result.diagnostics
    transactions_frame(result)  # Polars, amounts as Decimal(18, 2)

Reads camt.053 and camt.054 (versions .02 to .08), CFONB 120 statements and pain.002 status
reports. `read_payment_file` never raises: an unreadable or unknown file gives a result with
error diagnostics (stable code, French message, line or XML path). Pure Python: no DuckDB, no
Dagster.

Where things are: `model` (the normalised records), `detect` (which reader for which file),
`camt`, `cfonb`, `pain002` (one reader per format, `iso20022` for what the XML ones share),
`statement_checks` (balances and continuity), `identity` (the movement id that recognises a
movement delivered twice), `frames` (Polars tables), `codes` (CFONB operation codes and ISO
reason codes, shipped as CSV), `diagnostic_codes` (the catalogue of diagnostic codes).
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

from payment_files.account_checks import check_account_numbers
from payment_files.camt import read_camt
from payment_files.cfonb import read_cfonb
from payment_files.codes import status_reason_labels
from payment_files.detect import detect
from payment_files.frames import (
    diagnostics_frame,
    returns_frame,
    statements_frame,
    transactions_frame,
)
from payment_files.identity import assign_movement_ids
from payment_files.model import (
    Balance,
    BankTransaction,
    BankTransactionCode,
    Diagnostic,
    FileKind,
    PaymentFileResult,
    PaymentReturn,
    ReturnKind,
    Severity,
    Statement,
)
from payment_files.pain002 import read_pain002
from payment_files.statement_checks import check_statements

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
    "diagnostics_frame",
    "read_payment_file",
    "returns_frame",
    "statements_frame",
    "transactions_frame",
]

logger = logging.getLogger(__name__)


def read_payment_file(
    path_or_bytes: str | os.PathLike[str] | bytes, *, name: str | None = None
) -> PaymentFileResult:
    """Read one bank file (path or bytes); `name` labels the result (default: the path)."""
    if isinstance(path_or_bytes, bytes | bytearray | memoryview):
        data = bytes(path_or_bytes)
        source = name or "<octets>"
    else:
        source = name or os.fspath(path_or_bytes)
        try:
            data = Path(path_or_bytes).read_bytes()
        except OSError as error:
            result = PaymentFileResult(source, "", FileKind.UNKNOWN)
            result.add(
                "FICHIER_ILLISIBLE",
                Severity.ERROR,
                f"Fichier impossible à lire ({type(error).__name__})",
            )
            return result
    result = PaymentFileResult(source, hashlib.sha256(data).hexdigest(), FileKind.UNKNOWN)
    try:
        _read(data, result)
    except Exception as error:  # the promise: a bad file never stops the nightly batch
        logger.exception("payment file reader failed on file %s", result.file_id)
        result.add(
            "ERREUR_INTERNE",
            Severity.ERROR,
            f"Erreur interne du lecteur ({type(error).__name__}) : fichier à examiner",
        )
    return result


def _read(data: bytes, result: PaymentFileResult) -> None:
    detection = detect(data, result)
    result.kind = detection.kind
    result.message_name = detection.message_name
    if detection.text is not None and detection.kind is FileKind.CFONB120:
        read_cfonb(detection.text, result)
    elif detection.body is not None and detection.kind in (FileKind.CAMT053, FileKind.CAMT054):
        read_camt(detection.body, detection.kind, result)
    elif detection.body is not None and detection.kind is FileKind.PAIN002:
        read_pain002(detection.body, result)
    if result.statements:
        result.account_iban = result.statements[0].account_iban
        result.currency = result.statements[0].currency
    check_statements(result)
    assign_movement_ids(result.transactions)
    result.returns.extend(_booked_returns(result.transactions))
    check_account_numbers(result)


def _booked_returns(transactions: list[BankTransaction]) -> list[PaymentReturn]:
    """A booked return (camt/CFONB) also listed among the returns, linked to its movement."""
    labels = status_reason_labels()
    return [
        PaymentReturn(
            kind=ReturnKind.RETURN,
            amount=abs(tx.amount),
            currency=tx.currency,
            reason_code=tx.return_reason_code,
            reason_scheme=tx.return_reason_scheme,
            reason_label=labels.get(tx.return_reason_code or "")
            if tx.return_reason_scheme == "ISO"
            else None,
            reason_info=tx.return_reason_info,
            original_end_to_end_id=tx.end_to_end_id,
            original_instruction_id=tx.instruction_id,
            mandate_id=tx.mandate_id,
            original_payment_information_id=tx.payment_information_id,
            booking_date=tx.booking_date,
            debtor_name=tx.debtor_name,
            debtor_iban=tx.debtor_iban,
            creditor_id=tx.creditor_id,
            movement_id=tx.movement_id,
            line=tx.line,
            xpath=tx.xpath,
        )
        for tx in transactions
        if tx.is_return
    ]
