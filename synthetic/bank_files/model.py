"""What a bank reports to the insurer: its account, the movements on it, batched entries.

These value objects are shared by every bank-file writer (camt.053, camt.054, CFONB 120), so the
same movement keeps the same identity (its `account_servicer_reference`) whatever file carries it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban

CENT = Decimal("0.01")
ACCOUNT_CURRENCY = "EUR"  # the insurer's collection accounts are kept in euros
ISO_ID_MAX = 35  # Max35Text: every ISO 20022 reference
ISO_TEXT_MAX = 140  # Max140Text: names and unstructured remittance


class MovementKind(StrEnum):
    """The kinds of movement an insurer sees on its collection account."""

    SEPA_CREDIT_TRANSFER = "sepa_credit_transfer"  # virement SEPA reçu (credit)
    SEPA_DIRECT_DEBIT = "sepa_direct_debit"  # prélèvement SEPA encaissé (credit)
    DIRECT_DEBIT_RETURN = "direct_debit_return"  # prélèvement impayé / R-transaction (debit)
    CHEQUE = "cheque"  # remise de chèque (credit)


# Direction the bank books each kind in, from the insurer's (creditor's) point of view.
CREDIT_KINDS = frozenset(
    {MovementKind.SEPA_CREDIT_TRANSFER, MovementKind.SEPA_DIRECT_DEBIT, MovementKind.CHEQUE}
)

# The entry label French banks print for each kind (camt AddtlNtryInf, CFONB libellé).
KIND_LABELS = {
    MovementKind.SEPA_CREDIT_TRANSFER: "VIR SEPA",
    MovementKind.SEPA_DIRECT_DEBIT: "PRLV SEPA",
    MovementKind.DIRECT_DEBIT_RETURN: "IMPAYE PRLV SEPA",
    MovementKind.CHEQUE: "REMISE CHEQUE",
}


@dataclass(frozen=True)
class BankAccount:
    """The insurer's own account, on which the bank reports."""

    iban: str
    bic: str
    owner_name: str

    def __post_init__(self) -> None:
        stdnum_iban.validate(self.iban)
        stdnum_bic.validate(self.bic)
        if not self.owner_name.strip():
            raise ValueError("BankAccount.owner_name is empty")


@dataclass(frozen=True)
class BankMovement:
    """One booked movement on the insurer's account.

    `amount` is signed from the insurer's side: positive = credit (money received), negative =
    debit (a returned direct debit). Exactly 2 decimals at most; never zero.
    `account_servicer_reference` is the bank's own unique id of the movement; it is repeated
    unchanged when the movement is delivered again (overlapping statements). Keep it to 16
    characters or fewer if the movement may be written to CFONB 120 (its reference zone).
    For a return (`DIRECT_DEBIT_RETURN`), `original_end_to_end_id` is the end-to-end id of the
    collection being returned and `return_reason` its ISO 20022 reason code (AM04, MD06, AC04 …);
    `end_to_end_id` stays empty (a return carries the original one, nothing of its own).
    """

    booking_date: date
    value_date: date
    amount: Decimal
    kind: MovementKind
    account_servicer_reference: str
    debtor_name: str
    debtor_iban: str | None = None
    debtor_bic: str | None = None
    end_to_end_id: str | None = None
    mandate_id: str | None = None
    creditor_reference: str | None = None  # structured, e.g. an ISO 11649 "RF…" reference
    remittance_text: str | None = None  # unstructured, up to 140 characters
    return_reason: str | None = None
    original_end_to_end_id: str | None = None
    currency: str = ACCOUNT_CURRENCY

    def __post_init__(self) -> None:
        self._check_amount()
        self._check_return_fields()
        self._check_lengths()
        if self.debtor_iban is not None:
            stdnum_iban.validate(self.debtor_iban)
        if self.debtor_bic is not None:
            stdnum_bic.validate(self.debtor_bic)
        if not self.debtor_name.strip():
            raise ValueError(f"movement {self.account_servicer_reference}: debtor_name is empty")
        if self.currency != ACCOUNT_CURRENCY:
            raise ValueError(f"movement {self.account_servicer_reference}: not in euros")

    @property
    def is_credit(self) -> bool:
        return self.amount > 0

    def _check_amount(self) -> None:
        ref = self.account_servicer_reference
        if not isinstance(self.amount, Decimal) or not self.amount.is_finite():
            raise ValueError(f"movement {ref}: amount must be a finite Decimal")
        if self.amount != self.amount.quantize(CENT):
            raise ValueError(f"movement {ref}: amount has more than 2 decimals")
        if self.amount == 0:
            raise ValueError(f"movement {ref}: amount is zero")
        if (self.kind in CREDIT_KINDS) != (self.amount > 0):
            raise ValueError(f"movement {ref}: the sign of the amount contradicts {self.kind}")

    def _check_return_fields(self) -> None:
        ref = self.account_servicer_reference
        if self.kind is MovementKind.DIRECT_DEBIT_RETURN:
            if not self.return_reason or not self.original_end_to_end_id:
                raise ValueError(f"movement {ref}: a return needs a reason and the original id")
            if self.end_to_end_id is not None:
                raise ValueError(f"movement {ref}: a return carries original_end_to_end_id only")
        elif self.return_reason is not None or self.original_end_to_end_id is not None:
            raise ValueError(f"movement {ref}: only a return has a return reason or original id")

    def _check_lengths(self) -> None:
        limits = {
            "account_servicer_reference": ISO_ID_MAX,
            "end_to_end_id": ISO_ID_MAX,
            "mandate_id": ISO_ID_MAX,
            "creditor_reference": ISO_ID_MAX,
            "original_end_to_end_id": ISO_ID_MAX,
            "remittance_text": ISO_TEXT_MAX,
            "debtor_name": ISO_TEXT_MAX,
        }
        for field_name, limit in limits.items():
            value = getattr(self, field_name)
            if value is not None and not 0 < len(value) <= limit:
                raise ValueError(
                    f"movement {self.account_servicer_reference}: {field_name} must be 1 to "
                    f"{limit} characters"
                )


@dataclass(frozen=True)
class BankBatch:
    """Several movements the bank books as one entry (e.g. a SEPA direct-debit remittance).

    camt files show the entry with one transaction detail per movement; CFONB 120 has no
    transaction details, so it shows the entry's total only (as French banks do).
    """

    entry_reference: str  # the bank's id of the entry, unique like a movement's
    movements: tuple[BankMovement, ...]

    def __post_init__(self) -> None:
        if not self.movements:
            raise ValueError(f"batch {self.entry_reference}: no movement")
        first = self.movements[0]
        shared = (first.booking_date, first.value_date, first.kind, first.currency)
        for movement in self.movements[1:]:
            if (movement.booking_date, movement.value_date, movement.kind, movement.currency) != (
                shared
            ):
                raise ValueError(
                    f"batch {self.entry_reference}: movements differ in dates, kind or currency"
                )
        if not 0 < len(self.entry_reference) <= ISO_ID_MAX:
            raise ValueError(f"batch {self.entry_reference}: bad entry reference length")

    @property
    def amount(self) -> Decimal:
        return sum((m.amount for m in self.movements), Decimal("0.00"))

    @property
    def booking_date(self) -> date:
        return self.movements[0].booking_date

    @property
    def value_date(self) -> date:
        return self.movements[0].value_date

    @property
    def kind(self) -> MovementKind:
        return self.movements[0].kind

    @property
    def currency(self) -> str:
        return self.movements[0].currency


# What a writer takes: single movements, each its own entry, and batches.
Entry = BankMovement | BankBatch


def entry_movements(entry: Entry) -> tuple[BankMovement, ...]:
    """The movements an entry books: itself, or the members of a batch."""
    return entry.movements if isinstance(entry, BankBatch) else (entry,)


def entry_reference(entry: Entry) -> str:
    """The bank's id of an entry."""
    if isinstance(entry, BankBatch):
        return entry.entry_reference
    return entry.account_servicer_reference


def entries_total(entries: Sequence[Entry]) -> Decimal:
    """Signed sum of all movements of the entries."""
    return sum((entry.amount for entry in entries), Decimal("0.00"))


def batch_direct_debits(movements: Sequence[BankMovement], reference_prefix: str) -> list[Entry]:
    """Book the direct debits collected on the same day as one remittance entry, as banks do.

    Direct debits sharing booking and value dates become one `BankBatch` (when there are two or
    more), referenced `reference_prefix` + booking date + value date (YYMMDD each): give each
    account its own prefix of at most 4 characters and the reference stays unique and fits
    CFONB's 16 characters. Other movements stay single entries. Entries keep the order of their
    first movement.
    """
    groups: dict[tuple[date, date], list[BankMovement]] = {}
    order: list[BankMovement | tuple[date, date]] = []
    for movement in movements:
        if movement.kind is not MovementKind.SEPA_DIRECT_DEBIT:
            order.append(movement)
            continue
        day = (movement.booking_date, movement.value_date)
        if day not in groups:
            groups[day] = []
            order.append(day)
        groups[day].append(movement)
    entries: list[Entry] = []
    for item in order:
        if isinstance(item, BankMovement):
            entries.append(item)
        elif len(groups[item]) == 1:
            entries.append(groups[item][0])
        else:
            booked, valued = item
            reference = f"{reference_prefix}{booked:%y%m%d}{valued:%y%m%d}"
            entries.append(BankBatch(reference, tuple(groups[item])))
    return entries
