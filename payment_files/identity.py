"""The movement identity: one stable id per bank movement, whatever file delivered it.

Banks deliver the same movement more than once: statements overlap (a monthly camt.053 repeats
the dailies, a CFONB 120 re-sent after an incident), a camt.054 notification announces what the
evening camt.053 books. The ledger must count each movement once, so every `BankTransaction`
gets a `movement_id`: the first 32 hex digits of the SHA-256 of

1. the account (IBAN, else the bank's other account id, e.g. CFONB bank/branch/account);
2. the booking date and the value date (ISO, empty when absent);
3. the currency and the signed amount, written canonically (`8.850` and `8.85` agree);
4. the bank's references: camt `AcctSvcrRef` of the entry and of the detail, and `NtryRef`;
   CFONB entry number and reference zone, operation code and 04 label (a CFONB bank writes the
   same label each time it re-delivers a movement);
5. the payment's own reference (end-to-end id unless `NOTPROVIDED`, else instruction id,
   transaction id, UETR, mandate id) and, for a detail of a split batch entry, its position in
   the entry (details share the entry's reference, sometimes even their own `AcctSvcrRef`: the
   position keeps them apart);
6. last resort, an occurrence counter: the n-th transaction of the file with exactly the same
   items 1–5. Two genuinely different movements that nothing else tells apart (same account,
   dates, amount and no reference, e.g. two identical card payments on one CFONB day) get
   counters 0 and 1; a re-delivery lists that day's movements in the same order, so it gives
   them the same counters and thus the same ids.

Deliberately left out: the file, statement id and positions of the entry in the file (they change
between deliveries), the status (a pending entry that gets booked keeps its id as long as its
booking date does not change) and the file kind (a camt.054 and the camt.053 booking the same
movement agree when the bank gives both the same reference and dates).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal

from payment_files.model import BankTransaction

IDENTITY_VERSION = "mv1"  # change it (and reload) if the recipe above ever changes
_SEPARATOR = "\x1f"  # unit separator: cannot occur in the XML or CFONB values hashed
_NOT_PROVIDED = "NOTPROVIDED"


def canonical_amount(amount: Decimal) -> str:
    return format(amount.normalize(), "f") if amount else "0"


def _payment_reference(tx: BankTransaction) -> str:
    candidates = (
        tx.end_to_end_id if tx.end_to_end_id != _NOT_PROVIDED else None,
        tx.instruction_id,
        tx.transaction_id,
        tx.uetr,
        tx.mandate_id,
    )
    return next((c for c in candidates if c), "")


def identity_parts(tx: BankTransaction) -> tuple[str, ...]:
    """Items 1 to 5 of the recipe in the module docstring (without the occurrence counter)."""
    account = (tx.account_key or "").replace(" ", "").upper()
    return (
        account,
        tx.booking_date.isoformat() if tx.booking_date else "",
        tx.value_date.isoformat() if tx.value_date else "",
        tx.currency or "",
        canonical_amount(tx.amount),
        tx.entry_account_servicer_reference or "",
        tx.account_servicer_reference or "",
        tx.entry_reference or "",
        tx.code.cfonb_operation_code or "",
        tx.bank_label or "",
        "" if tx.detail_index is None else str(tx.detail_index),
        _payment_reference(tx),
    )


def assign_movement_ids(transactions: Iterable[BankTransaction]) -> None:
    """Set `movement_id` on the transactions of one file, taken in file order."""
    occurrences: Counter[tuple[str, ...]] = Counter()
    for tx in transactions:
        parts = identity_parts(tx)
        occurrence = occurrences[parts]
        occurrences[parts] += 1
        text = _SEPARATOR.join((IDENTITY_VERSION, *parts, str(occurrence)))
        tx.movement_id = hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
