"""What a message, a log or a default CLI output may show of a personal value.

One policy per kind of data, each in plain Python (`mask_personal`, `mask_account`) and as a
Polars expression (`mask_personal_expr`, `mask_account_expr`, for the DSN validator that masks
whole columns); tests hold both to the same result.

- A value that identifies a person (NIR or NTT, names, birth date and place, address, e-mail,
  phone, the DSN's personal blocks): its first character, then one `*` per other character.
  The first character lets a steward recognise a sex digit or an initial and the length a
  truncated value; neither is enough to identify anyone.
- A bank account (IBAN, national account number, CFONB bank, branch and account): its last four
  characters, what a steward compares with the account the company declared, and its first four
  as well (an IBAN's country and check digits, a RIB's bank code) when the number is long enough.
  At least seven characters always stay hidden: a number too short for that shows `****`.
  Blanks are not characters of an account number and are dropped first.

The DSN rubrics of each kind are listed by `dsn_parser.validation.diagnostics`; absence is shown
by each caller in its own words.

This module is the home of the rule: the ledgers and the quality checks call it too, which is
why it sits in the lowest package of the project.
"""

from __future__ import annotations

import polars as pl

MASK = "*"
_ACCOUNT_END = 4  # characters of an account number shown at each end
_ACCOUNT_HIDDEN = 7  # characters of an account number never shown
_ACCOUNT_HIDDEN_MARK = "…"
_ACCOUNT_TOO_SHORT = "****"  # fixed: the length of a short number tells a lot about it


def mask_personal(value: str) -> str:
    return value[:1] + MASK * (len(value) - 1)


def mask_account(account: str) -> str:
    compact = account.replace(" ", "")
    if len(compact) >= 2 * _ACCOUNT_END + _ACCOUNT_HIDDEN:
        return f"{compact[:_ACCOUNT_END]}{_ACCOUNT_HIDDEN_MARK}{compact[-_ACCOUNT_END:]}"
    if len(compact) >= _ACCOUNT_END + _ACCOUNT_HIDDEN:
        return f"{_ACCOUNT_HIDDEN_MARK}{compact[-_ACCOUNT_END:]}"
    return _ACCOUNT_TOO_SHORT


def mask_personal_expr(value: pl.Expr) -> pl.Expr:
    """`mask_personal` of each value; a null stays null."""
    return value.str.head(1) + value.str.slice(1).str.replace_all(r"(?s).", MASK)


def mask_account_expr(value: pl.Expr) -> pl.Expr:
    """`mask_account` of each value; a null stays null."""
    compact = value.str.replace_all(" ", "", literal=True)
    length = compact.str.len_chars()
    return (
        pl.when(length >= 2 * _ACCOUNT_END + _ACCOUNT_HIDDEN)
        .then(
            compact.str.head(_ACCOUNT_END)
            + pl.lit(_ACCOUNT_HIDDEN_MARK)
            + compact.str.tail(_ACCOUNT_END)
        )
        .when(length >= _ACCOUNT_END + _ACCOUNT_HIDDEN)
        .then(pl.lit(_ACCOUNT_HIDDEN_MARK) + compact.str.tail(_ACCOUNT_END))
        .when(compact.is_not_null())
        .then(pl.lit(_ACCOUNT_TOO_SHORT))
    )
