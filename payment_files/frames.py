"""Polars tables of what the readers produced, ready for DuckDB (one row per record, with the
file id for provenance). Amounts are `pl.Decimal(18, 2)`: exact, never float."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import polars as pl

from payment_files.model import PaymentFileResult

AMOUNT = pl.Decimal(18, 2)

TRANSACTIONS_SCHEMA: dict[str, pl.DataType] = {
    "file_id": pl.String(),
    "file_kind": pl.String(),
    "movement_id": pl.String(),
    "statement_index": pl.UInt32(),
    "entry_index": pl.UInt32(),
    "detail_index": pl.UInt32(),
    "line": pl.UInt32(),
    "xpath": pl.String(),
    "account_iban": pl.String(),
    "account_other_id": pl.String(),
    "booking_date": pl.Date(),
    "value_date": pl.Date(),
    "amount": AMOUNT,  # signed: credit positive
    "currency": pl.String(),
    "status": pl.String(),
    "btc_domain": pl.String(),
    "btc_family": pl.String(),
    "btc_sub_family": pl.String(),
    "btc_proprietary": pl.String(),
    "cfonb_operation_code": pl.String(),
    "cfonb_family": pl.String(),
    "account_servicer_reference": pl.String(),
    "entry_account_servicer_reference": pl.String(),
    "entry_reference": pl.String(),
    "bank_label": pl.String(),
    "end_to_end_id": pl.String(),
    "instruction_id": pl.String(),
    "payment_information_id": pl.String(),
    "transaction_id": pl.String(),
    "uetr": pl.String(),
    "mandate_id": pl.String(),
    "creditor_reference": pl.String(),
    "creditor_references": pl.List(pl.String()),
    "remittance_lines": pl.List(pl.String()),
    "additional_info": pl.List(pl.String()),
    "debtor_name": pl.String(),
    "debtor_iban": pl.String(),
    "debtor_bic": pl.String(),
    "creditor_name": pl.String(),
    "creditor_iban": pl.String(),
    "creditor_bic": pl.String(),
    "creditor_id": pl.String(),
    "reversal": pl.Boolean(),
    "is_return": pl.Boolean(),
    "return_reason_code": pl.String(),
    "return_reason_scheme": pl.String(),
    "return_reason_info": pl.String(),
}

RETURNS_SCHEMA: dict[str, pl.DataType] = {
    "file_id": pl.String(),
    "kind": pl.String(),  # ReturnKind: reject (pain.002) or return (booked)
    "movement_id": pl.String(),
    "amount": AMOUNT,  # positive: the original payment
    "currency": pl.String(),
    "reason_code": pl.String(),
    "reason_scheme": pl.String(),
    "reason_label": pl.String(),
    "reason_info": pl.String(),
    "original_end_to_end_id": pl.String(),
    "original_instruction_id": pl.String(),
    "mandate_id": pl.String(),
    "original_message_id": pl.String(),
    "original_payment_information_id": pl.String(),
    "status_id": pl.String(),
    "requested_collection_date": pl.Date(),
    "booking_date": pl.Date(),
    "debtor_name": pl.String(),
    "debtor_iban": pl.String(),
    "creditor_id": pl.String(),
    "line": pl.UInt32(),
    "xpath": pl.String(),
}

STATEMENTS_SCHEMA: dict[str, pl.DataType] = {
    "file_id": pl.String(),
    "statement_index": pl.UInt32(),
    "statement_id": pl.String(),
    "account_iban": pl.String(),
    "account_other_id": pl.String(),
    "currency": pl.String(),
    "opening_amount": AMOUNT,
    "opening_date": pl.Date(),
    "closing_amount": AMOUNT,
    "closing_date": pl.Date(),
    "booked_total": AMOUNT,
    "entry_count": pl.UInt32(),
    "balance_gap": AMOUNT,
    "balance_mismatch": pl.Boolean(),
    "line": pl.UInt32(),
}

DIAGNOSTICS_SCHEMA: dict[str, pl.DataType] = {
    "file_id": pl.String(),
    "source": pl.String(),
    "code": pl.String(),
    "severity": pl.String(),
    "message": pl.String(),  # French, no account number or name
    "line": pl.UInt32(),
    "xpath": pl.String(),
}


def _as_list(results: PaymentFileResult | Iterable[PaymentFileResult]) -> list[PaymentFileResult]:
    return [results] if isinstance(results, PaymentFileResult) else list(results)


def _amount(value: Decimal | None) -> Decimal | None:
    """Decimal(18, 2) refuses to round silently: amounts with more decimals than cents (none in
    EUR) are rounded half-even here, explicitly."""
    return None if value is None else value.quantize(Decimal("0.01"))


def transactions_frame(results: PaymentFileResult | Iterable[PaymentFileResult]) -> pl.DataFrame:
    rows = [
        {
            "file_id": result.file_id,
            "file_kind": str(result.kind),
            "movement_id": tx.movement_id,
            "statement_index": tx.statement_index,
            "entry_index": tx.entry_index,
            "detail_index": tx.detail_index,
            "line": tx.line,
            "xpath": tx.xpath,
            "account_iban": tx.account_iban,
            "account_other_id": tx.account_other_id,
            "booking_date": tx.booking_date,
            "value_date": tx.value_date,
            "amount": _amount(tx.amount),
            "currency": tx.currency,
            "status": tx.status,
            "btc_domain": tx.code.domain,
            "btc_family": tx.code.family,
            "btc_sub_family": tx.code.sub_family,
            "btc_proprietary": tx.code.proprietary,
            "cfonb_operation_code": tx.code.cfonb_operation_code,
            "cfonb_family": tx.code.cfonb_family,
            "account_servicer_reference": tx.account_servicer_reference,
            "entry_account_servicer_reference": tx.entry_account_servicer_reference,
            "entry_reference": tx.entry_reference,
            "bank_label": tx.bank_label,
            "end_to_end_id": tx.end_to_end_id,
            "instruction_id": tx.instruction_id,
            "payment_information_id": tx.payment_information_id,
            "transaction_id": tx.transaction_id,
            "uetr": tx.uetr,
            "mandate_id": tx.mandate_id,
            "creditor_reference": tx.creditor_reference,
            "creditor_references": list(tx.creditor_references),
            "remittance_lines": list(tx.remittance_lines),
            "additional_info": list(tx.additional_info),
            "debtor_name": tx.debtor_name,
            "debtor_iban": tx.debtor_iban,
            "debtor_bic": tx.debtor_bic,
            "creditor_name": tx.creditor_name,
            "creditor_iban": tx.creditor_iban,
            "creditor_bic": tx.creditor_bic,
            "creditor_id": tx.creditor_id,
            "reversal": tx.reversal,
            "is_return": tx.is_return,
            "return_reason_code": tx.return_reason_code,
            "return_reason_scheme": tx.return_reason_scheme,
            "return_reason_info": tx.return_reason_info,
        }
        for result in _as_list(results)
        for tx in result.transactions
    ]
    return pl.DataFrame(rows, schema=TRANSACTIONS_SCHEMA)


def returns_frame(results: PaymentFileResult | Iterable[PaymentFileResult]) -> pl.DataFrame:
    rows = [
        {
            "file_id": result.file_id,
            "kind": str(ret.kind),
            "movement_id": ret.movement_id,
            "amount": _amount(ret.amount),
            "currency": ret.currency,
            "reason_code": ret.reason_code,
            "reason_scheme": ret.reason_scheme,
            "reason_label": ret.reason_label,
            "reason_info": ret.reason_info,
            "original_end_to_end_id": ret.original_end_to_end_id,
            "original_instruction_id": ret.original_instruction_id,
            "mandate_id": ret.mandate_id,
            "original_message_id": ret.original_message_id,
            "original_payment_information_id": ret.original_payment_information_id,
            "status_id": ret.status_id,
            "requested_collection_date": ret.requested_collection_date,
            "booking_date": ret.booking_date,
            "debtor_name": ret.debtor_name,
            "debtor_iban": ret.debtor_iban,
            "creditor_id": ret.creditor_id,
            "line": ret.line,
            "xpath": ret.xpath,
        }
        for result in _as_list(results)
        for ret in result.returns
    ]
    return pl.DataFrame(rows, schema=RETURNS_SCHEMA)


def statements_frame(results: PaymentFileResult | Iterable[PaymentFileResult]) -> pl.DataFrame:
    rows = [
        {
            "file_id": result.file_id,
            "statement_index": st.index,
            "statement_id": st.statement_id,
            "account_iban": st.account_iban,
            "account_other_id": st.account_other_id,
            "currency": st.currency,
            "opening_amount": _amount(st.opening.amount) if st.opening else None,
            "opening_date": st.opening.on if st.opening else None,
            "closing_amount": _amount(st.closing.amount) if st.closing else None,
            "closing_date": st.closing.on if st.closing else None,
            "booked_total": _amount(st.booked_total),
            "entry_count": st.entry_count,
            "balance_gap": _amount(st.balance_gap),
            "balance_mismatch": st.balance_mismatch,
            "line": st.line,
        }
        for result in _as_list(results)
        for st in result.statements
    ]
    return pl.DataFrame(rows, schema=STATEMENTS_SCHEMA)


def diagnostics_frame(results: PaymentFileResult | Iterable[PaymentFileResult]) -> pl.DataFrame:
    rows = [
        {
            "file_id": result.file_id,
            "source": result.source,
            "code": d.code,
            "severity": str(d.severity),
            "message": d.message,
            "line": d.line,
            "xpath": d.xpath,
        }
        for result in _as_list(results)
        for d in result.diagnostics
    ]
    return pl.DataFrame(rows, schema=DIAGNOSTICS_SCHEMA)
