"""Checks on the statements of a file, whatever its format.

- Balance: opening + Σ booked movements must equal closing (`SOLDE_INCOHERENT`). A gap means a
  movement is missing, duplicated or misread: the ledger must not trust the statement blindly.
- Continuity: a statement of an account must open with the previous statement's closing balance
  in the same file (`SOLDES_DISCONTINUS`): otherwise statements are missing in between.
"""

from __future__ import annotations

from payment_files.model import PaymentFileResult, Severity, Statement, mask_account


def check_statements(result: PaymentFileResult) -> None:
    previous_by_account: dict[str | None, Statement] = {}
    for statement in result.statements:
        if statement.balance_mismatch:
            _balance_mismatch(statement, result)
        previous = previous_by_account.get(statement.account_key)
        if (
            previous is not None
            and previous.closing is not None
            and statement.opening is not None
            and previous.closing.amount != statement.opening.amount
        ):
            result.add(
                "SOLDES_DISCONTINUS",
                Severity.WARNING,
                f"Relevé n° {statement.index + 1} du compte {mask_account(statement.account_key)} :"
                f" solde d'ouverture {statement.opening.amount} différent du solde de clôture"
                f" {previous.closing.amount} du relevé précédent (relevés manquants ?)",
                line=statement.line,
                xpath=statement.xpath,
            )
        previous_by_account[statement.account_key] = statement


def _balance_mismatch(statement: Statement, result: PaymentFileResult) -> None:
    assert statement.opening is not None and statement.closing is not None
    currencies = {statement.opening.currency, statement.closing.currency}
    currency_note = " ; les soldes sont dans des devises différentes" if len(currencies) > 1 else ""
    result.add(
        "SOLDE_INCOHERENT",
        Severity.WARNING,
        f"Relevé n° {statement.index + 1} du compte {mask_account(statement.account_key)} :"
        f" solde d'ouverture {statement.opening.amount} + mouvements comptabilisés"
        f" {statement.booked_total} ≠ solde de clôture {statement.closing.amount}"
        f" (écart {statement.balance_gap}){currency_note}",
        line=statement.line,
        xpath=statement.xpath,
    )
