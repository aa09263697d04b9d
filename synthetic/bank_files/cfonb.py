"""CFONB 120 account statements ("relevé de compte 120 caractères"), as French banks deliver them.

Layout: the CFONB record structure (01 old balance, 04 movement, 05 complement, 07 new balance)
and the 2010 SEPA evolution of the 05 record (qualifier at 46-48, 70 characters of information
at 49-118). Amounts are 14 digits whose last one carries the sign: "{" or "A"-"I" for 0-9
positive, "}" or "J"-"R" for 0-9 negative.

What a CFONB statement shows of each movement, following that guide:
- 04: the interbank operation code (05 credit transfer received, A1 SEPA direct debit issued,
  B3 SEPA direct debit returned unpaid, 02 cheques deposited), booking and value dates, a
  31-character label, the bank's reference of the movement in the reference zone (105-120);
- 05 NPY payer name, NBE beneficiary name, LCC/LC2 unstructured remittance (2 x 70),
  LCS structured creditor reference, RCN end-to-end id (for a return: the original one),
  RUM mandate id, CPY payer account (direct debits only: a transfer's payer account is covered
  by banking secrecy and never shown), LIB the ISO return reason of a return.
The 2-digit CFONB reject reason (zone 41-42) is left blank: its ISO correspondence table is a
CFONB brochure the project does not hold; the ISO code is given in a LIB complement instead.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from synthetic.bank_files.model import (
    ACCOUNT_CURRENCY,
    CENT,
    KIND_LABELS,
    BankAccount,
    BankBatch,
    Entry,
    MovementKind,
    entries_total,
    entry_reference,
)

RECORD_LENGTH = 120
AMOUNT_DECIMALS = 2
_AMOUNT_WIDTH = 14
_POSITIVE_LAST_DIGIT = "{ABCDEFGHI"
_NEGATIVE_LAST_DIGIT = "}JKLMNOPQR"
_REFERENCE_WIDTH = 16

# CFONB interbank operation codes, creditor side (codes opérations interbancaires).
OPERATION_CODES = {
    MovementKind.SEPA_CREDIT_TRANSFER: "05",
    MovementKind.SEPA_DIRECT_DEBIT: "A1",
    MovementKind.DIRECT_DEBIT_RETURN: "B3",
    MovementKind.CHEQUE: "02",
}
_DIRECT_DEBIT_KINDS = frozenset({MovementKind.SEPA_DIRECT_DEBIT, MovementKind.DIRECT_DEBIT_RETURN})


def write_cfonb120(
    path: Path | str,
    account: BankAccount,
    entries: Sequence[Entry],
    *,
    from_date: date,
    to_date: date,
    opening_balance: Decimal,
    line_breaks: bool = True,
) -> None:
    """Write one CFONB 120 statement of `account` for the days `from_date` to `to_date`.

    The 01 record carries `opening_balance` dated the day before `from_date` (the date of the
    old balance, as banks write it); the 07 record the new balance, opening plus every movement,
    dated `to_date`. `account` must have a French IBAN (bank, branch and account numbers come
    from it). Without `line_breaks` the 120-character records follow each other on one line,
    as some banks deliver them.
    """
    if to_date < from_date:
        raise ValueError("CFONB statement: to_date is before from_date")
    for entry in entries:
        if not from_date <= entry.booking_date <= to_date:
            raise ValueError(
                f"entry {entry_reference(entry)} is booked outside the statement period"
            )
    bank_ids = _bank_ids(account.iban)
    closing_balance = opening_balance + entries_total(entries)
    records = [_balance_record("01", bank_ids, from_date - timedelta(days=1), opening_balance)]
    for entry in entries:
        records.extend(_entry_records(bank_ids, account, entry))
    records.append(_balance_record("07", bank_ids, to_date, closing_balance))
    separator = "\n" if line_breaks else ""
    text = "".join(record + separator for record in records)
    Path(path).write_bytes(text.encode("ascii"))


def encode_amount(signed: Decimal) -> str:
    """The 14-character signed amount zone, in cents."""
    cents = int(abs(signed).quantize(CENT) * 100)
    digits = f"{cents:0{_AMOUNT_WIDTH}d}"
    if len(digits) > _AMOUNT_WIDTH:
        raise ValueError("amount too large for CFONB 120")
    last_digits = _NEGATIVE_LAST_DIGIT if signed < 0 else _POSITIVE_LAST_DIGIT
    return digits[:-1] + last_digits[int(digits[-1])]


def _bank_ids(iban: str) -> tuple[str, str, str]:
    """Bank, branch and account numbers of a French IBAN (FRkk BBBBB GGGGG CCCCCCCCCCC KK)."""
    if not iban.startswith("FR") or len(iban) != 27:
        raise ValueError("CFONB 120 needs the account's French IBAN")
    return iban[4:9], iban[9:14], iban[14:25]


def _balance_record(code: str, bank_ids: tuple[str, str, str], on: date, amount: Decimal) -> str:
    bank, branch, account_number = bank_ids
    return _record(
        (code, 2),
        (bank, 5),
        ("", 4),
        (branch, 5),
        (ACCOUNT_CURRENCY, 3),
        (str(AMOUNT_DECIMALS), 1),
        ("", 1),
        (account_number, 11),
        ("", 2),
        (_date(on), 6),
        ("", 50),
        (encode_amount(amount), 14),
        ("", 16),
    )


def _entry_records(bank_ids: tuple[str, str, str], account: BankAccount, entry: Entry) -> list[str]:
    reference = entry_reference(entry)
    if len(reference) > _REFERENCE_WIDTH:
        raise ValueError(f"entry {reference}: reference longer than 16 characters for CFONB 120")
    prefix = _movement_prefix(bank_ids, entry)
    movement_record = _record(
        (prefix, 34),
        (_date(entry.booking_date), 6),
        ("", 2),  # CFONB reject reason: see the module docstring
        (_date(entry.value_date), 6),
        (_label(entry), 31),
        ("", 2),
        (_entry_number(reference), 7),
        ("", 1),
        ("", 1),
        (encode_amount(entry.amount), 14),
        (reference, _REFERENCE_WIDTH),
    )
    complements = _complements(entry, account)
    return [movement_record] + [
        _record(
            ("05" + prefix[2:], 34),
            (_date(entry.booking_date), 6),
            ("", 5),
            (qualifier, 3),
            (information, 70),
            ("", 2),
        )
        for qualifier, information in complements
    ]


def _movement_prefix(bank_ids: tuple[str, str, str], entry: Entry) -> str:
    """Positions 1-34 of a 04 record (05 records repeat them with their own code)."""
    bank, branch, account_number = bank_ids
    return _record(
        ("04", 2),
        (bank, 5),
        ("", 4),
        (branch, 5),
        (ACCOUNT_CURRENCY, 3),
        (str(AMOUNT_DECIMALS), 1),
        ("", 1),
        (account_number, 11),
        (OPERATION_CODES[entry.kind], 2),
        length=34,
    )


def _complements(entry: Entry, account: BankAccount) -> list[tuple[str, str]]:
    if isinstance(entry, BankBatch):
        return [("LIB", f"REMISE DE {len(entry.movements)} OPERATIONS")]
    movement = entry
    complements = [
        ("NPY", _upper(movement.debtor_name)[:70]),
        ("NBE", _upper(account.owner_name)[:70]),
    ]
    if movement.remittance_text is not None:
        text = _ascii(movement.remittance_text)
        complements.append(("LCC", text[:70]))
        if len(text) > 70:
            complements.append(("LC2", text[70:140]))
    if movement.creditor_reference is not None:
        complements.append(("LCS", _ascii(movement.creditor_reference)))
    end_to_end_id = movement.end_to_end_id or movement.original_end_to_end_id
    if end_to_end_id is not None:
        complements.append(("RCN", _ascii(end_to_end_id)))
    if movement.mandate_id is not None:
        complements.append(("RUM", _ascii(movement.mandate_id)))
    if movement.kind in _DIRECT_DEBIT_KINDS and movement.debtor_iban is not None:
        complements.append(("CPY", movement.debtor_iban))
    if movement.return_reason is not None:
        complements.append(("LIB", f"MOTIF RETOUR {movement.return_reason}"))
    return complements


def _label(entry: Entry) -> str:
    label = KIND_LABELS[entry.kind]
    if isinstance(entry, BankBatch):
        return f"REMISE {label}"[:31]
    return _upper(f"{label} {entry.debtor_name}")[:31]


def _entry_number(reference: str) -> str:
    """The 7-digit entry number: the reference's last 7 characters when numeric (CFONB rule)."""
    tail = reference[-7:]
    return tail.rjust(7, "0") if tail.isdigit() else "0000000"


def _record(*fields: tuple[str, int], length: int = RECORD_LENGTH) -> str:
    """Fixed-width fields, left-aligned and space-padded; a value never overflows its zone."""
    parts = []
    for value, width in fields:
        if len(value) > width:
            raise ValueError(f"CFONB field of width {width} overflows")
        parts.append(value.ljust(width))
    record = "".join(parts)
    if len(record) != length:
        raise AssertionError(f"CFONB record of {len(record)} characters instead of {length}")
    return record


def _date(day: date) -> str:
    return day.strftime("%d%m%y")


# Letters Unicode does not decompose into an ASCII base letter.
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})


def _ascii(text: str) -> str:
    """CFONB files are plain ASCII: accents are dropped, anything else becomes a space."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    without_marks = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(c if " " <= c <= "~" else " " for c in without_marks)


def _upper(text: str) -> str:
    return _ascii(text).upper()
