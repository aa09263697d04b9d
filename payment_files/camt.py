"""camt.053 (bank to customer statement) and camt.054 (debit/credit notification), any version.

A statement (`Stmt`) or notification (`Ntfctn`) holds entries (`Ntry`); an entry may hold several
transaction details (`NtryDtls/TxDtls`), e.g. a batch of collected direct debits booked as one
amount. Each entry becomes one bank transaction per detail when the details can be valued (their
signed amounts add up to the entry's amount, in its currency); otherwise the entry stays one
transaction, with a warning, so that the transactions of a statement always add up to its
entries. Balances are read here and checked in `statement_checks`.

Record paths are built from positions (`…/Stmt[1]/Ntry[2]/NtryDtls/TxDtls[1]`: the n-th element
of that name), which costs nothing per record.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from decimal import Decimal
from typing import Any

from lxml import etree

from payment_files.codes import RETURN_SUB_FAMILIES
from payment_files.iso20022 import Node, element_path, parse_amount, parse_datetime
from payment_files.model import (
    Balance,
    BankTransaction,
    BankTransactionCode,
    FileKind,
    PaymentFileResult,
    Severity,
    Statement,
    quoted_value,
)

_SIGN = {"CRDT": 1, "DBIT": -1}
# Opening balance by preference: opening booked, previous closing booked, then the interim
# booked balance a page of a paginated statement starts with; closing: closing booked, else the
# interim booked balance the page ends with.
_OPENING_CODES = ("OPBD", "PRCD", "ITBD")
_CLOSING_CODES = ("CLBD", "ITBD")
_BOOKED = "BOOK"
_ENTRY = frozenset({"Ntry"})


class _UnreadableError(Exception):
    """An element whose mandatory data cannot be read; carries a French message."""


@dataclass(frozen=True)
class _Entry:
    node: Node
    amount: Decimal  # signed
    currency: str | None
    line: int | None
    xpath: str


def read_camt(body: etree._Element, kind: FileKind, result: PaymentFileResult) -> None:
    """Fill `result` from the message body (`BkToCstmrStmt` or `BkToCstmrDbtCdtNtfctn`)."""
    header = Node(body.find("GrpHdr"))
    result.message_id = header.text("MsgId")
    result.created_at = parse_datetime(header.text("CreDtTm"))
    report_tag = "Stmt" if kind is FileKind.CAMT053 else "Ntfctn"
    body_path = element_path(body)
    for index, report in enumerate(body.iterfind(report_tag)):
        statement = _statement(report, index, f"{body_path}/{report_tag}[{index + 1}]", result)
        result.statements.append(statement)
        amounts: list[Decimal] = []
        for entry_index, entry in enumerate(report.iterfind("Ntry")):
            result.records_read += 1
            amount = _entry(entry, entry_index, statement, result)
            if amount is not None:
                amounts.append(amount)
        _check_summary(Node(report.find("TxsSummry")), amounts, statement, result)
    if not result.statements:
        result.add(
            "CAMT_SANS_RELEVE",
            Severity.WARNING,
            f"Aucun élément {report_tag} dans le message",
            xpath=body_path,
        )


def _statement(
    report: etree._Element, index: int, xpath: str, result: PaymentFileResult
) -> Statement:
    node = Node(report, skip=_ENTRY)
    statement = Statement(
        index=index,
        statement_id=node.text("Id"),
        account_iban=node.iban("Acct"),
        account_other_id=node.text("Acct/Id/Othr/Id"),
        currency=node.text("Acct/Ccy"),
        line=report.sourceline,
        xpath=xpath,
    )
    balances: list[Balance] = []
    for position, element in enumerate(node.all("Bal"), start=1):
        try:
            balances.append(_balance(Node(element)))
        except _UnreadableError as problem:
            result.add(
                "CAMT_SOLDE_ILLISIBLE",
                Severity.WARNING,
                f"Solde illisible : {problem}",
                line=element.sourceline,
                xpath=f"{xpath}/Bal[{position}]",
            )
    statement.opening, statement.closing = _opening_and_closing(balances)
    if statement.currency is None:
        statement.currency = next(
            (b.currency for b in (statement.opening, statement.closing) if b), None
        )
    return statement


def _opening_and_closing(balances: list[Balance]) -> tuple[Balance | None, Balance | None]:
    by_code: dict[str, list[Balance]] = {}
    for balance in balances:
        by_code.setdefault(balance.type_code, []).append(balance)
    opening = next((by_code[c][0] for c in _OPENING_CODES if c in by_code), None)
    closing = next(
        (
            b
            for c in _CLOSING_CODES
            if c in by_code
            for b in reversed(by_code[c])
            if b is not opening
        ),
        None,
    )
    return opening, closing


def _balance(node: Node) -> Balance:
    amount, currency = _amount(node, "Amt")
    try:
        on = node.date("Dt")
    except ValueError as error:
        raise _UnreadableError("date invalide") from error
    return Balance(
        _sign(node) * amount, currency, on, node.text("Tp/CdOrPrtry/Cd", "Tp/CdOrPrtry/Prtry") or ""
    )


def _amount(node: Node, path: str) -> tuple[Decimal, str | None]:
    found = node.first(path)
    raw = found.text.strip() if found is not None and found.text else None
    try:
        amount = parse_amount(raw)
    except ValueError as error:
        raise _UnreadableError(f"montant {path} absent ou invalide {quoted_value(raw)}") from error
    assert found is not None
    return amount, found.get("Ccy")


def _sign(node: Node) -> int:
    indicator = node.text("CdtDbtInd")
    if indicator not in _SIGN:
        raise _UnreadableError(f"sens CdtDbtInd absent ou invalide {quoted_value(indicator)}")
    return _SIGN[indicator]


def _entry(
    element: etree._Element, index: int, statement: Statement, result: PaymentFileResult
) -> Decimal | None:
    """Read one entry into transactions; its signed amount, None when it is rejected."""
    xpath = f"{statement.xpath}/Ntry[{index + 1}]"
    node = Node(element)
    try:
        amount, currency = _amount(node, "Amt")
        entry = _Entry(node, _sign(node) * amount, currency, element.sourceline, xpath)
        base = _entry_transaction(entry, index, statement)
    except _UnreadableError as problem:
        result.reject(
            "CAMT_ECRITURE_ILLISIBLE",
            f"Écriture (Ntry) rejetée : {problem}",
            line=element.sourceline,
            xpath=xpath,
        )
        return None
    except ValueError:
        result.reject(
            "CAMT_DATE_INVALIDE",
            "Écriture (Ntry) rejetée : date de comptabilisation ou de valeur invalide",
            line=element.sourceline,
            xpath=xpath,
        )
        return None
    statement.entry_count += 1
    if base.status == _BOOKED:
        statement.booked_total += entry.amount
    if base.booking_date is None:
        result.add(
            "CAMT_DATE_COMPTABLE_ABSENTE",
            Severity.WARNING,
            "Écriture sans date de comptabilisation (BookgDt)",
            line=element.sourceline,
            xpath=xpath,
        )
    result.transactions.extend(_split(entry, base, result))
    return entry.amount


def _check_summary(
    summary: Node, amounts: list[Decimal], statement: Statement, result: PaymentFileResult
) -> None:
    """The bank's own totals (TxsSummry: number and sum of credit and debit entries) against the
    entries read: a difference means entries were lost or added on the way."""
    credits = [a for a in amounts if a >= 0]
    debits = [-a for a in amounts if a < 0]
    expected = {
        "TtlNtries/NbOfNtries": len(amounts),
        "TtlCdtNtries/NbOfNtries": len(credits),
        "TtlCdtNtries/Sum": sum(credits, Decimal(0)),
        "TtlDbtNtries/NbOfNtries": len(debits),
        "TtlDbtNtries/Sum": sum(debits, Decimal(0)),
    }
    for path, read in expected.items():
        declared = summary.text(path)
        if declared is None:
            continue
        try:
            matches = Decimal(declared) == read
        except ArithmeticError:
            matches = False
        if not matches:
            result.add(
                "CAMT_TOTAUX_INCOHERENTS",
                Severity.WARNING,
                f"Relevé n° {statement.index + 1} : récapitulatif TxsSummry/{path} ="
                f" {quoted_value(declared)} mais {read} lu dans les écritures",
                line=summary.line,
                xpath=f"{statement.xpath}/TxsSummry",
            )


def _entry_transaction(entry: _Entry, index: int, statement: Statement) -> BankTransaction:
    node = entry.node
    return BankTransaction(
        statement_index=statement.index,
        entry_index=index,
        detail_index=None,
        line=entry.line,
        xpath=entry.xpath,
        account_iban=statement.account_iban,
        account_other_id=statement.account_other_id,
        booking_date=node.date("BookgDt"),
        value_date=node.date("ValDt"),
        amount=entry.amount,
        currency=entry.currency or statement.currency,
        status=node.text("Sts/Cd", "Sts/Prtry", "Sts") or _BOOKED,
        code=_bank_transaction_code(node, "BkTxCd"),
        account_servicer_reference=node.text("AcctSvcrRef"),
        entry_account_servicer_reference=node.text("AcctSvcrRef"),
        entry_reference=node.text("NtryRef"),
        payment_information_id=node.text("NtryDtls/Btch/PmtInfId"),
        additional_info=node.texts("AddtlNtryInf"),
        reversal=(node.text("RvslInd") or "").lower() == "true",
    )


def _bank_transaction_code(node: Node, path: str) -> BankTransactionCode:
    return BankTransactionCode(
        domain=node.text(f"{path}/Domn/Cd"),
        family=node.text(f"{path}/Domn/Fmly/Cd"),
        sub_family=node.text(f"{path}/Domn/Fmly/SubFmlyCd"),
        proprietary=node.text(f"{path}/Prtry/Cd"),
        proprietary_issuer=node.text(f"{path}/Prtry/Issr"),
    )


def _split(
    entry: _Entry, base: BankTransaction, result: PaymentFileResult
) -> list[BankTransaction]:
    details = [Node(element) for element in entry.node.all("NtryDtls/TxDtls")]
    if not details:
        return [_finish(base)]
    if len(details) == 1:
        _warn_if_detail_differs(entry, details[0], result)
        return [_finish(replace(base, **_detail_fields(details[0], base)))]
    amounts = [_detail_amount(detail, entry) for detail in details]
    valued = [a for a in amounts if a is not None]
    if len(valued) == len(details) and sum(valued) == entry.amount:
        return [
            _finish(
                replace(
                    base,
                    **_detail_fields(detail, base),
                    detail_index=position,
                    amount=amount,
                    line=detail.line,
                    xpath=f"{entry.xpath}/NtryDtls/TxDtls[{position + 1}]",
                )
            )
            for position, (detail, amount) in enumerate(zip(details, valued, strict=True))
        ]
    result.add(
        "CAMT_LOT_NON_VENTILE",
        Severity.WARNING,
        f"Écriture de {len(details)} détails dont les montants ne reconstituent pas le montant"
        f" de l'écriture ({entry.amount} {entry.currency or ''}) : gardée en une seule"
        " transaction",
        line=entry.line,
        xpath=entry.xpath,
    )
    return [_finish(replace(base, **_merged_fields([_detail_fields(d, base) for d in details])))]


def _detail_amount(detail: Node, entry: _Entry) -> Decimal | None:
    """The detail's signed amount in the entry's currency, None when it has none."""
    for path in ("Amt", "AmtDtls/TxAmt/Amt", "AmtDtls/InstdAmt/Amt"):
        found = detail.first(path)
        if found is None:
            continue
        currency = found.get("Ccy")
        try:
            amount = parse_amount((found.text or "").strip())
        except ValueError:
            return None
        if currency and entry.currency and currency != entry.currency:
            continue
        sign = _SIGN.get(detail.text("CdtDbtInd") or "", 1 if entry.amount >= 0 else -1)
        return sign * amount
    return None


def _warn_if_detail_differs(entry: _Entry, detail: Node, result: PaymentFileResult) -> None:
    has_amount = detail.first("Amt") is not None or detail.first("AmtDtls/TxAmt/Amt") is not None
    if has_amount and _detail_amount(detail, entry) != entry.amount:
        result.add(
            "CAMT_MONTANT_DETAIL_DIVERGENT",
            Severity.WARNING,
            "Le montant du détail de transaction diffère de celui de l'écriture : montant de"
            " l'écriture retenu",
            line=detail.line,
            xpath=f"{entry.xpath}/NtryDtls/TxDtls[1]",
        )


def _detail_fields(detail: Node, base: BankTransaction) -> dict[str, Any]:
    """What a transaction detail adds to (or overrides in) its entry's transaction."""
    return_reason = detail.text("RtrInf/Rsn/Cd", "RtrInf/Rsn/Prtry")
    found: dict[str, Any] = {
        "account_servicer_reference": detail.text("Refs/AcctSvcrRef")
        or base.account_servicer_reference,
        "end_to_end_id": detail.text("Refs/EndToEndId"),
        "instruction_id": detail.text("Refs/InstrId"),
        "payment_information_id": detail.text("Refs/PmtInfId") or base.payment_information_id,
        "transaction_id": detail.text("Refs/TxId"),
        "uetr": detail.text("Refs/UETR"),
        "mandate_id": detail.text("Refs/MndtId"),
        "creditor_references": detail.texts("RmtInf/Strd/CdtrRefInf/Ref"),
        "remittance_lines": detail.texts("RmtInf/Ustrd"),
        "additional_info": base.additional_info
        + detail.texts("RmtInf/Strd/AddtlRmtInf")
        + detail.texts("AddtlTxInf"),
        "debtor_name": detail.party_name("RltdPties/Dbtr"),
        "debtor_iban": detail.iban("RltdPties/DbtrAcct"),
        "debtor_bic": detail.agent_bic("RltdAgts/DbtrAgt"),
        "creditor_name": detail.party_name("RltdPties/Cdtr"),
        "creditor_iban": detail.iban("RltdPties/CdtrAcct"),
        "creditor_bic": detail.agent_bic("RltdAgts/CdtrAgt"),
        "creditor_id": _sepa_creditor_id(detail),
        "return_reason_code": return_reason,
        "return_reason_scheme": "ISO" if return_reason else None,
        "return_reason_info": " ".join(detail.texts("RtrInf/AddtlInf")) or None,
    }
    if detail.first("BkTxCd") is not None:
        found["code"] = _bank_transaction_code(detail, "BkTxCd")
    return found


def _sepa_creditor_id(detail: Node) -> str | None:
    """The SEPA creditor identifier (ICS): the creditor's private id of scheme SEPA."""
    for party in ("RltdPties/Cdtr/Id", "RltdPties/Cdtr/Pty/Id"):
        for other in detail.all(f"{party}/PrvtId/Othr"):
            if other.findtext("SchmeNm/Prtry") == "SEPA":
                return (other.findtext("Id") or "").strip() or None
    return None


_TUPLE_FIELDS = {f.name for f in fields(BankTransaction) if f.default == ()}


def _merged_fields(per_detail: list[dict[str, Any]]) -> dict[str, Any]:
    """Details kept together: a value shared by every detail is kept, a conflicting one leaves the
    entry's own value, lists are concatenated so that no reference is lost."""
    merged: dict[str, Any] = {}
    for name in per_detail[0]:
        values = [d.get(name) for d in per_detail]
        if name in _TUPLE_FIELDS:
            seen: dict[str, None] = {}
            for value in values:
                seen.update(dict.fromkeys(value or ()))
            merged[name] = tuple(seen)
        elif all(v == values[0] for v in values):
            merged[name] = values[0]
    return merged


def _finish(tx: BankTransaction) -> BankTransaction:
    tx.is_return = (
        tx.reversal
        or tx.return_reason_code is not None
        or tx.code.sub_family in RETURN_SUB_FAMILIES
    )
    return tx
