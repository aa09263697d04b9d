"""Check digits of the account numbers a file gives, with python-stdnum.

An IBAN with a wrong key is a misread or mistyped account: allocation by account would match
the wrong company or none, and a return could not be traced to its debtor. The data is kept (the
amount is still money received) and a warning says which account of which record is wrong,
masked as every message masks accounts. A BIC is checked for its form and country.
"""

from __future__ import annotations

from stdnum import bic, iban

from payment_files.model import PaymentFileResult, Severity, mask_account


def check_account_numbers(result: PaymentFileResult) -> None:
    for statement in result.statements:
        _check_iban(
            result, statement.account_iban, "du compte du relevé", statement.line, statement.xpath
        )
    for tx in result.transactions:
        _check_iban(result, tx.debtor_iban, "du débiteur", tx.line, tx.xpath)
        _check_bic(result, tx.debtor_bic, "de la banque du débiteur", tx.line, tx.xpath)
    for ret in result.returns:
        if ret.movement_id is not None:  # a booked return: its movement was checked above
            continue
        _check_iban(result, ret.debtor_iban, "du débiteur du rejet", ret.line, ret.xpath)


def _check_iban(
    result: PaymentFileResult, value: str | None, whose: str, line: int | None, xpath: str | None
) -> None:
    if value and not iban.is_valid(value):
        result.add(
            "IBAN_INVALIDE",
            Severity.WARNING,
            f"IBAN {whose} {mask_account(value)} invalide (clé de contrôle ou format) : "
            "rapprochement par compte impossible",
            line=line,
            xpath=xpath,
        )


def _check_bic(
    result: PaymentFileResult, value: str | None, whose: str, line: int | None, xpath: str | None
) -> None:
    if value and not bic.is_valid(value):
        result.add(
            "BIC_INVALIDE",
            Severity.WARNING,
            f"BIC {whose} invalide (format ou pays) : à vérifier auprès de la banque",
            line=line,
            xpath=xpath,
        )
