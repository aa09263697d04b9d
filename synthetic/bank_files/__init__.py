"""Bank files the insurer receives for its collection account, written from known movements.

The synthetic portfolio decides what happened on the account; this package only writes it in
the formats banks deliver (DOMAIN.md §4). Everything comes from the arguments (no clock, no
randomness), so the same inputs always give the same bytes.

    from synthetic.bank_files import (
        BankAccount, BankBatch, BankMovement, MovementKind,
        write_camt053, write_camt054, write_cfonb120,
    )

    account = BankAccount(iban="FR76…", bic="…", owner_name="PREVOYANCE EXEMPLE")
    paid = BankMovement(
        booking_date=date(2024, 2, 5), value_date=date(2024, 2, 5),
        amount=Decimal("1234.56"),                   # + credit to the insurer, - debit
        kind=MovementKind.SEPA_CREDIT_TRANSFER,
        account_servicer_reference="B24020500001",   # the bank's id: <= 16 chars for CFONB
        debtor_name="SARL D'ALMEIDA", debtor_iban="FR76…", debtor_bic="…",
        end_to_end_id="COT-2024T1-0001", creditor_reference="RF18…", remittance_text="…",
    )
    write_camt054(path, account, [paid], message_id="N240205", created_at=datetime(…),
                  version="001.08")           # or "001.02", "001.04"
    write_camt053(path, account, [paid], statement_id="S2402", from_date=…, to_date=…,
                  opening_balance=Decimal("0.00"), version="001.02")
    write_cfonb120(path, account, [paid], from_date=…, to_date=…,
                   opening_balance=Decimal("0.00"), line_breaks=True)

Entries: each `BankMovement` is booked as its own entry; a `BankBatch(entry_reference,
movements)` books several movements of the same day and kind as one entry (a direct-debit
remittance): camt shows one Ntry with one TxDtls per movement, CFONB 120 shows the total only.
`batch_direct_debits(movements, reference_prefix)` groups a day's direct debits that way.

Returns: `MovementKind.DIRECT_DEBIT_RETURN` with a negative amount, `return_reason` (AM04,
MD06, AC04 …) and `original_end_to_end_id` (the collection being returned).

What each format can carry differs, as in real life: CFONB 120 never shows the payer's account
of a credit transfer (the CFONB 2010 SEPA guide: "soumis au secret bancaire"), only that of a
direct debit; camt carries every field.
"""

from synthetic.bank_files.camt import write_camt053, write_camt054
from synthetic.bank_files.cfonb import write_cfonb120
from synthetic.bank_files.model import (
    BankAccount,
    BankBatch,
    BankMovement,
    Entry,
    MovementKind,
    batch_direct_debits,
)

__all__ = [
    "BankAccount",
    "BankBatch",
    "BankMovement",
    "Entry",
    "MovementKind",
    "batch_direct_debits",
    "write_camt053",
    "write_camt054",
    "write_cfonb120",
]
