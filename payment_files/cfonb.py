"""CFONB 120 account statements (relevé de compte 120 caractères).

Layout from the CFONB brochures kept in `reference/payments/specs/` (positions 1-based,
inclusive): every record is 120 characters, code in 1-2.

- 01 old balance / 07 new balance: bank 3-7, branch 12-16, currency 17-19, number of decimals
  20, account 22-32, date 35-40 (JJMMAA), amount 91-104.
- 04 movement: bank 3-7, internal operation code 8-11, branch 12-16, currency 17-19, decimals 20,
  account 22-32, interbank operation code 33-34, booking date 35-40, reject reason 41-42, value
  date 43-48, label 49-79, entry number 82-88, amount 91-104, reference 105-120.
- 05 complement of the preceding 04: qualifier 46-48 (LIB, LCC, RCN, REF, NPY, RUM...),
  information 49-118 (some qualifiers carry two 35-character halves: 49-83 and 84-118).

Amounts are 13 digits and a sign character: the last digit is a letter, `{` or A–I for a
positive 0–9, `}` or J–R for a negative 0–9; the record's field 20 says how many of the digits
are decimals. Files come with or without line breaks. Reading is lenient where the samples and
the spec allow it (reserved zones filled, blank entry numbers, missing trailing blanks, a file of
movements without balance records) and precise otherwise: a record that cannot be read is
rejected with its line number, never dropped silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache

from stdnum import iban as stdnum_iban

from payment_files.codes import (
    RETURNED_ITEM_FAMILY,
    cfonb_operations,
    reason_code_in_text,
)
from payment_files.model import (
    Balance,
    BankTransaction,
    BankTransactionCode,
    PaymentFileResult,
    Severity,
    Statement,
    mask_account,
    quoted_value,
)

RECORD_LENGTH = 120
AMOUNT_WIDTH = 14
_POSITIVE_LAST = "{ABCDEFGHI"  # index = last digit
_NEGATIVE_LAST = "}JKLMNOPQR"
_DEFAULT_DECIMALS = 2
_RECORD_KINDS = frozenset({"01", "04", "05", "07"})


def decode_amount(text: str, decimals: int) -> Decimal:
    """Read a 14-character signed CFONB amount; ValueError when it is not one. Leading blanks
    are read as zeros (zero-suppressed output of some bank systems)."""
    if len(text) != AMOUNT_WIDTH:
        raise ValueError("longueur")
    body, last = text[:-1].lstrip(" "), text[-1]
    body = body.rjust(AMOUNT_WIDTH - 1, "0")
    if not body.isascii() or not body.isdigit():
        raise ValueError("chiffres")
    if last in _POSITIVE_LAST:
        sign, digit = 1, _POSITIVE_LAST.index(last)
    elif last in _NEGATIVE_LAST:
        sign, digit = -1, _NEGATIVE_LAST.index(last)
    else:
        raise ValueError("signe")
    return Decimal(sign * int(body + str(digit))).scaleb(-decimals)


def parse_date(text: str) -> date | None:
    """JJMMAA; None when blank or zero. Years 00-79 are 20xx, 80-99 19xx."""
    if not text.strip() or text == "000000":
        return None
    if len(text) != 6 or not text.isascii() or not text.isdigit():
        raise ValueError("format")
    day, month, year = int(text[:2]), int(text[2:4]), int(text[4:])
    return date(2000 + year if year < 80 else 1900 + year, month, day)


def split_records(text: str) -> list[tuple[int, str]]:
    """(line number, record) for each non-blank record. Without line breaks the file is cut
    every 120 characters and the "line" is the record's position. A trailing end-of-file mark
    (Ctrl-Z, written by old DOS transfer tools) is not a record."""
    text = text.rstrip("\x1a")
    if "\n" not in text and "\r" not in text:
        chunks = [text[i : i + RECORD_LENGTH] for i in range(0, len(text), RECORD_LENGTH)]
    else:
        chunks = text.splitlines()
    return [(number, chunk) for number, chunk in enumerate(chunks, start=1) if chunk.strip()]


def looks_like_cfonb(text: str) -> bool:
    """Most of the first records are 01/04/05/07 records of at most 120 characters (so that a
    damaged first record is reported as such rather than the whole file as unknown)."""
    records = split_records(text[: RECORD_LENGTH * 12])[:10]
    if not records:
        return False
    valid = sum(
        record[:2] in _RECORD_KINDS and len(record.rstrip()) <= RECORD_LENGTH
        for _, record in records
    )
    return valid * 2 > len(records)


def decode_text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


# Letters of a French account number count as digits in the RIB key (norme CFONB du RIB).
_RIB_LETTERS = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "12345678912345678923456789")
_RIB_PARTS = re.compile(r"^(\d{5}) (\d{5}) ([0-9A-Z]{11})$")


@cache  # one account per statement: computed once, not for every movement
def rib_to_iban(account_id: str) -> str | None:
    """The French IBAN of a CFONB account "bank branch account" (the IBAN's BBAN is the RIB with
    its 2-digit key). python-stdnum computes IBAN check digits but has no RIB key: computed here.
    None when the parts are not a French RIB."""
    parts = _RIB_PARTS.match(account_id)
    if parts is None:
        return None
    bank, branch, account = parts.groups()
    key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account.translate(_RIB_LETTERS))) % 97
    bban = f"{bank}{branch}{account}{key:02d}"
    return f"FR{stdnum_iban.calc_check_digits('FR00' + bban)}{bban}"


def _field(record: str, start: int, end: int) -> str:
    return record[start - 1 : end]


@dataclass
class _Header:
    """What records 01, 04, 05 and 07 share: where the account is and how amounts read."""

    bank: str  # the samples show 04 records whose bank code differs from their 01's
    branch: str
    currency: str | None
    decimals: int
    account: str

    @property
    def account_id(self) -> str:
        return f"{self.bank} {self.branch} {self.account}".strip()


class _CfonbReader:
    def __init__(self, result: PaymentFileResult) -> None:
        self.result = result
        self.statement: Statement | None = None
        self.movement: BankTransaction | None = None
        self.entry_index = 0
        self.statement_account = ""  # account number (22-32) of the statement's 01

    # -- records -----------------------------------------------------------------------------
    def read(self, text: str) -> None:
        for line, raw in split_records(text):
            self.result.records_read += 1
            record = self._fit(line, raw)
            if record is None:
                continue
            kind = record[:2]
            if kind == "01":
                self._old_balance(line, record)
            elif kind == "04":
                self._movement(line, record)
            elif kind == "05":
                self._complement(line, record)
            elif kind == "07":
                self._new_balance(line, record)
            else:
                self.result.reject(
                    "CFONB_ENREGISTREMENT_INCONNU",
                    f"Code enregistrement {quoted_value(kind)} inconnu (attendu 01, 04, 05 ou 07) :"
                    " enregistrement rejeté",
                    line=line,
                )
        self._flush_movement()
        if self.statement is not None and self.statement.closing is None:
            self.result.add(
                "CFONB_RELEVE_NON_CLOS",
                Severity.WARNING,
                "Relevé sans enregistrement 07 (nouveau solde) en fin de fichier",
                line=self.statement.line,
            )
        self._close_statement()

    def _fit(self, line: int, record: str) -> str | None:
        """The record's 120 characters, or None (rejected) when it has not exactly that many.

        Strict: a record one character short may have lost it anywhere, and every zone after
        it (amount, dates, reference) would be read shifted, a wrong amount without a word.
        Spaces past the 120th character are padding: kept, with a warning.
        """
        kind = record[:2]
        if len(record) > RECORD_LENGTH and record[RECORD_LENGTH:].strip():
            self.result.reject(
                "CFONB_LONGUEUR",
                f"Enregistrement de {len(record)} caractères (120 attendus) : rejeté",
                line=line,
            )
            return None
        if len(record) < RECORD_LENGTH:
            self.result.reject(
                "CFONB_LONGUEUR",
                f"Enregistrement {kind} tronqué ({len(record)} caractères, 120 attendus) : "
                "ses zones (montant, dates) seraient lues décalées ; rejeté",
                line=line,
            )
            return None
        if len(record) > RECORD_LENGTH:
            self.result.add(
                "CFONB_LONGUEUR_ESPACES",
                Severity.WARNING,
                f"Enregistrement de {len(record)} caractères dont des espaces après le 120e : "
                "lu sur ses 120 premiers caractères",
                line=line,
            )
        return record[:RECORD_LENGTH]

    def _header(self, line: int, record: str) -> _Header:
        decimals_text = _field(record, 20, 20)
        if decimals_text.isdigit():
            decimals = int(decimals_text)
        else:
            decimals = _DEFAULT_DECIMALS
            self.result.add(
                "CFONB_DECIMALES_ABSENTES",
                Severity.WARNING,
                "Nombre de décimales absent (position 20) : 2 décimales retenues",
                line=line,
            )
        currency = _field(record, 17, 19).strip() or None
        return _Header(
            bank=_field(record, 3, 7).strip(),
            branch=_field(record, 12, 16).strip(),
            currency=currency,
            decimals=decimals,
            account=_field(record, 22, 32).strip(),
        )

    def _amount(self, line: int, record: str, header: _Header) -> Decimal | None:
        text = _field(record, 91, 104)
        try:
            return decode_amount(text, header.decimals)
        except ValueError:
            self.result.reject(
                "CFONB_MONTANT_INVALIDE",
                f"Montant illisible en positions 91-104 {quoted_value(text)} : enregistrement"
                f" {record[:2]} rejeté",
                line=line,
            )
            return None

    def _date(self, line: int, record: str, start: int, what: str) -> tuple[bool, date | None]:
        """(readable, date); an unreadable date rejects the record."""
        text = _field(record, start, start + 5)
        try:
            return True, parse_date(text)
        except ValueError:
            self.result.reject(
                "CFONB_DATE_INVALIDE",
                f"{what} invalide en positions {start}-{start + 5} {quoted_value(text)} (JJMMAA"
                " attendu) :"
                f" enregistrement {record[:2]} rejeté",
                line=line,
            )
            return False, None

    # -- 01 / 07 -----------------------------------------------------------------------------
    def _balance(self, line: int, record: str, what: str) -> tuple[_Header, Balance] | None:
        header = self._header(line, record)
        amount = self._amount(line, record, header)
        if amount is None:
            return None
        readable, on = self._date(line, record, 35, f"Date du {what}")
        if not readable:
            return None
        return header, Balance(amount, header.currency, on, record[:2])

    def _old_balance(self, line: int, record: str) -> None:
        self._flush_movement()
        if self.statement is not None:
            self.result.add(
                "CFONB_RELEVE_NON_CLOS",
                Severity.WARNING,
                "Nouvel ancien solde (01) avant le nouveau solde (07) du relevé précédent",
                line=line,
            )
            self._close_statement()
        read = self._balance(line, record, "l'ancien solde")
        if read is None:
            return
        header, balance = read
        self.statement = self._new_statement(line, header, balance.on)
        self.statement.opening = balance

    def _new_balance(self, line: int, record: str) -> None:
        self._flush_movement()
        read = self._balance(line, record, "nouveau solde")
        if read is None:
            return
        header, balance = read
        if self.statement is None:
            self.result.add(
                "CFONB_SOLDE_SANS_ENTETE",
                Severity.WARNING,
                "Nouveau solde (07) sans ancien solde (01) : relevé sans solde d'ouverture",
                line=line,
            )
            self.statement = self._new_statement(line, header, None)
        elif header.account != self.statement_account:
            self._account_differs(line, header)
        self.statement.closing = balance
        self._close_statement()

    def _new_statement(self, line: int, header: _Header, on: date | None) -> Statement:
        self.entry_index = 0
        self.statement_account = header.account
        return Statement(
            index=len(self.result.statements),
            statement_id=on.isoformat() if on else None,
            account_iban=rib_to_iban(header.account_id),
            account_other_id=header.account_id,
            currency=header.currency,
            line=line,
        )

    def _close_statement(self) -> None:
        statement = self.statement
        if statement is None:
            return
        self.result.statements.append(statement)
        self.statement = None

    def _account_differs(self, line: int, header: _Header) -> None:
        self.result.add(
            "CFONB_COMPTE_DIFFERENT",
            Severity.WARNING,
            f"Numéro de compte {mask_account(header.account)} différent de celui de l'ancien"
            " solde du relevé en cours",
            line=line,
        )

    # -- 04 / 05 -----------------------------------------------------------------------------
    def _movement(self, line: int, record: str) -> None:
        self._flush_movement()
        header = self._header(line, record)
        amount = self._amount(line, record, header)
        if amount is None:
            return
        readable, booked = self._date(line, record, 35, "Date de comptabilisation")
        if not readable:
            return
        readable, value = self._date(line, record, 43, "Date de valeur")
        if not readable:
            return
        if booked is None:
            self.result.reject(
                "CFONB_DATE_ABSENTE",
                "Date de comptabilisation absente (positions 35-40) : mouvement rejeté",
                line=line,
            )
            return
        if self.statement is None:
            self.result.add(
                "CFONB_MOUVEMENT_SANS_ENTETE",
                Severity.WARNING,
                "Mouvement (04) sans ancien solde (01) : relevé sans soldes",
                line=line,
            )
            self.statement = self._new_statement(line, header, None)
        elif header.account != self.statement_account:
            self._account_differs(line, header)
        if self.statement.currency is None:
            self.statement.currency = header.currency
        self.movement = self._transaction(line, record, header, amount, booked, value)
        self.statement.booked_total += amount
        self.statement.entry_count += 1

    def _transaction(
        self,
        line: int,
        record: str,
        header: _Header,
        amount: Decimal,
        booked: date,
        value: date | None,
    ) -> BankTransaction:
        operation_code = _field(record, 33, 34).strip() or None
        operation = cfonb_operations().get(operation_code or "")
        reason = _field(record, 41, 42).strip()
        is_return = operation is not None and operation.iso_family == RETURNED_ITEM_FAMILY
        entry_number = _field(record, 82, 88).strip()
        reference = _field(record, 105, 120).strip()
        label = _field(record, 49, 79).strip()
        statement = self.statement
        assert statement is not None
        # the movement is on the statement's account (some banks write another bank code in 04)
        same_account = header.account == self.statement_account
        return BankTransaction(
            statement_index=statement.index,
            entry_index=self._next_entry_index(),
            detail_index=None,
            line=line,
            xpath=None,
            account_iban=statement.account_iban if same_account else rib_to_iban(header.account_id),
            account_other_id=statement.account_other_id if same_account else header.account_id,
            booking_date=booked,
            value_date=value,
            amount=amount,
            currency=header.currency or statement.currency,
            status="BOOK",
            code=BankTransactionCode(
                proprietary=_field(record, 8, 11).strip() or None,
                cfonb_operation_code=operation_code,
                cfonb_family=operation.iso_family if operation else None,
                cfonb_label=operation.label if operation else None,
            ),
            entry_reference="/".join(p for p in (entry_number, reference) if p) or None,
            bank_label=label or None,
            remittance_lines=(label,) if label else (),
            is_return=is_return,
            return_reason_code=reason if reason and reason != "00" else None,
            return_reason_scheme="CFONB" if reason and reason != "00" else None,
        )

    def _next_entry_index(self) -> int:
        index = self.entry_index
        self.entry_index += 1
        return index

    def _complement(self, line: int, record: str) -> None:
        tx = self.movement
        if tx is None:
            self.result.reject(
                "CFONB_COMPLEMENT_ORPHELIN",
                "Enregistrement complémentaire (05) sans mouvement (04) qui le précède : rejeté",
                line=line,
            )
            return
        qualifier = _field(record, 46, 48)
        info = _field(record, 49, 118)
        first, second = info[:35].strip(), info[35:].strip()
        text = info.strip()
        if not (qualifier.strip() or text):
            self.result.add(
                "CFONB_COMPLEMENT_VIDE",
                Severity.WARNING,
                "Enregistrement complémentaire (05) vide",
                line=line,
            )
            return
        if not _apply_complement(tx, qualifier, text, first, second):
            tx.additional_info = (*tx.additional_info, _field(record, 41, 118).strip())
            self.result.add(
                "CFONB_QUALIFIANT_INCONNU",
                Severity.WARNING,
                f"Qualifiant {quoted_value(qualifier)} inconnu (positions 46-48) : information"
                " conservée telle quelle",
                line=line,
            )

    def _flush_movement(self) -> None:
        tx = self.movement
        if tx is None:
            return
        if tx.is_return and tx.return_reason_code is None:
            code = reason_code_in_text((*tx.remittance_lines, *tx.additional_info))
            if code is not None:
                tx.return_reason_code, tx.return_reason_scheme = code, "ISO"
                tx.return_reason_info = "motif relevé dans le libellé"
        self.result.transactions.append(tx)
        self.movement = None


def _apply_complement(
    tx: BankTransaction, qualifier: str, text: str, first: str, second: str
) -> bool:
    """Store a 05 complement's information; False when the qualifier is unknown."""
    if qualifier in ("LIB", "LCC", "LC2"):
        tx.remittance_lines = (*tx.remittance_lines, text)
    elif qualifier == "LCS":
        tx.creditor_references = (*tx.creditor_references, first)
    elif qualifier == "RCN":  # end-to-end reference, then purpose
        tx.end_to_end_id = first or None
        if second:
            tx.additional_info = (*tx.additional_info, f"Nature du paiement : {second}")
    elif qualifier == "REF":  # payment information id (remise), then instruction id
        tx.payment_information_id = first or None
        tx.instruction_id = second or tx.instruction_id
    elif qualifier == "NPY":
        tx.debtor_name = text
    elif qualifier == "NBE":
        tx.creditor_name = text
    elif qualifier == "IBE":
        tx.creditor_id = first or None
    elif qualifier == "RUM":  # mandate reference, then sequence type (FRST, RCUR...)
        tx.mandate_id = first or None
        if second:
            tx.additional_info = (*tx.additional_info, f"Séquence : {second}")
    elif qualifier == "CPY":
        tx.debtor_iban = first.replace(" ", "") or None
    elif qualifier == "CBE":
        tx.creditor_iban = first.replace(" ", "") or None
    elif qualifier in ("IPY", "NPO", "IPO", "NBU", "IBU", "MMO"):
        tx.additional_info = (*tx.additional_info, f"{qualifier} {text}")
    else:
        return False
    return True


def read_cfonb(text: str, result: PaymentFileResult) -> None:
    """Fill `result` from a CFONB 120 file's text (see `decode_text`)."""
    _CfonbReader(result).read(text)
