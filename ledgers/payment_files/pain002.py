"""pain.002 customer payment status report: the bank's answer to our direct-debit collections.

Each rejected transaction (`TxInfAndSts` whose status is RJCT, inherited from the payment
information block or the group when the transaction has none) becomes a `PaymentReturn` of kind
`reject`: the original end-to-end id, instruction id, mandate and amount, with the ISO reason
code. A payment information block or a whole group rejected without transaction details becomes
one reject for the block (its control sum as amount), with a warning. Accepted statuses are
counted, not kept: they move no money and change nothing in the ledger.
"""

from __future__ import annotations

from lxml import etree

from ledgers.payment_files.codes import status_reason_labels
from ledgers.payment_files.iso20022 import (
    account_iban,
    element_path,
    parse_amount,
    parse_datetime,
    parse_iso_date,
    party_name,
    text,
)
from ledgers.payment_files.model import PaymentFileResult, PaymentReturn, ReturnKind, Severity

_REJECTED = "RJCT"


def read_pain002(body: etree._Element, result: PaymentFileResult) -> None:
    """Fill `result` from a `CstmrPmtStsRpt` element."""
    header = body.find("GrpHdr")
    result.message_id = text(header, "MsgId")
    result.created_at = parse_datetime(text(header, "CreDtTm"))
    group = body.find("OrgnlGrpInfAndSts")
    original_message_id = text(group, "OrgnlMsgId")
    group_status = text(group, "GrpSts")
    blocks = body.findall("OrgnlPmtInfAndSts")
    if not blocks and group_status == _REJECTED and group is not None:
        _block_rejected(group, original_message_id, None, result)
    for block in blocks:
        block_status = text(block, "PmtInfSts") or group_status
        payment_information_id = text(block, "OrgnlPmtInfId")
        transactions = block.findall("TxInfAndSts")
        if not transactions and block_status == _REJECTED:
            _block_rejected(block, original_message_id, payment_information_id, result)
        for transaction in transactions:
            result.records_read += 1
            if (text(transaction, "TxSts") or block_status) != _REJECTED:
                continue
            reject = _transaction_reject(transaction, result)
            if reject is not None:
                reject.original_message_id = original_message_id
                reject.original_payment_information_id = payment_information_id
                result.returns.append(reject)


def _reason(element: etree._Element) -> tuple[str | None, str | None, str | None]:
    code = text(element, "StsRsnInf/Rsn/Cd", "StsRsnInf/Rsn/Prtry")
    info = " ".join(
        e.text.strip() for e in element.findall("StsRsnInf/AddtlInf") if e.text and e.text.strip()
    )
    return code, status_reason_labels().get(code or ""), info or None


def _transaction_reject(
    transaction: etree._Element, result: PaymentFileResult
) -> PaymentReturn | None:
    reference = transaction.find("OrgnlTxRef")
    amount_element = None
    if reference is not None:
        amount_element = reference.find("Amt/InstdAmt")
        if amount_element is None:
            amount_element = reference.find("IntrBkSttlmAmt")
    amount = None
    if amount_element is not None:
        try:
            amount = parse_amount((amount_element.text or "").strip())
        except ValueError:
            result.reject(
                "PAIN002_MONTANT_INVALIDE",
                "Montant de la transaction rejetée illisible : rejet non enregistré",
                line=amount_element.sourceline,
                xpath=element_path(amount_element),
            )
            return None
    try:
        collection_date = parse_iso_date(text(reference, "ReqdColltnDt"))
    except ValueError:
        collection_date = None
    code, label, info = _reason(transaction)
    if code is None:
        result.add(
            "PAIN002_MOTIF_ABSENT",
            Severity.WARNING,
            "Transaction rejetée sans code motif (StsRsnInf/Rsn)",
            line=transaction.sourceline,
            xpath=element_path(transaction),
        )
    return PaymentReturn(
        kind=ReturnKind.REJECT,
        amount=amount,
        currency=amount_element.get("Ccy") if amount_element is not None else None,
        reason_code=code,
        reason_scheme="ISO" if code else None,
        reason_label=label,
        reason_info=info,
        original_end_to_end_id=text(transaction, "OrgnlEndToEndId"),
        original_instruction_id=text(transaction, "OrgnlInstrId"),
        mandate_id=text(reference, "MndtRltdInf/MndtId"),
        status_id=text(transaction, "StsId"),
        requested_collection_date=collection_date,
        debtor_name=party_name(reference, "Dbtr"),
        debtor_iban=account_iban(reference, "DbtrAcct"),
        creditor_id=text(reference, "CdtrSchmeId/Id/PrvtId/Othr/Id"),
        line=transaction.sourceline,
        xpath=element_path(transaction),
    )


def _block_rejected(
    block: etree._Element,
    original_message_id: str | None,
    payment_information_id: str | None,
    result: PaymentFileResult,
) -> None:
    result.records_read += 1
    try:
        amount = parse_amount(text(block, "OrgnlCtrlSum"))
    except ValueError:
        amount = None
    code, label, info = _reason(block)
    result.add(
        "PAIN002_REJET_GLOBAL",
        Severity.WARNING,
        "Remise rejetée dans son ensemble, sans détail par transaction : un rejet enregistré"
        " pour la remise",
        line=block.sourceline,
        xpath=element_path(block),
    )
    result.returns.append(
        PaymentReturn(
            kind=ReturnKind.REJECT,
            amount=amount,
            currency=None,
            reason_code=code,
            reason_scheme="ISO" if code else None,
            reason_label=label,
            reason_info=info,
            original_end_to_end_id=None,
            original_instruction_id=None,
            mandate_id=None,
            original_message_id=original_message_id,
            original_payment_information_id=payment_information_id,
            line=block.sourceline,
            xpath=element_path(block),
        )
    )
