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

from payment_files.codes import status_reason_labels
from payment_files.iso20022 import Node, element_path, parse_amount, parse_datetime
from payment_files.model import PaymentFileResult, PaymentReturn, ReturnKind, Severity

_REJECTED = "RJCT"


def read_pain002(body: etree._Element, result: PaymentFileResult) -> None:
    """Fill `result` from a `CstmrPmtStsRpt` element."""
    header = Node(body.find("GrpHdr"))
    result.message_id = header.text("MsgId")
    result.created_at = parse_datetime(header.text("CreDtTm"))
    group_element = body.find("OrgnlGrpInfAndSts")
    group = Node(group_element)
    original_message_id = group.text("OrgnlMsgId")
    group_status = group.text("GrpSts")
    blocks = body.findall("OrgnlPmtInfAndSts")
    if not blocks and group_status == _REJECTED and group_element is not None:
        _block_rejected(group, original_message_id, None, result)
    for block_element in blocks:
        block = Node(block_element, skip=frozenset({"TxInfAndSts"}))
        block_status = block.text("PmtInfSts") or group_status
        payment_information_id = block.text("OrgnlPmtInfId")
        transactions = block_element.findall("TxInfAndSts")
        if not transactions and block_status == _REJECTED:
            _block_rejected(block, original_message_id, payment_information_id, result)
        for transaction_element in transactions:
            result.records_read += 1
            transaction = Node(transaction_element)
            if (transaction.text("TxSts") or block_status) != _REJECTED:
                continue
            reject = _transaction_reject(transaction, result)
            if reject is not None:
                reject.original_message_id = original_message_id
                reject.original_payment_information_id = payment_information_id
                result.returns.append(reject)


def _reason(node: Node) -> tuple[str | None, str | None, str | None]:
    code = node.text("StsRsnInf/Rsn/Cd", "StsRsnInf/Rsn/Prtry")
    info = " ".join(node.texts("StsRsnInf/AddtlInf"))
    return code, status_reason_labels().get(code or ""), info or None


def _transaction_reject(transaction: Node, result: PaymentFileResult) -> PaymentReturn | None:
    amount_element = transaction.first("OrgnlTxRef/Amt/InstdAmt")
    if amount_element is None:
        amount_element = transaction.first("OrgnlTxRef/IntrBkSttlmAmt")
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
        collection_date = transaction.date("OrgnlTxRef/ReqdColltnDt")
    except ValueError:
        collection_date = None
    code, label, info = _reason(transaction)
    if code is None:
        result.add(
            "PAIN002_MOTIF_ABSENT",
            Severity.WARNING,
            "Transaction rejetée sans code motif (StsRsnInf/Rsn)",
            line=transaction.line,
            xpath=_path(transaction),
        )
    return PaymentReturn(
        kind=ReturnKind.REJECT,
        amount=amount,
        currency=amount_element.get("Ccy") if amount_element is not None else None,
        reason_code=code,
        reason_scheme="ISO" if code else None,
        reason_label=label,
        reason_info=info,
        original_end_to_end_id=transaction.text("OrgnlEndToEndId"),
        original_instruction_id=transaction.text("OrgnlInstrId"),
        mandate_id=transaction.text("OrgnlTxRef/MndtRltdInf/MndtId"),
        status_id=transaction.text("StsId"),
        requested_collection_date=collection_date,
        debtor_name=transaction.party_name("OrgnlTxRef/Dbtr"),
        debtor_iban=transaction.iban("OrgnlTxRef/DbtrAcct"),
        creditor_id=transaction.text("OrgnlTxRef/CdtrSchmeId/Id/PrvtId/Othr/Id"),
        line=transaction.line,
        xpath=_path(transaction),
    )


def _block_rejected(
    block: Node,
    original_message_id: str | None,
    payment_information_id: str | None,
    result: PaymentFileResult,
) -> None:
    result.records_read += 1
    try:
        amount = parse_amount(block.text("OrgnlCtrlSum"))
    except ValueError:
        amount = None
    code, label, info = _reason(block)
    result.add(
        "PAIN002_REJET_GLOBAL",
        Severity.WARNING,
        "Remise rejetée dans son ensemble, sans détail par transaction : un rejet enregistré"
        " pour la remise",
        line=block.line,
        xpath=_path(block),
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
            line=block.line,
            xpath=_path(block),
        )
    )


def _path(node: Node) -> str | None:
    return element_path(node.element) if node.element is not None else None
