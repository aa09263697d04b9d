"""camt.053 (bank to customer statement) and camt.054 (debit/credit notification), any version.

A statement (`Stmt`) or notification (`Ntfctn`) holds entries (`Ntry`); an entry may hold several
transaction details (`NtryDtls/TxDtls`), e.g. a batch of collected direct debits booked as one
amount. Each entry becomes one bank transaction per detail when the details can be valued (their
signed amounts add up to the entry's amount, in its currency); otherwise the entry stays one
transaction, with a warning, so that the transactions of a statement always add up to its
entries. A statement's balances are checked: opening (OPBD, else PRCD) + Σ booked entries must
equal closing (CLBD).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from decimal import Decimal
from typing import Any

from lxml import etree

from ledgers.payment_files.codes import RETURN_SUB_FAMILIES
from ledgers.payment_files.iso20022 import (
    account_iban,
    agent_bic,
    date_of,
    element_path,
    parse_amount,
    parse_datetime,
    party_name,
    text,
    texts,
)
from ledgers.payment_files.model import (
    Balance,
    BankTransaction,
    BankTransactionCode,
    FileKind,
    PaymentFileResult,
    Severity,
    Statement,
)

_SIGN = {"CRDT": 1, "DBIT": -1}
# Opening balance by preference: opening booked, previous closing booked, then the interim
# booked balance a page of a paginated statement starts with; closing: closing booked, else the
# interim booked balance the page ends with.
_OPENING_CODES = ("OPBD", "PRCD", "ITBD")
_CLOSING_CODES = ("CLBD", "ITBD")
_BOOKED = "BOOK"


class _UnreadableError(Exception):
    """An element whose mandatory data cannot be read; carries a French message."""


@dataclass(frozen=True)
class _Entry:
    element: etree._Element
    index: int
    amount: Decimal  # signed
    currency: str | None
    status: str
    reversal: bool


def read_camt(body: etree._Element, kind: FileKind, result: PaymentFileResult) -> None:
    """Fill `result` from the message body (`BkToCstmrStmt` or `BkToCstmrDbtCdtNtfctn`)."""
    header = body.find("GrpHdr")
    result.message_id = text(header, "MsgId")
    result.created_at = parse_datetime(text(header, "CreDtTm"))
    report_tag = "Stmt" if kind is FileKind.CAMT053 else "Ntfctn"
    for index, report in enumerate(body.findall(report_tag)):
        statement = _statement(report, index, result)
        result.statements.append(statement)
        for entry_index, entry in enumerate(report.findall("Ntry")):
            result.records_read += 1
            _entry(entry, entry_index, statement, result)
    if not result.statements:
        result.add(
            "CAMT_SANS_RELEVE",
            Severity.WARNING,
            f"Aucun élément {report_tag} dans le message",
            xpath=element_path(body),
        )
    first = result.statements[0] if result.statements else None
    result.account_iban = first.account_iban if first else None
    result.currency = first.currency if first else None


def _statement(report: etree._Element, index: int, result: PaymentFileResult) -> Statement:
    statement = Statement(
        index=index,
        statement_id=text(report, "Id"),
        account_iban=account_iban(report, "Acct"),
        account_other_id=text(report, "Acct/Id/Othr/Id"),
        currency=text(report, "Acct/Ccy"),
        line=report.sourceline,
        xpath=element_path(report),
    )
    balances: list[Balance] = []
    for balance_element in report.findall("Bal"):
        try:
            balances.append(_balance(balance_element))
        except _UnreadableError as problem:
            result.add(
                "CAMT_SOLDE_ILLISIBLE",
                Severity.WARNING,
                f"Solde illisible : {problem}",
                line=balance_element.sourceline,
                xpath=element_path(balance_element),
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


def _balance(element: etree._Element) -> Balance:
    code = text(element, "Tp/CdOrPrtry/Cd", "Tp/CdOrPrtry/Prtry") or ""
    amount, currency = _amount(element, "Amt")
    sign = _sign(element)
    try:
        on = date_of(element, "Dt")
    except ValueError as error:
        raise _UnreadableError("date invalide") from error
    return Balance(sign * amount, currency, on, code)


def _amount(element: etree._Element, path: str) -> tuple[Decimal, str | None]:
    found = element.find(path)
    raw = found.text.strip() if found is not None and found.text else None
    try:
        amount = parse_amount(raw)
    except ValueError as error:
        raise _UnreadableError(f"montant {path} absent ou invalide (« {raw} »)") from error
    assert found is not None
    return amount, found.get("Ccy")


def _sign(element: etree._Element) -> int:
    indicator = text(element, "CdtDbtInd")
    if indicator not in _SIGN:
        raise _UnreadableError(f"sens CdtDbtInd absent ou invalide (« {indicator} »)")
    return _SIGN[indicator]


def _entry(
    element: etree._Element, index: int, statement: Statement, result: PaymentFileResult
) -> None:
    try:
        amount, currency = _amount(element, "Amt")
        signed = _sign(element) * amount
        base = _entry_transaction(element, index, statement, signed, currency)
    except _UnreadableError as problem:
        result.reject(
            "CAMT_ECRITURE_ILLISIBLE",
            f"Écriture (Ntry) rejetée : {problem}",
            line=element.sourceline,
            xpath=element_path(element),
        )
        return
    except ValueError:
        result.reject(
            "CAMT_DATE_INVALIDE",
            "Écriture (Ntry) rejetée : date de comptabilisation ou de valeur invalide",
            line=element.sourceline,
            xpath=element_path(element),
        )
        return
    statement.entry_count += 1
    if base.status == _BOOKED:
        statement.booked_total += signed
    if base.booking_date is None:
        result.add(
            "CAMT_DATE_COMPTABLE_ABSENTE",
            Severity.WARNING,
            "Écriture sans date de comptabilisation (BookgDt)",
            line=element.sourceline,
            xpath=element_path(element),
        )
    entry = _Entry(element, index, signed, currency, base.status, base.reversal)
    result.transactions.extend(_split(entry, base, result))


def _entry_transaction(
    element: etree._Element,
    index: int,
    statement: Statement,
    signed: Decimal,
    currency: str | None,
) -> BankTransaction:
    reversal = (text(element, "RvslInd") or "").lower() == "true"
    return BankTransaction(
        statement_index=statement.index,
        entry_index=index,
        detail_index=None,
        line=element.sourceline,
        xpath=element_path(element),
        account_iban=statement.account_iban,
        account_other_id=statement.account_other_id,
        booking_date=date_of(element, "BookgDt"),
        value_date=date_of(element, "ValDt"),
        amount=signed,
        currency=currency or statement.currency,
        status=text(element, "Sts/Cd", "Sts/Prtry", "Sts") or _BOOKED,
        code=_bank_transaction_code(element.find("BkTxCd")),
        account_servicer_reference=text(element, "AcctSvcrRef"),
        entry_account_servicer_reference=text(element, "AcctSvcrRef"),
        entry_reference=text(element, "NtryRef"),
        payment_information_id=text(element, "NtryDtls/Btch/PmtInfId"),
        additional_info=texts(element, "AddtlNtryInf"),
        reversal=reversal,
    )


def _bank_transaction_code(element: etree._Element | None) -> BankTransactionCode:
    return BankTransactionCode(
        domain=text(element, "Domn/Cd"),
        family=text(element, "Domn/Fmly/Cd"),
        sub_family=text(element, "Domn/Fmly/SubFmlyCd"),
        proprietary=text(element, "Prtry/Cd"),
        proprietary_issuer=text(element, "Prtry/Issr"),
    )


def _split(
    entry: _Entry, base: BankTransaction, result: PaymentFileResult
) -> list[BankTransaction]:
    details = entry.element.findall("NtryDtls/TxDtls")
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
                    line=detail.sourceline,
                    xpath=element_path(detail),
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
        line=entry.element.sourceline,
        xpath=element_path(entry.element),
    )
    return [_finish(replace(base, **_merged_fields([_detail_fields(d, base) for d in details])))]


def _detail_amount(detail: etree._Element, entry: _Entry) -> Decimal | None:
    """The detail's signed amount in the entry's currency, None when it has none."""
    for path in ("Amt", "AmtDtls/TxAmt/Amt", "AmtDtls/InstdAmt/Amt"):
        found = detail.find(path)
        if found is None:
            continue
        currency = found.get("Ccy")
        try:
            amount = parse_amount((found.text or "").strip())
        except ValueError:
            return None
        if currency and entry.currency and currency != entry.currency:
            continue
        indicator = text(detail, "CdtDbtInd")
        sign = _SIGN.get(indicator or "", 1 if entry.amount >= 0 else -1)
        return sign * amount
    return None


def _warn_if_detail_differs(
    entry: _Entry, detail: etree._Element, result: PaymentFileResult
) -> None:
    amount = _detail_amount(detail, entry)
    has_amount = detail.find("Amt") is not None or detail.find("AmtDtls/TxAmt/Amt") is not None
    if has_amount and amount != entry.amount:
        result.add(
            "CAMT_MONTANT_DETAIL_DIVERGENT",
            Severity.WARNING,
            "Le montant du détail de transaction diffère de celui de l'écriture : montant de"
            " l'écriture retenu",
            line=detail.sourceline,
            xpath=element_path(detail),
        )


def _detail_fields(detail: etree._Element, base: BankTransaction) -> dict[str, Any]:
    """What a transaction detail adds to (or overrides in) its entry's transaction."""
    code_element = detail.find("BkTxCd")
    return_reason = text(detail, "RtrInf/Rsn/Cd", "RtrInf/Rsn/Prtry")
    return_info = " ".join(texts(detail, "RtrInf/AddtlInf")) or None
    found: dict[str, Any] = {
        "account_servicer_reference": text(detail, "Refs/AcctSvcrRef")
        or base.account_servicer_reference,
        "end_to_end_id": text(detail, "Refs/EndToEndId"),
        "instruction_id": text(detail, "Refs/InstrId"),
        "payment_information_id": text(detail, "Refs/PmtInfId") or base.payment_information_id,
        "transaction_id": text(detail, "Refs/TxId"),
        "uetr": text(detail, "Refs/UETR"),
        "mandate_id": text(detail, "Refs/MndtId"),
        "creditor_references": texts(detail, "RmtInf/Strd/CdtrRefInf/Ref"),
        "remittance_lines": texts(detail, "RmtInf/Ustrd"),
        "additional_info": base.additional_info
        + texts(detail, "RmtInf/Strd/AddtlRmtInf")
        + texts(detail, "AddtlTxInf"),
        "debtor_name": party_name(detail, "RltdPties/Dbtr"),
        "debtor_iban": account_iban(detail, "RltdPties/DbtrAcct"),
        "debtor_bic": agent_bic(detail, "RltdAgts/DbtrAgt"),
        "creditor_name": party_name(detail, "RltdPties/Cdtr"),
        "creditor_iban": account_iban(detail, "RltdPties/CdtrAcct"),
        "creditor_bic": agent_bic(detail, "RltdAgts/CdtrAgt"),
        "creditor_id": _sepa_creditor_id(detail),
        "return_reason_code": return_reason,
        "return_reason_scheme": "ISO" if return_reason else None,
        "return_reason_info": return_info,
    }
    if code_element is not None:
        found["code"] = _bank_transaction_code(code_element)
    return found


def _sepa_creditor_id(detail: etree._Element) -> str | None:
    for other in detail.iterfind("RltdPties/Cdtr//PrvtId/Othr"):
        if text(other, "SchmeNm/Prtry") == "SEPA":
            return text(other, "Id")
    return None


_TUPLE_FIELDS = {f.name for f in fields(BankTransaction) if f.type.startswith("tuple")}


def _merged_fields(per_detail: list[dict[str, Any]]) -> dict[str, Any]:
    """Details kept together: a value shared by every detail is kept, conflicting ones dropped
    (the entry as a whole has none), lists are concatenated so no reference is lost."""
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
